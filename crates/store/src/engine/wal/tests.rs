use super::*;

fn op(seq: u64) -> WalOp {
    WalOp::Index {
        seq_no: seq,
        version: 1,
        id: format!("id{seq}"),
        source: Bytes::from(format!("{{\"n\":{seq}}}")),
        auto_id: seq % 2 == 0,
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
    let file = generations(dir.path())
        .unwrap_or_default()
        .into_iter()
        .map(|g| gen_path(dir.path(), g))
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
    let file = generations(dir.path())
        .unwrap_or_default()
        .into_iter()
        .map(|g| gen_path(dir.path(), g))
        .find(|p| fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
        .unwrap_or_else(|| panic!("no file"));
    let mut data = fs::read(&file).unwrap_or_default();
    let last = data.len() - 1;
    data[last] ^= 0xff;
    fs::write(&file, &data).unwrap_or_else(|e| panic!("{e}"));
    let (_wal, replay) = Wal::open(dir.path(), true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay.ops, vec![op(0)]);
}
