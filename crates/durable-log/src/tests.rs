use std::fs::OpenOptions;
use std::io;
use std::sync::atomic::Ordering;

use proptest::prelude::*;

use super::*;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn ok<T>(r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn records(segments: &Segments, n: u64, cut_tail: bool) -> (Vec<Vec<u8>>, Scan) {
    let mut out = Vec::new();
    let scan = ok(segments.scan(n, cut_tail, |r| {
        out.push(r);
        Ok(())
    }));
    (out, scan)
}

#[test]
fn records_round_trip_across_segments() {
    let dir = tmp();
    let segs = Segments::new(dir.path(), "seg-", ".log");
    let log = ok(Appender::create(
        "test log",
        &segs.path(1),
        true,
        real_opener(),
    ));
    let a = log.append(|b| frame::encode(b, b"one"));
    let b = log.append(|b| frame::encode(b, b""));
    ok(log.sync(a));
    ok(log.sync(b)); // already durable with a's batch
    ok(log.roll(&segs.path(7)));
    let c = log.append(|b| frame::encode_with(b, |b| b.extend_from_slice(b"three")));
    ok(log.sync(c));
    assert_eq!(log.segment_bytes(), (frame::HEADER + 5) as u64);
    assert_eq!(ok(segs.list()), vec![1, 7]);
    assert_eq!(records(&segs, 1, false).0, vec![b"one".to_vec(), vec![]]);
    assert_eq!(records(&segs, 7, true).0, vec![b"three".to_vec()]);
    ok(segs.remove(1));
    ok(segs.remove(1)); // removing a missing segment is fine
    assert_eq!(ok(segs.list()), vec![7]);
}

#[test]
fn a_torn_tail_is_cut_in_the_newest_segment_and_corruption_elsewhere_is_an_error() {
    let dir = tmp();
    let segs = Segments::new(dir.path(), "seg-", ".log");
    let log = ok(Appender::create(
        "test log",
        &segs.path(1),
        true,
        real_opener(),
    ));
    let mut pos = 0;
    for r in [&b"aaaa"[..], b"bbbb", b"cccc"] {
        pos = log.append(|b| frame::encode(b, r));
    }
    ok(log.sync(pos));
    drop(log);
    let path = segs.path(1);
    let len = ok(std::fs::metadata(&path).map_err(|e| Error::io(&path, e))).len();
    ok(OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(len - 3))
        .map_err(|e| Error::io(&path, e)));
    let err = segs
        .scan(1, false, |_| Ok(()))
        .expect_err("a bad record outside the tail is corruption");
    assert!(matches!(err, Error::Corrupt { offset: 24, .. }), "{err}");
    let (got, scan) = records(&segs, 1, true);
    assert_eq!(got, vec![b"aaaa".to_vec(), b"bbbb".to_vec()]);
    assert_eq!((scan.records, scan.bytes, scan.cut), (2, 24, 9));
    // cut for good: a second scan finds a whole segment
    let (_, again) = records(&segs, 1, true);
    assert_eq!(again.cut, 0);
}

#[test]
fn a_record_the_reader_refuses_ends_the_scan_like_a_torn_one() {
    let dir = tmp();
    let segs = Segments::new(dir.path(), "seg-", ".log");
    let log = ok(Appender::create(
        "test log",
        &segs.path(3),
        true,
        real_opener(),
    ));
    let pos = log.append(|b| {
        frame::encode(b, b"good");
        frame::encode(b, b"undecodable");
    });
    ok(log.sync(pos));
    let mut seen = Vec::new();
    let scan = ok(segs.scan(3, true, |r| {
        if r == b"undecodable" {
            return Err("undecodable record".into());
        }
        seen.push(r);
        Ok(())
    }));
    assert_eq!(seen, vec![b"good".to_vec()]);
    assert_eq!(scan.cut, (frame::HEADER + 11) as u64);
}

/// Every writer whose record was in a failed batch gets the error, and so does every later
/// writer: nothing is acknowledged after the first failure. What was durable before stays so.
#[test]
fn a_failed_batch_fails_every_waiter_and_stops_the_log() {
    for fail_in_write in [true, false] {
        let dir = tmp();
        let segs = Segments::new(dir.path(), "seg-", ".log");
        let (opener, fail_write, fail_sync) = faults::opener();
        let log = ok(Appender::create("test log", &segs.path(1), true, opener));
        let durable = log.append(|b| frame::encode(b, b"zero"));
        ok(log.sync(durable));
        // two writers' records in one pending batch
        let first = log.append(|b| frame::encode(b, b"one"));
        let second = log.append(|b| frame::encode(b, b"two"));
        let switch = if fail_in_write {
            &fail_write
        } else {
            &fail_sync
        };
        switch.store(true, Ordering::SeqCst);
        let e1 = log.sync(first).expect_err("the batch failed");
        switch.store(false, Ordering::SeqCst);
        // the second writer syncs after the device recovered: still not acknowledged
        let e2 = log
            .sync(second)
            .expect_err("its record was in the failed batch");
        assert!(e1.is_stopped());
        assert!(e1.to_string().contains("test log stopped"), "{e1}");
        assert_eq!(e1.to_string(), e2.to_string());
        if fail_in_write {
            assert_eq!(e1.kind(), io::ErrorKind::StorageFull);
        }
        assert!(log.is_stopped());
        let later = log.append(|b| frame::encode(b, b"three"));
        assert!(
            log.sync(later).is_err(),
            "a stopped log acknowledges nothing"
        );
        assert!(log.flush().is_err());
        assert!(log.roll(&segs.path(2)).is_err());
        // what was durable before the failure is still acknowledged
        assert!(log.sync(durable).is_ok());
        drop(log);
        // on reopen, exactly a prefix of what was appended, the torn half record cut
        let (got, scan) = records(&segs, 1, true);
        assert_eq!(got[0], b"zero");
        let all = [b"zero".to_vec(), b"one".to_vec(), b"two".to_vec()];
        assert!(all.starts_with(&got), "{got:?}");
        if fail_in_write {
            assert!(got.len() < 3);
            assert!(scan.cut > 0, "the torn half record is cut");
        }
    }
}

#[test]
fn write_atomic_replaces_the_whole_file() {
    let dir = tmp();
    let path = dir.path().join("checkpoint");
    ok(write_atomic(&path, b"{\"a\":1}"));
    ok(write_atomic(&path, b"{\"a\":22}"));
    assert_eq!(std::fs::read(&path).unwrap_or_default(), b"{\"a\":22}");
    assert!(!dir.path().join("checkpoint.tmp").exists());
}

proptest! {
    /// Whatever records are framed, a cut at any byte reads back exactly the records wholly
    /// before the cut, and a flipped byte never yields a record that was not written.
    #[test]
    fn frames_read_back_a_prefix_after_any_cut_or_flip(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        for p in &payloads {
            frame::encode(&mut buf, p);
            ends.push(buf.len());
        }
        let walk = |data: &[u8]| {
            let mut frames = frame::Frames::new(data);
            let mut got = Vec::new();
            let mut stream = data;
            while let Ok(Some(r)) = frames.next_record() {
                let streamed = frame::read(&mut stream);
                prop_assert_eq!(streamed, Ok(Some(r.to_vec())));
                got.push(r.to_vec());
            }
            Ok(got)
        };
        prop_assert_eq!(walk(&buf)?, payloads.clone());
        let at = if buf.is_empty() { 0 } else { cut.index(buf.len() + 1) };
        let whole = ends.iter().filter(|&&e| e <= at).count();
        prop_assert_eq!(walk(&buf[..at])?, payloads[..whole].to_vec());
        if !buf.is_empty() {
            let i = flip.index(buf.len());
            let mut bad = buf.clone();
            bad[i] ^= 0x5a;
            let got = walk(&bad)?;
            prop_assert!(payloads.starts_with(&got), "{:?}", got);
        }
    }
}
