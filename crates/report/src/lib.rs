//! The seed's Kibana charts, computed by the server with aggregations and drawn for a
//! terminal, a JSON consumer, a web page (SVG) or an image (PNG).
//!
//! Section 5 of the seed asks Kibana for three charts over `python-logs-*`: the count of
//! actions per user (pie), log levels over time (a date histogram stacked by level) and the
//! average duration per action (bar). A report is made in three steps, all of them plain
//! Elasticsearch requests, so it works unchanged against sluice-store, Elasticsearch 7/8 and
//! OpenSearch:
//!
//! 1. [`Fields::detect`] reads `GET /{pattern}/_mapping` and finds where the seed's fields
//!    live: top level as in the seed's Example 2 (`user`, `timestamp`), under `extra` as
//!    python-logstash-async sends them through Logstash (`extra.user.keyword`), or in ECS
//!    (`user.name`, `event.duration`).
//! 2. [`Plan::bounds_body`] asks for the time range, and [`Plan::report_body`] for all three
//!    aggregations in one request, with a bucket size chosen from the range as Kibana's
//!    auto interval does ([`auto_interval`]).
//! 3. [`Report::from_response`] reads the aggregation response; [`Report::to_terminal`],
//!    [`html::render`], [`charts::write_png`] and `serde_json` (the `Report` is
//!    `Serialize`) render it.
//!
//! [`fetch`] runs the three steps with an `es_client::Client`.
//!
//! [`dashboard`] draws a saved dashboard's answer (`vis::DashboardAnswer`, the tables `sluice ui`
//! computes for its panels with the `vis` crate) the same three ways, so `sluice report
//! --dashboard` and the web dashboard cannot disagree.
//!
//! Documents are never downloaded: every number comes from an aggregation.

pub mod charts;
pub mod dashboard;
mod error;
mod fetch;
mod fields;
pub mod html;
mod model;
mod plan;
mod terminal;

pub use error::{Error, Result};
pub use fetch::fetch;
pub use fields::Fields;
pub use model::{ActionDuration, Report, TimeBucket, UserSlice, read_bounds};
pub use plan::{Plan, auto_interval, parse_since};
