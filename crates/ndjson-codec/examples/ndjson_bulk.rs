//! Reads NDJSON on stdin, frames and checks every line with `NdjsonReader`, turns the objects
//! into `_bulk` request bodies with `BulkEncoder`, and prints a JSON summary on stdout (bad lines
//! are listed on stderr). Nothing is sent anywhere.
//!
//! ```text
//! sluice generate --count 100000 | cargo run -p ndjson-codec --example ndjson_bulk -- python-logs
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::time::Instant;

use ndjson_codec::{BulkAction, BulkEncoder, BulkLimits, Frame, NdjsonReader};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ndjson_bulk: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let index = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "python-logs".to_owned());
    let started = Instant::now();
    let stdin = std::io::stdin();
    let mut reader = NdjsonReader::new(stdin.lock());
    let mut encoder = BulkEncoder::new(BulkLimits::default());
    let action = BulkAction::index().with_index(&index);
    let (mut objects, mut bodies, mut body_bytes, mut largest, mut oversized) =
        (0u64, 0u64, 0u64, 0usize, 0u64);
    let mut bad: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut account = |body: ndjson_codec::BulkBody| {
        bodies += 1;
        body_bytes += body.len() as u64;
        largest = largest.max(body.len());
        oversized += u64::from(body.is_oversized());
    };
    for frame in reader.by_ref() {
        let frame = frame?;
        let kind = match &frame {
            Frame::Object { raw, .. } => {
                objects += 1;
                if let Some(body) = encoder.push(&action, Some(raw))? {
                    account(body);
                }
                continue;
            }
            Frame::InvalidJson { .. } => "invalid_json",
            Frame::InvalidUtf8 { .. } => "invalid_utf8",
            Frame::NotAnObject { .. } => "not_an_object",
            Frame::TooLong { .. } => "too_long",
            _ => "other",
        };
        *bad.entry(kind).or_default() += 1;
        if let Some(p) = frame.problem() {
            eprintln!("ndjson_bulk: {p}");
            problems.push(p);
        }
    }
    if let Some(body) = encoder.finish() {
        account(body);
    }
    let summary = serde_json::json!({
        "input_bytes": reader.position(),
        "objects": objects,
        "bad_lines": bad.values().sum::<u64>(),
        "bad_by_kind": bad,
        "problems": problems,
        "index": index,
        "bulk_bodies": bodies,
        "bulk_bytes": body_bytes,
        "largest_body": largest,
        "oversized_bodies": oversized,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}
