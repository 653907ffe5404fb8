//! Integration tests of the pipeline crate.

mod config;
mod fake_es;
mod filters;
mod grok;
mod harness;
mod interop;
mod plugins;
mod runtime;
