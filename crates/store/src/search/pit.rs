//! Points in time: `POST /{target}/_pit?keep_alive=1m` keeps the searchers of that moment (each
//! index's tantivy `Searcher` holds its segments, so later writes, merges and refreshes do not
//! change what the point in time sees); a search with `{"pit": {"id": ..}}` reads them; `DELETE
//! /_pit` releases them.
//!
//! Expiry is ES's: a context lives `keep_alive` after its last use (a search's `pit.keep_alive`
//! replaces it). It is checked lazily, on every access, against the time the caller passes in
//! ([`PitRegistry`] never reads a clock), so tests need no sleeps. At most [`MAX_OPEN_PITS`] are
//! open at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::scroll::ScrollCursor;
use super::{SearchParams, Target};
use crate::engine::store::{Resolve, Store};
use crate::error::{Error, Result};

/// Most points in time open at once (ES's `search.max_open_scroll_context` default).
pub const MAX_OPEN_PITS: usize = 500;
/// Longest `keep_alive` accepted (ES's `search.max_keep_alive` default, one day).
pub const MAX_KEEP_ALIVE: Duration = Duration::from_secs(24 * 3600);

const ID_PREFIX: &str = "sluice-pit";
const SCROLL_PREFIX: &str = "sluice-scroll";

/// A scroll's cursor, locked while one of its pages is computed.
type Cursor = Arc<Mutex<ScrollCursor>>;

struct Pit {
    targets: Arc<Vec<Target>>,
    /// `Some` for a scroll context.
    scroll: Option<Cursor>,
    salt: String,
    keep_alive: Duration,
    last_access: Instant,
    opened: Instant,
}

impl Pit {
    /// Counts a finished scroll context (and how long it was open) on each shard it read.
    fn finished(&self, now: Instant) {
        if self.scroll.is_some() {
            let open = now.saturating_duration_since(self.opened);
            for t in self.targets.iter() {
                t.shard.counters(t.part).search.scroll.add(open);
            }
        }
    }
}

impl Pit {
    fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_access) > self.keep_alive
    }
}

/// The open points in time of a store.
#[derive(Default)]
pub struct PitRegistry {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    open: HashMap<u64, Pit>,
}

impl std::fmt::Debug for PitRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PitRegistry")
            .field("open", &self.inner.lock().open.len())
            .finish()
    }
}

/// A decoded point-in-time id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PitId {
    context: u64,
    salt: String,
}

impl PitId {
    fn encode(&self) -> String {
        self.encode_as(ID_PREFIX)
    }

    fn encode_as(&self, prefix: &str) -> String {
        base64::engine::general_purpose::URL_SAFE
            .encode(format!("{prefix}:{}:{}", self.context, self.salt))
    }

    fn decode(id: &str) -> Result<PitId> {
        Self::decode_as(id, ID_PREFIX, || {
            Error::illegal_argument(format!("invalid id: [{id}]"))
        })
    }

    /// A scroll id; ES's error for anything else.
    fn decode_scroll(id: &str) -> Result<PitId> {
        Self::decode_as(id, SCROLL_PREFIX, || {
            Error::illegal_argument("Cannot parse scroll id")
        })
    }

    fn decode_as(id: &str, prefix: &str, invalid: impl Fn() -> Error) -> Result<PitId> {
        let bytes = base64::engine::general_purpose::URL_SAFE
            .decode(id.trim())
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(p), Some(n), Some(salt)) if p == prefix => Ok(PitId {
                context: n.parse().map_err(|_| invalid())?,
                salt: salt.to_owned(),
            }),
            _ => Err(invalid()),
        }
    }
}

/// ES's answer for a point in time that expired, was closed or never existed.
fn context_missing(context: u64) -> Error {
    super::all_shards_failed(Error::es(
        404,
        "search_context_missing_exception",
        format!("No search context found for id [{context}]"),
    ))
}

impl PitRegistry {
    /// Drops the expired contexts (their searchers, and so their segments, are released).
    fn sweep(inner: &mut Inner, now: Instant) {
        inner.open.retain(|_, p| {
            let expired = p.expired(now);
            if expired {
                p.finished(now);
            }
            !expired
        });
    }

    /// Open contexts and scroll contexts among them, per shard (index uuid, shard number).
    pub(crate) fn contexts_per_shard(&self, now: Instant) -> HashMap<(String, usize), (u64, u64)> {
        let mut inner = self.inner.lock();
        Self::sweep(&mut inner, now);
        let mut out: HashMap<(String, usize), (u64, u64)> = HashMap::new();
        for p in inner.open.values() {
            for t in p.targets.iter() {
                let e = out.entry((t.shard.uuid.clone(), t.part)).or_default();
                e.0 += 1;
                e.1 += u64::from(p.scroll.is_some());
            }
        }
        out
    }

    /// Registers `targets` as a new point in time; returns its id.
    ///
    /// # Errors
    /// 429 `too_many_scroll_contexts_exception` when [`MAX_OPEN_PITS`] are open.
    pub(crate) fn open(
        &self,
        targets: Vec<Target>,
        keep_alive: Duration,
        now: Instant,
    ) -> Result<String> {
        self.open_context(targets, None, keep_alive, now)
            .map(|id| id.encode())
    }

    fn open_context(
        &self,
        targets: Vec<Target>,
        scroll: Option<ScrollCursor>,
        keep_alive: Duration,
        now: Instant,
    ) -> Result<PitId> {
        let mut inner = self.inner.lock();
        Self::sweep(&mut inner, now);
        if inner.open.len() >= MAX_OPEN_PITS {
            return Err(Error::es(
                429,
                "too_many_scroll_contexts_exception",
                format!(
                    "Trying to create too many point in time contexts. Must be less than or equal to: [{MAX_OPEN_PITS}]. This limit can be set by changing the [search.max_open_scroll_context] setting."
                ),
            ));
        }
        inner.next += 1;
        let id = PitId {
            context: inner.next,
            salt: crate::engine::util::generate_id(),
        };
        inner.open.insert(
            id.context,
            Pit {
                targets: Arc::new(targets),
                scroll: scroll.map(|c| Arc::new(Mutex::new(c))),
                salt: id.salt.clone(),
                keep_alive,
                last_access: now,
                opened: now,
            },
        );
        Ok(id)
    }

    /// The searchers of point in time `id`, marking it used (and setting a new keep-alive).
    ///
    /// # Errors
    /// 400 for an id that is not ours; 404 `search_context_missing_exception` when it is gone.
    pub(crate) fn acquire(
        &self,
        id: &str,
        keep_alive: Option<Duration>,
        now: Instant,
    ) -> Result<Arc<Vec<Target>>> {
        let pid = PitId::decode(id)?;
        self.acquire_context(&pid, false, keep_alive, now)
            .map(|(targets, _)| targets)
    }

    /// A context's searchers (and its scroll cursor), marking it used.
    fn acquire_context(
        &self,
        pid: &PitId,
        scroll: bool,
        keep_alive: Option<Duration>,
        now: Instant,
    ) -> Result<(Arc<Vec<Target>>, Option<Cursor>)> {
        let mut inner = self.inner.lock();
        Self::sweep(&mut inner, now);
        match inner.open.get_mut(&pid.context) {
            Some(p) if p.salt == pid.salt && p.scroll.is_some() == scroll => {
                p.last_access = now;
                if let Some(k) = keep_alive {
                    p.keep_alive = k;
                }
                Ok((Arc::clone(&p.targets), p.scroll.clone()))
            }
            _ => Err(context_missing(pid.context)),
        }
    }

    /// Closes the given ids; returns how many were open.
    ///
    /// # Errors
    /// 400 for an id that is not ours.
    pub(crate) fn close(&self, ids: &[String], now: Instant) -> Result<usize> {
        let decoded: Vec<PitId> = ids
            .iter()
            .map(|i| PitId::decode(i))
            .collect::<Result<_>>()?;
        Ok(self.close_contexts(&decoded, false, now))
    }

    /// Frees the contexts named (of the kind asked); returns how many were open.
    fn close_contexts(&self, decoded: &[PitId], scroll: bool, now: Instant) -> usize {
        let mut inner = self.inner.lock();
        Self::sweep(&mut inner, now);
        let mut freed = 0;
        for pid in decoded {
            if inner
                .open
                .get(&pid.context)
                .is_some_and(|p| p.salt == pid.salt && p.scroll.is_some() == scroll)
            {
                if let Some(p) = inner.open.remove(&pid.context) {
                    p.finished(now);
                }
                freed += 1;
            }
        }
        freed
    }

    /// Frees every scroll context; returns how many were open.
    fn close_all_scrolls(&self, now: Instant) -> usize {
        let mut inner = self.inner.lock();
        Self::sweep(&mut inner, now);
        let before = inner.open.len();
        inner.open.retain(|_, p| {
            if p.scroll.is_some() {
                p.finished(now);
            }
            p.scroll.is_none()
        });
        before - inner.open.len()
    }

    /// Open (unexpired) points in time.
    pub(crate) fn len(&self, now: Instant) -> usize {
        let mut inner = self.inner.lock();
        Self::sweep(&mut inner, now);
        inner.open.len()
    }
}

/// Parses an ES time value (`30s`, `1m`, `500ms`, `2h`, `1d`, `nanos`, `micros`).
///
/// # Errors
/// `parse_exception` naming `setting` for anything else, worded as ES words it.
pub fn parse_time_value(s: &str, setting: &str) -> Result<Duration> {
    let bad = |why: &str| {
        Error::es(
            400,
            "parse_exception",
            format!("failed to parse setting [{setting}] with value [{s}] as a time value: {why}"),
        )
    };
    let t = s.trim().to_ascii_lowercase();
    let units: [(&str, f64); 7] = [
        ("nanos", 1e-9),
        ("micros", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
        ("d", 86_400.0),
    ];
    let Some((num, scale)) = units
        .iter()
        .find_map(|(u, scale)| t.strip_suffix(u).map(|n| (n, *scale)))
    else {
        return Err(bad("unit is missing or unrecognized"));
    };
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|_| bad("unit is missing or unrecognized"))?;
    if x < 0.0 || !x.is_finite() {
        return Err(bad("negative values are not supported"));
    }
    Ok(Duration::from_secs_f64(x * scale))
}

fn keep_alive(s: &str, max: Duration) -> Result<Duration> {
    bounded_keep_alive(s, parse_time_value(s, "keep_alive")?, max)
}

/// A scroll's keep-alive (`scroll`): ES reports a bad one as `illegal_argument_exception`.
fn scroll_keep_alive(s: &str, max: Duration) -> Result<Duration> {
    let d = parse_time_value(s, "scroll").map_err(|e| Error::illegal_argument(e.reason()))?;
    bounded_keep_alive(s, d, max)
}

/// `d` within `search.max_keep_alive` (`max`), else ES's error.
fn bounded_keep_alive(s: &str, d: Duration, max: Duration) -> Result<Duration> {
    if d > max {
        return Err(Error::illegal_argument(format!(
            "Keep alive for request ({s}) is too large. It must be less than ({}). This limit can be set by changing the [search.max_keep_alive] cluster level setting.",
            crate::engine::cluster_settings::time_text(max)
        )));
    }
    Ok(d)
}

/// URL parameters a search with a point in time must not carry (ES's wording for each).
const NOT_WITH_PIT: &[(&str, &str)] = &[
    (
        "ignore_unavailable",
        "[indicesOptions] cannot be used with point in time",
    ),
    (
        "allow_no_indices",
        "[indicesOptions] cannot be used with point in time",
    ),
];

impl Store {
    pub(crate) fn pits(&self) -> &PitRegistry {
        &self.pits
    }

    /// `POST /{target}/_pit?keep_alive=..`: `{"id": ..}`.
    ///
    /// # Errors
    /// `action_request_validation_exception` without `keep_alive`; index resolution errors; the
    /// open limit.
    pub fn open_point_in_time(
        &self,
        target: &str,
        keep_alive_param: Option<&str>,
        routing: Option<&str>,
        opts: Resolve,
    ) -> Result<Value> {
        let Some(ka) = keep_alive_param else {
            return Err(super::validation_failed(&[
                "[keep_alive] is not specified".to_owned()
            ]));
        };
        let ka = keep_alive(ka, self.cluster.limits().max_keep_alive)?;
        let mut targets: Vec<Target> = self.filtered_targets(target, opts)?;
        super::keep_routed(&mut targets, routing);
        let id = self.pits().open(targets, ka, Instant::now())?;
        Ok(json!({ "id": id }))
    }

    /// `DELETE /_pit` with `{"id": ..}`: `(found, {"succeeded": true, "num_freed": N})`; ES
    /// answers 404 when nothing was freed.
    ///
    /// # Errors
    /// 400 for an id that is not a point-in-time id.
    pub fn close_point_in_time(&self, ids: &[String]) -> Result<(bool, Value)> {
        let freed = self.pits().close(ids, Instant::now())?;
        Ok((freed > 0, json!({"succeeded": true, "num_freed": freed})))
    }

    /// Points in time open now.
    pub fn open_point_in_time_count(&self) -> usize {
        self.pits().len(Instant::now())
    }

    /// `GET|POST [/{target}]/_search` as the REST layer takes it: with a point in time in the
    /// body (then no target may be given), or over `target` (all indices when `None`).
    ///
    /// # Errors
    /// As [`Store::search`], plus ES's point-in-time validation and missing-context errors.
    pub fn search_request(
        &self,
        target: Option<&str>,
        body: Option<&Value>,
        params: &SearchParams,
        param_names: &[&str],
        scroll: Option<&str>,
    ) -> Result<Value> {
        let looked_up = crate::engine::terms_lookup::rewrite(self, body)?;
        let body = looked_up.as_ref().or(body);
        if let Some(ka) = scroll {
            return self.open_scroll(target.unwrap_or("_all"), body, params, param_names, ka);
        }
        let pit = body.and_then(|b| b.get("pit"));
        let Some(pit) = pit else {
            return self.search(target.unwrap_or("_all"), body, params);
        };
        let mut msgs: Vec<String> = Vec::new();
        if target.is_some() {
            msgs.push(
                "[indices] cannot be used with point in time. Do not specify any index with point in time."
                    .to_owned(),
            );
        }
        for (name, msg) in NOT_WITH_PIT {
            if param_names.contains(name) && !msgs.iter().any(|m| m == msg) {
                msgs.push((*msg).to_owned());
            }
        }
        for name in ["preference", "routing"] {
            if param_names.contains(&name) {
                msgs.push(format!("[{name}] cannot be used with point in time"));
            }
        }
        if !msgs.is_empty() {
            return Err(super::validation_failed(&msgs));
        }
        let pit = super::parse_pit(pit)?;
        let max = self.cluster.limits().max_keep_alive;
        let ka = pit
            .keep_alive
            .as_deref()
            .map(|k| keep_alive(k, max))
            .transpose()?;
        let mut targets: Vec<Target> = self.pits().acquire(&pit.id, ka, Instant::now())?.to_vec();
        self.boost_targets(&mut targets, body, params.resolve_options()?)?;
        super::search_targets(&targets, body, params, Some(&pit.id))
    }

    /// `_search?scroll=..`: checks the request, keeps the searchers of `target` and returns the
    /// first page with its `_scroll_id`.
    fn open_scroll(
        &self,
        target: &str,
        body: Option<&Value>,
        params: &SearchParams,
        param_names: &[&str],
        keep_alive_param: &str,
    ) -> Result<Value> {
        let ka = scroll_keep_alive(keep_alive_param, self.cluster.limits().max_keep_alive)?;
        let cursor = ScrollCursor::open(body, params, param_names.contains(&"request_cache"))?;
        let mut targets: Vec<Target> = self.filtered_targets(target, params.resolve_options()?)?;
        super::keep_routed(&mut targets, params.routing.as_deref());
        super::check_scroll_limits(&targets, body, params)?;
        self.boost_targets(&mut targets, body, params.resolve_options()?)?;
        let now = Instant::now();
        let pid = self.pits().open_context(targets, Some(cursor), ka, now)?;
        let id = pid.encode_as(SCROLL_PREFIX);
        let (targets, cursor) = self.pits().acquire_context(&pid, true, None, now)?;
        let Some(cursor) = cursor else {
            return Err(context_missing(pid.context));
        };
        let page = cursor.lock().page(&targets, &id, None);
        if page.is_err() {
            self.pits().close_contexts(&[pid], true, Instant::now());
        }
        page
    }

    /// `GET|POST /_search/scroll`: the next page of scroll `id`, keeping it `keep_alive`
    /// longer when given; `rest_total_hits_as_int` is this request's.
    ///
    /// # Errors
    /// 400 `Cannot parse scroll id` for an id that is not a scroll id; 404
    /// `search_context_missing_exception` when it expired or was cleared.
    pub fn scroll(
        &self,
        id: &str,
        keep_alive_param: Option<&str>,
        total_as_int: Option<String>,
    ) -> Result<Value> {
        let pid = PitId::decode_scroll(id)?;
        let max = self.cluster.limits().max_keep_alive;
        let ka = keep_alive_param
            .map(|k| scroll_keep_alive(k, max))
            .transpose()?;
        let (targets, cursor) = self
            .pits()
            .acquire_context(&pid, true, ka, Instant::now())?;
        let Some(cursor) = cursor else {
            return Err(context_missing(pid.context));
        };
        cursor.lock().page(&targets, id, Some(total_as_int))
    }

    /// `DELETE /_search/scroll`: frees the scroll ids given (`None`: every scroll, ES's
    /// `_all`); `(found, {"succeeded": true, "num_freed": N})`.
    ///
    /// # Errors
    /// 400 `Cannot parse scroll id` for an id that is not a scroll id.
    pub fn clear_scroll(&self, ids: Option<&[String]>) -> Result<(bool, Value)> {
        let now = Instant::now();
        let freed = match ids {
            None => self.pits().close_all_scrolls(now),
            Some(ids) => {
                let decoded: Vec<PitId> = ids
                    .iter()
                    .map(|i| PitId::decode_scroll(i))
                    .collect::<Result<_>>()?;
                self.pits().close_contexts(&decoded, true, now)
            }
        };
        Ok((freed > 0, json!({"succeeded": true, "num_freed": freed})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn ids_round_trip_and_foreign_ids_are_refused() {
        let id = PitId {
            context: 42,
            salt: "abc".into(),
        };
        assert_eq!(PitId::decode(&id.encode()).ok(), Some(id));
        for bad in ["", "!!!", "c2x1aWNl", "c2x1aWNlLXBpdDp4Onk="] {
            let e = PitId::decode(bad).err().map(|e| (e.status(), e.reason()));
            assert_eq!(e, Some((400, format!("invalid id: [{bad}]"))), "{bad}");
        }
    }

    #[test]
    fn keep_alive_counts_from_last_use() {
        let r = PitRegistry::default();
        let t0 = Instant::now();
        let id = r
            .open(Vec::new(), Duration::from_secs(60), t0)
            .unwrap_or_default();
        // used at 50 s: alive until 110 s
        assert!(r.acquire(&id, None, at(t0, 50_000)).is_ok());
        assert!(r.acquire(&id, None, at(t0, 109_000)).is_ok());
        // a search's keep_alive replaces the context's
        assert!(
            r.acquire(&id, Some(Duration::from_secs(1)), at(t0, 110_000))
                .is_ok()
        );
        let e = r.acquire(&id, None, at(t0, 111_500)).err();
        assert_eq!(e.as_ref().map(Error::status), Some(404));
        assert_eq!(
            e.map(|e| e.to_es_body()["error"]["root_cause"][0]["type"].clone()),
            Some(Value::from("search_context_missing_exception"))
        );
        assert_eq!(r.len(at(t0, 111_500)), 0);
    }

    #[test]
    fn open_contexts_are_bounded_and_expired_ones_make_room() {
        let r = PitRegistry::default();
        let t0 = Instant::now();
        for _ in 0..MAX_OPEN_PITS {
            assert!(r.open(Vec::new(), Duration::from_secs(1), t0).is_ok());
        }
        let e = r.open(Vec::new(), Duration::from_secs(1), t0).err();
        assert_eq!(
            e.map(|e| (e.status(), e.es_type().to_owned())),
            Some((429, "too_many_scroll_contexts_exception".to_owned()))
        );
        assert!(
            r.open(Vec::new(), Duration::from_secs(1), at(t0, 1_001))
                .is_ok()
        );
        assert_eq!(r.len(at(t0, 1_001)), 1);
    }

    #[test]
    fn close_frees_once() {
        let r = PitRegistry::default();
        let t0 = Instant::now();
        let id = r
            .open(Vec::new(), Duration::from_secs(60), t0)
            .unwrap_or_default();
        assert_eq!(r.close(std::slice::from_ref(&id), t0).ok(), Some(1));
        assert_eq!(r.close(std::slice::from_ref(&id), t0).ok(), Some(0));
        // a forged id with a known context number but the wrong salt frees nothing
        let other = r
            .open(Vec::new(), Duration::from_secs(60), t0)
            .unwrap_or_default();
        let mut forged = PitId::decode(&other).unwrap_or_else(|_| PitId {
            context: 0,
            salt: String::new(),
        });
        forged.salt = "guess".into();
        assert_eq!(r.close(&[forged.encode()], t0).ok(), Some(0));
        assert_eq!(r.len(t0), 1);
    }

    #[test]
    fn time_values() {
        let ok = |s: &str| parse_time_value(s, "keep_alive").ok();
        assert_eq!(ok("1m"), Some(Duration::from_secs(60)));
        assert_eq!(ok("30s"), Some(Duration::from_secs(30)));
        assert_eq!(ok("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(ok("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(ok("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(ok("10micros"), Some(Duration::from_micros(10)));
        assert_eq!(
            parse_time_value("5x", "keep_alive").err().map(|e| e.reason()),
            Some("failed to parse setting [keep_alive] with value [5x] as a time value: unit is missing or unrecognized".to_owned())
        );
        assert_eq!(
            keep_alive("2d", MAX_KEEP_ALIVE)
                .err()
                .map(|e| e.es_type().to_owned()),
            Some("illegal_argument_exception".to_owned())
        );
    }
}
