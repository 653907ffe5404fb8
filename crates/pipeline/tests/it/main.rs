//! Integration tests of the pipeline crate.

mod config;
mod enrich;
mod fake_es;
mod filters;
mod grok;
mod harness;
mod inputs;
mod interop;
mod never_panic;
mod plugins;
mod runtime;
