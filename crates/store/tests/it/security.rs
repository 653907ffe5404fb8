//! Authentication (Basic and ApiKey) and the loopback-only default.

use serde_json::json;

use crate::TestServer;
use crate::client::send;

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn credentials_are_required_when_configured() {
    let t = TestServer::with(|c| {
        c.http = std::mem::take(&mut c.http)
            .user("elastic", "changeme")
            .api_key("ingest", "k3y");
    });
    let a = t.addr();
    let r = send(a, "GET", "/_cluster/health?pretty", &[], b"");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-elastic-product"), Some("Elasticsearch"));
    assert_eq!(
        r.header_all("www-authenticate"),
        ["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"]
    );
    let reason = "missing authentication credentials for REST request [/_cluster/health?pretty]";
    let header =
        json!({"WWW-Authenticate": ["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"]});
    assert_eq!(
        r.json(),
        json!({"error": {
            "root_cause": [{"type": "security_exception", "reason": reason, "header": header}],
            "type": "security_exception", "reason": reason, "header": header}, "status": 401})
    );

    let basic = format!("Basic {}", b64("elastic:changeme"));
    assert_eq!(
        send(a, "GET", "/", &[("Authorization", &basic)], b"").status,
        200
    );
    let key = format!("ApiKey {}", b64("ingest:k3y"));
    assert_eq!(
        send(a, "GET", "/", &[("Authorization", &key)], b"").status,
        200
    );

    let wrong = format!("Basic {}", b64("elastic:nope"));
    let r = send(a, "GET", "/", &[("Authorization", &wrong)], b"");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error"]["reason"],
        "unable to authenticate user [elastic] for REST request [/]"
    );
    let wrong_key = format!("ApiKey {}", b64("ingest:nope"));
    assert_eq!(
        send(a, "GET", "/", &[("Authorization", &wrong_key)], b"").status,
        401
    );
    // Authentication comes before routing: unknown paths do not leak without credentials.
    assert_eq!(send(a, "GET", "/a/b/c/d", &[], b"").status, 401);
}

#[test]
fn non_loopback_without_credentials_is_refused() {
    use std::net::SocketAddr;
    use store::http::{Credentials, check_exposure};
    let open: SocketAddr = "0.0.0.0:9200".parse().expect("addr");
    let lo: SocketAddr = "127.0.0.1:9200".parse().expect("addr");
    let none = Credentials::default();
    let some = Credentials {
        users: vec![("u".into(), "p".into())],
        api_keys: vec![],
    };
    assert!(check_exposure(lo, &none, false).is_ok());
    assert!(check_exposure(open, &some, false).is_ok());
    assert!(check_exposure(open, &none, true).is_ok());
    let e = check_exposure(open, &none, false).expect_err("refused");
    assert!(e.reason().contains("--insecure"), "{e}");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = store::http::ServerConfig::new(dir.path()).disk_threshold(false);
    config.listen = "0.0.0.0:0".parse().expect("addr");
    assert!(store::http::spawn(config).is_err());
}
