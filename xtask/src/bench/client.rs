//! `cargo xtask bench client`.

pub fn run(_rest: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the client benchmark is not built yet (issue 4)")
}
