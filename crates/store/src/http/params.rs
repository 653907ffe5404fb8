//! URL query parameters: percent-decoding, ES's booleans, and ES's refusal of unknown parameters.

use crate::Error;

/// Parameters every endpoint accepts (they shape the response, not the operation).
pub(crate) const ALWAYS: &[&str] = &["pretty", "human", "error_trace", "filter_path"];

/// The decoded query string of one request, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `a=1&b&c=x%20y` (a key without `=` has the empty value, as in ES).
    ///
    /// # Errors
    /// `illegal_argument_exception` for bad percent-encoding or a repeated parameter.
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, Error> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let Some(q) = query else {
            return Ok(Self { pairs });
        };
        for part in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = decode_component(k)?;
            let v = decode_component(v)?;
            if pairs.iter().any(|(pk, _)| *pk == k) {
                return Err(Error::illegal_argument(format!(
                    "parameter [{k}] is given more than once"
                )));
            }
            pairs.push((k, v));
        }
        Ok(Self { pairs })
    }

    /// The raw value of `key`.
    #[must_use]
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All parameter names.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// `key` as ES's boolean: absent → `default`, empty or `true` → true, `false` → false.
    ///
    /// # Errors
    /// `illegal_argument_exception` for any other value, worded as ES words it.
    pub(crate) fn bool(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.get(key) {
            None => Ok(default),
            Some("" | "true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(Error::illegal_argument(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            ))),
        }
    }

    /// Refuses every parameter not in `allowed` nor in [`ALWAYS`], as ES's `BaseRestHandler` does:
    /// `request [/path] contains unrecognized parameter: [x] -> did you mean [y]?`.
    ///
    /// # Errors
    /// `illegal_argument_exception` listing the unrecognized parameters.
    pub(crate) fn check(&self, path: &str, allowed: &[&str]) -> Result<(), Error> {
        let unknown: Vec<&str> = self
            .keys()
            .filter(|k| !allowed.contains(k) && !ALWAYS.contains(k))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let mut msg = format!(
            "request [{path}] contains unrecognized parameter{}: ",
            if unknown.len() > 1 { "s" } else { "" }
        );
        let candidates: Vec<&str> = allowed.iter().chain(ALWAYS).copied().collect();
        let rendered: Vec<String> = unknown
            .iter()
            .map(|u| unrecognized(u, &candidates))
            .collect();
        msg.push_str(&rendered.join(", "));
        Err(Error::illegal_argument(msg))
    }
}

/// `[word]`, with ES's `-> did you mean [..]?` naming the candidates close to it.
pub(crate) fn unrecognized(word: &str, candidates: &[&str]) -> String {
    let similar = suggestions(word, candidates);
    match similar.len() {
        0 => format!("[{word}]"),
        1 => format!("[{word}] -> did you mean [{}]?", similar[0]),
        _ => format!("[{word}] -> did you mean any of [{}]?", similar.join(", ")),
    }
}

/// ES's x-content suggestion after `unknown field [word]`: ` did you mean [x]?`, ` did you
/// mean any of [x, y]?`, or nothing when no candidate is close.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let similar = suggestions(word, candidates);
    match similar.len() {
        0 => String::new(),
        1 => format!(" did you mean [{}]?", similar[0]),
        _ => format!(" did you mean any of [{}]?", similar.join(", ")),
    }
}

/// Candidates close to `word` (normalised Levenshtein similarity above 0.5, ES's threshold).
fn suggestions<'a>(word: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .iter()
        .map(|c| (similarity(word, c), *c))
        .filter(|(s, _)| *s > 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().map(|(_, c)| c).collect()
}

/// 1 - levenshtein / max(len) (Lucene's LevenshteinDistance).
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    #[allow(clippy::cast_precision_loss)]
    let d = prev[b.len()] as f64 / longest as f64;
    1.0 - d
}

/// Percent-decodes one URL component (`+` is a space in query strings, as ES's decoder has it).
///
/// # Errors
/// `illegal_argument_exception` for a truncated or non-hex escape, or bytes that are not UTF-8.
pub(crate) fn decode_component(s: &str) -> Result<String, Error> {
    decode(s, true)
}

/// Percent-decodes one path segment (`+` stays `+`).
///
/// # Errors
/// As [`decode_component`].
pub(crate) fn decode_path_segment(s: &str) -> Result<String, Error> {
    decode(s, false)
}

fn decode(s: &str, plus_is_space: bool) -> Result<String, Error> {
    if !s.contains(['%', '+']) {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(|| {
                    Error::illegal_argument(format!(
                        "unterminated escape sequence at end of string: {s}"
                    ))
                })?;
                let v = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        Error::illegal_argument(format!(
                            "partial escape sequence at end of string: {s}"
                        ))
                    })?;
                out.push(v);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::illegal_argument(format!("the url component [{s}] is not valid UTF-8")))
}

#[cfg(test)]
mod tests;
