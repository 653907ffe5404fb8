//! Elasticsearch's error answers: unknown routes and methods, unknown parameters, bad JSON,
//! bad bulk bodies, media types and the body limit. No input panics the server.

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, ndjson, send};

fn check(
    t: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    status: u16,
    expected: &Value,
) {
    let r = send(t.addr(), method, path, headers, body);
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
    assert_eq!(
        r.header("x-elastic-product"),
        Some("Elasticsearch"),
        "{method} {path}"
    );
    assert_eq!(&r.json(), expected, "{method} {path}");
}

fn es_error(status: u16, kind: &str, reason: &str) -> Value {
    json!({"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}, "status": status})
}

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

#[test]
fn routing_errors() {
    let t = TestServer::start();
    check(
        &t,
        "GET",
        "/a/b/c/d?x=1",
        &[],
        b"",
        400,
        &json!({"error": "no handler found for uri [/a/b/c/d?x=1] and method [GET]"}),
    );
    check(
        &t,
        "POST",
        "/_cat/nothing",
        &[],
        b"",
        400,
        &json!({"error": "no handler found for uri [/_cat/nothing] and method [POST]"}),
    );
    let r = send(t.addr(), "GET", "/logs/_doc", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert_eq!(
        r.json(),
        json!({"error": "Incorrect HTTP method for uri [/logs/_doc] and method [GET], allowed: [POST]", "status": 405})
    );
    let r = send(t.addr(), "DELETE", "/_bulk", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST,PUT"));
    let r = send(t.addr(), "OPTIONS", "/", &[], b"");
    assert_eq!((r.status, r.header("allow")), (200, Some("GET,HEAD")));
}

#[test]
fn unknown_parameters_are_refused() {
    let t = TestServer::start();
    check(
        &t,
        "GET",
        "/_search?sise=3",
        &[],
        b"",
        400,
        &es_error(
            400,
            "illegal_argument_exception",
            "request [/_search] contains unrecognized parameter: [sise] -> did you mean [size]?",
        ),
    );
    check(
        &t,
        "PUT",
        "/logs?foo=1&bar=2",
        &[],
        b"",
        400,
        &es_error(
            400,
            "illegal_argument_exception",
            "request [/logs] contains unrecognized parameters: [foo], [bar]",
        ),
    );
    check(
        &t,
        "GET",
        "/?pretty=maybe",
        &[],
        b"",
        400,
        &es_error(
            400,
            "illegal_argument_exception",
            "Failed to parse value [maybe] as only [true] or [false] are allowed.",
        ),
    );
    // The response-shaping parameters are accepted everywhere.
    assert_eq!(
        get(
            t.addr(),
            "/?pretty&human&error_trace=false&filter_path=tagline"
        )
        .json(),
        json!({"tagline": "You Know, for Search"})
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let t = TestServer::start();
    let r = send(
        t.addr(),
        "POST",
        "/_search",
        JSON,
        b"{\n  \"query\": {\"match_all\": {}\n",
    );
    assert_eq!(r.status, 400);
    let e = r.json();
    assert_eq!(e["error"]["type"], "x_content_parse_exception");
    assert!(
        e["error"]["reason"]
            .as_str()
            .expect("reason")
            .starts_with("[3:"),
        "{e}"
    );
    let r = send(t.addr(), "PUT", "/logs", JSON, b"[1,2]");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "parse_exception");
    // Nesting is bounded: a deep document is refused, not a stack overflow.
    let deep = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let r = send(t.addr(), "POST", "/_search", JSON, deep.as_bytes());
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "x_content_parse_exception");
    let r = send(t.addr(), "POST", "/logs/_doc", JSON, b"");
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json(),
        es_error(400, "parse_exception", "request body is required")
    );
    // The server is still fine.
    assert_eq!(get(t.addr(), "/").status, 200);
}

#[test]
fn bulk_body_errors_are_es_errors() {
    let t = TestServer::start();
    let a = t.addr();
    let cases: &[(&str, &str, &str)] = &[
        (
            "{\"index\":{}}\n{\"a\":1}",
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        ),
        (
            "\"index\"\n{\"a\":1}\n",
            "illegal_argument_exception",
            "Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]",
        ),
        (
            "{\"index\":{}}\n{\"a\":1}\n{\"nope\":{}}\n",
            "illegal_argument_exception",
            "Malformed action/metadata line [3], expected field [create], [delete], [index] or [update] but found [nope]",
        ),
        (
            "{\"index\":{\"_type\":\"x\"}}\n{}\n",
            "illegal_argument_exception",
            "Action/metadata line [1] contains an unknown parameter [_type]",
        ),
    ];
    for (body, kind, reason) in cases {
        let r = ndjson(a, "/logs/_bulk", body);
        assert_eq!(
            (r.status, r.json()),
            (400, es_error(400, kind, reason)),
            "{body:?}"
        );
    }
    let r = ndjson(a, "/_bulk", "{\"index\":{}}\n{}\n");
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            es_error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index is missing;"
            )
        )
    );
    // Nothing of a refused request was written.
    assert_eq!(send(a, "HEAD", "/logs", &[], b"").status, 404);
}

#[test]
fn media_types_and_body_limit() {
    let t = TestServer::with(|c| c.http.max_body_bytes = 1024);
    let a = t.addr();
    check(
        &t,
        "POST",
        "/_search",
        &[("Content-Type", "text/plain")],
        b"{}",
        406,
        &json!({"error": "Content-Type header [text/plain] is not supported", "status": 406}),
    );
    check(
        &t,
        "POST",
        "/_search",
        &[],
        b"{}",
        406,
        &json!({"error": "Content-Type header is missing", "status": 406}),
    );
    let big = vec![b' '; 2048];
    let r = send(a, "POST", "/_search", JSON, &big);
    assert_eq!(r.status, 413);
    let e = r.json();
    assert_eq!(e["status"], 413);
    assert!(
        e["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("1024"),
        "{e}"
    );
    let r = send(
        a,
        "POST",
        "/_search",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "br"),
        ],
        b"{}",
    );
    assert_eq!(r.status, 400);
    // Not gzip at all.
    let r = send(
        a,
        "POST",
        "/_search",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        b"{}",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "parse_exception");
    // A small gzip body that inflates past the limit (a "zip bomb") is refused with 413.
    let bomb = gzip(&vec![b' '; 64 * 1024]);
    assert!(bomb.len() < 1024);
    let r = send(
        a,
        "POST",
        "/_search",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        &bomb,
    );
    assert_eq!(r.status, 413);
    // Chunked bodies are limited too (no Content-Length to check up front).
    let mut chunked = Vec::new();
    for _ in 0..4 {
        chunked.extend_from_slice(format!("{:x}\r\n", 512).as_bytes());
        chunked.extend_from_slice(&[b' '; 512]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = send(
        a,
        "POST",
        "/_search",
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
        &chunked,
    );
    assert_eq!(r.status, 413);
    assert_eq!(get(a, "/").status, 200);
}

#[test]
fn garbage_on_the_wire_does_not_hurt_the_server() {
    use std::io::{Read, Write};
    let t = TestServer::start();
    for junk in [
        &b"\x00\x01\x02 garbage\r\n\r\n"[..],
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",
    ] {
        let mut s = std::net::TcpStream::connect(t.addr()).expect("connect");
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        let _ = s.write_all(junk);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    assert_eq!(get(t.addr(), "/").status, 200);
}

#[test]
fn in_flight_bodies_are_bounded_with_429() {
    use std::io::{Read, Write};
    let t = TestServer::with(|c| {
        c.http.max_body_bytes = 10_000;
        c.store.indexing_pressure_memory_limit = 1_000;
    });
    let a = t.addr();
    let body = format!("{{\"size\":0{}}}", " ".repeat(890));
    assert_eq!(body.len(), 900);
    // Request A sends half of its 900 bytes and waits; request B (900 bytes) comes meanwhile.
    // The budget is taken as bytes arrive (a stalled client holds only what it sent), so
    // whichever of the two reaches the server second cannot fit beside the other: ES's
    // in-flight breaker answer, delivered after its body was read. When they do not overlap
    // at all, both pass and the round is tried again.
    let mut refusals = Vec::new();
    for _round in 0..50 {
        let mut slow = std::net::TcpStream::connect(a).expect("connect");
        write!(
            slow,
            "POST /_search HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{}",
            &body[..450]
        )
        .expect("write");
        let b = send(a, "POST", "/_search", JSON, body.as_bytes());
        slow.write_all(&body.as_bytes()[450..]).expect("write rest");
        let mut raw = String::new();
        slow.read_to_string(&mut raw).expect("read");
        let a_status: u16 = raw
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .expect("status line");
        match (a_status, b.status) {
            (200, 200) => continue,
            (200, 429) => refusals.push(b.json()),
            (429, 200) => {
                let json_start = raw.find("\r\n\r\n").expect("head end") + 4;
                refusals.push(serde_json::from_str(&raw[json_start..]).expect("json"));
            }
            other => panic!("unexpected statuses (A, B) = {other:?}: {raw}"),
        }
        break;
    }
    let e = refusals
        .first()
        .expect("the two requests overlapped in 50 rounds");
    assert_eq!(e["error"]["type"], "circuit_breaking_exception");
    assert_eq!(e["error"]["bytes_limit"], 1000);
    assert!(
        e["error"]["reason"].as_str().expect("reason").starts_with(
            "[in_flight_requests] Data too large, data for [<http_request>] would be [1350/1.3kb]"
        ),
        "{e}"
    );
    // nothing is held afterwards: a request of the whole budget's size passes
    assert_eq!(
        send(a, "POST", "/_search", JSON, body.as_bytes()).status,
        200
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

#[test]
fn compressed_bodies_are_accepted() {
    // Logstash's elasticsearch output gzips its _bulk bodies by default.
    let t = TestServer::start();
    let body = "{\"index\":{\"_index\":\"gz\"}}\n{\"user\":\"user1\"}\n{\"index\":{\"_index\":\"gz\"}}\n{\"user\":\"user2\"}\n";
    let r = send(
        t.addr(),
        "POST",
        "/_bulk?refresh=true",
        &[
            ("Content-Type", "application/x-ndjson"),
            ("Content-Encoding", "gzip"),
        ],
        &gzip(body.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["errors"], false);
    assert_eq!(get(t.addr(), "/gz/_count").json()["count"], 2);
}
