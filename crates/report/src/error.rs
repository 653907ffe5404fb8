/// What can go wrong while planning, reading or drawing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mapping has no field usable for one of the charts.
    #[error("no usable {what} field in the mapping of [{index}]: looked for {candidates}")]
    MissingField {
        what: &'static str,
        index: String,
        candidates: String,
    },
    /// A request to Elasticsearch failed.
    #[error(transparent)]
    Client(Box<es_client::Error>),
    /// The pattern matched no index.
    #[error("no index matches [{0}]")]
    NoIndex(String),
    /// An aggregation response without the expected part.
    #[error("unexpected search response: {0}")]
    BadResponse(String),
    /// A `--since` value that is not a number and a unit (s, m, h, d, w).
    #[error(
        "invalid --since value {0:?}: expected a number and a unit, such as 30m, 1h, 24h or 7d"
    )]
    BadSince(String),
    /// No TrueType font could be found for text in PNG/SVG charts.
    #[error(
        "no TrueType font found for chart text: set SLUICE_FONT to a .ttf file, or install one \
         (Debian: apt-get install fonts-dejavu-core)"
    )]
    NoFont,
    /// Drawing failed.
    #[error("drawing the {chart} chart failed: {reason}")]
    Draw { chart: &'static str, reason: String },
    /// Writing an output file failed.
    #[error("writing {path} failed: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl From<es_client::Error> for Error {
    fn from(e: es_client::Error) -> Self {
        Self::Client(Box::new(e))
    }
}

/// The report's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
