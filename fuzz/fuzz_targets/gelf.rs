//! The gelf input's chunk assembler and event builder on arbitrary datagrams: a message or
//! nothing, memory within its budget, never a panic.
#![no_main]
use std::time::{Duration, Instant};

use pipeline::input::gelf::Assembler;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut a = Assembler::default();
    let t0 = Instant::now();
    // the input is a run of datagrams, each prefixed by its one-byte length
    let mut rest = data;
    let mut i = 0u64;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (datagram, next) = tail.split_at(n);
        if let Some(message) = a.push(datagram, t0 + Duration::from_millis(i * 100)) {
            let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 12201));
            let _ = pipeline::input::gelf::event(&message, peer, true, true);
        }
        rest = next;
        i += 1;
    }
});
