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
