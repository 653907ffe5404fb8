//! From the config AST to running [`Components`]: each plugin is looked up in its kind's
//! registry ([`crate::input::REGISTRY`], [`crate::filter::REGISTRY`],
//! [`crate::output::REGISTRY`]), validated against its schema (Logstash's option names,
//! types and defaults; errors name `file:line:column`), then built.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Components, Settings};
use crate::config::{Pipeline, Plugin, Schema, Tree};
use crate::filter::FilterChain;
use crate::output::DeadLetterQueue;
use crate::{Error, Result};

/// The schemas of every input, filter, output and codec plugin, for documentation and tests.
#[must_use]
pub fn plugin_schemas() -> Vec<Schema> {
    let mut out: Vec<Schema> = crate::input::REGISTRY
        .iter()
        .map(|p| (p.schema)())
        .collect();
    out.extend(crate::filter::REGISTRY.iter().map(|p| (p.schema)()));
    out.extend(crate::output::REGISTRY.iter().map(|p| (p.schema)()));
    out.extend(crate::codec::REGISTRY.iter().map(|p| (p.schema)()));
    out
}

/// Whether anything in the pipeline can see `@metadata`: outputs never write it, so only a
/// reference can (a field reference, sprintf or condition naming `@metadata`, anywhere in the
/// parsed config), or a `rubydebug` codec with its `metadata` option. When nothing can, the tcp
/// input skips building its per-connection `@metadata` for every event (about a tenth of the
/// agent's CPU), with no observable difference.
pub(crate) fn observes_metadata(config: &Pipeline) -> bool {
    // The AST's Debug form holds every string, field reference and condition as parsed.
    if format!("{config:?}").contains("@metadata") {
        return true;
    }
    config.plugins().any(|p| {
        p.settings.iter().any(|s| match &s.value {
            crate::config::Value::Plugin(codec) => {
                codec.name == "rubydebug" && codec.settings.iter().any(|c| c.name == "metadata")
            }
            _ => false,
        })
    })
}

/// Validates every plugin of `config` and builds the pipeline's components (nothing binds or
/// connects yet). `force` is the token that abandons retrying outputs.
///
/// # Errors
/// The first invalid plugin, as `file:line:column: message`.
pub fn build(
    config: &Pipeline,
    settings: &Settings,
    force: &CancellationToken,
) -> Result<Components> {
    if config.inputs.is_empty() {
        return Err(Error::Config(
            "pipeline has no inputs: add an input section (e.g. input { stdin { } })".into(),
        ));
    }
    let mut inputs = Vec::new();
    let metadata = observes_metadata(config);
    let http_budget = http_serve::Budget::new(
        usize::try_from(settings.http_input_memory_limit).unwrap_or(usize::MAX),
    );
    let tree: Tree<()> = Tree::build(&config.inputs, &mut |p: &Plugin| {
        inputs.push(crate::input::build(
            p,
            settings.allow_remote,
            metadata,
            &http_budget,
        )?);
        Ok(())
    })?;
    drop(tree);
    let filters = Arc::new(FilterChain::build(&config.filters)?);
    let dlq = settings.dead_letter_queue.then(|| {
        Arc::new(DeadLetterQueue::new(
            &settings.path_dead_letter_queue,
            &settings.id,
        ))
    });
    let mut outputs = Vec::new();
    let route: Tree<usize> = Tree::build(&config.outputs, &mut |p: &Plugin| {
        outputs.push(crate::output::build(p, dlq.clone(), force)?);
        Ok(outputs.len() - 1)
    })?;
    let f1 = filters.clone();
    Ok(Components {
        inputs,
        filter: Box::new(move |events| f1.process_batch(events)),
        filter_metrics: Box::new(move || filters.stats()),
        outputs,
        route: Box::new(move |ev, f| route.for_each_match(ev, &mut |i: &usize| f(*i))),
    })
}
