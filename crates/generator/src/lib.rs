//! A seeded, deterministic generator of log events shaped like the seed tutorial's Python
//! application: the same configuration and seed always give the same events and the same bytes.
//!
//! ```
//! use generator::{Format, Generator, GeneratorConfig, Profile};
//!
//! // The seed's vocabulary, in the seed's flat shape.
//! let mut lines = Vec::new();
//! Generator::new(GeneratorConfig { seed: 1, ..GeneratorConfig::default() })?
//!     .write_ndjson(&mut lines, 2)?;
//! for line in std::str::from_utf8(&lines)?.lines() {
//!     let ev = log_model::LogEvent::from_json_slice(line.as_bytes())?;
//!     assert_eq!(ev.source(), Some("python-script"));
//!     assert_eq!(ev.tags(), ["python", "webapp"]);
//! }
//!
//! // Realistic traffic as ECS documents: Zipf users, log-normal durations, error bursts,
//! // a daily curve.
//! let config = GeneratorConfig {
//!     profile: Profile::Realistic,
//!     format: Format::Ecs,
//!     users: 50_000,
//!     ..GeneratorConfig::default()
//! };
//! let events: Vec<_> = Generator::new(config)?.take(1000).collect();
//! assert!(events.iter().all(|e| e.user >= 1 && e.user <= 50_000));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Timestamps follow a [`Timeline`]: simulated from a fixed start (the default, fully
//! deterministic), back-filled over a range ([`Timeline::Backfill`], e.g. the last 24 hours),
//! or the wall clock ([`Timeline::RealTime`], paced by a [`Pacer`]).
//!
//! Lines are written straight into a byte buffer (no JSON tree is built), so the generator is
//! cheap enough to load-test the rest of the pipeline.

mod clock;
mod config;
mod engine;
mod error;
mod pace;
mod write;

pub use config::{Format, GeneratorConfig, Profile, Timeline, parse_span, parse_time};
pub use engine::{Action, Event, Generator};
pub use error::{Error, Result};
pub use pace::Pacer;
