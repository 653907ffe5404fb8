//! `cargo xtask ui`: builds the `sluice ui` front end (`npm ci` from the committed lock, then
//! `vite build` into `crates/ui/web/dist`, which the `ui` crate embeds), and runs its tests:
//! Vitest unit tests and the Playwright end-to-end test in Debian's Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::util;

/// Options of `cargo xtask ui`.
#[derive(clap::Args)]
pub struct Args {
    /// Also run the front end's unit tests and the browser end-to-end test (builds the
    /// binaries it drives first).
    #[arg(long)]
    pub test: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    build(true)?;
    if args.test {
        util::run(util::cargo().args(["build", "-p", "cli", "-p", "store"]))?;
        unit_tests()?;
        e2e()?;
    }
    Ok(())
}

fn web() -> PathBuf {
    util::root().join("crates/ui/web")
}

fn npm() -> Command {
    let mut c = Command::new("npm");
    c.current_dir(web());
    c
}

/// Installs the npm packages when `node_modules` is missing or older than the lock.
fn install() -> anyhow::Result<()> {
    let web = web();
    let stamp = web.join("node_modules/.package-lock.json");
    let fresh = modified(&stamp)
        .zip(modified(&web.join("package-lock.json")))
        .is_some_and(|(installed, lock)| installed >= lock);
    if !fresh {
        util::run(npm().args(["ci", "--no-audit", "--no-fund"]))
            .context("installing the front end's npm packages (npm ci)")?;
    }
    Ok(())
}

/// True when the bundle is missing or a source is newer than it.
fn stale() -> bool {
    let web = web();
    let Some(built) = modified(&web.join("dist/index.html")) else {
        return true;
    };
    let mut newest = None;
    for f in [
        "index.html",
        "package-lock.json",
        "package.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        newest = newest.max(modified(&web.join(f)));
    }
    newest = newest.max(newest_under(&web.join("src")));
    newest.is_some_and(|n| n > built)
}

/// The latest modification time of the files under `dir`.
fn newest_under(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let t = if p.is_dir() {
            newest_under(&p)
        } else {
            modified(&p)
        };
        newest = newest.max(t);
    }
    newest
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Builds the bundle; with `force` false, only when `dist/index.html` is missing or older than
/// a source of it (`src/`, `index.html`, `package-lock.json`, the Vite and TypeScript configs).
pub fn build(force: bool) -> anyhow::Result<()> {
    if !force && !stale() {
        return Ok(());
    }
    if Command::new("npm").arg("--version").output().is_err() {
        bail!("npm is not installed: the sluice ui front end needs Node.js 20+ and npm to build");
    }
    install()?;
    util::run(npm().args(["run", "build"])).context("building the front end (npm run build)")
}

/// Vitest unit tests.
pub fn unit_tests() -> anyhow::Result<()> {
    install()?;
    util::run(npm().args(["test"])).context("front end unit tests (vitest)")
}

/// The Chromium to drive: `$CHROMIUM`, else Debian's.
fn chromium() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).is_file() {
            return Ok(PathBuf::from(p));
        }
    }
    bail!(
        "Chromium is not installed: the UI's browser tests drive Debian's chromium \
         (apt-get install chromium; .ci/run installs it), or set CHROMIUM=/path/to/chrome"
    )
}

/// The browser end-to-end test against the debug binaries (`target/debug`); screenshots go
/// to `target/ui-e2e/`.
pub fn e2e() -> anyhow::Result<()> {
    install()?;
    let root = util::root();
    let out = root.join("target/ui-e2e");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    util::run(
        Command::new("node")
            .args(["--test", "--test-reporter=spec", "e2e/"])
            .current_dir(web())
            .env("SLUICE_BIN_DIR", root.join("target/debug"))
            .env("SLUICE_E2E_OUT", &out)
            .env("CHROMIUM", chromium()?),
    )
    .context("the UI's browser end-to-end test")
}
