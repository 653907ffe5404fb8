//! The `sluice` binary, run as a user runs it.

mod cluster;
mod dashboard;
mod es;
mod generate;
mod ship;
