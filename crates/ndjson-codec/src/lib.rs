//! Newline-delimited JSON for log pipelines: framing (a tokio-util codec and a blocking reader),
//! the Elasticsearch `_bulk` request body encoder and the `_bulk` response parser.
//!
//! # Reading NDJSON
//!
//! Every line comes back as a [`Frame`]. A good line is [`Frame::Object`], holding the line's raw
//! bytes (already checked to be one UTF-8 JSON object); a bad line is one of the other variants,
//! with its bytes (or length) and where it was (`line`, byte `offset`). Bad lines never end
//! the stream: `Err` means I/O failed, nothing else.
//!
//! ```
//! use ndjson_codec::{Frame, NdjsonReader};
//!
//! let input = b"{\"level\":\"INFO\",\"user\":\"user1\"}\r\n\n[1,2]\n{\"level\":\"ERROR\"";
//! let mut objects = Vec::new();
//! let mut problems = Vec::new();
//! for frame in NdjsonReader::new(&input[..]) {
//!     let frame = frame?; // only I/O errors
//!     match frame.problem() {
//!         None => objects.push(frame),
//!         Some(problem) => problems.push(problem),
//!     }
//! }
//! assert_eq!(objects.len(), 1);
//! assert_eq!(problems, [
//!     "line 3 (byte offset 34): json value is an array, not an object",
//!     "line 4 (byte offset 40): invalid json: EOF while parsing an object at column 16",
//! ]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! With tokio, [`NdjsonDecoder`] is the same thing as a
//! [`tokio_util::codec::Decoder`]: `FramedRead::new(socket, NdjsonDecoder::new())`.
//! Both take a [`DecoderConfig`]; lines over 1 MiB are refused by default.
//!
//! # Writing `_bulk` bodies
//!
//! [`BulkEncoder`] turns actions and raw sources into request bodies, split by item count and
//! by bytes ([`BulkLimits`]). Sources are copied as they are: a line read with
//! [`NdjsonReader`] goes to Elasticsearch without being parsed into a tree and serialised again.
//!
//! ```
//! use ndjson_codec::{BulkAction, BulkEncoder, BulkLimits, Frame, NdjsonReader};
//!
//! let input = b"{\"user\":\"user1\"}\n{\"user\":\"user2\"}\n";
//! let mut enc = BulkEncoder::new(BulkLimits::default());
//! let action = BulkAction::index().with_index("python-logs");
//! let mut bodies = Vec::new();
//! for frame in NdjsonReader::new(&input[..]) {
//!     if let Frame::Object { raw, .. } = frame? {
//!         bodies.extend(enc.push(&action, Some(&raw))?);
//!     }
//! }
//! bodies.extend(enc.finish());
//! assert_eq!(bodies.len(), 1);
//! assert_eq!(bodies[0].docs(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reading `_bulk` responses
//!
//! [`summarize_bulk_response`] counts the items and builds only the failed ones (when `errors`
//! is false it builds nothing); [`parse_bulk_response`] builds every item.

mod bulk;
mod decoder;
mod error;
mod frame;
mod reader;
mod response;

pub use bulk::{BulkAction, BulkBody, BulkEncoder, BulkLimits, BulkOp};
pub use decoder::NdjsonDecoder;
pub use error::{Error, Result};
pub use frame::{DecoderConfig, Frame};
pub use reader::NdjsonReader;
pub use response::{
    BulkItem, BulkItemError, BulkResponse, BulkSummary, parse_bulk_response,
    summarize_bulk_response,
};
