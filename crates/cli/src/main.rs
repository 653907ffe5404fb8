fn main() -> anyhow::Result<()> {
    anyhow::bail!("sluice is not built yet (issue 2)")
}
