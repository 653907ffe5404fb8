//! Index options as Elasticsearch applies them: `expand_wildcards` (open, closed, hidden, none,
//! all) decides which indices a wildcard reaches, `index.hidden` keeps an index out of
//! wildcards unless asked for (a pattern starting with `.` still reaches hidden `.` names),
//! `ignore_unavailable` skips missing names and `allow_no_indices` refuses an empty expansion —
//! on searches and on the index administration APIs that take them.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, get, json, ok};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn setup(a: std::net::SocketAddr) {
    for (name, settings) in [
        ("idx-open", json!({})),
        ("idx-closed", json!({})),
        ("idx-hidden", json!({"index": {"hidden": true}})),
        (".dot-hidden", json!({"index.hidden": true})),
    ] {
        ok(&json(
            a,
            "PUT",
            &format!("/{name}"),
            Some(&json!({"settings": settings})),
        ));
        ok(&json(
            a,
            "PUT",
            &format!("/{name}/_doc/1?refresh=true"),
            Some(&json!({"n": 1})),
        ));
    }
    ok(&json(a, "POST", "/idx-closed/_close", None));
}

#[test]
fn expand_wildcards_chooses_open_closed_and_hidden_indices() {
    let t = TestServer::start();
    let a = t.addr();
    setup(a);
    let mapping = |q: &str| keys(&ok(&get(a, &format!("/idx-*/_mapping{q}"))));
    // get mapping expands to open indices by default
    assert_eq!(mapping(""), names(&["idx-open"]));
    assert_eq!(mapping("?expand_wildcards=closed"), names(&["idx-closed"]));
    assert_eq!(
        mapping("?expand_wildcards=open,hidden"),
        names(&["idx-open", "idx-hidden"])
    );
    assert_eq!(
        mapping("?expand_wildcards=all"),
        names(&["idx-open", "idx-closed", "idx-hidden"])
    );
    // with neither open nor closed to expand to, the pattern is taken as a name
    for q in ["none", "hidden"] {
        es_error(
            &get(a, &format!("/idx-*/_mapping?expand_wildcards={q}")),
            404,
            "index_not_found_exception",
        );
    }
    let r = get(a, "/idx-*/_mapping?expand_wildcards=sideways");
    es_error(&r, 400, "illegal_argument_exception");

    // settings: open by default
    assert_eq!(keys(&ok(&get(a, "/_settings"))), names(&["idx-open"]));
    // a pattern starting with `.` reaches hidden `.` names
    assert_eq!(
        keys(&ok(&get(a, "/.dot*/_settings"))),
        names(&[".dot-hidden"])
    );
    // a name given in full is never filtered
    assert_eq!(
        keys(&ok(&get(a, "/idx-hidden/_mapping"))),
        names(&["idx-hidden"])
    );

    // searches: open indices, hidden ones when asked for
    let total = |path: &str| {
        ok(&json(a, "POST", path, Some(&json!({}))))["hits"]["total"]["value"]
            .as_u64()
            .unwrap_or(u64::MAX)
    };
    assert_eq!(total("/*/_search"), 1);
    assert_eq!(total("/*/_search?expand_wildcards=open,hidden"), 3);
    assert_eq!(
        total("/_search?expand_wildcards=all&ignore_unavailable=true"),
        3
    );
    // a search asked to expand to closed indices is refused, as ES forbids them
    es_error(
        &json(
            a,
            "POST",
            "/idx-*/_search?expand_wildcards=all",
            Some(&json!({})),
        ),
        400,
        "index_closed_exception",
    );

    // `_cat/indices`: open and closed, hidden with `all`
    let cat = |q: &str| -> BTreeSet<String> {
        ok(&get(a, &format!("/_cat/indices?format=json{q}")))
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["index"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(cat(""), names(&["idx-open", "idx-closed"]));
    assert_eq!(
        cat("&expand_wildcards=all"),
        names(&["idx-open", "idx-closed", "idx-hidden", ".dot-hidden"])
    );

    // cluster health reaches every state unless told otherwise
    let health = |q: &str| {
        keys(&ok(&get(a, &format!("/_cluster/health/idx-*?level=indices{q}")))["indices"])
    };
    assert_eq!(health(""), names(&["idx-open", "idx-closed", "idx-hidden"]));
    assert_eq!(health("&expand_wildcards=closed"), names(&["idx-closed"]));
}

#[test]
fn ignore_unavailable_and_allow_no_indices_apply_to_index_administration() {
    let t = TestServer::start();
    let a = t.addr();
    setup(a);
    es_error(
        &get(a, "/idx-open,missing/_mapping"),
        404,
        "index_not_found_exception",
    );
    assert_eq!(
        keys(&ok(&get(
            a,
            "/idx-open,missing/_mapping?ignore_unavailable=true"
        ))),
        names(&["idx-open"])
    );
    assert_eq!(
        keys(&ok(&get(
            a,
            "/idx-open,missing/_settings?ignore_unavailable=true"
        ))),
        names(&["idx-open"])
    );
    es_error(
        &get(a, "/nothing-*/_settings?allow_no_indices=false"),
        404,
        "index_not_found_exception",
    );
    // refresh skips what is missing when told to
    ok(&json(
        a,
        "POST",
        "/idx-open,missing/_refresh?ignore_unavailable=true",
        None,
    ));
    // a delete through a pattern takes open and closed indices, not hidden ones
    ok(&json(a, "DELETE", "/idx-*", None));
    assert_eq!(get(a, "/idx-open").status, 404);
    assert_eq!(get(a, "/idx-closed").status, 404);
    assert_eq!(get(a, "/idx-hidden").status, 200);
    // `_open` takes closed indices by default
    ok(&json(a, "PUT", "/c1", None));
    ok(&json(a, "POST", "/c1/_close", None));
    ok(&json(a, "POST", "/c*/_open", None));
    ok(&json(a, "POST", "/c1/_search", Some(&json!({}))));
}

#[test]
fn a_delete_never_reaches_indices_through_aliases() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/index",
        Some(&json!({"aliases": {"alias": {}}})),
    ));
    ok(&json(a, "PUT", "/index2", None));
    es_error(
        &json(a, "DELETE", "/alias", None),
        400,
        "illegal_argument_exception",
    );
    // a pattern matching only the alias deletes nothing
    ok(&json(a, "DELETE", "/alia*", None));
    es_error(
        &json(a, "DELETE", "/alia*?allow_no_indices=false", None),
        404,
        "index_not_found_exception",
    );
    assert_eq!(get(a, "/index").status, 200);
    // with ignore_unavailable the alias is skipped and the index named deleted
    ok(&json(
        a,
        "DELETE",
        "/alias,index2?ignore_unavailable=true",
        None,
    ));
    assert_eq!(get(a, "/index").status, 200);
    assert_eq!(get(a, "/index2").status, 404);
}
