//! `sluice ui`: the web application in Kibana's place (data views, Discover, saved objects),
//! and `sluice ui export|import FILE` for its saved objects.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};

use crate::conn;

/// Options of `sluice ui`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Serving options.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub conn: conn::Args,
    /// Address to serve on (HOST:PORT; a host name is resolved).
    #[arg(long, default_value = "127.0.0.1:5601")]
    pub listen: String,
    /// A user the browser must log in as, NAME:PASSWORD (HTTP Basic; repeatable). Required for
    /// a non-loopback --listen unless --insecure.
    #[arg(long = "ui-user", value_name = "NAME:PASSWORD")]
    pub ui_users: Vec<String>,
    /// Serve a non-loopback address without --ui-user (anyone who reaches it reads the logs).
    #[arg(long)]
    pub insecure: bool,
}

/// `sluice ui export|import`.
#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Write every saved object (data views, saved searches) to FILE as NDJSON.
    Export {
        /// The NDJSON file to write (`-` for stdout).
        file: PathBuf,
        #[command(flatten)]
        conn: conn::Args,
    },
    /// Read saved objects from an NDJSON FILE (as written by export) into the backend.
    Import {
        /// The NDJSON file to read.
        file: PathBuf,
        #[command(flatten)]
        conn: conn::Args,
    },
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    match &args.cmd {
        None => serve(&args.serve, "/app/discover"),
        Some(Cmd::Export { file, conn }) => export(conn, file),
        Some(Cmd::Import { file, conn }) => import(conn, file),
    }
}

fn api(conn: &conn::Args) -> anyhow::Result<ui::Api> {
    let client = conn.client()?;
    Ok(ui::Api::new(
        client,
        ui::ErrorContext {
            backend: conn.display(),
            credentials: conn.credentials(),
        },
    ))
}

fn export(conn: &conn::Args, file: &PathBuf) -> anyhow::Result<()> {
    let api = api(conn)?;
    let text = conn::runtime()?
        .block_on(api.saved().export())
        .map_err(|e| anyhow::anyhow!("{}", e.reason))?;
    let n = text.lines().count();
    if file.as_os_str() == "-" {
        print!("{text}");
    } else {
        std::fs::write(file, &text).with_context(|| format!("writing {}", file.display()))?;
        eprintln!(
            "sluice ui: exported {n} saved objects to {}",
            file.display()
        );
    }
    Ok(())
}

fn import(conn: &conn::Args, file: &PathBuf) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let api = api(conn)?;
    let summary = conn::runtime()?
        .block_on(api.saved().import(&text))
        .map_err(|e| anyhow::anyhow!("{}", e.reason))?;
    for e in &summary.errors {
        eprintln!(
            "sluice ui: {}:{}: {}",
            file.display(),
            e["line"],
            e["reason"].as_str().unwrap_or("")
        );
    }
    eprintln!(
        "sluice ui: imported {} saved objects from {}",
        summary.success_count,
        file.display()
    );
    if !summary.errors.is_empty() {
        bail!("{} lines could not be imported", summary.errors.len());
    }
    Ok(())
}

fn parse_users(values: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    values
        .iter()
        .map(|v| match v.split_once(':') {
            Some((n, p)) if !n.is_empty() && !p.is_empty() => Ok((n.to_owned(), p.to_owned())),
            _ => bail!("--ui-user: expected NAME:PASSWORD with both parts non-empty"),
        })
        .collect()
}

/// Serves the UI and prints the URL of `page`.
pub fn serve(args: &ServeArgs, page: &str) -> anyhow::Result<()> {
    let users = parse_users(&args.ui_users)?;
    let api = api(&args.conn)?;
    let rt = conn::runtime()?;
    rt.block_on(async {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&args.listen)
            .await
            .with_context(|| format!("--listen {}: not HOST:PORT", args.listen))?
            .collect();
        let Some(addr) = addrs.first().copied() else {
            bail!("--listen {}: the name resolves to no address", args.listen);
        };
        let allowed = !users.is_empty() || args.insecure;
        if addrs
            .iter()
            .any(|a| http_serve::check_listen(&a.to_string(), allowed).is_err())
        {
            bail!(
                "refusing to serve the UI on {addr} (--listen {}) without authentication: use a \
                 loopback address, give --ui-user NAME:PASSWORD, or pass --insecure to expose it \
                 anyway",
                args.listen
            );
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let status = api.status().await;
        if status["backend"]["ok"] == true {
            eprintln!(
                "sluice ui: backend {} is up ({} {})",
                args.conn.display(),
                status["backend"]["distribution"].as_str().unwrap_or(""),
                status["backend"]["version"].as_str().unwrap_or("")
            );
        } else {
            eprintln!(
                "sluice ui: warning: {} — the UI starts anyway and shows this until the backend answers",
                status["error"]["reason"].as_str().unwrap_or("the backend is not reachable")
            );
        }
        if !ui::assets::is_built() {
            eprintln!(
                "sluice ui: warning: this binary has no front end built in: run `cargo xtask ui` \
                 and rebuild (the page says so too)"
            );
        }
        eprintln!(
            "sluice ui: http://{}{page} (Ctrl-C to stop)",
            listener.local_addr()?
        );
        // Ctrl-C or SIGTERM: stop accepting, let open requests finish
        let stop = async {
            let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
            match term {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        ui::serve(listener, api, ui::UiConfig { users }, stop).await?;
        Ok(())
    })
}
