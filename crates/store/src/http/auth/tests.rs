use super::*;

fn creds() -> Credentials {
    Credentials {
        users: vec![("elastic".into(), "s3cret:x".into())],
        api_keys: vec![("key1".into(), "k3y".into())],
    }
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn check(header: Option<&str>, expected: Result<Option<&str>, &str>) {
    let got = creds().authenticate(header.map(str::as_bytes), "/_search?q=x");
    match (got, expected) {
        (Ok(who), Ok(want)) => assert_eq!(who.as_deref(), want, "{header:?}"),
        (Err(e), Err(reason)) => {
            assert_eq!(e.status(), 401);
            assert_eq!(e.es_type(), "security_exception");
            assert_eq!(e.reason(), reason, "{header:?}");
            let body = e.to_es_body();
            assert_eq!(
                body["error"]["header"]["WWW-Authenticate"],
                serde_json::json!(CHALLENGES),
            );
        }
        (got, want) => panic!("{header:?}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn basic_and_api_key() {
    let basic = format!("Basic {}", b64("elastic:s3cret:x"));
    check(Some(&basic), Ok(Some("elastic")));
    let api = format!("ApiKey {}", b64("key1:k3y"));
    check(Some(&api), Ok(Some("key1")));
    let missing = "missing authentication credentials for REST request [/_search?q=x]";
    check(None, Err(missing));
    check(Some("Bearer abc"), Err(missing));
    check(Some("Basic !!!"), Err(missing));
    let wrong = format!("Basic {}", b64("elastic:nope"));
    check(
        Some(&wrong),
        Err("unable to authenticate user [elastic] for REST request [/_search?q=x]"),
    );
    let wrong_key = format!("ApiKey {}", b64("key1:nope"));
    check(
        Some(&wrong_key),
        Err(
            "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
        ),
    );
}

#[test]
fn off_without_credentials() {
    assert_eq!(
        Credentials::default()
            .authenticate(None, "/")
            .expect("open"),
        None
    );
}

#[test]
fn parses_pairs() {
    assert_eq!(
        Credentials::parse_pair("a:b:c"),
        Ok(("a".into(), "b:c".into()))
    );
    assert!(Credentials::parse_pair("nocolon").is_err());
    assert!(Credentials::parse_pair(":pw").is_err());
}
