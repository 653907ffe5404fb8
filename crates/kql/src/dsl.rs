//! [`Ast`] → Elasticsearch query DSL, clause for clause as Kibana 8's `toElasticsearchQuery`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::ast::{Ast, Node, RangeOp, Term};

/// How to translate: what Kibana takes from the data view and from advanced settings.
///
/// ```
/// let mut options = kql::Options::default();
/// options.field_types.insert("@timestamp".into(), "date".into());
/// options.time_zone = Some("Europe/Paris".into());
/// let query = kql::translate("@timestamp >= now-1d", &options).unwrap();
/// assert_eq!(query["bool"]["should"][0]["range"]["@timestamp"]["time_zone"], "Europe/Paris");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Known fields and their types (the data view): an Elasticsearch mapping type (`date`,
    /// `date_nanos`, `keyword`, `text`, `long`, ...) or a Kibana type (`date`, `number`,
    /// `string`, ...). Used to expand wildcard field names (`user*:x` queries every known field
    /// that matches, in name order) and to choose clauses: a `date` or `date_nanos` field gets
    /// `range` queries (also for `field:value`, with `gte` = `lte` = value), a `keyword` field
    /// gets `term` and `wildcard` queries. A field that is not listed, or a wildcard that
    /// matches none, is queried by name as written. Default: empty.
    pub field_types: BTreeMap<String, String>,
    /// The `time_zone` of range queries on date fields (Kibana's `dateFormat:tz`), for example
    /// `Europe/Paris` or `+01:00`. Default: `None` (no `time_zone`, so UTC).
    pub time_zone: Option<String>,
    /// `case_insensitive` on the `term` and `wildcard` queries of keyword fields (Kibana's
    /// `caseInsensitive` option). Default: `None` (left out, so case-sensitive).
    pub case_insensitive: Option<bool>,
    /// Put `and` clauses in `bool.must` rather than `bool.filter` (Kibana's
    /// `filtersInMustClause`; `must` scores them). Default: `false`.
    pub filters_in_must_clause: bool,
    /// Accept values that start with `*` such as `*error` (Kibana's
    /// `query:allowLeadingWildcards`). A lone `*` is always accepted. Default: `true`.
    pub allow_leading_wildcards: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            field_types: BTreeMap::new(),
            time_zone: None,
            case_insensitive: None,
            filters_in_must_clause: false,
            allow_leading_wildcards: true,
        }
    }
}

/// What the options say about a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Keyword,
    Other,
}

impl Kind {
    fn of(type_name: &str) -> Kind {
        match type_name {
            "date" | "date_nanos" => Kind::Date,
            "keyword" => Kind::Keyword,
            _ => Kind::Other,
        }
    }
}

/// The Elasticsearch query for a parsed KQL query. See the crate documentation for the
/// translation of each construct.
pub fn to_dsl(ast: &Ast, options: &Options) -> Value {
    node(ast.root(), options)
}

fn node(node: &Node, options: &Options) -> Value {
    match node {
        Node::Or(children) => {
            let clauses: Vec<Value> = children.iter().map(|c| self::node(c, options)).collect();
            should(clauses)
        }
        Node::And(children) => {
            let key = if options.filters_in_must_clause {
                "must"
            } else {
                "filter"
            };
            let clauses: Vec<Value> = children.iter().map(|c| self::node(c, options)).collect();
            object("bool", object(key, Value::Array(clauses)))
        }
        Node::Not(child) => object("bool", object("must_not", self::node(child, options))),
        Node::Is { field, value } => is(field.as_ref(), value, options),
        Node::Range { field, op, value } => range(field, *op, value, options),
    }
}

/// Kibana's `is`: `field:value`, `field:*`, free text.
fn is(field: Option<&Term>, value: &Term, options: &Options) -> Value {
    let exists = value.is_lone_wildcard();
    let field = field.filter(|f| !matches!(f, Term::Null));
    if exists && field.is_some_and(Term::is_lone_wildcard) {
        return json!({ "match_all": {} });
    }
    let Some(field) = field else {
        if let Term::Wildcard(pieces) = value {
            return json!({ "query_string": { "query": query_string(pieces) } });
        }
        let kind = if value.is_quoted() {
            "phrase"
        } else {
            "best_fields"
        };
        return json!({ "multi_match": { "type": kind, "query": value.to_json(), "lenient": true } });
    };
    let clauses = fields(field, options)
        .into_iter()
        .map(|(name, kind)| is_on_field(name, kind, value, options))
        .collect();
    should(clauses)
}

fn is_on_field(name: String, kind: Kind, value: &Term, options: &Options) -> Value {
    if value.is_lone_wildcard() {
        return json!({ "exists": { "field": name } });
    }
    if let Term::Wildcard(pieces) = value {
        let pattern = query_string(pieces);
        if kind == Kind::Keyword {
            let mut params = Map::new();
            params.insert("value".into(), Value::String(pattern));
            insert_case_insensitive(&mut params, options);
            return object("wildcard", object(name, Value::Object(params)));
        }
        return json!({ "query_string": { "fields": [name], "query": pattern } });
    }
    match kind {
        Kind::Date => {
            let mut params = Map::new();
            params.insert("gte".into(), value.to_json());
            params.insert("lte".into(), value.to_json());
            insert_time_zone(&mut params, options);
            object("range", object(name, Value::Object(params)))
        }
        Kind::Keyword => {
            let mut params = Map::new();
            params.insert("value".into(), value.to_json());
            insert_case_insensitive(&mut params, options);
            object("term", object(name, Value::Object(params)))
        }
        Kind::Other => {
            let query = if value.is_quoted() {
                "match_phrase"
            } else {
                "match"
            };
            object(query, object(name, value.to_json()))
        }
    }
}

/// Kibana's `range`.
fn range(field: &Term, op: RangeOp, value: &Term, options: &Options) -> Value {
    let clauses = fields(field, options)
        .into_iter()
        .map(|(name, kind)| {
            let mut params = Map::new();
            params.insert(op.as_str().into(), value.to_json());
            if kind == Kind::Date {
                insert_time_zone(&mut params, options);
            }
            object("range", object(name, Value::Object(params)))
        })
        .collect();
    should(clauses)
}

/// The fields a field name stands for: the known fields it names or matches, else itself.
fn fields(field: &Term, options: &Options) -> Vec<(String, Kind)> {
    let known: Vec<(String, Kind)> = match field {
        Term::Wildcard(pieces) => options
            .field_types
            .iter()
            .filter(|(name, _)| glob_matches(pieces, name))
            .map(|(name, type_name)| (name.clone(), Kind::of(type_name)))
            .collect(),
        other => {
            let name = other.to_field_name();
            let kind = options.field_types.get(&name).map(|t| Kind::of(t));
            kind.map(|kind| (name, kind)).into_iter().collect()
        }
    };
    if known.is_empty() {
        return vec![(field.to_field_name(), Kind::Other)];
    }
    known
}

/// Whether `name` matches the wildcard whose literal pieces are `pieces` (stars between them).
pub(crate) fn glob_matches(pieces: &[String], name: &str) -> bool {
    let [first, middle @ .., last] = pieces else {
        return pieces.first().is_some_and(|p| p == name);
    };
    let Some(mut rest) = name.strip_prefix(first.as_str()) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece.as_str()) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last.as_str())
}

/// A wildcard as a `query_string` (or `wildcard`) pattern: each piece escaped, joined by `*`.
fn query_string(pieces: &[String]) -> String {
    let mut out = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        escape_query_string(piece, &mut out);
    }
    out
}

/// Kibana's `escapeQueryString`: a backslash before each character of
/// `/[+-=&|><!(){}[\]^"~*?:\\/]/`. The class's `+-=` is a range (`+` to `=`, so digits, `,`,
/// `.`, `/`, `:`, `;` and `<` too); Kibana escapes them all, so does this. A backslash before
/// a character that needs none means the character itself to `query_string`.
fn escape_query_string(piece: &str, out: &mut String) {
    for c in piece.chars() {
        if matches!(
            c,
            '+'..='='
                | '&'
                | '|'
                | '>'
                | '!'
                | '('
                | ')'
                | '{'
                | '}'
                | '['
                | ']'
                | '^'
                | '"'
                | '~'
                | '*'
                | '?'
                | '\\'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

fn insert_time_zone(params: &mut Map<String, Value>, options: &Options) {
    if let Some(tz) = &options.time_zone {
        params.insert("time_zone".into(), Value::String(tz.clone()));
    }
}

fn insert_case_insensitive(params: &mut Map<String, Value>, options: &Options) {
    if let Some(ci) = options.case_insensitive {
        params.insert("case_insensitive".into(), Value::Bool(ci));
    }
}

/// `{"bool": {"should": clauses, "minimum_should_match": 1}}`, also around a single clause
/// (as Kibana's `is` and `range` do).
fn should(clauses: Vec<Value>) -> Value {
    let mut body = Map::new();
    body.insert("should".into(), Value::Array(clauses));
    body.insert("minimum_should_match".into(), Value::from(1));
    object("bool", Value::Object(body))
}

fn object(key: impl Into<String>, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.into(), value);
    Value::Object(map)
}
