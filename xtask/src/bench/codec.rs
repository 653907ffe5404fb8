//! `cargo xtask bench codec`.

pub fn run(_rest: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the codec benchmark is not built yet (issue 2)")
}
