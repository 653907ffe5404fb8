use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Frame, Incoming, SizeHint};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::*;
use crate::ServeConfig;
use crate::testing::{DEADLINE, Server, read_response, text};

/// A body fed chunk by chunk by the test; ends when the sender is dropped.
struct Fed {
    rx: mpsc::Receiver<Bytes>,
    exact: Option<u64>,
}

fn fed(exact: Option<u64>) -> (mpsc::Sender<Bytes>, Fed) {
    let (tx, rx) = mpsc::channel(16);
    (tx, Fed { rx, exact })
}

impl Body for Fed {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }

    fn size_hint(&self) -> SizeHint {
        self.exact
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

#[tokio::test]
async fn a_body_is_charged_as_it_arrives_and_released_with_its_reservation() {
    let budget = Budget::new(100);
    let (tx, body) = fed(Some(1_000));
    let reader = {
        let budget = budget.clone();
        tokio::spawn(async move { read_body(body, &budget, &BodyLimits::default()).await })
    };
    tx.send(Bytes::from_static(&[b'a'; 10]))
        .await
        .expect("send");
    // A client that declared 1,000 bytes and sent 10 holds 10, not 1,000.
    timeout(DEADLINE, async {
        while budget.used() != 10 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the first chunk charged");
    let beside = budget.reserve(50).expect("room beside the 10 bytes sent");
    let e = budget.reserve(41).expect_err("100 would be passed");
    assert!(
        matches!(
            e,
            Error::OverBudget {
                wanted: 101,
                limit: 100
            }
        ),
        "{e:?}"
    );
    drop(beside);
    tx.send(Bytes::from_static(&[b'b'; 5])).await.expect("send");
    drop(tx);
    let (bytes, held) = reader.await.expect("join").expect("read");
    assert_eq!(&bytes[..], b"aaaaaaaaaabbbbb");
    assert_eq!((held.bytes(), budget.used()), (15, 15));
    drop(held);
    assert_eq!(budget.used(), 0);
}

#[tokio::test]
async fn too_large_bodies_are_refused_declared_or_received() {
    let budget = Budget::new(1 << 20);
    let limits = BodyLimits::with_max_bytes(8);
    let (_tx, declared) = fed(Some(9));
    match read_body(declared, &budget, &limits).await {
        Err(Error::TooLarge {
            received: 9,
            limit: 8,
        }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let (tx, streamed) = fed(None);
    tx.send(Bytes::from_static(b"12345")).await.expect("send");
    tx.send(Bytes::from_static(b"6789")).await.expect("send");
    drop(tx);
    let e = read_body(streamed, &budget, &limits)
        .await
        .expect_err("9 > 8");
    assert!(
        matches!(
            e,
            Error::TooLarge {
                received: 9,
                limit: 8
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.status(), 413);
    assert_eq!(budget.used(), 0, "a refused body holds nothing");
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_times_out_and_a_slow_one_meets_the_total_timeout() {
    let budget = Budget::new(1 << 20);
    let mut limits = BodyLimits {
        idle_timeout: Duration::from_secs(30),
        ..BodyLimits::default()
    };
    let (tx, stalled) = fed(Some(100));
    tx.send(Bytes::from_static(b"only this"))
        .await
        .expect("send");
    let e = read_body(stalled, &budget, &limits)
        .await
        .expect_err("stalled");
    assert!(
        matches!(e, Error::Timeout { read: 9, after } if after == Duration::from_secs(30)),
        "{e:?}"
    );
    assert!(e.is_timeout() && e.status() == 408);
    drop(tx);

    // One byte every second: never idle for 30 s, but over a total of 5 s.
    limits.total_timeout = Some(Duration::from_secs(5));
    let (tx, slow) = fed(None);
    let trickle = tokio::spawn(async move {
        while tx.send(Bytes::from_static(b"x")).await.is_ok() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let e = read_body(slow, &budget, &limits)
        .await
        .expect_err("too slow");
    match e {
        Error::Timeout { read, after } => {
            assert_eq!(after, Duration::from_secs(5));
            assert!((4..=6).contains(&read), "{read} bytes in 5 s");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    trickle.abort();
    assert_eq!(budget.used(), 0);
}

/// A server that reads bodies with `read_body` and answers with the error's status.
async fn body_server(budget: &Budget, limits: BodyLimits) -> Server {
    let budget = budget.clone();
    Server::start(
        ServeConfig::new("test"),
        move |req: hyper::Request<Incoming>, _peer| {
            let budget = budget.clone();
            async move {
                match read_body(req.into_body(), &budget, &limits).await {
                    Ok((body, _held)) => text(200, format!("{} bytes", body.len())),
                    Err(e) => text(e.status(), e.to_string()),
                }
            }
        },
    )
    .await
}

/// Sends `body` (with `Content-Length`, or chunked) while reading the answer, as a client that
/// writes its whole request before it reads does: the write must not fail with a broken pipe.
/// The connection stays open both ways until the answer is read (a client that shuts its
/// writing side down early would be taken as gone).
async fn post(addr: std::net::SocketAddr, body: Vec<u8>, chunked: bool) -> (u16, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        if chunked {
            write
                .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await?;
            for piece in body.chunks(64 << 10) {
                write
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                write.write_all(piece).await?;
                write.write_all(b"\r\n").await?;
            }
            write.write_all(b"0\r\n\r\n").await?;
        } else {
            let head = format!(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            write.write_all(head.as_bytes()).await?;
            write.write_all(&body).await?;
        }
        Ok::<_, std::io::Error>(write)
    });
    let mut reader = BufReader::new(read);
    let answer = timeout(DEADLINE, read_response(&mut reader))
        .await
        .expect("answered in time")
        .expect("an answer, not a broken connection");
    let _still_open = timeout(DEADLINE, writer)
        .await
        .expect("written in time")
        .expect("join")
        .expect("the whole body was written: no broken pipe");
    answer
}

#[tokio::test]
async fn a_body_over_budget_is_read_to_its_end_so_the_client_reads_the_429() {
    let budget = Budget::new(1 << 20);
    let s = body_server(&budget, BodyLimits::default()).await;
    let other = budget.reserve(1).expect("another request holds a byte");
    let (status, text) = post(s.addr, vec![b'x'; 8 << 20], false).await;
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("over the limit of 1048576 bytes"), "{text}");
    assert_eq!(budget.used(), 1, "the refused body gave its bytes back");
    drop(other);
    let (status, text) = post(s.addr, vec![b'x'; 8 << 20], true).await;
    assert_eq!(
        (status, text.as_str()),
        (200, "8388608 bytes"),
        "alone it passes"
    );
    assert_eq!(budget.used(), 0);
}

#[tokio::test]
async fn a_streamed_body_over_the_size_limit_is_discarded_so_the_client_reads_the_413() {
    let budget = Budget::new(usize::MAX);
    let s = body_server(&budget, BodyLimits::with_max_bytes(4 << 20)).await;
    let (status, text) = post(s.addr, vec![b'x'; 6 << 20], true).await;
    assert_eq!(status, 413, "{text}");
    assert!(
        text.contains("larger than the limit of 4194304 bytes"),
        "{text}"
    );
}

#[tokio::test]
async fn a_stalled_client_gets_a_408_and_frees_its_bytes() {
    let budget = Budget::new(1 << 20);
    let limits = BodyLimits {
        idle_timeout: Duration::from_millis(200),
        ..BodyLimits::default()
    };
    let s = body_server(&budget, limits).await;
    let mut c = BufReader::new(TcpStream::connect(s.addr).await.expect("connect"));
    c.get_mut()
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .expect("write");
    let (status, text) = timeout(DEADLINE, read_response(&mut c))
        .await
        .expect("answered in time")
        .expect("answer");
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("(10 bytes read)"), "{text}");
    assert_eq!(budget.used(), 0);
}
