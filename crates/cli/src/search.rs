//! `sluice search QUERY --index PATTERN`: a KQL (or, with `--lucene`, `query_string`) search,
//! newest first by the data's time field.

use serde_json::{Value, json};

use crate::conn;

/// Options of `sluice search`.
#[derive(clap::Args)]
pub struct Args {
    /// KQL, Kibana's default query language (`level:ERROR and user:user3`); with --lucene, the
    /// Lucene syntax (`level:ERROR AND user:user3`). Empty or `*`: everything.
    #[arg(default_value = "")]
    pub query: String,
    /// Read QUERY as Lucene syntax (`query_string`) instead of KQL.
    #[arg(long)]
    pub lucene: bool,
    /// Index name or pattern.
    #[arg(long, short, default_value = "python-logs*")]
    pub index: String,
    /// Hits to show.
    #[arg(long, default_value_t = 20)]
    pub size: u64,
    /// The time field to sort on, newest first [default: the data's date field, `@timestamp`
    /// or `timestamp`, as `sluice ui` finds it].
    #[arg(long)]
    pub time_field: Option<String>,
    /// Print each hit's `_source` as one JSON line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: conn::Args,
}

/// The query clause: KQL through the same translator as `sluice ui`, or `query_string`.
///
/// # Errors
/// A KQL syntax error, shown with its position under the query.
pub fn query(args: &Args) -> anyhow::Result<Value> {
    let text = args.query.trim();
    if text.is_empty() || text == "*" {
        return Ok(json!({"match_all": {}}));
    }
    let language = if args.lucene {
        ui::discover::Language::Lucene
    } else {
        ui::discover::Language::Kuery
    };
    let bar = ui::discover::QueryBar {
        language,
        query: args.query.clone(),
    };
    ui::discover::query_clause(&bar).map_err(|e| {
        let caret = e.position.map_or_else(String::new, |p| {
            let line = args.query.lines().nth(p.line - 1).unwrap_or("");
            format!("\n  {line}\n  {}^", " ".repeat(p.column - 1))
        });
        anyhow::anyhow!(
            "{}{caret}\n(KQL is the default; pass --lucene for Lucene syntax)",
            e.reason
        )
    })
}

/// The search body, newest first by `time_field` (documents without it last).
///
/// # Errors
/// As [`query`].
pub fn body(args: &Args, time_field: &str) -> anyhow::Result<Value> {
    Ok(json!({
        "size": args.size,
        "track_total_hits": true,
        "query": query(args)?,
        "sort": [{time_field: {"order": "desc", "unmapped_type": "date", "missing": "_last"}}],
    }))
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    conn::runtime()?.block_on(async {
        let client = args.conn.client()?;
        let errors = ui::ErrorContext {
            backend: args.conn.display(),
            credentials: args.conn.credentials(),
        };
        let api = ui::Api::new(client.clone(), errors.clone());
        let explain = |e: &ui::Error| {
            let hint = e
                .hint
                .as_deref()
                .map_or_else(String::new, |h| format!(" ({h})"));
            anyhow::anyhow!("search on `{}` failed: {}{hint}", args.index, e.reason)
        };
        let time_field = match &args.time_field {
            Some(t) => t.clone(),
            None => api
                .time_field(&args.index)
                .await
                .map_err(|e| explain(&e))?
                .unwrap_or_else(|| "@timestamp".to_owned()),
        };
        let body = body(args, &time_field)?;
        let resp = match client.search(&args.index, &body).await {
            Ok(r) => r,
            Err(e) => return Err(explain(&errors.wrap(&e))),
        };
        if args.json {
            for h in &resp.hits.hits {
                println!("{}", serde_json::to_string(&h.source)?);
            }
            return Ok(());
        }
        print!("{}", table(&resp.hits.hits, &time_field));
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
