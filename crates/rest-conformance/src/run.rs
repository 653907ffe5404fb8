//! Runs test files against a server: steps, stash, assertions, and the wipe between tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::http::{self, Response};
use crate::spec::{ParamError, Spec};
use crate::suite::TestFile;

/// Features of the test format this runner implements (a test that needs another is skipped).
const FEATURES: [&str; 10] = [
    "warnings",
    "allowed_warnings",
    "headers",
    "contains",
    "arbitrary_key",
    "stash_in_path",
    "stash_in_key",
    "embedded_stash_key",
    "default_shards",
    "no_xpack",
];

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The first failed step and why.
    Fail(String),
    /// A `skip` that applies (the version range or a feature this runner lacks).
    Skip(String),
}

/// One test's outcome: `api/file.yml/test name`.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub verdict: Verdict,
}

/// The server under test.
pub struct Runner<'a> {
    pub spec: &'a Spec,
    pub addr: SocketAddr,
    /// The version skips are read against.
    pub version: (u32, u32, u32),
    /// Each request's limit.
    pub timeout: Duration,
}

struct Ctx {
    stash: BTreeMap<String, Value>,
    last: Option<Last>,
}

/// The last answer: its body (parsed JSON, text, or for HEAD whether it was 200).
struct Last {
    body: Value,
}

impl Runner<'_> {
    /// Runs every test of `file` (setup before each, teardown and a wipe after each).
    pub fn run_file(&self, file: &TestFile) -> Vec<Outcome> {
        let mut out = Vec::new();
        let file_skip = file
            .setup
            .iter()
            .find_map(|s| s.get("skip"))
            .and_then(|s| self.skip_reason(s));
        for (name, steps) in &file.tests {
            let id = format!("{}/{name}", file.name);
            let verdict = if let Some(r) = &file_skip {
                Verdict::Skip(r.clone())
            } else if let Some(r) = steps
                .iter()
                .find_map(|s| s.get("skip"))
                .and_then(|s| self.skip_reason(s))
            {
                Verdict::Skip(r)
            } else {
                let mut ctx = Ctx {
                    stash: BTreeMap::new(),
                    last: None,
                };
                let mut verdict = match self.steps(&mut ctx, &file.setup) {
                    Err(e) => Verdict::Fail(format!("setup: {e}")),
                    Ok(()) => match self.steps(&mut ctx, steps) {
                        Err(e) => Verdict::Fail(e),
                        Ok(()) => Verdict::Pass,
                    },
                };
                if let Err(e) = self.steps(&mut ctx, &file.teardown)
                    && verdict == Verdict::Pass
                {
                    verdict = Verdict::Fail(format!("teardown: {e}"));
                }
                verdict
            };
            self.wipe();
            out.push(Outcome { id, verdict });
        }
        out
    }

    fn skip_reason(&self, skip: &Value) -> Option<String> {
        let reason = skip["reason"].as_str().unwrap_or("").to_owned();
        if let Some(v) = skip["version"].as_str()
            && version_in(v, self.version)
        {
            return Some(format!("version {v}: {reason}"));
        }
        let features: Vec<&str> = match &skip["features"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        features
            .iter()
            .find(|f| !FEATURES.contains(f))
            .map(|f| format!("the runner lacks the feature [{f}]"))
    }

    fn steps(&self, ctx: &mut Ctx, steps: &[Value]) -> Result<(), String> {
        for (i, step) in steps.iter().enumerate() {
            let Some((kind, arg)) = step.as_object().and_then(|o| o.iter().next()) else {
                return Err(format!("step {i} is not a one-key map"));
            };
            let r = match kind.as_str() {
                "skip" => Ok(()),
                "do" => self.do_step(ctx, arg),
                "set" => set(ctx, arg),
                "match" => assert_each(ctx, arg, |actual, expected, path| {
                    matches(actual, expected, path)
                }),
                "length" => assert_each(ctx, arg, length),
                "is_true" => is_true(ctx, arg, true),
                "is_false" => is_true(ctx, arg, false),
                "gt" | "gte" | "lt" | "lte" => assert_each(ctx, arg, |actual, expected, path| {
                    compare(kind, actual, expected, path)
                }),
                "contains" => assert_each(ctx, arg, contains),
                other => Err(format!("the runner does not know the step [{other}]")),
            };
            r.map_err(|e| format!("step {} ({kind}): {e}", i + 1))?;
        }
        Ok(())
    }

    fn do_step(&self, ctx: &mut Ctx, arg: &Value) -> Result<(), String> {
        let Value::Object(section) = arg else {
            return Err("not a map".to_owned());
        };
        let mut catch = None;
        let mut headers = Vec::new();
        let mut expected_warnings: Vec<String> = Vec::new();
        let mut allowed_warnings: Vec<String> = Vec::new();
        let mut call = None;
        for (k, v) in section {
            match k.as_str() {
                "catch" => catch = v.as_str().map(str::to_owned),
                "headers" => {
                    for (n, hv) in v.as_object().into_iter().flatten() {
                        let hv = substitute(&ctx.stash, hv);
                        headers.push((n.clone(), crate::spec::param_text(&hv)));
                    }
                }
                "warnings" => expected_warnings = strings(v),
                "allowed_warnings" => allowed_warnings = strings(v),
                "node_selector" => return Err("node_selector is not supported".to_owned()),
                _ => call = Some((k.clone(), v)),
            }
        }
        let (api, args) = call.ok_or("no API called")?;
        let mut args = match substitute(&ctx.stash, args) {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => return Err(format!("the arguments of [{api}] are not a map: {other}")),
        };
        // `ignore` is the client's: statuses it does not treat as errors.
        let ignore: Vec<u16> = match args.remove("ignore") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_u64)
                .filter_map(|s| u16::try_from(s).ok())
                .collect(),
            Some(v) => v
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let request = match self.spec.request(&api, &args) {
            Ok(r) => r,
            Err(ParamError(e)) if catch.as_deref() == Some("param") => {
                let _ = e;
                return Ok(());
            }
            Err(ParamError(e)) => return Err(e),
        };
        if catch.as_deref() == Some("param") {
            return Err(format!(
                "expected a parameter error, but {api} is a valid call"
            ));
        }
        if let Some((ctype, _)) = &request.body
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".to_owned(), ctype.clone()));
        }
        let response = http::send(
            self.addr,
            &request.method,
            &request.target,
            &headers,
            request.body.as_ref().map(|(_, b)| b.as_slice()),
            self.timeout,
        )
        .map_err(|e| format!("{} {}: {e:#}", request.method, request.target))?;
        let head = request.method == "HEAD";
        let body = body_value(&response, head);
        let status = response.status;
        let what = format!("{} {} -> {status}", request.method, request.target);
        ctx.last = Some(Last { body: body.clone() });
        match catch.as_deref() {
            None => {
                if status >= 400 && !(head && status == 404) && !ignore.contains(&status) {
                    return Err(format!("{what}: {}", short(&body)));
                }
            }
            Some(c) => {
                if status < 400 {
                    return Err(format!("{what}: expected an error [{c}]"));
                }
                let ok = match c {
                    "missing" => status == 404,
                    "conflict" => status == 409,
                    "bad_request" => status == 400,
                    "unauthorized" => status == 401,
                    "forbidden" => status == 403,
                    "request_timeout" => status == 408,
                    "unavailable" => status == 503,
                    "request" => ![400, 401, 403, 404, 408, 409].contains(&status),
                    re if re.len() > 1 && re.starts_with('/') && re.ends_with('/') => {
                        let text = match &body {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        // Unlike `match`, a `catch` pattern is read without COMMENTS: spaces count.
                        regex::Regex::new(&re[1..re.len() - 1])
                            .map_err(|e| {
                                format!("the pattern {re} is not one this runner can read: {e}")
                            })?
                            .is_match(&text)
                    }
                    other => return Err(format!("unknown catch [{other}]")),
                };
                if !ok {
                    return Err(format!("{what}: not the error [{c}]: {}", short(&body)));
                }
            }
        }
        check_warnings(&response, &expected_warnings, &allowed_warnings)
            .map_err(|e| format!("{what}: {e}"))
    }

    /// Removes what a test left: data streams, indices, templates, cluster settings.
    fn wipe(&self) {
        let send = |method: &str, target: &str, body: Option<&str>| {
            let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
            http::send(
                self.addr,
                method,
                target,
                &headers,
                body.map(str::as_bytes),
                self.timeout,
            )
            .ok()
        };
        let json = |r: Option<Response>| -> Value {
            r.filter(|r| r.status == 200)
                .and_then(|r| serde_json::from_slice(&r.body).ok())
                .unwrap_or(Value::Null)
        };
        let _ = send("DELETE", "/_data_stream/*?expand_wildcards=all", None);
        let indices = json(send(
            "GET",
            "/_cat/indices?h=index&format=json&expand_wildcards=all",
            None,
        ));
        let names: Vec<&str> = indices
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["index"].as_str())
            .collect();
        let names: Vec<String> = names.iter().map(|n| crate::spec::encode(n, true)).collect();
        for chunk in names.chunks(50) {
            let all = send("DELETE", &format!("/{}", chunk.join(",")), None);
            // One index that cannot go (a system index) fails the whole request: one by one.
            if all.is_none_or(|r| r.status != 200) {
                for name in chunk {
                    let _ = send("DELETE", &format!("/{name}"), None);
                }
            }
        }
        for (kind, member) in [
            ("_index_template", "index_templates"),
            ("_component_template", "component_templates"),
        ] {
            let listed = json(send("GET", &format!("/{kind}"), None));
            for t in listed[member].as_array().into_iter().flatten() {
                if let Some(n) = t["name"].as_str() {
                    let _ = send("DELETE", &format!("/{kind}/{n}"), None);
                }
            }
        }
        let legacy = json(send("GET", "/_template", None));
        for n in legacy.as_object().into_iter().flat_map(|o| o.keys()) {
            let _ = send("DELETE", &format!("/_template/{n}"), None);
        }
        let _ = send(
            "PUT",
            "/_cluster/settings",
            Some(r#"{"persistent":{"*":null},"transient":{"*":null}}"#),
        );
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The answer's body as the assertions see it.
fn body_value(r: &Response, head: bool) -> Value {
    if head {
        return Value::Bool(r.status == 200);
    }
    if let Ok(v) = serde_json::from_slice::<Value>(&r.body) {
        return v;
    }
    Value::String(String::from_utf8_lossy(&r.body).into_owned())
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s
    }
}

/// `Warning` headers: every expected one present, no other unless allowed.
fn check_warnings(r: &Response, expected: &[String], allowed: &[String]) -> Result<(), String> {
    let got: Vec<String> = r.header_values("warning").map(warning_text).collect();
    for e in expected {
        if !got.contains(e) {
            return Err(format!("expected the warning [{e}], got {got:?}"));
        }
    }
    for g in &got {
        if !expected.contains(g) && !allowed.contains(g) {
            return Err(format!("unexpected warning [{g}]"));
        }
    }
    Ok(())
}

/// The message of `299 Elasticsearch-8.19.7-abc "message" "date"`.
fn warning_text(header: &str) -> String {
    let Some(start) = header.find('"') else {
        return header.to_owned();
    };
    let mut out = String::new();
    let mut chars = header[start + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '"' => break,
            c => out.push(c),
        }
    }
    out
}

/// Replaces `$name` values and `${name}` inside strings (and in keys) with stashed values.
fn substitute(stash: &BTreeMap<String, Value>, v: &Value) -> Value {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix('$')
                && let Some(val) = stash.get(name)
            {
                return val.clone();
            }
            Value::String(embed(stash, s))
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(stash, x)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let key = match k.strip_prefix('$').and_then(|n| stash.get(n)) {
                        Some(val) => crate::spec::param_text(val),
                        None => embed(stash, k),
                    };
                    (key, substitute(stash, v))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn embed(stash: &BTreeMap<String, Value>, s: &str) -> String {
    if !s.contains("${") {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) if stash.contains_key(&after[..j]) => {
                out.push_str(&crate::spec::param_text(&stash[&after[..j]]));
                rest = &after[j + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value at `path` (dots separate keys, `\.` is a dot in a key, numbers index lists,
/// `$body` or `''` is the whole body, `$name` is a stashed key, `_arbitrary_key_` a map's first
/// key).
fn evaluate(ctx: &Ctx, path: &str) -> Result<Value, String> {
    let body = &ctx.last.as_ref().ok_or("no request made yet")?.body;
    if path.is_empty() || path == "$body" {
        return Ok(body.clone());
    }
    let mut cur = body.clone();
    for part in split_path(path) {
        let part = match part.strip_prefix('$').and_then(|n| ctx.stash.get(n)) {
            Some(v) => crate::spec::param_text(v),
            None => embed(&ctx.stash, &part),
        };
        cur = match cur {
            Value::Object(mut o) => {
                if part == "_arbitrary_key_" {
                    match o.keys().next() {
                        Some(k) => Value::String(k.clone()),
                        None => return Err(format!("[{path}]: no key to take")),
                    }
                } else {
                    o.remove(&part).unwrap_or(Value::Null)
                }
            }
            Value::Array(mut a) => match part.parse::<usize>() {
                Ok(i) if i < a.len() => a.swap_remove(i),
                _ => Value::Null,
            },
            _ => Value::Null,
        };
    }
    Ok(cur)
}

fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                cur.push('.');
                chars.next();
            }
            '.' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn set(ctx: &mut Ctx, arg: &Value) -> Result<(), String> {
    for (path, name) in arg.as_object().ok_or("not a map")? {
        let v = evaluate(ctx, path)?;
        let name = name.as_str().ok_or("the stash name is not a string")?;
        ctx.stash.insert(name.to_owned(), v);
    }
    Ok(())
}

fn assert_each(
    ctx: &Ctx,
    arg: &Value,
    check: impl Fn(&Value, &Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    for (path, expected) in arg.as_object().ok_or("not a map")? {
        let actual = evaluate(ctx, path)?;
        let expected = substitute(&ctx.stash, expected);
        check(&actual, &expected, path)?;
    }
    Ok(())
}

fn is_true(ctx: &Ctx, arg: &Value, want: bool) -> Result<(), String> {
    let path = match arg {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => crate::spec::param_text(other),
    };
    let v = evaluate(ctx, &path)?;
    let text = match &v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    let truthy =
        text.is_some_and(|t| !t.is_empty() && !t.eq_ignore_ascii_case("false") && t != "0");
    if truthy == want {
        Ok(())
    } else {
        Err(format!(
            "[{path}] is {} but should be {}",
            short(&v),
            if want { "true" } else { "false" }
        ))
    }
}

fn matches(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    if let Value::String(e) = expected {
        let t = e.trim();
        if t.len() > 2 && t.starts_with('/') && t.ends_with('/') {
            let text = match actual {
                Value::String(s) => s.clone(),
                Value::Null => return Err(format!("[{path}] is missing, expected {t}")),
                other => other.to_string(),
            };
            return if regex_find(&t[1..t.len() - 1], &text)? {
                Ok(())
            } else {
                Err(format!("[{path}] {} does not match {t}", short(actual)))
            };
        }
    }
    // At the top, numbers of different kinds compare by value (Java: `Double 1.0 is equal to
    // Integer 1`); inside lists and maps they compare as the boxed values do.
    let numbers_equal = match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => false,
    };
    if numbers_equal || same(actual, expected) {
        Ok(())
    } else {
        Err(format!(
            "[{path}] is {} but should be {}",
            short(actual),
            short(expected)
        ))
    }
}

/// Equality with numbers compared by value within their kind (integers with integers, floats
/// with floats), as Java's boxed numbers compare after widening.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.is_f64() && y.is_f64() && x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Java's `Pattern.COMMENTS` is Rust's `x` flag; a test's pattern matches anywhere (`find`).
fn regex_find(pattern: &str, text: &str) -> Result<bool, String> {
    let re = regex::Regex::new(&format!("(?x){pattern}"))
        .map_err(|e| format!("the pattern /{pattern}/ is not one this runner can read: {e}"))?;
    Ok(re.is_match(text))
}

fn length(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    let n = match actual {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::String(s) => s.chars().count(),
        other => return Err(format!("[{path}] is {} and has no length", short(other))),
    };
    if expected.as_u64() == Some(n as u64) {
        Ok(())
    } else {
        Err(format!("[{path}] has length {n}, expected {expected}"))
    }
}

fn compare(op: &str, actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    let ord = match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "[{path}] {} cannot be compared with {expected}",
            short(actual)
        )
    })?;
    let ok = match op {
        "gt" => ord.is_gt(),
        "gte" => ord.is_ge(),
        "lt" => ord.is_lt(),
        _ => ord.is_le(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("[{path}] {} is not {op} {expected}", short(actual)))
    }
}

fn contains(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    let found = match actual {
        Value::Array(a) => a.iter().any(|x| same(x, expected) || subset(expected, x)),
        _ => false,
    };
    if found {
        Ok(())
    } else {
        Err(format!(
            "[{path}] {} does not contain {}",
            short(actual),
            short(expected)
        ))
    }
}

fn subset(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|x| same(v, x) || subset(v, x))),
        _ => false,
    }
}

/// Whether `version` falls in `ranges` (`"all"`, `"7.0.0 - 7.9.99"`, `" - 6.99.99"`,
/// `"7.1.0 - "`, several separated by commas).
pub fn version_in(ranges: &str, version: (u32, u32, u32)) -> bool {
    let parse = |s: &str| -> Option<(u32, u32, u32)> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let mut it = s.split('.').map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .unwrap_or(0)
        });
        Some((it.next()?, it.next().unwrap_or(0), it.next().unwrap_or(0)))
    };
    ranges.split(',').any(|r| {
        let r = r.trim();
        if r == "all" {
            return true;
        }
        let (lo, hi) = r.split_once('-').unwrap_or((r, r));
        let lo = parse(lo).unwrap_or((0, 0, 0));
        let hi = parse(hi).unwrap_or((u32::MAX, u32::MAX, u32::MAX));
        lo <= version && version <= hi
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(body: Value) -> Ctx {
        Ctx {
            stash: [("id".to_owned(), json!("abc")), ("n".to_owned(), json!(3))].into(),
            last: Some(Last { body }),
        }
    }

    #[test]
    fn version_ranges() {
        assert!(version_in("all", (8, 19, 7)));
        assert!(version_in(" - 8.99.99", (8, 19, 7)));
        assert!(!version_in(" - 6.99.99", (8, 19, 7)));
        assert!(version_in("7.1.0 - ", (8, 19, 7)));
        assert!(version_in("6.0.0 - 6.2.99, 8.0.0 - 8.99.99", (8, 19, 7)));
        assert!(!version_in("7.0.0 - 7.9.99", (8, 19, 7)));
    }

    #[test]
    fn paths_stash_and_assertions() {
        let c = ctx(json!({"a": {"b.c": [1, {"d": 2.5}], "abc": true}, "x": "", "z": 0}));
        assert_eq!(evaluate(&c, "a.b\\.c.1.d").unwrap(), json!(2.5));
        assert_eq!(evaluate(&c, "a.$id").unwrap(), json!(true));
        assert_eq!(evaluate(&c, "a._arbitrary_key_").unwrap(), json!("b.c"));
        assert_eq!(evaluate(&c, "nope.deeper").unwrap(), Value::Null);
        assert!(is_true(&c, &json!("a.abc"), true).is_ok());
        assert!(is_true(&c, &json!("x"), false).is_ok());
        assert!(is_true(&c, &json!("z"), false).is_ok());
        assert!(is_true(&c, &json!("nope"), true).is_err());
        assert!(matches(&json!(1), &json!(1), "p").is_ok());
        assert!(matches(&json!(1), &json!(1.0), "p").is_ok());
        assert!(matches(&json!([1]), &json!([1.0]), "p").is_err());
        assert!(matches(&json!("green 12\n"), &json!("/^green \\s+ \\d+ \\n$/"), "p").is_ok());
        assert!(matches(&json!("red"), &json!("/green/"), "p").is_err());
        assert!(length(&json!([1, 2]), &json!(2), "p").is_ok());
        assert!(length(&json!({"a": 1}), &json!(2), "p").is_err());
        assert!(compare("gte", &json!(3), &json!(3), "p").is_ok());
        assert!(compare("lt", &json!(3), &json!(2.5), "p").is_err());
        assert!(contains(&json!([{"a": 1, "b": 2}]), &json!({"a": 1}), "p").is_ok());
        assert_eq!(
            substitute(&c.stash, &json!({"$id": "$n", "q": "x ${id} y"})),
            json!({"abc": 3, "q": "x abc y"})
        );
    }

    #[test]
    fn warnings_are_checked_both_ways() {
        let r = Response {
            status: 200,
            headers: vec![(
                "warning".to_owned(),
                r#"299 Elasticsearch-8.19.7-x "a \"b\" c" "Sun, 06 Dec 2026""#.to_owned(),
            )],
            body: Vec::new(),
        };
        assert!(check_warnings(&r, &["a \"b\" c".to_owned()], &[]).is_ok());
        assert!(check_warnings(&r, &[], &["a \"b\" c".to_owned()]).is_ok());
        assert!(check_warnings(&r, &[], &[]).is_err());
        assert!(check_warnings(&r, &["other".to_owned()], &["a \"b\" c".to_owned()]).is_err());
    }
}
