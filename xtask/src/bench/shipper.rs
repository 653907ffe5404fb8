//! `cargo xtask bench shipper`.

pub fn run(_rest: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the shipper benchmark is not built yet (issue 6)")
}
