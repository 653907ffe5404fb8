//! `cidr`: whether addresses fall in networks (logstash-filter-cidr). When any `address`
//! (sprintf'd) is in any `network` (`10.0.0.0/8`, `fe80::/10`, or a bare address), the common
//! decorations (`add_tag`, `add_field`, ...) apply; otherwise nothing happens.

use std::net::IpAddr;

use log_model::LogEvent;

use super::{Common, Filter, FilterOutcome, Sprintf};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "cidr",
        vec![
            OptSpec::new("address", T::Array).default(Default::List(&[])),
            OptSpec::new("network", T::Array).default(Default::List(&[])),
            OptSpec::new("network_path", T::Path),
            OptSpec::new("separator", T::String).default(Default::Str("\n")),
            OptSpec::new("refresh_interval", T::Number).default(Default::Int(600)),
        ],
    )
}

/// `addr/prefix` (or a bare address: the full length).
pub(crate) fn parse_net(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, l.parse::<u8>().ok()?),
        None => {
            let a = s.parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((addr, len))
}

pub(crate) fn contains((net, len): (IpAddr, u8), ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let mut texts = settings.strings("network");
    if let Some(path) = settings.string("network_path") {
        let body = std::fs::read_to_string(path)
            .map_err(|e| settings.invalid("network_path", &format!("cannot read {path}: {e}")))?;
        let sep = settings.string("separator").unwrap_or("\n");
        texts.extend(
            body.split(sep)
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    let mut networks = Vec::new();
    for t in &texts {
        networks.push(
            parse_net(t)
                .ok_or_else(|| settings.invalid("network", &format!("invalid network {t:?}")))?,
        );
    }
    Ok(Box::new(Cidr {
        addresses: settings
            .strings("address")
            .iter()
            .map(|a| Sprintf::new(a))
            .collect(),
        networks,
        common,
    }))
}

#[derive(Debug)]
struct Cidr {
    common: Common,
    addresses: Vec<Sprintf>,
    networks: Vec<(IpAddr, u8)>,
}

impl Filter for Cidr {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let hit = self.addresses.iter().any(|a| {
            a.render(event)
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| self.networks.iter().any(|n| contains(*n, ip)))
        });
        if hit {
            self.common.matched(event);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "cidr"
    }
}
