//! A run's trigger events (issue #19), derived chunk by chunk as the run
//! scores: each account's result is compared with its result in the
//! previous complete run of the same plugin, read in step through a cursor
//! (both are in account order), so memory stays at one chunk and one block.
//! The same derivation serves `vitals trigger test` on a past run.

use crate::contract::{Account, Output, PluginError, PluginKind};
use crate::store::{ResultCursor, RuleVersion, RunRecord, Store, StoreError};
use crate::triggers::transition::{self, Compared};
use crate::triggers::{AccountRef, Condition, Event, EventRun, Rule, RuleRef, event_id, measure};

/// One rule as a run applies it.
#[derive(Debug, Clone)]
pub struct LiveRule {
    /// The rule.
    pub rule: Rule,
    /// Its version.
    pub version: u64,
    /// The endpoints its events go to.
    pub webhooks: Vec<String>,
}

/// A chunk's results as a run writes them: account id and result.
pub type ChunkResults = [(String, Result<Output, PluginError>)];

fn segment_names(out: Option<&Output>) -> Vec<String> {
    match out {
        Some(Output::Segments { segments }) => {
            segments.iter().map(|s| s.name.to_string()).collect()
        }
        _ => Vec::new(),
    }
}

/// The events of one run, derived as it goes.
pub struct RunEvents {
    tenant: String,
    rules: Vec<LiveRule>,
    as_of: i32,
    previous: RunRecord,
    before: ResultCursor,
    run: EventRun,
    /// Where a segment filter reads segments when no segmenter runs beside:
    /// the latest complete segmenter run at or before the instant.
    stored_segments: Option<ResultCursor>,
}

/// The previous complete, usable run of `run`'s plugin to compare with:
/// the latest at or before its instant. `None` when there is none, or when
/// `run` fills in the past (a later instant was already scored: its
/// transitions are history, not news).
/// `live`: for a run deriving its events as it completes (a past run under
/// `trigger test` compares with its own previous run whatever came after).
/// `runs`: the tenant's runs, read once by the caller.
pub fn previous_run(runs: &[RunRecord], run: &RunRecord, live: bool) -> Option<RunRecord> {
    let mut previous: Option<&RunRecord> = None;
    for r in runs {
        if r.id == run.id || r.plugin != run.plugin || !r.is_usable() || r.scored_none() {
            continue;
        }
        if r.as_of > run.as_of {
            if live {
                return None;
            }
            continue;
        }
        if previous
            .as_ref()
            .is_none_or(|p| (r.as_of, r.id) > (p.as_of, p.id))
            && r.id < run.id
        {
            previous = Some(r);
        }
    }
    previous.cloned()
}

/// The tenant's rules that watch `run`, with their endpoints resolved
/// (a rule naming none goes to every endpoint of the tenant).
pub fn rules_for(
    store: &Store,
    run: &RunRecord,
    rules: &[RuleVersion],
) -> Result<Vec<LiveRule>, StoreError> {
    let mut endpoints: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for v in rules {
        let Some(rule) = &v.rule else { continue };
        if !rule.enabled || !rule.watches(&run.plugin, run.kind) {
            continue;
        }
        let webhooks = if rule.webhooks.is_empty() {
            if endpoints.is_none() {
                endpoints = Some(
                    store
                        .endpoints(&run.tenant)?
                        .into_iter()
                        .map(|e| e.name)
                        .collect(),
                );
            }
            endpoints.clone().unwrap_or_default()
        } else {
            rule.webhooks.clone()
        };
        out.push(LiveRule {
            rule: rule.clone(),
            version: v.version,
            webhooks,
        });
    }
    Ok(out)
}

impl RunEvents {
    /// The derivation for a run as it goes, under the tenant's `rules`:
    /// `None` when no rule watches it or it has no previous run to compare
    /// with. `segmenter_beside`: a segmenter runs in the same invocation
    /// (its chunk results are passed to [`RunEvents::chunk`]). `runs`: the
    /// tenant's runs, read once for every run of the invocation.
    pub fn live(
        store: &Store,
        run: &RunRecord,
        rules: &[RuleVersion],
        runs: &[RunRecord],
        segmenter_beside: bool,
    ) -> Result<Option<RunEvents>, StoreError> {
        let rules = rules_for(store, run, rules)?;
        if rules.is_empty() {
            return Ok(None);
        }
        let Some(previous) = previous_run(runs, run, true) else {
            return Ok(None);
        };
        RunEvents::new(store, run, previous, rules, segmenter_beside).map(Some)
    }

    /// The derivation of `rules` on `run` against `previous`.
    pub fn new(
        store: &Store,
        run: &RunRecord,
        previous: RunRecord,
        rules: Vec<LiveRule>,
        segmenter_beside: bool,
    ) -> Result<RunEvents, StoreError> {
        let before = store.result_cursor(&run.tenant, previous.id)?;
        let needs_segments = rules.iter().any(|r| r.rule.filters.segment.is_some());
        let stored_segments = if needs_segments && !segmenter_beside {
            store
                .complete_runs_of_kind(&run.tenant, PluginKind::Segmenter)?
                .into_iter()
                .filter(|r| r.as_of <= run.as_of)
                .max_by_key(|r| (r.as_of, r.id))
                .map(|r| store.result_cursor(&run.tenant, r.id))
                .transpose()?
        } else {
            None
        };
        Ok(RunEvents {
            tenant: run.tenant.clone(),
            as_of: run.as_of,
            stored_segments,
            run: EventRun {
                id: run.id,
                plugin: run.plugin.clone(),
                version: run.version.clone(),
                plugin_hash: run.plugin_hash.clone(),
                // Read from the run record when an event is read: one copy
                // of a configuration per run, not per event.
                config: serde_json::Value::Null,
                pack: run.pack.clone(),
                as_of: vitals_plugin_sdk::date::format(run.as_of),
                previous_run: previous.id,
                previous_as_of: vitals_plugin_sdk::date::format(previous.as_of),
            },
            before,
            previous,
            rules,
        })
    }

    /// The events of one chunk: `results[i]` is `accounts[i]`'s result in
    /// this run, `segments` the segmenter's beside it, if one runs; chunks
    /// come in account order.
    pub fn chunk(
        &mut self,
        store: &Store,
        accounts: &[Account],
        results: &ChunkResults,
        segments: Option<&ChunkResults>,
    ) -> Result<Vec<Event>, StoreError> {
        let occurred_at = crate::store::utc(crate::store::now_ms());
        let as_of = self.as_of;
        let mut events = Vec::new();
        for (i, (account, (_, result))) in accounts.iter().zip(results).enumerate() {
            let before = self.before.get(&account.id)?;
            // Read in step whether or not a rule fires, so the cursor
            // stays in account order.
            let stored_segments = match &mut self.stored_segments {
                Some(cursor) => Some(cursor.get(&account.id)?),
                None => None,
            };
            let Ok(after) = result else { continue };
            let Some(Ok(before)) = before else { continue };
            let mut member_of: Option<Vec<String>> = None;
            for live in &self.rules {
                let rule = &live.rule;
                if !transition::attributes_pass(&rule.filters, &account.attributes) {
                    continue;
                }
                let change = match &rule.event {
                    Condition::MeasureCrossed {
                        measure: name,
                        threshold,
                        direction,
                    } => {
                        let now = measure::value(name, &account.current);
                        if !transition::measure_may_cross(*threshold, *direction, now) {
                            continue;
                        }
                        let was = store
                            .snapshot_at(&self.tenant, &account.id, self.previous.as_of)?
                            .and_then(|s| measure::value(name, &s));
                        transition::measure_crossed(
                            name,
                            *threshold,
                            *direction,
                            was,
                            now,
                            Some(after),
                        )
                    }
                    condition => transition::transition(
                        condition,
                        &Compared {
                            before: &before,
                            after,
                            before_as_of: self.previous.as_of,
                            after_as_of: as_of,
                            attributes: &account.attributes,
                        },
                    ),
                };
                let Some(change) = change else { continue };
                if let Some(segment) = &rule.filters.segment {
                    if member_of.is_none() {
                        let out = match (segments, &stored_segments) {
                            (Some(beside), _) => beside.get(i).and_then(|(_, r)| r.as_ref().ok()),
                            (None, Some(Some(Ok(stored)))) => Some(stored),
                            _ => None,
                        };
                        member_of = Some(segment_names(out));
                    }
                    if !member_of.as_ref().is_some_and(|m| m.contains(segment)) {
                        continue;
                    }
                }
                events.push(Event {
                    id: event_id(&self.tenant, self.run.id, &rule.name, &account.id),
                    event: rule.event.name().to_string(),
                    rule: RuleRef {
                        name: rule.name.clone(),
                        version: live.version,
                    },
                    account: AccountRef::of(&account.id, &account.attributes),
                    before: change.before,
                    after: change.after,
                    explanation: change.explanation,
                    run: self.run.clone(),
                    webhooks: live.webhooks.clone(),
                    occurred_at: occurred_at.clone(),
                });
            }
        }
        Ok(events)
    }
}
