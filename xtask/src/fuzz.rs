//! `cargo xtask fuzz`: coverage-guided fuzzing of the parsers with cargo-fuzz (libFuzzer),
//! which runs on the stable toolchain with `RUSTC_BOOTSTRAP=1`. Targets are in `fuzz/`; each
//! run grows `fuzz/corpus/<target>/`, and any crash is copied to `fuzz/regressions/<target>/`,
//! which the crates' tests replay (`test_support::fuzz_inputs`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::util;

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[&str] = &[
    "lucene",
    "query_dsl",
    "kql",
    "bulk",
    "ndjson",
    "logstash_config",
    "lazy_event",
    "grok",
    "dissect",
    "kv",
    "lumberjack",
    "gelf",
    "http_request",
];

/// Options of `cargo xtask fuzz`.
#[derive(clap::Args)]
pub struct Args {
    /// Only this target (default: all of them, one after another).
    #[arg(long)]
    pub target: Option<String>,
    /// Seconds per target (the project's bar is at least 600).
    #[arg(long, default_value_t = 600)]
    pub seconds: u64,
    /// Minimise each corpus afterwards (`cargo fuzz cmin`), keeping what is committed small.
    #[arg(long)]
    pub cmin: bool,
}

fn cargo_fuzz() -> Command {
    let mut c = util::cargo();
    c.arg("fuzz")
        .current_dir(util::root().join("fuzz"))
        .env("RUSTC_BOOTSTRAP", "1");
    c
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if util::cargo()
        .args(["fuzz", "--version"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        util::run(util::cargo().args(["install", "cargo-fuzz", "--locked"]))
            .context("installing cargo-fuzz")?;
    }
    let targets: Vec<&str> = match &args.target {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![t.as_str()],
        Some(t) => bail!("unknown fuzz target [{t}]; targets: {}", TARGETS.join(", ")),
        None => TARGETS.to_vec(),
    };
    let root = util::root().join("fuzz");
    let mut crashed = Vec::new();
    for t in targets {
        eprintln!("xtask fuzz: {t} for {} s", args.seconds);
        let status = cargo_fuzz()
            .args([
                "run",
                "-O",
                t,
                "--",
                &format!("-max_total_time={}", args.seconds),
            ])
            .args(["-rss_limit_mb=2048", "-timeout=10", "-max_len=65536"])
            .status()
            .with_context(|| format!("running the fuzz target {t}"))?;
        let kept = keep_crashes(&root, t)?;
        if !status.success() || kept > 0 {
            crashed.push(format!("{t} ({kept} reproducers in fuzz/regressions/{t}/)"));
        }
        if args.cmin {
            util::run(cargo_fuzz().args(["cmin", "-O", t]))?;
        }
    }
    if !crashed.is_empty() {
        bail!("fuzzing found failures: {}", crashed.join(", "));
    }
    Ok(())
}

/// Copies libFuzzer's crash, timeout and out-of-memory artifacts of `target` into
/// `fuzz/regressions/<target>/`; returns how many.
fn keep_crashes(root: &Path, target: &str) -> anyhow::Result<usize> {
    let Ok(entries) = std::fs::read_dir(root.join("artifacts").join(target)) else {
        return Ok(0);
    };
    let dest = root.join("regressions").join(target);
    let mut n = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if ["crash-", "timeout-", "oom-", "leak-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            std::fs::create_dir_all(&dest)?;
            std::fs::copy(entry.path(), dest.join(&*name))?;
            n += 1;
        }
    }
    Ok(n)
}
