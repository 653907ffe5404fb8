//! `cargo xtask bench <what>`: benchmarks measured side by side with real peers.
//! Each measured component has its own module.

mod agent;
mod client;
mod codec;
mod pipeline;
mod shipper;
mod store;
mod ui;

/// Options of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// What to measure.
    #[arg(value_enum)]
    pub what: What,
    /// Arguments for that benchmark (see each one's --help-like doc in its module).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
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
    /// sluice-agent's grok (vs rsyslog mmnormalize), beats input (go-lumber) and file input.
    Pipeline,
    /// shipper vs python-logstash-async.
    Shipper,
    /// sluice ui's Discover over a large index (server and browser).
    Ui,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    match args.what {
        What::Codec => codec::run(&args.rest),
        What::Store => store::run(&args.rest),
        What::Client => client::run(&args.rest),
        What::Agent => agent::run(&args.rest),
        What::Pipeline => pipeline::run(&args.rest),
        What::Shipper => shipper::run(&args.rest),
        What::Ui => ui::run(&args.rest),
    }
}

/// The value after a `--flag` in a benchmark's arguments, parsed (`1_000_000` is allowed).
fn value<'a, T>(it: &mut impl Iterator<Item = &'a String>, name: &str) -> anyhow::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    use anyhow::Context as _;
    let v = it.next().with_context(|| format!("{name} needs a value"))?;
    v.replace('_', "")
        .parse()
        .with_context(|| format!("{name}: not a number: {v}"))
}
