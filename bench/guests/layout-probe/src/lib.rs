//! # layout-probe
//!
//! Bench-only guest of `vitals-bench layouts` (issue #17): the candidate
//! account layouts of contract 0.2 (`wit/probe.wit`), each decoded the way an
//! SDK would (a borrowed account view, or today's owned types) and scored
//! with the real `weighted-health` rules, so the bench compares them end to
//! end per account against native code and the 0.1 component.

mod decode;
mod outputs;
mod score;
mod view;

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "vitals:layout-probe/probe@0.0.1",
        with: {
            "vitals:plugin/types@0.1.0": vitals_plugin_sdk_v01::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log@0.1.0": vitals_plugin_sdk_v01::bindings::health_model::vitals::plugin::log,
        },
    });
}

use bindings::exports::vitals::layout_probe::{
    columnar_concat as c1, columnar_list as c2, flat_records as b, names_once as a, outputs as o,
};
use decode::Columnar;
use view::{Account, Names, Strings};
use vitals_plugin_sdk_v01::{Date, Health, PluginError};
use weighted_health::Config;

type Batch<T> = Result<Vec<Result<T, PluginError>>, PluginError>;

/// The configuration, parsed and checked once per call as the SDK does.
fn config(text: &str) -> Result<Config, PluginError> {
    let config: Config = vitals_plugin_sdk_v01::config::parse(text)?;
    weighted_health::check_config(&config).map_err(PluginError::InvalidConfig)?;
    Ok(config)
}

/// Scores every account over its view.
fn by_view<'a>(
    config: &str,
    as_of: Date,
    accounts: impl Iterator<Item = Account<'a>>,
) -> Batch<Health> {
    let config = self::config(config)?;
    Ok(accounts
        .map(|a| score::score(&config, as_of, &a).map(|h| h.owned()))
        .collect())
}

/// Builds today's owned account from each view and runs the unchanged plugin.
fn by_owned<'a>(
    config: &str,
    as_of: Date,
    accounts: impl Iterator<Item = Account<'a>>,
) -> Batch<Health> {
    let config = self::config(config)?;
    Ok(accounts
        .map(|a| {
            weighted_health::score_account(&config, as_of, &decode::owned(&a))
                .map(decode::v01_health)
                .map_err(decode::v01_error)
        })
        .collect())
}

fn names(list: &[String]) -> Names<'_> {
    Names(list.iter().map(String::as_str).collect())
}

pub struct Probe;

impl a::Guest for Probe {
    fn score(config: String, as_of: Date, batch: a::Batch) -> Batch<Health> {
        let (m, l) = (names(&batch.metric_names), names(&batch.label_names));
        let views = batch.accounts.iter().map(|x| decode::names_once(x, &m, &l));
        by_view(&config, as_of, views)
    }
    fn score_owned(config: String, as_of: Date, batch: a::Batch) -> Batch<Health> {
        let (m, l) = (names(&batch.metric_names), names(&batch.label_names));
        let views = batch.accounts.iter().map(|x| decode::names_once(x, &m, &l));
        by_owned(&config, as_of, views)
    }
    fn receive(_as_of: Date, batch: a::Batch) -> u32 {
        batch.accounts.len() as u32
    }
}

impl b::Guest for Probe {
    fn score(config: String, as_of: Date, batch: b::Batch) -> Batch<Health> {
        let (m, l) = (names(&batch.metric_names), names(&batch.label_names));
        let views = batch.accounts.iter().map(|x| decode::flat(x, &m, &l));
        by_view(&config, as_of, views)
    }
    fn score_owned(config: String, as_of: Date, batch: b::Batch) -> Batch<Health> {
        let (m, l) = (names(&batch.metric_names), names(&batch.label_names));
        let views = batch.accounts.iter().map(|x| decode::flat(x, &m, &l));
        by_owned(&config, as_of, views)
    }
    fn receive(_as_of: Date, batch: b::Batch) -> u32 {
        batch.accounts.len() as u32
    }
}

fn concat(batch: &c1::Batch) -> Columnar<'_> {
    Columnar::new(
        Strings::Concat(&batch.strings.text, &batch.strings.end),
        &batch.fields,
        &batch.metric_names,
        &batch.label_names,
        &batch.accounts,
        &batch.current,
        &batch.history,
    )
}

fn listed(batch: &c2::Batch) -> Columnar<'_> {
    Columnar::new(
        Strings::List(&batch.strings),
        &batch.fields,
        &batch.metric_names,
        &batch.label_names,
        &batch.accounts,
        &batch.current,
        &batch.history,
    )
}

impl c1::Guest for Probe {
    fn score(config: String, as_of: Date, batch: c1::Batch) -> Batch<Health> {
        let c = concat(&batch);
        by_view(&config, as_of, (0..c.len()).map(|i| c.account(i)))
    }
    fn score_owned(config: String, as_of: Date, batch: c1::Batch) -> Batch<Health> {
        let c = concat(&batch);
        by_owned(&config, as_of, (0..c.len()).map(|i| c.account(i)))
    }
    fn receive(_as_of: Date, batch: c1::Batch) -> u32 {
        batch.current.as_of.len() as u32
    }
}

impl c2::Guest for Probe {
    fn score(config: String, as_of: Date, batch: c2::Batch) -> Batch<Health> {
        let c = listed(&batch);
        by_view(&config, as_of, (0..c.len()).map(|i| c.account(i)))
    }
    fn score_owned(config: String, as_of: Date, batch: c2::Batch) -> Batch<Health> {
        let c = listed(&batch);
        by_owned(&config, as_of, (0..c.len()).map(|i| c.account(i)))
    }
    fn receive(_as_of: Date, batch: c2::Batch) -> u32 {
        batch.current.as_of.len() as u32
    }
}

impl o::Guest for Probe {
    fn emit_strings(n: u32) -> Batch<Health> {
        Ok(outputs::emit_strings(n))
    }
    fn emit_indexed(n: u32) -> Result<o::IndexedBatch, PluginError> {
        Ok(outputs::emit_indexed(n))
    }
    fn emit_columns(n: u32) -> Result<o::HealthColumns, PluginError> {
        Ok(outputs::emit_columns(n))
    }
    fn score_indexed(
        config: String,
        as_of: Date,
        batch: c2::Batch,
    ) -> Result<o::IndexedBatch, PluginError> {
        let config = self::config(&config)?;
        let c = listed(&batch);
        let mut table = outputs::FactorTable::default();
        let results = (0..c.len())
            .map(|i| {
                score::score(&config, as_of, &c.account(i))
                    .map(|h| outputs::indexed(&h, &mut table))
            })
            .collect();
        Ok(o::IndexedBatch {
            factors: table.names(),
            results,
        })
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: vitals_plugin_sdk_v01::alloc::Bump = vitals_plugin_sdk_v01::alloc::Bump::new();

/// The exports (wit-bindgen's glue is `unsafe`, as in the SDK's own macros).
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod export {
    use super::Probe;
    crate::bindings::export!(Probe with_types_in crate::bindings);
}
