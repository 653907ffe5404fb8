//! Reading a request body within a size limit, a timeout and a shared [`Budget`].

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Body;
use tokio::time::Instant;

use crate::{Budget, Error, Reservation, Result};

/// Limits of one request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BodyLimits {
    /// Largest body in bytes; a larger one (declared or received) is refused with
    /// [`Error::TooLarge`]. It also bounds how much of a refused body is read and discarded.
    /// Default: 100 MiB (Elasticsearch's `http.max_content_length`).
    pub max_bytes: usize,
    /// A body that sends nothing for this long is abandoned with [`Error::Timeout`] (a stalled
    /// client cannot hold its share of the budget forever). Default: 30 s.
    pub idle_timeout: Duration,
    /// A body that takes longer than this in all is abandoned with [`Error::Timeout`].
    /// Default: `None` (a slow but steady client may take its time).
    pub total_timeout: Option<Duration>,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_bytes: 100 << 20,
            idle_timeout: Duration::from_secs(30),
            total_timeout: None,
        }
    }
}

impl BodyLimits {
    /// The defaults with `max_bytes` as the size limit.
    #[must_use]
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        BodyLimits {
            max_bytes,
            ..BodyLimits::default()
        }
    }
}

/// Reads a request body chunk by chunk, charging each chunk to `budget` as it arrives (a client
/// that declares a large body and stalls holds only what it sent), and returns it with its
/// reservation (released when dropped; the caller keeps it while it holds the body).
///
/// The declared length (`Content-Length`, the body's exact size hint) is checked first and
/// allocated at once: pages never touched cost no memory, and the body is not copied on every
/// doubling of a growing buffer.
///
/// When the body is refused as too large or over budget, the reservation and what was read are
/// dropped, and the rest of the body is read and discarded (at most [`BodyLimits::max_bytes`],
/// each chunk within the idle timeout) so that the client, still sending, gets to read the
/// error answer instead of a broken pipe. A body that *declares* a length over the limit is
/// refused before anything is read (answer it with `Connection: close`: it is not discarded).
///
/// # Errors
/// [`Error::TooLarge`], [`Error::OverBudget`], [`Error::Timeout`], or [`Error::Io`] when the
/// connection fails.
pub async fn read_body<B>(
    mut body: B,
    budget: &Budget,
    limits: &BodyLimits,
) -> Result<(Bytes, Reservation)>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limit = limits.max_bytes;
    let declared = body.size_hint().exact();
    if let Some(len) = declared
        && len > limit as u64
    {
        return Err(Error::TooLarge {
            received: len,
            limit,
        });
    }
    let capacity = declared.map_or(0, |l| usize::try_from(l).unwrap_or(limit).min(limit));
    let mut buf = BytesMut::with_capacity(capacity);
    let mut reservation = budget.reservation();
    let deadline = limits.total_timeout.map(|t| (Instant::now() + t, t));
    loop {
        let data = match next_chunk(&mut body, limits, deadline).await {
            Next::Data(d) => d,
            Next::End => break,
            Next::Stalled(after) => {
                return Err(Error::Timeout {
                    read: buf.len(),
                    after,
                });
            }
            Next::Failed(e) => return Err(Error::Io(e)),
        };
        let received = buf.len() + data.len();
        let refused = if received > limit {
            Err(Error::TooLarge {
                received: received as u64,
                limit,
            })
        } else {
            reservation.grow(data.len())
        };
        if let Err(e) = refused {
            drop(reservation);
            drop(buf);
            drain(&mut body, limits).await;
            return Err(e);
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf.freeze(), reservation))
}

enum Next {
    Data(Bytes),
    End,
    Stalled(Duration),
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

/// The next data chunk (trailers skipped), within the idle timeout and the total deadline.
async fn next_chunk<B>(
    body: &mut B,
    limits: &BodyLimits,
    deadline: Option<(Instant, Duration)>,
) -> Next
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        let idle_end = Instant::now() + limits.idle_timeout;
        let (until, after) = match deadline {
            Some((end, total)) if end < idle_end => (end, total),
            _ => (idle_end, limits.idle_timeout),
        };
        let frame = match tokio::time::timeout_at(until, body.frame()).await {
            Err(_) => return Next::Stalled(after),
            Ok(None) => return Next::End,
            Ok(Some(Err(e))) => return Next::Failed(e.into()),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            return Next::Data(data);
        }
    }
}

/// Reads and discards the rest of a refused body: at most `max_bytes`, each chunk within the
/// idle timeout.
async fn drain<B>(body: &mut B, limits: &BodyLimits)
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut seen = 0usize;
    while seen <= limits.max_bytes {
        match next_chunk(body, limits, None).await {
            Next::Data(d) => seen += d.len(),
            Next::End | Next::Stalled(_) | Next::Failed(_) => return,
        }
    }
    tracing::debug!(discarded = seen, "stopped discarding a refused body");
}

#[cfg(test)]
mod tests;
