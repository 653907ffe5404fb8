//! `highlight`: the terms a query matches, marked in the hit's `_source` text, in the manner of
//! ES's plain highlighter.
//!
//! The query is walked once per request ([`Highlight::terms`]) for what each clause matches
//! (`match` and `query_string` words and phrases, `term`, `prefix`, `wildcard`, `multi_match`;
//! never `must_not`); each highlighted value is then tokenised as the index analyses it (text:
//! the standard analyzer with offsets; keyword: the whole value as one token), matching tokens
//! are wrapped in `pre_tags`/`post_tags`, and the value is cut into fragments of about
//! `fragment_size` characters at token boundaries. Fragments without a match are dropped; the
//! best `number_of_fragments` are returned in text order (`order: score`: best first), and `0`
//! returns each matching value whole.

use crate::analysis::Analyzer;
use serde_json::{Map, Value};

use crate::engine::util::wildcard_match;
use crate::error::{Error, Result};
use crate::mapping::{FieldType, Mapping};
use crate::query::{self, Q};

/// Options a highlight field takes (top level: the defaults of every field).
#[derive(Debug, Clone, Default, PartialEq)]
struct Raw {
    pre_tags: Option<Vec<String>>,
    post_tags: Option<Vec<String>>,
    fragment_size: Option<usize>,
    number_of_fragments: Option<usize>,
    require_field_match: Option<bool>,
    order_score: Option<bool>,
    no_match_size: Option<usize>,
    html: Option<bool>,
    /// `type: plain` (else unified, the default): plain re-analyzes every value, unified
    /// reads the offsets a field indexed with `index_options: offsets` keeps
    plain: Option<bool>,
    query: Option<Q>,
}

impl Raw {
    fn or(&self, d: &Raw) -> Raw {
        Raw {
            pre_tags: self.pre_tags.clone().or_else(|| d.pre_tags.clone()),
            post_tags: self.post_tags.clone().or_else(|| d.post_tags.clone()),
            fragment_size: self.fragment_size.or(d.fragment_size),
            number_of_fragments: self.number_of_fragments.or(d.number_of_fragments),
            require_field_match: self.require_field_match.or(d.require_field_match),
            order_score: self.order_score.or(d.order_score),
            no_match_size: self.no_match_size.or(d.no_match_size),
            html: self.html.or(d.html),
            plain: self.plain.or(d.plain),
            query: self.query.clone().or_else(|| d.query.clone()),
        }
    }
}

/// `index.highlight.max_analyzed_offset`'s default (ES's).
pub(crate) const MAX_ANALYZED_OFFSET: usize = 1_000_000;

/// Options ES's highlighters take that this one does not implement: refused by name.
const UNSUPPORTED: &[&str] = &[
    "boundary_chars",
    "boundary_max_scan",
    "boundary_scanner",
    "boundary_scanner_locale",
    "force_source",
    "fragmenter",
    "fragment_offset",
    "highlight_filter",
    "matched_fields",
    "max_analyzed_offset",
    "phrase_limit",
    "tags_schema",
];

/// A parsed `highlight` section.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Highlight {
    defaults: Raw,
    /// `(name or pattern, its own options)` in request order
    fields: Vec<(String, Raw)>,
}

fn usize_opt(ctx: &str, k: &str, v: &Value) -> Result<usize> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .map(|x| x as usize)
        .ok_or_else(|| {
            Error::x_content(format!(
                "[{ctx}] failed to parse field [{k}]: expected a non-negative integer, found [{v}]"
            ))
        })
}

fn tags(ctx: &str, k: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>(),
        Value::String(s) => Some(vec![s.clone()]),
        _ => None,
    }
    .ok_or_else(|| {
        Error::x_content(format!(
            "[{ctx}] {k} doesn't support values of type: {}",
            super::token_name(v)
        ))
    })
}

fn parse_raw(ctx: &str, o: &Map<String, Value>, top: bool) -> Result<Raw> {
    let mut r = Raw::default();
    for (k, v) in o {
        match k.as_str() {
            "fields" if top => {}
            "pre_tags" => r.pre_tags = Some(tags(ctx, k, v)?),
            "post_tags" => r.post_tags = Some(tags(ctx, k, v)?),
            "fragment_size" => r.fragment_size = Some(usize_opt(ctx, k, v)?),
            "number_of_fragments" => r.number_of_fragments = Some(usize_opt(ctx, k, v)?),
            "no_match_size" => r.no_match_size = Some(usize_opt(ctx, k, v)?),
            "require_field_match" => {
                r.require_field_match = Some(v.as_bool().ok_or_else(|| {
                    Error::x_content(format!(
                        "[{ctx}] require_field_match doesn't support values of type: {}",
                        super::token_name(v)
                    ))
                })?);
            }
            "type" => match v.as_str() {
                Some(t @ ("plain" | "unified")) => r.plain = Some(t == "plain"),
                Some("fvh") => {
                    return Err(Error::illegal_argument(
                        "[highlight] type [fvh] is not supported by sluice-store (use plain or unified)",
                    ));
                }
                _ => {
                    return Err(Error::illegal_argument(format!(
                        "unknown highlighter type [{}] for the field",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )));
                }
            },
            "order" => match v.as_str() {
                Some("score") => r.order_score = Some(true),
                Some("none") => r.order_score = Some(false),
                _ => {
                    return Err(Error::illegal_argument(format!(
                        "Unknown Order [{}]",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )));
                }
            },
            "encoder" => match v.as_str() {
                Some("default") => r.html = Some(false),
                Some("html") => r.html = Some(true),
                _ => {
                    return Err(Error::illegal_argument(format!(
                        "Unknown encoder [{}]",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )));
                }
            },
            "highlight_query" => r.query = Some(query::parse(v)?),
            other if UNSUPPORTED.contains(&other) => {
                return Err(Error::illegal_argument(format!(
                    "[highlight] option [{other}] is not supported by sluice-store"
                )));
            }
            other => {
                return Err(Error::x_content(format!("[{ctx}] unknown field [{other}]")));
            }
        }
    }
    Ok(r)
}

impl Highlight {
    /// Parses the `highlight` object of a search body.
    pub(crate) fn parse(v: &Value) -> Result<Highlight> {
        let o = v
            .as_object()
            .ok_or_else(|| Error::parsing("[highlight] must be an object"))?;
        let defaults = parse_raw("highlight", o, true)?;
        let mut fields = Vec::new();
        let mut add = |name: &str, spec: &Value| -> Result<()> {
            let so = spec.as_object().ok_or_else(|| {
                Error::x_content(format!("[highlight_field] {name} must be an object"))
            })?;
            fields.push((name.to_owned(), parse_raw("highlight_field", so, false)?));
            Ok(())
        };
        match o.get("fields") {
            Some(Value::Object(m)) => {
                for (name, spec) in m {
                    add(name, spec)?;
                }
            }
            Some(Value::Array(a)) => {
                for item in a {
                    let m = item.as_object().filter(|m| m.len() == 1).ok_or_else(|| {
                        Error::parsing(
                            "If highlighter fields is an array it must contain objects containing a single field",
                        )
                    })?;
                    for (name, spec) in m {
                        add(name, spec)?;
                    }
                }
            }
            Some(other) => {
                return Err(Error::x_content(format!(
                    "[highlight] fields doesn't support values of type: {}",
                    super::token_name(other)
                )));
            }
            None => {
                return Err(Error::illegal_argument(
                    "Highlighter global fields must be defined",
                ));
            }
        }
        Ok(Highlight { defaults, fields })
    }

    /// What the query (and each field's `highlight_query`) matches, gathered once per request.
    pub(crate) fn terms(&self, q: &Q) -> Terms {
        let mut main = Vec::new();
        extract(q, None, &mut main);
        let per_field = self
            .fields
            .iter()
            .map(|(_, raw)| {
                raw.or(&self.defaults).query.map(|hq| {
                    let mut v = Vec::new();
                    extract(&hq, None, &mut v);
                    v
                })
            })
            .collect();
        Terms { main, per_field }
    }

    /// The hit's `highlight` object: field → fragments, only for fields with a match.
    ///
    /// # Errors
    /// ES's refusal of a value longer than `index.highlight.max_analyzed_offset` that would be
    /// analyzed again (by the plain highlighter, or a field without indexed offsets).
    pub(crate) fn render(
        &self,
        terms: &Terms,
        src: &Value,
        mapping: &Mapping,
        analyzer: &Analyzer,
        limit: (usize, &str, u32),
    ) -> crate::error::Result<Map<String, Value>> {
        let (max_offset, index, doc) = limit;
        let mut out = Map::new();
        for (i, (pattern, raw)) in self.fields.iter().enumerate() {
            let opts = raw.or(&self.defaults);
            let matchers = terms.per_field[i].as_ref().unwrap_or(&terms.main);
            for path in paths(pattern, mapping) {
                if out.contains_key(&path) {
                    continue;
                }
                let Some((ty, ignore_above, offsets)) = mapping.field(&path).map(|f| {
                    (
                        f.ty,
                        f.ignore_above,
                        f.shown.get("index_options").and_then(Value::as_str) == Some("offsets"),
                    )
                }) else {
                    continue;
                };
                let relevant: Vec<&Matcher> = matchers
                    .iter()
                    .filter(|m| {
                        !opts.require_field_match.unwrap_or(true)
                            || m.fields.iter().any(|f| wildcard_match(f, &path))
                    })
                    .collect();
                let mut values =
                    super::fields::source_values(src, super::fields::source_path(&path, mapping));
                // a keyword beyond `ignore_above` was not indexed: nothing of it is highlighted
                if let Some(n) = ignore_above.filter(|_| ty == FieldType::Keyword) {
                    values.retain(|v| v.as_str().is_none_or(|s| s.chars().count() <= n));
                }
                if ty == FieldType::Text && (opts.plain == Some(true) || !offsets) {
                    for v in &values {
                        let len = v.as_str().map_or(0, |s| s.encode_utf16().count());
                        if len > max_offset {
                            return Err(crate::search::all_shards_failed(Error::illegal_argument(
                                format!(
                                    "The length [{len}] of field [{path}] in doc[{doc}]/index[{index}] exceeds the [index.highlight.max_analyzed_offset] limit [{max_offset}]. To avoid this error, set the query parameter [max_analyzed_offset] to a value less than index setting [{max_offset}] and this will tolerate long field values by truncating them."
                                ),
                            )));
                        }
                    }
                }
                let frags = highlight_values(&values, ty, &relevant, &opts, analyzer);
                if !frags.is_empty() {
                    out.insert(
                        path,
                        Value::Array(frags.into_iter().map(Value::from).collect()),
                    );
                }
            }
        }
        Ok(out)
    }
}

/// Text and keyword fields a highlight name or pattern covers.
fn paths(pattern: &str, mapping: &Mapping) -> Vec<String> {
    let candidates = if pattern.contains('*') {
        mapping.matching_paths(pattern)
    } else {
        vec![pattern.to_owned()]
    };
    candidates
        .into_iter()
        .filter(|p| {
            mapping
                .field(p)
                .is_some_and(|f| matches!(f.ty, FieldType::Text | FieldType::Keyword))
        })
        .collect()
}

/// What one query clause matches, per field.
#[derive(Debug, Clone, PartialEq)]
enum What {
    /// analysed query text (`match`, `multi_match`, `query_string` words)
    Text(String),
    /// analysed words in sequence (`match_phrase`, quoted `query_string`)
    Phrase(String),
    /// an exact term (`term`, `terms`)
    Term(String),
    Prefix(String, bool),
    Wildcard(String, bool),
    /// a `regexp` query's pattern, translated (see `query::regexp`)
    Regexp(String),
}

/// A [`What`] with the field names or patterns it applies to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Matcher {
    fields: Vec<String>,
    what: What,
}

/// The matchers of a request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Terms {
    main: Vec<Matcher>,
    per_field: Vec<Option<Vec<Matcher>>>,
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn extract(q: &Q, scope: Option<&[String]>, out: &mut Vec<Matcher>) {
    let fields = |f: &str| -> Vec<String> {
        match scope {
            Some(s) if f.is_empty() => s.to_vec(),
            _ => vec![f.to_owned()],
        }
    };
    let mut push = |f: &str, what: What| {
        out.push(Matcher {
            fields: fields(f),
            what,
        });
    };
    match q {
        Q::Match { field, query, .. } => {
            if let Some(t) = value_text(query) {
                push(field, What::Text(t));
            }
        }
        Q::MatchBoolPrefix { field, query, .. } => {
            push(field, What::Text(query.clone()));
            if let Some(last) = query.split_whitespace().last() {
                push(field, What::Prefix(last.to_owned(), true));
            }
        }
        // fuzzy matches are not highlighted (their terms are found by an automaton)
        Q::Fuzzy { .. } => {}
        // (the field's own analysis finds the highlighted terms)
        Q::Analyzed { inner, .. } => extract(inner, scope, out),
        Q::Intervals { field, rule, .. } => {
            let mut wanted = Vec::new();
            rule.wanted(&mut wanted);
            for w in wanted {
                use crate::query::intervals::Wanted;
                match w {
                    Wanted::Text(t) => push(field, What::Text(t.to_owned())),
                    Wanted::Prefix(p) => push(field, What::Prefix(p.to_owned(), true)),
                    Wanted::Wildcard(p) => push(field, What::Wildcard(p.to_owned(), true)),
                }
            }
        }
        // the positive side's terms (the negative one only demotes)
        Q::Boosting { positive, .. } => extract(positive, scope, out),
        Q::FunctionScore(spec) => extract(&spec.query, scope, out),
        Q::CombinedFields {
            fields: fs, query, ..
        } => out.push(Matcher {
            fields: fs.iter().map(|(f, _)| f.clone()).collect(),
            what: What::Text(query.clone()),
        }),
        Q::DisMax { queries, .. } => {
            for c in queries {
                extract(c, scope, out);
            }
        }
        Q::MatchPhrase { field, query, .. } | Q::MatchPhrasePrefix { field, query, .. } => {
            push(field, What::Phrase(query.clone()));
        }
        Q::MultiMatch {
            fields: fs, query, ..
        } => {
            if let Some(t) = value_text(query) {
                out.push(Matcher {
                    fields: fs.iter().map(|(f, _)| f.clone()).collect(),
                    what: What::Text(t),
                });
            }
        }
        Q::Term {
            field,
            value,
            case_insensitive,
            ..
        } => {
            if let Some(t) = value_text(value) {
                if *case_insensitive {
                    push(field, What::Wildcard(t, true));
                } else {
                    push(field, What::Term(t));
                }
            }
        }
        Q::Terms { field, values, .. } => {
            for v in values {
                if let Some(t) = value_text(v) {
                    push(field, What::Term(t));
                }
            }
        }
        Q::Prefix {
            field,
            value,
            case_insensitive,
            normalize,
            ..
        } => {
            push(
                field,
                What::Prefix(value.clone(), *case_insensitive || *normalize),
            );
        }
        Q::Wildcard {
            field,
            value,
            case_insensitive,
            normalize,
            ..
        } => {
            push(
                field,
                What::Wildcard(value.clone(), *case_insensitive || *normalize),
            );
        }
        Q::Regexp {
            field,
            value,
            flags,
            case_insensitive,
            ..
        } => {
            if let Ok(re) = crate::query::regexp::translate(value, *flags, *case_insensitive) {
                push(field, What::Regexp(re));
            }
        }
        Q::Bool {
            must,
            filter,
            should,
            ..
        } => {
            for c in must.iter().chain(filter).chain(should) {
                extract(c, scope, out);
            }
        }
        Q::ConstantScore(inner, _) | Q::Named(_, inner) => extract(inner, scope, out),
        Q::AnyField {
            fields: fs, inner, ..
        } => extract(inner, Some(fs), out),
        // nested objects are highlighted through inner hits, which the store refuses
        Q::Nested { .. }
        | Q::MatchAll(_)
        | Q::MatchNone
        | Q::Range(_)
        | Q::Exists { .. }
        | Q::Ids(_)
        | Q::GeoBoundingBox(_)
        | Q::GeoDistance(_) => {}
    }
}

/// One token of a highlighted value: byte offsets and the indexed form.
struct Tok {
    from: usize,
    to: usize,
    text: String,
}

fn tokens(value: &str, ty: FieldType, analyzer: &Analyzer) -> Vec<Tok> {
    if ty == FieldType::Keyword {
        return vec![Tok {
            from: 0,
            to: value.len(),
            text: value.to_owned(),
        }];
    }
    analyzer
        .analyze(value)
        .into_iter()
        .map(|t| Tok {
            from: t.from,
            to: t.to,
            text: t.text,
        })
        .collect()
}

fn analyzed(s: &str, analyzer: &Analyzer) -> Vec<String> {
    analyzer.terms(s)
}

fn glob(pattern: &str, text: &str, ci: bool) -> bool {
    let (p, t) = if ci {
        (pattern.to_lowercase(), text.to_lowercase())
    } else {
        (pattern.to_owned(), text.to_owned())
    };
    let p: Vec<char> = p.chars().collect();
    let t: Vec<char> = t.chars().collect();
    query::glob(&p, &t)
}

/// Marks the tokens `m` matches.
fn mark(toks: &[Tok], ty: FieldType, m: &Matcher, hit: &mut [bool], analyzer: &Analyzer) {
    let whole = ty == FieldType::Keyword;
    let each = |hit: &mut [bool], f: &dyn Fn(&str) -> bool| {
        for (i, t) in toks.iter().enumerate() {
            if f(&t.text) {
                hit[i] = true;
            }
        }
    };
    match &m.what {
        What::Text(s) | What::Phrase(s) | What::Term(s) if whole => each(hit, &|t| t == s),
        What::Text(s) => {
            let words = analyzed(s, analyzer);
            each(hit, &|t| words.iter().any(|w| w == t));
        }
        What::Term(s) => each(hit, &|t| t == s),
        What::Phrase(s) => {
            let words = analyzed(s, analyzer);
            if words.is_empty() || words.len() > toks.len() {
                return;
            }
            for start in 0..=toks.len() - words.len() {
                if toks[start..start + words.len()]
                    .iter()
                    .zip(&words)
                    .all(|(t, w)| t.text == *w)
                {
                    for h in &mut hit[start..start + words.len()] {
                        *h = true;
                    }
                }
            }
        }
        What::Prefix(p, ci) => {
            if *ci {
                let p = p.to_lowercase();
                each(hit, &|t| t.to_lowercase().starts_with(&p));
            } else {
                each(hit, &|t| t.starts_with(p.as_str()));
            }
        }
        What::Wildcard(p, ci) => each(hit, &|t| glob(p, t, *ci)),
        What::Regexp(re) => {
            if let Ok(re) = regex::Regex::new(re) {
                each(hit, &|t| re.is_match(t));
            }
        }
    }
}

/// Resolved options with ES's defaults.
struct Opts<'a> {
    pre: &'a [String],
    post: &'a [String],
    fragment_size: usize,
    number: usize,
    order_score: bool,
    no_match_size: usize,
    html: bool,
}

fn encode(s: &str, html: bool) -> String {
    if !html {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2F;"),
            c => out.push(c),
        }
    }
    out
}

/// `value[from..to]` with the marked tokens inside it wrapped in tags.
fn marked(value: &str, toks: &[Tok], hit: &[bool], range: (usize, usize), o: &Opts<'_>) -> String {
    let mut out = String::new();
    let mut at = range.0;
    let mut n = 0;
    for (t, h) in toks.iter().zip(hit) {
        if !*h || t.from < range.0 || t.to > range.1 {
            continue;
        }
        out.push_str(&encode(&value[at..t.from], o.html));
        let pre = &o.pre[n % o.pre.len()];
        let post = &o.post[n % o.post.len()];
        out.push_str(pre);
        out.push_str(&encode(&value[t.from..t.to], o.html));
        out.push_str(post);
        at = t.to;
        n += 1;
    }
    out.push_str(&encode(&value[at..range.1], o.html));
    out
}

/// A fragment: byte range of the value and its score (distinct matched terms).
struct Frag {
    from: usize,
    to: usize,
    score: usize,
}

fn fragments(value: &str, toks: &[Tok], hit: &[bool], size: usize) -> Vec<Frag> {
    let mut frags = Vec::new();
    let mut start = 0;
    let mut first_tok = 0;
    for (i, t) in toks.iter().enumerate() {
        if i > first_tok && t.to - start > size {
            frags.push((start, t.from, first_tok, i));
            start = t.from;
            first_tok = i;
        }
    }
    frags.push((start, value.len(), first_tok, toks.len()));
    frags
        .into_iter()
        .map(|(from, to, a, b)| {
            let mut seen: Vec<&str> = Vec::new();
            for (t, h) in toks[a..b].iter().zip(&hit[a..b]) {
                if *h && !seen.contains(&t.text.as_str()) {
                    seen.push(&t.text);
                }
            }
            // trim the separators at the fragment's ends
            let slice = &value[from..to];
            let lead = slice.len() - slice.trim_start().len();
            let trail = slice.len() - slice.trim_end().len();
            Frag {
                from: from + lead,
                to: (to - trail).max(from + lead),
                score: seen.len(),
            }
        })
        .collect()
}

fn highlight_values(
    values: &[&Value],
    ty: FieldType,
    matchers: &[&Matcher],
    raw: &Raw,
    analyzer: &Analyzer,
) -> Vec<String> {
    let default_pre = vec!["<em>".to_owned()];
    let default_post = vec!["</em>".to_owned()];
    let o = Opts {
        pre: raw.pre_tags.as_deref().unwrap_or(&default_pre),
        post: raw.post_tags.as_deref().unwrap_or(&default_post),
        fragment_size: raw.fragment_size.unwrap_or(100).max(1),
        number: raw.number_of_fragments.unwrap_or(5),
        order_score: raw.order_score.unwrap_or(false),
        no_match_size: raw.no_match_size.unwrap_or(0),
        html: raw.html.unwrap_or(false),
    };
    let mut scored: Vec<(usize, usize, String)> = Vec::new(); // (score, order, text)
    let mut first_value: Option<String> = None;
    for v in values {
        let Some(text) = value_text(v) else { continue };
        if first_value.is_none() {
            first_value = Some(text.clone());
        }
        let toks = tokens(&text, ty, analyzer);
        let mut hit = vec![false; toks.len()];
        for m in matchers {
            mark(&toks, ty, m, &mut hit, analyzer);
        }
        if !hit.contains(&true) {
            continue;
        }
        if o.number == 0 {
            let n = scored.len();
            scored.push((1, n, marked(&text, &toks, &hit, (0, text.len()), &o)));
            continue;
        }
        for f in fragments(&text, &toks, &hit, o.fragment_size) {
            if f.score > 0 {
                let n = scored.len();
                scored.push((f.score, n, marked(&text, &toks, &hit, (f.from, f.to), &o)));
            }
        }
    }
    if scored.is_empty() {
        return no_match(first_value.as_deref(), ty, &o, analyzer);
    }
    if o.number > 0 {
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(o.number);
        if !o.order_score {
            scored.sort_by_key(|s| s.1);
        }
    }
    scored.into_iter().map(|(_, _, s)| s).collect()
}

/// `no_match_size`: the start of the first value, cut at a token end.
fn no_match(first: Option<&str>, ty: FieldType, o: &Opts<'_>, analyzer: &Analyzer) -> Vec<String> {
    let Some(text) = first.filter(|_| o.no_match_size > 0) else {
        return Vec::new();
    };
    let end = tokens(text, ty, analyzer)
        .iter()
        .map(|t| t.to)
        .take_while(|to| *to <= o.no_match_size)
        .last()
        .unwrap_or(0);
    if end == 0 {
        return Vec::new();
    }
    vec![encode(&text[..end], o.html)]
}
