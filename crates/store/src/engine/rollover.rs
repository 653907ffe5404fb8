//! Rolling an alias over (`POST /{alias}/_rollover[/{new_index}]`), as Elasticsearch does for
//! indices written through an alias (Logstash's and Beats' pre-data-stream layout,
//! `logs-000001`): when a condition holds, a new index named after the write index's counter
//! (`logs-000001` → `logs-000002`, or the name given) is created with the body's `settings`,
//! `mappings` and `aliases` (and the templates that match it), and becomes the alias's write
//! index — beside the old one when the alias names its write index, in its place otherwise.

use serde_json::{Value, json};

use super::aliases::{Action, AliasDef};
use super::data_streams::Conditions;
use super::store::Store;
use crate::error::{Error, Result};

/// ES's answer for a rollover target that is neither a data stream nor an alias with a write
/// index.
pub(crate) fn no_target(target: &str) -> Error {
    Error::es(
        404,
        "resource_not_found_exception",
        format!("rollover target [{target}] does not exist"),
    )
}

/// The name after `old` in its series: its last `-` number plus one, six digits at least.
///
/// # Errors
/// ES's when `old` does not end in `-<digits>`.
pub(crate) fn next_name(old: &str) -> Result<String> {
    let bad = || {
        Error::illegal_argument(format!(
            "index name [{old}] does not match pattern '^.*-\\\\d+$'"
        ))
    };
    let (prefix, counter) = old.rsplit_once('-').ok_or_else(bad)?;
    if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Java's `Integer.parseInt`: a counter beyond it is no counter
    let n: i32 = counter.parse().map_err(|_| bad())?;
    Ok(format!("{prefix}-{:06}", i64::from(n) + 1))
}

impl Store {
    /// [`Store::rollover`] of an alias.
    pub(crate) fn rollover_alias(
        &self,
        alias: &str,
        new_index: Option<&str>,
        conditions: &Conditions,
        dry_run: bool,
    ) -> Result<Value> {
        // a write index: the alias's only index, or the one it names
        let Ok(Some(old)) = self.aliases().write_index(alias) else {
            return Err(no_target(alias));
        };
        let new = match new_index {
            Some(n) => n.to_owned(),
            None => next_name(&old)?,
        };
        log_model::validate_index_name(&new)?;
        if let Ok(existing) = self.shard(&new) {
            return Err(super::store::already_exists(&new, &existing.uuid));
        }
        let old_shard = self.shard(&old)?;
        let now = super::store::now_ms();
        let results = conditions.evaluate(&old_shard, now);
        let met = conditions.is_empty() || results.values().any(|v| v == &Value::Bool(true));
        let rolled = met && !dry_run;
        if rolled {
            let body =
                (!conditions.create.is_empty()).then(|| Value::Object(conditions.create.clone()));
            self.create_index(&new, body.as_ref())?;
            let def = self
                .aliases()
                .of_index(&old)
                .remove(alias)
                .unwrap_or_default();
            let actions = if def.is_write_index == Some(true) {
                vec![
                    Action::Add {
                        index: old.clone(),
                        alias: alias.to_owned(),
                        def: AliasDef {
                            is_write_index: Some(false),
                            ..def.clone()
                        },
                    },
                    Action::Add {
                        index: new.clone(),
                        alias: alias.to_owned(),
                        def,
                    },
                ]
            } else {
                vec![
                    Action::Remove {
                        index: old.clone(),
                        alias: alias.to_owned(),
                        must_exist: Some(false),
                    },
                    Action::Add {
                        index: new.clone(),
                        alias: alias.to_owned(),
                        def,
                    },
                ]
            };
            // (whether the alias's name is an index's, asked before the aliases are locked)
            let clash = self.shard(alias).is_ok();
            self.aliases().apply(&actions, |_| clash)?;
            tracing::info!(alias, old_index = %old, new_index = %new, "rolled over");
        }
        Ok(response(rolled, &old, &new, dry_run, &results))
    }
}

/// ES's answer to a rollover (of a data stream or an alias).
pub(crate) fn response(
    rolled: bool,
    old: &str,
    new: &str,
    dry_run: bool,
    conditions: &serde_json::Map<String, Value>,
) -> Value {
    json!({
        "acknowledged": rolled,
        "shards_acknowledged": rolled,
        "old_index": old,
        "new_index": new,
        "rolled_over": rolled,
        "dry_run": dry_run,
        "lazy": false,
        "conditions": conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_counter() {
        assert_eq!(next_name("logs-1").ok().as_deref(), Some("logs-000002"));
        assert_eq!(
            next_name("logs-000009").ok().as_deref(),
            Some("logs-000010")
        );
        assert_eq!(next_name("a-b-999999").ok().as_deref(), Some("a-b-1000000"));
        for bad in ["logs", "logs-", "logs-x1", "logs-99999999999"] {
            assert_eq!(
                next_name(bad).map_err(|e| e.reason()),
                Err(format!(
                    "index name [{bad}] does not match pattern '^.*-\\\\d+$'"
                )),
                "{bad}"
            );
        }
    }
}
