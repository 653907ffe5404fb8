//! Date math in index names, as Elasticsearch resolves them in a request's target:
//! `<static{date_math{format|time_zone}}static>`, e.g. `<logs-{now/d}>` is today's
//! `logs-2026.12.07` and `<logs-{now/M-1M{yyyy.MM}}>` last month's `logs-2026.11`. `\{` and
//! `\}` are literal braces; the format defaults to `yyyy.MM.dd` and the zone to UTC.

use crate::error::{Error, Result};
use crate::mapping::date;
use crate::query::datemath;

/// ES's default format of a date math name.
const DEFAULT_FORMAT: &str = "yyyy.MM.dd";

/// Resolves every comma-separated part of `target` that is a date math expression (`<...>`);
/// other parts are kept as they are.
///
/// # Errors
/// ES's `parse_exception` for an expression it cannot read.
pub fn resolve_target(target: &str, now_ms: i64) -> Result<String> {
    if !target.contains('<') {
        return Ok(target.to_owned());
    }
    let parts: Result<Vec<String>> = split_parts(target)
        .into_iter()
        .map(|p| {
            // an exclusion keeps its `-`
            let (sign, expr) = match p.strip_prefix('-') {
                Some(rest) if rest.starts_with('<') => ("-", rest),
                _ => ("", p),
            };
            if expr.starts_with('<') && expr.ends_with('>') {
                resolve(expr, now_ms).map(|n| format!("{sign}{n}"))
            } else {
                Ok(p.to_owned())
            }
        })
        .collect();
    Ok(parts?.join(","))
}

/// `target` split at the commas outside braces (a format may hold one).
fn split_parts(target: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in target.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&target[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&target[start..]);
    parts
}

fn invalid(expr: &str, why: &str) -> Error {
    Error::es(
        400,
        "parse_exception",
        format!("invalid dynamic name expression [{expr}]. {why}"),
    )
}

/// One `<...>` expression.
fn resolve(expr: &str, now_ms: i64) -> Result<String> {
    let inner = &expr[1..expr.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => out.push(next),
                None => return Err(invalid(expr, "invalid escape at the end")),
            },
            '}' => {
                return Err(invalid(
                    expr,
                    "invalid character in placeholder at position",
                ));
            }
            '{' => {
                // the date math, then an optional `{format|zone}`, then `}`
                let mut math = String::new();
                let mut format = None;
                loop {
                    match chars.next() {
                        None => {
                            return Err(invalid(expr, "missing closing `}` for date math format"));
                        }
                        Some('}') => break,
                        Some('{') => {
                            let mut spec = String::new();
                            loop {
                                match chars.next() {
                                    None => {
                                        return Err(invalid(
                                            expr,
                                            "missing closing `}` for date math format",
                                        ));
                                    }
                                    Some('}') => break,
                                    Some(x) => spec.push(x),
                                }
                            }
                            format = Some(spec);
                        }
                        Some(x) => math.push(x),
                    }
                }
                if math.is_empty() {
                    return Err(invalid(expr, "missing date math expression"));
                }
                out.push_str(&date_part(expr, &math, format.as_deref(), now_ms)?);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The date of `math` (`now/d-1d`) printed with `spec` (`format[|zone]`).
fn date_part(expr: &str, math: &str, spec: Option<&str>, now_ms: i64) -> Result<String> {
    let (format, zone) = match spec {
        None => (DEFAULT_FORMAT, None),
        Some(s) => match s.split_once('|') {
            Some((f, z)) => (if f.is_empty() { DEFAULT_FORMAT } else { f }, Some(z)),
            None => (if s.is_empty() { DEFAULT_FORMAT } else { s }, None),
        },
    };
    if !math.starts_with("now") {
        return Err(invalid(expr, "date math expression must start with [now]"));
    }
    let zone = zone.map(datemath::parse_time_zone).transpose()?;
    let formats = date::parse_formats(format)
        .map_err(|e| invalid(expr, &format!("invalid date format [{format}]: {e}")))?;
    let ms = datemath::resolve(math, &formats, zone, now_ms, false)?;
    Ok(date::format_with(ms, &formats, zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-03-22T23:15:00Z
    const NOW: i64 = 1_711_149_300_000;

    fn r(s: &str) -> String {
        resolve_target(s, NOW).unwrap_or_else(|e| format!("error: {}", e.reason()))
    }

    #[test]
    fn names_resolve_as_elasticsearch_documents_them() {
        assert_eq!(r("<logstash-{now/d}>"), "logstash-2024.03.22");
        assert_eq!(r("<logstash-{now/M}>"), "logstash-2024.03.01");
        assert_eq!(r("<logstash-{now/M{yyyy.MM}}>"), "logstash-2024.03");
        assert_eq!(r("<logstash-{now/M-1M{yyyy.MM}}>"), "logstash-2024.02");
        assert_eq!(
            r("<logstash-{now/d{yyyy.MM.dd|+12:00}}>"),
            "logstash-2024.03.23"
        );
        assert_eq!(r("<elastic\\{ON\\}-{now/M}>"), "elastic{ON}-2024.03.01");
        assert_eq!(
            r("<logs-{now/d}>,other,-<logs-{now/d-1d}>"),
            "logs-2024.03.22,other,-logs-2024.03.21"
        );
        assert_eq!(r("plain,names"), "plain,names");
        // a format with a comma stays one part
        assert_eq!(r("<a-{now/d{yyyy,MM}}>"), "a-2024,03");
    }

    #[test]
    fn bad_expressions_are_parse_errors() {
        for bad in [
            "<logs-{now/d>",
            "<logs-{}>",
            "<logs-{yesterday}>",
            "<logs-}>",
            "<logs-\\>",
        ] {
            let e = resolve_target(bad, NOW).err();
            assert_eq!(
                e.as_ref().map(|e| e.es_type().to_owned()),
                Some("parse_exception".to_owned()),
                "{bad}: {e:?}"
            );
        }
    }
}
