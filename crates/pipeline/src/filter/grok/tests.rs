//! The standard library itself: every pattern compiles in both sets.

use std::collections::HashMap;

use super::{compile, standard};

#[test]
fn every_standard_pattern_compiles() {
    let none = HashMap::new();
    for ecs in [false, true] {
        let lib = standard(ecs);
        assert!(lib.len() > 250, "library has {} patterns", lib.len());
        let mut failed = Vec::new();
        for name in lib.keys() {
            if let Err(e) = compile(&format!("%{{{name}}}"), &none, lib, true, None, &[]) {
                failed.push(format!("{name}: {e}"));
            }
        }
        assert!(failed.is_empty(), "ecs={ecs}: {failed:#?}");
    }
}

#[test]
fn self_reference_is_an_error_not_a_stack_overflow() {
    let mut user = HashMap::new();
    user.insert("LOOP".to_owned(), "a%{LOOP}".to_owned());
    let err = compile("%{LOOP}", &user, standard(true), true, None, &[]).unwrap_err();
    assert!(err.contains("nesting deeper"), "{err}");
}

/// Texts of the shapes the library is written for, and near misses.
const TEXTS: &[&str] = &[
    r#"192.168.12.7 - - [24/Nov/2026:22:15:44 +0000] "GET /index.html HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)""#,
    r#"10.0.3.250 - frank [24/Nov/2026:22:15:45 +0000] "POST /api?next=%2F HTTP/2.0" 302 - "https://example.com/login" "curl/8.5.0""#,
    r#"2001:db8::ff00:42:8329 - - [01/Jan/2026:00:00:00 -0700] "-" 400 0 "-" "-""#,
    "Nov 24 22:15:44 web-01 sshd[4121]: Failed password for root from 1.2.3.4 port 22 ssh2",
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    "2026-11-24T22:15:44.123456Z ERROR [main] user=alice took 0.153s",
    "2026-11-24 22:15:44,123 WARN  com.example.App - disk 91% full",
    "1.2.3.4 12.34.56.789 256.1.1.1 01.2.3.4 1.2.3.4.5 a1.2.3.4 1.2.3.4a",
    "-12.5e3 +7 .5 3. 1.2.3 0x1F 0xdeadbeef ff 12ab -0",
    r#""quoted \"inner\" text" 'single' `back` "" unterminated " \"esc"#,
    "user@example.com first.last+tag@sub.example.co.uk @nope",
    "https://user:pw@example.com:8443/a/b/c.html?x=1&y=%20#frag ftp://h/ /var/log/syslog C:\\Windows\\x.log",
    "de305d54-75b4-431b-adb2-eb6b9e546014 DE305D54-75B4-431B-ADB2-EB6B9E546014",
    "00:1B:44:11:3A:B7 001B.4411.3AB7 00-1B-44-11-3A-B7",
    "Tue Nov 24 22:15:44 2026 1732486544 1732486544.123",
    "[2026-11-24 22:15:44] x=1 y=\"two words\" z= w",
    "caf\u{e9} \u{2603} na\u{ef}ve 2026-11-24T22:15:44+01:00 \u{1F600}",
    "",
    "   ",
    "12 345 6789 -1 +2 3.0e-4",
];

/// The captures' spans in fancy-regex's match of `t`; `None` when its budget ran out.
fn fancy_spans(c: &super::Compiled, t: &str) -> Option<Option<super::Spans>> {
    let caps = c.regex.captures(t).ok()?;
    Some(caps.map(|caps| {
        c.captures
            .iter()
            .map(|cap| caps.name(&cap.group).map(|m| (m.start(), m.end())))
            .collect()
    }))
}

/// The same from the fast form; `None` when it has none or cannot tell.
fn fast_spans(c: &super::Compiled, t: &str) -> Option<Option<super::Spans>> {
    let (fast, groups) = c.fast.as_ref()?;
    fast.search(t, |caps| {
        groups
            .iter()
            .map(|g| caps.get_group(*g).map(|s| (s.start, s.end)))
            .collect()
    })
}

/// The patterns the benchmark and most configs use, with a line each is written for.
const COMMON: &[(&str, &str)] = &[
    ("%{COMBINEDAPACHELOG}", TEXTS[0]),
    ("%{COMBINEDAPACHELOG}", TEXTS[1]),
    ("%{SYSLOGLINE}", TEXTS[3]),
    ("%{IPV4:ip}", "from 1.2.3.4 port"),
    ("%{NUMBER:n:float}", "took 0.153s"),
    ("%{TIMESTAMP_ISO8601:t} %{LOGLEVEL:l}", TEXTS[5]),
];

/// The fast form (see `fast`) answers exactly as fancy-regex on every pattern of both sets,
/// for every text and every starting slice of it, whenever it answers at all.
#[test]
fn fast_form_agrees_with_fancy_regex() {
    let none = HashMap::new();
    let mut answered = 0usize;
    let mut asked = 0usize;
    for ecs in [false, true] {
        let lib = standard(ecs);
        let mut names: Vec<&String> = lib.keys().collect();
        names.sort();
        for name in names {
            // every %{NAME} kept, so nested captures are compared too
            let c = compile(&format!("%{{{name}:whole}}"), &none, lib, false, None, &[]).unwrap();
            for text in TEXTS {
                let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
                starts.push(text.len());
                for &from in starts.iter().step_by(7) {
                    let t = &text[from..];
                    // a blown backtracking budget has no answer to compare with
                    let Some(slow) = fancy_spans(&c, t) else {
                        continue;
                    };
                    if c.fast.is_none() {
                        continue;
                    }
                    asked += 1;
                    let Some(quick) = fast_spans(&c, t) else {
                        continue;
                    };
                    answered += 1;
                    assert_eq!(quick, slow, "ecs={ecs} %{{{name}}} on {t:?}");
                }
            }
        }
    }
    // the fast form must be the usual case, not the exception
    assert!(answered * 10 > asked * 9, "{answered} of {asked} answered");
}

/// Log lines a character off — removed, doubled, or replaced by one that matters to the
/// patterns (a quote inside a quoted field, a colon in an address) — through the patterns
/// made for them: the fast form answers as fancy-regex, wherever the match starts.
#[test]
fn fast_form_agrees_on_damaged_lines() {
    let none = HashMap::new();
    let lib = standard(true);
    let extra = [
        ("%{COMBINEDAPACHELOG}", TEXTS[2]),
        (
            "%{TIMESTAMP_ISO8601:t} %{LOGLEVEL:l} \\[%{DATA:th}\\] %{GREEDYDATA:m}",
            TEXTS[5],
        ),
        ("x=%{DATA:a}\" %{DATA:b}\"", "x=1\" \"two\" 3\" y"),
    ];
    for &(pattern, text) in COMMON.iter().chain(&extra) {
        let c = compile(pattern, &none, lib, true, None, &[]).unwrap();
        assert!(c.fast.is_some(), "{pattern}: no fast form");
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut damaged = vec![text.to_owned(), format!("say {text}")];
        for &(i, ch) in &chars {
            let (head, tail) = (&text[..i], &text[i + ch.len_utf8()..]);
            damaged.push(format!("{head}{tail}"));
            damaged.push(format!("{head}{ch}{ch}{tail}"));
            for with in ['"', ' ', '-', ':', '\n', '\u{e9}'] {
                damaged.push(format!("{head}{with}{tail}"));
            }
        }
        let (mut asked, mut answered) = (0, 0);
        for t in &damaged {
            let Some(slow) = fancy_spans(&c, t) else {
                continue;
            };
            asked += 1;
            if let Some(quick) = fast_spans(&c, t) {
                answered += 1;
                assert_eq!(quick, slow, "{pattern} on {t:?}");
            }
        }
        assert!(
            answered * 10 > asked * 9,
            "{pattern}: {answered} of {asked} answered"
        );
    }
}

/// The patterns the benchmark and most configs use run on the automata.
#[test]
fn common_patterns_have_a_fast_form_that_answers() {
    let none = HashMap::new();
    let lib = standard(true);
    for &(pattern, text) in COMMON {
        let c = compile(pattern, &none, lib, true, None, &[]).unwrap();
        let (fast, _) = c
            .fast
            .as_ref()
            .unwrap_or_else(|| panic!("{pattern}: no fast form"));
        assert_eq!(
            fast.search(text, |caps| caps.is_match()),
            Some(Some(true)),
            "{pattern} on {text:?}"
        );
    }
}

/// Patterns that start with `IPORHOST` rule `IPV6` out on a line that starts with an IPv4
/// address (see `fast::Prune`); `fast_form_agrees_with_fancy_regex` holds the answers to
/// fancy-regex's either way.
#[test]
fn leading_ipv6_can_be_ruled_out() {
    let none = HashMap::new();
    for pattern in ["%{COMBINEDAPACHELOG}", "%{IPORHOST:client} %{WORD:w}"] {
        let c = compile(pattern, &none, standard(true), true, None, &[]).unwrap();
        let (fast, _) = c.fast.as_ref().unwrap();
        assert_eq!(fast.prunable_alternatives(), 1, "{pattern}");
    }
    let c = compile(
        "%{COMBINEDAPACHELOG}",
        &none,
        standard(true),
        true,
        None,
        &[],
    )
    .unwrap();
    for t in &TEXTS[..3] {
        assert!(c.spans(t).unwrap().is_some(), "{t}");
    }
}

/// A look-around or atomic group under a repetition has no fast form (its marker would keep only the last
/// iteration); the pattern still matches, on fancy-regex.
#[test]
fn repeated_look_around_falls_back() {
    let none = HashMap::new();
    let c = compile("(?:(?<![0-9])a)+", &none, standard(true), true, None, &[]).unwrap();
    assert!(c.fast.is_none());
    let c = compile("(?:%{IPV4} )+x", &none, standard(true), true, None, &[]).unwrap();
    assert!(c.fast.is_none());
    assert!(c.spans("1.2.3.4 5.6.7.8 x").unwrap().is_some());
    // QUOTEDSTRING: atomic groups under `+`
    let c = compile("%{QS:q}", &none, standard(true), true, None, &[]).unwrap();
    assert!(c.fast.is_none());
    let spans = c.spans(r#"say "hi \"there\"" now"#).unwrap().unwrap();
    assert_eq!(spans, vec![Some((4, 18))]);
}

mod plan {
    use log_model::{FieldRef, LogEvent};
    use proptest::prelude::*;
    use serde_json::{Value as Json, json};

    use super::super::plan::{Cap, Plan, merge};

    /// Capture paths over a small alphabet, so that shared prefixes, repeats and paths that
    /// are prefixes of others all turn up.
    fn path() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4)
            .prop_map(|segs| segs.into_iter().map(str::to_owned).collect())
    }

    fn field_ref(segs: &[String]) -> FieldRef {
        FieldRef::parse(&segs.iter().map(|s| format!("[{s}]")).collect::<String>()).unwrap()
    }

    proptest! {
        /// A match applied through the tree leaves the event exactly (field order included)
        /// as logstash-filter-grok's capture-by-capture `handle` does.
        #[test]
        fn tree_agrees_with_capture_by_capture(
            caps in prop::collection::vec((path(), any::<bool>(), prop::option::of(0u8..8)), 1..7),
            existing in prop::collection::vec((path(), 0u8..4), 0..3),
        ) {
            let mut start = LogEvent::new();
            for (p, v) in &existing {
                if let Some(slot) = start.slot_mut(&field_ref(p)) {
                    *slot = json!(format!("old{v}"));
                }
            }
            let fields: Vec<(FieldRef, bool)> =
                caps.iter().map(|(p, ow, _)| (field_ref(p), *ow)).collect();
            // numbers as converted captures, text as matched text
            let texts: Vec<String> = (0..8).map(|v| format!("t\"{v}")).collect();
            let mut values: Vec<Option<Cap<'_>>> = caps
                .iter()
                .map(|(_, _, v)| {
                    v.map(|v| match v {
                        0..4 => Cap::Json(json!(v)),
                        _ => Cap::Text(&texts[usize::from(v)]),
                    })
                })
                .collect();

            let mut expect = start.clone();
            for ((path, overwrite), v) in fields.iter().zip(&values) {
                let v: Option<Json> = v.clone().map(|v| match v {
                    Cap::Text(s) => json!(s),
                    Cap::Json(j) => j,
                });
                if let Some(v) = v
                    && let Some(slot) = expect.slot_mut(path)
                {
                    merge(slot, v, *overwrite);
                }
            }
            let mut got = start;
            Plan::new(fields).apply(&mut got, &mut values);
            prop_assert_eq!(
                String::from_utf8(got.to_json_vec()).unwrap(),
                String::from_utf8(expect.to_json_vec()).unwrap()
            );
        }
    }
}
