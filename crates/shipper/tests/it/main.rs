//! Integration tests of the shipper: delivery to a TCP json_lines receiver, durability
//! across restarts and `kill -9`, queue limits, TTL, the tracing layer, and the field
//! layout compared with python-logstash-async.

mod crash;
mod delivery;
mod es;
mod interop;
mod layer;
mod receiver;
