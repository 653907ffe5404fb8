//! Java's `DecimalFormat` patterns, as Elasticsearch formats numbers with them (a histogram's
//! `format`, `docvalue_fields` with a `format` on a numeric field): a literal prefix and
//! suffix (`'` quotes), `#` and `0` digits, `,` grouping, `.` and the fraction's minimum (`0`)
//! and maximum (`0` and `#`) digits, `%` (times 100), rounding half to even. Exponents
//! (`E`), per-mille and sub-patterns for negatives (`;`) are refused by name.

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct DecimalFormat {
    prefix: String,
    suffix: String,
    min_int: usize,
    /// digits per group (`None`: no grouping)
    grouping: Option<usize>,
    min_frac: usize,
    max_frac: usize,
    percent: bool,
}

impl DecimalFormat {
    /// Reads `pattern`.
    ///
    /// # Errors
    /// A pattern with no digit, or with a feature this reader does not have (named).
    pub fn parse(pattern: &str) -> Result<DecimalFormat, String> {
        if pattern.contains(';') {
            return Err(format!(
                "the negative sub-pattern of [{pattern}] is not supported by sluice-store"
            ));
        }
        let chars: Vec<char> = pattern.chars().collect();
        let (mut prefix, mut suffix, mut number) = (String::new(), String::new(), String::new());
        let mut percent = false;
        let mut stage = 0; // 0 prefix, 1 number, 2 suffix
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // a quoted literal ('' is a quote)
                let mut j = i + 1;
                let mut lit = String::new();
                while j < chars.len() && chars[j] != '\'' {
                    lit.push(chars[j]);
                    j += 1;
                }
                if lit.is_empty() {
                    lit.push('\'');
                }
                if stage == 1 {
                    stage = 2;
                }
                if stage == 0 { &mut prefix } else { &mut suffix }.push_str(&lit);
                i = j + 1;
                continue;
            }
            match c {
                '#' | '0' | ',' | '.' if stage < 2 => {
                    stage = 1;
                    number.push(c);
                }
                'E' | '\u{2030}' | '\u{a4}' => {
                    return Err(format!(
                        "[{c}] in the number format [{pattern}] is not supported by sluice-store"
                    ));
                }
                '%' => {
                    percent = true;
                    if stage == 1 {
                        stage = 2;
                    }
                    if stage == 0 { &mut prefix } else { &mut suffix }.push('%');
                }
                c => {
                    if stage == 1 {
                        stage = 2;
                    }
                    if stage == 0 { &mut prefix } else { &mut suffix }.push(c);
                }
            }
            i += 1;
        }
        if !number.contains(['#', '0']) {
            // no digit at all: Java writes the text, then the integer (`abc` writes 1 as
            // `abc1`)
            return Ok(DecimalFormat {
                prefix: format!("{prefix}{number}{suffix}"),
                suffix: String::new(),
                min_int: 1,
                grouping: None,
                min_frac: 0,
                max_frac: 0,
                percent,
            });
        }
        let (int_part, frac_part) = match number.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (number.as_str(), None),
        };
        let grouping = int_part
            .rfind(',')
            .map(|at| int_part[at + 1..].chars().filter(|c| *c != ',').count())
            .filter(|n| *n > 0);
        let frac = frac_part.unwrap_or("");
        Ok(DecimalFormat {
            prefix,
            suffix,
            min_int: int_part.chars().filter(|c| *c == '0').count(),
            grouping,
            min_frac: frac.chars().filter(|c| *c == '0').count(),
            max_frac: frac.chars().filter(|c| *c == '0' || *c == '#').count(),
            percent,
        })
    }

    /// `x` written with the pattern.
    pub fn format(&self, x: f64) -> String {
        if x.is_nan() {
            return "NaN".to_owned();
        }
        let x = if self.percent { x * 100.0 } else { x };
        let negative = x.is_sign_negative() && x != 0.0;
        if x.is_infinite() {
            let sign = if negative { "-" } else { "" };
            return format!("{sign}{}\u{221e}{}", self.prefix, self.suffix);
        }
        let text = format!("{:.*}", self.max_frac, x.abs());
        let (int_digits, frac_digits) = match text.split_once('.') {
            Some((a, b)) => (a.to_owned(), b.trim_end_matches('0').to_owned()),
            None => (text.clone(), String::new()),
        };
        let mut frac = frac_digits;
        while frac.len() < self.min_frac {
            frac.push('0');
        }
        let mut int = int_digits.trim_start_matches('0').to_owned();
        while int.len() < self.min_int {
            int.insert(0, '0');
        }
        if int.is_empty() && frac.is_empty() {
            int.push('0');
        }
        if let Some(g) = self.grouping {
            let digits: Vec<char> = int.chars().collect();
            let mut grouped = String::new();
            for (k, d) in digits.iter().enumerate() {
                if k > 0 && (digits.len() - k).is_multiple_of(g) {
                    grouped.push(',');
                }
                grouped.push(*d);
            }
            int = grouped;
        }
        let sign = if negative { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{}{int}{}", self.prefix, self.suffix)
        } else {
            format!("{sign}{}{int}.{frac}{}", self.prefix, self.suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(p: &str, x: f64) -> String {
        DecimalFormat::parse(p).unwrap().format(x)
    }

    /// Java's `DecimalFormat` answers for these patterns and values.
    #[test]
    fn formats_as_java_does() {
        assert_eq!(f("#.0", 1.0), "1.0");
        assert_eq!(f("#.0", 0.5), ".5");
        assert_eq!(f("Value is ##0.0", 50.0), "Value is 50.0");
        assert_eq!(f("Value is ##0.0", 0.0), "Value is 0.0");
        assert_eq!(f("#,##0.00", 1234567.891), "1,234,567.89");
        assert_eq!(f("0.###", 1.23456), "1.235");
        assert_eq!(f("0.###", 2.5), "2.5");
        assert_eq!(f("000", 7.0), "007");
        assert_eq!(f("#", 2.5), "2");
        assert_eq!(f("#", 3.5), "4");
        assert_eq!(f("0.00", 0.125), "0.12");
        assert_eq!(f("#%", 0.25), "25%");
        assert_eq!(f("'$'#,##0.00", -1234.5), "-$1,234.50");
        assert!(DecimalFormat::parse("0.0E0").is_err());
        assert_eq!(f("use_field_mapping", 1.0), "use_field_mapping1");
    }
}
