//! TLS: a CA file, ES 8's CA fingerprint pinning, insecure, and the default roots refusing a
//! private CA. The fixtures in `certs/` are a throwaway CA and a node certificate for
//! localhost/127.0.0.1 (the node sends its chain with the CA, as ES 8's auto-configured TLS does).

use std::path::PathBuf;
use std::sync::Arc;

use es_client::{Client, ClientConfig, TlsConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// SHA-256 of certs/ca.crt (DER), as ES 8 prints it.
const CA_FINGERPRINT: &str = "A7:DE:CF:13:BE:1C:3D:87:85:6A:15:99:EE:7F:37:97:E0:CF:D4:C9:D8:0A:B9:4B:D4:5B:93:8D:A3:D3:5E:F0";

fn certs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/certs")
}

async fn tls_node() -> std::net::SocketAddr {
    let chain = std::fs::read(certs().join("node-chain.crt")).expect("chain");
    let key = std::fs::read(certs().join("node.key")).expect("key");
    let chain = rustls_pemfile::certs(&mut chain.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .expect("pem");
    let key = rustls_pemfile::private_key(&mut key.as_slice())
        .expect("pem")
        .expect("a key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"name":"tls-node","cluster_name":"tls","cluster_uuid":"t","version":{"number":"8.7.0"},"tagline":"You Know, for Search"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

async fn info(url: String, tls: TlsConfig) -> es_client::Result<String> {
    let mut cfg = ClientConfig::new(url);
    cfg.tls = tls;
    cfg.max_retries = 0;
    Client::new(cfg)?.info().await.map(|i| i.name)
}

fn tls(ca: Option<&str>, fingerprint: Option<&str>, insecure: bool) -> TlsConfig {
    let mut t = TlsConfig::default();
    t.ca_cert = ca.map(|f| certs().join(f));
    t.ca_fingerprint = fingerprint.map(str::to_owned);
    t.insecure = insecure;
    t
}

#[tokio::test]
async fn certificate_checks() {
    let addr = tls_node().await;
    let by_ip = format!("https://127.0.0.1:{}", addr.port());
    let by_name = format!("https://localhost:{}", addr.port());
    // Accepted.
    for (url, t) in [
        (&by_ip, tls(Some("ca.crt"), None, false)),
        (&by_name, tls(Some("ca.crt"), None, false)),
        (&by_ip, tls(None, Some(CA_FINGERPRINT), false)),
        (
            &by_ip,
            tls(
                None,
                Some(&CA_FINGERPRINT.replace(':', "").to_lowercase()),
                false,
            ),
        ),
        (&by_ip, tls(None, None, true)),
    ] {
        assert_eq!(
            info(url.clone(), t.clone())
                .await
                .unwrap_or_else(|e| panic!("{url} {t:?}: {e}")),
            "tls-node"
        );
    }
    // Refused.
    let wrong = CA_FINGERPRINT.replace("A7:DE", "00:00");
    let err = info(by_ip.clone(), tls(None, Some(&wrong), false))
        .await
        .expect_err("wrong pin");
    assert!(err.to_string().contains("fingerprint"), "{err}");
    let err = info(by_ip.clone(), TlsConfig::default())
        .await
        .expect_err("private CA");
    assert!(err.to_string().to_lowercase().contains("unknown"), "{err}");
    // A PEM file without a certificate is refused.
    assert!(
        info(by_ip.clone(), tls(Some("node.key"), None, false))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn bad_tls_options_are_clear_errors() {
    let mut cfg = ClientConfig::new("https://127.0.0.1:9200");
    cfg.tls = tls(None, Some("abc"), false);
    let err = Client::new(cfg).expect_err("short fingerprint");
    assert!(err.to_string().contains("64 hex digits"), "{err}");
    let mut cfg = ClientConfig::new("https://127.0.0.1:9200");
    cfg.tls = tls(Some("missing.pem"), None, false);
    let err = Client::new(cfg).expect_err("missing file");
    assert!(err.to_string().contains("missing.pem"), "{err}");
}
