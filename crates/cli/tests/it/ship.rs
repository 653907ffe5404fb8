//! `sluice ship` into a tcp json_lines receiver, as an agent would receive it.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::process::Command;

#[test]
fn ship_backfills_in_the_python_logstash_async_layout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let receiver = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        BufReader::new(conn)
            .lines()
            .map(Result::unwrap)
            .collect::<Vec<String>>()
    });
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["ship", "--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--count", "300", "--profile", "realistic", "--since", "2h"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("queued 300, sent 300, pending on disk 0")
    );
    let lines = receiver.join().unwrap();
    assert_eq!(lines.len(), 300);
    let now = log_model::Timestamp::now().epoch_millis();
    let mut times = Vec::new();
    for l in &lines {
        let ev = log_model::LogEvent::from_json_slice(l.as_bytes()).unwrap();
        let m = ev.as_map();
        assert_eq!(m["@version"], "1", "{l}");
        assert_eq!(m["type"], "python-logstash", "{l}");
        assert!(
            ev.user().is_some()
                && ev.action().is_some()
                && ev.duration().is_some()
                && ev.level().is_some()
        );
        times.push(ev.timestamp().unwrap().epoch_millis());
    }
    // Back-filled over the last two hours, in order.
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        times[0] >= now - 2 * 3_600_000 - 60_000 && times[0] < now - 3_600_000,
        "{}",
        times[0]
    );
    assert!(*times.last().unwrap() <= now + 60_000);
}

/// `--ingest-ids`: every line carries its own `[@metadata][ingest_id]`; without it, none.
#[test]
fn ship_ingest_ids() {
    fn ship(extra: &[&str]) -> Vec<serde_json::Value> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let receiver = std::thread::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            BufReader::new(conn)
                .lines()
                .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
                .collect::<Vec<serde_json::Value>>()
        });
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["ship", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--count", "50"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        receiver.join().unwrap()
    }
    let with = ship(&["--ingest-ids"]);
    let ids: std::collections::BTreeSet<&str> = with
        .iter()
        .filter_map(|e| e["@metadata"]["ingest_id"].as_str())
        .collect();
    assert_eq!((with.len(), ids.len()), (50, 50), "one id per event");
    assert!(ship(&[]).iter().all(|e| e.get("@metadata").is_none()));
}
