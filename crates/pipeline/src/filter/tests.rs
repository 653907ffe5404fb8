//! Unit tests of the filters' helpers.

use log_model::LogEvent;

use super::{Sprintf, field_ref};

#[test]
fn field_ref_reads_brackets_as_paths_and_dots_as_names() {
    assert_eq!(field_ref("[a][b]").unwrap().segments(), ["a", "b"]);
    assert_eq!(field_ref("a.b").unwrap().segments(), ["a.b"]);
    assert_eq!(field_ref("@timestamp").unwrap().segments(), ["@timestamp"]);
    assert!(field_ref("").is_none());
    assert!(field_ref("[a]b").is_none());
}

#[test]
fn sprintf_leaves_unparseable_templates_literal() {
    let ev = LogEvent::from_json_slice(br#"{"a":"x"}"#).unwrap();
    assert_eq!(Sprintf::new("%{a}-%{missing}").render(&ev), "x-%{missing}");
    assert_eq!(Sprintf::new("100%{").render(&ev), "100%{");
    assert_eq!(Sprintf::new("plain").render(&ev), "plain");
}

#[test]
fn a_chain_can_be_shared_by_workers() {
    fn shared<T: Send + Sync>() {}
    shared::<super::FilterChain>();
    shared::<crate::config::Pipeline>();
}

/// Without `database`, geoip looks for `GeoLite2-<type>.mmdb` in the directories it is given;
/// with none there it still builds, and tags every event `_geoip_expired_database`.
#[test]
fn geoip_without_a_database_looks_in_the_default_places() {
    use std::path::Path;

    use test_support::mmdb::{Value as V, Writer};

    use crate::config::validate;

    let plugin_of = |text: &str| {
        let p = crate::config::parse_str("f.conf", &format!("filter {{ {text} }}")).unwrap();
        let crate::config::Node::Plugin(plugin) = &p.filters[0] else {
            panic!("not a plugin");
        };
        plugin.clone()
    };
    let build = |text: &str, dirs: &[&Path]| {
        let plugin = plugin_of(text);
        let settings = validate::validate(&plugin, &super::geoip::schema()).unwrap();
        let common = super::Common::new(&settings, &plugin);
        super::geoip::build_in(&settings, common, dirs).unwrap()
    };
    let empty = tempfile::tempdir().unwrap();
    let f = build(r#"geoip { source => "[client][ip]" }"#, &[empty.path()]);
    let mut ev = LogEvent::from_json_slice(br#"{"client":{"ip":"1.2.3.4"}}"#).unwrap();
    f.filter(&mut ev);
    assert_eq!(ev.tags(), ["_geoip_expired_database"]);
    assert_eq!(f.failures(), 1);

    let full = tempfile::tempdir().unwrap();
    let mut w = Writer::new("GeoLite2-ASN", false);
    w.insert(
        "1.2.3.0/24",
        &V::map([("autonomous_system_number", V::U32(64_500))]),
    );
    std::fs::write(full.path().join("GeoLite2-ASN.mmdb"), w.to_bytes()).unwrap();
    let dirs = [empty.path(), full.path()];
    assert_eq!(
        super::geoip::find_default_database(&dirs, "ASN"),
        Some(full.path().join("GeoLite2-ASN.mmdb"))
    );
    assert_eq!(super::geoip::find_default_database(&dirs, "City"), None);
    let f = build(
        r#"geoip { source => "[client][ip]" default_database_type => "ASN" }"#,
        &dirs,
    );
    let mut ev = LogEvent::from_json_slice(br#"{"client":{"ip":"1.2.3.4"}}"#).unwrap();
    f.filter(&mut ev);
    assert_eq!(ev.as_map()["client"]["as"]["number"], 64_500);
}
