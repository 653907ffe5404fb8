//! Random KQL queries over generated events: the hits `sluice ui` reports (through the store)
//! equal a brute-force evaluation of the same query over the same events.

use http::Method;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::{call, env};

/// A query as generated: its KQL text and how to evaluate it.
enum Expr {
    Is(&'static str, String),
    Range(&'static str, f64),
    Exists(&'static str),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    fn kql(&self) -> String {
        match self {
            Expr::Is(f, v) => format!("{f}:{v}"),
            Expr::Range(f, x) => format!("{f} > {x}"),
            Expr::Exists(f) => format!("{f}:*"),
            Expr::And(a, b) => format!("({} and {})", a.kql(), b.kql()),
            Expr::Or(a, b) => format!("({} or {})", a.kql(), b.kql()),
            Expr::Not(a) => format!("not ({})", a.kql()),
        }
    }

    fn eval(&self, doc: &Value) -> bool {
        match self {
            // text fields match on their lowercased token (the values are single words)
            Expr::Is(f, v) => doc[*f].as_str().is_some_and(|s| s.eq_ignore_ascii_case(v)),
            Expr::Range(f, x) => doc[*f].as_f64().is_some_and(|d| d > *x),
            Expr::Exists(f) => !doc[*f].is_null(),
            Expr::And(a, b) => a.eval(doc) && b.eval(doc),
            Expr::Or(a, b) => a.eval(doc) || b.eval(doc),
            Expr::Not(a) => !a.eval(doc),
        }
    }
}

fn random_expr(rng: &mut ChaCha8Rng, events: &[Value], depth: u32) -> Expr {
    let pick = |rng: &mut ChaCha8Rng, field: &str| {
        let e = &events[rng.random_range(0..events.len())];
        e[field].as_str().unwrap_or("none").to_owned()
    };
    let leaf = depth == 0 || rng.random_bool(0.35);
    if leaf {
        return match rng.random_range(0..6) {
            0 | 1 => Expr::Is("level", pick(rng, "level")),
            2 => Expr::Is("user", pick(rng, "user")),
            3 => Expr::Is("action", pick(rng, "action")),
            4 => Expr::Range("duration", f64::from(rng.random_range(1..50_u32)) / 10.0),
            _ => Expr::Exists(if rng.random_bool(0.5) {
                "duration"
            } else {
                "missing_field"
            }),
        };
    }
    let a = Box::new(random_expr(rng, events, depth - 1));
    match rng.random_range(0..3) {
        0 => Expr::And(a, Box::new(random_expr(rng, events, depth - 1))),
        1 => Expr::Or(a, Box::new(random_expr(rng, events, depth - 1))),
        _ => Expr::Not(a),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kql_queries_match_brute_force() {
    let env = env(400, Vec::new()).await;
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut nonzero = 0;
    for _ in 0..120 {
        let expr = random_expr(&mut rng, &env.events, 3);
        let text = expr.kql();
        let want = env.events.iter().filter(|e| expr.eval(e)).count() as u64;
        let req = json!({"index": "python-logs-*", "query": {"query": text}});
        let (status, got) = call(env.ui, Method::POST, "/api/count", Some(req)).await;
        assert_eq!(status, 200, "{text}: {got}");
        assert_eq!(got["count"], want, "{text}");
        if want > 0 && want < 400 {
            nonzero += 1;
        }
    }
    // the generator must produce selective queries, or the comparison proves little
    assert!(nonzero > 40, "only {nonzero} selective queries");
}
