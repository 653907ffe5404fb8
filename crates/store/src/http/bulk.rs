//! `_bulk` request bodies: NDJSON action/metadata lines and document sources, checked line by
//! line with Elasticsearch's own error messages.

use bytes::{Bytes, BytesMut};
use ndjson_codec::{DecoderConfig, Frame, NdjsonDecoder};
use serde_json::{Map, Value};
use tokio_util::codec::Decoder;

use super::error::{body_required, token_name};
use crate::{Cond, Error, OpType, WriteOp};

/// Parses a whole `_bulk` body into write operations. `default_index` comes from the path
/// (`/{index}/_bulk`).
///
/// # Errors
/// The `400` ES answers for the whole request: a body not ending in a newline, a malformed
/// action line (naming its line number), an unsupported action or parameter, a missing index,
/// an action without its source line, or no action at all.
pub fn parse(
    body: Bytes,
    default_index: Option<&str>,
    require_alias: bool,
) -> Result<Vec<WriteOp>, Error> {
    if body.is_empty() {
        return Err(body_required());
    }
    if body.last() != Some(&b'\n') {
        return Err(Error::illegal_argument(
            "The bulk request must be terminated by a newline [\\n]",
        ));
    }
    // The body is in memory already: lines are only framed here (no extra JSON pass over the
    // sources; the engine parses each source once and fails that item alone if it is bad). The
    // sources are slices of the body, not copies: a request holds its body once.
    let config = DecoderConfig::default()
        .max_line_length(body.len())
        .validate(false);
    let mut decoder = NdjsonDecoder::with_config(config);
    let mut buf = BytesMut::from(body);
    let mut frames = std::iter::from_fn(move || match decoder.decode(&mut buf) {
        Ok(Some(frame)) => Some(Ok(frame)),
        Ok(None) => decoder.decode_eof(&mut buf).transpose(),
        Err(e) => Some(Err(e)),
    });
    let mut ops = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    // Clients repeat one action line (`{"index":{}}`, `{"index":{"_index":"logs"}}`): parse it once.
    let mut last: Option<(Bytes, Action)> = None;
    while let Some(frame) = frames.next() {
        let frame = frame.map_err(|e| Error::illegal_argument(format!("bulk body: {e}")))?;
        let (raw, line) = frame_bytes(&frame)?;
        let action = match &last {
            Some((prev, parsed)) if *prev == raw => parsed.clone(),
            _ => {
                let parsed = parse_action(&raw, line, default_index)?;
                last = Some((raw, parsed.clone()));
                parsed
            }
        };
        let source = if action.op == OpType::Delete {
            None
        } else {
            let Some(next) = frames.next() else {
                return Err(validation(&[format!(
                    "the action on line [{line}] has no source line"
                )]));
            };
            let next = next.map_err(|e| Error::illegal_argument(format!("bulk body: {e}")))?;
            Some(frame_bytes(&next)?.0)
        };
        let cond = action.cond();
        let index = match action.index {
            Some(i) => i,
            None => {
                missing.push("index is missing".to_owned());
                String::new()
            }
        };
        if action.op == OpType::Delete && action.id.is_none() {
            missing.push("id is missing".to_owned());
        }
        if action.op == OpType::Update && action.id.is_none() {
            missing.push("id is missing".to_owned());
        }
        let mut op = WriteOp::new(action.op, index, action.id.clone(), source);
        match cond {
            Ok(c) => op.cond = c,
            Err(e) if e.es_type() == "action_request_validation_exception" => {
                let reason = e.reason();
                for part in reason
                    .trim_start_matches("Validation Failed: ")
                    .split(';')
                    .filter(|p| !p.is_empty())
                {
                    missing.push(part.split_once(": ").map_or(part, |(_, t)| t).to_owned());
                }
            }
            Err(e) => return Err(e),
        }
        op.retry_on_conflict = action.retry_on_conflict;
        op.require_alias = action.require_alias.unwrap_or(require_alias);
        op.routing.clone_from(&action.routing);
        op.fetch_source = action.fetch;
        ops.push(op);
    }
    if !missing.is_empty() {
        return Err(validation(&missing));
    }
    if ops.is_empty() {
        return Err(validation(&["no requests added".to_owned()]));
    }
    Ok(ops)
}

/// ES's `action_request_validation_exception`: `Validation Failed: 1: a;2: b;`.
fn validation(problems: &[String]) -> Error {
    Error::validation(problems)
}

fn frame_bytes(frame: &Frame) -> Result<(Bytes, u64), Error> {
    match frame.raw() {
        Some(raw) => Ok((raw.clone(), frame.line())),
        None => Err(Error::illegal_argument(format!(
            "line [{}] of the bulk body is too long ({} bytes)",
            frame.line(),
            frame.len()
        ))),
    }
}

#[derive(Clone)]
struct Action {
    op: OpType,
    index: Option<String>,
    id: Option<String>,
    if_seq_no: Option<String>,
    if_primary_term: Option<String>,
    version: Option<String>,
    version_type: Option<String>,
    retry_on_conflict: u32,
    require_alias: Option<bool>,
    routing: Option<String>,
    /// an update's `_source`: the updated source back, filtered
    fetch: Option<crate::search::SourceFilter>,
}

impl Action {
    /// The precondition the metadata line asks for.
    fn cond(&self) -> Result<Cond, Error> {
        Cond::from_params(
            self.op,
            self.id.is_some(),
            self.if_seq_no.as_deref(),
            self.if_primary_term.as_deref(),
            self.version.as_deref(),
            self.version_type.as_deref(),
        )
    }
}

/// Parses one action/metadata line, e.g. `{"index":{"_index":"logs","_id":"1"}}`.
fn parse_action(raw: &[u8], line: u64, default_index: Option<&str>) -> Result<Action, Error> {
    let value: Value = serde_json::from_slice(raw).map_err(|e| {
        Error::x_content(format!(
            "[{line}:{}] Malformed action/metadata line [{line}]: {}",
            e.column(),
            strip_position(&e)
        ))
    })?;
    let Value::Object(obj) = value else {
        return Err(malformed(
            line,
            &format!("expected START_OBJECT but found [{}]", token_name(&value)),
        ));
    };
    let mut entries = obj.into_iter();
    let Some((name, params)) = entries.next() else {
        return Err(malformed(
            line,
            "expected FIELD_NAME but found [END_OBJECT]",
        ));
    };
    let mut op = match name.as_str() {
        "index" => OpType::Index,
        "create" => OpType::Create,
        "delete" => OpType::Delete,
        "update" => OpType::Update,
        other => {
            return Err(malformed(
                line,
                &format!(
                    "expected field [create], [delete], [index] or [update] but found [{other}]"
                ),
            ));
        }
    };
    if entries.next().is_some() {
        return Err(malformed(
            line,
            "expected END_OBJECT but found [FIELD_NAME]",
        ));
    }
    let params = match params {
        Value::Object(m) => m,
        other => {
            return Err(malformed(
                line,
                &format!(
                    "expected START_OBJECT or END_OBJECT but found [{}]",
                    token_name(&other)
                ),
            ));
        }
    };
    let mut action = Action {
        op,
        index: default_index.map(str::to_owned),
        id: None,
        if_seq_no: None,
        if_primary_term: None,
        version: None,
        version_type: None,
        retry_on_conflict: 0,
        require_alias: None,
        routing: None,
        fetch: None,
    };
    apply_params(&mut action, &mut op, params, line)?;
    action.op = op;
    Ok(action)
}

fn apply_params(
    action: &mut Action,
    op: &mut OpType,
    params: Map<String, Value>,
    line: u64,
) -> Result<(), Error> {
    for (key, value) in params {
        if value.is_null() {
            continue;
        }
        // an update's `_source`: a flag, fields or `includes`/`excludes`
        if key == "_source" && *op == OpType::Update {
            action.fetch = Some(crate::search::parse_source_filter(&value)?);
            continue;
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Err(malformed(
                line,
                &format!(
                    "expected a simple value for field [{key}] but found [{}]",
                    token_name(&value)
                ),
            ));
        }
        let text = scalar_text(&value);
        match key.as_str() {
            "_index" => action.index = Some(text),
            "_id" => action.id = Some(text),
            "op_type" => match (text.as_str(), *op) {
                ("create", OpType::Index) => *op = OpType::Create,
                ("index" | "create", _) => {}
                (other, _) => {
                    return Err(Error::illegal_argument(format!(
                        "opType must be 'create' or 'index', found: [{other}]"
                    )));
                }
            },
            "routing" => action.routing = Some(text),
            "require_alias" if text == "true" || text == "false" => {
                action.require_alias = Some(text == "true");
            }
            "require_data_stream" | "list_executed_pipelines" if text == "false" => {}
            "if_seq_no" => action.if_seq_no = Some(text),
            "if_primary_term" => action.if_primary_term = Some(text),
            "version" => action.version = Some(text),
            "version_type" => action.version_type = Some(text),
            "retry_on_conflict" if *op == OpType::Update => {
                action.retry_on_conflict = text.parse().map_err(|_| {
                    malformed(
                        line,
                        &format!("[retry_on_conflict] must be a number, found [{text}]"),
                    )
                })?;
            }
            "pipeline"
            | "require_alias"
            | "require_data_stream"
            | "list_executed_pipelines"
            | "retry_on_conflict"
            | "_source" => {
                return Err(Error::illegal_argument(format!(
                    "Action/metadata line [{line}]: parameter [{key}] is not supported by \
                     sluice-store"
                )));
            }
            _ => {
                return Err(Error::illegal_argument(format!(
                    "Action/metadata line [{line}] contains an unknown parameter [{key}]"
                )));
            }
        }
    }
    Ok(())
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn malformed(line: u64, what: &str) -> Error {
    Error::illegal_argument(format!("Malformed action/metadata line [{line}], {what}"))
}

fn strip_position(err: &serde_json::Error) -> String {
    let full = err.to_string();
    match full.rfind(" at line ") {
        Some(at) => full[..at].to_owned(),
        None => full,
    }
}

#[cfg(test)]
mod tests;
