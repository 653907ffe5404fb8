use serde_json::{Value, json};

use super::{Cef, parse, parse_time};
use log_model::zone::Zone;

fn ecs() -> Cef {
    Cef::default()
}

fn legacy() -> Cef {
    Cef {
        ecs: false,
        ..Cef::default()
    }
}

fn check(codec: &Cef, line: &str, want: &Value) {
    let (ev, failed) = codec.decode(line);
    assert!(!failed, "{line}");
    assert_eq!(&Value::Object(ev.into_map()), want, "{line}");
}

/// The example of ArcSight's CEF guide, through both field layouts.
const GUIDE: &str = "Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232";

#[test]
fn ecs_field_names() {
    check(
        &ecs(),
        GUIDE,
        &json!({
            "log": {"syslog": {"header": "Sep 19 08:26:10 host"}},
            "cef": {"version": "0", "name": "worm successfully stopped"},
            "observer": {"vendor": "Security", "product": "threatmanager", "version": "1.0"},
            "event": {"code": "100", "severity": "10"},
            "source": {"ip": "10.0.0.1", "port": "1232"},
            "destination": {"ip": "2.1.2.2"}
        }),
    );
}

#[test]
fn legacy_field_names_expand_abbreviations() {
    check(
        &legacy(),
        GUIDE,
        &json!({
            "syslog": "Sep 19 08:26:10 host",
            "cefVersion": "0", "deviceVendor": "Security", "deviceProduct": "threatmanager",
            "deviceVersion": "1.0", "deviceEventClassId": "100",
            "name": "worm successfully stopped", "severity": "10",
            "sourceAddress": "10.0.0.1", "destinationAddress": "2.1.2.2", "sourcePort": "1232"
        }),
    );
}

#[test]
fn escapes_spaces_and_custom_fields() {
    // `\|` in the header; `\=`, `\\` and `\n` in values; values with spaces run to the next key.
    let line = r"CEF:0|Vend\|or|Prod|2.0|sig|Login a\\b|5|msg=user said a\=b\nbye cs1Label=Policy cs1=Allow all  suser=bob unknownKey=x y";
    check(
        &ecs(),
        line,
        &json!({
            "cef": {
                "version": "0", "name": r"Login a\b",
                "device_custom_string_1": {"label": "Policy", "value": "Allow all"},
                "extensions": {"unknownKey": "x y"}
            },
            "observer": {"vendor": "Vend|or", "product": "Prod", "version": "2.0"},
            "event": {"code": "sig", "severity": "5"},
            "message": "user said a=b\nbye",
            "source": {"user": {"name": "bob"}}
        }),
    );
}

#[test]
fn header_without_extension_and_full_names_in_ecs() {
    check(
        &ecs(),
        "CEF:1|V|P|1|id|n|Low|",
        &json!({"cef": {"version": "1", "name": "n"}, "observer": {"vendor": "V", "product": "P", "version": "1"}, "event": {"code": "id", "severity": "Low"}}),
    );
    check(
        &ecs(),
        "CEF:0|V|P|1|id|n|3|sourceAddress=1.2.3.4 requestMethod=GET",
        &json!({"cef": {"version": "0", "name": "n"}, "observer": {"vendor": "V", "product": "P", "version": "1"},
               "event": {"code": "id", "severity": "3"}, "source": {"ip": "1.2.3.4"}, "http": {"request": {"method": "GET"}}}),
    );
}

#[test]
fn timestamps_in_ecs_mode() {
    let (ev, _) = ecs().decode("CEF:0|V|P|1|id|n|3|rt=1700000000123 end=Nov 14 2023 22:13:20.5 +01:00 start=Nov 14 2023 22:13:20 dtz=UTC");
    let m = ev.into_map();
    assert_eq!(m["@timestamp"], "2023-11-14T22:13:20.123Z");
    assert_eq!(m["event"]["end"], "2023-11-14T21:13:20.500Z");
    assert_eq!(m["event"]["start"], "2023-11-14T22:13:20.000Z");
    let paris = Zone::parse("Europe/Paris");
    assert_eq!(
        parse_time("Jul 01 2024 12:00:00", paris).as_deref(),
        Some("2024-07-01T10:00:00.000Z")
    );
    assert_eq!(parse_time("yesterday", None), None);
}

#[test]
fn not_cef_is_a_tagged_message() {
    for raw in ["hello world", "CEF:0|only|four|fields"] {
        let (ev, failed) = ecs().decode(raw);
        assert!(failed);
        let m = ev.into_map();
        assert_eq!(m["message"], raw);
        assert_eq!(m["tags"], json!(["_cefparsefailure"]));
    }
    assert!(parse("CEF:0|a|b|c|d|e|f|g=1").is_some());
}
