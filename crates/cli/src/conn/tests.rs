use clap::Parser as _;
use es_client::Auth;

use super::*;

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    conn: Args,
}

fn parse(args: &[&str]) -> anyhow::Result<ClientConfig> {
    let cli = Cli::try_parse_from(std::iter::once("sluice").chain(args.iter().copied()))?;
    cli.conn.config()
}

#[test]
fn node_lists_repeat_or_comma() {
    let c = parse(&[
        "--es",
        "http://a:9200,http://b:9200",
        "--es",
        "http://c:9200",
    ])
    .expect("ok");
    assert_eq!(c.nodes, ["http://a:9200", "http://b:9200", "http://c:9200"]);
}

#[test]
fn credentials() {
    let check = |args: &[&str], expected: Option<Auth>| {
        let c = parse(&[&["--es", "http://h:9200"], args].concat()).expect("ok");
        assert_eq!(c.auth, expected, "{args:?}");
    };
    check(
        &["--user", "elastic", "--password", "pw"],
        Some(Auth::basic("elastic", "pw")),
    );
    check(&["--user", "elastic"], Some(Auth::basic("elastic", "")));
    check(&["--api-key", "id:key"], Some(Auth::api_key("id:key")));
    check(
        &["--api-key", "aWQ6a2V5"],
        Some(Auth::ApiKey("aWQ6a2V5".into())),
    );
    let err = parse(&["--es", "http://h:9200", "--password", "pw"]).expect_err("no user");
    assert!(err.to_string().contains("--password"), "{err}");
    assert!(
        parse(&["--user", "u", "--api-key", "k"]).is_err(),
        "one kind of credentials"
    );
}

#[test]
fn tls_and_timeout_options() {
    let c = parse(&[
        "--es",
        "https://h:9200",
        "--ca-fingerprint",
        "AA:BB",
        "--ca-cert",
        "/tmp/ca.crt",
        "--insecure-tls",
        "--timeout",
        "2.5",
    ])
    .expect("ok");
    assert_eq!(c.tls.ca_fingerprint.as_deref(), Some("AA:BB"));
    assert_eq!(c.tls.ca_cert, Some(PathBuf::from("/tmp/ca.crt")));
    assert!(c.tls.insecure);
    assert_eq!(c.request_timeout, Duration::from_millis(2500));
    assert!(parse(&["--timeout", "0"]).is_err());
    assert!(parse(&["--timeout", "-1"]).is_err());
}

#[test]
fn display_hides_credentials() {
    let cli =
        Cli::try_parse_from(["sluice", "--es", "https://elastic:secret@es1:9200"]).expect("ok");
    assert_eq!(cli.conn.display(), "https://es1:9200");
}

#[test]
fn a_url_flag_takes_one_value() {
    #[derive(clap::Parser)]
    struct Search {
        query: String,
        #[command(flatten)]
        conn: Args,
    }
    let s = Search::try_parse_from(["search", "--es", "http://h:9200", "level:ERROR"]).expect("ok");
    assert_eq!(
        (s.query.as_str(), s.conn.es.as_slice()),
        ("level:ERROR", &["http://h:9200".to_owned()][..])
    );
}
