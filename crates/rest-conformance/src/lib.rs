//! Elasticsearch's REST conformance tests, run against any server that speaks its API.
//!
//! Elasticsearch's own YAML REST tests (`rest-api-spec/test/<api>/*.yml`, with the API
//! specification in `rest-api-spec/api/*.json`) ship in the `org.elasticsearch:rest-api-spec`
//! jar. Maven Central serves it for 7.10.2 (the last release under the Apache License 2.0;
//! 8.x's is not served), so that is the suite: [`fetch`] gets it with `mvn dependency:get` and
//! unpacks it under `target/`. The runner ([`Runner`]) implements the test format as
//! Elasticsearch's Java runner does — `do` (with `catch`, `headers`, `warnings`), `set`,
//! `match` (regular expressions in `/…/`), `length`, `is_true`, `is_false`, `gt`/`gte`/`lt`/
//! `lte`, `contains`, `skip` by version range and feature — and removes every index, data
//! stream and template between tests. Paths that need a mapping type are not offered (they are
//! gone in 8.x), so a test that still sends one fails as it would against Elasticsearch 8.
//!
//! A 7.10 test is not necessarily an 8.x test; the honest measure runs the same suite against
//! a real Elasticsearch 8 in the same run and counts, among the tests it passes, those the
//! server under test passes.

pub mod http;
pub mod run;
pub mod spec;
pub mod suite;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, ensure};

pub use run::{Outcome, Runner, Verdict};
pub use spec::Spec;
pub use suite::TestFile;

/// The artifact that holds the suite.
pub const ARTIFACT: &str = "org.elasticsearch:rest-api-spec:7.10.2";

/// The API directories the store claims: documents, search and aggregations, index
/// administration, cat and cluster health (what issue 14 names).
pub const APIS: &[&str] = &[
    "bulk",
    "cat.aliases",
    "cat.count",
    "cat.health",
    "cat.indices",
    "cat.shards",
    "cat.templates",
    "cluster.health",
    "count",
    "create",
    "delete",
    "exists",
    "field_caps",
    "get",
    "get_source",
    "index",
    "indices.analyze",
    "indices.blocks",
    "indices.create",
    "indices.delete",
    "indices.delete_alias",
    "indices.exists",
    "indices.exists_alias",
    "indices.exists_template",
    "indices.forcemerge",
    "indices.get",
    "indices.get_alias",
    "indices.get_index_template",
    "indices.get_mapping",
    "indices.get_settings",
    "indices.get_template",
    "indices.open",
    "indices.put_alias",
    "indices.put_index_template",
    "indices.put_mapping",
    "indices.put_settings",
    "indices.put_template",
    "indices.refresh",
    "indices.rollover",
    "indices.stats",
    "indices.update_aliases",
    "info",
    "mget",
    "msearch",
    "nodes.info",
    "ping",
    "scroll",
    "search",
    "search.aggregation",
    "search.highlight",
    "update",
];

/// The unpacked suite (`…/rest-api-spec`, holding `api/` and `test/`) under
/// `<workspace>/target/conformance/`, fetched from Maven Central when missing.
///
/// # Errors
/// When `mvn` or `unzip` is missing or fails.
pub fn fetch(workspace: &Path) -> anyhow::Result<PathBuf> {
    let version = ARTIFACT.rsplit(':').next().unwrap_or_default();
    let root = workspace.join("target/conformance").join(version);
    let dir = root.join("rest-api-spec");
    if dir.join("api").is_dir() && dir.join("test").is_dir() {
        return Ok(dir);
    }
    let jar = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".m2/repository/org/elasticsearch/rest-api-spec")
        .join(version)
        .join(format!("rest-api-spec-{version}.jar"));
    if !jar.exists() {
        let out = Command::new("mvn")
            .args(["-B", "-q", "dependency:get", "-Dtransitive=false"])
            .arg(format!("-Dartifact={ARTIFACT}"))
            .output()
            .context("fetching the conformance suite needs Maven (`mvn`) on PATH")?;
        ensure!(
            out.status.success() && jar.exists(),
            "mvn dependency:get {ARTIFACT} failed: {}",
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.contains("ERROR"))
                .take(3)
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    let staging = root.with_extension("unpacking");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let status = Command::new("unzip")
        .arg("-q")
        .arg(&jar)
        .arg("rest-api-spec/*")
        .arg("-d")
        .arg(&staging)
        .status()
        .context("unpacking the suite needs `unzip`")?;
    ensure!(status.success(), "unzip {} failed: {status}", jar.display());
    let _ = std::fs::remove_dir_all(&root);
    std::fs::rename(&staging, &root)?;
    Ok(dir)
}

/// The specification and the test files of `apis`.
///
/// # Errors
/// On unreadable or malformed files.
pub fn load(dir: &Path, apis: &[&str]) -> anyhow::Result<(Spec, Vec<TestFile>)> {
    let spec = Spec::load(&dir.join("api"))?;
    let files = suite::load(&dir.join("test"), apis)?;
    Ok((spec, files))
}
