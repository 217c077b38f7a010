//! The accounts a backtest reads: each as of the cut-off (its latest snapshot
//! at or before it and earlier ones in the window, nothing later), labelled
//! with the outcomes of the horizon, given health as a run at the cut-off
//! would give it, and checked to hold nothing dated after the cut-off
//! before any plugin sees it.

use super::BacktestError;
use super::filter::Condition;
use super::spec::AccountFilter;
use crate::contract::projection::Windows;
use crate::model::OutcomeKind;
use crate::runtime::types::{Account, HealthPoint};
use crate::runtime::{Limits, Output, Plugin, PluginKind, RunOptions, Runtime};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// Accounts read per chunk: memory holds one chunk of accounts at a time.
const CHUNK: usize = 5_000;

/// When and what a backtest looks at.
#[derive(Debug, Clone)]
pub(super) struct Window {
    /// Accounts are scored as of this day.
    pub cutoff: i32,
    /// Outcomes in `(cutoff, cutoff + horizon_days]` count.
    pub horizon_days: i32,
    /// The outcome predicted.
    pub outcome: OutcomeKind,
    /// Days of earlier snapshots passed with each account.
    pub history_days: i32,
    /// Which accounts are read.
    pub filter: AccountFilter,
    /// Conditions every account read meets (`--where`).
    pub conditions: Vec<Condition>,
}

impl Window {
    /// The last day of the horizon.
    pub fn end(&self) -> i32 {
        self.cutoff + self.horizon_days
    }
}

/// What happened to one account after the cut-off, and what it was worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Label {
    /// An outcome of the predicted kind came inside the horizon.
    pub positive: bool,
    /// The account churned inside the horizon (renewal rates use it).
    pub churned: bool,
    /// ARR at the cut-off: the snapshot's, else the contract value, else 0.
    pub arr: f64,
}

/// How many accounts a scan read and why some were left out.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    /// Accounts with a snapshot at or before the cut-off.
    pub read: usize,
    /// Left out: churned at or before the cut-off (and not back since).
    pub churned_before: usize,
    /// Left out: failing a condition (`--where`).
    pub failed_where: usize,
    /// Left out: on the other side of the split.
    pub outside_split: usize,
    /// Passed on to be scored.
    pub eligible: usize,
    /// The latest outcome date the tenant has recorded.
    pub last_outcome: Option<i32>,
}

/// The tenant's active health model: its earlier runs give every account
/// its health history, as in a run; when `score_at_cutoff`, it also scores
/// the accounts at the cut-off so that forecasters and other kinds read the
/// health they would have read on that day.
pub(super) struct HealthFeed {
    /// The plugin name.
    pub name: String,
    plugin: Arc<Plugin>,
    config: String,
    /// Whether to score health at the cut-off.
    pub score_at_cutoff: bool,
}

impl HealthFeed {
    /// The tenant's active health model, if it has one.
    pub fn active(
        store: &Store,
        rt: &Runtime,
        tenant: &str,
        score_at_cutoff: bool,
    ) -> Result<Option<HealthFeed>, BacktestError> {
        let Some(active) = store
            .active_plugins(tenant)?
            .into_iter()
            .find(|p| p.plugin.kind == PluginKind::HealthModel)
        else {
            return Ok(None);
        };
        let fail = |error| BacktestError::Plugin {
            plugin: active.plugin.name.clone(),
            error,
        };
        let plugin = rt
            .load(&store.component(&active.plugin.hash)?)
            .map_err(fail)?;
        plugin.check_config(&active.config).map_err(fail)?;
        Ok(Some(HealthFeed {
            name: active.plugin.name.clone(),
            plugin,
            config: active.config,
            score_at_cutoff,
        }))
    }
}

#[derive(Debug, Default)]
struct AccountOutcomes {
    last_churn_by_cutoff: Option<i32>,
    positive: bool,
    churned: bool,
}

/// Fails if any account carries a snapshot or a health score dated after
/// the cut-off. The store's read already stops there; this is the check at
/// the door of every plugin call, so a later change cannot leak the future.
pub(super) fn check_point_in_time(accounts: &[Account], cutoff: i32) -> Result<(), BacktestError> {
    for a in accounts {
        let dates = std::iter::once(("snapshot", a.current.as_of))
            .chain(a.history.iter().map(|s| ("snapshot", s.as_of)))
            .chain(a.health.iter().map(|h| ("health score", h.as_of)));
        for (what, day) in dates {
            if day > cutoff {
                return Err(BacktestError::PointInTime(format!(
                    "account {:?} carries a {what} of {}, after the cut-off {}",
                    a.id,
                    vitals_plugin_sdk::date::format(day),
                    vitals_plugin_sdk::date::format(cutoff)
                )));
            }
        }
    }
    Ok(())
}

/// Streams the eligible accounts chunk by chunk to `f` with their labels.
pub(super) fn scan(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    window: &Window,
    limits: &Limits,
    feed: Option<&HealthFeed>,
    mut f: impl FnMut(&[Account], &[Label]) -> Result<(), BacktestError>,
) -> Result<Counts, BacktestError> {
    let mut counts = Counts::default();
    let mut outcomes: HashMap<String, AccountOutcomes> = HashMap::new();
    // One view: the outcomes and the accounts of the same ingests.
    let data = store.view(tenant)?;
    for (account, o) in data.all_outcomes()? {
        counts.last_outcome = counts.last_outcome.max(Some(o.date));
        let entry = outcomes.entry(account).or_default();
        if o.kind == OutcomeKind::Churned && o.date <= window.cutoff {
            entry.last_churn_by_cutoff = entry.last_churn_by_cutoff.max(Some(o.date));
        }
        if o.date > window.cutoff && o.date <= window.end() {
            entry.positive |= o.kind == window.outcome;
            entry.churned |= o.kind == OutcomeKind::Churned;
        }
    }
    let mut health = crate::scoring::health_history(
        store,
        tenant,
        feed.map(|f| f.name.as_str()),
        window.cutoff,
        false,
        window.history_days,
        &Windows::all(),
    )?;
    // `for_each_chunk_at` speaks `StoreError`; our own errors wait here.
    let mut failure: Option<BacktestError> = None;
    let streamed = data.for_each_chunk_at(
        window.cutoff,
        window.history_days,
        &Windows::all(),
        CHUNK,
        |chunk| {
            let step = (|| {
                counts.read += chunk.len();
                let mut kept = Vec::with_capacity(chunk.len());
                let mut labels = Vec::with_capacity(chunk.len());
                for mut a in chunk {
                    let known = outcomes.get(&a.id);
                    // A churn at or after the latest snapshot: the account
                    // had left by the cut-off (a later snapshot: it came back).
                    if known
                        .and_then(|o| o.last_churn_by_cutoff)
                        .is_some_and(|d| d >= a.current.as_of)
                    {
                        counts.churned_before += 1;
                        continue;
                    }
                    if !window.conditions.iter().all(|c| c.holds(&a.attributes)) {
                        counts.failed_where += 1;
                        continue;
                    }
                    if !window.filter.includes(&a.id) {
                        counts.outside_split += 1;
                        continue;
                    }
                    labels.push(Label {
                        positive: known.is_some_and(|o| o.positive),
                        churned: known.is_some_and(|o| o.churned),
                        arr: a
                            .current
                            .arr
                            .or(a.attributes.contract_arr)
                            .filter(|v| v.is_finite())
                            .unwrap_or(0.0),
                    });
                    health.set(&mut a)?;
                    kept.push(a);
                }
                if kept.is_empty() {
                    return Ok(());
                }
                if let Some(feed) = feed.filter(|f| f.score_at_cutoff) {
                    check_point_in_time(&kept, window.cutoff)?;
                    let out = rt
                        .run(
                            crate::runtime::Share::of(tenant),
                            &feed.plugin,
                            limits,
                            &feed.config,
                            window.cutoff,
                            &kept,
                            RunOptions::default(),
                        )
                        .map_err(|error| BacktestError::Plugin {
                            plugin: feed.name.clone(),
                            error,
                        })?;
                    for (a, r) in kept.iter_mut().zip(out.results) {
                        if let Ok(Output::Health(h)) = r {
                            a.health.push(HealthPoint {
                                as_of: window.cutoff,
                                score: h.score,
                                band: h.band,
                            });
                        }
                    }
                }
                check_point_in_time(&kept, window.cutoff)?;
                counts.eligible += kept.len();
                f(&kept, &labels)
            })();
            step.map_err(|e| {
                failure = Some(e);
                StoreError::Invalid("backtest stopped".into())
            })
        },
    );
    match (streamed, failure) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(e.into()),
        (Ok(()), None) => Ok(counts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::{Attributes, Band, Snapshot};

    fn account(current: i32, history: &[i32], health: &[i32]) -> Account {
        Account {
            id: "a".into(),
            attributes: Attributes::empty(),
            current: Snapshot::empty(current),
            history: history.iter().map(|d| Snapshot::empty(*d)).collect(),
            health: health
                .iter()
                .map(|d| HealthPoint {
                    as_of: *d,
                    score: 50.0,
                    band: Band::Yellow,
                })
                .collect(),
        }
    }

    #[test]
    fn data_after_the_cutoff_is_refused_at_the_door() {
        assert!(check_point_in_time(&[account(100, &[10, 50], &[90, 100])], 100).is_ok());
        for bad in [
            account(101, &[], &[]),
            account(100, &[10, 101], &[]),
            account(100, &[], &[100, 130]),
        ] {
            let err = check_point_in_time(&[bad], 100).unwrap_err();
            assert!(
                matches!(&err, BacktestError::PointInTime(m) if m.contains("after the cut-off 1970-04-11")),
                "{err}"
            );
            assert!(!err.is_bad_input());
        }
    }
}
