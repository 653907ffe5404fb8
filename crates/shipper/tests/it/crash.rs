//! `kill -9` in the middle of delivery, then a restart on the same database.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use test_support::KillOnDrop;

use crate::receiver::Receiver;

const PROBE: &str = env!("CARGO_BIN_EXE_shipper-probe");
const COUNT: u64 = 20_000;
const BATCH: u64 = 100;

fn probe(port: u16, db: &std::path::Path, count: u64) -> Command {
    let mut c = Command::new(PROBE);
    c.args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--database")
        .arg(db)
        .args(["--count", &count.to_string(), "--batch", &BATCH.to_string()])
        // 1 KiB events: the socket buffers cannot hold what is left when the receiver
        // stops reading, so the kill lands in the middle of delivery.
        .args(["--pad", "1000"])
        .args(["--ingest-ids", "true"])
        .stdout(Stdio::piped());
    c
}

/// The child logs 20,000 events, commits them to its queue, starts sending; the receiver
/// stops reading after 2,000 and the child is killed with SIGKILL. A second run on the same
/// database delivers the rest: every id arrives, and an id arrives twice only within the
/// one batch that was being written at the kill (the documented TCP caveat), and then with
/// the ingest id it had the first time (what lets the agent overwrite instead of duplicate).
#[test]
fn killed_mid_delivery_then_restarted_delivers_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");
    let rx = Receiver::start();
    rx.pause_at(2_000);

    let mut child = KillOnDrop(
        probe(rx.port(), &db, COUNT)
            .spawn()
            .expect("spawn the probe"),
    );
    let mut out = BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read the probe's stdout");
    assert_eq!(
        line.trim(),
        "persisted",
        "the probe commits all events first"
    );
    rx.wait_count(2_000, Duration::from_secs(30));
    child.0.kill().expect("kill -9");
    let status = child.0.wait().expect("wait");
    assert!(
        !status.success(),
        "the probe was killed, not finished: {status}"
    );
    rx.resume();
    // Whatever the kernel had buffered still arrives; a line cut by the kill does not count.
    test_support::wait_for(
        "the killed run's connection to close",
        Duration::from_secs(10),
        || (rx.open_connections() == 0).then_some(()),
    )
    .expect("drain");
    let first_run = rx.count();
    assert!(
        (first_run as u64) < COUNT,
        "the kill must land mid-way ({first_run} delivered)"
    );

    let mut second = KillOnDrop(probe(rx.port(), &db, 0).spawn().expect("restart the probe"));
    let status = second.0.wait().expect("wait");
    assert!(
        status.success(),
        "the second run delivers and exits: {status}"
    );
    test_support::wait_for(
        "the second run's connection to close",
        Duration::from_secs(10),
        || (rx.open_connections() == 0).then_some(()),
    )
    .expect("drain");

    let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
    for id in rx.ids() {
        *seen.entry(id).or_default() += 1;
    }
    let missing: Vec<u64> = (0..COUNT).filter(|id| !seen.contains_key(id)).collect();
    assert!(
        missing.is_empty(),
        "{} ids never arrived, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(seen.len() as u64, COUNT, "no unknown ids");
    let mut ingest_ids: BTreeMap<u64, std::collections::BTreeSet<String>> = BTreeMap::new();
    for e in rx.events() {
        let ingest_id = e["@metadata"]["ingest_id"].as_str().expect("an ingest id");
        ingest_ids
            .entry(e["id"].as_u64().expect("id"))
            .or_default()
            .insert(ingest_id.to_owned());
    }
    assert!(
        ingest_ids.values().all(|s| s.len() == 1),
        "an event sent twice carries the same ingest id"
    );
    let distinct: std::collections::BTreeSet<&String> = ingest_ids.values().flatten().collect();
    assert_eq!(distinct.len() as u64, COUNT, "one ingest id per event");
    let dups: u64 = seen.values().map(|n| n - 1).sum();
    assert!(
        dups <= BATCH,
        "{dups} duplicates: more than the one in-flight batch"
    );
    assert!(rx.count() > first_run, "the second run delivered the rest");
    assert_eq!(rx.bad_lines(), 0);
}
