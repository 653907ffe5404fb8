//! Client options.

use std::time::Duration;

use base64::Engine as _;

use crate::tls::TlsConfig;

/// How the client authenticates.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// HTTP Basic (also taken from `user:pass@` in a node URL).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// An Elasticsearch API key, base64 of `id:api_key` (the `encoded` field ES returns).
    ApiKey(String),
    /// An OAuth2/JWT bearer token.
    Bearer(String),
}

impl Auth {
    /// An API key given either as `id:api_key` or already encoded.
    #[must_use]
    pub fn api_key(key: &str) -> Auth {
        if key.contains(':') {
            Auth::ApiKey(base64::engine::general_purpose::STANDARD.encode(key))
        } else {
            Auth::ApiKey(key.to_owned())
        }
    }

    /// Basic auth.
    #[must_use]
    pub fn basic(username: &str, password: &str) -> Auth {
        Auth::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }

    pub(crate) fn header_value(&self) -> String {
        match self {
            Auth::Basic { username, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            ),
            Auth::ApiKey(k) => format!("ApiKey {k}"),
            Auth::Bearer(t) => format!("Bearer {t}"),
        }
    }
}

impl std::fmt::Debug for Auth {
    // Never print secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Auth::ApiKey(_) => f.write_str("ApiKey(***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Everything [`crate::Client::new`] needs. Start from [`ClientConfig::new`] and set fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Node URLs (`http://127.0.0.1:9200`, `https://user:pass@es1:9200`); a missing port means
    /// 9200, a missing scheme means `http`. Requests go round-robin over the live ones.
    pub nodes: Vec<String>,
    /// Credentials. Default: none, or Basic from the first URL carrying `user:pass@`.
    pub auth: Option<Auth>,
    /// Certificate checks for `https` nodes. Default: the built-in web roots.
    pub tls: TlsConfig,
    /// Timeout of one attempt (send + whole response). Default 30 s.
    pub request_timeout: Duration,
    /// TCP + TLS connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Retries after the first attempt. Default 3.
    pub max_retries: u32,
    /// Response statuses retried (on another node when there is one). Default 502, 503, 504.
    pub retry_on_status: Vec<u16>,
    /// First retry delay; doubled per retry, full jitter. Default 100 ms.
    pub retry_backoff: Duration,
    /// Cap of the retry delay. Default 5 s.
    pub max_retry_backoff: Duration,
    /// How long a failed node is skipped; doubled per consecutive failure up to 60 s. Default 1 s.
    pub dead_node_backoff: Duration,
    /// Gzip request bodies (`Content-Encoding: gzip`). Default false.
    pub compress_requests: bool,
    /// Send `compatible-with=N` media types (ES 8 talking to 7 clients and back). Default none:
    /// plain `application/json`, which ES 7, ES 8 and OpenSearch 2 all accept.
    pub compatibility_mode: Option<u8>,
    /// Require `X-Elastic-Product: Elasticsearch` on successful responses. Default false.
    pub product_check: bool,
    /// Discover the cluster's nodes (`GET _nodes/http`) before the first request. Default false.
    pub sniff_on_start: bool,
    /// Re-discover nodes this often. Default none.
    pub sniff_interval: Option<Duration>,
    /// Idle pooled connections kept per node. Default 32.
    pub pool_max_idle_per_host: usize,
}

impl ClientConfig {
    /// A config for one node with every default.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_nodes([url.into()])
    }

    /// A config for several nodes with every default.
    #[must_use]
    pub fn with_nodes(urls: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ClientConfig {
            nodes: urls.into_iter().map(Into::into).collect(),
            auth: None,
            tls: TlsConfig::default(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_retries: 3,
            retry_on_status: vec![502, 503, 504],
            retry_backoff: Duration::from_millis(100),
            max_retry_backoff: Duration::from_secs(5),
            dead_node_backoff: Duration::from_secs(1),
            compress_requests: false,
            compatibility_mode: None,
            product_check: false,
            sniff_on_start: false,
            sniff_interval: None,
            pool_max_idle_per_host: 32,
        }
    }
}

/// Full-jitter exponential backoff: a random delay in `[0, min(cap, base * 2^attempt)]`.
pub(crate) fn backoff(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let ceiling = exp.min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    // Keep at least a tenth so retries never hammer back-to-back.
    let floor = nanos / 10;
    Duration::from_nanos(rand::random_range(floor..=nanos))
}

#[cfg(test)]
mod tests;
