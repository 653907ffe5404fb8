//! `sluice dashboard`: the seed's three charts as a self-refreshing web page (Kibana's role).

use std::net::SocketAddr;

use anyhow::{Context as _, bail};

use crate::conn;

/// Options of `sluice dashboard`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: conn::Args,
    /// Index pattern to chart.
    #[arg(long, default_value = "python-logs-*")]
    pub index: String,
    /// Only events newer than this (30m, 1h, 24h, 7d); default: all.
    #[arg(long)]
    pub since: Option<String>,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:5601")]
    pub listen: SocketAddr,
    /// Seconds between page reloads (0: never).
    #[arg(long, default_value_t = 10)]
    pub refresh: u32,
    /// Allow a non-loopback address (the dashboard has no authentication of its own).
    #[arg(long)]
    pub insecure: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && !args.insecure {
        bail!(
            "refusing to serve the dashboard on {} without authentication: use a loopback \
             address, or pass --insecure to expose it anyway",
            args.listen
        );
    }
    if let Some(s) = &args.since {
        report::parse_since(s)?;
    }
    let client = args.conn.client()?;
    let config = report::dashboard::DashboardConfig {
        index: args.index.clone(),
        since: args.since.clone(),
        refresh: args.refresh,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        eprintln!(
            "sluice dashboard: http://{} (index {}, Ctrl-C to stop)",
            listener.local_addr()?,
            args.index
        );
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        report::dashboard::serve(listener, client, config, stop).await?;
        Ok(())
    })
}
