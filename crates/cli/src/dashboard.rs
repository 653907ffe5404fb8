//! `sluice dashboard`.

/// Options of `sluice dashboard`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`sluice dashboard` is not built yet (issue 7)")
}
