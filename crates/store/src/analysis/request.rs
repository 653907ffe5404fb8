//! The `_analyze` request (`GET|POST /_analyze`, `/{index}/_analyze`) and its response shape.

use serde_json::{Map, Value, json};

use super::{
    Analyzer, DEFAULT_MAX_TOKEN_LENGTH, ENGLISH_STOP_WORDS, TextAnalysis, TokenFilter, Tokenizer,
    lowercase, utf16_offset,
};
use crate::error::{Error, Result};
use crate::mapping::{FieldType, Mapping};

/// `index.analyze.max_token_count`'s default.
pub const MAX_TOKEN_COUNT: usize = 10_000;

/// The index an `_analyze` request names.
#[derive(Debug, Clone, Copy)]
pub struct IndexContext<'a> {
    /// How the index analyses `text` fields.
    pub text: TextAnalysis,
    /// Its mapping (for `field`).
    pub mapping: &'a Mapping,
    /// `index.analyze.max_token_count` (default [`MAX_TOKEN_COUNT`]).
    pub max_token_count: usize,
}

// ES's built-in components that sluice-store does not implement: refused by name rather than
// reported as unknown
const UNSUPPORTED_ANALYZERS: &[&str] = &[
    "fingerprint",
    "pattern",
    "english",
    "french",
    "german",
    "spanish",
    "italian",
    "portuguese",
    "russian",
    "cjk",
];
const UNSUPPORTED_TOKENIZERS: &[&str] = &[
    "classic",
    "uax_url_email",
    "ngram",
    "edge_ngram",
    "pattern",
    "simple_pattern",
    "simple_pattern_split",
    "char_group",
    "path_hierarchy",
    "thai",
];
const UNSUPPORTED_FILTERS: &[&str] = &[
    "asciifolding",
    "trim",
    "truncate",
    "unique",
    "length",
    "reverse",
    "shingle",
    "ngram",
    "edge_ngram",
    "synonym",
    "synonym_graph",
    "stemmer",
    "porter_stem",
    "kstem",
    "snowball",
    "word_delimiter",
    "word_delimiter_graph",
    "pattern_replace",
    "keyword_marker",
    "elision",
    "cjk_width",
    "cjk_bigram",
];

fn validation(msg: &str) -> Error {
    Error::es(
        400,
        "action_request_validation_exception",
        format!("Validation Failed: 1: {msg};"),
    )
}

fn unsupported(kind: &str, name: &str) -> Error {
    Error::illegal_argument(format!("sluice-store does not support the [{name}] {kind}"))
}

/// Answers an `_analyze` body as Elasticsearch 8 does: `{"tokens": [...]}`.
pub fn analyze_request(body: &Value, index: Option<IndexContext<'_>>) -> Result<Value> {
    let obj = match body {
        Value::Object(o) => o,
        Value::Null => &Map::new(),
        _ => {
            return Err(Error::parsing(
                "request body or source parameter is required",
            ));
        }
    };
    let mut texts: Vec<String> = Vec::new();
    let mut explain = false;
    let mut analyzer_name: Option<&str> = None;
    let mut normalizer: Option<&str> = None;
    let mut field: Option<&str> = None;
    let mut tokenizer: Option<&Value> = None;
    let mut filters: &[Value] = &[];
    let mut char_filters: &[Value] = &[];
    for (k, v) in obj {
        match k.as_str() {
            "text" => match v {
                Value::String(s) => texts.push(s.clone()),
                Value::Array(a) => {
                    for t in a {
                        match t {
                            Value::String(s) => texts.push(s.clone()),
                            other => texts.push(other.to_string()),
                        }
                    }
                }
                Value::Null => {}
                other => texts.push(other.to_string()),
            },
            "analyzer" => analyzer_name = Some(str_param(k, v)?),
            "normalizer" => normalizer = Some(str_param(k, v)?),
            "field" => field = Some(str_param(k, v)?),
            "tokenizer" => tokenizer = Some(v),
            "filter" | "token_filter" => filters = list_param(k, v)?,
            "char_filter" => char_filters = list_param(k, v)?,
            "explain" => {
                explain = v.as_bool().ok_or_else(|| {
                    Error::parsing(format!(
                        "Unknown parameter [explain] in request body or parameter is of the wrong type[{}] ",
                        value_token(v)
                    ))
                })?;
            }
            "attributes" => {}
            other => {
                return Err(Error::parsing(format!(
                    "Unknown parameter [{other}] in request body or parameter is of the wrong type[{}] ",
                    value_token(v)
                )));
            }
        }
    }
    if texts.is_empty() {
        return Err(validation("text is missing"));
    }
    if normalizer.is_some() && index.is_none() {
        return Err(validation("index is required if normalizer is specified"));
    }
    if normalizer.is_some() && (tokenizer.is_some() || analyzer_name.is_some()) {
        return Err(validation(
            "tokenizer/analyze should be null if normalizer is specified",
        ));
    }
    if analyzer_name.is_some()
        && (tokenizer.is_some() || !filters.is_empty() || !char_filters.is_empty())
    {
        return Err(validation(
            "cannot define extra components on a named analyzer",
        ));
    }
    if let Some(cf) = char_filters.first() {
        let name = cf
            .as_str()
            .or_else(|| cf.get("type").and_then(Value::as_str))
            .unwrap_or("custom");
        return Err(unsupported("char filter", name));
    }
    let mut position_gap = 0usize;
    let limit = index.map_or(MAX_TOKEN_COUNT, |ix| ix.max_token_count);
    let analyzer = if let Some(name) = analyzer_name {
        named_analyzer(name, index)?
    } else if let Some(n) = normalizer {
        if n != "lowercase" {
            return Err(Error::illegal_argument(format!(
                "failed to find normalizer under [{n}]"
            )));
        }
        Analyzer::lowercase_normalizer()
    } else if let Some(t) = tokenizer {
        Analyzer {
            tokenizer: parse_tokenizer(t)?,
            filters: filters
                .iter()
                .map(parse_filter)
                .collect::<Result<Vec<_>>>()?,
        }
    } else if !filters.is_empty() {
        // filters alone run on the keyword tokenizer (a normalizer-like chain)
        Analyzer {
            tokenizer: Tokenizer::Keyword,
            filters: filters
                .iter()
                .map(parse_filter)
                .collect::<Result<Vec<_>>>()?,
        }
    } else if let (Some(f), Some(ix)) = (field, index) {
        match ix.mapping.field(f).map(|m| m.ty) {
            Some(FieldType::Keyword) => Analyzer::keyword(),
            Some(FieldType::Text) => {
                position_gap = 100;
                ix.text.analyzer()
            }
            _ => ix.text.analyzer(),
        }
    } else if let Some(ix) = index {
        ix.text.analyzer()
    } else {
        Analyzer::standard()
    };
    if !explain {
        return Ok(json!({ "tokens": render(&analyzer, &texts, position_gap, limit)? }));
    }
    // `explain`: a named analyzer's tokens under its name; a chain's tokens after its
    // tokenizer and after each filter (inline filters are `__anonymous__<type>`, as in ES)
    let detailed = |tokens: Vec<Value>| -> Vec<Value> {
        tokens
            .into_iter()
            .map(|mut t| {
                let bytes: Vec<String> = t["token"]
                    .as_str()
                    .unwrap_or_default()
                    .bytes()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                t["bytes"] = Value::from(format!("[{}]", bytes.join(" ")));
                t["positionLength"] = Value::from(1);
                t["termFrequency"] = Value::from(1);
                t
            })
            .collect()
    };
    if let Some(name) = analyzer_name {
        let tokens = render(&analyzer, &texts, position_gap, limit)?;
        return Ok(json!({"detail": {"custom_analyzer": false,
            "analyzer": {"name": name, "tokens": detailed(tokens)}}}));
    }
    let tokenizer_only = Analyzer {
        tokenizer: analyzer.tokenizer.clone(),
        filters: Vec::new(),
    };
    let tokenizer_name = match tokenizer {
        Some(Value::String(s)) => s.clone(),
        Some(v) => format!(
            "__anonymous__{}",
            v.get("type").and_then(Value::as_str).unwrap_or("tokenizer")
        ),
        None => "keyword".to_owned(),
    };
    let mut stages = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        let partial = Analyzer {
            tokenizer: analyzer.tokenizer.clone(),
            filters: analyzer.filters[..=i].to_vec(),
        };
        let name = match f {
            Value::String(s) => s.clone(),
            v => format!(
                "__anonymous__{}",
                v.get("type").and_then(Value::as_str).unwrap_or("filter")
            ),
        };
        stages.push(json!({"name": name,
            "tokens": detailed(render(&partial, &texts, position_gap, limit)?)}));
    }
    Ok(
        json!({"detail": {"custom_analyzer": true, "charfilters": [],
        "tokenizer": {"name": tokenizer_name,
            "tokens": detailed(render(&tokenizer_only, &texts, position_gap, limit)?)},
        "tokenfilters": stages}}),
    )
}

fn render(
    analyzer: &Analyzer,
    texts: &[String],
    position_gap: usize,
    limit: usize,
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut last_position: i64 = -1;
    let mut last_offset = 0usize;
    for text in texts {
        let toks = analyzer.analyze(text);
        let mut max_pos = None;
        for t in &toks {
            if out.len() >= limit {
                return Err(Error::es(
                    400,
                    "status_exception",
                    format!(
                        "The number of tokens produced by calling _analyze has exceeded the allowed maximum of [{limit}]. This limit can be set by changing the [index.analyze.max_token_count] index level setting."
                    ),
                ));
            }
            let position = last_position + 1 + t.position as i64;
            max_pos = Some(position);
            out.push(json!({
                "token": t.text,
                "start_offset": last_offset + utf16_offset(text, t.from),
                "end_offset": last_offset + utf16_offset(text, t.to),
                "type": t.kind,
                "position": position,
            }));
        }
        if let Some(p) = max_pos {
            last_position = p;
        }
        last_position += position_gap as i64;
        last_offset += text.encode_utf16().count() + 1;
    }
    Ok(out)
}

fn named_analyzer(name: &str, index: Option<IndexContext<'_>>) -> Result<Analyzer> {
    if let Some(a) = Analyzer::builtin(name) {
        // an index's `standard`/`default` is the analyzer its text fields were written with
        return Ok(match (name, index) {
            ("standard" | "default", Some(ix)) => ix.text.analyzer(),
            _ => a,
        });
    }
    if UNSUPPORTED_ANALYZERS.contains(&name) {
        return Err(unsupported("analyzer", name));
    }
    Err(Error::illegal_argument(match index {
        Some(_) => format!("failed to find analyzer [{name}]"),
        None => format!("failed to find global analyzer [{name}]"),
    }))
}

fn parse_tokenizer(v: &Value) -> Result<Tokenizer> {
    let (name, params) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => {
            let ty = o.get("type").and_then(Value::as_str).ok_or_else(|| {
                Error::illegal_argument("tokenizer [_anonymous_tokenizer] must specify either an analyzer type, or a tokenizer")
            })?;
            (ty, Some(o))
        }
        _ => {
            return Err(Error::illegal_argument(format!(
                "failed to find global tokenizer under [{v}]"
            )));
        }
    };
    let mut max = DEFAULT_MAX_TOKEN_LENGTH;
    if let Some(p) = params {
        for (k, val) in p {
            match k.as_str() {
                "type" => {}
                "max_token_length" if name != "keyword" => {
                    max = positive_int(k, val)?;
                }
                "buffer_size" if name == "keyword" => {
                    positive_int(k, val)?;
                }
                other => {
                    return Err(Error::illegal_argument(format!(
                        "unknown setting [{other}] of tokenizer [{name}]"
                    )));
                }
            }
        }
    }
    Ok(match name {
        "standard" => Tokenizer::Standard {
            max_token_length: max,
        },
        "letter" => Tokenizer::Letter {
            max_token_length: max,
        },
        "lowercase" => Tokenizer::Lowercase {
            max_token_length: max,
        },
        "whitespace" => Tokenizer::Whitespace {
            max_token_length: max,
        },
        "keyword" => Tokenizer::Keyword,
        n if UNSUPPORTED_TOKENIZERS.contains(&n) => return Err(unsupported("tokenizer", n)),
        n => {
            return Err(Error::illegal_argument(format!(
                "failed to find global tokenizer under [{n}]"
            )));
        }
    })
}

fn parse_filter(v: &Value) -> Result<TokenFilter> {
    let (name, params) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => {
            let ty = o.get("type").and_then(Value::as_str).ok_or_else(|| {
                Error::illegal_argument(
                    "token filter [_anonymous_tokenfilter] must specify either an analyzer type, or a tokenizer",
                )
            })?;
            (ty, Some(o))
        }
        _ => {
            return Err(Error::illegal_argument(format!(
                "failed to find global filter under [{v}]"
            )));
        }
    };
    match name {
        "lowercase" | "uppercase" => {
            if let Some(p) = params
                && let Some((k, _)) = p.iter().find(|(k, _)| *k != "type")
            {
                return Err(Error::illegal_argument(format!(
                    "unknown setting [{k}] of token filter [{name}]"
                )));
            }
            Ok(if name == "lowercase" {
                TokenFilter::Lowercase
            } else {
                TokenFilter::Uppercase
            })
        }
        "stop" => {
            let mut words: Vec<String> =
                ENGLISH_STOP_WORDS.iter().map(|s| (*s).to_owned()).collect();
            let mut ignore_case = false;
            for (k, val) in params.into_iter().flatten() {
                match k.as_str() {
                    "type" => {}
                    "ignore_case" => {
                        ignore_case = val.as_bool().ok_or_else(|| {
                            Error::illegal_argument(format!(
                                "Failed to parse value [{val}] as only [true] or [false] are allowed."
                            ))
                        })?;
                    }
                    "stopwords" => {
                        words = match val {
                            Value::String(s) if s == "_english_" => {
                                ENGLISH_STOP_WORDS.iter().map(|s| (*s).to_owned()).collect()
                            }
                            Value::String(s) if s == "_none_" => Vec::new(),
                            Value::String(s) if s.starts_with('_') => {
                                return Err(unsupported("stop word list", s));
                            }
                            Value::String(s) => vec![s.clone()],
                            Value::Array(a) => a
                                .iter()
                                .map(|w| match w {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect(),
                            other => {
                                return Err(Error::illegal_argument(format!(
                                    "[stopwords] must be a string or an array, got [{other}]"
                                )));
                            }
                        };
                    }
                    "remove_trailing" => {}
                    other => {
                        return Err(Error::illegal_argument(format!(
                            "unknown setting [{other}] of token filter [stop]"
                        )));
                    }
                }
            }
            if ignore_case {
                words = words.iter().map(|w| lowercase(w)).collect();
            }
            Ok(TokenFilter::Stop { words, ignore_case })
        }
        n if UNSUPPORTED_FILTERS.contains(&n) => Err(unsupported("token filter", n)),
        n => Err(Error::illegal_argument(format!(
            "failed to find global filter under [{n}]"
        ))),
    }
}

fn str_param<'a>(k: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str().ok_or_else(|| {
        Error::parsing(format!(
            "Unknown parameter [{k}] in request body or parameter is of the wrong type[{}] ",
            value_token(v)
        ))
    })
}

fn list_param<'a>(k: &str, v: &'a Value) -> Result<&'a [Value]> {
    match v {
        Value::Array(a) => Ok(a),
        Value::String(_) | Value::Object(_) => Ok(std::slice::from_ref(v)),
        _ => Err(Error::parsing(format!(
            "Unknown parameter [{k}] in request body or parameter is of the wrong type[{}] ",
            value_token(v)
        ))),
    }
}

fn positive_int(k: &str, v: &Value) -> Result<usize> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n > 0 && n <= 1024 * 1024 => Ok(n as usize),
        _ => Err(Error::illegal_argument(format!(
            "[{k}] must be a positive integer up to 1048576, got [{v}]"
        ))),
    }
}

/// The XContent token name ES reports for a value of the wrong type.
fn value_token(v: &Value) -> &'static str {
    match v {
        Value::Null => "VALUE_NULL",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Number(_) => "VALUE_NUMBER",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}
