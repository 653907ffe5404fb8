use std::fs::OpenOptions;
use std::sync::Arc;

use super::*;

fn op(seq: u64) -> WalOp {
    WalOp::Index {
        seq_no: seq,
        version: 1,
        id: format!("id{seq}"),
        source: Bytes::from(format!("{{\"n\":{seq}}}")),
        auto_id: seq.is_multiple_of(2),
        // every third record has a custom routing (kinds 4 and 5)
        routing: seq.is_multiple_of(3).then(|| format!("r{seq}")),
    }
}

#[test]
fn records_round_trip_across_generations() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let (wal, replay) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
        assert!(replay.ops.is_empty());
        let p = wal.append(&op(0));
        wal.sync(p).unwrap_or_else(|e| panic!("{e}"));
        wal.roll().unwrap_or_else(|e| panic!("{e}"));
        let p = wal.append(&WalOp::Delete {
            seq_no: 1,
            version: 2,
            id: "id0".into(),
        });
        wal.sync(p).unwrap_or_else(|e| panic!("{e}"));
    }
    let (_wal, replay) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        replay.ops,
        vec![
            op(0),
            WalOp::Delete {
                seq_no: 1,
                version: 2,
                id: "id0".into()
            }
        ]
    );
    assert_eq!(replay.truncated_bytes, 0);
}

#[test]
fn torn_tail_is_truncated_not_fatal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let (wal, _) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
        let mut p = 0;
        for s in 0..3 {
            p = wal.append(&op(s));
        }
        wal.sync(p).unwrap_or_else(|e| panic!("{e}"));
    }
    // cut the last record in half, as a crash mid-write would
    let segments = Segments::new(dir.path(), "translog-", ".tlog");
    let file = segments
        .list()
        .unwrap_or_default()
        .into_iter()
        .map(|g| segments.path(g))
        .find(|p| fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false));
    let file = file.unwrap_or_else(|| panic!("no translog file"));
    let len = fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_len(len - 5))
        .unwrap_or_else(|e| panic!("{e}"));
    let (_wal, replay) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay.ops, vec![op(0), op(1)]);
    assert!(replay.truncated_bytes > 0);
    // the file was cut back to the last good record
    let (_wal, again) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.ops, vec![op(0), op(1)]);
    assert_eq!(again.truncated_bytes, 0);
}

#[test]
fn corrupt_checksum_stops_replay_at_that_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let (wal, _) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
        let p = wal.append(&op(0));
        let p2 = wal.append(&op(1));
        wal.sync(p.max(p2)).unwrap_or_else(|e| panic!("{e}"));
    }
    let segments = Segments::new(dir.path(), "translog-", ".tlog");
    let file = segments
        .list()
        .unwrap_or_default()
        .into_iter()
        .map(|g| segments.path(g))
        .find(|p| fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
        .unwrap_or_else(|| panic!("no file"));
    let mut data = fs::read(&file).unwrap_or_default();
    let last = data.len() - 1;
    data[last] ^= 0xff;
    fs::write(&file, &data).unwrap_or_else(|e| panic!("{e}"));
    let (_wal, replay) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay.ops, vec![op(0)]);
}

type Switch = Arc<std::sync::atomic::AtomicBool>;

fn faulty_wal(dir: &Path) -> (Wal, Switch, Switch) {
    let (opener, fail_write, fail_sync) = durable_log::faults::opener();
    let (wal, _) = Wal::open_with(dir, true, opener).unwrap_or_else(|e| panic!("{e}"));
    (wal, fail_write, fail_sync)
}

/// Every writer whose record was in a failed batch gets the error, and so does every later
/// writer: nothing is acknowledged after the first failure. What was durable before stays so.
#[test]
fn a_failed_batch_fails_every_waiter_and_stops_the_log() {
    for fail_in_write in [true, false] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        {
            let (wal, fail_write, fail_sync) = faulty_wal(dir.path());
            let durable = wal.append(&op(0));
            wal.sync(durable).unwrap_or_else(|e| panic!("{e}"));
            // two writers' records in one pending batch
            let first = wal.append(&op(1));
            let second = wal.append(&op(2));
            let switch = if fail_in_write {
                &fail_write
            } else {
                &fail_sync
            };
            switch.store(true, std::sync::atomic::Ordering::SeqCst);
            let e1 = wal.sync(first).expect_err("the batch failed");
            switch.store(false, std::sync::atomic::Ordering::SeqCst);
            // the second writer syncs after the device recovered: still not acknowledged
            let e2 = wal
                .sync(second)
                .expect_err("its record was in the failed batch");
            assert!(e1.reason().contains("translog stopped"), "{}", e1.reason());
            assert_eq!(e1.reason(), e2.reason());
            assert!(wal.is_stopped());
            let later = wal.append(&op(3));
            assert!(
                wal.sync(later).is_err(),
                "a stopped log acknowledges nothing"
            );
            assert!(wal.roll().is_err());
            // what was durable before the failure is still acknowledged
            assert!(wal.sync(durable).is_ok());
        }
        let (_wal, replay) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(replay.ops[0], op(0), "fail_in_write={fail_in_write}");
        // the failed batch may be partly on disk ("may or may not be applied"), never more
        let all = [op(0), op(1), op(2)];
        assert!(all.starts_with(&replay.ops), "{:?}", replay.ops);
        if fail_in_write {
            assert!(replay.ops.len() < 3);
            assert!(replay.truncated_bytes > 0, "the torn half record is cut");
        }
    }
}
