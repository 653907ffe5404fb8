//! `sluice generate`.

/// Options of `sluice generate`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`sluice generate` is not built yet (issue 2)")
}
