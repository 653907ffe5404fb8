//! `sluice search QUERY --index PATTERN`: a `query_string` search, newest first.

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::conn;

/// Options of `sluice search`.
#[derive(clap::Args)]
pub struct Args {
    /// Lucene query syntax, as in Kibana's search bar (`level:ERROR AND user:user3`); `*` for all.
    #[arg(default_value = "*")]
    pub query: String,
    /// Index name or pattern.
    #[arg(long, short, default_value = "python-logs*")]
    pub index: String,
    /// Hits to show.
    #[arg(long, default_value_t = 20)]
    pub size: u64,
    /// The time field to sort on, newest first.
    #[arg(long, default_value = "timestamp")]
    pub time_field: String,
    /// Print each hit's `_source` as one JSON line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: conn::Args,
}

/// The search body: `query_string`, newest first (documents without the time field last).
pub fn body(args: &Args) -> Value {
    json!({
        "size": args.size,
        "track_total_hits": true,
        "query": {"query_string": {"query": args.query, "default_operator": "AND"}},
        "sort": [{args.time_field.as_str(): {"order": "desc", "unmapped_type": "date", "missing": "_last"}}],
    })
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    conn::runtime()?.block_on(async {
        let client = args.conn.client()?;
        let resp = client
            .search(&args.index, &body(args))
            .await
            .with_context(|| {
                format!(
                    "search on `{}` at {} failed",
                    args.index,
                    args.conn.display()
                )
            })?;
        if args.json {
            for h in &resp.hits.hits {
                println!("{}", serde_json::to_string(&h.source)?);
            }
            return Ok(());
        }
        print!("{}", table(&resp.hits.hits, &args.time_field));
        let total = resp.hits.total.map_or_else(
            || "?".to_owned(),
            |t| {
                if t.relation == "gte" {
                    format!("{}+", t.value)
                } else {
                    t.value.to_string()
                }
            },
        );
        println!(
            "{} of {total} hits ({} ms)",
            resp.hits.hits.len(),
            resp.took
        );
        Ok(())
    })
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Columns for the seed's event shape (and its ECS variant); other fields go to `message`.
pub fn table(hits: &[es_client::Hit], time_field: &str) -> String {
    let pick = |s: &Value, paths: &[&str]| {
        paths
            .iter()
            .find_map(|p| s.pointer(p).filter(|v| !v.is_null()))
            .map_or_else(String::new, |v| text(Some(v)))
    };
    let time_ptr = format!("/{}", time_field.replace('.', "/"));
    let mut rows =
        vec![["time", "level", "user", "action", "duration", "message"].map(str::to_owned)];
    for h in hits {
        let s = &h.source;
        let duration = pick(s, &["/duration", "/event/duration"]);
        let mut message = pick(s, &["/message"]).replace(['\n', '\r'], " ");
        if message.chars().count() > 80 {
            message = message.chars().take(79).collect::<String>() + "…";
        }
        rows.push([
            pick(s, &[time_ptr.as_str(), "/@timestamp", "/timestamp"]),
            pick(s, &["/level", "/log/level"]),
            pick(s, &["/user/name", "/user"]),
            pick(s, &["/action", "/event/action"]),
            duration,
            message,
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
