fn main() -> anyhow::Result<()> {
    anyhow::bail!("sluice-agent is not built yet (issue 5)")
}
