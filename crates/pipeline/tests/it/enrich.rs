//! The enrichment filters through their interface: `geoip` against MaxMind databases the tests
//! write (`test_support::mmdb`), `useragent` on real browsers' strings.

use std::path::{Path, PathBuf};

use log_model::LogEvent;
use pipeline::config;
use pipeline::filter::{FilterChain, FilterOutcome};
use serde_json::{Value, json};
use test_support::mmdb::{Value as V, Writer, city_record};

fn chain(filter_body: &str) -> Result<FilterChain, String> {
    let text = format!("filter {{\n{filter_body}\n}}");
    let p = config::parse_str("f.conf", &text).map_err(|e| e.to_string())?;
    FilterChain::build(&p.filters).map_err(|e| e.to_string())
}

/// Runs `filter_body` on each `(input, expected)` pair (JSON; key order ignored).
fn check(filter_body: &str, cases: &[(Value, Value)]) {
    let c = chain(filter_body).unwrap_or_else(|e| panic!("{e}\n{filter_body}"));
    for (input, expected) in cases {
        let mut ev = LogEvent::from_json_slice(input.to_string().as_bytes()).unwrap();
        assert_eq!(c.process(&mut ev), FilterOutcome::Keep);
        assert_eq!(
            &Value::Object(ev.into_map()),
            expected,
            "config: {filter_body}\ninput: {input}"
        );
    }
}

/// A City database with two networks (an English city, a US one with a metro code) and a
/// network whose record has no location, written to `dir`.
fn city_db(dir: &Path, ipv6: bool) -> PathBuf {
    let mut w = Writer::new("GeoLite2-City", ipv6);
    w.insert(
        "81.2.69.0/24",
        &city_record(
            "London",
            ("EU", "Europe"),
            ("GB", "United Kingdom"),
            Some(("ENG", "England")),
            Some("EC1A"),
            (51.5142, -0.0931, "Europe/London"),
        ),
    );
    w.insert(
        "216.160.83.56/29",
        &city_record(
            "Milton",
            ("NA", "North America"),
            ("US", "United States"),
            Some(("WA", "Washington")),
            Some("98354"),
            (47.2513, -122.3149, "America/Los_Angeles"),
        ),
    );
    w.insert(
        "89.160.20.0/24",
        &V::map([("country", V::map([("iso_code", V::str("SE"))]))]),
    );
    if ipv6 {
        w.insert(
            "2001:db8::/32",
            &city_record(
                "Linköping",
                ("EU", "Europe"),
                ("SE", "Sweden"),
                None,
                None,
                (58.4167, 15.6167, "Europe/Stockholm"),
            ),
        );
    }
    let path = dir.join(if ipv6 { "city6.mmdb" } else { "city.mmdb" });
    std::fs::write(&path, w.to_bytes()).unwrap();
    path
}

fn asn_db(dir: &Path) -> PathBuf {
    let mut w = Writer::new("GeoLite2-ASN", false);
    w.insert(
        "1.128.0.0/11",
        &V::map([
            ("autonomous_system_number", V::U32(1221)),
            ("autonomous_system_organization", V::str("Telstra Pty Ltd")),
        ]),
    );
    let path = dir.join("asn.mmdb");
    std::fs::write(&path, w.to_bytes()).unwrap();
    path
}

#[test]
fn geoip_ecs_names_under_the_parent_of_an_ip_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = city_db(dir.path(), false);
    check(
        &format!(
            r#"geoip {{ source => "[client][ip]" database => "{}" }}"#,
            db.display()
        ),
        &[(
            json!({"client": {"ip": "81.2.69.142"}}),
            json!({"client": {"ip": "81.2.69.142", "geo": {
                "city_name": "London", "country_name": "United Kingdom",
                "continent_code": "EU", "country_iso_code": "GB", "postal_code": "EC1A",
                "region_name": "England", "region_iso_code": "GB-ENG",
                "timezone": "Europe/London",
                "location": {"lat": 51.5142, "lon": -0.0931}
            }}}),
        )],
    );
}

#[test]
fn geoip_legacy_names_under_geoip() {
    let dir = tempfile::tempdir().unwrap();
    let db = city_db(dir.path(), false);
    check(
        &format!(
            r#"geoip {{ source => "clientip" database => "{}" ecs_compatibility => disabled add_tag => ["located"] }}"#,
            db.display()
        ),
        &[(
            json!({"clientip": "216.160.83.58"}),
            json!({"clientip": "216.160.83.58", "tags": ["located"], "geoip": {
                "ip": "216.160.83.58", "city_name": "Milton", "country_name": "United States",
                "continent_code": "NA", "country_code2": "US", "country_code3": "US",
                "postal_code": "98354", "region_name": "Washington", "region_code": "WA",
                "timezone": "America/Los_Angeles",
                "location": {"lat": 47.2513, "lon": -122.3149},
                "latitude": 47.2513, "longitude": -122.3149
            }}),
        )],
    );
}

#[test]
fn geoip_fields_target_and_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let db = city_db(dir.path(), false);
    check(
        &format!(
            r#"geoip {{ source => "addrs" target => "[source]" fields => ["city_name", "COUNTRY_CODE2", "location"] database => "{}" }}"#,
            db.display()
        ),
        &[(
            // The first element of an array is looked up.
            json!({"addrs": ["81.2.69.1", "216.160.83.58"]}),
            json!({"addrs": ["81.2.69.1", "216.160.83.58"], "source": {"geo": {
                "city_name": "London", "country_iso_code": "GB",
                "location": {"lat": 51.5142, "lon": -0.0931}
            }}}),
        )],
    );
}

#[test]
fn geoip_failures_are_tagged() {
    let dir = tempfile::tempdir().unwrap();
    let db = city_db(dir.path(), false);
    let conf = format!(
        r#"geoip {{ source => "ip" target => "source" database => "{}" add_tag => ["located"] }}"#,
        db.display()
    );
    let failed = |input: Value, expected: Value| (input, expected);
    check(
        &conf,
        &[
            // Not in the database: tagged, and the (empty) target is made, as Logstash does.
            failed(
                json!({"ip": "10.1.2.3"}),
                json!({"ip": "10.1.2.3", "source": {}, "tags": ["_geoip_lookup_failure"]}),
            ),
            // Not an address.
            failed(
                json!({"ip": "not-an-ip"}),
                json!({"ip": "not-an-ip", "source": {}, "tags": ["_geoip_lookup_failure"]}),
            ),
            // A record without a location counts as not found (Logstash's City lookup).
            failed(
                json!({"ip": "89.160.20.112"}),
                json!({"ip": "89.160.20.112", "source": {}, "tags": ["_geoip_lookup_failure"]}),
            ),
            // Missing or blank source: tagged, no target.
            failed(
                json!({"other": 1}),
                json!({"other": 1, "tags": ["_geoip_lookup_failure"]}),
            ),
            failed(
                json!({"ip": " "}),
                json!({"ip": " ", "tags": ["_geoip_lookup_failure"]}),
            ),
            // An IPv6 address in an IPv4 database.
            failed(
                json!({"ip": "2001:db8::1"}),
                json!({"ip": "2001:db8::1", "source": {}, "tags": ["_geoip_lookup_failure"]}),
            ),
        ],
    );
    check(
        &format!(
            r#"geoip {{ source => "ip" target => "source" database => "{}" tag_on_failure => ["nogeo"] }}"#,
            db.display()
        ),
        &[(
            json!({"ip": "10.1.2.3", "source": {"port": 1}}),
            json!({"ip": "10.1.2.3", "source": {"port": 1}, "tags": ["nogeo"]}),
        )],
    );
}

#[test]
fn geoip_ipv6_database_answers_both_families() {
    let dir = tempfile::tempdir().unwrap();
    let db = city_db(dir.path(), true);
    let conf = format!(
        r#"geoip {{ source => "ip" target => "client" fields => ["ip", "city_name", "country_code2"] database => "{}" }}"#,
        db.display()
    );
    check(
        &conf,
        &[
            (
                json!({"ip": "2001:db8:1::5"}),
                json!({"ip": "2001:db8:1::5", "client": {"ip": "2001:db8:1::5",
                    "geo": {"city_name": "Linköping", "country_iso_code": "SE"}}}),
            ),
            (
                json!({"ip": "81.2.69.200"}),
                json!({"ip": "81.2.69.200", "client": {"ip": "81.2.69.200",
                    "geo": {"city_name": "London", "country_iso_code": "GB"}}}),
            ),
        ],
    );
}

#[test]
fn geoip_asn_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = asn_db(dir.path());
    check(
        &format!(
            r#"geoip {{ source => "[source][ip]" database => "{}" default_database_type => "ASN" }}"#,
            db.display()
        ),
        &[(
            json!({"source": {"ip": "1.128.0.1"}}),
            json!({"source": {"ip": "1.128.0.1",
                "as": {"number": 1221, "organization": {"name": "Telstra Pty Ltd"}}}}),
        )],
    );
    check(
        &format!(
            r#"geoip {{ source => "ip" database => "{}" ecs_compatibility => disabled fields => ["autonomous_system_number", "autonomous_system_organization", "network"] }}"#,
            db.display()
        ),
        &[(
            json!({"ip": "1.130.4.4"}),
            json!({"ip": "1.130.4.4", "geoip": {"asn": 1221, "as_org": "Telstra Pty Ltd",
                "network": "1.128.0.0/11"}}),
        )],
    );
}

#[test]
fn geoip_configuration_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let db = city_db(dir.path(), false);
    let cases = [
        (
            format!(
                r#"geoip {{ source => "clientip" database => "{}" }}"#,
                db.display()
            ),
            "requires a `target` when `source` is not an `ip` sub-field",
        ),
        (
            r#"geoip { source => "[client][ip]" database => "/nonexistent/GeoLite2-City.mmdb" }"#
                .to_owned(),
            "File does not exist or cannot be opened /nonexistent/GeoLite2-City.mmdb",
        ),
        (
            format!(
                r#"geoip {{ source => "[client][ip]" database => "{}" fields => ["town"] }}"#,
                db.display()
            ),
            "illegal field value town",
        ),
        (r#"geoip { target => "client" }"#.to_owned(), "source"),
    ];
    for (conf, want) in cases {
        let err = chain(&conf).expect_err(&conf);
        assert!(err.contains(want), "{conf}\n{err}");
    }
    let bad = dir.path().join("bad.mmdb");
    std::fs::write(&bad, b"not a database").unwrap();
    let err = chain(&format!(
        r#"geoip {{ source => "[client][ip]" database => "{}" }}"#,
        bad.display()
    ))
    .unwrap_err();
    assert!(err.contains("invalid or corrupted"), "{err}");
    let mut w = Writer::new("GeoIP2-Enterprise", false);
    w.insert("1.0.0.0/8", &V::map([("x", V::U16(1))]));
    let enterprise = dir.path().join("enterprise.mmdb");
    std::fs::write(&enterprise, w.to_bytes()).unwrap();
    let err = chain(&format!(
        r#"geoip {{ source => "[client][ip]" database => "{}" }}"#,
        enterprise.display()
    ))
    .unwrap_err();
    assert!(
        err.contains("\"GeoIP2-Enterprise\" is not supported"),
        "{err}"
    );
}

// ---- useragent ----------------------------------------------------------------------------------

const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.90 Safari/537.36";
const FIREFOX_MAC: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:85.0) Gecko/20100101 Firefox/85.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Mobile/15E148 Safari/604.1";
const CURL: &str = "curl/7.68.0";

#[test]
fn useragent_ecs_names() {
    check(
        r#"useragent { source => "[user_agent][original]" }"#,
        &[
            (
                json!({"user_agent": {"original": CHROME_WIN}}),
                json!({"user_agent": {"original": CHROME_WIN, "name": "Chrome",
                    "version": "89.0.4389.90", "device": {"name": "Other"},
                    "os": {"name": "Windows", "version": "10", "full": "Windows 10"}},
                    "@metadata": {"filter": {"user_agent": {
                        "version": {"major": "89", "minor": "0", "patch": "4389"},
                        "os": {"version": {"major": "10"}}}}}}),
            ),
            (
                json!({"user_agent": {"original": SAFARI_IPHONE}}),
                json!({"user_agent": {"original": SAFARI_IPHONE, "name": "Mobile Safari",
                    "version": "14.0.3", "device": {"name": "iPhone"},
                    "os": {"name": "iOS", "version": "14.4", "full": "iOS 14.4"}},
                    "@metadata": {"filter": {"user_agent": {
                        "version": {"major": "14", "minor": "0", "patch": "3"},
                        "os": {"version": {"major": "14", "minor": "4"}}}}}}),
            ),
        ],
    );
}

#[test]
fn useragent_legacy_names_with_prefix_and_target() {
    check(
        r#"useragent { source => "agent" prefix => "ua_" ecs_compatibility => disabled }"#,
        &[(
            json!({"agent": FIREFOX_MAC}),
            json!({"agent": FIREFOX_MAC, "ua_name": "Firefox", "ua_version": "85.0",
                "ua_major": "85", "ua_minor": "0", "ua_device": "Mac",
                "ua_os": "Mac OS X", "ua_os_name": "Mac OS X", "ua_os_full": "Mac OS X 10.15",
                "ua_os_version": "10.15", "ua_os_major": "10", "ua_os_minor": "15"}),
        )],
    );
    // target == source: the string is replaced by what was parsed from it.
    check(
        r#"useragent { source => "agent" target => "agent" ecs_compatibility => disabled add_tag => ["ua"] }"#,
        &[(
            json!({"agent": CURL}),
            json!({"agent": {"name": "curl", "version": "7.68.0", "major": "7", "minor": "68",
                "patch": "0", "device": "Other", "os": "Other", "os_name": "Other",
                "os_full": "Other"}, "tags": ["ua"]}),
        )],
    );
}

#[test]
fn useragent_unknown_missing_and_empty() {
    check(
        r#"useragent { source => "ua" target => "[client][ua]" }"#,
        &[
            // Nothing recognised: Logstash's parser answers "Other".
            (
                json!({"ua": "zz"}),
                json!({"ua": "zz", "client": {"ua": {"name": "Other",
                    "device": {"name": "Other"}, "os": {"name": "Other", "full": "Other"}}}}),
            ),
            // Missing, empty or not a string: untouched, untagged.
            (json!({"other": 1}), json!({"other": 1})),
            (json!({"ua": ""}), json!({"ua": ""})),
            (json!({"ua": 5}), json!({"ua": 5})),
        ],
    );
}

#[test]
fn useragent_custom_regexes_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regexes.yaml");
    std::fs::write(
        &path,
        "user_agent_parsers:\n  - regex: '(SluiceBot)/(\\d+)\\.(\\d+)'\nos_parsers: []\ndevice_parsers: []\n",
    )
    .unwrap();
    check(
        &format!(
            r#"useragent {{ source => "ua" regexes => "{}" }}"#,
            path.display()
        ),
        &[(
            json!({"ua": "SluiceBot/2.5 (+https://example.com)"}),
            json!({"ua": "SluiceBot/2.5 (+https://example.com)", "user_agent": {
                "name": "SluiceBot", "version": "2.5", "device": {"name": "Other"},
                "os": {"name": "Other", "full": "Other"}},
                "@metadata": {"filter": {"user_agent": {"version": {"major": "2", "minor": "5"}}}}}),
        )],
    );
    std::fs::write(
        &path,
        "user_agent_parsers:\n  - regex: '(unclosed'\nos_parsers: []\ndevice_parsers: []\n",
    )
    .unwrap();
    let err = chain(&format!(
        r#"useragent {{ source => "ua" regexes => "{}" }}"#,
        path.display()
    ))
    .unwrap_err();
    assert!(err.contains("regexes"), "{err}");
}
