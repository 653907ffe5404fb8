//! `cargo xtask conformance [--release] [--no-es] [--api NAME]… [--write-docs]`
//!
//! Runs Elasticsearch's REST YAML tests (`rest_conformance`, the 7.10.2 suite from Maven
//! Central) against a fresh `sluice-store` and, in the same run, against a real Elasticsearch
//! 8 (one node, as the store is one). The figure that counts is the share of the
//! tests Elasticsearch 8 passes that the store passes too. `--write-docs` writes the table and
//! every difference to docs/conformance.md and the store's failures to the list its
//! integration test holds it to (`crates/store/tests/conformance-failures.txt`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rest_conformance::{Outcome, Runner, Verdict};

use crate::services::{Service, http, pick_port, poll};
use crate::util;

#[derive(clap::Args)]
pub struct Args {
    /// Build and run the release store (default: debug).
    #[arg(long)]
    release: bool,
    /// Run against the store only.
    #[arg(long)]
    no_es: bool,
    /// Only these API directories (default: every one the store claims).
    #[arg(long = "api")]
    apis: Vec<String>,
    /// Write docs/conformance.md and the store test's list of known failures.
    #[arg(long)]
    write_docs: bool,
    /// An Elasticsearch already running (`host:port`) instead of starting a cluster.
    #[arg(long)]
    es: Option<SocketAddr>,
    /// Print every failure.
    #[arg(long)]
    verbose: bool,
}

/// The list of the store's failing tests its integration test compares with.
pub const FAILURES: &str = "crates/store/tests/conformance-failures.txt";

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = util::root();
    let dir = rest_conformance::fetch(&root)?;
    let apis: Vec<&str> = if args.apis.is_empty() {
        rest_conformance::APIS.to_vec()
    } else {
        args.apis.iter().map(String::as_str).collect()
    };
    let (spec, files) = rest_conformance::load(&dir, &apis)?;
    let mut build = util::cargo();
    build.args(["build", "-p", "store", "--bin", "sluice-store"]);
    if args.release {
        build.arg("--release");
    }
    util::run(&mut build)?;

    let work = root.join("target/conformance/run");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let addr = pick_port(9250)?;
    let bin = root
        .join("target")
        .join(if args.release { "release" } else { "debug" })
        .join("sluice-store");
    let mut store = Service::start(
        "sluice-store",
        Command::new(bin)
            .arg("--data-dir")
            .arg(work.join("data"))
            .args([
                "--listen",
                &addr.to_string(),
                "--disk-threshold-enabled",
                "false",
            ]),
        &work.join("store.log"),
    )?;
    poll(
        "sluice-store to answer GET /",
        Duration::from_secs(30),
        || {
            store.check_running()?;
            Ok(http(addr, "GET", "/", None, None)
                .ok()
                .filter(|(c, _)| *c == 200))
        },
    )?;
    let started = Instant::now();
    let ours = run_all(&spec, &files, addr, "sluice-store");
    eprintln!("sluice-store: {:.0} s", started.elapsed().as_secs_f64());
    store.stop(Duration::from_secs(10))?;

    let theirs = if args.no_es {
        None
    } else if let Some(es) = args.es {
        let out = run_all(&spec, &files, es, "elasticsearch");
        Some((out, cluster_version(es)))
    } else {
        let config = test_support::peers::ClusterConfig {
            // One node, as the store is one: a test that needs replicas assigned is not one a
            // single node can pass.
            nodes: 1,
            heap_mb: 512,
            dir: root.join("target/peers/conformance-cluster"),
            ..Default::default()
        };
        let (cluster, _children) = crate::peers::start(&config)?;
        let es: SocketAddr = cluster.nodes[0]
            .url()
            .trim_start_matches("http://")
            .parse()
            .context("the node's address")?;
        let started = Instant::now();
        let out = run_all(&spec, &files, es, "elasticsearch");
        eprintln!("elasticsearch: {:.0} s", started.elapsed().as_secs_f64());
        let version = cluster_version(es);
        cluster.stop();
        Some((out, version))
    };
    let report = report(
        &ours,
        theirs.as_ref().map(|(o, v)| (o.as_slice(), v.as_str())),
    );
    println!("{}", report.table);
    if args.verbose {
        for o in &ours {
            if let Verdict::Fail(why) = &o.verdict {
                println!("FAIL {}: {why}", o.id);
            }
        }
        for o in theirs.iter().flat_map(|(t, _)| t) {
            if let Verdict::Fail(why) = &o.verdict {
                println!("ES FAIL {}: {why}", o.id);
            }
        }
    }
    if args.write_docs {
        anyhow::ensure!(
            args.apis.is_empty() && theirs.is_some(),
            "--write-docs needs the whole suite and Elasticsearch beside it"
        );
        std::fs::write(root.join("docs/conformance.md"), &report.doc)?;
        std::fs::write(root.join(FAILURES), failures_list(&ours))?;
        println!("wrote docs/conformance.md and {FAILURES}");
    }
    Ok(())
}

fn run_all(
    spec: &rest_conformance::Spec,
    files: &[rest_conformance::TestFile],
    addr: SocketAddr,
    name: &str,
) -> Vec<Outcome> {
    let runner = Runner {
        spec,
        addr,
        version: (8, 19, 7),
        timeout: Duration::from_secs(60),
    };
    let total: usize = files.iter().map(|f| f.tests.len()).sum();
    let bar = indicatif::ProgressBar::new(total as u64).with_message(name.to_owned());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut out = Vec::new();
    for f in files {
        let o = runner.run_file(f);
        bar.inc(o.len() as u64);
        out.extend(o);
    }
    bar.finish_and_clear();
    out
}

fn cluster_version(addr: SocketAddr) -> String {
    http(addr, "GET", "/_nodes/_local", None, None)
        .ok()
        .and_then(|(_, b)| serde_json::from_str::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v["nodes"]
                .as_object()?
                .values()
                .next()?
                .get("version")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "8".to_owned())
}

struct Report {
    table: String,
    doc: String,
}

#[derive(Default)]
struct Row {
    tests: usize,
    skipped: usize,
    es_pass: usize,
    ours_pass: usize,
    both_pass: usize,
}

fn report(ours: &[Outcome], theirs: Option<(&[Outcome], &str)>) -> Report {
    let es: BTreeMap<&str, &Verdict> = theirs
        .map(|(t, _)| t.iter().map(|o| (o.id.as_str(), &o.verdict)).collect())
        .unwrap_or_default();
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    let mut differences = Vec::new();
    for o in ours {
        let api = o.id.split('/').next().unwrap_or_default();
        let row = rows.entry(api).or_default();
        row.tests += 1;
        let es_v = es.get(o.id.as_str());
        if matches!(o.verdict, Verdict::Skip(_)) {
            row.skipped += 1;
            continue;
        }
        let ours_ok = o.verdict == Verdict::Pass;
        let es_ok = es_v.is_some_and(|v| **v == Verdict::Pass);
        row.ours_pass += usize::from(ours_ok);
        row.es_pass += usize::from(es_ok);
        row.both_pass += usize::from(ours_ok && es_ok);
        if es_ok && let Verdict::Fail(why) = &o.verdict {
            differences.push((o.id.as_str(), why.as_str()));
        }
    }
    let mut total = Row::default();
    let mut table = String::from(
        "| API | tests | skipped | Elasticsearch passes | sluice-store passes | of those ES passes |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (api, r) in &rows {
        let _ = writeln!(
            table,
            "| {api} | {} | {} | {} | {} | {} |",
            r.tests, r.skipped, r.es_pass, r.ours_pass, r.both_pass
        );
        total.tests += r.tests;
        total.skipped += r.skipped;
        total.es_pass += r.es_pass;
        total.ours_pass += r.ours_pass;
        total.both_pass += r.both_pass;
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let run = total.tests - total.skipped;
    let _ = writeln!(
        table,
        "| **all** | {} | {} | {} | {} | **{} ({:.1} %)** |",
        total.tests,
        total.skipped,
        total.es_pass,
        total.ours_pass,
        total.both_pass,
        pct(total.both_pass, total.es_pass)
    );
    let _ = writeln!(
        table,
        "\nsluice-store passes {} of the {run} tests run ({:.1} %); of the {} that Elasticsearch {} passes, {} ({:.1} %).",
        total.ours_pass,
        pct(total.ours_pass, run),
        total.es_pass,
        theirs.map_or("(not run)", |(_, v)| v),
        total.both_pass,
        pct(total.both_pass, total.es_pass)
    );
    let mut doc = String::from(
        "# REST conformance\n\nElasticsearch's own REST YAML tests (`org.elasticsearch:rest-api-spec:7.10.2` from Maven \
         Central: the newest release of the suite Maven Central serves; 8.x's is not there) for the APIs the store \
         claims, run by `cargo xtask conformance --write-docs` against `sluice-store` and, in the same run, against a \
         real single-node Elasticsearch 8 (the integration-test distribution, without X-Pack). A 7.10 test is not always an \
         8.x test (mapping types are gone, defaults changed), so the figure that counts is the last column: of the \
         tests Elasticsearch 8 passes, how many the store passes. Tests skipped are those whose `skip` names a version \
         range that holds 8.19.7 or a runner feature not implemented (`node_selector`, `yaml`).\n\n",
    );
    doc.push_str(&table);
    doc.push_str(
        "\n## Differences\n\nEvery test Elasticsearch 8 passes and `sluice-store` fails, with the first failed step. \
         `crates/store/tests/conformance-failures.txt` lists every test the store fails; its integration test \
         (`conformance::store_passes_what_it_passed`) fails when a test outside that list fails or a listed one \
         passes.\n\n",
    );
    for (id, why) in differences {
        let why = why.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(doc, "- `{id}`: {why}");
    }
    Report { table, doc }
}

fn failures_list(ours: &[Outcome]) -> String {
    let mut out = String::from(
        "# Tests of Elasticsearch's REST suite (rest-api-spec 7.10.2) that sluice-store fails, one id per line.\n\
         # Written by `cargo xtask conformance --write-docs`; docs/conformance.md says why for each one Elasticsearch 8 passes.\n",
    );
    for o in ours {
        if matches!(o.verdict, Verdict::Fail(_)) {
            out.push_str(&o.id);
            out.push('\n');
        }
    }
    out
}
