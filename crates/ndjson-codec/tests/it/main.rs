//! ndjson-codec through its public interface: properties, the async codec, I/O errors.

use std::io::{BufRead, Read};

use bytes::BytesMut;
use futures_util::StreamExt;
use log_model::LogEvent;
use ndjson_codec::{
    BulkAction, BulkEncoder, BulkLimits, DecoderConfig, Frame, NdjsonDecoder, NdjsonReader,
    summarize_bulk_response,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use tokio_util::codec::{Decoder, Encoder, FramedRead};

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Decimals the parser reads back exactly.
        (-1_000_000i32..1_000_000).prop_map(|n| Value::from(f64::from(n) / 100.0)),
        any::<String>().prop_map(Value::String),
        "[ -~\n\r\t\"\\\\é☃\u{1}]{0,20}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn event() -> impl Strategy<Value = LogEvent> {
    prop::collection::vec(("[a-z@._\n\"]{0,8}|\\PC{0,6}", json_value()), 0..8)
        .prop_map(|kv| LogEvent::from_map(kv.into_iter().collect()))
}

fn read_all(input: &[u8], config: DecoderConfig) -> Vec<Frame> {
    NdjsonReader::with_config(input, config)
        .collect::<std::io::Result<_>>()
        .expect("reading a slice cannot fail")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Events encoded with the codec decode to the same events, one object per line.
    #[test]
    fn events_round_trip_through_the_codec(events in prop::collection::vec(event(), 0..10)) {
        let mut codec = NdjsonDecoder::new();
        let mut buf = BytesMut::new();
        for ev in &events {
            codec.encode(ev, &mut buf).unwrap();
        }
        let frames = read_all(&buf, DecoderConfig::default());
        prop_assert_eq!(frames.len(), events.len());
        for (frame, ev) in frames.iter().zip(&events) {
            prop_assert!(frame.is_object(), "{:?}", frame.problem());
            prop_assert_eq!(&frame.to_event().unwrap(), ev);
        }
    }

    /// Sources pushed through the bulk encoder come back in order, each after its action line,
    /// and no body breaks the byte limit unless it holds one oversized item.
    #[test]
    fn bulk_bodies_round_trip_and_respect_limits(
        events in prop::collection::vec(event(), 0..30),
        max_docs in 1usize..6,
        max_bytes in 16usize..400,
    ) {
        let mut enc = BulkEncoder::new(BulkLimits { max_docs, max_bytes });
        let action = BulkAction::index().with_index("python-logs");
        let mut bodies = Vec::new();
        for ev in &events {
            bodies.extend(enc.push(&action, Some(&ev.to_json_vec())).unwrap());
        }
        bodies.extend(enc.finish());
        let mut sources = Vec::new();
        for body in &bodies {
            prop_assert!(body.docs() >= 1 && body.docs() <= max_docs);
            prop_assert!(body.len() <= max_bytes || (body.is_oversized() && body.docs() == 1));
            prop_assert_eq!(body.is_oversized(), body.len() > max_bytes);
            prop_assert!(body.as_bytes().ends_with(b"\n"));
            let lines: Vec<&[u8]> = body.as_bytes()[..body.len() - 1].split(|b| *b == b'\n').collect();
            prop_assert_eq!(lines.len(), 2 * body.docs());
            for pair in lines.chunks(2) {
                prop_assert_eq!(pair[0], &b"{\"index\":{\"_index\":\"python-logs\"}}"[..]);
                sources.push(LogEvent::from_json_slice(pair[1]).unwrap());
            }
        }
        prop_assert_eq!(sources, events);
    }

    /// Any bytes, in any chunking: no panic, every byte accounted for, frames in order, raw bytes
    /// are exactly the input's, and the reader agrees with the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r'), Just(b'{'), Just(b'}'), Just(b'"')],
            0..400,
        ),
        chunk in 1usize..50,
        max in 0usize..40,
        validate in any::<bool>(),
    ) {
        let config = DecoderConfig::default().max_line_length(max).validate(validate);
        let mut dec = NdjsonDecoder::with_config(config);
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for piece in input.chunks(chunk) {
            buf.extend_from_slice(piece);
            while let Some(f) = dec.decode(&mut buf).unwrap() {
                frames.push(f);
            }
        }
        while let Some(f) = dec.decode_eof(&mut buf).unwrap() {
            frames.push(f);
        }
        prop_assert_eq!(dec.position(), input.len() as u64);
        let mut last_end = 0u64;
        for f in &frames {
            prop_assert!(f.offset() >= last_end);
            let start = usize::try_from(f.offset()).unwrap();
            let len = usize::try_from(f.len()).unwrap();
            if let Some(raw) = f.raw() {
                prop_assert_eq!(&raw[..], &input[start..start + len]);
                prop_assert!(len <= max);
                prop_assert!(!raw.contains(&b'\n'));
            } else {
                prop_assert!(len > max);
            }
            prop_assert_eq!(f.problem().is_none(), matches!(f, Frame::Object { .. } | Frame::Unvalidated { .. }));
            last_end = f.offset() + f.len();
        }
        prop_assert_eq!(read_all(&input, config), frames);
    }

    /// A bulk response parser fed anything returns, never panics.
    #[test]
    fn arbitrary_bulk_responses_never_panic(input in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = summarize_bulk_response(&input);
        let _ = ndjson_codec::parse_bulk_response(&input);
    }
}

#[test]
fn to_event_names_the_bad_line() {
    let frames = read_all(b"{\"a\":1}\n[1]\n{\"n\":1e400}\n", DecoderConfig::default());
    assert_eq!(frames[0].to_event().unwrap().as_map()["a"], 1);
    assert_eq!(
        frames[1].to_event().unwrap_err().to_string(),
        "line 2 (byte offset 8): json value is an array, not an object"
    );
    // Valid JSON syntax the event model still refuses (out of f64 range).
    assert!(frames[2].is_object());
    let err = frames[2].to_event().unwrap_err().to_string();
    assert!(err.starts_with("line 3 (byte offset 12): "), "{err}");
    assert!(err.contains("number out of range"), "{err}");
}

#[tokio::test]
async fn framed_read_goes_on_after_bad_lines() {
    let input: &[u8] = b"{\"a\":1}\nnope\n\xff\n[]\n{\"b\":2}";
    let kinds: Vec<String> = FramedRead::new(input, NdjsonDecoder::new())
        .map(|f| {
            let f = f.expect("only I/O errors are errors");
            format!("{}:{}", f.line(), f.problem().map_or("ok", |_| "bad"))
        })
        .collect()
        .await;
    assert_eq!(kinds, ["1:ok", "2:bad", "3:bad", "4:bad", "5:ok"]);
}

/// Hands out its data, then fails once with `kind`, then reports end of stream.
struct FailingReader {
    data: Vec<u8>,
    failed: bool,
}

impl Read for FailingReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let chunk = self.fill_buf()?;
        let n = chunk.len().min(out.len());
        out[..n].copy_from_slice(&chunk[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for FailingReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.data.is_empty() && !self.failed {
            self.failed = true;
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "peer went away",
            ));
        }
        Ok(&self.data)
    }

    fn consume(&mut self, n: usize) {
        self.data.drain(..n);
    }
}

#[test]
fn reader_reports_io_errors_as_err_and_nothing_else() {
    let reader = FailingReader {
        data: b"{\"a\":1}\n{\"b\"".to_vec(),
        failed: false,
    };
    let got: Vec<String> = NdjsonReader::new(reader)
        .map(|r| match r {
            Ok(f) => format!("frame {} {}", f.line(), f.problem().is_none()),
            Err(e) => format!("err {:?} {e}", e.kind()),
        })
        .collect();
    assert_eq!(
        got,
        [
            "frame 1 true",
            "err ConnectionReset peer went away",
            "frame 2 false" // the partial last line, at the end of the stream
        ]
    );
}

#[test]
fn decoder_tracks_lines_across_calls() {
    let mut dec = NdjsonDecoder::new();
    let mut buf = BytesMut::from(&b"{}\n\n{}\n"[..]);
    while dec.decode(&mut buf).unwrap().is_some() {}
    assert_eq!((dec.lines(), dec.position()), (3, 7));
}

/// The `ndjson` fuzz target's corpus and crash reproducers (`fuzz/`), replayed through the
/// reader: every line becomes exactly one frame.
#[test]
fn fuzz_corpus_frames_every_line() {
    for (path, bytes) in test_support::fuzz_inputs("ndjson") {
        let frames = NdjsonReader::new(&bytes[..]).count();
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count();
        assert!(
            frames <= lines + 1,
            "{}: {frames} frames for {lines} lines",
            path.display()
        );
    }
}
