//! `GET /_cat/indices`: the aligned text table (`?v` for headers) or `?format=json`, with `h`
//! (columns), `s` (sort) and `bytes` (size unit) as Elasticsearch has them.

use http::StatusCode;
use serde_json::{Map, Value};

use super::handlers::{Body, Reply};
use super::params::Params;
use crate::{CatIndex, Error};

/// The parameters `_cat/indices` takes.
pub(crate) const PARAMS: &[&str] = &[
    "v",
    "format",
    "h",
    "s",
    "bytes",
    "help",
    "local",
    "master_timeout",
    "expand_wildcards",
];

/// Columns, in ES's default order.
const COLUMNS: &[&str] = &[
    "health",
    "status",
    "index",
    "uuid",
    "pri",
    "rep",
    "docs.count",
    "docs.deleted",
    "store.size",
    "pri.store.size",
    "dataset.size",
];

/// Column aliases ES accepts in `h=` and `s=`.
fn canonical(col: &str) -> Option<&'static str> {
    let c = match col {
        "h" => "health",
        "s" => "status",
        "i" | "idx" => "index",
        "id" | "uuid" => "uuid",
        "p" | "shards.primary" | "shardsPrimary" => "pri",
        "r" | "shards.replica" | "shardsReplica" => "rep",
        "dc" | "docsCount" => "docs.count",
        "dd" | "docsDeleted" => "docs.deleted",
        "ss" | "storeSize" => "store.size",
        other => return COLUMNS.iter().copied().find(|c| *c == other),
    };
    Some(c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Human,
    Fixed(u64, &'static str),
}

pub(crate) struct Options {
    verbose: bool,
    json: bool,
    help: bool,
    columns: Vec<&'static str>,
    sort: Vec<(&'static str, bool)>,
    unit: Unit,
}

impl Options {
    pub(crate) fn from_params(p: &Params) -> Result<Self, Error> {
        let json = match p.get("format") {
            None | Some("txt" | "text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(Error::illegal_argument(format!(
                    "_cat format [{other}] is not supported by sluice-store (use json or txt)"
                )));
            }
        };
        let columns = match p.get("h") {
            None => COLUMNS.to_vec(),
            Some(h) => h
                .split(',')
                .map(|c| {
                    if c == "*" {
                        return Ok(COLUMNS.to_vec());
                    }
                    canonical(c).map(|c| vec![c]).ok_or_else(|| {
                        Error::illegal_argument(format!(
                            "header name [{c}] does not exist in table"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
                .concat(),
        };
        let mut sort = Vec::new();
        if let Some(s) = p.get("s") {
            for spec in s.split(',') {
                let (col, dir) = spec.split_once(':').unwrap_or((spec, "asc"));
                let col = canonical(col).ok_or_else(|| {
                    Error::illegal_argument(format!("Unable to sort by unknown sort key `{col}`"))
                })?;
                sort.push((col, descending(dir)?));
            }
        }
        let unit = match p.get("bytes") {
            None => Unit::Human,
            Some("b") => Unit::Fixed(1, "b"),
            Some("kb") => Unit::Fixed(1 << 10, "kb"),
            Some("mb") => Unit::Fixed(1 << 20, "mb"),
            Some("gb") => Unit::Fixed(1 << 30, "gb"),
            Some(other) => {
                return Err(Error::illegal_argument(format!(
                    "failed to parse [bytes] value [{other}]: use b, kb, mb or gb"
                )));
            }
        };
        Ok(Self {
            verbose: p.bool("v", false)?,
            json,
            help: p.bool("help", false)?,
            columns,
            sort,
            unit,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Num(u64),
    Bytes(u64),
    /// nothing to show (a closed index's document counts and sizes): blank, or null in JSON
    Blank,
}

impl Cell {
    fn render(&self, unit: Unit) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(n) => n.to_string(),
            Cell::Bytes(b) => match unit {
                Unit::Human => human_bytes(*b),
                Unit::Fixed(div, _) => (b / div).to_string(),
            },
            Cell::Blank => String::new(),
        }
    }
}

/// ES's `ByteSizeValue` rendering: `225b`, `5.2kb`, `10mb` (one decimal, `.0` dropped).
pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: &[(&str, u64)] = &[
        ("pb", 1 << 50),
        ("tb", 1 << 40),
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
    ];
    for (name, size) in UNITS {
        if b >= *size {
            #[allow(clippy::cast_precision_loss)]
            let v = b as f64 / *size as f64;
            let s = format!("{v:.1}");
            let s = s.strip_suffix(".0").unwrap_or(&s).to_owned();
            return format!("{s}{name}");
        }
    }
    format!("{b}b")
}

fn cell(row: &CatIndex, col: &str) -> Cell {
    // a closed index keeps no statistics ES would show
    let closed = row.status == "close";
    match col {
        "docs.count" | "docs.deleted" | "store.size" | "pri.store.size" | "dataset.size"
            if closed =>
        {
            Cell::Blank
        }
        "health" => Cell::Text(row.health.to_owned()),
        "status" => Cell::Text(row.status.to_owned()),
        "index" => Cell::Text(row.index.clone()),
        "uuid" => Cell::Text(row.uuid.clone()),
        "pri" => Cell::Num(u64::from(row.pri)),
        "rep" => Cell::Num(u64::from(row.rep)),
        "docs.count" => Cell::Num(row.docs_count),
        "docs.deleted" => Cell::Num(row.docs_deleted),
        "store.size" => Cell::Bytes(row.store_size_bytes),
        _ => Cell::Bytes(row.pri_store_size_bytes),
    }
}

pub(crate) fn render(rows: &[CatIndex], opts: &Options) -> Result<Reply, Error> {
    if opts.help {
        let text: String = COLUMNS.iter().map(|c| format!("{c}\n")).collect();
        return Ok(Reply {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Body::Text(text),
        });
    }
    let mut keyed: Vec<&CatIndex> = rows.iter().collect();
    if opts.sort.is_empty() {
        // A stable order for humans and scripts: by index name.
        keyed.sort_by(|a, b| a.index.cmp(&b.index));
    } else {
        keyed.sort_by(|a, b| {
            for (col, desc) in &opts.sort {
                let ord = compare(&cell(a, col), &cell(b, col));
                let ord = if *desc { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let table: Vec<Vec<Cell>> = keyed
        .iter()
        .map(|r| opts.columns.iter().map(|c| cell(r, c)).collect())
        .collect();
    if opts.json {
        let arr: Vec<Value> = table
            .iter()
            .map(|cells| {
                let mut m = Map::new();
                for (col, c) in opts.columns.iter().zip(cells) {
                    let v = match c {
                        Cell::Blank => Value::Null,
                        c => Value::String(c.render(opts.unit)),
                    };
                    m.insert((*col).to_owned(), v);
                }
                Value::Object(m)
            })
            .collect();
        return Ok(Reply::json(StatusCode::OK, Value::Array(arr)));
    }
    let mut lines: Vec<Vec<(String, bool)>> = Vec::new();
    if opts.verbose {
        lines.push(
            opts.columns
                .iter()
                .map(|c| ((*c).to_owned(), false))
                .collect(),
        );
    }
    for cells in &table {
        lines.push(
            cells
                .iter()
                .map(|c| (c.render(opts.unit), !matches!(c, Cell::Text(_))))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..opts.columns.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].0.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        // as ES's `RestTable`: every cell padded to its column's width except a left-aligned
        // last one (a closed index's empty figures are spaces)
        let last = l.len().saturating_sub(1);
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, ((text, right), w))| {
                if *right {
                    format!("{text:>w$}")
                } else if i == last {
                    text.clone()
                } else {
                    format!("{text:<w$}")
                }
            })
            .collect();
        out.push_str(&cells.join(" "));
        out.push('\n');
    }
    Ok(Reply {
        status: StatusCode::OK,
        headers: Vec::new(),
        body: Body::Text(out),
    })
}

fn compare(a: &Cell, b: &Cell) -> std::cmp::Ordering {
    match (a, b) {
        (Cell::Num(x) | Cell::Bytes(x), Cell::Num(y) | Cell::Bytes(y)) => x.cmp(y),
        _ => a.render(Unit::Human).cmp(&b.render(Unit::Human)),
    }
}

#[cfg(test)]
mod tests;

/// ES's short names of the columns of the `_cat` tables drawn by [`table`] (`_cat/aliases`,
/// `_cat/shards`, `_cat/templates`, `_cat/count`); a short name resolves only where its column is.
const COLUMN_ALIASES: &[(&str, &str)] = &[
    ("a", "alias"),
    ("i", "index"),
    ("idx", "index"),
    ("f", "filter"),
    ("fi", "filter"),
    ("ri", "routing.index"),
    ("routingIndex", "routing.index"),
    ("rs", "routing.search"),
    ("routingSearch", "routing.search"),
    ("w", "is_write_index"),
    ("isWriteIndex", "is_write_index"),
    ("s", "shard"),
    ("sh", "shard"),
    ("p", "prirep"),
    ("pr", "prirep"),
    ("primaryOrReplica", "prirep"),
    ("st", "state"),
    ("d", "docs"),
    ("dc", "docs"),
    ("sto", "store"),
    ("n", "node"),
    ("n", "name"),
    ("t", "index_patterns"),
    ("o", "order"),
    ("p", "order"),
    ("v", "version"),
    ("c", "composed_of"),
    ("t", "epoch"),
    ("time", "epoch"),
    ("ts", "timestamp"),
    ("hms", "timestamp"),
    ("hhmmss", "timestamp"),
    ("dc", "count"),
    ("docs.count", "count"),
    ("docsCount", "count"),
    ("cl", "cluster"),
    ("st", "status"),
    ("nt", "node.total"),
    ("nodeTotal", "node.total"),
    ("nd", "node.data"),
    ("nodeData", "node.data"),
    ("t", "shards"),
    ("sh", "shards"),
    ("shards.total", "shards"),
    ("shardsTotal", "shards"),
    ("p", "pri"),
    ("shards.primary", "pri"),
    ("shardsPrimary", "pri"),
    ("r", "relo"),
    ("shards.relocating", "relo"),
    ("shardsRelocating", "relo"),
    ("i", "init"),
    ("shards.initializing", "init"),
    ("shardsInitializing", "init"),
    ("u", "unassign"),
    ("shards.unassigned", "unassign"),
    ("shardsUnassigned", "unassign"),
    ("up", "unassign.pri"),
    ("shards.unassigned.primary", "unassign.pri"),
    ("shardsUnassignedPrimary", "unassign.pri"),
    ("pt", "pending_tasks"),
    ("pendingTasks", "pending_tasks"),
    ("mtwt", "max_task_wait_time"),
    ("maxTaskWaitTime", "max_task_wait_time"),
    ("asp", "active_shards_percent"),
    ("activeShardsPercent", "active_shards_percent"),
];

/// What each column of the tables drawn by [`table`] holds, in ES's words (`?help`).
const COLUMN_HELP: &[(&str, &str)] = &[
    ("alias", "alias name"),
    ("index", "index name"),
    ("filter", "filter"),
    ("routing.index", "index routing"),
    ("routing.search", "search routing"),
    ("is_write_index", "write index"),
    ("shard", "shard name"),
    ("prirep", "primary or replica"),
    ("state", "shard state"),
    ("docs", "number of docs in shard"),
    ("store", "store size of shard (how much disk it uses)"),
    ("dataset", "total size of dataset"),
    ("ip", "ip of node where it lives"),
    ("node", "name of node where it lives"),
    ("name", "template name"),
    ("index_patterns", "template index patterns"),
    ("order", "template application order/priority number"),
    ("version", "version"),
    (
        "composed_of",
        "component templates comprising index template",
    ),
    ("epoch", "seconds since 1970-01-01 00:00:00"),
    ("timestamp", "time in HH:MM:SS"),
    ("count", "the document count"),
    ("cluster", "cluster name"),
    ("status", "health status"),
    ("node.total", "total number of nodes"),
    ("node.data", "number of nodes that can store data"),
    ("shards", "total number of shards"),
    ("pri", "number of primary shards"),
    ("relo", "number of relocating nodes"),
    ("init", "number of initializing nodes"),
    ("unassign", "number of unassigned shards"),
    ("unassign.pri", "number of unassigned primary shards"),
    ("pending_tasks", "number of pending tasks"),
    ("max_task_wait_time", "wait time of longest task pending"),
    (
        "active_shards_percent",
        "active number of shards in percent",
    ),
];

/// `?help`: each column of a table with its short names and what it holds, as ES lists them
/// (`name | aliases | description`, every cell padded to its column's width).
fn help_table(columns: &[&str], table_index: Option<&str>) -> Reply {
    let rows: Vec<[String; 3]> = columns
        .iter()
        .map(|c| {
            let aliases: Vec<&str> = COLUMN_ALIASES
                .iter()
                .filter(|(_, name)| name == c)
                .map(|(alias, _)| *alias)
                .collect();
            let desc = COLUMN_HELP
                .iter()
                .find(|(name, _)| name == c)
                .map_or("", |(_, d)| *d);
            // `index` is the index an alias points to in `_cat/aliases`
            let desc = match (table_index, *c) {
                (Some(d), "index") => d,
                _ => desc,
            };
            [(*c).to_owned(), aliases.join(","), desc.to_owned()]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    let mut text = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        text.push_str(&cells.join(" | "));
        text.push('\n');
    }
    Reply {
        status: StatusCode::OK,
        headers: vec![("content-type".into(), "text/plain; charset=UTF-8".into())],
        body: Body::Text(text),
    }
}

/// A `_cat` answer for fixed columns: `?format=json` (a list of objects of strings, an empty
/// cell as null) or the
/// aligned text table (`?v` adds the header; `numeric` columns are right-aligned, as ES
/// aligns them).
pub(crate) fn table(
    params: &Params,
    columns: &[&str],
    numeric: &[&str],
    rows: &[Vec<String>],
) -> Result<Reply, Error> {
    if p_bool(params, "help")? {
        let index = columns
            .contains(&"alias")
            .then_some("index alias points to");
        return Ok(help_table(columns, index));
    }
    let (shown, rows) = select(params, columns, numeric, rows)?;
    // a column keeps the name `h` gave it (ES's header), aligned by what it holds
    let names: Vec<&str> = shown.iter().map(|(name, _)| name.as_str()).collect();
    let numeric: Vec<&str> = shown
        .iter()
        .filter(|(_, i)| numeric.contains(&columns[*i]))
        .map(|(name, _)| name.as_str())
        .collect();
    render_table(params, &names, &numeric, &rows)
}

/// A column as `h` names it, with its position in the table.
type Shown = (String, usize);

/// The columns `h` names (`*` for all; ES's error for an unknown one) and the rows sorted by
/// `s` (`col` or `col:desc`, numbers compared as numbers), ties kept in order.
fn select(
    params: &Params,
    columns: &[&str],
    numeric: &[&str],
    rows: &[Vec<String>],
) -> Result<(Vec<Shown>, Vec<Vec<String>>), Error> {
    // a column by its name, or by one of ES's short names for it in this table
    let position = |c: &str| {
        columns.iter().position(|x| *x == c).or_else(|| {
            COLUMN_ALIASES
                .iter()
                .filter(|(alias, _)| *alias == c)
                .find_map(|(_, name)| columns.iter().position(|x| x == name))
        })
    };
    let all = || (0..columns.len()).map(|i| (columns[i].to_owned(), i));
    let picked: Vec<Shown> = match params.get("h") {
        None => all().collect(),
        Some(h) => {
            let mut out = Vec::new();
            for c in h.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if c == "*" {
                    out.extend(all());
                    continue;
                }
                let i = position(c).ok_or_else(|| {
                    Error::illegal_argument(format!("header name [{c}] does not exist in table"))
                })?;
                out.push((c.to_owned(), i));
            }
            out
        }
    };
    let mut sort = Vec::new();
    for spec in params.get("s").into_iter().flat_map(|s| s.split(',')) {
        let (col, dir) = spec.split_once(':').unwrap_or((spec, "asc"));
        let i = position(col).ok_or_else(|| {
            Error::illegal_argument(format!("Unable to sort by unknown sort key `{col}`"))
        })?;
        sort.push((i, numeric.contains(&columns[i]), descending(dir)?));
    }
    let mut rows = rows.to_vec();
    if !sort.is_empty() {
        rows.sort_by(|a, b| {
            for &(i, num, desc) in &sort {
                let (x, y) = (
                    a.get(i).map_or("", String::as_str),
                    b.get(i).map_or("", String::as_str),
                );
                let ord = if num {
                    let p = |v: &str| v.parse::<f64>().unwrap_or(f64::NEG_INFINITY);
                    p(x).total_cmp(&p(y))
                } else {
                    x.cmp(y)
                };
                let ord = if desc { ord.reverse() } else { ord };
                if ord.is_ne() {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let rows = rows
        .iter()
        .map(|r| {
            picked
                .iter()
                .map(|(_, i)| r.get(*i).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    Ok((picked, rows))
}

fn render_table(
    params: &Params,
    columns: &[&str],
    numeric: &[&str],
    rows: &[Vec<String>],
) -> Result<Reply, Error> {
    let json_out = match params.get("format") {
        None | Some("txt" | "text") => false,
        Some("json") => true,
        Some(other) => {
            return Err(Error::illegal_argument(format!(
                "_cat format [{other}] is not supported by sluice-store (use json or txt)"
            )));
        }
    };
    if json_out {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                let m: Map<String, Value> = columns
                    .iter()
                    .zip(r)
                    // an empty cell is ES's null (a template without a version)
                    .map(|(c, v)| {
                        let v = if v.is_empty() {
                            Value::Null
                        } else {
                            Value::from(v.clone())
                        };
                        ((*c).to_owned(), v)
                    })
                    .collect();
                Value::Object(m)
            })
            .collect();
        return Ok(Reply::json(StatusCode::OK, Value::Array(list)));
    }
    let mut lines: Vec<Vec<String>> = Vec::new();
    if p_bool(params, "v")? {
        lines.push(columns.iter().map(|c| (*c).to_owned()).collect());
    }
    lines.extend(rows.iter().cloned());
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            lines
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for r in &lines {
        // as ES's `RestTable`: every cell padded to its column's width except a left-aligned
        // last one (a closed index's empty figures are spaces, an alias line ends with its
        // last value)
        let last = columns.len().saturating_sub(1);
        let cells: Vec<String> = columns
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (name, w))| {
                // a row that stops short (a closed index has no figures) has empty cells
                let c = r.get(i).map_or("", String::as_str);
                if numeric.contains(name) {
                    format!("{c:>w$}")
                } else if i == last {
                    c.to_owned()
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        text.push_str(&cells.join(" "));
        text.push('\n');
    }
    Ok(Reply {
        status: StatusCode::OK,
        headers: vec![("content-type".into(), "text/plain; charset=UTF-8".into())],
        body: Body::Text(text),
    })
}

/// A `_cat` sort's direction: `asc` (false) or `desc` (true).
fn descending(dir: &str) -> Result<bool, Error> {
    match dir {
        "asc" => Ok(false),
        "desc" => Ok(true),
        other => Err(Error::illegal_argument(format!(
            "sort order [{other}] must be asc or desc"
        ))),
    }
}

fn p_bool(params: &Params, name: &str) -> Result<bool, Error> {
    params.bool(name, false)
}
