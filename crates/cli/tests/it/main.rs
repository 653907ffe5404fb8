//! The `sluice` binary, run as a user runs it.

mod es;
mod generate;
mod ship;
