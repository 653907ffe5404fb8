//! A real full disk: the data directory on a small tmpfs. Writes are refused fast with ES's
//! flood-stage block (not left hanging), reads still work, nothing acknowledged is lost, and
//! writes resume once space returns. Needs root (to mount); CI runs as root.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::http::{ServerConfig, spawn};

use crate::client::{get, send};

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount_tmpfs(dir: &Path, size: &str) -> Option<Mount> {
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| Mount(dir.to_owned()))
}

#[test]
#[allow(clippy::print_stderr)] // the notice when it cannot run
fn a_full_disk_blocks_writes_fast_and_recovers() {
    let outer = tempfile::tempdir().expect("tempdir");
    let Some(_mount) = mount_tmpfs(outer.path(), "48m") else {
        eprintln!(
            "NOTICE: disk::a_full_disk_blocks_writes_fast_and_recovers needs root to mount a tmpfs; \
             not run here (CI runs it as root)"
        );
        return;
    };
    // most of the space taken by a file we can delete later
    let filler = outer.path().join("filler");
    std::fs::write(&filler, vec![7u8; 36 << 20]).expect("filler");
    let data = outer.path().join("data");
    let mut config = ServerConfig::new(&data);
    config.store.disk_check_interval = Duration::ZERO;
    config.store.writer_memory_bytes = 15 << 20;
    config.store.writer_threads = 1;
    let server = spawn(config).expect("store on tmpfs");
    let addr = server.addr();
    let nd: &[(&str, &str)] = &[("Content-Type", "application/x-ndjson")];
    // the padding fills the translog and the doc store, not the term dictionary: as text, the
    // standard analyzer would index each 400-letter word as two unique terms, and a segment
    // flush larger than the space left past the flood stage fails with the disk full
    let r = send(
        addr,
        "PUT",
        "/full",
        &[("Content-Type", "application/json")],
        br#"{"mappings":{"properties":{"pad":{"type":"keyword","index":false,"doc_values":false}}}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut acked = 0u64;
    let mut blocked = None;
    // padding that does not compress (tantivy's doc store and the translog would shrink "xxxx")
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = |n: usize| -> String {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'a' + (seed % 26) as u8)
            })
            .collect()
    };
    for batch in 0..2000 {
        let mut body = String::new();
        for i in 0..200 {
            body.push_str(&format!("{{\"index\":{{\"_id\":\"{batch}-{i}\"}}}}\n"));
            body.push_str(&json!({"n": i, "pad": noise(400)}).to_string());
            body.push('\n');
        }
        let started = Instant::now();
        let r = send(addr, "POST", "/full/_bulk", nd, body.as_bytes());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "a write hung for {:?}",
            started.elapsed()
        );
        if r.status == 429 {
            blocked = Some(r.json());
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        for item in v["items"].as_array().expect("items") {
            match item["index"]["status"].as_u64() {
                Some(200 | 201) => acked += 1,
                Some(429) => blocked = Some(item["index"].clone()),
                other => panic!("unexpected item status {other:?}: {item}"),
            }
        }
        if blocked.is_some() {
            break;
        }
    }
    let blocked = blocked.expect("the flood-stage watermark was reached");
    assert!(
        blocked.to_string().contains("cluster_block_exception"),
        "{blocked}"
    );
    assert!(acked > 0);
    // a single write is refused at once, with ES's words; reads still work
    let r = send(
        addr,
        "PUT",
        "/full/_doc/late",
        &[("Content-Type", "application/json")],
        b"{\"n\":1}",
    );
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(
        r.text()
            .contains("disk usage exceeded flood-stage watermark"),
        "{}",
        r.text()
    );
    assert_eq!(get(addr, "/full/_doc/0-0").status, 200);
    // every acknowledged document is there (a refresh commits and trims the translog, which
    // may bring the usage back under the high watermark by itself)
    assert_eq!(send(addr, "POST", "/full/_refresh", &[], b"").status, 200);
    assert_eq!(get(addr, "/full/_count").json()["count"], acked);
    // space returns: writes resume
    std::fs::remove_file(&filler).expect("free space");
    let r = send(
        addr,
        "PUT",
        "/full/_doc/late?refresh=true",
        &[("Content-Type", "application/json")],
        b"{\"n\":1}",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(get(addr, "/full/_count").json()["count"], acked + 1);
    server.shutdown().expect("clean shutdown");
    // and the store opens again with everything
    let again = spawn(ServerConfig::new(&data)).expect("reopen");
    let count: Value = get(again.addr(), "/full/_count").json();
    assert_eq!(count["count"], acked + 1);
    again.shutdown().expect("shutdown");
}
