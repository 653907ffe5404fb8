//! `cargo xtask elk up|down|status|files`: the seed's real Elasticsearch, Logstash and Kibana
//! (8.7.0, as the seed's `docker run` lines) with Docker Compose, for machines with a Docker
//! engine. Sluice's tools point at it unchanged (`--es http://127.0.0.1:9200`).
//!
//! Security is off in this throwaway cluster (as `docker run` with `discovery.type=single-node`
//! and no TLS set-up would need it for the seed's plain-HTTP clients); the seed's
//! `user`/`password` in the pipeline are accepted and unused.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::util;

/// Options of `cargo xtask elk`.
#[derive(clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    pub action: Action,
}

/// What to do with the stack.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Action {
    /// Write the compose files and start the stack.
    Up,
    /// Stop and remove the stack.
    Down,
    /// Show the containers.
    Status,
    /// Only write the compose files (under target/elk) and print where.
    Files,
}

const VERSION: &str = "8.7.0";

pub fn run(args: &Args) -> anyhow::Result<()> {
    let dir = util::root().join("target/elk");
    let compose = write_files(&dir)?;
    if matches!(args.action, Action::Files) {
        println!("{}", compose.display());
        return Ok(());
    }
    let engine = Command::new("docker").arg("info").output();
    if !engine.is_ok_and(|o| o.status.success()) {
        bail!(
            "no Docker engine is reachable (`docker info` failed): `cargo xtask elk` needs one. \
             Without Docker, `cargo xtask demo` runs the same pipeline on sluice-store"
        );
    }
    let mut cmd = Command::new("docker");
    cmd.args(["compose", "-f"]).arg(&compose);
    match args.action {
        Action::Up => cmd.args(["up", "-d", "--wait"]),
        Action::Down => cmd.args(["down", "-v"]),
        Action::Status | Action::Files => cmd.arg("ps"),
    };
    util::run(&mut cmd)?;
    if matches!(args.action, Action::Up) {
        println!(
            "Elasticsearch http://127.0.0.1:9200, Logstash tcp 5000 (json_lines), Kibana http://127.0.0.1:5601"
        );
    }
    Ok(())
}

fn write_files(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("pipeline"))
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("pipeline/logstash.conf"), pipeline())?;
    let compose = dir.join("docker-compose.yml");
    std::fs::write(&compose, compose_file())?;
    Ok(compose)
}

/// The seed's `logstash.conf`, with `hosts` pointed at the compose service.
fn pipeline() -> String {
    r#"input {
  tcp {
    port => 5000
    codec => json_lines
  }
}

filter {
  mutate {
    convert => {
      "duration" => "float"
    }
  }
}

output {
  elasticsearch {
    hosts => ["http://elasticsearch:9200"]
    index => "python-logs-%{+YYYY.MM.dd}"
    user => "elastic"
    password => "your_password"
  }

  stdout {
    codec => rubydebug
  }
}
"#
    .to_owned()
}

fn compose_file() -> String {
    format!(
        r#"# Written by `cargo xtask elk`: the seed's Elasticsearch, Logstash and Kibana {VERSION}.
services:
  elasticsearch:
    image: docker.elastic.co/elasticsearch/elasticsearch:{VERSION}
    environment:
      - discovery.type=single-node
      - xpack.security.enabled=false
      - ES_JAVA_OPTS=-Xms1g -Xmx1g
    ports:
      - "127.0.0.1:9200:9200"
    healthcheck:
      test: ["CMD-SHELL", "curl -fs http://localhost:9200/_cluster/health || exit 1"]
      interval: 5s
      retries: 60
  logstash:
    image: docker.elastic.co/logstash/logstash:{VERSION}
    volumes:
      - ./pipeline:/usr/share/logstash/pipeline:ro
    environment:
      - xpack.monitoring.enabled=false
    ports:
      - "127.0.0.1:5000:5000"
      - "127.0.0.1:9600:9600"
    depends_on:
      elasticsearch:
        condition: service_healthy
  kibana:
    image: docker.elastic.co/kibana/kibana:{VERSION}
    environment:
      - ELASTICSEARCH_HOSTS=http://elasticsearch:9200
    ports:
      - "127.0.0.1:5601:5601"
    depends_on:
      elasticsearch:
        condition: service_healthy
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Structural check (no Docker engine here): every service of the seed, its image version
    /// and its loopback port, and the seed's pipeline pointed at the compose service.
    #[test]
    fn compose_file_has_the_seed_stack() {
        let c = compose_file();
        for (service, port) in [
            ("elasticsearch", "9200:9200"),
            ("logstash", "5000:5000"),
            ("kibana", "5601:5601"),
        ] {
            assert!(c.contains(&format!("\n  {service}:\n")), "{service}");
            assert!(
                c.contains(&format!("{service}:{VERSION}")),
                "{service} image"
            );
            assert!(
                c.contains(&format!("\"127.0.0.1:{port}\"")),
                "{service} port"
            );
        }
        let p = pipeline();
        assert!(p.contains("hosts => [\"http://elasticsearch:9200\"]"));
        assert!(p.contains("index => \"python-logs-%{+YYYY.MM.dd}\""));
        let dir = tempfile::tempdir().unwrap();
        let path = write_files(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), c);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pipeline/logstash.conf")).unwrap(),
            p
        );
    }
}
