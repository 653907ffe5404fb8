//! Filter behaviour, data-driven: `check(config, input event, expected event)`.

use log_model::LogEvent;
use pipeline::config;
use pipeline::filter::{FilterChain, FilterOutcome};
use serde_json::Value;

fn chain(filter_body: &str) -> FilterChain {
    let text = format!("filter {{\n{filter_body}\n}}");
    let p = config::parse_str("f.conf", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    FilterChain::build(&p.filters).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Runs the chain on a parsed event and on a lazy one (as the agent's inputs make them); both
/// must end the same, in their fields and in the JSON they write.
fn run(filter_body: &str, input: &str) -> (FilterOutcome, Value) {
    let c = chain(filter_body);
    let mut ev = LogEvent::from_json_slice(input.as_bytes()).unwrap();
    let outcome = c.process(&mut ev);
    let mut lazy =
        LogEvent::from_json_bytes(bytes::Bytes::copy_from_slice(input.as_bytes())).unwrap();
    let lazy_outcome = c.process(&mut lazy);
    assert_eq!(lazy_outcome, outcome, "lazy event, input: {input}");
    let written: Value = serde_json::from_slice(&lazy.to_json_vec()).unwrap();
    let got = Value::Object(ev.into_map());
    assert_eq!(written, got, "lazy event, input: {input}");
    (outcome, got)
}

/// Runs `filter_body` on each `(input, expected)` pair (JSON texts; key order ignored).
fn check(filter_body: &str, cases: &[(&str, &str)]) {
    for (input, expected) in cases {
        let (outcome, got) = run(filter_body, input);
        let want: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(
            outcome,
            FilterOutcome::Keep,
            "config: {filter_body}\ninput: {input}"
        );
        assert_eq!(got, want, "config: {filter_body}\ninput: {input}");
    }
}

fn build_err(filter_body: &str) -> String {
    let text = format!("filter {{\n{filter_body}\n}}");
    let p = config::parse_str("f.conf", &text).unwrap();
    FilterChain::build(&p.filters).unwrap_err().to_string()
}

// ---- mutate convert -------------------------------------------------------------------------------

#[test]
fn seed_convert_duration_to_float() {
    check(
        r#"mutate { convert => { "duration" => "float" } }"#,
        &[
            (r#"{"duration":"1.5"}"#, r#"{"duration":1.5}"#),
            (r#"{"duration":"0.042"}"#, r#"{"duration":0.042}"#),
            (r#"{"duration":2}"#, r#"{"duration":2.0}"#),
            (r#"{"duration":0.5}"#, r#"{"duration":0.5}"#),
            (r#"{"duration":" 3 "}"#, r#"{"duration":3.0}"#),
            (r#"{"duration":"1,234.5"}"#, r#"{"duration":1234.5}"#),
            (r#"{"duration":"1e3"}"#, r#"{"duration":1000.0}"#),
            (r#"{"duration":"0x1A"}"#, r#"{"duration":26.0}"#),
            (r#"{"duration":true}"#, r#"{"duration":1.0}"#),
            (
                r#"{"duration":["1","2.5",null]}"#,
                r#"{"duration":[1.0,2.5,null]}"#,
            ),
            // missing and null: no-op, no tag
            (r#"{"other":"x"}"#, r#"{"other":"x"}"#),
            (r#"{"duration":null}"#, r#"{"duration":null}"#),
            // a hash is skipped
            (r#"{"duration":{"a":"1"}}"#, r#"{"duration":{"a":"1"}}"#),
            // not a number: Logstash 8.14+ raises, the event is tagged and left as it was
            (
                r#"{"duration":"abc"}"#,
                r#"{"duration":"abc","tags":["_mutate_error"]}"#,
            ),
            (
                r#"{"duration":"1.5s"}"#,
                r#"{"duration":"1.5s","tags":["_mutate_error"]}"#,
            ),
            (
                r#"{"duration":"inf"}"#,
                r#"{"duration":"inf","tags":["_mutate_error"]}"#,
            ),
        ],
    );
}

#[test]
fn convert_integer_string_boolean_and_eu() {
    check(
        r#"mutate { convert => { "i" => "integer" "s" => "string" "b" => "boolean" "ie" => "integer_eu" "fe" => "float_eu" } }"#,
        &[
            (r#"{"i":"42"}"#, r#"{"i":42}"#),
            (r#"{"i":"12abc"}"#, r#"{"i":12}"#),
            (r#"{"i":"abc"}"#, r#"{"i":0}"#),
            (r#"{"i":"3.9"}"#, r#"{"i":3}"#),
            (r#"{"i":-3.9}"#, r#"{"i":-3}"#),
            (r#"{"i":"1,000"}"#, r#"{"i":1000}"#),
            (r#"{"i":"1e3"}"#, r#"{"i":1000}"#),
            (r#"{"i":false}"#, r#"{"i":0}"#),
            (r#"{"s":5}"#, r#"{"s":"5"}"#),
            (r#"{"s":1.5}"#, r#"{"s":"1.5"}"#),
            (r#"{"s":true}"#, r#"{"s":"true"}"#),
            (r#"{"s":[1,"a"]}"#, r#"{"s":["1","a"]}"#),
            (r#"{"b":"yes"}"#, r#"{"b":true}"#),
            (r#"{"b":"T"}"#, r#"{"b":true}"#),
            (r#"{"b":1}"#, r#"{"b":true}"#),
            (r#"{"b":"no"}"#, r#"{"b":false}"#),
            (r#"{"b":""}"#, r#"{"b":false}"#),
            (r#"{"b":"0.0"}"#, r#"{"b":false}"#),
            // unknown words pass through unchanged, without a tag (Logstash only warns)
            (r#"{"b":"maybe"}"#, r#"{"b":"maybe"}"#),
            (r#"{"ie":"1.234,5"}"#, r#"{"ie":1234}"#),
            (r#"{"fe":"1.234,5"}"#, r#"{"fe":1234.5}"#),
        ],
    );
}

#[test]
fn field_names_follow_logstash_references() {
    check(
        r#"mutate { convert => { "[extra][duration]" => "float" "a.b" => "integer" } }"#,
        &[(
            r#"{"extra":{"duration":"2.5"},"a.b":"7","a":{"b":"9"}}"#,
            r#"{"extra":{"duration":2.5},"a.b":7,"a":{"b":"9"}}"#,
        )],
    );
}

// ---- mutate: the other operations and their order ---------------------------------------------------

#[test]
fn mutate_operations() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"mutate { rename => { "user" => "[user][name]" "missing" => "x" } }"#,
            r#"{"user":"alice"}"#,
            r#"{"user":{"name":"alice"}}"#,
        ),
        (
            r#"mutate { rename => { "%{src}" => "dst_%{src}" } }"#,
            r#"{"src":"a","a":1}"#,
            r#"{"src":"a","dst_a":1}"#,
        ),
        (
            r#"mutate { replace => { "message" => "%{user}: %{message}" "new" => "n" } }"#,
            r#"{"user":"bob","message":"hi"}"#,
            r#"{"user":"bob","message":"bob: hi","new":"n"}"#,
        ),
        (
            r#"mutate { update => { "message" => "x" "absent" => "y" } }"#,
            r#"{"message":"hi"}"#,
            r#"{"message":"x"}"#,
        ),
        (
            r#"mutate { coerce => { "a" => "default" "b" => "d" } }"#,
            r#"{"a":null,"b":"set"}"#,
            r#"{"a":"default","b":"set"}"#,
        ),
        (
            r#"mutate { uppercase => ["a"] lowercase => ["b"] capitalize => ["c"] strip => ["d", "e"] }"#,
            r#"{"a":"MiXed","b":["MiXed",1],"c":"hELLO wORLD","d":"  x \t","e":[" y ","z "]}"#,
            r#"{"a":"MIXED","b":["mixed",1],"c":"Hello world","d":"x","e":["y","z"]}"#,
        ),
        (
            r#"mutate { gsub => [ "path", "/", "_", "email", "(\w+)@(\w+)", "\2 at \1", "n", "x", "y" ] }"#,
            r#"{"path":"/a/b","email":["joe@host"],"n":5}"#,
            r#"{"path":"_a_b","email":["host at joe"],"n":5}"#,
        ),
        (
            r#"mutate { split => { "csv" => "," "words" => " " } }"#,
            r#"{"csv":"a,b,,c,,","words":"  one two  three "}"#,
            r#"{"csv":["a","b","","c"],"words":["one","two","three"]}"#,
        ),
        (
            r#"mutate { join => { "list" => "|" "scalar" => "," } }"#,
            r#"{"list":["a",1,true],"scalar":"x"}"#,
            r#"{"list":"a|1|true","scalar":"x"}"#,
        ),
        (
            r#"mutate { merge => { "dest" => "added" "h" => "h2" "s" => "t" "mix" => "h" } }"#,
            r#"{"dest":["a"],"added":"b","h":{"x":1},"h2":{"y":2},"s":"one","t":"two","mix":["m"]}"#,
            r#"{"dest":["a","b"],"added":"b","h":{"x":1,"y":2},"h2":{"y":2},"s":["one","two"],"t":"two","mix":["m"]}"#,
        ),
        (
            r#"mutate { copy => { "src" => "[dst][inner]" "none" => "z" } }"#,
            r#"{"src":{"k":[1]}}"#,
            r#"{"src":{"k":[1]},"dst":{"inner":{"k":[1]}}}"#,
        ),
        // the documented order: rename before update before replace before convert, ...
        (
            r#"mutate { convert => { "n" => "integer" } replace => { "n" => "%{raw}" } rename => { "raw0" => "raw" } uppercase => ["n"] }"#,
            r#"{"raw0":"41"}"#,
            r#"{"raw":"41","n":41}"#,
        ),
    ];
    for (config, input, expected) in cases {
        check(config, &[(input, expected)]);
    }
}

#[test]
fn a_failed_mutate_keeps_what_was_done_and_skips_the_rest() {
    check(
        r#"mutate { rename => { "a" => "b" } convert => { "x" => "float" } uppercase => ["b"] add_tag => ["ok"] tag_on_failure => "_bad" }"#,
        &[
            (
                r#"{"a":"v","x":"nope"}"#,
                r#"{"b":"v","x":"nope","tags":["_bad"]}"#,
            ),
            (r#"{"a":"v","x":"1"}"#, r#"{"b":"V","x":1.0,"tags":["ok"]}"#),
        ],
    );
    let c = chain(r#"mutate { convert => { "x" => "float" } id => "conv" }"#);
    for input in [r#"{"x":"a"}"#, r#"{"x":"1"}"#, r#"{"x":"b"}"#] {
        let mut ev = LogEvent::from_json_slice(input.as_bytes()).unwrap();
        c.process(&mut ev);
    }
    let stats = c.stats();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].id, "conv");
    assert_eq!(
        (stats[0].events_in, stats[0].events_out, stats[0].failures),
        (3, 3, 2)
    );
}

#[test]
fn common_options_apply_on_success_in_logstash_order() {
    check(
        r#"mutate {
             replace => { "a" => "1" }
             add_field => { "f_%{a}" => "v_%{a}" "multi" => ["x", "y"] "exists" => "more" }
             remove_field => ["gone", "[nested][x]", "%{drop}"]
             add_tag => ["t1", "t_%{a}"]
             remove_tag => ["old"]
           }"#,
        &[(
            r#"{"gone":1,"nested":{"x":1,"y":2},"drop":"dyn","dyn":true,"exists":"first","tags":["old","keep"]}"#,
            r#"{"a":"1","f_1":"v_1","multi":["x","y"],"exists":["first","more"],"nested":{"y":2},"drop":"dyn","tags":["keep","t1","t_1"]}"#,
        )],
    );
    // sprintf dates come from @timestamp, in UTC; [@metadata] is an ordinary path here
    check(
        r#"mutate { add_field => { "[@metadata][index]" => "python-logs-%{+YYYY.MM.dd}" "copy" => "%{[@metadata][index]}" } }"#,
        &[(
            r#"{"@timestamp":"2026-11-24T23:59:59.999Z"}"#,
            r#"{"@timestamp":"2026-11-24T23:59:59.999Z","@metadata":{"index":"python-logs-2026.11.24"},"copy":"python-logs-2026.11.24"}"#,
        )],
    );
    // add_field then remove_field of the same field: remove wins (Logstash's order)
    check(
        r#"mutate { add_field => { "tmp" => "x" } remove_field => ["tmp"] }"#,
        &[(r#"{}"#, r#"{}"#)],
    );
}

// ---- date ---------------------------------------------------------------------------------------

#[test]
fn date_formats() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"date { match => ["ts", "ISO8601"] }"#,
            r#"{"ts":"2026-11-24T22:15:44.123Z"}"#,
            r#"{"ts":"2026-11-24T22:15:44.123Z","@timestamp":"2026-11-24T22:15:44.123Z"}"#,
        ),
        (
            r#"date { match => ["ts", "ISO8601"] }"#,
            r#"{"ts":"2026-11-24T23:15:44.123456+01:00"}"#,
            r#"{"ts":"2026-11-24T23:15:44.123456+01:00","@timestamp":"2026-11-24T22:15:44.123Z"}"#,
        ),
        // Python logging's asctime, in a named zone (winter: +01:00)
        (
            r#"date { match => ["asctime", "ISO8601"] timezone => "Europe/Paris" }"#,
            r#"{"asctime":"2026-11-24 22:15:44,123"}"#,
            r#"{"asctime":"2026-11-24 22:15:44,123","@timestamp":"2026-11-24T21:15:44.123Z"}"#,
        ),
        (
            r#"date { match => ["t", "UNIX"] }"#,
            r#"{"t":"1326149001.132"}"#,
            r#"{"t":"1326149001.132","@timestamp":"2012-01-09T22:43:21.132Z"}"#,
        ),
        (
            r#"date { match => ["t", "UNIX"] }"#,
            r#"{"t":1326149001}"#,
            r#"{"t":1326149001,"@timestamp":"2012-01-09T22:43:21.000Z"}"#,
        ),
        (
            r#"date { match => ["t", "UNIX_MS"] target => "when" }"#,
            r#"{"t":1366125117000}"#,
            r#"{"t":1366125117000,"when":"2013-04-16T15:11:57.000Z"}"#,
        ),
        (
            r#"date { match => ["t", "dd/MMM/yyyy:HH:mm:ss Z"] }"#,
            r#"{"t":"10/Oct/2000:13:55:36 -0700"}"#,
            r#"{"t":"10/Oct/2000:13:55:36 -0700","@timestamp":"2000-10-10T20:55:36.000Z"}"#,
        ),
        // summer time in New York (-04:00), several formats tried in order
        (
            r#"date { match => ["t", "ISO8601", "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss"] timezone => "America/New_York" }"#,
            r#"{"t":"2026-07-01 12:00:00"}"#,
            r#"{"t":"2026-07-01 12:00:00","@timestamp":"2026-07-01T16:00:00.000Z"}"#,
        ),
        (
            r#"date { match => ["t", "yyyyMMdd'T'HHmmss.SSSZZ"] }"#,
            r#"{"t":"20261124T221544.500+02:00"}"#,
            r#"{"t":"20261124T221544.500+02:00","@timestamp":"2026-11-24T20:15:44.500Z"}"#,
        ),
        (
            r#"date { match => ["t", "EEE MMM dd hh:mm:ss a yyyy"] }"#,
            r#"{"t":"Tue Nov 24 10:15:44 PM 2026"}"#,
            r#"{"t":"Tue Nov 24 10:15:44 PM 2026","@timestamp":"2026-11-24T22:15:44.000Z"}"#,
        ),
        (
            r#"date { match => ["t", "yyyy-MM-dd HH:mm:ss ZZZ"] }"#,
            r#"{"t":"2026-01-15 08:00:00 Asia/Tokyo"}"#,
            r#"{"t":"2026-01-15 08:00:00 Asia/Tokyo","@timestamp":"2026-01-14T23:00:00.000Z"}"#,
        ),
        // the first element of an array
        (
            r#"date { match => ["t", "ISO8601"] }"#,
            r#"{"t":["2026-01-01T00:00:00Z","x"]}"#,
            r#"{"t":["2026-01-01T00:00:00Z","x"],"@timestamp":"2026-01-01T00:00:00.000Z"}"#,
        ),
    ];
    for (config, input, expected) in cases {
        check(config, &[(input, expected)]);
    }
}

#[test]
fn date_failures_and_decorations() {
    check(
        r#"date { match => ["ts", "ISO8601", "UNIX"] add_tag => ["dated"] }"#,
        &[
            // success: decorations
            (
                r#"{"ts":"2026-01-01T00:00:00Z"}"#,
                r#"{"ts":"2026-01-01T00:00:00Z","@timestamp":"2026-01-01T00:00:00.000Z","tags":["dated"]}"#,
            ),
            // failure: tag, no decorations, @timestamp untouched
            (
                r#"{"ts":"yesterday","@timestamp":"2020-01-01T00:00:00.000Z"}"#,
                r#"{"ts":"yesterday","@timestamp":"2020-01-01T00:00:00.000Z","tags":["_dateparsefailure"]}"#,
            ),
            (
                r#"{"ts":"2026-13-01T00:00:00Z"}"#,
                r#"{"ts":"2026-13-01T00:00:00Z","tags":["_dateparsefailure"]}"#,
            ),
            // missing field: nothing at all
            (r#"{"other":1}"#, r#"{"other":1}"#),
        ],
    );
    check(
        r#"date { match => ["ts", "ISO8601"] tag_on_failure => ["bad_date", "x"] }"#,
        &[(
            r#"{"ts":"nope"}"#,
            r#"{"ts":"nope","tags":["bad_date","x"]}"#,
        )],
    );
}

#[test]
fn date_config_errors() {
    assert_eq!(
        build_err(r#"  date { match => ["ts", "ISO8601"] timezone => "Mars/Olympus" }"#),
        "f.conf:2:37: Cannot register date filter plugin. The error reported is: \n  The datetime zone id 'Mars/Olympus' is not recognised"
    );
    assert_eq!(
        build_err(r#"  date { match => ["ts"] }"#),
        "f.conf:2:10: Cannot register date filter plugin. The error reported is: \n  The match setting should contains first a field name and at least one date format, current value is [\"ts\"]"
    );
    assert_eq!(
        build_err(r#"  date { match => ["ts", "yyyy-qq"] }"#),
        "f.conf:2:10: Cannot register date filter plugin. The error reported is: \n  Illegal pattern \"yyyy-qq\": Illegal pattern component: q"
    );
}

// ---- json ---------------------------------------------------------------------------------------

#[test]
fn json_filter() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"json { source => "message" }"#,
            r#"{"message":"{\"a\":1,\"b\":{\"c\":[2]}}"}"#,
            r#"{"message":"{\"a\":1,\"b\":{\"c\":[2]}}","a":1,"b":{"c":[2]}}"#,
        ),
        (
            r#"json { source => "message" target => "[doc][parsed]" remove_field => ["message"] }"#,
            r#"{"message":"[1,2]"}"#,
            r#"{"doc":{"parsed":[1,2]}}"#,
        ),
        (
            r#"json { source => "message" }"#,
            r#"{"message":"{oops"}"#,
            r#"{"message":"{oops","tags":["_jsonparsefailure"]}"#,
        ),
        (
            r#"json { source => "message" skip_on_invalid_json => true add_tag => ["parsed"] }"#,
            r#"{"message":"{oops"}"#,
            r#"{"message":"{oops"}"#,
        ),
        // without a target, only an object can be merged
        (
            r#"json { source => "message" }"#,
            r#"{"message":"[1,2]"}"#,
            r#"{"message":"[1,2]","tags":["_jsonparsefailure"]}"#,
        ),
        (
            r#"json { source => "message" }"#,
            r#"{"message":"{\"@timestamp\":\"2026-01-02T03:04:05Z\",\"k\":\"v\"}"}"#,
            r#"{"message":"{\"@timestamp\":\"2026-01-02T03:04:05Z\",\"k\":\"v\"}","@timestamp":"2026-01-02T03:04:05.000Z","k":"v"}"#,
        ),
        (
            r#"json { source => "message" }"#,
            r#"{"message":"{\"@timestamp\":\"soon\"}"}"#,
            r#"{"message":"{\"@timestamp\":\"soon\"}","_@timestamp":"soon","tags":["_timestampparsefailure"]}"#,
        ),
        (
            r#"json { source => "message" }"#,
            r#"{"other":1}"#,
            r#"{"other":1}"#,
        ),
    ];
    for (config, input, expected) in cases {
        check(config, &[(input, expected)]);
    }
}

// ---- drop and the chain -------------------------------------------------------------------------

#[test]
fn drop_and_conditionals() {
    let body = r#"
      mutate { lowercase => ["level"] }
      if [level] == "debug" {
        drop { }
      } else if [level] in ["warning", "error"] {
        mutate { add_tag => ["alert"] }
      } else {
        mutate { add_tag => ["normal"] }
      }
      mutate { add_field => { "seen" => "yes" } }
    "#;
    let cases: &[(&str, Option<&str>)] = &[
        (r#"{"level":"DEBUG"}"#, None),
        (
            r#"{"level":"ERROR"}"#,
            Some(r#"{"level":"error","tags":["alert"],"seen":"yes"}"#),
        ),
        (
            r#"{"level":"INFO"}"#,
            Some(r#"{"level":"info","tags":["normal"],"seen":"yes"}"#),
        ),
        (r#"{}"#, Some(r#"{"tags":["normal"],"seen":"yes"}"#)),
    ];
    let c = chain(body);
    for (input, expected) in cases {
        let mut ev = LogEvent::from_json_slice(input.as_bytes()).unwrap();
        let outcome = c.process(&mut ev);
        match expected {
            None => assert_eq!(outcome, FilterOutcome::Drop, "input: {input}"),
            Some(e) => {
                assert_eq!(outcome, FilterOutcome::Keep, "input: {input}");
                let want: Value = serde_json::from_str(e).unwrap();
                assert_eq!(Value::Object(ev.into_map()), want, "input: {input}");
            }
        }
    }
    let names: Vec<&str> = c.filters().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["mutate", "drop", "mutate", "mutate", "mutate"]);
    let stats = c.stats();
    assert_eq!((stats[0].events_in, stats[0].events_out), (4, 4));
    assert_eq!((stats[1].events_in, stats[1].events_out), (1, 0));
    assert_eq!(stats[4].events_in, 3);
}

#[test]
fn drop_percentage_zero_keeps_everything() {
    let (outcome, _) = run("drop { percentage => 0 }", "{}");
    assert_eq!(outcome, FilterOutcome::Keep);
    let (outcome, _) = run("drop { percentage => 100 }", "{}");
    assert_eq!(outcome, FilterOutcome::Drop);
}

#[test]
fn seed_filter_section_on_a_seed_event() {
    let p = config::parse_str("logstash.conf", super::config::SEED).unwrap();
    let c = FilterChain::build(&p.filters).unwrap();
    let mut ev = LogEvent::from_json_slice(
        br#"{"timestamp":"2026-11-24T22:15:44.123456","level":"INFO","message":"login ok","user":"alice","action":"login","duration":"0.153"}"#,
    )
    .unwrap();
    assert_eq!(c.process(&mut ev), FilterOutcome::Keep);
    assert_eq!(ev.as_map()["duration"], 0.153);
    assert_eq!(ev.as_map()["user"], "alice");
    assert!(ev.as_map().get("tags").is_none());
}

#[test]
fn build_errors_are_logstash_shaped() {
    let cases: &[(&str, &str)] = &[
        (
            "  groke { match => { \"message\" => \"%{WORD}\" } }",
            "f.conf:2:3: Couldn't find any filter plugin named 'groke'. Are you sure this is correct? Trying to load the groke filter plugin resulted in this error: Unable to load the requested plugin named groke of type filter. The plugin is not installed.",
        ),
        (
            "  ruby { code => \"event.set('a', 1)\" }",
            "f.conf:2:3: filter plugin [ruby] is not supported by sluice-agent (it needs the JVM); remove it or run this pipeline on Logstash",
        ),
        (
            "  mutate { foo => 1 }",
            "f.conf:2:12: Unknown setting 'foo' for mutate",
        ),
        (
            "  mutate { convert => { \"a\" => \"double\" } }",
            "f.conf:2:12: Cannot register mutate filter plugin. The error reported is: \n  Invalid conversion type 'double', expected one of 'string,integer,float,boolean,integer_eu,float_eu'",
        ),
        (
            "  mutate { convert => \"duration\" }",
            "f.conf:2:12: Invalid setting for mutate filter plugin:\n\n  filter {\n    mutate {\n      # This setting must be a hash\n      # This field must contain an even number of items, got 1\n      convert => \"duration\"\n      ...\n    }\n  }",
        ),
        (
            "  mutate { gsub => [\"a\", \"b\"] }",
            "f.conf:2:12: Cannot register mutate filter plugin. The error reported is: \n  Invalid gsub configuration [\"a\", \"b\", nil]. gsub requires 3 non-nil elements per config entry",
        ),
        (
            "  mutate { uppercase => [\"[a]b\"] }",
            "f.conf:2:12: Cannot register mutate filter plugin. The error reported is: \n  Invalid FieldReference: `[a]b`",
        ),
        (
            "  json { }",
            "f.conf:2:3: Missing a required setting for the json filter plugin:\n\n  filter {\n    json {\n      source => # SETTING MISSING\n      ...\n    }\n  }",
        ),
        (
            "  drop { percentage => \"most\" }",
            "f.conf:2:10: Invalid setting for drop filter plugin:\n\n  filter {\n    drop {\n      # This setting must be a number\n      # Expected number, got \"most\" (type most)\n      percentage => \"most\"\n      ...\n    }\n  }",
        ),
        (
            "  if [a] { mutate { } } else { date { bogus => 1 } }",
            "f.conf:2:39: Unknown setting 'bogus' for date",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(build_err(body), *expected, "config: {body}");
    }
}
