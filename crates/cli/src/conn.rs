//! Connection options shared by every subcommand that talks to Elasticsearch
//! (`--es`, `--user`/`--password`, `--api-key`, `--ca-cert`, `--ca-fingerprint`, `--insecure-tls`).
//!
//! Flatten [`Args`] into a subcommand's options and call [`Args::client`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use es_client::{Auth, Client, ClientConfig, TlsConfig};

/// How to reach Elasticsearch (or sluice-store).
#[derive(clap::Args, Clone, Debug)]
#[group(id = "connection")]
pub struct Args {
    /// Node URL(s): repeat the flag or give a comma list; `user:pass@` in a URL means Basic auth.
    #[arg(
        long = "es",
        value_name = "URL",
        env = "ELASTICSEARCH_URL",
        default_value = "http://127.0.0.1:9200",
        value_delimiter = ','
    )]
    pub es: Vec<String>,
    /// User name for Basic auth.
    #[arg(long, env = "ES_USER")]
    pub user: Option<String>,
    /// Password for Basic auth.
    #[arg(long, env = "ES_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// API key: `id:api_key` or the encoded form.
    #[arg(
        long,
        env = "ES_API_KEY",
        hide_env_values = true,
        conflicts_with = "user"
    )]
    pub api_key: Option<String>,
    /// PEM file with the CA certificate(s) to trust (e.g. ES 8's `http_ca.crt`).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// SHA-256 fingerprint of ES 8's HTTP CA (hex, `:` allowed), as printed on first start.
    #[arg(long, value_name = "HEX")]
    pub ca_fingerprint: Option<String>,
    /// Accept any TLS certificate (unsafe; for throwaway test clusters only). Named apart from
    /// the servers' `--insecure` (expose without authentication), which `dashboard` also has.
    #[arg(long)]
    pub insecure_tls: bool,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
}

impl Args {
    /// The client configuration these options describe.
    pub fn config(&self) -> anyhow::Result<ClientConfig> {
        let nodes: Vec<String> = self
            .es
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if nodes.is_empty() {
            bail!("--es: no Elasticsearch URL given");
        }
        let mut config = ClientConfig::with_nodes(nodes);
        config.auth = match (&self.user, &self.password, &self.api_key) {
            (_, _, Some(key)) => Some(Auth::api_key(key)),
            (Some(u), p, None) => Some(Auth::basic(u, p.as_deref().unwrap_or(""))),
            (None, Some(_), None) => bail!("--password (ES_PASSWORD) needs --user (ES_USER)"),
            (None, None, None) => None,
        };
        let mut tls = TlsConfig::default();
        tls.ca_cert = self.ca_cert.clone();
        tls.ca_fingerprint = self.ca_fingerprint.clone();
        tls.insecure = self.insecure_tls;
        config.tls = tls;
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            bail!(
                "--timeout must be a positive number of seconds, got {}",
                self.timeout
            );
        }
        config.request_timeout = Duration::from_secs_f64(self.timeout);
        Ok(config)
    }

    /// Builds the client (no I/O yet).
    pub fn client(&self) -> anyhow::Result<Client> {
        let _ = TRIED.set(self.credentials());
        Client::new(self.config()?).context("cannot set up the Elasticsearch client")
    }

    /// The credentials these options send, in words, for error messages (never the secret).
    pub fn credentials(&self) -> String {
        match (&self.user, &self.api_key) {
            (_, Some(_)) => "the API key given by --api-key (ES_API_KEY)".to_owned(),
            (Some(u), None) => {
                format!("Basic user [{u}] (--user/--password, ES_USER/ES_PASSWORD)")
            }
            (None, None) if self.es.iter().any(|u| u.contains('@')) => {
                "the user:password in the --es URL".to_owned()
            }
            (None, None) => "no credentials (give --user/--password or --api-key)".to_owned(),
        }
    }

    /// The first node URL without credentials, for messages.
    pub fn display(&self) -> String {
        let first = self.es.first().map_or("", String::as_str);
        match first.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{host}"),
                None => first.to_owned(),
            },
            None => first.to_owned(),
        }
    }
}

static TRIED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The credentials the command's client sent, in words (for the 401 hint).
pub fn tried() -> String {
    TRIED
        .get()
        .cloned()
        .unwrap_or_else(|| "the credentials given".to_owned())
}

/// A small multi-threaded tokio runtime for a subcommand.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(test)]
mod tests;
