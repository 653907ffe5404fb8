//! `unsigned_long`: integers from 0 to 2^64 - 1, kept in the signed 64-bit column as
//! Elasticsearch keeps them in Lucene, shifted by 2^63 (the top bit flipped) so that the
//! signed order is the unsigned one. Values are read, and query bounds rounded, as
//! Elasticsearch's `UnsignedLongFieldMapper` reads and rounds them; the text of a number is
//! read as a decimal (`BigDecimal`), never through a double.

use serde_json::Value;

const MASK: u64 = 1 << 63;

/// The column's value of `v`.
pub fn to_sortable(v: u64) -> i64 {
    (v ^ MASK) as i64
}

/// The unsigned value of a column's `s`.
pub fn from_sortable(s: i64) -> u64 {
    (s as u64) ^ MASK
}

/// A decimal number read from text: its integer part (saturated beyond `u128`) and whether
/// a non-zero fraction follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    /// the integer part's magnitude; `u128::MAX` when larger
    int: u128,
    fraction: bool,
}

impl Decimal {
    fn is_zero(&self) -> bool {
        self.int == 0 && !self.fraction
    }

    /// Above 2^64 - 1 (a positive number only).
    fn above_max(&self) -> bool {
        !self.negative
            && (self.int > u64::MAX as u128 || self.int == u64::MAX as u128 && self.fraction)
    }

    fn is_max(&self) -> bool {
        !self.negative && self.int == u64::MAX as u128 && !self.fraction
    }
}

/// Reads `s` as Java's `BigDecimal(String)` does: a sign, digits with one optional point, an
/// optional exponent. `None` when it is not a number.
fn decimal(s: &str) -> Option<Decimal> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(at) => {
            let e = &rest[at + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // beyond this the number is 0 or far above any bound: cap the shift
            let e: i64 = e
                .parse()
                .unwrap_or(if e.starts_with('-') { -10_000 } else { 10_000 });
            (&rest[..at], e.clamp(-10_000, 10_000))
        }
        None => (rest, 0),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_digits.is_empty() && frac_digits.is_empty()
        || !int_digits.bytes().all(|c| c.is_ascii_digit())
        || !frac_digits.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = int_digits.bytes().chain(frac_digits.bytes()).collect();
    // where the point falls in `digits` once the exponent moved it
    let point = int_digits.len() as i64 + exp;
    let mut int: u128 = 0;
    let mut fraction = false;
    for (i, d) in digits.iter().enumerate() {
        let d = u128::from(d - b'0');
        if (i as i64) < point {
            int = int.saturating_mul(10).saturating_add(d);
        } else if d != 0 {
            fraction = true;
        }
    }
    // zeros the exponent appends after the digits
    for _ in digits.len() as i64..point {
        int = int.saturating_mul(10);
    }
    Some(Decimal {
        negative,
        int,
        fraction,
    })
}

/// A value of the field in a document, as ES's `parseUnsignedLong` reads it; the error is
/// ES's reason.
pub fn parse_value(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if let Some(i) = n.as_i64() {
                Err(format!("Value [{i}] is out of range for unsigned long."))
            } else {
                Err(format!("For input string: [{}].", java_double(n.as_f64())))
            }
        }
        Value::String(s) => parse_text(s),
        other => Err(format!("For input string: \"{other}\"")),
    }
}

fn parse_text(s: &str) -> Result<u64, String> {
    if let Ok(u) = s.parse::<u64>() {
        return Ok(u);
    }
    let d = decimal(s).ok_or_else(|| format!("For input string: \"{s}\""))?;
    if d.fraction {
        return Err(format!("Value \"{s}\" has a decimal part"));
    }
    if d.negative && d.int != 0 {
        return Err(format!(
            "Value [-{}] is out of range for unsigned long",
            d.int
        ));
    }
    u64::try_from(d.int).map_err(|_| {
        if d.int == u128::MAX {
            format!("Value [{s}] is out of range for unsigned long")
        } else {
            format!("Value [{}] is out of range for unsigned long", d.int)
        }
    })
}

/// Java's `Double.toString` of the few doubles a document gives (`1.5`, `1.0E19`).
fn java_double(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() && x.abs() >= 1e7 => {
            let s = format!("{x:E}");
            match s.split_once('E') {
                Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
                _ => s,
            }
        }
        Some(x) if x.fract() == 0.0 => format!("{x:.1}"),
        Some(x) => x.to_string(),
        None => "NaN".to_owned(),
    }
}

/// A `term` query's value: `Ok(None)` for a number that no value can equal (negative, with a
/// fraction, beyond 2^64 - 1), as ES's `parseTerm`; an error for text that is no number.
pub fn parse_term(v: &Value) -> Result<Option<u64>, String> {
    match v {
        Value::Number(n) => Ok(n.as_u64()),
        other => {
            let s = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            if let Ok(u) = s.parse::<u64>() {
                return Ok(Some(u));
            }
            if s.trim().parse::<f64>().is_ok() {
                Ok(None)
            } else {
                Err(format!("For input string: \"{s}\""))
            }
        }
    }
}

/// The least value a range's lower bound takes in; `Ok(None)` when none can (as ES's
/// `parseLowerRangeTerm`, including its reading of a non-positive bound given as text as 0).
pub fn lower_bound(v: &Value, include: bool) -> Result<Option<u64>, String> {
    if let Value::Number(n) = v
        && let Some(i) = n.as_i64()
    {
        if i < 0 {
            return Ok(Some(0));
        }
        let i = i as u64;
        return Ok(Some(if include { i } else { i + 1 }));
    }
    let d = bound_decimal(v)?;
    if d.negative || d.is_zero() {
        return Ok(Some(0));
    }
    if d.above_max() || d.is_max() && !include {
        return Ok(None);
    }
    let n = d.int as u64;
    Ok(Some(if !include || d.fraction { n + 1 } else { n }))
}

/// The greatest value a range's upper bound takes in; `Ok(None)` when none can (as ES's
/// `parseUpperRangeTerm`).
pub fn upper_bound(v: &Value, include: bool) -> Result<Option<u64>, String> {
    if let Value::Number(n) = v
        && let Some(i) = n.as_i64()
    {
        if i < 0 || i == 0 && !include {
            return Ok(None);
        }
        let i = i as u64;
        return Ok(Some(if include { i } else { i - 1 }));
    }
    let d = bound_decimal(v)?;
    if d.negative && !d.is_zero() || d.is_zero() && !include {
        return Ok(None);
    }
    if d.negative {
        return Ok(Some(0));
    }
    if d.above_max() {
        return Ok(Some(u64::MAX));
    }
    let n = d.int as u64;
    Ok(Some(if !include && !d.fraction { n - 1 } else { n }))
}

fn bound_decimal(v: &Value) -> Result<Decimal, String> {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    decimal(&s).ok_or_else(|| format!("For input string: \"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_column_keeps_the_unsigned_order() {
        let values = [0, 1, (1 << 63) - 1, 1 << 63, u64::MAX - 1, u64::MAX];
        for w in values.windows(2) {
            assert!(to_sortable(w[0]) < to_sortable(w[1]), "{w:?}");
        }
        for v in values {
            assert_eq!(from_sortable(to_sortable(v)), v);
        }
    }

    #[test]
    fn document_values_are_read_as_elasticsearch_reads_them() {
        assert_eq!(
            parse_value(&json!(18_446_744_073_709_551_615u64)),
            Ok(u64::MAX)
        );
        assert_eq!(parse_value(&json!("18446744073709551615")), Ok(u64::MAX));
        assert_eq!(parse_value(&json!("1e3")), Ok(1000));
        assert_eq!(parse_value(&json!("1.0")), Ok(1));
        assert_eq!(parse_value(&json!("+7")), Ok(7));
        assert_eq!(
            parse_value(&json!(-5)),
            Err("Value [-5] is out of range for unsigned long.".to_owned())
        );
        assert_eq!(
            parse_value(&json!("-5")),
            Err("Value [-5] is out of range for unsigned long".to_owned())
        );
        assert_eq!(
            parse_value(&json!("18446744073709551616")),
            Err("Value [18446744073709551616] is out of range for unsigned long".to_owned())
        );
        assert_eq!(
            parse_value(&json!("1.5")),
            Err("Value \"1.5\" has a decimal part".to_owned())
        );
        assert_eq!(
            parse_value(&json!(1.5)),
            Err("For input string: [1.5].".to_owned())
        );
        assert_eq!(
            parse_value(&json!("abc")),
            Err("For input string: \"abc\"".to_owned())
        );
        assert_eq!(
            parse_value(&json!("+-1")),
            Err("For input string: \"+-1\"".to_owned())
        );
    }

    #[test]
    fn terms_and_bounds_round_as_elasticsearch_rounds_them() {
        assert_eq!(parse_term(&json!(5)), Ok(Some(5)));
        assert_eq!(parse_term(&json!(-5)), Ok(None));
        assert_eq!(parse_term(&json!("1.5")), Ok(None));
        assert_eq!(
            parse_term(&json!("18446744073709551615")),
            Ok(Some(u64::MAX))
        );
        assert!(parse_term(&json!("x")).is_err());
        // lower bounds
        assert_eq!(lower_bound(&json!(-3), true), Ok(Some(0)));
        assert_eq!(lower_bound(&json!(3), false), Ok(Some(4)));
        assert_eq!(
            lower_bound(&json!("9223372036854775808.5"), true),
            Ok(Some((1 << 63) + 1))
        );
        assert_eq!(lower_bound(&json!("2.0"), false), Ok(Some(3)));
        assert_eq!(lower_bound(&json!("18446744073709551615"), false), Ok(None));
        assert_eq!(lower_bound(&json!("0"), false), Ok(Some(0)));
        // upper bounds
        assert_eq!(upper_bound(&json!(0), false), Ok(None));
        assert_eq!(upper_bound(&json!(5), false), Ok(Some(4)));
        assert_eq!(upper_bound(&json!("5.5"), false), Ok(Some(5)));
        assert_eq!(upper_bound(&json!("5"), false), Ok(Some(4)));
        assert_eq!(upper_bound(&json!("1e30"), true), Ok(Some(u64::MAX)));
        assert_eq!(upper_bound(&json!("-1"), true), Ok(None));
        assert!(upper_bound(&json!("x"), true).is_err());
    }

    #[test]
    fn decimals_never_panic() {
        for s in [
            "",
            "-",
            "+",
            ".",
            "e",
            "1e",
            "1e-",
            "1e99999999999",
            "1e-99999999999",
            "1.2.3",
            "--1",
            "٣",
        ] {
            let _ = decimal(s);
            let _ = parse_value(&json!(s));
            let _ = lower_bound(&json!(s), false);
            let _ = upper_bound(&json!(s), false);
        }
        assert_eq!(decimal("1e99999999999").map(|d| d.int), Some(u128::MAX));
        assert_eq!(
            decimal("1e-99999999999").map(|d| (d.int, d.fraction)),
            Some((0, true))
        );
    }
}
