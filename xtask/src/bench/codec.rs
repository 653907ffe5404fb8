//! `cargo xtask bench codec [CRITERION ARGS...]`: the ndjson-codec and generator criterion
//! benches, then a summary table (MB/s and events/s) read from criterion's results.
//!
//! Without arguments it runs at small scale (`--warm-up-time 1 --measurement-time 2`); pass
//! criterion's own options to change that, e.g.
//! `cargo xtask bench codec --warm-up-time 3 --measurement-time 10`, or a name filter such as
//! `cargo xtask bench codec decode`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use serde_json::Value;

use crate::util;

/// (package, bench target, criterion group prefix)
const BENCHES: [(&str, &str, &str); 2] = [
    ("ndjson-codec", "codec", "codec ("),
    ("generator", "generator", "generator ("),
];

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let small = ["--warm-up-time", "1", "--measurement-time", "2"].map(String::from);
    let criterion_args: &[String] = if rest.is_empty() { &small } else { rest };
    let started = SystemTime::now();
    for (package, bench, _) in BENCHES {
        util::run(
            util::cargo()
                .args(["bench", "-p", package, "--bench", bench, "--"])
                .args(criterion_args),
        )?;
    }
    let rows = collect(&target_dir().join("criterion"), started)?;
    anyhow::ensure!(!rows.is_empty(), "criterion wrote no results for this run");
    print_summary(&rows);
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| util::root().join("target"), PathBuf::from)
}

struct Row {
    group: String,
    name: String,
    /// Mean time of one iteration, in seconds.
    secs: f64,
    elements: Option<u64>,
    bytes: Option<u64>,
}

impl Row {
    fn mb_per_s(&self) -> Option<f64> {
        self.bytes.map(|b| b as f64 / self.secs / 1e6)
    }

    fn events_per_s(&self) -> Option<f64> {
        self.elements.map(|e| e as f64 / self.secs)
    }
}

/// Every benchmark of ours that criterion (re)wrote since `since`.
fn collect(criterion: &Path, since: SystemTime) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let groups =
        std::fs::read_dir(criterion).with_context(|| format!("reading {}", criterion.display()))?;
    for group in groups {
        let group = group?.path();
        if !group.is_dir() {
            continue;
        }
        for bench in std::fs::read_dir(&group)? {
            let new = bench?.path().join("new");
            let meta_path = new.join("benchmark.json");
            let Ok(modified) = std::fs::metadata(&meta_path).and_then(|m| m.modified()) else {
                continue;
            };
            if modified < since {
                continue; // a result from an earlier run
            }
            let meta = read_json(&meta_path)?;
            let group_id = meta["group_id"].as_str().unwrap_or_default().to_owned();
            if !BENCHES
                .iter()
                .any(|(_, _, prefix)| group_id.starts_with(prefix))
            {
                continue;
            }
            let estimates = read_json(&new.join("estimates.json"))?;
            let nanos = estimates["mean"]["point_estimate"]
                .as_f64()
                .with_context(|| format!("no mean in {}", new.display()))?;
            let t = &meta["throughput"];
            let (elements, bytes) = if let Some(eb) = t.get("ElementsAndBytes") {
                (eb["elements"].as_u64(), eb["bytes"].as_u64())
            } else {
                (
                    t.get("Elements").and_then(Value::as_u64),
                    t.get("Bytes")
                        .or_else(|| t.get("BytesDecimal"))
                        .and_then(Value::as_u64),
                )
            };
            rows.push(Row {
                group: group_id,
                name: meta["function_id"].as_str().unwrap_or_default().to_owned(),
                secs: nanos / 1e9,
                elements,
                bytes,
            });
        }
    }
    rows.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    Ok(rows)
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
}

fn print_summary(rows: &[Row]) {
    let fmt = |v: Option<f64>, scale: f64, digits: usize| {
        v.map_or_else(|| "-".to_owned(), |v| format!("{:.digits$}", v / scale))
    };
    let mut group = "";
    for row in rows {
        if row.group != group {
            group = &row.group;
            println!("\n{group}  (mean of criterion's samples, one core)");
            println!("  {:<44} {:>10} {:>14}", "benchmark", "MB/s", "M events/s");
        }
        println!(
            "  {:<44} {:>10} {:>14}",
            row.name,
            fmt(row.mb_per_s(), 1.0, 1),
            fmt(row.events_per_s(), 1e6, 3)
        );
    }
    let find = |name: &str| rows.iter().find(|r| r.name == name).and_then(Row::mb_per_s);
    if let (Some(ours), Some(baseline)) = (
        find("decode + bulk encode (ours)"),
        find("reference: Value parse + bulk re-encode"),
    ) {
        println!(
            "\ndecode + bulk encode: {ours:.1} MB/s, {:.1}x the serde_json Value round trip ({baseline:.1} MB/s); goal >= 300 MB/s",
            ours / baseline
        );
    }
    if let Some(gen_rate) = rows
        .iter()
        .find(|r| r.name == "seed profile, seed format")
        .and_then(Row::events_per_s)
    {
        println!(
            "generator (seed profile, seed format): {:.2} M events/s; goal >= 2 M events/s",
            gen_rate / 1e6
        );
    }
}
