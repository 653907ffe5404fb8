//! The seed's Example 1 in Rust: 100 log events with user/action/duration/tags, the same
//! three message templates, through `tracing` → [`ShipperLayer`] → durable [`Shipper`] →
//! an agent's tcp json_lines input (`sluice-agent -f logstash.conf`, or Logstash itself).
//!
//! ```text
//! cargo run -p shipper --example example1 -- [--host H] [--port P] [--count N]
//!     [--database PATH | --memory] [--sleep] [--format flat|logstash|ecs]
//! ```
//! `--host`/`--port` default to `$LOGSTASH_HOST`/`$LOGSTASH_PORT`, then localhost:5000;
//! `--database` to `logstash.db` (the seed's `database_path`). The seed sleeps 0.1–1 s
//! between events; `--sleep` does the same, by default events go out back to back.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use rand::Rng;
use rand::seq::IndexedRandom;
use shipper::{Format, Shipper, ShipperLayer, Transport};
use tracing_subscriber::layer::SubscriberExt;

struct Args {
    host: String,
    port: u16,
    count: u64,
    database: Option<String>,
    sleep: bool,
    format: Format,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        host: std::env::var("LOGSTASH_HOST").unwrap_or_else(|_| "localhost".into()),
        port: match std::env::var("LOGSTASH_PORT") {
            Ok(p) => p.parse().map_err(|e| format!("LOGSTASH_PORT={p}: {e}"))?,
            Err(_) => 5000,
        },
        count: 100,
        database: Some("logstash.db".into()),
        sleep: false,
        format: Format::default(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => a.host = value()?,
            "--port" => a.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--count" => a.count = value()?.parse().map_err(|e| format!("--count: {e}"))?,
            "--database" => a.database = Some(value()?),
            "--memory" => a.database = None,
            "--sleep" => a.sleep = true,
            "--format" => {
                a.format = match value()?.as_str() {
                    "flat" => Format::Logstash { extra_prefix: None },
                    "logstash" => Format::Logstash {
                        extra_prefix: Some("extra".into()),
                    },
                    "ecs" => Format::Ecs,
                    other => {
                        return Err(format!("--format {other}: expected flat, logstash or ecs"));
                    }
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("example1: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // setup_logging(): the shipper (AsynchronousLogstashHandler) and a logger at INFO.
    let mut builder = Shipper::builder(Transport::tcp(&args.host, args.port));
    if let Some(db) = &args.database {
        builder.database(db);
    }
    let shipper = match builder.build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("example1: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let layer = ShipperLayer::builder(shipper.handle())
        .level(tracing::Level::INFO)
        .format(args.format.clone())
        .build();
    let subscriber = tracing_subscriber::registry().with(layer);
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("example1: a global tracing subscriber is already set");
        return std::process::ExitCode::FAILURE;
    }

    generate_logs(args.count, args.sleep);

    // At exit: deliver what is queued (up to 10 s); the rest stays in the database.
    let stats = shipper.shutdown(Duration::from_secs(10));
    println!(
        "example1: {} events logged, {} sent to {}:{}, {} pending on disk",
        stats.accepted, stats.sent, args.host, args.port, stats.pending_on_disk
    );
    std::process::ExitCode::SUCCESS
}

/// generate_logs(logger) from the seed.
fn generate_logs(count: u64, sleep: bool) {
    let log_levels = ["INFO", "WARNING", "ERROR"];
    let actions = ["login", "search", "purchase", "logout"];
    let users = ["user1", "user2", "user3", "user4", "user5"];
    let mut rng = rand::rng();
    for _ in 0..count {
        let level = *log_levels.choose(&mut rng).unwrap_or(&"INFO");
        let action = *actions.choose(&mut rng).unwrap_or(&"login");
        let user = *users.choose(&mut rng).unwrap_or(&"user1");
        let duration: f64 = rng.random_range(0.1..5.0);
        let tags = "python,webapp";
        match level {
            "INFO" => {
                tracing::info!(target: "python-logstash-logger", user, action, duration, tags,
                "User {user} performed {action} in {duration:.2}s");
            }
            "WARNING" => {
                tracing::warn!(target: "python-logstash-logger", user, action, duration, tags,
                "Slow action detected: {action} took {duration:.2}s");
            }
            _ => tracing::error!(target: "python-logstash-logger", user, action, duration, tags,
                "Error during {action} by {user}"),
        }
        if sleep {
            std::thread::sleep(Duration::from_secs_f64(rng.random_range(0.1..1.0)));
        }
    }
}
