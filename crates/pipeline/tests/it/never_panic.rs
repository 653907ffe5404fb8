//! grok, dissect, kv, csv, useragent and the cef codec on random input: never a panic, always an event back, and a
//! failure is a tag, not a lost event.

use log_model::LogEvent;
use pipeline::config;
use pipeline::filter::{FilterChain, FilterOutcome};
use proptest::prelude::*;
use serde_json::{Value, json};

const FILTERS: &[&str] = &[
    r#"grok { match => { "message" => ["%{COMBINEDAPACHELOG}", "%{SYSLOGLINE}", "%{IP:ip} %{NUMBER:n:int} %{DATA:d} %{GREEDYDATA:rest}", "(?<k>[a-z]+)=%{QS:v}"] } }"#,
    r#"grok { break_on_match => false keep_empty_captures => true match => { "message" => ["^%{WORD:w}?", "%{NUMBER:f:float}$"] } }"#,
    r#"dissect { mapping => { "message" => "%{a} %{+a} [%{b}] %{?k}=%{&k} %{c->} %{}|%{rest}" } }"#,
    r#"kv { field_split => " &,;" value_split => "=:" include_brackets => true }"#,
    r#"kv { target => "kv" trim_key => " " trim_value => "\"" transform_key => "lowercase" }"#,
    r#"csv { columns => ["a", "b", "c"] convert => { "b" => "integer" "c" => "float" } }"#,
    r#"csv { separator => "\t" quote_char => "'" skip_empty_columns => true }"#,
    r#"useragent { source => "message" ecs_compatibility => disabled prefix => "ua_" }"#,
];

/// Built once: compiling the grok patterns is the slow part.
static CHAINS: std::sync::LazyLock<Vec<FilterChain>> = std::sync::LazyLock::new(|| {
    FILTERS
        .iter()
        .map(|f| {
            let p = config::parse_str("p.conf", &format!("filter {{ {f} }}")).unwrap();
            FilterChain::build(&p.filters).unwrap()
        })
        .collect()
});

/// Text that looks like logs: pieces of real lines, separators and quotes, mixed with noise.
fn loggy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("192.168.1.20".to_owned()),
        Just("- - [10/Oct/2026:13:55:36 +0000]".to_owned()),
        Just("\"GET /a?b=c HTTP/1.1\"".to_owned()),
        Just("200 2326".to_owned()),
        Just("Dec  4 07:15:01 web01 CRON[1]:".to_owned()),
        Just("key=value".to_owned()),
        Just("a=\"quoted value\"".to_owned()),
        Just("[".to_owned()),
        Just("\"".to_owned()),
        Just(",".to_owned()),
        Just("\t".to_owned()),
        Just("|".to_owned()),
        "[a-z0-9 =:,;&\\[\\]()<>\"'|.-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(text in loggy()) {
        for c in CHAINS.iter() {
            let Value::Object(m) = json!({"message": text}) else { unreachable!() };
            let mut ev = LogEvent::from_map(m);
            prop_assert_eq!(c.process(&mut ev), FilterOutcome::Keep);
            prop_assert!(ev.as_map().contains_key("message"));
        }
    }

    /// The cef codec: random payloads, and CEF headers with random extensions (escapes,
    /// timestamps, stray `=` and `\\`); an event back, tagged when the payload is not CEF.
    #[test]
    fn cef_never_panics(
        text in loggy(),
        ext in "([a-zA-Z0-9]{1,6}=[a-zA-Z0-9 =\\\\|:.+-]{0,10} ?){0,6}",
    ) {
        let cef = pipeline::codec::cef::Cef::default();
        let payloads = [
            text.clone(),
            format!("<13>{text} CEF:0|V|P|1|id|n|3|{ext}"),
            format!("CEF:0|a\\|b|c|d|e|f|g|rt={text} {ext}"),
        ];
        for (i, payload) in payloads.iter().enumerate() {
            let (ev, failed) = cef.decode(payload);
            let m = ev.into_map();
            if i > 0 && !text.contains("CEF:") {
                prop_assert!(!failed, "{}", payload);
            }
            if failed {
                prop_assert_eq!(&m["tags"], &json!(["_cefparsefailure"]));
            }
        }
    }
}

/// The `logstash_config` fuzz target's corpus and reproducers (`fuzz/`), replayed: every input
/// parses or fails at a position inside it, never a panic or a stack overflow (a regex literal
/// with 171 nested groups used to overflow a test thread's stack in debug builds).
#[test]
fn fuzz_corpus_parses_or_fails_at_a_position() {
    for (path, bytes) in test_support::fuzz_inputs("logstash_config") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Err(pipeline::Error::ConfigAt { span, .. }) =
            pipeline::config::parse_str("fuzz.conf", text)
        {
            assert!(span.byte <= text.len(), "{}: {span}", path.display());
        }
    }
}

/// The fuzz corpora of the filter targets (`fuzz/corpus/{grok,dissect,kv}`), replayed through
/// the filters the property test runs: an event back for each.
#[test]
fn filter_fuzz_corpora_replay() {
    for target in ["grok", "dissect", "kv"] {
        for (path, bytes) in test_support::fuzz_inputs(target) {
            for c in CHAINS.iter() {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let Value::Object(m) = json!({ "message": text }) else {
                    unreachable!()
                };
                let mut ev = LogEvent::from_map(m);
                assert_eq!(
                    c.process(&mut ev),
                    FilterOutcome::Keep,
                    "{}",
                    path.display()
                );
            }
        }
    }
}

/// The Lumberjack decoder's fuzz corpus: the seeds decode to the events they carry, and
/// nothing in the corpus panics.
#[test]
fn lumberjack_fuzz_corpus_replays() {
    let inputs = test_support::fuzz_inputs("lumberjack");
    let count = |name: &str| {
        let (_, bytes) = inputs
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap_or_else(|| panic!("seed {name}"));
        pipeline::input::decode_lumberjack(bytes)
    };
    assert_eq!(count("json_window"), Ok(2));
    assert_eq!(count("compressed"), Ok(1));
    assert_eq!(count("v1_data"), Ok(1));
    for (_, bytes) in &inputs {
        // a whole stream cut short by a byte is an error, never a panic
        if pipeline::input::decode_lumberjack(bytes).is_ok_and(|n| n > 0) {
            assert!(pipeline::input::decode_lumberjack(&bytes[..bytes.len() - 1]).is_err());
        }
    }
    let bomb = [b'2', b'W', 0xff, 0xff, 0xff, 0xff];
    assert!(pipeline::input::decode_lumberjack(&bomb).is_err());
}

/// The gelf target's corpus (`fuzz/corpus/gelf`), replayed as the target reads it: a run of
/// datagrams, each after its one-byte length, a tenth of a second apart, through the chunk
/// assembler and the event builder. The seeds assemble to their messages; nothing panics and
/// no message is over the size limit.
#[test]
fn gelf_fuzz_corpus_replays() {
    use pipeline::input::gelf::{Assembler, MAX_MESSAGE_BYTES, event};
    use std::time::{Duration, Instant};
    let messages = |data: &[u8]| {
        let mut a = Assembler::default();
        let t0 = Instant::now();
        let mut out = Vec::new();
        let mut rest = data;
        let mut i = 0u64;
        while let Some((&len, tail)) = rest.split_first() {
            let (datagram, next) = tail.split_at(usize::from(len).min(tail.len()));
            if let Some(message) = a.push(datagram, t0 + Duration::from_millis(i * 100)) {
                assert!(message.len() <= MAX_MESSAGE_BYTES);
                let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 12201));
                let _ = event(&message, peer, true, true);
                out.push(message);
            }
            rest = next;
            i += 1;
        }
        out
    };
    let inputs = test_support::fuzz_inputs("gelf");
    for name in ["plain", "chunked"] {
        let (_, bytes) = inputs
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap_or_else(|| panic!("seed {name}"));
        assert_eq!(messages(bytes).len(), 1, "seed {name}");
    }
    for (_, bytes) in &inputs {
        messages(bytes);
    }
}
