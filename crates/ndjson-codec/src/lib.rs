//! Newline-delimited JSON: framing (a tokio-util codec and a sync reader),
//! the `_bulk` request body encoder and the `_bulk` response parser.
