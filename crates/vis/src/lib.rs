//! Visualizations and dashboards: Kibana's aggregation-based Visualize as one spec, one
//! request builder and one reader, used by `sluice ui` (the web panels) and `sluice report
//! --dashboard` (terminal, HTML, PNG), so the two can never disagree.
//!
//! A panel is made in three steps:
//!
//! 1. [`Spec`] (serde, unknown members refused) is checked by [`Spec::check`], which names the bad
//!    member (`spec.buckets[1].interval`).
//! 2. [`VisPlan::new`] resolves it against a data view ([`Target`]) and the page's state
//!    ([`Context`]: time range, query, filters, time zone) and builds the `_search` body: buckets
//!    nest in spec order (`b<id>`), metrics sit under the innermost (`m<id>`).
//! 3. [`exec::run`] sends every panel of a dashboard in one `_msearch`, reads each answer into a
//!    [`Table`] (Kibana's tabify: bucket columns, metric columns, one row per leaf bucket, and the
//!    filter each bucket cell stands for), and runs a second `_msearch` only for the panels whose
//!    terms buckets want an Other row. A panel that fails keeps its own [`exec::PanelError`].
//!
//! Only public Elasticsearch APIs are used (`_msearch`, `terms`, `date_histogram`, `histogram`,
//! `range`, `filters`, metric aggregations, `top_hits`), so the same panels run against
//! sluice-store, Elasticsearch 8 and OpenSearch 2. The heat map (hour of day × day of week)
//! needs no scripts: 15-minute buckets in UTC are folded into local hours here.

pub mod dashboard;
mod error;
pub mod exec;
pub mod interval;
pub mod plan;
pub mod query;
pub mod search;
pub mod spec;
pub mod table;

pub use dashboard::{Dashboard, DashboardAnswer, PanelAnswer, Visualization};
pub use error::{Error, Result};
pub use plan::{Context, Search, Target, VisPlan};
pub use query::{Filter, Language, QueryBar, TimeRange};
pub use search::{SavedSearch, SearchPlan};
pub use spec::Spec;
pub use table::{Column, Meta, Table};

/// The key of an Other row's bucket cell.
pub const OTHER_KEY: &str = "__other__";
/// The key of a Missing row's bucket cell (sent as the terms aggregation's `missing`).
pub const MISSING_KEY: &str = "__missing__";
