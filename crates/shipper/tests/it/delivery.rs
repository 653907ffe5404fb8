//! Delivery through the TCP transport, memory-only and durable.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value, json};
use shipper::{Builder, Shipper, Stats, Transport};

use crate::receiver::Receiver;

const DEADLINE: Duration = Duration::from_secs(20);

fn event(id: u64) -> Map<String, Value> {
    let Value::Object(m) = json!({"id": id, "message": format!("event {id}"), "user": "user1"})
    else {
        unreachable!()
    };
    m
}

fn builder(port: u16) -> Builder {
    let mut b = Shipper::builder(Transport::tcp("127.0.0.1", port));
    b.reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .flush_interval(Duration::from_millis(5));
    b
}

fn durable(port: u16, db: &Path) -> Builder {
    let mut b = builder(port);
    b.database(db);
    b
}

fn ids(n: u64) -> BTreeSet<u64> {
    (0..n).collect()
}

#[test]
fn memory_only_delivers_every_event_in_order() {
    let rx = Receiver::start();
    let shipper = builder(rx.port()).batch_size(64).build().expect("build");
    for id in 0..1_000 {
        shipper.log(event(id));
    }
    shipper.flush(DEADLINE).expect("flush");
    let stats = shipper.shutdown(DEADLINE);
    rx.settled(stats.sent);
    assert_eq!(rx.ids(), (0..1_000).collect::<Vec<_>>());
    assert_eq!(
        (stats.accepted, stats.sent, stats.pending, stats.lost),
        (1_000, 1_000, 0, 0)
    );
}

#[test]
fn durable_delivers_every_event_and_empties_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rx = Receiver::start();
    let shipper = durable(rx.port(), &dir.path().join("q.db"))
        .batch_size(100)
        .build()
        .expect("build");
    for id in 0..2_000 {
        shipper.log(event(id));
    }
    shipper.flush(DEADLINE).expect("flush");
    let stats = shipper.shutdown(DEADLINE);
    rx.settled(stats.sent);
    assert_eq!(rx.ids(), (0..2_000).collect::<Vec<_>>());
    assert_eq!(
        (
            stats.accepted,
            stats.persisted,
            stats.sent,
            stats.pending_on_disk
        ),
        (2_000, 2_000, 2_000, 0)
    );
}

/// The agent is down when the application starts: events wait on disk; once the agent
/// comes up, all of them arrive, exactly once.
#[test]
fn agent_down_at_start_then_up_delivers_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = test_support::free_addr();
    let shipper = durable(addr.port(), &dir.path().join("q.db"))
        .build()
        .expect("build");
    for id in 0..500 {
        shipper.log(event(id));
    }
    shipper.sync(DEADLINE).expect("sync");
    let before = shipper.stats();
    assert_eq!(
        (before.persisted, before.sent, before.pending_on_disk),
        (500, 0, 500)
    );
    // the worker tries (and fails) to connect on its own schedule: wait for the first count
    test_support::wait_for("connect failures to be counted", DEADLINE, || {
        (shipper.stats().send_errors > 0).then_some(())
    })
    .expect("connect failures are counted");

    let rx = Receiver::start_at(addr);
    shipper.flush(DEADLINE).expect("flush once the agent is up");
    let stats = shipper.shutdown(DEADLINE);
    rx.settled(stats.sent);
    assert_eq!(rx.ids().into_iter().collect::<BTreeSet<_>>(), ids(500));
    assert_eq!(rx.count(), 500, "no duplicates");
    assert_eq!((stats.sent, stats.pending_on_disk), (500, 0));
}

/// Events not delivered when the process exits stay on disk and go out on the next run.
#[test]
fn undelivered_events_survive_shutdown_and_go_out_next_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("q.db");
    let addr = test_support::free_addr();
    let first = durable(addr.port(), &db).build().expect("build");
    for id in 0..300 {
        first.log(event(id));
    }
    let stats = first.shutdown(Duration::from_millis(100));
    assert_eq!(
        (
            stats.persisted,
            stats.sent,
            stats.pending_on_disk,
            stats.lost
        ),
        (300, 0, 300, 0)
    );

    let rx = Receiver::start_at(addr);
    let second = durable(addr.port(), &db).build().expect("reopen");
    assert_eq!(second.stats().pending_on_disk, 300);
    second.flush(DEADLINE).expect("flush");
    rx.settled(second.shutdown(DEADLINE).sent);
    assert_eq!(rx.ids(), (0..300).collect::<Vec<_>>());
}

/// Durable queue full: the oldest events are dropped and counted; the newest are kept.
#[test]
fn full_durable_queue_drops_the_oldest_and_counts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = test_support::free_addr();
    let shipper = durable(addr.port(), &dir.path().join("q.db"))
        .max_queue_events(100)
        .build()
        .expect("build");
    for id in 0..250 {
        shipper.log(event(id));
    }
    shipper.sync(DEADLINE).expect("sync");
    let full = shipper.stats();
    assert_eq!((full.dropped_full, full.pending_on_disk), (150, 100));

    let rx = Receiver::start_at(addr);
    shipper.flush(DEADLINE).expect("flush");
    rx.settled(shipper.shutdown(DEADLINE).sent);
    assert_eq!(rx.ids(), (150..250).collect::<Vec<_>>());
}

#[test]
fn full_durable_queue_by_bytes_keeps_it_under_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = test_support::free_addr();
    let one = serde_json::to_vec(&event(100)).expect("json").len() as u64;
    let shipper = durable(addr.port(), &dir.path().join("q.db"))
        .max_queue_bytes(one * 20)
        .build()
        .expect("build");
    for id in 100..200 {
        shipper.log(event(id));
    }
    shipper.sync(DEADLINE).expect("sync");
    let s = shipper.stats();
    assert_eq!(s.dropped_full + s.pending_on_disk, 100);
    assert!((1..=20).contains(&s.pending_on_disk), "{s:?}");
    let rx = Receiver::start_at(addr);
    shipper.flush(DEADLINE).expect("flush");
    let kept = s.pending_on_disk;
    rx.settled(shipper.shutdown(DEADLINE).sent);
    assert_eq!(
        rx.ids(),
        (200 - kept..200).collect::<Vec<_>>(),
        "the newest are kept"
    );
}

/// Memory only, agent down: the hand-off stays bounded and keeps the newest events.
#[test]
fn full_memory_queue_drops_the_oldest_and_counts_them() {
    let addr = test_support::free_addr();
    let shipper = builder(addr.port())
        .memory_capacity(10)
        .batch_size(5)
        .build()
        .expect("build");
    for id in 0..50 {
        shipper.log(event(id));
    }
    let rx = Receiver::start_at(addr);
    shipper.flush(DEADLINE).expect("flush");
    let stats = shipper.shutdown(DEADLINE);
    rx.settled(stats.sent);
    let got = rx.ids();
    assert_eq!(stats.dropped_full + stats.sent, 50, "{stats:?}");
    assert_eq!(got.len() as u64, stats.sent);
    assert!(
        got.len() <= 15,
        "at most capacity + one batch kept: {got:?}"
    );
    assert!(
        got.ends_with(&(40..50).collect::<Vec<_>>()),
        "the newest are kept: {got:?}"
    );
}

/// Events older than the TTL are discarded unsent (counted); fresh ones still go out.
#[test]
fn expired_events_are_discarded_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = test_support::free_addr();
    let shipper = durable(addr.port(), &dir.path().join("q.db"))
        .event_ttl(Some(Duration::from_millis(100)))
        .build()
        .expect("build");
    for id in 0..40 {
        shipper.log(event(id));
    }
    let expired = test_support::wait_for("40 expired events", DEADLINE, || {
        let s = shipper.stats();
        (s.expired == 40).then_some(s)
    })
    .expect("expiry");
    assert_eq!((expired.pending_on_disk, expired.sent), (0, 0));

    let rx = Receiver::start_at(addr);
    for id in 1_000..1_003 {
        shipper.log(event(id));
    }
    shipper.flush(DEADLINE).expect("flush");
    rx.settled(shipper.shutdown(DEADLINE).sent);
    assert_eq!(rx.ids(), vec![1_000, 1_001, 1_002]);
}

#[test]
fn memory_only_shutdown_with_agent_down_counts_lost_events() {
    let addr = test_support::free_addr();
    let shipper = builder(addr.port()).build().expect("build");
    for id in 0..20 {
        shipper.log(event(id));
    }
    let stats: Stats = shipper.shutdown(Duration::from_millis(50));
    assert_eq!((stats.accepted, stats.sent, stats.lost), (20, 0, 20));
}

#[test]
fn logging_after_shutdown_is_refused_and_counted() {
    let rx = Receiver::start();
    let shipper = builder(rx.port()).build().expect("build");
    let handle = shipper.handle();
    let _ = shipper.shutdown(DEADLINE);
    handle.log(event(1));
    assert_eq!(handle.stats().rejected, 1);
}

#[test]
fn log_json_checks_framing() {
    fn check(line: &str, expected: Result<(), &str>) {
        let rx = Receiver::start();
        let shipper = builder(rx.port()).build().expect("build");
        let got = shipper.log_json(line).map_err(|e| e.to_string());
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(String::as_str),
            expected,
            "input {line:?}"
        );
        shipper.flush(DEADLINE).expect("flush");
        rx.settled(shipper.shutdown(DEADLINE).sent);
        assert_eq!(rx.count(), usize::from(expected.is_ok()), "input {line:?}");
    }
    check(r#"{"id":1}"#, Ok(()));
    check("{\"id\":1}\r\n", Ok(()));
    check(
        "[1,2]",
        Err("invalid event: expected a JSON object (starting with `{`)"),
    );
    check(
        "{\"a\":1}\n{\"b\":2}",
        Err("invalid event: a json_lines event must not contain a newline"),
    );
}

#[test]
fn builder_rejects_bad_options() {
    fn check(b: &mut Builder, expected: &str) {
        let err = b.build().err().expect("an error").to_string();
        assert_eq!(err, expected);
    }
    check(
        builder(1).batch_size(0),
        "invalid shipper option `batch_size`: must be at least 1",
    );
    check(
        builder(1).reconnect_backoff(Duration::from_secs(2), Duration::from_secs(1)),
        "invalid shipper option `reconnect_backoff`: min must be above zero and not above max",
    );
    check(
        &mut Shipper::builder(Transport::tcp("", 5000)),
        "invalid shipper option `transport`: tcp needs a host and a non-zero port",
    );
}
