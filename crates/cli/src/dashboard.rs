//! `sluice dashboard`: not built; `sluice report --html` gives the same charts as a page.

/// Options of `sluice dashboard`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`sluice dashboard` (a live web dashboard on 127.0.0.1:5601) is not built yet; \
         `sluice report --html FILE` writes the same three charts as one page"
    )
}
