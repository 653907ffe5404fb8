//! Index lifecycle management, run by the store: lifecycle policies (`_ilm/policy`) whose `hot`
//! phase rolls a data stream over (`rollover` with `max_age`, `max_docs`,
//! `max_primary_shard_docs`, `max_size`, `max_primary_shard_size`) and whose `delete` phase
//! deletes an index `min_age` after its rollover (or, for an index that never rolls over, its
//! creation). An index follows the policy its `index.lifecycle.name` setting names (usually
//! from the template of its data stream); the store checks every `poll_interval`
//! (Elasticsearch's `indices.lifecycle.poll_interval`, 10 minutes by default).
//!
//! The `warm` and `cold` phases run, from their `min_age`, the actions that mean something on one
//! store: `readonly` (the index's write block), `forcemerge` with `max_num_segments`, `allocate`
//! with `number_of_replicas` only, `set_priority`, `unfollow` and `migrate: {enabled: false}`
//! (nothing to do on one node). Their other actions (shrink, `index_codec`, allocation filters,
//! searchable snapshots, downsample, tier migration) and the `frozen` phase are refused by name, as are rollover aliases: the store
//! rolls data streams over.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use serde_json::{Map, Value, json};

use crate::engine::data_streams::Conditions;
use crate::engine::store::Store;
use crate::error::{Error, Result};

const FILE: &str = "ilm_policies.json";

/// A lifecycle policy as the store runs it.
#[derive(Debug, Clone)]
pub struct Policy {
    /// the `hot` phase's `rollover` conditions (`{"conditions": {...}}`)
    rollover: Option<Value>,
    /// the `delete` phase's `min_age`, in milliseconds
    delete_after_ms: Option<i64>,
    /// the `warm` and `cold` phases, in order: name, `min_age` in milliseconds, actions
    later: Vec<(String, i64, Vec<Action>)>,
}

/// An action of the warm or cold phase the store runs.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// `readonly`: the index's write block
    Readonly,
    /// `allocate` with `number_of_replicas` only
    Replicas(u64),
    /// `forcemerge` to `max_num_segments`
    ForceMerge(usize),
}

#[derive(Debug, Clone)]
struct Stored {
    version: u64,
    modified_ms: i64,
    /// the policy as given (phases with their `min_age` defaulted), as `GET` answers it
    policy: Value,
    parsed: Policy,
}

/// The lifecycle policies, persisted in the data directory.
#[derive(Debug)]
pub struct Policies {
    dir: PathBuf,
    set: RwLock<BTreeMap<String, Stored>>,
}

fn unsupported(what: &str) -> Error {
    Error::illegal_argument(format!("{what} is not supported by sluice-store"))
}

fn time_ms(text: &str, field: &str) -> Result<i64> {
    crate::engine::settings::parse_interval(text)
        .ok()
        .flatten()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .ok_or_else(|| {
            Error::illegal_argument(format!(
                "failed to parse setting [{field}] with value [{text}] as a time value: unit is missing or unrecognized"
            ))
        })
}

/// Parses a `PUT _ilm/policy/{name}` body: the policy, and the form `GET` shows it in.
fn parse(name: &str, body: &Value) -> Result<(Policy, Value)> {
    let o = body
        .as_object()
        .ok_or_else(|| Error::parsing("request body is required"))?;
    for k in o.keys() {
        if k != "policy" {
            return Err(Error::x_content(format!(
                "[put_lifecycle_request] unknown field [{k}]"
            )));
        }
    }
    let p = o
        .get("policy")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::parsing("[policy] is required"))?;
    let mut shown = Map::new();
    let mut parsed = Policy {
        rollover: None,
        delete_after_ms: None,
        later: Vec::new(),
    };
    let mut phases_out = Map::new();
    for (k, v) in p {
        match k.as_str() {
            "_meta" => {
                shown.insert("_meta".into(), v.clone());
            }
            "phases" => {
                let phases = v.as_object().ok_or_else(|| {
                    Error::x_content("[lifecycle_policy] failed to parse field [phases]")
                })?;
                for (phase, def) in phases {
                    let def = def.as_object().ok_or_else(|| {
                        Error::x_content(format!("[phases] failed to parse field [{phase}]"))
                    })?;
                    let mut min_age = "0ms".to_owned();
                    let mut actions = Map::new();
                    for (pk, pv) in def {
                        match pk.as_str() {
                            "min_age" => {
                                min_age = pv.as_str().map_or_else(|| pv.to_string(), str::to_owned);
                                time_ms(&min_age, "min_age")?;
                            }
                            "actions" => {
                                actions = pv.as_object().cloned().ok_or_else(|| {
                                    Error::x_content("[phase] failed to parse field [actions]")
                                })?;
                            }
                            other => {
                                return Err(Error::x_content(format!(
                                    "[phase] unknown field [{other}]"
                                )));
                            }
                        }
                    }
                    match phase.as_str() {
                        "hot" => {
                            for (a, av) in &actions {
                                match a.as_str() {
                                    "rollover" => {
                                        let conditions = json!({"conditions": av});
                                        // checked now, as the store will evaluate them
                                        let c = Conditions::parse(Some(&conditions))?;
                                        if c.is_empty() {
                                            return Err(Error::illegal_argument(
                                                "The rollover action requires at least one of max_age, max_docs, max_primary_shard_docs, max_size, max_primary_shard_size conditions",
                                            ));
                                        }
                                        parsed.rollover = Some(conditions);
                                    }
                                    // recovery priority: a single store has nothing to order
                                    "set_priority" => {}
                                    other => {
                                        return Err(unsupported(&format!(
                                            "action [{other}] of phase [hot] in lifecycle policy [{name}]"
                                        )));
                                    }
                                }
                            }
                        }
                        "delete" => {
                            for a in actions.keys() {
                                if a != "delete" {
                                    return Err(unsupported(&format!(
                                        "action [{a}] of phase [delete] in lifecycle policy [{name}]"
                                    )));
                                }
                            }
                            if actions.contains_key("delete") {
                                parsed.delete_after_ms = Some(time_ms(&min_age, "min_age")?);
                            }
                        }
                        "warm" | "cold" => {
                            let mut run = Vec::new();
                            for (a, av) in &actions {
                                match (a.as_str(), av) {
                                    ("readonly", _) => run.push(Action::Readonly),
                                    // recovery priority and cross-cluster replication: nothing
                                    // to order or unfollow on one store
                                    ("set_priority" | "unfollow", _) => {}
                                    ("migrate", m)
                                        if m.get("enabled") == Some(&Value::Bool(false)) => {}
                                    ("forcemerge", Value::Object(m))
                                        if m.keys().all(|k| k == "max_num_segments") =>
                                    {
                                        let n = m
                                            .get("max_num_segments")
                                            .and_then(Value::as_u64)
                                            .filter(|n| *n >= 1)
                                            .ok_or_else(|| {
                                                Error::illegal_argument(
                                                    "[max_num_segments] must be greater than 0",
                                                )
                                            })?;
                                        run.push(Action::ForceMerge(
                                            usize::try_from(n).unwrap_or(usize::MAX),
                                        ));
                                    }
                                    ("allocate", Value::Object(m))
                                        if m.keys().all(|k| k == "number_of_replicas")
                                            && m.contains_key("number_of_replicas") =>
                                    {
                                        let n = m["number_of_replicas"].as_u64().ok_or_else(|| {
                                            Error::x_content(
                                                "[allocate] failed to parse field [number_of_replicas]",
                                            )
                                        })?;
                                        run.push(Action::Replicas(n));
                                    }
                                    (other, _) => {
                                        return Err(unsupported(&format!(
                                            "action [{other}] of phase [{phase}] in lifecycle policy [{name}] (readonly, allocate with number_of_replicas, set_priority and migrate disabled are)"
                                        )));
                                    }
                                }
                            }
                            let age = time_ms(&min_age, "min_age")?;
                            let at = if phase == "warm" {
                                0
                            } else {
                                parsed.later.len()
                            };
                            parsed.later.insert(at, (phase.clone(), age, run));
                        }
                        "frozen" => {
                            return Err(unsupported(&format!(
                                "phase [frozen] in lifecycle policy [{name}] (searchable snapshots)"
                            )));
                        }
                        other => {
                            return Err(Error::illegal_argument(format!(
                                "Timeseries lifecycle does not support phase [{other}]"
                            )));
                        }
                    }
                    phases_out.insert(
                        phase.clone(),
                        json!({"min_age": min_age, "actions": actions}),
                    );
                }
            }
            other => {
                return Err(Error::x_content(format!(
                    "[lifecycle_policy] unknown field [{other}]"
                )));
            }
        }
    }
    shown.insert("phases".into(), Value::Object(phases_out));
    Ok((parsed, Value::Object(shown)))
}

impl Policy {
    /// The latest of the warm, cold and delete phases an index of lifecycle age `age_ms` has
    /// reached, with the actions of a warm or cold one.
    fn phase_at(&self, age_ms: i64) -> Option<(&'static str, &[Action])> {
        if self.delete_after_ms.is_some_and(|d| age_ms >= d) {
            return Some(("delete", &[]));
        }
        self.later
            .iter()
            .rev()
            .find(|(_, min_age, _)| age_ms >= *min_age)
            .map(|(phase, _, actions)| {
                let phase = if phase == "warm" { "warm" } else { "cold" };
                (phase, actions.as_slice())
            })
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.starts_with('_')
        || name.contains([',', ' ', '*', '"', '\\', '/', '?', '<', '>', '|', '#'])
    {
        return Err(Error::illegal_argument(format!(
            "invalid policy name [{name}]: must not contain a comma, space or wildcard, nor start with '_'"
        )));
    }
    Ok(())
}

impl Policies {
    /// Reads the saved policies of `dir`.
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(dir: &Path) -> Result<Policies> {
        let path = dir.join(FILE);
        let mut set = BTreeMap::new();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::es(500, "exception", format!("corrupt {FILE}: {e}")))?;
                for (name, entry) in v.as_object().into_iter().flatten() {
                    let policy = entry.get("policy").cloned().unwrap_or(Value::Null);
                    let (parsed, _) = parse(name, &json!({ "policy": policy }))?;
                    set.insert(
                        name.clone(),
                        Stored {
                            version: entry["version"].as_u64().unwrap_or(1),
                            modified_ms: entry["modified_date"].as_i64().unwrap_or(0),
                            policy,
                            parsed,
                        },
                    );
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        Ok(Policies {
            dir: dir.to_owned(),
            set: RwLock::new(set),
        })
    }

    fn save(&self, set: &BTreeMap<String, Stored>) -> Result<()> {
        let v: Map<String, Value> = set
            .iter()
            .map(|(k, s)| {
                (
                    k.clone(),
                    json!({"version": s.version, "modified_date": s.modified_ms, "policy": s.policy}),
                )
            })
            .collect();
        crate::engine::util::write_json_atomic(&self.dir, FILE, &Value::Object(v))
    }

    /// The policy `name` runs, if there is one.
    pub fn policy(&self, name: &str) -> Option<Policy> {
        self.set.read().get(name).map(|s| s.parsed.clone())
    }
}

fn iso(ms: i64) -> String {
    crate::mapping::date::format_millis(ms, None)
}

/// ES's rendering of a duration in `explain` (`1.5h`, `12s`, `250ms`).
fn age_text(ms: i64) -> String {
    let units = [
        (86_400_000.0, "d"),
        (3_600_000.0, "h"),
        (60_000.0, "m"),
        (1000.0, "s"),
    ];
    let x = ms as f64;
    for (size, unit) in units {
        if x >= size {
            let v = (x / size * 10.0).round() / 10.0;
            return if v.fract() == 0.0 {
                format!("{}{unit}", v as i64)
            } else {
                format!("{v}{unit}")
            };
        }
    }
    format!("{ms}ms")
}

impl Store {
    /// The lifecycle policies.
    pub fn ilm(&self) -> &Policies {
        &self.ilm
    }

    /// The policy an index follows (`index.lifecycle.name`).
    fn lifecycle_name(&self, index: &str) -> Option<String> {
        self.index_setting(index, "lifecycle.name")
    }

    /// A string setting of an index (the name without `index.`).
    fn index_setting(&self, index: &str, name: &str) -> Option<String> {
        let shard = self.shard(index).ok()?;
        let meta = shard.meta();
        meta.settings
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// `PUT _ilm/policy/{name}`.
    ///
    /// # Errors
    /// An invalid name or body, or what the store does not run, named.
    pub fn put_ilm_policy(&self, name: &str, body: &Value) -> Result<Value> {
        check_name(name)?;
        let (parsed, policy) = parse(name, body)?;
        let mut set = self.ilm.set.write();
        let version = set.get(name).map_or(1, |s| s.version + 1);
        let mut next = set.clone();
        next.insert(
            name.to_owned(),
            Stored {
                version,
                modified_ms: crate::engine::store::now_ms(),
                policy,
                parsed,
            },
        );
        self.ilm.save(&next)?;
        *set = next;
        tracing::info!(policy = name, version, "lifecycle policy saved");
        Ok(json!({"acknowledged": true}))
    }

    /// The indices, data streams and index templates that use policy `name`.
    fn ilm_users(&self, name: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
        let indices: Vec<String> = self
            .index_names()
            .into_iter()
            .filter(|i| self.lifecycle_name(i).as_deref() == Some(name))
            .collect();
        let streams: Vec<String> = self
            .data_streams()
            .all()
            .into_iter()
            .filter(|(_, ds)| {
                ds.write_index()
                    .is_some_and(|w| self.lifecycle_name(w).as_deref() == Some(name))
            })
            .map(|(n, _)| n)
            .collect();
        let templates = self.templates().using_lifecycle(name);
        (indices, streams, templates)
    }

    /// `GET _ilm/policy[/{names}]`.
    ///
    /// # Errors
    /// `resource_not_found_exception` for a name without a policy.
    pub fn get_ilm_policies(&self, names: Option<&str>) -> Result<Value> {
        let set = self.ilm.set.read().clone();
        let wanted: Vec<String> = match names {
            None | Some("_all" | "*") => set.keys().cloned().collect(),
            Some(list) => {
                let mut out = Vec::new();
                for n in list.split(',') {
                    if n.contains('*') {
                        let (pre, post) = n.split_once('*').unwrap_or((n, ""));
                        out.extend(
                            set.keys()
                                .filter(|k| k.starts_with(pre) && k.ends_with(post))
                                .cloned(),
                        );
                    } else if set.contains_key(n) {
                        out.push(n.to_owned());
                    } else {
                        return Err(Error::es(
                            404,
                            "resource_not_found_exception",
                            format!("Lifecycle policy not found: {n}"),
                        ));
                    }
                }
                out
            }
        };
        let mut out = Map::new();
        for n in wanted {
            let Some(s) = set.get(&n) else { continue };
            let (indices, streams, templates) = self.ilm_users(&n);
            out.insert(
                n.clone(),
                json!({
                    "version": s.version,
                    "modified_date": iso(s.modified_ms),
                    "policy": s.policy,
                    "in_use_by": {"indices": indices, "data_streams": streams,
                        "composable_templates": templates},
                }),
            );
        }
        Ok(Value::Object(out))
    }

    /// `DELETE _ilm/policy/{name}`: refused while an index uses it.
    ///
    /// # Errors
    /// `resource_not_found_exception`, or ES's refusal for a policy in use.
    pub fn delete_ilm_policy(&self, name: &str) -> Result<Value> {
        if !self.ilm.set.read().contains_key(name) {
            return Err(Error::es(
                404,
                "resource_not_found_exception",
                format!("Lifecycle policy not found: {name}"),
            ));
        }
        let (indices, _, _) = self.ilm_users(name);
        if !indices.is_empty() {
            return Err(Error::illegal_argument(format!(
                "Cannot delete policy [{name}]. It is in use by one or more indices: [{}]",
                indices.join(", ")
            )));
        }
        let mut set = self.ilm.set.write();
        let mut next = set.clone();
        next.remove(name);
        self.ilm.save(&next)?;
        *set = next;
        Ok(json!({"acknowledged": true}))
    }

    /// When an index's lifecycle counts from: its rollover (the creation of the next backing
    /// index of its data stream), else its creation.
    fn lifecycle_date(&self, index: &str) -> Option<(i64, bool)> {
        let created = self.shard(index).ok()?.meta().created_ms;
        for (_, ds) in self.data_streams().all() {
            if let Some(i) = ds.indices.iter().position(|x| x == index) {
                let next = ds.indices.get(i + 1)?;
                return Some((self.shard(next).ok()?.meta().created_ms, true));
            }
        }
        // an index of an alias's series: rolled over once the next of the series exists
        if self
            .index_setting(index, "lifecycle.rollover_alias")
            .is_some()
            && let Ok(next) = super::rollover::next_name(index)
            && let Ok(shard) = self.shard(&next)
        {
            return Some((shard.meta().created_ms, true));
        }
        Some((created, false))
    }

    /// `GET {target}/_ilm/explain`.
    ///
    /// # Errors
    /// An unknown target.
    pub fn explain_ilm(&self, target: &str) -> Result<Value> {
        let now = crate::engine::store::now_ms();
        let mut out = Map::new();
        for index in self.resolve(target, crate::engine::store::Resolve::default())? {
            let Some(policy_name) = self.lifecycle_name(&index) else {
                out.insert(index.clone(), json!({"index": index, "managed": false}));
                continue;
            };
            let shard = self.shard(&index)?;
            let created = shard.meta().created_ms;
            let (date, rolled) = self.lifecycle_date(&index).unwrap_or((created, false));
            let policy = self.ilm.policy(&policy_name);
            let (phase, action, step) = match &policy {
                None => ("new", "complete", "complete"),
                Some(p) if !rolled && p.rollover.is_some() => {
                    ("hot", "rollover", "check-rollover-ready")
                }
                Some(p) => match p.phase_at(now - date) {
                    Some((phase, _)) => (phase, "complete", "complete"),
                    None => ("hot", "complete", "complete"),
                },
            };
            let mut e = json!({
                "index": index,
                "managed": true,
                "policy": policy_name,
                "index_creation_date_millis": created,
                "time_since_index_creation": age_text(now - created),
                "lifecycle_date_millis": date,
                "age": age_text(now - date),
                "phase": phase,
                "action": action,
                "step": step,
            });
            if policy.is_none() {
                e["step_info"] = json!({"type": "illegal_argument_exception",
                    "reason": format!("policy [{policy_name}] does not exist")});
            }
            out.insert(index, e);
        }
        Ok(json!({ "indices": out }))
    }

    /// Runs the actions of the warm or cold phase an index has reached, once: the phase is
    /// kept with the index, so a block lifted by hand afterwards stays lifted, as in ES.
    fn run_phase_actions(&self, index: &str, phase: &str, actions: &[Action]) -> Result<()> {
        let shard = self.shard(index)?;
        if shard.meta().lifecycle_phase.as_deref() == Some(phase) {
            return Ok(());
        }
        let mut settings = Map::new();
        for a in actions {
            match a {
                Action::Readonly => {
                    if !shard.setting_is_true("blocks.write") {
                        settings.insert("blocks.write".into(), Value::from(true));
                    }
                }
                Action::Replicas(n) => {
                    if shard.meta().replicas != *n as u32 {
                        settings.insert("number_of_replicas".into(), Value::from(*n));
                    }
                }
                Action::ForceMerge(_) => {}
            }
        }
        // ES merges before it makes the index read-only
        for a in actions {
            if let Action::ForceMerge(n) = a {
                shard.force_merge(Some(*n), false)?;
            }
        }
        if !settings.is_empty() {
            self.put_settings(
                index,
                &json!({ "index": settings }),
                crate::Resolve::default(),
                false,
            )?;
        }
        shard.update_meta(|meta| {
            meta.lifecycle_phase = Some(phase.to_owned());
            Ok(())
        })?;
        tracing::info!(index, phase, ?actions, "lifecycle phase actions applied");
        Ok(())
    }

    /// One pass of the lifecycle: rolls over the data streams whose write index meets its
    /// policy's rollover conditions, runs the warm and cold phases' actions of the indices that
    /// reached them, and deletes the indices past their policy's delete `min_age`. Errors are
    /// logged and the pass goes on.
    pub(crate) fn run_ilm(&self) {
        let now = crate::engine::store::now_ms();
        for (stream, ds) in self.data_streams().all() {
            let Some(write) = ds.write_index() else {
                continue;
            };
            let Some(policy) = self.lifecycle_name(write).and_then(|n| self.ilm.policy(&n)) else {
                continue;
            };
            let Some(conditions) = &policy.rollover else {
                continue;
            };
            // an empty write index is never rolled over (ES 8's implicit `min_docs: 1`)
            if self.shard(write).map_or(0, |s| s.stats().0) == 0 {
                continue;
            }
            match self.rollover(&stream, None, Some(conditions), false) {
                Ok(r) if r["rolled_over"] == true => {
                    tracing::info!(data_stream = %stream, new_index = %r["new_index"], "lifecycle rolled over");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(data_stream = %stream, error = %e, "lifecycle rollover failed");
                }
            }
        }
        // indices written through an alias (`index.lifecycle.rollover_alias`): the alias's
        // write index is rolled over as a data stream's is
        for index in self.index_names() {
            let Some(alias) = self.index_setting(&index, "lifecycle.rollover_alias") else {
                continue;
            };
            let Some(conditions) = self
                .lifecycle_name(&index)
                .and_then(|n| self.ilm.policy(&n))
                .and_then(|p| p.rollover)
            else {
                continue;
            };
            if self.aliases().write_index(&alias).ok().flatten().as_deref() != Some(&index)
                || self.shard(&index).map_or(0, |s| s.stats().0) == 0
            {
                continue;
            }
            match self.rollover(&alias, None, Some(&conditions), false) {
                Ok(r) if r["rolled_over"] == true => {
                    tracing::info!(%alias, new_index = %r["new_index"], "lifecycle rolled over");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(%alias, error = %e, "lifecycle rollover failed"),
            }
        }
        for index in self.index_names() {
            let Some(policy) = self
                .lifecycle_name(&index)
                .and_then(|n| self.ilm.policy(&n))
            else {
                continue;
            };
            let Some((date, rolled)) = self.lifecycle_date(&index) else {
                continue;
            };
            // a policy that rolls over moves on only with what has rolled over
            if policy.rollover.is_some() && !rolled {
                continue;
            }
            if let Some((phase, actions)) = policy.phase_at(now - date)
                && phase != "delete"
                && let Err(e) = self.run_phase_actions(&index, phase, actions)
            {
                tracing::warn!(index = %index, phase, error = %e, "lifecycle phase actions failed");
            }
            let Some(after) = policy.delete_after_ms else {
                continue;
            };
            if now - date >= after {
                match self.delete_index(&index, crate::Resolve::default()) {
                    Ok(_) => tracing::info!(index = %index, "lifecycle deleted the index"),
                    Err(e) => tracing::warn!(index = %index, error = %e, "lifecycle delete failed"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_the_store_runs_them() {
        let (p, shown) = parse(
            "logs",
            &json!({"policy": {"phases": {
                "hot": {"actions": {"rollover": {"max_primary_shard_size": "50gb", "max_age": "30d"},
                    "set_priority": {"priority": 100}}},
                "delete": {"min_age": "90d", "actions": {"delete": {}}}}, "_meta": {"by": "me"}}}),
        )
        .unwrap();
        assert_eq!(p.delete_after_ms, Some(90 * 86_400_000));
        assert!(p.rollover.is_some());
        assert_eq!(shown["phases"]["hot"]["min_age"], "0ms");
        assert_eq!(shown["_meta"]["by"], "me");
        for (body, says) in [
            (
                json!({"policy": {"phases": {"frozen": {"actions": {}}}}}),
                "phase [frozen]",
            ),
            (
                json!({"policy": {"phases": {"warm": {"actions": {"forcemerge": {"max_num_segments": 1, "index_codec": "best_compression"}}}}}}),
                "action [forcemerge] of phase [warm]",
            ),
            (
                json!({"policy": {"phases": {"warm": {"actions": {"shrink": {"number_of_shards": 1}}}}}}),
                "action [shrink] of phase [warm]",
            ),
            (
                json!({"policy": {"phases": {"cold": {"actions": {"allocate": {"require": {"box": "cold"}}}}}}}),
                "action [allocate] of phase [cold]",
            ),
            (
                json!({"policy": {"phases": {"cold": {"actions": {"migrate": {"enabled": true}}}}}}),
                "action [migrate] of phase [cold]",
            ),
            (
                json!({"policy": {"phases": {"hot": {"actions": {"shrink": {"number_of_shards": 1}}}}}}),
                "action [shrink]",
            ),
            (
                json!({"policy": {"phases": {"hot": {"actions": {"rollover": {"max_bananas": 1}}}}}}),
                "max_bananas",
            ),
            (
                json!({"policy": {"phases": {"hot": {"actions": {"rollover": {}}}}}}),
                "requires at least one",
            ),
            (
                json!({"policy": {"phases": {"delete": {"min_age": "soon", "actions": {"delete": {}}}}}}),
                "[soon]",
            ),
            (json!({"policy": {}, "x": 1}), "unknown field [x]"),
        ] {
            let e = parse("p", &body).unwrap_err().to_es_body().to_string();
            assert!(e.contains(says), "{body}: {e}");
        }
    }

    #[test]
    fn warm_and_cold_phases_follow_their_min_age() {
        let (p, _) = parse(
            "tiers",
            &json!({"policy": {"phases": {
                "cold": {"min_age": "7d", "actions": {"allocate": {"number_of_replicas": 0},
                    "readonly": {}, "set_priority": {"priority": 0}}},
                "warm": {"min_age": "1d", "actions": {"forcemerge": {"max_num_segments": 1},
                    "readonly": {}, "migrate": {"enabled": false}}},
                "delete": {"min_age": "30d", "actions": {"delete": {}}}}}}),
        )
        .unwrap();
        let day = 86_400_000;
        let at = |age: i64| p.phase_at(age).map(|(ph, a)| (ph, a.to_vec()));
        assert_eq!(at(day / 2), None);
        assert_eq!(
            at(day),
            Some(("warm", vec![Action::ForceMerge(1), Action::Readonly]))
        );
        assert_eq!(
            at(8 * day),
            Some(("cold", vec![Action::Replicas(0), Action::Readonly]))
        );
        assert_eq!(at(30 * day), Some(("delete", vec![])));
    }

    #[test]
    fn ages_read_as_elasticsearch_writes_them() {
        assert_eq!(age_text(250), "250ms");
        assert_eq!(age_text(12_000), "12s");
        assert_eq!(age_text(90 * 60_000), "1.5h");
        assert_eq!(age_text(3 * 86_400_000), "3d");
    }
}
