//! `sluice index create|delete|list`.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::conn;

/// Subcommands of `sluice index`.
#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Create an index with a mapping (`PUT /{name}`).
    Create {
        /// Index name.
        name: String,
        /// `seed` (the tutorial's python-logs mapping; `tutorial` is the same), `ecs`, or a
        /// JSON file with
        /// `{"mappings":..,"settings":..}`.
        #[arg(long, default_value = "seed", value_name = "seed|ecs|FILE")]
        mapping: String,
        #[command(flatten)]
        conn: conn::Args,
    },
    /// Delete an index (`DELETE /{name}`).
    Delete {
        /// Index name (or, with --allow-wildcard, a pattern or comma list).
        name: String,
        /// Allow `*`, `_all` and comma lists (Elasticsearch 8 refuses them by default:
        /// `action.destructive_requires_name`).
        #[arg(long)]
        allow_wildcard: bool,
        #[command(flatten)]
        conn: conn::Args,
    },
    /// List indices with health, document count and size (`_cat/indices`).
    List {
        /// Only indices matching this pattern (e.g. `python-logs-*`).
        pattern: Option<String>,
        /// Print the JSON rows instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        conn: conn::Args,
    },
}

/// The `PUT /{index}` body for `--mapping`.
pub fn mapping_body(spec: &str) -> anyhow::Result<serde_json::Value> {
    match spec {
        "seed" | "tutorial" => Ok(log_model::mapping::seed()),
        "ecs" => Ok(log_model::mapping::ecs()),
        file => {
            let path = PathBuf::from(file);
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("--mapping {file}: not `seed`, `ecs` or a readable file")
            })?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("--mapping {file}: not valid JSON"))?;
            anyhow::ensure!(
                v.is_object(),
                "--mapping {file}: the body must be a JSON object"
            );
            Ok(v)
        }
    }
}

pub fn run(cmd: &Cmd) -> anyhow::Result<()> {
    conn::runtime()?.block_on(run_async(cmd))
}

async fn run_async(cmd: &Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Create {
            name,
            mapping,
            conn,
        } => {
            log_model::validate_index_name(name).with_context(|| format!("index `{name}`"))?;
            let body = mapping_body(mapping)?;
            conn.client()?
                .create_index(name, &body)
                .await
                .with_context(|| format!("cannot create index `{name}` at {}", conn.display()))?;
            println!("created index {name}");
        }
        Cmd::Delete {
            name,
            allow_wildcard,
            conn,
        } => {
            let broad = name.contains(['*', ',']) || name == "_all";
            anyhow::ensure!(
                *allow_wildcard || !broad,
                "refusing to delete `{name}`: it names several indices (wildcard, comma list or \
                 _all); list them with `sluice index list '{name}'`, then pass --allow-wildcard \
                 to delete them all"
            );
            conn.client()?
                .delete_index(name)
                .await
                .with_context(|| format!("cannot delete index `{name}` at {}", conn.display()))?;
            println!("deleted index {name}");
        }
        Cmd::List {
            pattern,
            json,
            conn,
        } => {
            let mut rows = conn
                .client()?
                .cat_indices(pattern.as_deref())
                .await
                .with_context(|| format!("cannot list indices at {}", conn.display()))?;
            rows.sort_by(|a, b| a.index.cmp(&b.index));
            if *json {
                let out: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "health": r.health, "status": r.status, "index": r.index,
                            "uuid": r.uuid, "docs.count": r.docs_count, "store.size": r.store_size,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print!("{}", table(&rows));
            }
        }
    }
    Ok(())
}

fn table(rows: &[es_client::CatIndex]) -> String {
    let mut lines = vec![[
        "health".to_owned(),
        "status".to_owned(),
        "index".to_owned(),
        "docs.count".to_owned(),
        "store.size".to_owned(),
    ]];
    for r in rows {
        lines.push([
            r.health.clone().unwrap_or_default(),
            r.status.clone().unwrap_or_default(),
            r.index.clone(),
            r.docs_count.map(|n| n.to_string()).unwrap_or_default(),
            r.store_size.map(human_bytes).unwrap_or_default(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i >= 3 {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[allow(clippy::cast_precision_loss)]
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["b", "kb", "mb", "gb", "tb"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}b")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

#[cfg(test)]
mod tests;
