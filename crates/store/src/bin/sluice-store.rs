fn main() -> anyhow::Result<()> {
    anyhow::bail!("sluice-store is not built yet (issue 3)")
}
