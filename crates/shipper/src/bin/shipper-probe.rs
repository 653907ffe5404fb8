//! A tiny program used by the shipper's crash tests (and handy by hand): ships `--count`
//! numbered events (`{"id": i, ...}`) through a durable shipper, prints `persisted` once all
//! are committed to the queue, then delivers and prints its final stats as JSON.
//!
//! `shipper-probe --host H --port P --database DB --count N [--batch B] [--pad BYTES] [--ingest-ids true]`
//! With `--count 0` it only delivers what an earlier run left in the database.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::time::Duration;

use shipper::{Shipper, Transport};

fn main() -> std::process::ExitCode {
    match try_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shipper-probe: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let mut host = "127.0.0.1".to_owned();
    let mut port = 5000u16;
    let mut database = "probe.db".to_owned();
    let mut count = 100u64;
    let mut batch = 100usize;
    let mut pad = 0usize;
    let mut ingest_ids = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--host" => host = value,
            "--port" => port = value.parse()?,
            "--database" => database = value,
            "--count" => count = value.parse()?,
            "--batch" => batch = value.parse()?,
            "--pad" => pad = value.parse()?,
            "--ingest-ids" => ingest_ids = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let shipper = Shipper::builder(Transport::tcp(host, port))
        .database(&database)
        .batch_size(batch)
        .block_when_full(true)
        .ingest_ids(ingest_ids)
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()?;
    let padding = "x".repeat(pad);
    for id in 0..count {
        let mut ev = serde_json::Map::new();
        ev.insert("id".into(), id.into());
        ev.insert("message".into(), format!("probe event {id}").into());
        if pad > 0 {
            ev.insert("pad".into(), padding.clone().into());
        }
        shipper.log(ev);
    }
    shipper.sync(Duration::from_secs(60))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "persisted")?;
    out.flush()?;
    let flushed = shipper.flush(Duration::from_secs(60));
    let stats = shipper.shutdown(Duration::from_secs(5));
    writeln!(
        out,
        "{{\"accepted\":{},\"sent\":{},\"pending_on_disk\":{}}}",
        stats.accepted, stats.sent, stats.pending_on_disk
    )?;
    flushed?;
    Ok(())
}
