//! `sluice send`.

/// Options of `sluice send`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`sluice send` is not built yet (issue 4)")
}
