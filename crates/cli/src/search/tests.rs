use clap::Parser as _;
use serde_json::json;

use super::*;

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: Args,
}

fn parse(args: &[&str]) -> Args {
    let mut all = vec!["sluice"];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).expect("args").args
}

#[test]
fn kql_by_default_lucene_on_request_newest_first() {
    let b = body(
        &parse(&["level:ERROR and user:user1", "--size", "5"]),
        "@timestamp",
    )
    .expect("body");
    assert_eq!(b["size"], 5);
    assert_eq!(
        b["query"],
        kql::translate("level:ERROR and user:user1", &kql::Options::default()).expect("kql")
    );
    assert_eq!(b["sort"][0]["@timestamp"]["order"], "desc");
    let b = body(
        &parse(&["level:ERROR AND user:user1", "--lucene"]),
        "timestamp",
    )
    .expect("body");
    assert_eq!(
        b["query"]["query_string"]["query"],
        "level:ERROR AND user:user1"
    );
    assert_eq!(b["sort"][0]["timestamp"]["order"], "desc");
    for all in [&[][..], &["*"][..], &["  "][..]] {
        assert_eq!(
            body(&parse(all), "t").expect("body")["query"],
            json!({"match_all": {}})
        );
    }
}

#[test]
fn kql_syntax_errors_show_where() {
    let err = body(&parse(&["level : \"ERROR\" and ("]), "t").expect_err("syntax error");
    let text = err.to_string();
    assert!(text.contains("syntax error at line 1, column 22"), "{text}");
    assert!(
        text.contains("\n  level : \"ERROR\" and (\n                       ^"),
        "{text}"
    );
    assert!(text.contains("--lucene"), "{text}");
}

#[test]
fn table_reads_seed_and_ecs_events() {
    let hits: Vec<es_client::Hit> = serde_json::from_value(json!([
        {"_index": "python-logs", "_id": "1", "_source": {"timestamp": "2026-01-01T00:00:01.000Z", "level": "ERROR",
          "message": "Error during login by user3", "user": "user3", "action": "login", "duration": 1.5}},
        {"_index": "ecs", "_id": "2", "_source": {"@timestamp": "2026-01-01T00:00:00.000Z", "log": {"level": "INFO"},
          "message": "line\nbreak", "user": {"name": "user1"}, "event": {"action": "view", "duration": 100}}}
    ]))
    .expect("hits");
    assert_eq!(
        table(&hits, "timestamp"),
        "time                      level  user   action  duration  message\n\
         2026-01-01T00:00:01.000Z  ERROR  user3  login   1.5       Error during login by user3\n\
         2026-01-01T00:00:00.000Z  INFO   user1  view    100       line break\n"
    );
}
