use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::NdjsonDecoder;
use crate::{DecoderConfig, Frame};

/// One frame as a line of text: `line@offset kind detail`.
fn show(f: &Frame) -> String {
    let text = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
    match f {
        Frame::Object { raw, offset, line } => format!("{line}@{offset} object {}", text(raw)),
        Frame::Unvalidated { raw, offset, line } => {
            format!("{line}@{offset} unvalidated {}", text(raw))
        }
        Frame::InvalidJson {
            raw,
            offset,
            line,
            error,
        } => format!("{line}@{offset} invalid_json {} ({error})", text(raw)),
        Frame::InvalidUtf8 {
            raw,
            offset,
            line,
            valid_up_to,
        } => format!(
            "{line}@{offset} invalid_utf8 {} (valid up to {valid_up_to})",
            text(raw)
        ),
        Frame::NotAnObject {
            raw,
            offset,
            line,
            found,
        } => format!("{line}@{offset} not_an_object {found} {}", text(raw)),
        Frame::TooLong { len, offset, line } => format!("{line}@{offset} too_long {len}"),
    }
}

/// Decodes `input` fed in chunks of `chunk` bytes, then end of stream.
fn decode_chunked(input: &[u8], config: DecoderConfig, chunk: usize) -> Vec<String> {
    let mut dec = NdjsonDecoder::with_config(config);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(f) = dec.decode(&mut buf).expect("decode never fails on bytes") {
            out.push(show(&f));
        }
    }
    while let Some(f) = dec
        .decode_eof(&mut buf)
        .expect("decode never fails on bytes")
    {
        out.push(show(&f));
    }
    assert!(buf.is_empty(), "decoder left {} bytes unread", buf.len());
    assert_eq!(dec.position(), input.len() as u64);
    out
}

/// Same outcome whether the input arrives whole, byte by byte, or in 3-byte pieces.
fn check_with(config: DecoderConfig, input: &[u8], expected: &[&str]) {
    for chunk in [input.len(), 1, 3] {
        let got = decode_chunked(input, config, chunk);
        assert_eq!(got, expected, "input {input:?} in chunks of {chunk}");
    }
}

fn check(input: &[u8], expected: &[&str]) {
    check_with(DecoderConfig::default(), input, expected);
}

#[test]
fn good_lines() {
    check(b"", &[]);
    check(b"{\"a\":1}\n", &["1@0 object {\"a\":1}"]);
    check(b"{\"a\":1}", &["1@0 object {\"a\":1}"]); // final line without newline
    check(
        b"{\"a\":1}\r\n{\"b\":2}\r\n",
        &["1@0 object {\"a\":1}", "2@9 object {\"b\":2}"],
    );
    check(b"{\"b\":2}\r", &["1@0 object {\"b\":2}"]); // final `\r` stripped too
    check(b"  {}  \n", &["1@0 object   {}  "]);
    check(
        "{\"msg\":\"héllo ☃\"}\n".as_bytes(),
        &["1@0 object {\"msg\":\"héllo ☃\"}"],
    );
    check(
        b"{\"a\":{\"b\":[1,2,{\"c\":null}]}}\n",
        &["1@0 object {\"a\":{\"b\":[1,2,{\"c\":null}]}}"],
    );
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    check(b"\n\n  \t\r\n{}\n\n", &["4@7 object {}"]);
    check(b"\r\n", &[]);
    check(b"   ", &[]); // final blank line without newline
    check(b"{}\n\n{}\n", &["1@0 object {}", "3@4 object {}"]);
}

#[test]
fn invalid_json_is_an_item() {
    check(
        b"{\"a\":}\n{}\n",
        &[
            "1@0 invalid_json {\"a\":} (expected value at column 6)",
            "2@7 object {}",
        ],
    );
    check(
        b"{\"a\":1} x\n",
        &["1@0 invalid_json {\"a\":1} x (trailing characters at column 9)"],
    );
    check(
        b"{\"a\":1",
        &["1@0 invalid_json {\"a\":1 (EOF while parsing an object at column 6)"],
    );
    check(
        b"hello world\n",
        &["1@0 invalid_json hello world (expected value at column 1)"],
    );
    check(
        b"{\"a\":\"x\"}\r{\"b\":1}\n",
        &["1@0 invalid_json {\"a\":\"x\"}\r{\"b\":1} (trailing characters at column 11)"],
    );
    check(
        b"{\"a\":\"tab\there\"}\n",
        &[
            "1@0 invalid_json {\"a\":\"tab\there\"} (control character (\\u0000-\\u001F) found while parsing a string at column 9)",
        ],
    );
}

#[test]
fn deep_nesting_is_checked_without_recursion() {
    // serde_json skips ignored values with an explicit stack: no depth limit, no stack overflow.
    let depth = 100_000;
    let deep = format!("{}1{}\n", "{\"a\":".repeat(depth), "}".repeat(depth));
    let got = decode_chunked(deep.as_bytes(), DecoderConfig::default(), usize::MAX);
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("1@0 object {\"a\":{\"a\":"),
        "{}",
        &got[0][..40]
    );
    let unbalanced = format!("{}1{}\n", "[".repeat(depth), "]".repeat(depth - 1));
    let got = decode_chunked(unbalanced.as_bytes(), DecoderConfig::default(), usize::MAX);
    assert!(
        got[0].ends_with(&format!(
            "(EOF while parsing a list at column {})",
            2 * depth
        )),
        "{}",
        &got[0][got[0].len() - 60..]
    );
}

#[test]
fn invalid_utf8_is_an_item() {
    check(
        b"{\"a\":\"\xff\"}\n{}\n",
        &[
            "1@0 invalid_utf8 {\"a\":\"\u{fffd}\"} (valid up to 6)",
            "2@10 object {}",
        ],
    );
    // Invalid UTF-8 wins over invalid JSON.
    check(b"\xc3(\n", &["1@0 invalid_utf8 \u{fffd}( (valid up to 0)"]);
}

#[test]
fn json_that_is_not_an_object_is_an_item() {
    check(
        b"[1]\n\"x\"\n3\n-1.5e3\ntrue\nfalse\nnull\n",
        &[
            "1@0 not_an_object array [1]",
            "2@4 not_an_object string \"x\"",
            "3@8 not_an_object number 3",
            "4@10 not_an_object number -1.5e3",
            "5@17 not_an_object boolean true",
            "6@22 not_an_object boolean false",
            "7@28 not_an_object null null",
        ],
    );
    check(b" [ ] \n", &["1@0 not_an_object array  [ ] "]);
}

#[test]
fn over_long_lines_are_discarded_and_reported() {
    let max8 = DecoderConfig::default().max_line_length(8);
    // Exactly at the limit: kept; with `\r\n` too.
    check_with(max8, b"{\"a\":12}\n", &["1@0 object {\"a\":12}"]);
    check_with(max8, b"{\"a\":12}\r\n", &["1@0 object {\"a\":12}"]);
    check_with(max8, b"{\"a\":12}", &["1@0 object {\"a\":12}"]);
    // One byte over.
    check_with(
        max8,
        b"{\"ab\":12}\n{}\n",
        &["1@0 too_long 9", "2@10 object {}"],
    );
    check_with(
        max8,
        b"{\"ab\":12}\r\n{}\r\n",
        &["1@0 too_long 9", "2@11 object {}"],
    );
    // Much longer, across many chunks, then more lines.
    let mut input = vec![b'x'; 100];
    input.extend_from_slice(b"\r\n[1]\n");
    check_with(
        max8,
        &input,
        &["1@0 too_long 100", "2@102 not_an_object array [1]"],
    );
    // An over-long final line without newline.
    check_with(max8, &[b'y'; 50], &["1@0 too_long 50"]);
    check_with(
        max8,
        b"{}\n123456789\r",
        &["1@0 object {}", "2@3 too_long 9"],
    );
    // An over-long line of blanks is still over-long, not blank.
    check_with(max8, &[b' '; 20], &["1@0 too_long 20"]);
}

#[test]
fn over_long_lines_do_not_grow_the_buffer() {
    let mut dec = NdjsonDecoder::with_config(DecoderConfig::default().max_line_length(16));
    let mut buf = BytesMut::new();
    for _ in 0..1000 {
        buf.extend_from_slice(&[b'z'; 100]);
        assert_eq!(dec.decode(&mut buf).unwrap(), None);
        assert!(buf.len() <= 100, "buffer holds {} bytes", buf.len());
    }
    buf.extend_from_slice(b"\n{}\n");
    assert_eq!(
        dec.decode(&mut buf).unwrap().map(|f| show(&f)).as_deref(),
        Some("1@0 too_long 100000")
    );
    assert_eq!(
        dec.decode(&mut buf).unwrap().map(|f| show(&f)).as_deref(),
        Some("2@100001 object {}")
    );
}

#[test]
fn without_validation_lines_are_only_framed() {
    let cfg = DecoderConfig::default().validate(false);
    check_with(
        cfg,
        b"{\"a\":1}\r\nnot json\n\n\xff\n",
        &[
            "1@0 unvalidated {\"a\":1}",
            "2@9 unvalidated not json",
            "4@19 unvalidated \u{fffd}",
        ],
    );
    check_with(
        cfg.max_line_length(2),
        b"abc\nab\n",
        &["1@0 too_long 3", "2@4 unvalidated ab"],
    );
}

#[test]
fn every_bad_kind_in_one_stream_and_the_stream_goes_on() {
    let cfg = DecoderConfig::default().max_line_length(32);
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"level\":\"INFO\"}\n"); // 0..17
    input.extend_from_slice(b"{oops}\n"); // 17..24
    input.extend_from_slice(b"\xfe\xff\n"); // 24..27
    input.extend_from_slice(b"42\n"); // 27..30
    input.extend_from_slice(&[b'a'; 40]); // 30..70
    input.extend_from_slice(b"\n{\"level\":\"ERROR\"}"); // 70..89
    check_with(
        cfg,
        &input,
        &[
            "1@0 object {\"level\":\"INFO\"}",
            "2@17 invalid_json {oops} (key must be a string at column 2)",
            "3@24 invalid_utf8 \u{fffd}\u{fffd} (valid up to 0)",
            "4@27 not_an_object number 42",
            "5@30 too_long 40",
            "6@71 object {\"level\":\"ERROR\"}",
        ],
    );
}

#[test]
fn problems_name_line_and_offset() {
    let problems: Vec<Option<String>> = crate::NdjsonReader::with_config(
        &b"{}\n{x\n\xff\n\"s\"\n0123456789\n"[..],
        DecoderConfig::default().max_line_length(5),
    )
    .map(|f| f.unwrap().problem())
    .collect();
    assert_eq!(
        problems,
        [
            None,
            Some("line 2 (byte offset 3): invalid json: key must be a string at column 2".to_owned()),
            Some("line 3 (byte offset 6): invalid utf-8 at byte 0 of the line (stream byte offset 6)".to_owned()),
            Some("line 4 (byte offset 8): json value is a string, not an object".to_owned()),
            Some("line 5 (byte offset 12): line is 10 bytes, longer than the limit; discarded".to_owned()),
        ]
    );
}

#[test]
fn encoder_writes_lines_and_refuses_embedded_newlines() {
    let mut dec = NdjsonDecoder::new();
    let mut out = BytesMut::new();
    dec.encode(&b"{\"a\":1}"[..], &mut out).unwrap();
    dec.encode(bytes::Bytes::from_static(b"{}"), &mut out)
        .unwrap();
    assert_eq!(&out[..], b"{\"a\":1}\n{}\n");
    let err = dec.encode(&b"{\"a\":\n1}"[..], &mut out).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(err.to_string(), "ndjson line contains a newline at byte 5");
    assert_eq!(&out[..], b"{\"a\":1}\n{}\n", "nothing written on error");
}
