//! `generator` input: the same events again and again, for demos and tests
//! (logstash-input-generator). `lines` (cycled in order) or `message` (default
//! `Hello world!`); `count` times in all (`0`: until shutdown). Each event gets a sequence
//! number (`[event][sequence]` under ECS, `sequence` legacy) and the host name
//! (`[host][name]` / `host`).

use log_model::{LogEvent, Timestamp};
use serde_json::{Value, json};

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::Result;
use crate::codec::{IngestTime, decode_frame};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "generator",
        vec![
            OptSpec::new("lines", T::Array),
            OptSpec::new("message", T::String).default(D::Str("Hello world!")),
            OptSpec::new("count", T::Number).default(D::Int(0)),
            OptSpec::new("threads", T::Number).default(D::Int(1)),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
            super::ecs_opt(),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    let mut lines = s.strings("lines");
    if lines.is_empty() {
        lines.push(s.string("message").unwrap_or("Hello world!").to_owned());
    }
    let count = s.integer("count").unwrap_or(0);
    Ok(Box::new(Generator {
        lines,
        count: u64::try_from(count)
            .map_err(|_| s.invalid("count", "count must not be negative"))?,
        ecs: a.ecs,
        common: a.common,
    }))
}

#[derive(Debug)]
struct Generator {
    common: CommonInput,
    lines: Vec<String>,
    count: u64,
    ecs: Ecs,
}

impl InputPlugin for Generator {
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

impl Generator {
    fn event(&self, line: &str, seq: u64, host: &str, at: &IngestTime) -> LogEvent {
        let frame = ndjson_codec::Frame::Unvalidated {
            raw: bytes::Bytes::copy_from_slice(line.as_bytes()),
            offset: 0,
            line: seq,
        };
        let mut ev = decode_frame(frame, &self.common.codec, usize::MAX, at).event;
        match self.ecs {
            Ecs::V8 => {
                ev.insert_field("event", json!({"sequence": seq}));
                if !ev.contains_field("host") {
                    ev.insert_field("host", json!({"name": host}));
                }
            }
            Ecs::Disabled => {
                ev.insert_field("sequence", json!(seq));
                ev.insert_field("host", Value::String(host.to_owned()));
            }
        }
        self.common.decorate(&mut ev);
        ev
    }

    async fn run(self, ctx: InputContext) -> Result<()> {
        const BATCH: u64 = 125;
        let host = super::stdin::hostname();
        let total = if self.count == 0 {
            u64::MAX
        } else {
            self.count * self.lines.len() as u64
        };
        let mut seq = 0u64;
        while seq < total {
            if ctx.shutdown.is_cancelled() {
                return Ok(());
            }
            let at = IngestTime::new(Timestamp::now());
            let n = BATCH.min(total - seq);
            let events: Vec<LogEvent> = (seq..seq + n)
                .map(|i| {
                    let line =
                        &self.lines[usize::try_from(i % self.lines.len() as u64).unwrap_or(0)];
                    self.event(line, i / self.lines.len() as u64, &host, &at)
                })
                .collect();
            if ctx.push_events(events).await.is_err() {
                return Ok(());
            }
            seq += n;
            tokio::task::yield_now().await;
        }
        tracing::info!(id = %self.common.id, events = seq, "generator input finished");
        Ok(())
    }
}
