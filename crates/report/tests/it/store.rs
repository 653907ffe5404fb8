//! Report numbers against a brute-force computation over the same events, through a real
//! sluice-store over HTTP with es-client (the path `sluice report` takes).

use std::collections::BTreeMap;

use rand::{Rng as _, SeedableRng as _};
use serde_json::json;

const USERS: usize = 12; // more than the terms size (10), so "other" is exercised
const ACTIONS: [&str; 5] = ["login", "search", "purchase", "logout", "view"];
const LEVELS: [&str; 3] = ["INFO", "WARNING", "ERROR"];

struct Ev {
    ts_ms: i64,
    user: String,
    action: &'static str,
    level: &'static str,
    duration: f64,
}

fn events(n: usize) -> Vec<Ev> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let start = 1_764_000_000_000_i64;
    (0..n)
        .map(|_| Ev {
            ts_ms: start + rng.random_range(0..6 * 3_600_000),
            // Skewed, so the top 10 is well defined.
            user: format!(
                "user{}",
                (rng.random_range(0.0_f64..1.0).powi(2) * USERS as f64) as usize + 1
            ),
            action: ACTIONS[rng.random_range(0..ACTIONS.len())],
            level: LEVELS[rng.random_range(0..LEVELS.len())],
            duration: rng.random_range(0.1..5.0),
        })
        .collect()
}

#[test]
fn report_numbers_equal_brute_force() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        store::http::spawn(store::http::ServerConfig::new(dir.path()).disk_threshold(false))
            .unwrap();
    let evs = events(3_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = es_client::Client::new(es_client::ClientConfig::new(server.url())).unwrap();
    let report = rt.block_on(async {
        client.create_index("python-logs", &log_model::mapping::seed()).await.unwrap();
        let mut body = Vec::new();
        for e in &evs {
            body.extend_from_slice(b"{\"index\":{}}\n");
            let doc = json!({
                "timestamp": log_model::Timestamp::from_epoch_millis(e.ts_ms).unwrap().to_es_string(),
                "level": e.level, "message": "m", "user": e.user, "action": e.action,
                "duration": e.duration, "source": "python-script"
            });
            body.extend_from_slice(doc.to_string().as_bytes());
            body.push(b'\n');
        }
        let req = es_client::Request::new(http::Method::POST, "/python-logs/_bulk?refresh=true")
            .body(body.into(), es_client::ContentType::Ndjson);
        let resp = client.send(req).await.unwrap();
        assert_eq!(resp.json::<serde_json::Value>().unwrap()["errors"], false);
        report::fetch(&client, "python-logs", None).await.unwrap()
    });

    // Brute force.
    assert_eq!(report.total, evs.len() as u64);
    let mut per_user: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &evs {
        *per_user.entry(&e.user).or_default() += 1;
    }
    let mut ranked: Vec<(&str, u64)> = per_user.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<(String, u64)> = ranked
        .iter()
        .take(10)
        .map(|(u, n)| ((*u).to_owned(), *n))
        .collect();
    let got: Vec<(String, u64)> = report
        .actions_per_user
        .iter()
        .map(|s| (s.user.clone(), s.count))
        .collect();
    assert_eq!(got, top);
    assert_eq!(
        report.other_users,
        ranked.iter().skip(10).map(|(_, n)| n).sum::<u64>()
    );

    let min = evs.iter().map(|e| e.ts_ms).min().unwrap();
    let max = evs.iter().map(|e| e.ts_ms).max().unwrap();
    let (_, step) = report::auto_interval(max - min);
    assert_eq!(report.interval_ms, step);
    let mut buckets: BTreeMap<i64, BTreeMap<&str, u64>> = BTreeMap::new();
    let floor = |t: i64| t.div_euclid(step) * step;
    let mut b = floor(min);
    while b <= floor(max) {
        buckets.insert(b, BTreeMap::new());
        b += step;
    }
    for e in &evs {
        *buckets
            .get_mut(&floor(e.ts_ms))
            .unwrap()
            .entry(e.level)
            .or_default() += 1;
    }
    assert_eq!(report.levels_over_time.len(), buckets.len());
    for (got, (start, levels)) in report.levels_over_time.iter().zip(&buckets) {
        assert_eq!(got.start_ms, *start);
        assert_eq!(got.count, levels.values().sum::<u64>());
        let got_levels: BTreeMap<&str, u64> =
            got.by_level.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(&got_levels, levels, "bucket {start}");
    }

    for a in &report.duration_per_action {
        let ds: Vec<f64> = evs
            .iter()
            .filter(|e| e.action == a.action)
            // `duration` is mapped `float`: values are kept at single precision, as in ES.
            .map(|e| f64::from(e.duration as f32))
            .collect();
        assert_eq!(a.count, ds.len() as u64, "{}", a.action);
        let want = ds.iter().sum::<f64>() / ds.len() as f64;
        let got = a.avg_seconds.unwrap();
        assert!(
            (got - want).abs() < 1e-6 * want,
            "{}: {got} vs {want}",
            a.action
        );
    }
    assert_eq!(report.duration_per_action.len(), ACTIONS.len());
    server.shutdown().unwrap();
}
