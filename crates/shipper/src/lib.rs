//! Durable, asynchronous log shipping for Rust applications, with a `tracing` layer.
