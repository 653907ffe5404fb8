use super::Settings;
use crate::output::host_url;

#[test]
fn hosts_become_urls_like_logstash_reads_them() {
    let check = |host: &str, https: bool, expected: &str| {
        assert_eq!(host_url(host, https), expected, "{host}");
    };
    check("elasticsearch:9200", false, "http://elasticsearch:9200");
    check("//127.0.0.1", false, "http://127.0.0.1:9200");
    check("127.0.0.1", true, "https://127.0.0.1:9200");
    check("https://es.example:9243/", false, "https://es.example:9243");
    check(
        "http://u:p@es:9200/prefix",
        false,
        "http://u:p@es:9200/prefix",
    );
    check("[::1]", false, "http://[::1]:9200");
    check("[::1]:9201", false, "http://[::1]:9201");
}

#[test]
fn byte_sizes() {
    let check = |s: &str, expected: Option<u64>| {
        assert_eq!(
            Settings::parse_bytes("queue.max_bytes", s).ok(),
            expected,
            "{s}"
        );
    };
    check("64mb", Some(64 << 20));
    check("1gb", Some(1 << 30));
    check("1024", Some(1024));
    check("10 kb", Some(10 << 10));
    check("lots", None);
    let err = Settings::parse_bytes("queue.max_bytes", "lots").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting queue.max_bytes: expected a byte size like 64mb, got \"lots\""
    );
}

#[test]
fn ordered_requires_one_worker() {
    let s = Settings {
        workers: 2,
        ordered: super::Ordered::True,
        ..Settings::default()
    };
    assert!(
        s.check()
            .unwrap_err()
            .to_string()
            .contains("pipeline.ordered")
    );
    let s = Settings {
        workers: 1,
        ordered: super::Ordered::True,
        ..Settings::default()
    };
    assert!(s.check().is_ok());
}

#[test]
fn metadata_is_observed_only_through_references() {
    let check = |config: &str, expected: bool| {
        let p = crate::config::parse_str("t.conf", config).unwrap();
        assert_eq!(super::build::observes_metadata(&p), expected, "{config}");
    };
    let input = "input { tcp { port => 5000 codec => json_lines } }";
    check(&format!("{input} output {{ stdout {{ }} }}"), false);
    check(
        &format!(
            r#"{input} filter {{ mutate {{ convert => {{ "duration" => "float" }} }} }}
            output {{ elasticsearch {{ index => "logs-%{{+YYYY.MM.dd}}" }} }}"#
        ),
        false,
    );
    check(
        &format!(r#"{input} output {{ elasticsearch {{ index => "%{{[@metadata][i]}}" }} }}"#),
        true,
    );
    check(
        &format!(r#"{input} filter {{ if [@metadata][x] {{ drop {{ }} }} }}"#),
        true,
    );
    check(
        &format!(r#"{input} filter {{ mutate {{ remove_field => ["@metadata"] }} }}"#),
        true,
    );
    check(
        &format!("{input} output {{ stdout {{ codec => rubydebug {{ metadata => true }} }} }}"),
        true,
    );
}
