//! The agent's engine: the Logstash config language, inputs, filters, outputs and queues.

pub mod codec;
pub mod config;
mod error;
pub mod filter;
pub mod input;
pub mod monitor;
pub mod output;
pub mod queue;
pub mod runtime;

pub use error::{Error, Result};
