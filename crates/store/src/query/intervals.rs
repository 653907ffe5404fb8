//! Elasticsearch's `intervals` query on a `text` field: rules over the positions of terms —
//! `match` (analysed text, `ordered`, `max_gaps`), `all_of`, `any_of`, `prefix`, `wildcard`,
//! `fuzzy` — and the filters `containing`, `contained_by`, `not_containing`,
//! `not_contained_by`, `overlapping`, `not_overlapping`, `before` and `after`, as Lucene's
//! interval sources define them: a rule yields the minimal intervals `[start, end]` of term
//! positions where it holds, and a document matches when the rule yields one.
//!
//! A segment's candidates are the documents of any term a rule names (the expansions of
//! `prefix`, `wildcard` and `fuzzy` read from the segment's dictionary, at most 128 each, as
//! Lucene's limit); each is decided on the positions of those terms. A match scores
//! `boost × f / (f + 1)` with `f` the sum of `1 / (1 + width)` over the rule's intervals (hits
//! agree with Elasticsearch; scores are not compared). `script` filters, `analyzer` and
//! `use_field` are refused by name.

use serde_json::{Map, Value};
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::{Ctx, Fuzziness, as_str_value, boost_of, not_built, obj};
use crate::error::{Error, Result};
use crate::mapping::FieldType;

/// The most terms a `prefix`, `wildcard` or `fuzzy` rule expands to (Lucene's default).
const MAX_EXPANSIONS: usize = 128;

/// A rule as parsed (its text not yet analysed).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `match`: the analysed terms of `query`, in order or not, within `max_gaps` (-1: any).
    Match {
        /// The query text.
        query: String,
        /// `ordered`
        ordered: bool,
        /// `max_gaps`
        max_gaps: i64,
        /// `filter`
        filter: Option<Box<Filter>>,
    },
    /// `all_of`: every sub-rule, in order or not, within `max_gaps`.
    AllOf {
        /// `intervals`
        rules: Vec<Rule>,
        /// `ordered`
        ordered: bool,
        /// `max_gaps`
        max_gaps: i64,
        /// `filter`
        filter: Option<Box<Filter>>,
    },
    /// `any_of`: any sub-rule.
    AnyOf {
        /// `intervals`
        rules: Vec<Rule>,
        /// `filter`
        filter: Option<Box<Filter>>,
    },
    /// `prefix`: the terms starting with it.
    Prefix(String),
    /// `wildcard`: the terms matching the pattern (`*`, `?`).
    Wildcard(String),
    /// `fuzzy`: the terms within the edit distance.
    Fuzzy {
        /// `term`
        term: String,
        /// `fuzziness`
        fuzziness: Fuzziness,
        /// `prefix_length`
        prefix_length: usize,
        /// `transpositions`
        transpositions: bool,
    },
}

/// What a rule searches for, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    /// a `match` rule's text
    Text(&'a str),
    /// a `prefix`
    Prefix(&'a str),
    /// a `wildcard` pattern
    Wildcard(&'a str),
}

impl Rule {
    /// The texts, prefixes and patterns of this rule and its sub-rules (not of its filters,
    /// which only select intervals; `fuzzy` terms are not highlighted, as the `fuzzy` query's).
    pub fn wanted<'a>(&'a self, out: &mut Vec<Wanted<'a>>) {
        match self {
            Rule::Match { query, .. } => out.push(Wanted::Text(query)),
            Rule::AllOf { rules, .. } | Rule::AnyOf { rules, .. } => {
                for r in rules {
                    r.wanted(out);
                }
            }
            Rule::Prefix(p) => out.push(Wanted::Prefix(p)),
            Rule::Wildcard(p) => out.push(Wanted::Wildcard(p)),
            Rule::Fuzzy { .. } => {}
        }
    }
}

/// A rule's `filter`: which of its intervals are kept, by their relation to another rule's.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    kind: FilterKind,
    /// the filter's name as given (an unknown one is refused when the query is built, as ES)
    name: String,
    rule: Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FilterKind {
    Containing,
    ContainedBy,
    NotContaining,
    NotContainedBy,
    Overlapping,
    NotOverlapping,
    Before,
    After,
    Unknown,
}

/// Parses the body of `{"intervals": {"<field>": <rule>}}`: the field and its rule.
pub(super) fn parse(body: &Value) -> Result<(String, Rule, f32)> {
    let o = obj(body, "intervals")?;
    let mut it = o.iter();
    let (Some((field, spec)), None) = (it.next(), it.next()) else {
        return Err(Error::parsing(
            "[intervals] query malformed, expected exactly one field",
        ));
    };
    let spec = obj(spec, "intervals")?;
    let mut boost = 1.0;
    let mut rule = None;
    for (k, v) in spec {
        match k.as_str() {
            "boost" => boost = boost_of(v, "intervals")?,
            "_name" => {}
            _ if rule.is_none() => rule = Some(parse_rule(k, v)?),
            other => {
                return Err(Error::parsing(format!(
                    "Only one interval rule can be specified, found [{other}]"
                )));
            }
        }
    }
    let rule = rule.ok_or_else(|| {
        Error::parsing(format!(
            "Missing intervals from interval query definition for [{field}]"
        ))
    })?;
    Ok((field.clone(), rule, boost))
}

fn parse_rule(name: &str, v: &Value) -> Result<Rule> {
    let o = v.as_object().ok_or_else(|| {
        Error::parsing(format!(
            "Expected [START_OBJECT] for interval rule [{name}]"
        ))
    })?;
    match name {
        "match" => {
            let (mut query, mut ordered, mut max_gaps, mut filter) = (None, false, -1, None);
            for (k, v) in o {
                match k.as_str() {
                    "query" => query = Some(as_str_value(v)),
                    "ordered" => ordered = bool_of(name, k, v)?,
                    "max_gaps" => max_gaps = int_of(name, k, v)?,
                    "filter" => filter = Some(Box::new(parse_filter(v)?)),
                    other => return Err(unsupported(name, other)),
                }
            }
            let query = query.ok_or_else(|| missing(name, "query"))?;
            Ok(Rule::Match {
                query,
                ordered,
                max_gaps,
                filter,
            })
        }
        "all_of" | "any_of" => {
            let (mut rules, mut ordered, mut max_gaps, mut filter) = (None, false, -1, None);
            for (k, v) in o {
                match (k.as_str(), name) {
                    ("intervals", _) => rules = Some(parse_list(v)?),
                    ("ordered", "all_of") => ordered = bool_of(name, k, v)?,
                    ("max_gaps", "all_of") => max_gaps = int_of(name, k, v)?,
                    ("filter", _) => filter = Some(Box::new(parse_filter(v)?)),
                    (other, _) => return Err(unsupported(name, other)),
                }
            }
            let rules = rules.ok_or_else(|| missing(name, "intervals"))?;
            Ok(if name == "all_of" {
                Rule::AllOf {
                    rules,
                    ordered,
                    max_gaps,
                    filter,
                }
            } else {
                Rule::AnyOf { rules, filter }
            })
        }
        "prefix" | "wildcard" => {
            let key = if name == "prefix" {
                "prefix"
            } else {
                "pattern"
            };
            let mut value = None;
            for (k, v) in o {
                match k.as_str() {
                    k if k == key => value = Some(as_str_value(v)),
                    other => return Err(unsupported(name, other)),
                }
            }
            let value = value.ok_or_else(|| missing(name, key))?;
            Ok(if name == "prefix" {
                Rule::Prefix(value)
            } else {
                Rule::Wildcard(value)
            })
        }
        "fuzzy" => {
            let (mut term, mut fuzziness, mut prefix_length, mut transpositions) =
                (None, Fuzziness::Auto(3, 6), 0, true);
            for (k, v) in o {
                match k.as_str() {
                    "term" => term = Some(as_str_value(v)),
                    "fuzziness" => fuzziness = Fuzziness::parse(v)?,
                    "prefix_length" => {
                        prefix_length = usize::try_from(int_of(name, k, v)?).map_err(|_| {
                            Error::illegal_argument("[prefix_length] must be non-negative")
                        })?;
                    }
                    "transpositions" => transpositions = bool_of(name, k, v)?,
                    other => return Err(unsupported(name, other)),
                }
            }
            Ok(Rule::Fuzzy {
                term: term.ok_or_else(|| missing(name, "term"))?,
                fuzziness,
                prefix_length,
                transpositions,
            })
        }
        "regexp" | "range" => Err(Error::illegal_argument(format!(
            "[{name}] interval rules are not supported by sluice-store"
        ))),
        other => Err(Error::parsing(format!(
            "Unknown interval type [{other}], expecting one of [match, any_of, all_of, prefix, wildcard, fuzzy]"
        ))),
    }
}

fn parse_list(v: &Value) -> Result<Vec<Rule>> {
    let Value::Array(items) = v else {
        return Err(Error::parsing(
            "[intervals] must be an array of interval rules",
        ));
    };
    items
        .iter()
        .map(|it| {
            let o = it
                .as_object()
                .ok_or_else(|| Error::parsing("Expected [START_OBJECT] for an interval rule"))?;
            one_rule(o)
        })
        .collect()
}

fn one_rule(o: &Map<String, Value>) -> Result<Rule> {
    let mut it = o.iter();
    match (it.next(), it.next()) {
        (Some((k, v)), None) => parse_rule(k, v),
        _ => Err(Error::parsing("Expected exactly one interval rule")),
    }
}

fn parse_filter(v: &Value) -> Result<Filter> {
    let o = v
        .as_object()
        .ok_or_else(|| Error::parsing("Expected [START_OBJECT] for an interval filter"))?;
    let mut it = o.iter();
    let (Some((k, v)), None) = (it.next(), it.next()) else {
        return Err(Error::parsing("Expected exactly one interval filter"));
    };
    let kind = match k.as_str() {
        "containing" => FilterKind::Containing,
        "contained_by" => FilterKind::ContainedBy,
        "not_containing" => FilterKind::NotContaining,
        "not_contained_by" => FilterKind::NotContainedBy,
        "overlapping" => FilterKind::Overlapping,
        "not_overlapping" => FilterKind::NotOverlapping,
        "before" => FilterKind::Before,
        "after" => FilterKind::After,
        "script" => {
            return Err(Error::illegal_argument(
                "[script] interval filters are not supported by sluice-store",
            ));
        }
        _ => FilterKind::Unknown,
    };
    let o = v
        .as_object()
        .ok_or_else(|| Error::parsing(format!("Expected [START_OBJECT] for filter [{k}]")))?;
    Ok(Filter {
        kind,
        name: k.clone(),
        rule: one_rule(o)?,
    })
}

fn bool_of(rule: &str, key: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        _ => Err(Error::parsing(format!(
            "[{rule}] failed to parse field [{key}]: expected a boolean"
        ))),
    }
}

fn int_of(rule: &str, key: &str, v: &Value) -> Result<i64> {
    v.as_i64()
        .or_else(|| as_str_value(v).parse().ok())
        .ok_or_else(|| {
            Error::parsing(format!(
                "[{rule}] failed to parse field [{key}]: expected an integer"
            ))
        })
}

fn unsupported(rule: &str, key: &str) -> Error {
    match key {
        "analyzer" | "use_field" => Error::illegal_argument(format!(
            "[{key}] of the [{rule}] interval rule is not supported by sluice-store (rules use the field's own analysis)"
        )),
        _ => Error::parsing(format!("[{rule}] unknown token [{key}]")),
    }
}

fn missing(rule: &str, key: &str) -> Error {
    Error::parsing(format!("[{rule}] requires [{key}]"))
}

/// The first filter of an unknown type in `rule`.
fn unknown_filter(rule: &Rule) -> Option<&str> {
    let (subs, filter): (&[Rule], &Option<Box<Filter>>) = match rule {
        Rule::Match { filter, .. } => (&[], filter),
        Rule::AllOf { rules, filter, .. } | Rule::AnyOf { rules, filter } => (rules, filter),
        Rule::Prefix(_) | Rule::Wildcard(_) | Rule::Fuzzy { .. } => return None,
    };
    if let Some(f) = filter {
        if f.kind == FilterKind::Unknown {
            return Some(&f.name);
        }
        if let Some(n) = unknown_filter(&f.rule) {
            return Some(n);
        }
    }
    subs.iter().find_map(unknown_filter)
}

// ---- compiled rules ---------------------------------------------------------------------------

/// A rule over term leaves: `Leaf(i)` is the `i`-th leaf's positions.
#[derive(Debug, Clone)]
enum Node {
    Leaf(usize),
    Nothing,
    Ordered(Vec<Node>, i64),
    Unordered(Vec<Node>, i64),
    Or(Vec<Node>),
    Filtered(Box<Node>, FilterKind, Box<Node>),
}

/// What a leaf reads: one term, or the terms of the path an expansion accepts.
#[derive(Debug, Clone)]
enum Leaf {
    Term(Term),
    Prefix(String),
    Wildcard(String),
    Fuzzy {
        term: String,
        distance: u8,
        prefix_length: usize,
        transpositions: bool,
    },
}

/// The compiled query.
#[derive(Debug, Clone)]
pub(super) struct IntervalsQuery {
    field: Field,
    /// the serialized value bytes of the path's terms before their text
    path_prefix: Vec<u8>,
    leaves: Vec<Leaf>,
    root: Node,
}

/// Compiles `rule` on `field`, which must be a `text` field (ES's error otherwise).
pub(super) fn compile(ctx: &Ctx<'_>, field: &str, rule: &Rule) -> Result<Option<IntervalsQuery>> {
    let Some(fm) = ctx.mapping.field(field) else {
        return Ok(None);
    };
    if fm.ty != FieldType::Text {
        return Err(not_built(format!(
            "Can only use interval queries on text fields - not on [{field}] which is of type [{}]",
            fm.ty.name()
        )));
    }
    if let Some(name) = unknown_filter(rule) {
        return Err(not_built(format!("Unknown filter type [{name}]")));
    }
    let mut prefix = Term::from_field_json_path(ctx.fields.text, field, true);
    prefix.append_type_and_str("");
    let mut q = IntervalsQuery {
        field: ctx.fields.text,
        path_prefix: prefix.serialized_value_bytes().to_vec(),
        leaves: Vec::new(),
        root: Node::Nothing,
    };
    q.root = q.node(ctx, field, rule);
    Ok(Some(q))
}

impl IntervalsQuery {
    fn leaf(&mut self, l: Leaf) -> Node {
        self.leaves.push(l);
        Node::Leaf(self.leaves.len() - 1)
    }

    fn node(&mut self, ctx: &Ctx<'_>, field: &str, rule: &Rule) -> Node {
        let normalized = |s: &str| s.to_lowercase();
        let (node, filter) = match rule {
            Rule::Match {
                query,
                ordered,
                max_gaps,
                filter,
            } => {
                let terms: Vec<Node> = super::text_terms(ctx, field, query)
                    .into_iter()
                    .map(|t| self.leaf(Leaf::Term(t)))
                    .collect();
                let node = match terms.len() {
                    0 => Node::Nothing,
                    1 => terms.into_iter().next().unwrap_or(Node::Nothing),
                    _ if *ordered => Node::Ordered(terms, *max_gaps),
                    _ => Node::Unordered(terms, *max_gaps),
                };
                (node, filter)
            }
            Rule::AllOf {
                rules,
                ordered,
                max_gaps,
                filter,
            } => {
                let subs: Vec<Node> = rules.iter().map(|r| self.node(ctx, field, r)).collect();
                let node = if *ordered {
                    Node::Ordered(subs, *max_gaps)
                } else {
                    Node::Unordered(subs, *max_gaps)
                };
                (node, filter)
            }
            Rule::AnyOf { rules, filter } => {
                let subs = rules.iter().map(|r| self.node(ctx, field, r)).collect();
                (Node::Or(subs), filter)
            }
            Rule::Prefix(p) => (self.leaf(Leaf::Prefix(normalized(p))), &None),
            Rule::Wildcard(p) => (self.leaf(Leaf::Wildcard(normalized(p))), &None),
            Rule::Fuzzy {
                term,
                fuzziness,
                prefix_length,
                transpositions,
            } => {
                let term = normalized(term);
                let distance = fuzziness.distance(term.chars().count());
                let leaf = Leaf::Fuzzy {
                    term,
                    distance,
                    prefix_length: *prefix_length,
                    transpositions: *transpositions,
                };
                (self.leaf(leaf), &None)
            }
        };
        match filter {
            None => node,
            Some(f) => {
                let other = self.node(ctx, field, &f.rule);
                Node::Filtered(Box::new(node), f.kind, Box::new(other))
            }
        }
    }
}

impl Query for IntervalsQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for IntervalsQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inv = reader.inverted_index(self.field)?;
        let mut postings: Vec<Vec<SegmentPostings>> = Vec::with_capacity(self.leaves.len());
        for leaf in &self.leaves {
            let mut list = Vec::new();
            if let Leaf::Term(t) = leaf {
                if let Some(p) = inv.read_postings(t, IndexRecordOption::WithFreqsAndPositions)? {
                    list.push(p);
                }
            } else {
                let mut stream = inv.terms().range().ge(&self.path_prefix).into_stream()?;
                while stream.advance() {
                    let Some(text) = stream.key().strip_prefix(self.path_prefix.as_slice()) else {
                        break;
                    };
                    let Ok(text) = std::str::from_utf8(text) else {
                        continue;
                    };
                    if accepts(leaf, text) {
                        if list.len() == MAX_EXPANSIONS {
                            return Err(tantivy::TantivyError::InvalidArgument(format!(
                                "an interval rule expanded to more than {MAX_EXPANSIONS} terms"
                            )));
                        }
                        list.push(inv.read_postings_from_terminfo(
                            stream.value(),
                            IndexRecordOption::WithFreqsAndPositions,
                        )?);
                    }
                }
            }
            postings.push(list);
        }
        let mut s = IntervalsScorer {
            root: self.root.clone(),
            postings,
            doc: 0,
            score: 0.0,
            boost,
            positions: Vec::new(),
        };
        s.doc = s.find(0);
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        super::explain_score(self, reader, doc, "intervals")
    }
}

/// Whether an expansion leaf takes the term `text`.
fn accepts(leaf: &Leaf, text: &str) -> bool {
    match leaf {
        Leaf::Term(_) => false,
        Leaf::Prefix(p) => text.starts_with(p.as_str()),
        Leaf::Wildcard(p) => glob(p, text),
        Leaf::Fuzzy {
            term,
            distance,
            prefix_length,
            transpositions,
        } => {
            let (a, b): (Vec<char>, Vec<char>) = (term.chars().collect(), text.chars().collect());
            let keep = (*prefix_length).min(a.len());
            b.len() >= keep
                && a[..keep] == b[..keep]
                && edit_distance(&a[keep..], &b[keep..], *transpositions) <= usize::from(*distance)
        }
    }
}

/// Lucene's wildcard syntax: `*` any run, `?` one character, `\` escapes.
fn glob(pattern: &str, text: &str) -> bool {
    let mut p: Vec<(char, bool)> = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => p.push((it.next().unwrap_or('\\'), true)),
            c => p.push((c, false)),
        }
    }
    let t: Vec<char> = text.chars().collect();
    super::glob_by(
        &p,
        &t,
        |x| *x == ('*', false),
        |x| *x == ('?', false),
        |x, c| x.0 == c,
    )
}

/// Levenshtein distance, with adjacent transpositions counted as one edit when asked (optimal
/// string alignment, as Lucene's automata).
fn edit_distance(a: &[char], b: &[char], transpositions: bool) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

// ---- intervals ----------------------------------------------------------------------------------

/// `[start, end]` in token positions, with the gaps inside it (positions no sub-interval took).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Iv {
    start: u32,
    end: u32,
    gaps: u32,
}

impl Iv {
    fn width(self) -> u32 {
        self.end - self.start + 1
    }
}

/// Keeps the minimal intervals (none containing another), sorted by start.
fn minimize(mut v: Vec<Iv>) -> Vec<Iv> {
    v.sort_by_key(|x| (x.start, x.end, x.gaps));
    v.dedup_by_key(|x| (x.start, x.end));
    let all = v.clone();
    v.retain(|x| {
        !all.iter()
            .any(|y| (y.start, y.end) != (x.start, x.end) && x.start <= y.start && y.end <= x.end)
    });
    v
}

fn within(v: Vec<Iv>, max_gaps: i64) -> Vec<Iv> {
    match u32::try_from(max_gaps) {
        Ok(max) => v.into_iter().filter(|x| x.gaps <= max).collect(),
        Err(_) => v,
    }
}

/// Each sub-rule's interval after the previous one's, without overlap.
fn ordered(subs: &[Vec<Iv>], max_gaps: i64) -> Vec<Iv> {
    let Some((first, rest)) = subs.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    'start: for a in first {
        let (mut end, mut gaps) = (a.end, a.gaps);
        for sub in rest {
            // the next interval that ends first (latest start among those)
            let Some(b) = sub
                .iter()
                .filter(|b| b.start > end)
                .min_by_key(|b| (b.end, std::cmp::Reverse(b.start)))
            else {
                continue 'start;
            };
            gaps += b.start - end - 1 + b.gaps;
            end = b.end;
        }
        out.push(Iv {
            start: a.start,
            end,
            gaps,
        });
    }
    within(minimize(out), max_gaps)
}

/// An interval of each sub-rule, in any order.
fn unordered(subs: &[Vec<Iv>], max_gaps: i64) -> Vec<Iv> {
    if subs.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        'anchor: for a in sub {
            let (mut end, mut covered) = (a.end, a.width());
            for (j, other) in subs.iter().enumerate() {
                if j == i {
                    continue;
                }
                let Some(b) = other
                    .iter()
                    .filter(|b| b.start >= a.start && (b.start, b.end) != (a.start, a.end))
                    .min_by_key(|b| (b.end, std::cmp::Reverse(b.start)))
                else {
                    continue 'anchor;
                };
                end = end.max(b.end);
                covered += b.width();
            }
            let width = end - a.start + 1;
            out.push(Iv {
                start: a.start,
                end,
                gaps: width.saturating_sub(covered),
            });
        }
    }
    within(minimize(out), max_gaps)
}

fn filtered(source: Vec<Iv>, kind: FilterKind, other: &[Iv]) -> Vec<Iv> {
    let holds = |s: &Iv, f: &Iv| match kind {
        FilterKind::Containing | FilterKind::NotContaining => s.start <= f.start && f.end <= s.end,
        FilterKind::ContainedBy | FilterKind::NotContainedBy => {
            f.start <= s.start && s.end <= f.end
        }
        FilterKind::Overlapping | FilterKind::NotOverlapping => {
            s.start <= f.end && f.start <= s.end
        }
        FilterKind::Before => s.end < f.start,
        FilterKind::After => s.start > f.end,
        // refused before the query is built
        FilterKind::Unknown => false,
    };
    let negated = matches!(
        kind,
        FilterKind::NotContaining | FilterKind::NotContainedBy | FilterKind::NotOverlapping
    );
    source
        .into_iter()
        .filter(|s| other.iter().any(|f| holds(s, f)) != negated)
        .collect()
}

fn evaluate(node: &Node, leaves: &[Vec<Iv>]) -> Vec<Iv> {
    match node {
        Node::Leaf(i) => leaves.get(*i).cloned().unwrap_or_default(),
        Node::Nothing => Vec::new(),
        Node::Ordered(subs, g) => {
            let v: Vec<Vec<Iv>> = subs.iter().map(|s| evaluate(s, leaves)).collect();
            ordered(&v, *g)
        }
        Node::Unordered(subs, g) => {
            let v: Vec<Vec<Iv>> = subs.iter().map(|s| evaluate(s, leaves)).collect();
            unordered(&v, *g)
        }
        Node::Or(subs) => {
            let mut v: Vec<Iv> = subs.iter().flat_map(|s| evaluate(s, leaves)).collect();
            v.sort_by_key(|x| (x.start, x.end));
            v.dedup_by_key(|x| (x.start, x.end));
            v
        }
        Node::Filtered(source, kind, other) => {
            let f = evaluate(other, leaves);
            filtered(evaluate(source, leaves), *kind, &f)
        }
    }
}

struct IntervalsScorer {
    root: Node,
    /// per leaf, the postings of its terms
    postings: Vec<Vec<SegmentPostings>>,
    doc: DocId,
    score: Score,
    boost: Score,
    positions: Vec<u32>,
}

impl IntervalsScorer {
    /// The first matching document at or after `from` (its score kept), or `TERMINATED`.
    fn find(&mut self, from: DocId) -> DocId {
        let mut target = from;
        loop {
            let mut doc = TERMINATED;
            for p in self.postings.iter_mut().flatten() {
                if p.doc() < target {
                    p.seek(target);
                }
                doc = doc.min(p.doc());
            }
            if doc == TERMINATED {
                return TERMINATED;
            }
            let mut leaves: Vec<Vec<Iv>> = Vec::with_capacity(self.postings.len());
            for list in &mut self.postings {
                let mut ivs = Vec::new();
                for p in list.iter_mut().filter(|p| p.doc() == doc) {
                    self.positions.clear();
                    p.positions(&mut self.positions);
                    ivs.extend(self.positions.iter().map(|&pos| Iv {
                        start: pos,
                        end: pos,
                        gaps: 0,
                    }));
                }
                ivs.sort_by_key(|x| x.start);
                ivs.dedup();
                leaves.push(ivs);
            }
            let found = evaluate(&self.root, &leaves);
            if !found.is_empty() {
                let freq: f32 = found.iter().map(|x| 1.0 / (1.0 + x.width() as f32)).sum();
                self.score = self.boost * freq / (freq + 1.0);
                return doc;
            }
            target = doc + 1;
        }
    }
}

impl DocSet for IntervalsScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.find(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.find(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.postings
            .iter()
            .flatten()
            .map(SegmentPostings::size_hint)
            .max()
            .unwrap_or(0)
    }
}

impl Scorer for IntervalsScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start: u32, end: u32) -> Iv {
        Iv {
            start,
            end,
            gaps: 0,
        }
    }

    fn terms(p: &[u32]) -> Vec<Iv> {
        p.iter().map(|&x| iv(x, x)).collect()
    }

    #[test]
    fn ordered_and_unordered_take_minimal_intervals_and_count_gaps() {
        // "outside it is cold and wet": outside 0, cold 3
        let (cold, outside) = (terms(&[3]), terms(&[0]));
        assert!(ordered(&[cold.clone(), outside.clone()], -1).is_empty());
        let u = unordered(&[cold.clone(), outside.clone()], -1);
        assert_eq!(
            u,
            vec![Iv {
                start: 0,
                end: 3,
                gaps: 2
            }]
        );
        assert!(unordered(&[cold, outside], 1).is_empty());
        // "cold x outside cold outside": two chains, the shorter one minimal
        let o = ordered(&[terms(&[0, 3]), terms(&[2, 4])], -1);
        assert_eq!(
            o,
            vec![
                Iv {
                    start: 0,
                    end: 2,
                    gaps: 1
                },
                Iv {
                    start: 3,
                    end: 4,
                    gaps: 0
                }
            ]
        );
        assert_eq!(ordered(&[terms(&[0, 3]), terms(&[2, 4])], 0).len(), 1);
    }

    #[test]
    fn filters_relate_intervals() {
        let src = vec![iv(0, 3), iv(5, 6)];
        let other = terms(&[2]);
        assert_eq!(
            filtered(src.clone(), FilterKind::Containing, &other),
            vec![iv(0, 3)]
        );
        assert_eq!(
            filtered(src.clone(), FilterKind::NotContaining, &other),
            vec![iv(5, 6)]
        );
        assert_eq!(
            filtered(src.clone(), FilterKind::After, &other),
            vec![iv(5, 6)]
        );
        assert!(filtered(src, FilterKind::Before, &other).is_empty());
    }

    #[test]
    fn expansions_match_as_lucene_does() {
        assert!(glob("out?ide", "outside"));
        assert!(glob("o*e", "outside"));
        assert!(!glob("out?ide", "outsidee"));
        assert!(glob("a\\*b", "a*b") && !glob("a\\*b", "axb"));
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&chars("cald"), &chars("cold"), true), 1);
        assert_eq!(edit_distance(&chars("ocld"), &chars("cold"), true), 1);
        assert_eq!(edit_distance(&chars("ocld"), &chars("cold"), false), 2);
    }

    #[test]
    fn rules_parse_and_refuse_what_is_not_supported() {
        let (field, rule, _) = parse(&serde_json::json!({"text": {"all_of": {
            "intervals": [{"match": {"query": "a b", "ordered": true}}, {"prefix": {"prefix": "c"}}],
            "max_gaps": 2,
            "filter": {"not_containing": {"match": {"query": "d"}}}}}}))
        .unwrap();
        assert_eq!(field, "text");
        assert!(matches!(rule, Rule::AllOf { max_gaps: 2, .. }));
        for bad in [
            serde_json::json!({"t": {"match": {"query": "a", "analyzer": "simple"}}}),
            serde_json::json!({"t": {"match": {"query": "a", "filter": {"script": {}}}}}),
            serde_json::json!({"t": {"nope": {}}}),
            serde_json::json!({"t": {"regexp": {"pattern": "a.*"}}}),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }
}
