//! The process behind `cargo xtask bench client`.
//!
//! ```text
//! bench_bulk sink --listen 127.0.0.1:0            # a null _bulk sink; prints "listening ADDR"
//! bench_bulk client --es URL --docs N [--index I] [--batch B] [--concurrency C] [--compress]
//!                                                 # prints one JSON line of figures
//! ```
//! The sink answers every `_bulk` with ES 8's success shape, one item per action, and spends no
//! effort on storage: it measures the client. The client mode feeds `--docs` seed-shaped
//! documents (a pool, cycled, built before the clock starts) through the [`BulkIndexer`] and
//! reports wall time and its own CPU time (`/proc/self/stat`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use es_client::{BulkConfig, BulkDoc, BulkIndexer, Client, ClientConfig};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let result = match args.first().map(String::as_str) {
        Some("sink") => rt.block_on(sink(&args[1..])),
        Some("client") => rt.block_on(client(&args[1..])),
        _ => Err("usage: bench_bulk sink|client [options]".into()),
    };
    if let Err(e) = result {
        eprintln!("bench_bulk: error: {e}");
        std::process::exit(1);
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn num(args: &[String], name: &str, default: u64) -> Res<u64> {
    match opt(args, name) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: `{v}` is not a number").into()),
        None => Ok(default),
    }
}

async fn sink(args: &[String]) -> Res<()> {
    let listen = opt(args, "--listen").unwrap_or("127.0.0.1:0");
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening {}", listener.local_addr()?);
    loop {
        let (sock, _) = listener.accept().await?;
        sock.set_nodelay(true)?;
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(answer);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(sock), svc)
                .await;
        });
    }
}

async fn answer(req: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let text = if path.ends_with("/_bulk") {
        bulk_answer(&body)
    } else if path == "/" {
        r#"{"name":"null-sink","cluster_name":"null","cluster_uuid":"n","version":{"number":"8.7.0","build_flavor":"default","lucene_version":"9.5.0","minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"}"#.to_owned()
    } else if method == hyper::Method::HEAD {
        String::new()
    } else {
        r#"{"acknowledged":true}"#.to_owned()
    };
    let resp = hyper::Response::builder()
        .header("content-type", "application/json")
        .header("x-elastic-product", "Elasticsearch")
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_default();
    Ok(resp)
}

/// `{"took":0,"errors":false,"items":[{"index":{...,"status":201}},...]}`, one item per action.
fn bulk_answer(body: &[u8]) -> String {
    let items = body.iter().filter(|b| **b == b'\n').count() / 2;
    let mut out = String::with_capacity(40 + items * 160);
    out.push_str(r#"{"took":0,"errors":false,"items":["#);
    for i in 0..items {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"index":{"_index":"bench","_id":""#);
        out.push_str(&i.to_string());
        out.push_str(r#"","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}"#);
    }
    out.push_str("]}");
    out
}

/// CPU seconds (user + system) of this process, from /proc/self/stat (USER_HZ = 100).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the `(comm)`: state is field 3; utime 14, stime 15.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Seed-shaped documents from the `generator` crate (the tutorial's Example 2 fields),
/// serialised once.
fn pool(n: usize) -> Res<Vec<Bytes>> {
    let config = generator::GeneratorConfig {
        seed: 42,
        ..generator::GeneratorConfig::default()
    };
    let mut g = generator::Generator::new(config)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let event = g.next().ok_or("the generator ended")?;
        let mut line = Vec::with_capacity(256);
        g.write_line(&event, &mut line);
        line.pop(); // the '\n'
        out.push(Bytes::from(line));
    }
    Ok(out)
}

async fn client(args: &[String]) -> Res<()> {
    let url = opt(args, "--es").ok_or("--es URL is required")?;
    let docs = num(args, "--docs", 100_000)?;
    let batch = usize::try_from(num(args, "--batch", 1000)?)?;
    let concurrency = usize::try_from(num(args, "--concurrency", 2)?)?;
    let index = opt(args, "--index").unwrap_or("bench-client");
    let mut config = ClientConfig::new(url);
    config.compress_requests = args.iter().any(|a| a == "--compress");
    config.request_timeout = Duration::from_secs(120);
    let client = Client::new(config)?;
    let pool = pool(10_000)?;

    let mut bulk = BulkConfig::for_index(index);
    bulk.max_docs = batch;
    bulk.max_bytes = 50 << 20;
    bulk.concurrency = concurrency;
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let indexer = BulkIndexer::new(client, bulk)?;
    for i in 0..docs {
        let source = pool[usize::try_from(i)? % pool.len()].clone();
        indexer.add(BulkDoc::index(source)).await?;
    }
    let stats = indexer.close().await?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    #[allow(clippy::cast_precision_loss)]
    let n = docs as f64;
    println!(
        "{}",
        serde_json::json!({
            "client": "es-client BulkIndexer",
            "docs": docs, "indexed": stats.indexed, "failed": stats.failed,
            "requests": stats.requests, "bytes": stats.bytes,
            "secs": secs, "docs_per_s": n / secs,
            "cpu_secs": cpu, "cpu_us_per_doc": cpu * 1e6 / n,
            "batch": batch, "concurrency": concurrency,
        })
    );
    Ok(())
}
