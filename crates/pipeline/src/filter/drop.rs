//! `drop`: discards the event (or `percentage` percent of events).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use log_model::LogEvent;

use super::{Common, Filter, FilterOutcome};
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Filter,
        "drop",
        vec![OptSpec::new("percentage", OptType::Number).default(Default::Int(100))],
    )
}

#[derive(Debug)]
pub(super) struct Drop {
    common: Common,
    percentage: f64,
    state: AtomicU64,
}

impl Drop {
    pub(super) fn new(settings: &Settings, common: Common) -> Self {
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
            | 1;
        Self {
            common,
            percentage: settings.number("percentage").unwrap_or(100.0),
            state: AtomicU64::new(seed),
        }
    }

    /// A uniform number in [0, 1) (xorshift; good enough for sampling).
    #[allow(clippy::cast_precision_loss)]
    fn next_unit(&self) -> f64 {
        let mut x = self.state.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Filter for Drop {
    /// Logstash: `event.cancel if @percentage == 100 || rand < @percentage / 100.0`; a kept
    /// event is left as it is (no decorations).
    fn filter(&self, _event: &mut LogEvent) -> FilterOutcome {
        if self.percentage >= 100.0 || self.next_unit() < self.percentage / 100.0 {
            FilterOutcome::Drop
        } else {
            FilterOutcome::Keep
        }
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "drop"
    }
}
