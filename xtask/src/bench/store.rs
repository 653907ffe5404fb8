//! `cargo xtask bench store`.

pub fn run(_rest: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the store benchmark is not built yet (issue 3)")
}
