//! Integration tests of the pipeline crate.

mod config;
mod fake_es;
mod filters;
mod harness;
mod interop;
mod runtime;
