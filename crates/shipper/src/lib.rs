//! Durable, asynchronous log shipping for Rust applications, with a `tracing` layer.

mod config;
mod disk;
mod error;
mod layer;
mod shipper;
mod tcp;
mod worker;

pub use config::{Builder, Transport};
pub use error::{Error, Result};
pub use layer::{Format, LayerBuilder, ShipperLayer};
pub use shipper::{Handle, Shipper, Stats};
