//! Elasticsearch's REST YAML tests (`rest_conformance`) against the store: every test the
//! store passed when `crates/store/tests/conformance-failures.txt` was written must still pass,
//! and every test listed there must still fail (a test that starts passing is taken off the
//! list, so the list stays the truth). `cargo xtask conformance --write-docs` rewrites the list
//! and docs/conformance.md, with Elasticsearch 8's answers beside the store's.

use std::collections::BTreeSet;
use std::time::Duration;

use rest_conformance::{Runner, Verdict};

use crate::TestServer;

#[test]
#[allow(clippy::print_stderr)] // the notice when it cannot run
fn store_passes_what_it_passed() {
    if !test_support::peers::tools_present() {
        eprintln!(
            "\n*** conformance: `mvn` or `java` is missing: Elasticsearch's REST tests are \
             SKIPPED (.ci/run installs Maven) ***\n"
        );
        return;
    }
    let root = test_support::workspace_root();
    let dir = rest_conformance::fetch(&root).expect("the REST suite from Maven Central");
    let (spec, files) =
        rest_conformance::load(&dir, rest_conformance::APIS).expect("the suite reads");
    let listed: BTreeSet<String> =
        std::fs::read_to_string(root.join("crates/store/tests/conformance-failures.txt"))
            .expect("the list of known failures")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
    let server = TestServer::start();
    let runner = Runner {
        spec: &spec,
        addr: server.addr(),
        version: (8, 19, 7),
        timeout: Duration::from_secs(60),
    };
    let mut failing = BTreeSet::new();
    let mut new_failures = Vec::new();
    let mut run = 0;
    for file in &files {
        for outcome in runner.run_file(file) {
            match outcome.verdict {
                Verdict::Skip(_) => {}
                Verdict::Pass => run += 1,
                Verdict::Fail(why) => {
                    run += 1;
                    if !listed.contains(&outcome.id) {
                        new_failures.push(format!("{}: {why}", outcome.id));
                    }
                    failing.insert(outcome.id);
                }
            }
        }
    }
    let now_passing: Vec<&String> = listed.difference(&failing).collect();
    assert!(
        run > 1000,
        "only {run} tests ran: the suite did not load whole"
    );
    assert!(
        new_failures.is_empty(),
        "{} REST tests the store passed now fail:\n{}",
        new_failures.len(),
        new_failures.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "{} REST tests listed as failing now pass: take them off \
         crates/store/tests/conformance-failures.txt (cargo xtask conformance --write-docs):\n{}",
        now_passing.len(),
        now_passing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
