use std::time::Duration;

use log_model::LogEvent;
use serde_json::json;

use super::*;

fn ev(n: u64) -> LogEvent {
    let serde_json::Value::Object(m) = json!({"n": n}) else {
        unreachable!()
    };
    LogEvent::from_map(m)
}

fn ns(b: &Batch) -> Vec<u64> {
    b.events
        .iter()
        .map(|e| e.as_map()["n"].as_u64().unwrap_or(u64::MAX))
        .collect()
}

const D: Duration = Duration::from_millis(5);

#[tokio::test]
async fn memory_queue_batches_in_order_and_drains_on_close() {
    let q = Queue::Memory(Arc::new(MemoryQueue::new(10)));
    q.push((0..7).map(ev).collect()).await.unwrap();
    let b = q.read_batch(5, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![0, 1, 2, 3, 4]);
    assert_eq!(q.stats().events_count, 7);
    q.ack(&b).unwrap();
    assert_eq!(q.stats().events_count, 2);
    q.close();
    let b = q.read_batch(5, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![5, 6]);
    assert!(q.read_batch(5, D).await.unwrap().is_none());
    assert!(matches!(
        q.push(vec![ev(9)]).await,
        Err(crate::Error::Closed)
    ));
}

#[tokio::test]
async fn memory_queue_push_waits_while_full() {
    let q = Queue::Memory(Arc::new(MemoryQueue::new(3)));
    q.push((0..3).map(ev).collect()).await.unwrap();
    let q2 = q.clone();
    let pusher = tokio::spawn(async move { q2.push(vec![ev(3), ev(4)]).await });
    // The push cannot complete before a reader makes room.
    tokio::task::yield_now().await;
    assert!(!pusher.is_finished());
    assert_eq!(q.stats().events_count, 3);
    let b = q.read_batch(2, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![0, 1]);
    pusher.await.unwrap().unwrap();
    let b = q.read_batch(10, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![2, 3, 4]);
}

fn pq(dir: &std::path::Path, page: u64, max: u64) -> Queue {
    let mut c = PersistedQueueConfig::new(dir);
    c.page_capacity = page;
    c.max_bytes = max;
    Queue::Persisted(PersistedQueue::open(c).unwrap())
}

#[tokio::test]
async fn persisted_queue_replays_unacked_events_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let q = pq(dir.path(), 200, 1 << 20);
        q.push((0..10).map(ev).collect()).await.unwrap();
        let b = q.read_batch(4, D).await.unwrap().unwrap();
        assert_eq!(ns(&b), vec![0, 1, 2, 3]);
        q.ack(&b).unwrap();
        let b = q.read_batch(3, D).await.unwrap().unwrap();
        assert_eq!(ns(&b), vec![4, 5, 6]);
        // not acknowledged: must come back
        q.close();
    }
    let q = pq(dir.path(), 200, 1 << 20);
    assert_eq!(q.stats().events_count, 6);
    let b = q.read_batch(100, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![4, 5, 6, 7, 8, 9]);
    q.ack(&b).unwrap();
    q.push(vec![ev(10)]).await.unwrap();
    let b = q.read_batch(100, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![10]);
    q.ack(&b).unwrap();
    assert_eq!(q.stats().events_count, 0);
    // fully acknowledged pages are deleted (only the current one stays)
    let pages = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("page-")
        })
        .count();
    assert_eq!(pages, 1);
}

#[tokio::test]
async fn persisted_queue_out_of_order_acks_keep_the_unacked_batch() {
    let dir = tempfile::tempdir().unwrap();
    {
        let q = pq(dir.path(), 1 << 20, 1 << 20);
        q.push((0..6).map(ev).collect()).await.unwrap();
        let a = q.read_batch(2, D).await.unwrap().unwrap();
        let b = q.read_batch(2, D).await.unwrap().unwrap();
        let c = q.read_batch(2, D).await.unwrap().unwrap();
        q.ack(&c).unwrap();
        q.ack(&a).unwrap();
        assert_eq!(ns(&b), vec![2, 3]);
    }
    let q = pq(dir.path(), 1 << 20, 1 << 20);
    let b = q.read_batch(100, D).await.unwrap().unwrap();
    // at least once: 2,3 were never acknowledged; 4,5 come back too (the checkpoint is a prefix)
    assert_eq!(ns(&b), vec![2, 3, 4, 5]);
}

#[tokio::test]
async fn persisted_queue_truncates_a_torn_tail_and_reports_corruption_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    {
        let q = pq(dir.path(), 1 << 20, 1 << 20);
        q.push((0..3).map(ev).collect()).await.unwrap();
    }
    let page = dir.path().join(format!("page-{:020}.log", 0));
    let mut bytes = std::fs::read(&page).unwrap();
    bytes.extend_from_slice(&[7, 0, 0, 0, 1, 2]); // a record header cut short by a crash
    std::fs::write(&page, &bytes).unwrap();
    {
        let q = pq(dir.path(), 1 << 20, 1 << 20);
        let b = q.read_batch(100, D).await.unwrap().unwrap();
        assert_eq!(ns(&b), vec![0, 1, 2]);
        q.push(vec![ev(3)]).await.unwrap();
        let b = q.read_batch(100, D).await.unwrap().unwrap();
        assert_eq!(ns(&b), vec![3]);
    }
    // flip a payload byte of the first record of a page that is not the last: corruption
    let mut bytes = std::fs::read(&page).unwrap();
    bytes[20] ^= 0xff;
    std::fs::write(&page, &bytes).unwrap();
    std::fs::write(dir.path().join(format!("page-{:020}.log", 4)), b"").unwrap();
    let err = PersistedQueue::open(PersistedQueueConfig::new(dir.path())).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("page-00000000000000000000.log")
            && msg.contains("checksum mismatch at byte 0"),
        "{msg}"
    );
}

/// A failed write or fsync fails every pusher of that batch and every later one; reopening
/// delivers exactly what was durable before (a prefix), the torn record cut.
#[tokio::test]
async fn persisted_queue_stops_at_the_first_write_error() {
    for fail_in_write in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        {
            let (opener, fail_write, fail_sync) = durable_log::faults::opener();
            let q = Queue::Persisted(
                PersistedQueue::open_with(PersistedQueueConfig::new(dir.path()), opener).unwrap(),
            );
            q.push((0..3).map(ev).collect()).await.unwrap();
            let switch = if fail_in_write {
                &fail_write
            } else {
                &fail_sync
            };
            switch.store(true, std::sync::atomic::Ordering::SeqCst);
            let err = q.push((3..6).map(ev).collect()).await.unwrap_err();
            assert!(
                err.to_string().contains("stopped after a failed write"),
                "{err}"
            );
            switch.store(false, std::sync::atomic::Ordering::SeqCst);
            // the device recovered, the queue did not: nothing more is acknowledged
            assert!(q.push(vec![ev(6)]).await.is_err());
            // readers see the error too instead of waiting forever
            assert!(q.read_batch(100, D).await.is_err());
        }
        let q = pq(dir.path(), 1 << 20, 1 << 20);
        let b = q.read_batch(100, D).await.unwrap().unwrap();
        let got = ns(&b);
        assert!(
            got.len() >= 3 && [0, 1, 2, 3, 4, 5].starts_with(&got),
            "fail_in_write={fail_in_write}: {got:?}"
        );
        if fail_in_write {
            // half the failed batch reached the disk: whole records of it may come back
            // ("may or may not be applied"), its torn record never does
            assert!(got.len() < 6, "the torn record is cut: {got:?}");
        }
    }
}

/// Pages written by the format before the shared log are delivered after an upgrade, from the
/// checkpoint on, and then removed.
#[tokio::test]
async fn persisted_queue_migrates_pages_of_the_earlier_format() {
    fn legacy_record(out: &mut Vec<u8>, seq: u64, event: &[u8]) {
        let mut h = crc32fast::Hasher::new();
        h.update(&seq.to_le_bytes());
        h.update(event);
        out.extend_from_slice(&u32::try_from(event.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&h.finalize().to_le_bytes());
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(event);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut first = Vec::new();
    for n in 0..3 {
        legacy_record(&mut first, n, format!("{{\"n\":{n}}}").as_bytes());
    }
    let mut second = Vec::new();
    for n in 3..5 {
        legacy_record(&mut second, n, format!("{{\"n\":{n}}}").as_bytes());
    }
    second.extend_from_slice(&[9, 0, 0]); // torn tail of the newest page
    std::fs::write(dir.path().join("page.0"), &first).unwrap();
    std::fs::write(dir.path().join("page.3"), &second).unwrap();
    std::fs::write(dir.path().join("checkpoint"), br#"{"acked_seq":1}"#).unwrap();
    let q = pq(dir.path(), 1 << 20, 1 << 20);
    let b = q.read_batch(100, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![1, 2, 3, 4]);
    q.ack(&b).unwrap();
    q.push(vec![ev(5)]).await.unwrap();
    let b = q.read_batch(100, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![5]);
    assert!(!dir.path().join("page.0").exists() && !dir.path().join("page.3").exists());
}

/// A checkpoint a crash left unreadable means delivering again from the oldest page, never a
/// queue that cannot open.
#[tokio::test]
async fn persisted_queue_opens_with_an_unreadable_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let q = pq(dir.path(), 1 << 20, 1 << 20);
        q.push((0..4).map(ev).collect()).await.unwrap();
        let b = q.read_batch(2, D).await.unwrap().unwrap();
        q.ack(&b).unwrap();
    }
    std::fs::write(dir.path().join("checkpoint"), b"").unwrap();
    let q = pq(dir.path(), 1 << 20, 1 << 20);
    let b = q.read_batch(100, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![0, 1, 2, 3], "at least once");
}

#[tokio::test]
async fn persisted_queue_rotates_pages_and_bounds_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // pages of ~1 record; at most ~3 records of unacknowledged bytes
    let q = pq(dir.path(), 10, 3 * 26);
    q.push(vec![ev(0)]).await.unwrap();
    q.push(vec![ev(1)]).await.unwrap();
    q.push(vec![ev(2)]).await.unwrap();
    let q2 = q.clone();
    let pusher = tokio::spawn(async move { q2.push(vec![ev(3)]).await });
    tokio::task::yield_now().await;
    let b = q.read_batch(2, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![0, 1]);
    assert!(
        !pusher.is_finished(),
        "push must wait while max_bytes is exceeded"
    );
    q.ack(&b).unwrap();
    pusher.await.unwrap().unwrap();
    let b = q.read_batch(10, D).await.unwrap().unwrap();
    assert_eq!(ns(&b), vec![2, 3]);
    q.ack(&b).unwrap();
    assert_eq!(q.stats().events_count, 0);
}

fn line(n: u64) -> ndjson_codec::Frame {
    let raw = if n == 3 {
        bytes::Bytes::from_static(b"not json")
    } else {
        bytes::Bytes::from(format!("{{\"n\":{n}}}"))
    };
    ndjson_codec::Frame::Unvalidated {
        raw,
        offset: 0,
        line: n,
    }
}

/// Lines pushed undecoded come out of the memory queue decoded, in order, split across batches
/// as the queue's bound requires, with the input's additions and failure counts.
#[tokio::test]
async fn memory_queue_decodes_lines_in_the_reader() {
    let stats = crate::monitor::stats::PluginStats::new("tcp_1", "tcp");
    let mut common = crate::input::CommonInput::new("tcp_1", crate::codec::InputCodec::JsonLines);
    common.tags = vec!["t".into()];
    let decoder = Arc::new(crate::input::LineDecoder::new(
        common,
        stats.clone(),
        |ev: &mut LogEvent| {
            ev.insert_field("added", json!(true));
        },
    ));
    let received = log_model::Timestamp::parse("2026-11-25T01:02:03.004Z").unwrap();
    let q = Queue::Memory(Arc::new(MemoryQueue::new(4)));
    let lines = Lines {
        frames: (0..7).map(line).collect(),
        received,
        decoder,
    };
    let q2 = q.clone();
    let pusher = tokio::spawn(async move { q2.push_lines(lines).await });
    let mut seen = Vec::new();
    while seen.len() < 7 {
        let b = q.read_batch(3, D).await.unwrap().unwrap();
        assert!(b.events.len() <= 3);
        for ev in &b.events {
            assert_eq!(ev.field("added"), Some(&json!(true)));
            assert_eq!(ev.tags().last(), Some(&"t"));
            assert_eq!(ev.field_str("@timestamp"), Some("2026-11-25T01:02:03.004Z"));
            seen.push(
                ev.field("n")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(u64::MAX),
            );
        }
        q.ack(&b).unwrap();
    }
    pusher.await.unwrap().unwrap();
    assert_eq!(seen, vec![0, 1, 2, u64::MAX, 4, 5, 6]);
    assert_eq!(
        stats.failures.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the line that is not JSON"
    );
    assert_eq!(q.stats().events_count, 0);
}
