use super::*;

#[test]
fn node_urls() {
    let check =
        |url: &str, expected: Result<(&str, Option<Auth>), &str>| match (parse_node(url), expected)
        {
            (Ok((node, auth)), Ok((want_url, want_auth))) => {
                assert_eq!(node.url(), want_url, "{url}");
                assert_eq!(auth, want_auth, "{url}");
            }
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{url}: {e}"),
            (got, want) => panic!(
                "{url}: got {:?}, want {want:?}",
                got.map(|(n, a)| (n.url(), a))
            ),
        };
    check("http://127.0.0.1:9200", Ok(("http://127.0.0.1:9200", None)));
    check("localhost", Ok(("http://localhost:9200", None)));
    check(
        "https://es1.example.com",
        Ok(("https://es1.example.com:9200", None)),
    );
    check("HTTPS://es1:443/", Ok(("https://es1:443", None)));
    check("http://proxy:8080/es/", Ok(("http://proxy:8080/es", None)));
    check("http://[::1]:9201", Ok(("http://[::1]:9201", None)));
    check("http://[::1]", Ok(("http://[::1]:9200", None)));
    check(
        "http://elastic:s%40cret@127.0.0.1:9200",
        Ok((
            "http://127.0.0.1:9200",
            Some(Auth::basic("elastic", "s@cret")),
        )),
    );
    check(
        "http://elastic@h:1",
        Ok(("http://h:1", Some(Auth::basic("elastic", "")))),
    );
    check("ftp://h:1", Err("the scheme must be http or https"));
    check("http://", Err("no host"));
    check("http://h:notaport", Err("node url `http://h:notaport`"));
}

#[test]
fn a_node_list_is_required() {
    let err = Transport::new(ClientConfig::with_nodes(Vec::<String>::new())).err();
    assert!(err.is_some_and(|e| e.to_string().contains("no node url")));
}

#[test]
fn dead_nodes_are_skipped_until_their_backoff_passes() {
    let t = Transport::new(ClientConfig::with_nodes([
        "http://a:1",
        "http://b:1",
        "http://c:1",
    ]))
    .expect("transport");
    let nodes = t.nodes();
    nodes[1].mark_dead(Duration::from_secs(60));
    let picked: Vec<String> = (0..6).map(|_| t.pick().url()).collect();
    assert!(!picked.contains(&"http://b:1".to_owned()), "{picked:?}");
    assert!(picked.contains(&"http://a:1".to_owned()) && picked.contains(&"http://c:1".to_owned()));
    // All dead: the one back soonest is still tried (never an empty pick).
    nodes[0].mark_dead(Duration::from_secs(600));
    nodes[2].mark_dead(Duration::from_secs(600));
    nodes[2].mark_dead(Duration::from_secs(600));
    assert_eq!(t.pick().url(), "http://b:1");
    nodes[1].mark_alive();
    assert!(nodes[1].is_alive(Instant::now()));
}
