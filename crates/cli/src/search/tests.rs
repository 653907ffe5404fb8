use clap::Parser as _;
use serde_json::json;

use super::*;

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: Args,
}

#[test]
fn query_string_newest_first() {
    let cli = Cli::try_parse_from([
        "sluice",
        "level:ERROR",
        "--index",
        "python-logs-*",
        "--size",
        "5",
    ])
    .expect("args");
    let b = body(&cli.args);
    assert_eq!(b["size"], 5);
    assert_eq!(b["query"]["query_string"]["query"], "level:ERROR");
    assert_eq!(b["sort"][0]["timestamp"]["order"], "desc");
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
