//! `heartbeat` input: an event every `interval` seconds, to check a pipeline is alive
//! (logstash-input-heartbeat). `message` is `ok` (the default; the event's `message`),
//! `epoch` (`clock` holds the epoch seconds) or `sequence` (`clock` counts from 1), or any
//! other text as the message; `count` limits the events (`-1`: until shutdown). ECS adds
//! `[host][name]` and `[event][sequence]`.

use std::time::Duration;

use log_model::{LogEvent, Timestamp};
use serde_json::{Value, json};

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::Result;
use crate::codec::{IngestTime, stamp_at};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "heartbeat",
        vec![
            OptSpec::new("interval", T::Number).default(D::Int(60)),
            OptSpec::new("message", T::String).default(D::Str("ok")),
            OptSpec::new("count", T::Number).default(D::Int(-1)),
            OptSpec::new("threads", T::Number).default(D::Int(1)),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
            super::ecs_opt(),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    let interval = s.number("interval").unwrap_or(60.0);
    if !(interval > 0.0 && interval.is_finite()) {
        return Err(s.invalid("interval", "interval must be a positive number of seconds"));
    }
    Ok(Box::new(Heartbeat {
        interval: Duration::from_secs_f64(interval),
        message: s.string("message").unwrap_or("ok").to_owned(),
        count: s.integer("count").unwrap_or(-1),
        ecs: a.ecs,
        common: a.common,
    }))
}

#[derive(Debug)]
struct Heartbeat {
    common: CommonInput,
    interval: Duration,
    message: String,
    count: i64,
    ecs: Ecs,
}

impl InputPlugin for Heartbeat {
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

impl Heartbeat {
    fn event(&self, seq: i64, host: &str) -> LogEvent {
        let mut ev = LogEvent::new();
        match self.message.as_str() {
            "epoch" => ev.insert_field("clock", json!(Timestamp::now().epoch_millis() / 1000)),
            "sequence" => ev.insert_field("clock", json!(seq)),
            m => ev.insert_field("message", Value::String(m.to_owned())),
        };
        match self.ecs {
            Ecs::V8 => {
                ev.insert_field("host", json!({"name": host}));
                ev.insert_field("event", json!({"sequence": seq}));
            }
            Ecs::Disabled => {
                ev.insert_field("host", Value::String(host.to_owned()));
            }
        }
        stamp_at(&mut ev, &IngestTime::new(Timestamp::now()));
        self.common.decorate(&mut ev);
        ev
    }

    async fn run(self, ctx: InputContext) -> Result<()> {
        let host = super::stdin::hostname();
        let mut tick = tokio::time::interval(self.interval);
        let mut seq = 0i64;
        while self.count < 0 || seq < self.count {
            tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                _ = tick.tick() => {}
            }
            seq += 1;
            if ctx.push_events(vec![self.event(seq, &host)]).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }
}
