//! The decoder on arbitrary bytes, arbitrarily chunked: never panics, accounts for every byte,
//! hands back the input's own bytes, and agrees with the blocking reader.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ndjson_codec::{DecoderConfig, Frame, NdjsonDecoder, NdjsonReader};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(knobs & 0x1f) + 1;
    let max = usize::from(knobs >> 5) * 16; // 0..=112
    let config = DecoderConfig::default()
        .max_line_length(max)
        .validate(knobs & 1 == 0);

    let mut dec = NdjsonDecoder::with_config(config);
    let mut buf = BytesMut::new();
    let mut frames: Vec<Frame> = Vec::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(f) = dec.decode(&mut buf).expect("decoding bytes never fails") {
            frames.push(f);
        }
    }
    while let Some(f) = dec
        .decode_eof(&mut buf)
        .expect("decoding bytes never fails")
    {
        frames.push(f);
    }
    assert_eq!(dec.position(), input.len() as u64);
    for f in &frames {
        let start = usize::try_from(f.offset()).unwrap();
        let len = usize::try_from(f.len()).unwrap();
        match f.raw() {
            Some(raw) => {
                assert_eq!(&raw[..], &input[start..start + len]);
                assert!(len <= max);
                if f.is_object() {
                    // The fast scanner never calls an object what serde_json refuses.
                    assert!(serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok());
                }
            }
            None => assert!(len > max),
        }
    }
    let again: Vec<Frame> = NdjsonReader::with_config(input, config)
        .collect::<Result<_, _>>()
        .expect("reading a slice never fails");
    assert_eq!(again, frames);
});
