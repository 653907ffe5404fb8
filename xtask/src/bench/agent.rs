//! `cargo xtask bench agent`.

pub fn run(_rest: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the agent benchmark is not built yet (issue 5)")
}
