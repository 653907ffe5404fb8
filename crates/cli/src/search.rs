//! `sluice search`.

/// Options of `sluice search`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`sluice search` is not built yet (issue 4)")
}
