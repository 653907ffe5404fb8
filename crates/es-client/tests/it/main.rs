//! es-client integration tests: a fault-injecting ES 8 stand-in, and sluice-store.

mod bulk;
mod fault;
mod store;
mod tls;
mod transport;
