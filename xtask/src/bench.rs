//! `cargo xtask bench <what>`: benchmarks measured side by side with real peers.

/// Options of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// What to measure.
    #[arg(value_enum)]
    pub what: What,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum What {
    /// ndjson-codec and generator (criterion).
    Codec,
    /// sluice-store bulk ingest and dashboard query latency.
    Store,
    /// es-client bulk throughput vs the Python helpers.
    Client,
    /// sluice-agent tcp -> elasticsearch output vs rsyslog.
    Agent,
    /// shipper vs python-logstash-async.
    Shipper,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    match args.what {
        What::Codec => anyhow::bail!("codec benchmarks are not built yet (issue 2)"),
        What::Store => anyhow::bail!("store benchmarks are not built yet (issue 3)"),
        What::Client => anyhow::bail!("client benchmarks are not built yet (issue 4)"),
        What::Agent => anyhow::bail!("agent benchmarks are not built yet (issue 5)"),
        What::Shipper => anyhow::bail!("shipper benchmarks are not built yet (issue 6)"),
    }
}
