//! Kibana Query Language (KQL) → Elasticsearch query DSL, the way Kibana 8 translates it.
//!
//! [`translate`] takes what a user types in Kibana's search bar and returns the query Kibana
//! would send:
//!
//! ```
//! use serde_json::json;
//!
//! let options = kql::Options::default();
//! let query = kql::translate("level:error and not user:admin*", &options).unwrap();
//! assert_eq!(query, json!({"bool": {"filter": [
//!     {"bool": {"should": [{"match": {"level": "error"}}], "minimum_should_match": 1}},
//!     {"bool": {"must_not":
//!         {"bool": {"should": [{"query_string": {"fields": ["user"], "query": "admin*"}}],
//!                   "minimum_should_match": 1}}}},
//! ]}}));
//! ```
//!
//! The two halves are public too: [`parse`] gives an [`Ast`] (Kibana's node tree: [`Node`]s
//! over [`Term`]s), [`to_dsl`] turns it into a query. [`Options`] carries what Kibana takes
//! from the data view and its advanced settings: field types (so `@timestamp:2024-05-01`
//! becomes a `range`, `user*:x` expands to the known `user*` fields, `keyword` fields get
//! `term` queries), the time zone of date ranges, and a few switches.
//!
//! A query Kibana would reject fails with an [`Error`] carrying a byte offset and a line and
//! column, and a message in Kibana's words:
//!
//! ```
//! let err = kql::parse("level:").unwrap_err();
//! assert_eq!((err.offset(), err.line(), err.column()), (6, 1, 7));
//! assert_eq!(
//!     err.to_string(),
//!     r#"syntax error at line 1, column 7: expected "(", "{", value, whitespace but end of input found"#,
//! );
//! ```
//!
//! # The language
//!
//! Kibana's grammar, with its quirks:
//!
//! - `field:value`, `field:"a phrase"`, and `value` or `"a phrase"` alone (every field).
//!   An unquoted value runs across spaces up to a keyword, a special character or the end:
//!   `message:disk full` is the one value `disk full` (a `match`, so either word matches).
//! - `and`, `or`, `not` in any case, with spaces around them; `not` binds tightest, then
//!   `and`, then `or`; parentheses group. `not` applies to one expression or a parenthesised
//!   group (`not not x` is an error, `not (not x)` is not). A word that ends in "not" before a
//!   space (`cannot connect`) stops the value there and is an error, as in Kibana; quote it.
//! - `field:(a or b and not c)` applies the field to every value of the list.
//! - `*` in an unquoted value is a wildcard (`user:adm*`); `field:*` means the field exists;
//!   `*:*` and the empty query match everything. Field names may hold wildcards too (`user*:x`).
//! - `field > 3`, `>=`, `<`, `<=`; the value may be quoted (`@timestamp < "2024-05-01T10:00"`,
//!   needed as soon as it holds a `:`).
//! - Backslash escapes: `\\`, `\(`, `\)`, `\:`, `\<`, `\>`, `\"`, `\*`, `\{`, `\}`, `\t`, `\r`,
//!   `\n`, `\uXXXX`, and `\or`, `\and`, `\not` for a keyword taken as text. Beware, as in Kibana,
//!   that `\n` wins over `\not` (`\not` is a newline and `ot`): write `\NOT` or `\Not`. A value
//!   is trimmed after escapes are resolved, so escaped whitespace at its ends disappears. In quotes only `\"`, `\\`, `\t`, `\r`,
//!   `\n` and `\uXXXX` are escapes; any other backslash is kept.
//! - Unquoted `true`, `false` and `null` are JSON booleans and null; numbers stay strings.
//! - `field:{ ... }` (nested documents) is refused with [`Error::NestedUnsupported`].
//!
//! Limits: [`MAX_QUERY_LEN`] bytes of text and [`MAX_DEPTH`] levels of parentheses.
//!
//! # The translation
//!
//! | KQL | query DSL |
//! |---|---|
//! | empty, `*`:`*` | `{"match_all": {}}` |
//! | `a or b` | `{"bool": {"should": [A, B], "minimum_should_match": 1}}` |
//! | `a and b` | `{"bool": {"filter": [A, B]}}` (`must` with [`Options::filters_in_must_clause`]) |
//! | `not a` | `{"bool": {"must_not": A}}` |
//! | `f:v` | `{"bool": {"should": [{"match": {"f": "v"}}], "minimum_should_match": 1}}` |
//! | `f:"v w"` | the same with `match_phrase` |
//! | `f:v*` | the same with `{"query_string": {"fields": ["f"], "query": "v*"}}` |
//! | `f:*` | the same with `{"exists": {"field": "f"}}` |
//! | `f > v` | the same with `{"range": {"f": {"gt": "v"}}}` |
//! | `v`, `"v w"` | `{"multi_match": {"type": "best_fields" or "phrase", "query": "v", "lenient": true}}` |
//! | `v*` | `{"query_string": {"query": "v*"}}` |
//!
//! With [`Options::field_types`]: a `date` field's `f:v` is `{"range": {"f": {"gte": "v",
//! "lte": "v"}}}` and its ranges get [`Options::time_zone`]; a `keyword` field's `f:v` is
//! `{"term": {"f": {"value": "v"}}}` and its `f:v*` is `{"wildcard": {"f": {"value": "v*"}}}`;
//! a wildcard field name puts one clause per matching field in the `should`.
//!
//! Wildcard values are escaped for `query_string` except for their `*`s, exactly as Kibana
//! escapes them (including digits, `.`, `,`, `-` and `/`, from a character range in Kibana's
//! escaping pattern; `\2` means `2` to `query_string`).

mod ast;
mod dsl;
mod error;
mod parser;

pub use ast::{Ast, Node, RangeOp, Term};
pub use dsl::{Options, to_dsl};
pub use error::{Error, Position, Result};

/// The longest query text accepted, in bytes: 64 KiB.
pub const MAX_QUERY_LEN: usize = 64 * 1024;

/// The most parentheses open at once (query groups and value lists together): 100.
pub const MAX_DEPTH: usize = 100;

/// Parse KQL text with the default options (leading wildcards allowed).
pub fn parse(text: &str) -> Result<Ast> {
    parser::parse(text, true)
}

/// Parse KQL text; only [`Options::allow_leading_wildcards`] matters here.
pub fn parse_with(text: &str, options: &Options) -> Result<Ast> {
    parser::parse(text, options.allow_leading_wildcards)
}

/// Parse KQL text and translate it to the Elasticsearch query DSL.
pub fn translate(text: &str, options: &Options) -> Result<serde_json::Value> {
    let ast = parse_with(text, options)?;
    Ok(to_dsl(&ast, options))
}

#[cfg(test)]
mod tests;
