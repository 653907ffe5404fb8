//! [`Builder`]: every option of a [`Shipper`](crate::Shipper), with its default.

use std::path::PathBuf;
use std::time::Duration;

use crate::{Error, Result, Shipper};

/// Where events go.
#[non_exhaustive]
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per shipper; boxing would only add noise
pub enum Transport {
    /// Newline-delimited JSON over TCP: Logstash's `tcp { codec => json_lines }` input, or
    /// `sluice-agent`. This is what python-logstash-async's `TcpTransport` speaks.
    ///
    /// TCP has no acknowledgement: an event counts as delivered once its bytes were
    /// written to the socket and flushed. Bytes the kernel accepted but the peer never read
    /// (the connection breaks right after a write) are lost; bytes written before a crash
    /// and not yet removed from the durable queue are sent again on the next run. That is
    /// at-least-once delivery with a window of at most one batch.
    Tcp {
        /// Host name or address of the agent.
        host: String,
        /// Its port (Logstash's tcp input in the seed listens on 5000).
        port: u16,
    },
    /// Elasticsearch (or `sluice-store`) `_bulk`, through es-client (its retries, TLS and
    /// authentication). Events are indexed with `create` and an id made from the queue, so a
    /// batch sent twice is indexed once. An event leaves the queue when its bulk item
    /// succeeded or failed for good (a mapping error: counted in
    /// [`Stats::failed`](crate::Stats::failed) and logged); retryable failures stay queued.
    Elasticsearch {
        /// Nodes, authentication, TLS.
        client: es_client::ClientConfig,
        /// Index name, or a Logstash-style template rendered per event
        /// (`python-logs-%{+YYYY.MM.dd}`, from the event's `@timestamp`/`timestamp`).
        index: String,
    },
}

impl Transport {
    /// [`Transport::Tcp`] to `host:port`.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Self::Tcp {
            host: host.into(),
            port,
        }
    }
}

impl Transport {
    /// [`Transport::Elasticsearch`] to one node, e.g. `http://127.0.0.1:9200`.
    pub fn elasticsearch(url: impl Into<String>, index: impl Into<String>) -> Self {
        Self::Elasticsearch {
            client: es_client::ClientConfig::new(url),
            index: index.into(),
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Self::Elasticsearch { client, index } => {
                write!(f, "elasticsearch {} index {index}", client.nodes.join(","))
            }
        }
    }
}

/// Builds a [`Shipper`]. Non-consuming: configure, then call [`Builder::build`].
///
/// ```no_run
/// use std::time::Duration;
/// let shipper = shipper::Shipper::builder(shipper::Transport::tcp("127.0.0.1", 5000))
///     .database("logstash.db")
///     .batch_size(500)
///     .event_ttl(Some(Duration::from_secs(24 * 3600)))
///     .build()?;
/// # Ok::<(), shipper::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    pub(crate) transport: Transport,
    pub(crate) database: Option<PathBuf>,
    pub(crate) batch_size: usize,
    pub(crate) flush_interval: Duration,
    pub(crate) event_ttl: Option<Duration>,
    pub(crate) max_queue_events: u64,
    pub(crate) max_queue_bytes: u64,
    pub(crate) memory_capacity: usize,
    pub(crate) block_when_full: bool,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) io_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) ingest_ids: bool,
}

impl Builder {
    pub(crate) fn new(transport: Transport) -> Self {
        Self {
            transport,
            database: None,
            batch_size: 1_000,
            flush_interval: Duration::from_millis(50),
            event_ttl: None,
            max_queue_events: 1_000_000,
            max_queue_bytes: 1 << 30,
            memory_capacity: 100_000,
            block_when_full: false,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            io_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(5),
            ingest_ids: false,
        }
    }

    /// Keeps the queue in this SQLite database (created if missing; WAL mode) so events
    /// survive restarts and crashes, like python-logstash-async's `database_path`.
    /// Default: none, the queue lives in memory only.
    pub fn database(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.database = Some(path.into());
        self
    }

    /// Queue in memory only (the default): nothing survives the process.
    pub fn memory_only(&mut self) -> &mut Self {
        self.database = None;
        self
    }

    /// Most events written to the transport in one go, and inserted into the durable queue
    /// in one transaction. Default: 1000.
    pub fn batch_size(&mut self, n: usize) -> &mut Self {
        self.batch_size = n;
        self
    }

    /// Longest time an event waits in memory before it is committed to the durable queue
    /// (or, memory only, before a partial batch is sent). Default: 50 ms.
    pub fn flush_interval(&mut self, d: Duration) -> &mut Self {
        self.flush_interval = d;
        self
    }

    /// Events older than this (since `log()`) are discarded unsent and counted as expired.
    /// Default: none, events never expire.
    pub fn event_ttl(&mut self, ttl: Option<Duration>) -> &mut Self {
        self.event_ttl = ttl;
        self
    }

    /// Most events kept in the durable queue. When a new batch would exceed it, the oldest
    /// queued events (not those being sent) are deleted and counted as
    /// [`Stats::dropped_full`](crate::Stats::dropped_full). Default: 1,000,000.
    pub fn max_queue_events(&mut self, n: u64) -> &mut Self {
        self.max_queue_events = n;
        self
    }

    /// Most bytes of serialized events kept in the durable queue (the payload; SQLite's file
    /// is somewhat larger). Same drop-oldest policy as [`Builder::max_queue_events`].
    /// Default: 1 GiB.
    pub fn max_queue_bytes(&mut self, n: u64) -> &mut Self {
        self.max_queue_bytes = n;
        self
    }

    /// Capacity of the in-memory hand-off between `log()` and the background threads; for
    /// a memory-only shipper this is the whole queue. When it is full, `log()` drops the
    /// oldest waiting event (counted in [`Stats::dropped_full`](crate::Stats::dropped_full))
    /// unless [`Builder::block_when_full`] is set. Default: 100,000.
    pub fn memory_capacity(&mut self, n: usize) -> &mut Self {
        self.memory_capacity = n;
        self
    }

    /// When the in-memory hand-off is full, make `log()` wait for room instead of dropping
    /// the oldest event. Use it for batch jobs that must not lose events (`sluice ship`);
    /// keep the default (`false`) in services, where logging must never stall a request.
    pub fn block_when_full(&mut self, block: bool) -> &mut Self {
        self.block_when_full = block;
        self
    }

    /// Reconnect backoff: the first retry waits `min`, each failure doubles it up to `max`.
    /// Default: 100 ms to 30 s.
    pub fn reconnect_backoff(&mut self, min: Duration, max: Duration) -> &mut Self {
        self.backoff_min = min;
        self.backoff_max = max;
        self
    }

    /// Timeout of one connect or write on the transport. Default: 5 s.
    pub fn io_timeout(&mut self, d: Duration) -> &mut Self {
        self.io_timeout = d;
        self
    }

    /// How long dropping the [`Shipper`] waits for queued events to be delivered. What is
    /// still undelivered then stays in the durable queue (or, memory only, is counted as
    /// lost and logged). Default: 5 s.
    pub fn shutdown_timeout(&mut self, d: Duration) -> &mut Self {
        self.shutdown_timeout = d;
        self
    }

    /// Tcp transport: gives each line the member `"@metadata":{"ingest_id":"<token>-<row>"}`,
    /// an id made once per event from the queue (`<token>` is random per database, or per
    /// process for a memory-only shipper; rows are numbered in insertion order and never
    /// reused), so a batch sent again after a crash carries the same ids. `sluice-agent`
    /// with `ingest_id => true` in its `elasticsearch` output keeps an id an event arrives
    /// with and sends it as `_id` (Logstash: `document_id => "%{[@metadata][ingest_id]}"`),
    /// so the re-sent events overwrite their first copies. `@metadata` is never indexed. A
    /// line that has an `@metadata` of its own is sent without an id. The Elasticsearch
    /// transport always sends such ids (as `_id`). Default: false.
    pub fn ingest_ids(&mut self, on: bool) -> &mut Self {
        self.ingest_ids = on;
        self
    }

    /// Opens the queue, starts the background threads and returns the shipper.
    /// Connecting happens in the background: an agent that is down is not an error.
    ///
    /// # Errors
    /// An option out of range, or a database that cannot be opened.
    pub fn build(&self) -> Result<Shipper> {
        self.validate()?;
        Shipper::start(self.clone())
    }

    fn validate(&self) -> Result<()> {
        let bad = |option, reason: &str| {
            Err(Error::Config {
                option,
                reason: reason.to_owned(),
            })
        };
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.memory_capacity == 0 {
            return bad("memory_capacity", "must be at least 1");
        }
        if self.max_queue_events == 0 || self.max_queue_bytes == 0 {
            return bad("max_queue_events/max_queue_bytes", "must be at least 1");
        }
        if self.backoff_min.is_zero() || self.backoff_min > self.backoff_max {
            return bad(
                "reconnect_backoff",
                "min must be above zero and not above max",
            );
        }
        match &self.transport {
            Transport::Tcp { host, port } if host.is_empty() || *port == 0 => {
                return bad("transport", "tcp needs a host and a non-zero port");
            }
            Transport::Elasticsearch { client, index }
                if client.nodes.is_empty() || index.is_empty() =>
            {
                return bad("transport", "elasticsearch needs a node URL and an index");
            }
            _ => {}
        }
        Ok(())
    }
}
