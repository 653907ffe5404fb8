//! `sluice index create|delete|list`.

/// Subcommands of `sluice index`.
#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Not built yet (issue 4).
    List,
}

pub fn run(_cmd: &Cmd) -> anyhow::Result<()> {
    anyhow::bail!("`sluice index` is not built yet (issue 4)")
}
