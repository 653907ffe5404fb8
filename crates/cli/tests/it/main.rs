//! The `sluice` binary, run as a user runs it.

mod generate;
mod es;
mod ship;
