//! `stdin` input: lines from standard input (codec default `line`, as Logstash). Adds
//! `[host][hostname]` (ECS) or `host` (`ecs_compatibility => disabled`). Ends at EOF.

use std::sync::Arc;

use bytes::BytesMut;
use log_model::Timestamp;
use ndjson_codec::NdjsonDecoder;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio_util::codec::Decoder;

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin, LineDecoder};
use crate::Result;
use crate::codec::decoder_config;
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};

/// Settings of the `stdin` input.
#[derive(Debug, Clone)]
pub struct StdinInput {
    /// Common options.
    pub common: CommonInput,
    /// `ecs_compatibility`, default `v8`.
    pub ecs: Ecs,
}

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "stdin",
        vec![
            OptSpec::new("codec", T::Codec).default(D::Str("line")),
            super::ecs_opt(),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    Ok(Box::new(StdinInput {
        common: a.common,
        ecs: a.ecs,
    }))
}

impl InputPlugin for StdinInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            let task: BoxFuture<Result<()>> = Box::pin(self.run(ctx));
            Ok(task)
        })
    }
}

/// The machine's host name (`HOSTNAME`, `/etc/hostname`, else `localhost`).
pub(crate) fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl StdinInput {
    pub(crate) async fn run(self, ctx: InputContext) -> Result<()> {
        let host = match self.ecs {
            Ecs::V8 => json!({"hostname": hostname()}),
            Ecs::Disabled => Value::String(hostname()),
        };
        let limit = self.common.decode_size_limit;
        let lines = Arc::new(LineDecoder::new(
            self.common.clone(),
            ctx.stats.clone(),
            move |ev| {
                if !ev.contains_field("host") {
                    ev.insert_field("host", host.clone());
                }
            },
        ));
        let mut decoder = NdjsonDecoder::with_config(decoder_config(limit));
        let mut stdin = tokio::io::stdin();
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let mut ml = self.common.multiline.as_ref().map(|m| m.start());
        loop {
            let flush_after = ml.as_ref().and_then(|m| m.flush_after());
            let read = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                r = stdin.read_buf(&mut buf) => r,
                () = super::tcp::sleep_or_never(flush_after) => {
                    // auto_flush_interval: the pending event goes without waiting for a line
                    ctx.push_stream(&lines, ml.as_mut(), Vec::new(), Timestamp::now(), true).await?;
                    continue;
                }
            };
            let eof = !matches!(read, Ok(n) if n > 0);
            let received = Timestamp::now();
            let mut frames = Vec::new();
            loop {
                let frame = if eof {
                    decoder.decode_eof(&mut buf)
                } else {
                    decoder.decode(&mut buf)
                };
                let Ok(Some(f)) = frame else { break };
                frames.push(f);
            }
            ctx.push_stream(&lines, ml.as_mut(), frames, received, eof)
                .await?;
            if eof {
                tracing::info!("stdin input: end of input");
                return Ok(());
            }
            buf.reserve(16 * 1024);
        }
    }
}
