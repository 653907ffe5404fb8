//! A seeded, deterministic generator of realistic log events.
