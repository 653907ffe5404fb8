//! `dns`: forward (`resolve`) and reverse (`reverse`) lookups of field values
//! (logstash-filter-dns).
//!
//! - `resolve => [fields]`: a host name becomes its first address (A records, then AAAA when
//!   there is none, as Ruby's `Resolv#getaddress`); `reverse => [fields]`: an IP address becomes
//!   its name (PTR, without the trailing dot).
//! - `action => append` (default) turns the field into `[original, result]`; `replace` replaces it.
//! - All or nothing, as Logstash: when any lookup of an event fails (no such name, not an IP for
//!   `reverse`, a field with several values), the event is left as it was and the common
//!   decorations are not applied; a timeout adds `tag_on_timeout` (`_dnstimeout`).
//! - Where names come from: the `hostsfile` files, then DNS over UDP to `nameserver` (a list of
//!   addresses, or `{ address => [...] search => [...] ndots => 1 }`). Without `nameserver`,
//!   `/etc/hosts` and the name servers and search list of `/etc/resolv.conf`, as Ruby's default
//!   resolver. `timeout` (seconds, default 0.5) bounds each query, retried `max_retries` times
//!   (default 2).
//! - `hit_cache_size` / `hit_cache_ttl` and `failed_cache_size` / `failed_cache_ttl` (defaults 0,
//!   60 s, 0, 5 s): least-recently-used caches of answers and of failures (0: no cache).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use log_model::{FieldRef, LogEvent};
use parking_lot::Mutex;
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, Typed, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "dns",
        vec![
            OptSpec::new("resolve", T::Array),
            OptSpec::new("reverse", T::Array),
            OptSpec::new("action", T::OneOf(&["append", "replace"]))
                .default(Default::Str("append")),
            // A list of addresses or `{ address => [...] search => [...] ndots => N }`.
            OptSpec::new("nameserver", T::Array),
            OptSpec::new("hostsfile", T::Array),
            OptSpec::new("timeout", T::Number).default(Default::Float(0.5)),
            OptSpec::new("max_retries", T::Number).default(Default::Int(2)),
            OptSpec::new("hit_cache_size", T::Number).default(Default::Int(0)),
            OptSpec::new("hit_cache_ttl", T::Number).default(Default::Int(60)),
            OptSpec::new("failed_cache_size", T::Number).default(Default::Int(0)),
            OptSpec::new("failed_cache_ttl", T::Number).default(Default::Int(5)),
            OptSpec::new("tag_on_timeout", T::Array).default(Default::List(&["_dnstimeout"])),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let fields = |name: &str| -> Result<Vec<FieldRef>> {
        settings
            .strings(name)
            .iter()
            .map(|f| {
                field_ref(f).ok_or_else(|| settings.invalid(name, &format!("invalid field {f}")))
            })
            .collect()
    };
    let timeout = settings.number("timeout").unwrap_or(0.5);
    if !(timeout > 0.0 && timeout.is_finite()) {
        return Err(settings.invalid(
            "timeout",
            &format!("timeout must be a positive number of seconds, got {timeout}"),
        ));
    }
    let count = |name: &str, default: i64| -> Result<usize> {
        usize::try_from(settings.integer(name).unwrap_or(default))
            .map_err(|_| settings.invalid(name, &format!("{name} must not be negative")))
    };
    let secs = |name: &str, default: i64| -> Result<Duration> {
        Ok(Duration::from_secs(count(name, default)? as u64))
    };
    let mut resolver = Resolver {
        hosts: Vec::new(),
        servers: Vec::new(),
        search: Vec::new(),
        ndots: 1,
        timeout: Duration::from_secs_f64(timeout),
        retries: count("max_retries", 2)?,
        next_id: AtomicU16::new(std::process::id() as u16),
    };
    let hostsfiles: Vec<PathBuf> = settings
        .strings("hostsfile")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    match settings.get("nameserver") {
        None => {
            let files = if hostsfiles.is_empty() {
                vec![PathBuf::from("/etc/hosts")]
            } else {
                hostsfiles
            };
            for f in files {
                resolver.hosts.extend(read_hosts(&f, settings)?);
            }
            let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
            let (servers, search, ndots) = parse_resolv_conf(&conf);
            resolver.servers = servers;
            resolver.search = search;
            resolver.ndots = ndots;
        }
        Some(ns) => {
            for f in hostsfiles {
                resolver.hosts.extend(read_hosts(&f, settings)?);
            }
            nameservers(ns, settings, &mut resolver)?;
        }
    }
    Ok(Box::new(Dns {
        resolve: fields("resolve")?,
        reverse: fields("reverse")?,
        replace: settings.string("action") == Some("replace"),
        tag_on_timeout: tag_list(settings, "tag_on_timeout"),
        hits: Cache::new(count("hit_cache_size", 0)?, secs("hit_cache_ttl", 60)?),
        failures: Cache::new(count("failed_cache_size", 0)?, secs("failed_cache_ttl", 5)?),
        resolver,
        common,
    }))
}

/// `nameserver`: `["10.0.0.1", "10.0.0.2:5353"]` or `{ address => [...] search => [...] ndots => N }`.
fn nameservers(ns: &Typed, settings: &Settings, r: &mut Resolver) -> Result<()> {
    let items: Vec<Json> = match ns {
        Typed::Array(a) => a.clone(),
        Typed::String(s) => vec![Json::String(s.clone())],
        _ => return Err(settings.invalid("nameserver", "expected a list of addresses or a hash")),
    };
    let mut addresses = Vec::new();
    for item in items {
        match item {
            Json::Object(m) => {
                for (k, v) in m {
                    let list = match v {
                        Json::Array(a) => a.iter().map(json_text).collect(),
                        other => vec![json_text(&other)],
                    };
                    match k.as_str() {
                        "address" => addresses.extend(list),
                        "search" => r.search.extend(list),
                        "ndots" => {
                            r.ndots =
                                list.first().and_then(|n| n.parse().ok()).ok_or_else(|| {
                                    settings.invalid("nameserver", "ndots must be a number")
                                })?;
                        }
                        other => {
                            return Err(settings.invalid(
                                "nameserver",
                                &format!(
                                    "unknown nameserver option {other} (address, search, ndots)"
                                ),
                            ));
                        }
                    }
                }
            }
            other => addresses.push(json_text(&other)),
        }
    }
    if addresses.is_empty() {
        return Err(settings.invalid("nameserver", "no address given"));
    }
    for a in addresses {
        let addr = server_addr(&a)
            .ok_or_else(|| settings.invalid("nameserver", &format!("not an IP address: {a}")))?;
        r.servers.push(addr);
    }
    Ok(())
}

/// `1.2.3.4`, `1.2.3.4:53`, `::1`, `[::1]:53`.
fn server_addr(s: &str) -> Option<SocketAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 53));
    }
    s.parse().ok()
}

fn read_hosts(path: &std::path::Path, settings: &Settings) -> Result<Vec<(IpAddr, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        settings.invalid("hostsfile", &format!("cannot read {}: {e}", path.display()))
    })?;
    Ok(parse_hosts(&text))
}

/// `/etc/hosts` lines: an address, then names; `#` starts a comment.
pub(crate) fn parse_hosts(text: &str) -> Vec<(IpAddr, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
            continue;
        };
        out.extend(words.map(|n| (ip, n.to_ascii_lowercase())));
    }
    out
}

/// `nameserver`, `search`/`domain` and `options ndots:N` of resolv.conf.
fn parse_resolv_conf(text: &str) -> (Vec<SocketAddr>, Vec<String>, usize) {
    let (mut servers, mut search, mut ndots) = (Vec::new(), Vec::new(), 1);
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => servers.extend(words.next().and_then(server_addr)),
            Some("search" | "domain") => search = words.map(str::to_owned).collect(),
            Some("options") => {
                for w in words {
                    if let Some(n) = w.strip_prefix("ndots:").and_then(|n| n.parse().ok()) {
                        ndots = n;
                    }
                }
            }
            _ => {}
        }
    }
    (servers, search, ndots)
}

#[derive(Debug)]
struct Dns {
    common: Common,
    resolve: Vec<FieldRef>,
    reverse: Vec<FieldRef>,
    replace: bool,
    tag_on_timeout: Vec<String>,
    hits: Cache,
    failures: Cache,
    resolver: Resolver,
}

/// Why a lookup gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Miss {
    /// The name (or address) has no record, or the value cannot be looked up.
    NotFound,
    /// No server answered in time.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Forward,
    Reverse,
}

impl Filter for Dns {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        // Logstash works on a copy and keeps it only when every lookup succeeded.
        let mut changes = Vec::new();
        let lookups = self
            .resolve
            .iter()
            .map(|f| (f, Kind::Forward))
            .chain(self.reverse.iter().map(|f| (f, Kind::Reverse)));
        for (field, kind) in lookups {
            let value = match event.get(field) {
                None => continue,
                Some(Json::String(s)) => s.clone(),
                Some(Json::Array(a)) if a.len() == 1 => json_text(&a[0]),
                Some(Json::Array(_)) => {
                    tracing::debug!(field = %field, "dns: skipping a field with several values");
                    return FilterOutcome::Keep;
                }
                Some(other) => json_text(other),
            };
            match self.lookup(kind, &value) {
                Ok(answer) => changes.push((field, value, answer)),
                Err(Miss::Timeout) => {
                    tracing::debug!(field = %field, value, "dns: timeout");
                    for t in &self.tag_on_timeout {
                        event.add_tag(t);
                    }
                    return FilterOutcome::Keep;
                }
                Err(Miss::NotFound) => {
                    tracing::debug!(field = %field, value, "dns: no answer");
                    return FilterOutcome::Keep;
                }
            }
        }
        for (field, original, answer) in changes {
            let v = if self.replace {
                Json::String(answer)
            } else {
                Json::Array(vec![Json::String(original), Json::String(answer)])
            };
            event.insert(field, v);
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "dns"
    }
}

impl Dns {
    fn lookup(&self, kind: Kind, value: &str) -> std::result::Result<String, Miss> {
        let key = (kind, value.to_owned());
        let now = Instant::now();
        if let Some(hit) = self.hits.get(&key, now) {
            return Ok(hit);
        }
        if self.failures.get(&key, now).is_some() {
            return Err(Miss::NotFound);
        }
        let answer = match kind {
            Kind::Forward => self.resolver.address(value),
            Kind::Reverse => self.resolver.name(value),
        };
        match &answer {
            Ok(a) => self.hits.put(key, a.clone(), now),
            Err(Miss::NotFound) => self.failures.put(key, String::new(), now),
            Err(Miss::Timeout) => {}
        }
        answer
    }
}

// ---- cache -----------------------------------------------------------------------------------

/// A least-recently-used cache with a time to live; capacity 0 keeps nothing.
#[derive(Debug)]
struct Cache {
    capacity: usize,
    ttl: Duration,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    tick: u64,
    /// key → (answer, stored at, last use).
    map: HashMap<(Kind, String), (String, Instant, u64)>,
    /// last use → key.
    order: BTreeMap<u64, (Kind, String)>,
}

impl Cache {
    fn new(capacity: usize, ttl: Duration) -> Self {
        Cache {
            capacity,
            ttl,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    fn get(&self, key: &(Kind, String), now: Instant) -> Option<String> {
        if self.capacity == 0 {
            return None;
        }
        let mut c = self.inner.lock();
        let c = &mut *c;
        let (answer, at, used) = c.map.get(key)?.clone();
        if now.duration_since(at) >= self.ttl {
            c.map.remove(key);
            c.order.remove(&used);
            return None;
        }
        c.tick += 1;
        c.order.remove(&used);
        c.order.insert(c.tick, key.clone());
        if let Some(e) = c.map.get_mut(key) {
            e.2 = c.tick;
        }
        Some(answer)
    }

    fn put(&self, key: (Kind, String), answer: String, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let mut c = self.inner.lock();
        let c = &mut *c;
        c.tick += 1;
        if let Some((_, _, used)) = c.map.insert(key.clone(), (answer, now, c.tick)) {
            c.order.remove(&used);
        }
        c.order.insert(c.tick, key);
        while c.map.len() > self.capacity {
            let Some((_, oldest)) = c.order.pop_first() else {
                break;
            };
            c.map.remove(&oldest);
        }
    }
}

// ---- resolver ----------------------------------------------------------------------------------

#[derive(Debug)]
struct Resolver {
    hosts: Vec<(IpAddr, String)>,
    servers: Vec<SocketAddr>,
    search: Vec<String>,
    ndots: usize,
    timeout: Duration,
    retries: usize,
    next_id: AtomicU16,
}

const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const TYPE_AAAA: u16 = 28;

impl Resolver {
    /// Host name → first address (hosts file, then A, then AAAA).
    fn address(&self, name: &str) -> std::result::Result<String, Miss> {
        // An address resolves to itself (Ruby's `Resolv#getaddress`).
        if let Ok(ip) = name.trim().parse::<IpAddr>() {
            return Ok(ip.to_string());
        }
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some((ip, _)) = self.hosts.iter().find(|(_, n)| *n == lower) {
            return Ok(ip.to_string());
        }
        if lower.is_empty() || lower.len() > 253 {
            return Err(Miss::NotFound);
        }
        let mut timed_out = false;
        for candidate in self.candidates(name) {
            for qtype in [TYPE_A, TYPE_AAAA] {
                match self.query(&candidate, qtype) {
                    Ok(Some(a)) => return Ok(a),
                    Ok(None) => {}
                    Err(Miss::Timeout) => timed_out = true,
                    Err(Miss::NotFound) => {}
                }
            }
        }
        Err(if timed_out {
            Miss::Timeout
        } else {
            Miss::NotFound
        })
    }

    /// IP address → name (hosts file, then PTR).
    fn name(&self, value: &str) -> std::result::Result<String, Miss> {
        let Ok(ip) = value.trim().parse::<IpAddr>() else {
            tracing::debug!(value, "dns: not an IP address, cannot reverse it");
            return Err(Miss::NotFound);
        };
        if let Some((_, n)) = self.hosts.iter().find(|(a, _)| *a == ip) {
            return Ok(n.clone());
        }
        self.query(&reverse_name(ip), TYPE_PTR)?
            .ok_or(Miss::NotFound)
    }

    /// The names to try for `name`, as resolv.conf's `search` and `ndots` say.
    fn candidates(&self, name: &str) -> Vec<String> {
        if name.ends_with('.') || self.search.is_empty() {
            return vec![name.trim_end_matches('.').to_owned()];
        }
        let searched = self.search.iter().map(|d| format!("{name}.{d}"));
        if name.matches('.').count() >= self.ndots {
            std::iter::once(name.to_owned()).chain(searched).collect()
        } else {
            searched.chain(std::iter::once(name.to_owned())).collect()
        }
    }

    /// One question to each server in turn, `retries` more rounds on timeouts.
    fn query(&self, name: &str, qtype: u16) -> std::result::Result<Option<String>, Miss> {
        if self.servers.is_empty() {
            return Err(Miss::NotFound);
        }
        for _ in 0..=self.retries {
            for server in &self.servers {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                match ask(*server, id, name, qtype, self.timeout) {
                    Ok(answer) => return Ok(answer),
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        tracing::debug!(%server, error = %e, "dns: bad answer");
                        return Err(Miss::NotFound);
                    }
                    Err(e) => tracing::debug!(%server, error = %e, "dns: no answer in time"),
                }
            }
        }
        Err(Miss::Timeout)
    }
}

/// `4.3.2.1.in-addr.arpa` or the nibbles of an IPv6 address under `ip6.arpa`.
fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(72);
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// Sends one query and waits (up to `timeout`) for its answer: `Ok(None)` for a name without
/// such a record (NXDOMAIN or no matching answer), an `InvalidData` error for a malformed
/// answer or a server failure, any other error for a timeout.
fn ask(
    server: SocketAddr,
    id: u16,
    name: &str,
    qtype: u16,
    timeout: Duration,
) -> std::io::Result<Option<String>> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("literal address")
    } else {
        "[::]:0".parse().expect("literal address")
    };
    let sock = UdpSocket::bind(bind)?;
    sock.connect(server)?;
    sock.send(&encode_query(id, name, qtype)?)?;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        sock.set_read_timeout(Some(left))?;
        let n = sock.recv(&mut buf)?;
        // Not ours (a late answer to an earlier query): keep waiting.
        if n < 12 || u16::from_be_bytes([buf[0], buf[1]]) != id {
            continue;
        }
        return decode_answer(&buf[..n], qtype);
    }
}

pub(crate) fn encode_query(id: u16, name: &str, qtype: u16) -> std::io::Result<Vec<u8>> {
    let mut q = Vec::with_capacity(18 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; one question
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("invalid name"));
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes()); // IN
    Ok(q)
}

/// The first answer record of type `qtype` in a response.
pub(crate) fn decode_answer(msg: &[u8], qtype: u16) -> std::io::Result<Option<String>> {
    if msg.len() < 12 {
        return Err(bad("truncated header"));
    }
    let rcode = msg[3] & 0x0f;
    match rcode {
        0 => {}
        3 => return Ok(None), // NXDOMAIN
        _ => return Err(bad(&format!("server answered rcode {rcode}"))),
    }
    let count = |at: usize| usize::from(u16::from_be_bytes([msg[at], msg[at + 1]]));
    let (qd, an) = (count(4), count(6));
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos)? + 4;
    }
    for _ in 0..an {
        pos = skip_name(msg, pos)?;
        let field = |at: usize| -> std::io::Result<u16> {
            let b = msg.get(at..at + 2).ok_or_else(|| bad("truncated record"))?;
            Ok(u16::from_be_bytes([b[0], b[1]]))
        };
        let rtype = field(pos)?;
        let len = usize::from(field(pos + 8)?);
        let data = pos + 10;
        let rdata = msg
            .get(data..data + len)
            .ok_or_else(|| bad("truncated record"))?;
        if rtype == qtype {
            return Ok(Some(match rtype {
                TYPE_A if len == 4 => {
                    IpAddr::from(<[u8; 4]>::try_from(rdata).map_err(|_| bad("bad A"))?).to_string()
                }
                TYPE_AAAA if len == 16 => {
                    IpAddr::from(<[u8; 16]>::try_from(rdata).map_err(|_| bad("bad AAAA"))?)
                        .to_string()
                }
                TYPE_PTR => read_name(msg, data)?,
                _ => return Err(bad("bad record length")),
            }));
        }
        pos = data + len;
    }
    Ok(None)
}

fn skip_name(msg: &[u8], mut pos: usize) -> std::io::Result<usize> {
    loop {
        let len = *msg.get(pos).ok_or_else(|| bad("truncated name"))?;
        match len {
            0 => return Ok(pos + 1),
            l if l & 0xc0 == 0xc0 => return Ok(pos + 2),
            l => pos += 1 + usize::from(l),
        }
    }
}

/// A (possibly compressed) domain name, without the trailing dot.
fn read_name(msg: &[u8], mut pos: usize) -> std::io::Result<String> {
    let mut labels: Vec<String> = Vec::new();
    // Bounds the pointer chains of a hostile answer.
    for _ in 0..128 {
        let len = *msg.get(pos).ok_or_else(|| bad("truncated name"))?;
        match len {
            0 => return Ok(labels.join(".")),
            l if l & 0xc0 == 0xc0 => {
                let low = *msg.get(pos + 1).ok_or_else(|| bad("truncated name"))?;
                pos = usize::from(u16::from_be_bytes([l & 0x3f, low]));
            }
            l => {
                let end = pos + 1 + usize::from(l);
                let label = msg.get(pos + 1..end).ok_or_else(|| bad("truncated name"))?;
                labels.push(String::from_utf8_lossy(label).into_owned());
                pos = end;
            }
        }
    }
    Err(bad("name pointer loop"))
}
