//! The config language through its public API: the seed's file, every construct, the exact
//! Logstash errors for invalid configs, conditions, settings validation and multi-file loading.

use std::fmt::Write as _;

use log_model::LogEvent;
use pipeline::config::{
    self, Condition, Node, OptSpec, OptType, ParseOptions, Pipeline, Plugin, PluginKind, Rvalue,
    Schema, Value,
};

/// The seed's logstash.conf, byte for byte (Korean comments included).
pub const SEED: &str = "input {
  tcp {
    port => 5000
    codec => json_lines
  }
}

filter {
  # 필요한 경우 추가 필터링
  mutate {
    convert => {
      \"duration\" => \"float\"
    }
  }
}

output {
  elasticsearch {
    hosts => [\"elasticsearch:9200\"]
    index => \"python-logs-%{+YYYY.MM.dd}\"
    user => \"elastic\"
    password => \"your_password\"
  }
  
  # 디버깅용 stdout 출력
  stdout {
    codec => rubydebug
  }
}
";

// ---- a compact rendering of the tree, to compare whole ASTs in one string ---------------------

fn dump(p: &Pipeline) -> String {
    let mut out = String::new();
    for (name, nodes) in [
        ("input", &p.inputs),
        ("filter", &p.filters),
        ("output", &p.outputs),
    ] {
        if nodes.is_empty() {
            continue;
        }
        let _ = write!(out, "{name}: ");
        dump_nodes(&mut out, nodes);
        out.push('\n');
    }
    out
}

fn dump_nodes(out: &mut String, nodes: &[Node]) {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match n {
            Node::Plugin(p) => dump_plugin(out, p),
            Node::Branch(b) => {
                for (j, arm) in b.arms.iter().enumerate() {
                    out.push_str(if j == 0 { "if " } else { " elif " });
                    out.push_str(&cond(&arm.condition));
                    out.push_str(" { ");
                    dump_nodes(out, &arm.body);
                    out.push_str(" }");
                }
                if let Some(body) = &b.otherwise {
                    out.push_str(" else { ");
                    dump_nodes(out, body);
                    out.push_str(" }");
                }
            }
        }
    }
}

fn dump_plugin(out: &mut String, p: &Plugin) {
    let _ = write!(out, "{}@{}:{}{{", p.name, p.span.line, p.span.column);
    for (i, s) in p.settings.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}@{}:{}=", s.name, s.span.line, s.span.column);
        dump_value(out, &s.value);
    }
    out.push('}');
}

fn dump_value(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => {
            let _ = write!(out, "{s:?}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Bareword(w) => out.push_str(w),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump_value(out, item);
            }
            out.push(']');
        }
        Value::Hash(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k:?}=>");
                dump_value(out, v);
            }
            out.push('}');
        }
        Value::Plugin(p) => dump_plugin(out, p),
    }
}

fn cond(c: &Condition) -> String {
    use pipeline::config::CompareOp as C;
    match c {
        Condition::Value(v) => rv(v),
        Condition::Not(c) => format!("(! {})", cond(c)),
        Condition::Compare { left, op, right } => {
            let op = match op {
                C::Eq => "==",
                C::Ne => "!=",
                C::Lt => "<",
                C::Gt => ">",
                C::Le => "<=",
                C::Ge => ">=",
            };
            format!("({op} {} {})", rv(left), rv(right))
        }
        Condition::Regex {
            left,
            pattern,
            negate,
        } => format!(
            "({} {} /{}/)",
            if *negate { "!~" } else { "=~" },
            rv(left),
            pattern.as_str()
        ),
        Condition::In { item, list, negate } => format!(
            "({} {} {})",
            if *negate { "not-in" } else { "in" },
            rv(item),
            rv(list)
        ),
        Condition::Bool { op, left, right } => {
            format!("({} {} {})", op.as_str(), cond(left), cond(right))
        }
    }
}

fn rv(v: &Rvalue) -> String {
    v.to_string()
}

fn parse(text: &str) -> Pipeline {
    match config::parse_str("t.conf", text) {
        Ok(p) => p,
        Err(e) => panic!("parse failed: {e}\n--- input ---\n{text}"),
    }
}

/// The dump without `@line:column` (for tables about structure, not positions).
fn strip_positions(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '@' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || *c == ':')
            {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn check(text: &str, expected: &str) {
    assert_eq!(dump(&parse(text)), expected, "input:\n{text}");
}

// ---- the seed ------------------------------------------------------------------------------------

#[test]
fn seed_config_parses_to_the_expected_tree() {
    check(
        SEED,
        "input: tcp@2:3{port@3:5=5000, codec@4:5=json_lines}\n\
         filter: mutate@10:3{convert@11:5={\"duration\"=>\"float\"}}\n\
         output: elasticsearch@18:3{hosts@19:5=[\"elasticsearch:9200\"], index@20:5=\"python-logs-%{+YYYY.MM.dd}\", user@21:5=\"elastic\", password@22:5=\"your_password\"} stdout@26:3{codec@27:5=rubydebug}\n",
    );
}

#[test]
fn seed_spans_name_the_file_and_count_columns_in_characters() {
    let p = config::parse_str("logstash.conf", SEED).unwrap();
    let Node::Plugin(m) = &p.filters[0] else {
        panic!("expected a plugin")
    };
    assert_eq!(m.span.to_string(), "logstash.conf:10:3");
    assert_eq!(m.kind, PluginKind::Filter);
    let s = &m.settings[0];
    assert_eq!(s.value_span.to_string(), "logstash.conf:11:16");
    // After a line of Korean text, byte offsets and columns differ; columns count characters.
    let bad = "filter {\n  # 필요한\n  mutate { convert => } }";
    let err = config::parse_str("k.conf", bad).unwrap_err().to_string();
    assert!(err.starts_with("k.conf:3:23: Expected one of"), "{err}");
}

// ---- constructs ----------------------------------------------------------------------------------

#[test]
fn values_of_every_kind() {
    let cases: &[(&str, &str)] = &[
        // strings, both quotes; the other quote and escaped quotes inside; no escape processing
        (
            r##"filter { m { a => "x 'y'" b => 'd "q"' c => "a\"b" d => 'it\'s' e => "t\tn\n" } }"##,
            r##"filter: m@1:10{a@1:14="x 'y'", b@1:27="d \"q\"", c@1:40="a\\\"b", d@1:52="it\\'s", e@1:65="t\\tn\\n"}"##,
        ),
        // numbers
        (
            "filter { m { a => 5 b => -3 c => 1.5 d => -0.25 e => 7. } }",
            "filter: m@1:10{a@1:14=5, b@1:21=-3, c@1:29=1.5, d@1:38=-0.25, e@1:49=7.0}",
        ),
        // booleans and barewords
        (
            "filter { m { a => true b => false c => json_lines } }",
            "filter: m@1:10{a@1:14=true, b@1:24=false, c@1:35=json_lines}",
        ),
        // arrays: empty, nested, mixed, trailing whitespace and comments
        (
            "filter { m { a => [] b => [1, \"x\", [y_z, 2.5]] c => [ # c\n \"q\" ] } }",
            "filter: m@1:10{a@1:14=[], b@1:22=[1, \"x\", [y_z, 2.5]], c@1:48=[\"q\"]}",
        ),
        // hashes: no commas, keys as strings, barewords and numbers, nested
        (
            "filter { m { h => { \"a\" => 1 bb => \"x\" 3 => [1] 'k' => { \"n\" => true } } } }",
            "filter: m@1:10{h@1:14={\"a\"=>1, \"bb\"=>\"x\", \"3\"=>[1], \"k\"=>{\"n\"=>true}}}",
        ),
        // a codec with settings, quoted setting names, plugin names with dashes
        (
            "input { tcp { codec => json_lines { charset => \"UTF-8\" } \"port\" => 1 } my-in_2 {} }",
            "input: tcp@1:9{codec@1:15=json_lines@1:24{charset@1:37=\"UTF-8\"}, port@1:58=1} my-in_2@1:72{}\n",
        ),
        // several sections of one kind; empty sections; comments everywhere
        (
            "# top\ninput{}filter { a {} } # x\nfilter { b {} }\noutput { c { } }\n# end",
            "filter: a@2:17{} b@3:10{}\noutput: c@4:10{}\n",
        ),
        // repeated settings are kept as written
        (
            "filter { m { add_tag => [\"a\"] add_tag => \"b\" } }",
            "filter: m@1:10{add_tag@1:14=[\"a\"], add_tag@1:31=\"b\"}",
        ),
    ];
    for (input, expected) in cases {
        let mut expected = (*expected).to_owned();
        if !expected.ends_with('\n') {
            expected.push('\n');
        }
        check(input, &expected);
    }
}

#[test]
fn escapes_are_processed_only_when_enabled() {
    let text = r##"filter { m { a => "t\tn\n\"q\"\\x" b => 'it\'s\0' c => "\x" } }"##;
    let opts = ParseOptions {
        support_escapes: true,
    };
    let p = config::parse_str_with("e.conf", text, &opts).unwrap();
    let Node::Plugin(m) = &p.filters[0] else {
        panic!()
    };
    let v: Vec<Value> = m.settings.iter().map(|s| s.value.clone()).collect();
    assert_eq!(
        v,
        vec![
            Value::String("t\tn\n\"q\"\\x".into()),
            Value::String("it's\0".into()),
            Value::String("\\x".into()),
        ]
    );
}

#[test]
fn conditionals_and_their_operators() {
    let cases: &[(&str, &str)] = &[
        ("if [a] { x {} }", "if [a] { x@1:20{} }"),
        (
            "if [a][b] == \"v\" { x {} }",
            "if (== [a][b] \"v\") { x@1:30{} }",
        ),
        (
            "if [a] != 1 { x {} } else if [b] < 2.5 { y {} } else if [c] >= -1 { z {} } else { w {} }",
            "if (!= [a] 1) { x@1:25{} } elif (< [b] 2.5) { y@1:52{} } elif (>= [c] -1) { z@1:79{} } else { w@1:95{} }",
        ),
        (
            "if [a] <= [b] or [a] > [c] { x {} }",
            "if (or (<= [a] [b]) (> [a] [c])) { x@1:40{} }",
        ),
        (
            "if [msg] =~ /^err\\/x/ { x {} }",
            "if (=~ [msg] /^err\\/x/) { x@1:35{} }",
        ),
        (
            "if [msg] !~ \"warn\" { x {} }",
            "if (!~ [msg] /warn/) { x@1:32{} }",
        ),
        (
            "if \"error\" in [tags] { x {} }",
            "if (in \"error\" [tags]) { x@1:34{} }",
        ),
        (
            "if [level] not in [\"DEBUG\", \"INFO\"] { x {} }",
            "if (not-in [level] [\"DEBUG\",\"INFO\"]) { x@1:49{} }",
        ),
        ("if ![a] { x {} }", "if (! [a]) { x@1:21{} }"),
        (
            "if !([a] and [b]) { x {} }",
            "if (! (and [a] [b])) { x@1:31{} }",
        ),
        (
            "if ([a] or [b]) and [c] { x {} }",
            "if (and (or [a] [b]) [c]) { x@1:37{} }",
        ),
        ("if [a] xor [b] { x {} }", "if (xor [a] [b]) { x@1:27{} }"),
        ("if [a] nand [b] { x {} }", "if (nand [a] [b]) { x@1:28{} }"),
        // precedence: and binds tighter than or ...
        (
            "if [a] or [b] and [c] { x {} }",
            "if (or [a] (and [b] [c])) { x@1:35{} }",
        ),
        (
            "if [a] and [b] or [c] and [d] { x {} }",
            "if (or (and [a] [b]) (and [c] [d])) { x@1:43{} }",
        ),
        // ... with Logstash's one-pop shunting-yard: `a and b and c or d` is `a and ((b and c) or d)`
        (
            "if [a] and [b] and [c] or [d] { x {} }",
            "if (and [a] (or (and [b] [c]) [d])) { x@1:43{} }",
        ),
        // nested conditionals, comments between branches
        (
            "if [a] { if [b] { x {} } } # c\n else { y {} }",
            "if [a] { if [b] { x@1:30{} } } else { y@2:21{} }",
        ),
        // a plugin whose name starts with "if" is a plugin
        ("iffy { }", "iffy@1:12{}"),
    ];
    for (body, expected) in cases {
        let text = format!("filter {{ {body} }}");
        let got = strip_positions(&dump(&parse(&text)));
        let want = strip_positions(&format!("filter: {expected}\n"));
        assert_eq!(got, want, "input: {text}");
    }
}

#[test]
fn parser_never_panics_on_deep_nesting() {
    let deep = format!(
        "filter {{ m {{ a => {}{} }} }}",
        "[".repeat(500),
        "]".repeat(500)
    );
    let err = config::parse_str("d.conf", &deep).unwrap_err().to_string();
    assert!(err.contains("nests deeper than 100 levels"), "{err}");
    let parens = format!(
        "filter {{ if {}[a]{} {{ }} }}",
        "(".repeat(300),
        ")".repeat(300)
    );
    assert!(config::parse_str("d.conf", &parens).is_err());
}

// ---- syntax errors: Logstash's exact messages -----------------------------------------------------

fn check_err(input: &str, expected: &str) {
    match config::parse_str("bad.conf", input) {
        Ok(p) => panic!("expected an error for {input:?}, got {p:?}"),
        Err(e) => assert_eq!(e.to_string(), expected, "input: {input:?}"),
    }
}

#[test]
fn syntax_errors_have_logstash_messages_and_positions() {
    let cases: &[(&str, &str)] = &[
        // not a section at all
        (
            "foo",
            r##"bad.conf:1:1: Expected one of [ \t\r\n], "#", "input", "filter", "output" at line 1, column 1 (byte 1)"##,
        ),
        // section without a brace
        (
            "filter\n  mutate {}",
            r##"bad.conf:2:3: Expected one of [ \t\r\n], "#", "{" at line 2, column 3 (byte 10) after filter
  "##,
        ),
        // unclosed section at the end of the file
        (
            "input { stdin { } ",
            r##"bad.conf:1:19: Expected one of [ \t\r\n], "#", "if", [A-Za-z0-9_-], '"', "'", "}" at line 1, column 19 (byte 19) after input { stdin { } "##,
        ),
        // a comma between hash entries (Logstash allows none)
        (
            "filter {\n  mutate {\n    convert => { \"a\" => \"float\", \"b\" => \"integer\" }\n  }\n}",
            "bad.conf:3:32: Expected one of [ \\t\\r\\n], \"#\", \"}\" at line 3, column 32 (byte 52) after filter {\n  mutate {\n    convert => { \"a\" => \"float\"",
        ),
        // a missing value
        (
            "output { stdout { codec => } }",
            r##"bad.conf:1:28: Expected one of [ \t\r\n], "#", [A-Za-z0-9_-], '"', "'", [A-Za-z_], "-", [0-9], "[", "{" at line 1, column 28 (byte 28) after output { stdout { codec => "##,
        ),
        // `=` instead of `=>`
        (
            "input { tcp { port = 5000 } }",
            r##"bad.conf:1:20: Expected one of [ \t\r\n], "#", "=>" at line 1, column 20 (byte 20) after input { tcp { port "##,
        ),
        // a one-letter bareword is not a value (treetop's bareword needs two characters): the
        // furthest attempt is `x` as a codec name waiting for `{`
        (
            "input { tcp { port => x } }",
            r##"bad.conf:1:25: Expected one of [ \t\r\n], "#", "{" at line 1, column 25 (byte 25) after input { tcp { port => x "##,
        ),
        // an unknown section type after a valid one: the text after the last good section
        (
            "input { }\nfilters { }",
            r##"bad.conf:2:7: Expected one of [ \t\r\n], "#", "{" at line 2, column 7 (byte 17) after filter"##,
        ),
        // unterminated string
        (
            "filter { m { a => \"abc } }",
            "bad.conf:1:27: Expected one of '\\\"', any character, '\"' at line 1, column 27 (byte 27) after filter { m { a => \"abc } }",
        ),
        // a condition without an operand
        (
            "filter { if [a] == { x {} } }",
            r##"bad.conf:1:20: Expected one of [ \t\r\n], "#", '"', "'", "-", [0-9], "[", [A-Za-z_], '/' at line 1, column 20 (byte 20) after filter { if [a] == "##,
        ),
    ];
    for (input, expected) in cases {
        check_err(input, expected);
    }
}

#[test]
fn semantic_errors_name_their_position() {
    let cases: &[(&str, &str)] = &[
        (
            "filter { m { h => { \"a\" => 1 \"a\" => 2 } } }",
            "bad.conf:1:19: Duplicate keys found in your configuration: [\"a\"]\nAt line: 1, column 19 (byte 19)\nafter filter { m { h => {",
        ),
        (
            "filter { if [a] =~ /(/ { x {} } }",
            "bad.conf:1:20: invalid regular expression /(/: regex parse error:\n    (\n    ^\nerror: unclosed group",
        ),
        (
            "filter { if [a] and [b] xor [c] { x {} } }",
            "bad.conf:1:13: Unexpected operator xor: Logstash cannot combine `xor` or `nand` with another boolean operator without parentheses",
        ),
        (
            "filter { if length([a]) > 1 { x {} } }",
            "bad.conf:1:13: method calls are not supported in conditions: length(...)",
        ),
    ];
    for (input, expected) in cases {
        check_err(input, expected);
    }
}

#[test]
fn duplicate_plugin_ids_are_refused() {
    check_err(
        "input { tcp { id => \"a\" } }\noutput { if [x] { stdout { id => \"a\" } } }",
        "bad.conf:2:28: Two plugins have the id 'a', please fix this conflict",
    );
}

// ---- conditions: truth table ---------------------------------------------------------------------

fn condition_of(text: &str) -> Condition {
    let p = parse(&format!("filter {{ if {text} {{ x {{}} }} }}"));
    let Node::Branch(b) = &p.filters[0] else {
        panic!("not a branch")
    };
    b.arms[0].condition.clone()
}

#[test]
fn conditions_truth_table() {
    let event = LogEvent::from_json_slice(
        br##"{"level":"ERROR","n":5,"f":2.5,"zero":0,"empty":"","no":false,"nil":null,"strfalse":"false","emptylist":[],
            "tags":["a","_jsonparsefailure"],"msg":"disk error on /dev/sda","nested":{"k":"v","n":1}}"##,
    )
    .unwrap();
    let cases: &[(&str, bool)] = &[
        ("[level]", true),
        ("[missing]", false),
        ("[no]", false),
        ("[nil]", false),
        ("[empty]", false),
        ("[strfalse]", false),
        ("[emptylist]", true),
        ("[zero]", true),
        ("![missing]", true),
        ("[nested][k]", true),
        ("[nested][x]", false),
        ("[level] == \"ERROR\"", true),
        ("[level] == \"error\"", false),
        ("\"ERROR\" == [level]", true),
        ("[n] == 5", true),
        ("[n] == 5.0", true),
        ("[n] == \"5\"", false),
        ("[f] == 2.5", true),
        ("[missing] == \"x\"", false),
        ("[missing] != \"x\"", true),
        ("[level] != \"ERROR\"", false),
        ("[n] > 4", true),
        ("[n] > 5", false),
        ("[n] >= 5", true),
        ("[n] < 5.5", true),
        ("[n] <= 4", false),
        ("[f] < [n]", true),
        ("[level] > \"DEBUG\"", true),
        ("[level] < 5", false),
        ("[missing] < 5", false),
        ("[nested][n] == 1", true),
        ("[msg] =~ /error/", true),
        ("[msg] =~ /^disk/", true),
        ("[msg] =~ /^error/", false),
        ("[msg] !~ /warn/", true),
        ("[msg] =~ \"sd[a-z]$\"", true),
        ("[n] =~ /5/", false),
        ("[missing] =~ /./", false),
        ("[missing] !~ /./", true),
        ("\"a\" in [tags]", true),
        ("\"_jsonparsefailure\" in [tags]", true),
        ("\"b\" in [tags]", false),
        ("\"b\" not in [tags]", true),
        ("\"disk\" in [msg]", true),
        ("[level] in [\"ERROR\", \"CRITICAL\"]", true),
        ("[level] not in [\"ERROR\", \"CRITICAL\"]", false),
        ("[n] in [1, 5]", true),
        ("[n] in [\"5\", \"6\"]", true),
        // Logstash's grammar reads a one-element list as a field reference (a field named
        // `"ERROR"`, quotes included), so this is false, as in Logstash
        ("[level] in [\"ERROR\"]", false),
        ("[level] in [\"ERROR\", \"x\"]", true),
        ("\"x\" in [missing]", false),
        ("\"x\" not in [missing]", true),
        ("\"k\" in [nested]", false),
        ("[level] == \"ERROR\" and [n] > 1", true),
        ("[level] == \"ERROR\" and [n] > 10", false),
        ("[missing] or [n]", true),
        ("[missing] or [no]", false),
        ("[level] xor [n]", false),
        ("[level] xor [missing]", true),
        ("[level] nand [n]", false),
        ("[level] nand [missing]", true),
        ("!([level] and [missing])", true),
        ("([missing] or [n]) and [level]", true),
        // Logstash's grouping: [missing] and (([n] and [level]) or [f]) => false
        ("[missing] and [n] and [level] or [f]", false),
        ("[n] and [level] and [missing] or [f]", true),
    ];
    for (text, expected) in cases {
        assert_eq!(
            condition_of(text).eval(&event),
            *expected,
            "condition: {text}"
        );
    }
}

// ---- settings validation -------------------------------------------------------------------------

fn tcp_schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "tcp",
        vec![
            OptSpec::new("port", OptType::Number).required(),
            OptSpec::new("host", OptType::String).default(config::Default::Str("0.0.0.0")),
            OptSpec::new("mode", OptType::OneOf(&["server", "client"]))
                .default(config::Default::Str("server")),
            OptSpec::new("ssl_enable", OptType::Boolean).default(config::Default::Bool(false)),
            OptSpec::new("hosts", OptType::Uri).list(),
            OptSpec::new("password", OptType::Password),
            OptSpec::new("limit", OptType::Bytes),
            OptSpec::new("extra", OptType::Hash),
        ],
    )
}

fn first_input(text: &str) -> Plugin {
    let p = parse(text);
    let Node::Plugin(pl) = &p.inputs[0] else {
        panic!()
    };
    pl.clone()
}

#[test]
fn validation_applies_defaults_and_coerces() {
    let p = first_input(
        "input { tcp { port => \"5000\" ssl_enable => \"true\" hosts => \"a:1\" limit => \"10 KiB\" codec => json_lines extra => [\"k\", \"v\"] } }",
    );
    let s = config::validate(&p, &tcp_schema()).unwrap();
    assert_eq!(s.integer("port"), Some(5000));
    assert_eq!(s.string("host"), Some("0.0.0.0"));
    assert!(!s.is_set("host"));
    assert_eq!(s.string("mode"), Some("server"));
    assert_eq!(s.boolean("ssl_enable"), Some(true));
    assert_eq!(s.strings("hosts"), vec!["a:1".to_owned()]);
    assert_eq!(s.integer("limit"), Some(10 * 1024));
    assert_eq!(
        s.codec("codec").map(|c| c.name.as_str()),
        Some("json_lines")
    );
    assert_eq!(s.hash("extra").map(<[_]>::len), Some(1));
    assert_eq!(
        s.span("port").map(ToString::to_string).as_deref(),
        Some("t.conf:1:15")
    );
}

#[test]
fn validation_errors_have_logstash_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "input { tcp { port => 1 foo => 2 } }",
            "t.conf:1:25: Unknown setting 'foo' for tcp",
        ),
        (
            "input { tcp { host => \"x\" } }",
            "t.conf:1:9: Missing a required setting for the tcp input plugin:\n\n  input {\n    tcp {\n      port => # SETTING MISSING\n      ...\n    }\n  }",
        ),
        (
            "input { tcp { port => \"abc\" } }",
            "t.conf:1:15: Invalid setting for tcp input plugin:\n\n  input {\n    tcp {\n      # This setting must be a number\n      # Expected number, got \"abc\" (type abc)\n      port => \"abc\"\n      ...\n    }\n  }",
        ),
        (
            "input { tcp { port => 1 ssl_enable => \"yes\" } }",
            "t.conf:1:25: Invalid setting for tcp input plugin:\n\n  input {\n    tcp {\n      # This setting must be a boolean\n      # Expected boolean 'true' or 'false', got \"yes\"\n      ssl_enable => \"yes\"\n      ...\n    }\n  }",
        ),
        (
            "input { tcp { port => 1 mode => \"peer\" } }",
            "t.conf:1:25: Invalid setting for tcp input plugin:\n\n  input {\n    tcp {\n      # This setting must be a [\"server\", \"client\"]\n      # Expected one of [\"server\", \"client\"], got [\"peer\"]\n      mode => \"peer\"\n      ...\n    }\n  }",
        ),
        (
            "input { tcp { port => 1 extra => \"x\" } }",
            "t.conf:1:25: Invalid setting for tcp input plugin:\n\n  input {\n    tcp {\n      # This setting must be a hash\n      # This field must contain an even number of items, got 1\n      extra => \"x\"\n      ...\n    }\n  }",
        ),
        (
            "input { tcp { port => [1, 2] } }",
            "t.conf:1:15: Invalid setting for tcp input plugin:\n\n  input {\n    tcp {\n      # This setting must be a number\n      # Expected number, got [1, 2] (type Array)\n      port => [1, 2]\n      ...\n    }\n  }",
        ),
        (
            "input { tcp { port => 1 password => [\"a\", \"b\"] } }",
            "t.conf:1:25: Invalid setting for tcp input plugin:\n\n  input {\n    tcp {\n      # This setting must be a password\n      # Expected password (one value), got 2 values?\n      password => <password>\n      ...\n    }\n  }",
        ),
    ];
    for (input, expected) in cases {
        let err = config::validate(&first_input(input), &tcp_schema()).unwrap_err();
        assert_eq!(err.to_string(), *expected, "input: {input}");
    }
}

#[test]
fn repeated_settings_merge_like_logstash() {
    let p = first_input(
        "input { tcp { port => 1 extra => { \"a\" => 1 } extra => { \"b\" => 2 } tags => [\"x\"] tags => \"y\" type => \"t\" type => \"t\" } }",
    );
    let s = config::validate(&p, &tcp_schema()).unwrap();
    let keys: Vec<&str> = s
        .hash("extra")
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(s.strings("tags"), ["x", "y"]);
    assert_eq!(s.string("type"), Some("t"));
}

#[test]
fn unknown_plugin_message() {
    let p = parse("filter {\n  grok { }\n}");
    let Node::Plugin(g) = &p.filters[0] else {
        panic!()
    };
    assert_eq!(
        config::validate::unknown_plugin(g).to_string(),
        "t.conf:2:3: Couldn't find any filter plugin named 'grok'. Are you sure this is correct? Trying to load the grok filter plugin resulted in this error: Unable to load the requested plugin named grok of type filter. The plugin is not installed."
    );
}

// ---- loading files -------------------------------------------------------------------------------

#[test]
fn a_directory_loads_sorted_and_merges_sections() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("20-filter.conf"), "filter { b {} }\n").unwrap();
    std::fs::write(
        dir.path().join("10-input.conf"),
        "input { i {} }\nfilter { a {} }",
    )
    .unwrap();
    std::fs::write(dir.path().join("30-out.conf"), "output { o {} }").unwrap();
    std::fs::write(dir.path().join("30-out.conf~"), "this is not a config").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let p = config::load(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(
        dump(&p),
        "input: i@1:9{}\nfilter: a@2:10{} b@1:10{}\noutput: o@1:10{}\n"
    );
    let Node::Plugin(b) = &p.filters[1] else {
        panic!()
    };
    assert!(b.span.file.ends_with("20-filter.conf"), "{}", b.span.file);

    // a glob in the last component, and several -f in order
    let glob = dir.path().join("*-filter.conf");
    let p = config::load(&[glob, dir.path().join("10-input.conf")]).unwrap();
    assert_eq!(dump(&p), "input: i@1:9{}\nfilter: b@1:10{} a@2:10{}\n");

    // each file must parse on its own; the error names the file
    std::fs::write(dir.path().join("40-bad.conf"), "output {").unwrap();
    let err = config::load(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("40-bad.conf:1:9: Expected one of"), "{err}");

    let missing = dir.path().join("nope.conf");
    let err = config::load(std::slice::from_ref(&missing))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "No config files found: {}\nCan you make sure this path is a logstash config file?",
            missing.display()
        )
    );
}

#[test]
fn default_sections_are_added_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("only-filter.conf");
    std::fs::write(&f, "filter { m {} }").unwrap();
    let plain = config::load(std::slice::from_ref(&f)).unwrap();
    assert!(plain.inputs.is_empty() && plain.outputs.is_empty());
    let opts = config::LoadOptions {
        default_sections: true,
        ..config::LoadOptions::default()
    };
    let p = config::load_with(&[f], &opts).unwrap();
    assert_eq!(
        dump(&p),
        "input: stdin@1:9{type@1:17=stdin}\nfilter: m@1:10{}\noutput: stdout@1:10{codec@1:19=rubydebug}\n"
    );
}

// ---- the parser never panics ---------------------------------------------------------------------

mod prop {
    use proptest::prelude::*;

    const ALPHABET: &[&str] = &[
        "input", "filter", "output", "{", "}", "[", "]", "(", ")", "=>", "==", "=~", "!", "if",
        "else", "and", "or", "in", "not ", "\"", "'", "/", "\\", "#", "\n", " ", ",", "x", "yy",
        "5", "-", ".", "%{", "한",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn parser_never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
            let _ = pipeline::config::parse_str("p.conf", &s);
        }

        #[test]
        fn parser_never_panics_on_config_like_tokens(toks in proptest::collection::vec(0..ALPHABET.len(), 0..120)) {
            let text: String = toks.iter().map(|&i| ALPHABET[i]).collect();
            if let Err(e) = pipeline::config::parse_str("p.conf", &text) {
                // every error names a position in the file
                prop_assert!(e.to_string().starts_with("p.conf:"), "{}", e);
            }
        }
    }
}

// ---- ${VAR} substitution, comments in hashes, path.config globs -------------------------------

#[test]
fn environment_references_are_replaced_before_validation() {
    let env = |name: &str| match name {
        "ES_HOST" => Some("es.internal:9200".to_owned()),
        "LOGSTASH_INTERNAL_PASSWORD" => Some("s3cret".to_owned()),
        _ => None,
    };
    let p = config::parse_str(
        "env.conf",
        r#"input { beats { port => "${BEATS_PORT:5044}" } }
output { elasticsearch { hosts => ["http://${ES_HOST}"] user => "logstash_internal" password => "${LOGSTASH_INTERNAL_PASSWORD}" index => "${INDEX_PREFIX:logs}-%{+YYYY.MM.dd}" } }"#,
    )
    .unwrap();
    let Node::Plugin(beats) = &p.inputs[0] else {
        panic!()
    };
    let schema = (pipeline::input::lookup("beats").unwrap().schema)();
    let s = config::validate::validate_with(beats, &schema, &env).unwrap();
    assert_eq!(s.integer("port"), Some(5044));
    let Node::Plugin(es) = &p.outputs[0] else {
        panic!()
    };
    let schema = (pipeline::output::lookup("elasticsearch").unwrap().schema)();
    let s = config::validate::validate_with(es, &schema, &env).unwrap();
    assert_eq!(s.strings("hosts"), ["http://es.internal:9200"]);
    assert_eq!(s.string("password"), Some("s3cret"));
    assert_eq!(s.string("index"), Some("logs-%{+YYYY.MM.dd}"));

    let p = config::parse_str(
        "env.conf",
        "input {\n  tcp { port => \"${MISSING_PORT}\" }\n}",
    )
    .unwrap();
    let Node::Plugin(tcp) = &p.inputs[0] else {
        panic!()
    };
    let schema = (pipeline::input::lookup("tcp").unwrap().schema)();
    let err = config::validate::validate_with(tcp, &schema, &env)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "env.conf:2:9: Cannot evaluate `${MISSING_PORT}`. Replacement variable `MISSING_PORT` is not defined in a Logstash secret store or an environment entry and there is no default value given."
    );
}

#[test]
fn comments_between_hash_entries() {
    // The issue's example, rejected at 5:3 before.
    let text = "filter {\n  mutate {\n    add_field => { \"a\" => \"b\"  # note\n      # \"c\" => \"d\"\n  \"e\" => \"f\" }\n  }\n}\n";
    let p = config::parse_str("c.conf", text).unwrap();
    let Node::Plugin(m) = &p.filters[0] else {
        panic!()
    };
    assert_eq!(
        m.setting("add_field").unwrap().value,
        Value::Hash(vec![
            ("a".into(), Value::String("b".into())),
            ("e".into(), Value::String("f".into())),
        ])
    );
}

#[test]
fn path_config_globs_and_directories_load_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf.d");
    std::fs::create_dir_all(conf.join("sub")).unwrap();
    std::fs::write(
        conf.join("20-filter.conf"),
        "filter { mutate { add_tag => [\"b\"] } }",
    )
    .unwrap();
    std::fs::write(
        conf.join("10-input.conf"),
        "input { stdin { } }\nfilter { mutate { add_tag => [\"a\"] } }",
    )
    .unwrap();
    std::fs::write(conf.join("30-output.conf"), "output { stdout { } }").unwrap();
    std::fs::write(
        conf.join("sub/40-more.conf"),
        "filter { mutate { add_tag => [\"c\"] } }",
    )
    .unwrap();
    std::fs::write(conf.join("notes.txt"), "not a config").unwrap();
    let names = |paths: Vec<std::path::PathBuf>| -> Vec<String> {
        config::config_files(&paths)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&conf).unwrap().display().to_string())
            .collect()
    };
    assert_eq!(
        names(vec![conf.join("*.conf")]),
        ["10-input.conf", "20-filter.conf", "30-output.conf"]
    );
    assert_eq!(
        names(vec![conf.join("**/*.conf")]),
        [
            "10-input.conf",
            "20-filter.conf",
            "30-output.conf",
            "sub/40-more.conf"
        ]
    );
    assert_eq!(
        names(vec![conf.join("[12]0-*")]),
        ["10-input.conf", "20-filter.conf"]
    );
    let p = config::load(&[conf.join("*.conf")]).unwrap();
    assert_eq!(
        (p.inputs.len(), p.filters.len(), p.outputs.len()),
        (1, 2, 1)
    );
    let err = config::load(&[conf.join("*.nothing")])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("No config files found"), "{err}");
}
