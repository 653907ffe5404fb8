//! The `ip` field type's values: Elasticsearch's address syntax, its CIDR syntax and its
//! rendering, and the term an address is indexed as.
//!
//! Elasticsearch stores every address as 16 bytes (an IPv4 address as its IPv4-mapped IPv6
//! form, `::ffff:a.b.c.d`) and orders them by those bytes; here an address is the `u128` of
//! those bytes, so numeric order is Elasticsearch's order. It is indexed as a keyword term of
//! 32 lowercase hex digits ([`to_term`]): fixed width, so the terms sort as the addresses do,
//! and a CIDR block or a range is an interval of terms.
//!
//! Parsing follows Elasticsearch's `InetAddresses.forString` (its copy of Guava's): a dotted
//! quad with no leading zeros, or eight hextets with at most one `::` and an optional trailing
//! dotted quad; an IPv6 scope (`%eth0`) is dropped; nothing else (no spaces, no brackets).

use crate::error::{Error, Result};

/// The IPv4-mapped prefix `::ffff:0:0`.
const V4_MAPPED: u128 = 0xffff << 32;

/// True when `v` is an IPv4 address (IPv4-mapped IPv6), which Elasticsearch shows as a dotted
/// quad.
pub fn is_v4(v: u128) -> bool {
    v >> 32 == 0xffff
}

/// Parses an address as Elasticsearch does; `None` when it is not one.
pub fn parse(s: &str) -> Option<u128> {
    let mut has_colon = false;
    let mut has_dot = false;
    let mut percent = None;
    for (i, c) in s.char_indices() {
        match c {
            '.' => has_dot = true,
            ':' if has_dot => return None,
            ':' => has_colon = true,
            '%' => {
                percent = Some(i);
                break;
            }
            c if c.is_ascii_hexdigit() => {}
            _ => return None,
        }
    }
    if has_colon {
        // as Elasticsearch: the trailing dotted quad is converted first (a scope after it
        // makes it fail), then the scope is cut off
        let converted;
        let mut text = s;
        if has_dot {
            converted = dotted_quad_to_hex(s)?;
            text = &converted;
        }
        if let Some(p) = percent.and_then(|_| text.find('%')) {
            text = &text[..p];
        }
        return parse_v6(text);
    }
    if has_dot && percent.is_none() {
        return parse_v4(s).map(|v4| V4_MAPPED | u128::from(v4));
    }
    None
}

/// The Elasticsearch error for a string that is not an address.
pub fn not_an_ip(s: &str) -> Error {
    Error::illegal_argument(format!("'{s}' is not an IP string literal."))
}

/// Parses an address, or fails with Elasticsearch's `illegal_argument_exception`.
pub fn parse_or_err(s: &str) -> Result<u128> {
    parse(s).ok_or_else(|| not_an_ip(s))
}

fn parse_v4(s: &str) -> Option<u32> {
    let mut out = 0u32;
    let mut parts = 0;
    for part in s.split('.') {
        parts += 1;
        if parts > 4 || part.is_empty() || part.len() > 3 {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        let octet: u32 = part.parse().ok()?;
        if octet > 255 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out = out << 8 | octet;
    }
    (parts == 4).then_some(out)
}

/// `a:b::1.2.3.4` → `a:b::102:304` (None when the quad is not one).
fn dotted_quad_to_hex(s: &str) -> Option<String> {
    let last_colon = s.rfind(':')?;
    let quad = parse_v4(&s[last_colon + 1..])?;
    Some(format!(
        "{}{:x}:{:x}",
        &s[..=last_colon],
        quad >> 16,
        quad & 0xffff
    ))
}

fn parse_v6(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    let delimiters = b.iter().filter(|&&c| c == b':').count();
    if !(2..=8).contains(&delimiters) {
        return None;
    }
    // hextets the `::` stands for
    let mut skipped = 8i32 - (delimiters as i32 + 1);
    let mut has_skip = false;
    for i in 0..b.len() - 1 {
        if b[i] == b':' && b[i + 1] == b':' {
            if has_skip {
                return None;
            }
            has_skip = true;
            skipped += 1;
            if i == 0 {
                skipped += 1;
            }
            if i == b.len() - 2 {
                skipped += 1;
            }
        }
    }
    if b[0] == b':' && b[1] != b':' {
        return None;
    }
    if b[b.len() - 1] == b':' && b[b.len() - 2] != b':' {
        return None;
    }
    if has_skip && skipped <= 0 {
        return None;
    }
    if !has_skip && delimiters + 1 != 8 {
        return None;
    }
    let mut out = 0u128;
    let mut hextets = 0;
    let mut start = usize::from(b[0] == b':');
    while start < b.len() {
        let end = s[start..].find(':').map_or(b.len(), |e| start + e);
        if b[start] == b':' {
            for _ in 0..skipped {
                out <<= 16;
                hextets += 1;
            }
        } else {
            let part = &s[start..end];
            if part.is_empty() || part.len() > 4 {
                return None;
            }
            out = out << 16 | u128::from(u16::from_str_radix(part, 16).ok()?);
            hextets += 1;
        }
        start = end + 1;
    }
    (hextets == 8).then_some(out)
}

/// Renders an address as Elasticsearch does: IPv4 as a dotted quad, IPv6 in hextets with the
/// longest run (two or more, the first of equals) of zero hextets as `::`.
pub fn format(v: u128) -> String {
    if is_v4(v) {
        let q = v as u32;
        return format!(
            "{}.{}.{}.{}",
            q >> 24,
            (q >> 16) & 0xff,
            (q >> 8) & 0xff,
            q & 0xff
        );
    }
    let hextets: [u16; 8] = std::array::from_fn(|i| (v >> (112 - 16 * i)) as u16);
    let (mut best, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if hextets[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < 8 && hextets[i] == 0 {
            i += 1;
        }
        if i - start > best_len {
            (best, best_len) = (start, i - start);
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut out = String::with_capacity(39);
    let mut last_was_number = false;
    for (i, h) in hextets.iter().enumerate() {
        let skipped = (best..best.saturating_add(best_len)).contains(&i);
        if skipped {
            if i == 0 || last_was_number {
                out.push_str("::");
            }
        } else {
            if last_was_number {
                out.push(':');
            }
            out.push_str(&format!("{h:x}"));
        }
        last_was_number = !skipped;
    }
    out
}

/// The keyword term an address is indexed as: 32 lowercase hex digits.
pub fn to_term(v: u128) -> String {
    format!("{v:032x}")
}

/// The address of an indexed term (`None` for anything [`to_term`] does not write).
pub fn from_term(t: &str) -> Option<u128> {
    if t.len() != 32 {
        return None;
    }
    u128::from_str_radix(t, 16).ok()
}

/// An indexed term rendered as its address (a term that is not one is shown as it is).
pub fn term_to_display(t: &str) -> String {
    from_term(t).map_or_else(|| t.to_owned(), format)
}

/// A CIDR block `address/prefix` as the inclusive range of addresses it covers, with
/// Elasticsearch's `InetAddresses.parseCidr` errors. An IPv4 address takes a prefix of 0-32,
/// an IPv6 one 0-128.
pub fn parse_cidr(s: &str) -> Result<(u128, u128)> {
    // Java's `split("/")`: trailing empty parts are dropped
    let mut parts: Vec<&str> = s.split('/').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let [addr_text, prefix_text] = parts[..] else {
        return Err(Error::illegal_argument(format!(
            "Expected [ip/prefix] but was [{s}]"
        )));
    };
    let addr = parse_or_err(addr_text)?;
    let v4 = is_v4(addr);
    if addr_text.contains(':') && v4 {
        return Err(Error::illegal_argument(format!(
            "CIDR notation is not allowed with IPv6-mapped IPv4 address [{addr_text} as it introduces ambiguity as to whether the prefix length should be interpreted as a v4 prefix length or a v6 prefix length"
        )));
    }
    let prefix: i32 = prefix_text.parse().map_err(|_| {
        Error::es(
            400,
            "number_format_exception",
            format!("For input string: \"{prefix_text}\""),
        )
    })?;
    let bits = if v4 { 32 } else { 128 };
    if !(0..=bits).contains(&prefix) {
        return Err(Error::illegal_argument(format!(
            "Illegal prefix length [{prefix}] in [{s}]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges"
        )));
    }
    // the prefix counts from the first of the 16 bytes
    let prefix = if v4 { prefix + 96 } else { prefix } as u32;
    let host = u128::MAX.checked_shr(prefix).unwrap_or(0);
    Ok((addr & !host, addr | host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(input: &str, expected: Option<&str>) {
        assert_eq!(parse(input).map(format).as_deref(), expected, "{input}");
    }

    #[test]
    fn parses_and_renders_as_elasticsearch() {
        for (input, expected) in [
            ("10.0.0.1", Some("10.0.0.1")),
            ("0.0.0.0", Some("0.0.0.0")),
            ("255.255.255.255", Some("255.255.255.255")),
            ("::ffff:10.0.0.2", Some("10.0.0.2")),
            ("::ffff:a00:2", Some("10.0.0.2")),
            ("2001:DB8::1", Some("2001:db8::1")),
            ("::1.2.3.4", Some("::102:304")),
            ("0:0:0:0:0:0:0:1", Some("::1")),
            ("::", Some("::")),
            ("fe80::1%eth0", Some("fe80::1")),
            ("1:0:0:2:0:0:0:3", Some("1:0:0:2::3")),
            ("1:0:0:2:0:0:3:4", Some("1::2:0:0:3:4")),
            ("1:2:3:4:5:6:7:0", Some("1:2:3:4:5:6:7:0")),
            ("1:2:3:4:5:6:0:0", Some("1:2:3:4:5:6::")),
            ("1::", Some("1::")),
            ("::ffff:1:2", Some("0.1.0.2")),
            ("::a:b:c:d:e:f:1", Some("0:a:b:c:d:e:f:1")),
            ("1:2:3:4:5:6:7::", Some("1:2:3:4:5:6:7:0")),
            ("foo", None),
            ("", None),
            ("12", None),
            (" 1.2.3.4", None),
            ("01.2.3.4", None),
            ("1.2.3", None),
            ("1.2.3.4.5", None),
            ("256.0.0.1", None),
            ("1.2.3.4%eth0", None),
            ("::1.2.3.4%eth0", None),
            (":1", None),
            ("1:", None),
            ("1::2::3", None),
            ("1:2:3:4:5:6:7:8:9", None),
            ("1:2:3:4:5:6:7", None),
            ("12345::", None),
            ("[::1]", None),
            ("1.2.3.4/8", None),
        ] {
            check_parse(input, expected);
        }
    }

    #[test]
    fn terms_sort_as_addresses_and_read_back() {
        let addrs = [
            "::",
            "::1",
            "::102:304",
            "10.0.0.1",
            "192.168.1.1",
            "2001:db8::1",
        ];
        let terms: Vec<String> = addrs
            .iter()
            .map(|a| to_term(parse(a).unwrap_or_default()))
            .collect();
        let mut sorted = terms.clone();
        sorted.sort();
        assert_eq!(sorted, terms);
        let back: Vec<String> = terms.iter().map(|t| term_to_display(t)).collect();
        assert_eq!(back, addrs);
        assert_eq!(term_to_display("not a term"), "not a term");
    }

    proptest::proptest! {
        /// Every address reads back from its rendering and from its term, and terms sort as
        /// the addresses do.
        #[test]
        fn renderings_and_terms_read_back(a: u128, b: u128, v4: u32) {
            for x in [a, b, V4_MAPPED | u128::from(v4)] {
                proptest::prop_assert_eq!(parse(&format(x)), Some(x));
                proptest::prop_assert_eq!(from_term(&to_term(x)), Some(x));
            }
            proptest::prop_assert_eq!(a.cmp(&b), to_term(a).cmp(&to_term(b)));
        }

        /// The address parser agrees with the standard library's on what it renders.
        #[test]
        fn renderings_agree_with_std(a: u128) {
            let std = std::net::Ipv6Addr::from(a);
            let shown = std.to_ipv4_mapped().map_or_else(|| std.to_string(), |v4| v4.to_string());
            proptest::prop_assert_eq!(parse(&shown), Some(a));
        }
    }

    fn check_cidr(input: &str, expected: Result<(&str, &str), &str>) {
        let got = parse_cidr(input)
            .map(|(lo, hi)| (format(lo), format(hi)))
            .map_err(|e| e.reason());
        let expected = expected
            .map(|(lo, hi)| (lo.to_owned(), hi.to_owned()))
            .map_err(str::to_owned);
        assert_eq!(got, expected, "{input}");
    }

    #[test]
    fn cidr_blocks_and_their_errors() {
        check_cidr("10.0.0.0/8", Ok(("10.0.0.0", "10.255.255.255")));
        check_cidr("10.1.2.3/8", Ok(("10.0.0.0", "10.255.255.255")));
        check_cidr("10.0.0.7/32", Ok(("10.0.0.7", "10.0.0.7")));
        check_cidr("0.0.0.0/0", Ok(("0.0.0.0", "255.255.255.255")));
        check_cidr("10.0.0.0/+8", Ok(("10.0.0.0", "10.255.255.255")));
        check_cidr(
            "2001:db8::/32",
            Ok(("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")),
        );
        check_cidr(
            "::/0",
            Ok(("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
        );
        check_cidr(
            "10.0.0.0/33",
            Err(
                "Illegal prefix length [33] in [10.0.0.0/33]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges",
            ),
        );
        check_cidr(
            "10.0.0.0/-1",
            Err(
                "Illegal prefix length [-1] in [10.0.0.0/-1]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges",
            ),
        );
        check_cidr("10.0.0.0/", Err("Expected [ip/prefix] but was [10.0.0.0/]"));
        check_cidr("a/b/c", Err("Expected [ip/prefix] but was [a/b/c]"));
        check_cidr("/8", Err("'' is not an IP string literal."));
        check_cidr("10.0.0.0/x", Err("For input string: \"x\""));
        check_cidr(
            "::ffff:10.0.0.0/104",
            Err(
                "CIDR notation is not allowed with IPv6-mapped IPv4 address [::ffff:10.0.0.0 as it introduces ambiguity as to whether the prefix length should be interpreted as a v4 prefix length or a v6 prefix length",
            ),
        );
    }
}
