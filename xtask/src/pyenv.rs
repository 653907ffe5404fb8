//! The Python virtualenv with the real peers used by interop tests and benchmarks.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

use crate::util;

/// The packages installed, pinned to their major versions.
const PACKAGES: &[&str] = &[
    "elasticsearch>=8.13,<9",
    "requests>=2.31,<3",
    "python-logstash-async>=3,<5",
];

/// Creates `target/py-venv` if needed and installs [`PACKAGES`] into it.
/// Returns the path of its interpreter.
pub fn ensure() -> anyhow::Result<PathBuf> {
    let venv = util::root().join("target/py-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join(".sluice-packages");
    let wanted = PACKAGES.join("\n");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(python);
    }
    let host = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    eprintln!(
        "xtask: creating the interop virtualenv at {}",
        venv.display()
    );
    util::run(Command::new(&host).args(["-m", "venv"]).arg(&venv))
        .with_context(|| format!("`{host} -m venv` failed: install Python 3 with venv"))?;
    util::run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PACKAGES),
    )
    .context("pip could not install the interop packages from PyPI")?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}
