//! A tenant's dashboard index: one compact row per account with what the
//! views count, filter and sort on. It is built in two halves: the
//! [`Scores`] of the latest complete runs (one streamed pass over each run's
//! results: the costly half), kept until another run completes, and a join
//! with the accounts' current attributes (one pass over the accounts),
//! redone after an ingest. [`super::Cache`] keeps both and knows when each
//! is stale.

use crate::runtime::Output;
use crate::runtime::types::{Band, Forecast};
use crate::scoring::pick::{Pick, RunPassedOver, RunRead, Selection, pick};
use crate::scoring::{BandCounts, KINDS, renewal_base};
use crate::store::{RunRecord, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One account.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub id: String,
    /// Lowercased id and name, for the search box.
    pub search: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub tier: Option<String>,
    pub arr: Option<f64>,
    pub renewal_date: Option<i32>,
    /// Score and band in the latest health run.
    pub health: Option<(f64, Band)>,
    /// Band in the previous health run (when scored there).
    pub band_before: Option<Band>,
    /// Segment numbers (into [`Scores::segment_names`]) now; `None` when the
    /// segmenter gave no result.
    pub segments: Option<Vec<u32>>,
    /// The same in the previous segmenter run.
    pub segments_before: Option<Vec<u32>>,
    pub propensity: Option<f64>,
    /// The latest forecast and the ARR it puts up for renewal.
    pub forecast: Option<(Forecast, f64)>,
}

impl Row {
    pub fn turned_red(&self) -> bool {
        matches!(self.health, Some((_, Band::Red)))
            && self.band_before.is_some_and(|b| b != Band::Red)
    }

    pub fn in_segment(&self, segment: u32) -> bool {
        self.segments.as_ref().is_some_and(|s| s.contains(&segment))
    }

    /// In the segment now and not before (or not scored before), once there
    /// is a previous run: the rule of `vitals summary`.
    pub fn entered(&self, segment: u32, has_before: bool) -> bool {
        has_before
            && self.in_segment(segment)
            && !self
                .segments_before
                .as_ref()
                .is_some_and(|s| s.contains(&segment))
    }

    /// In it before and scored now without it (a failed segmenter has not
    /// made anyone leave).
    pub fn left(&self, segment: u32) -> bool {
        self.segments_before
            .as_ref()
            .is_some_and(|s| s.contains(&segment))
            && self
                .segments
                .as_ref()
                .is_some_and(|s| !s.contains(&segment))
    }

    /// The forecast's renewal date, else the contract's.
    pub fn renewal(&self) -> Option<i32> {
        self.forecast
            .as_ref()
            .and_then(|(f, _)| f.renewal_date)
            .or(self.renewal_date)
    }
}

/// The runs an index reads (`scoring::pick`, the latest runs).
#[derive(Debug, Clone, Default)]
pub(super) struct Sources {
    pub health: Option<RunRecord>,
    pub health_before: Option<RunRecord>,
    pub segments: Option<RunRecord>,
    pub segments_before: Option<RunRecord>,
    pub propensity: Option<RunRecord>,
    pub forecast: Option<RunRecord>,
    /// What the summary says it read and passed over.
    pub read: Vec<RunRead>,
    pub passed_over: Vec<RunPassedOver>,
}

impl Sources {
    /// Picks them from a tenant's runs, as `vitals summary` does: the
    /// latest, or those `selection` asks for.
    pub fn pick(runs: &[RunRecord], selection: &Selection) -> Sources {
        let picks: Vec<Pick> = KINDS.iter().map(|k| pick(runs, *k, selection)).collect();
        let [health, segments, propensity, forecast] = [0, 1, 2, 3].map(|i| picks[i].clone());
        Sources {
            health: health.now,
            health_before: health.before,
            segments: segments.now,
            segments_before: segments.before,
            propensity: propensity.now,
            forecast: forecast.now,
            read: picks.iter().filter_map(Pick::read).collect(),
            passed_over: picks.iter().flat_map(Pick::passed).collect(),
        }
    }

    fn latest(&self) -> impl Iterator<Item = &RunRecord> {
        [
            &self.health,
            &self.segments,
            &self.propensity,
            &self.forecast,
        ]
        .into_iter()
        .flatten()
    }
}

/// What the latest complete runs say of one account.
#[derive(Debug, Clone, Default)]
pub(super) struct Scored {
    pub id: String,
    pub health: Option<(f64, Band)>,
    pub band_before: Option<Band>,
    pub segments: Option<Vec<u32>>,
    pub segments_before: Option<Vec<u32>>,
    pub propensity: Option<f64>,
    pub forecast: Option<Forecast>,
}

/// The results of a tenant's latest complete runs, per account: the costly
/// half of an index (one streamed pass over each run's results). Complete
/// runs never change, so these stay right until another run completes,
/// whatever ingests do meanwhile; an ingest only joins them again with the
/// accounts' new attributes ([`Index::build`]).
#[derive(Debug)]
pub(super) struct Scores {
    /// The tenant's run completions when read ([`Store::run_completions`]).
    pub completions: u64,
    pub sources: Sources,
    /// By account id.
    pub accounts: Vec<Scored>,
    /// Segment names, sorted; accounts refer to them by position.
    pub segment_names: Vec<String>,
    /// Per-account errors of the latest runs by `plugin/kind`.
    pub errors: BTreeMap<String, u64>,
}

impl Scores {
    /// Reads the source runs' results (`completions` read before `sources`).
    pub fn read(
        store: &Store,
        tenant: &str,
        sources: Sources,
        completions: u64,
    ) -> Result<Scores, StoreError> {
        let mut by_id: BTreeMap<String, Scored> = BTreeMap::new();
        let mut each = |run: &Option<RunRecord>, f: &mut dyn FnMut(&mut Scored, Output)| {
            let Some(run) = run else { return Ok(()) };
            store.for_each_result(tenant, run.id, |id, result| {
                if let Ok(out) = result {
                    let scored = by_id.entry(id).or_insert_with_key(|id| Scored {
                        id: id.clone(),
                        ..Scored::default()
                    });
                    f(scored, out);
                }
            })
        };
        each(&sources.health, &mut |a, out| {
            if let Output::Health(h) = out {
                a.health = Some((h.score, h.band));
            }
        })?;
        each(&sources.health_before, &mut |a, out| {
            if let Output::Health(h) = out {
                a.band_before = Some(h.band);
            }
        })?;
        let mut names: BTreeMap<crate::contract::types::Name, u32> = BTreeMap::new();
        let mut numbered = |segments: Vec<crate::runtime::types::Segment>| {
            segments
                .into_iter()
                .map(|seg| {
                    let next = u32::try_from(names.len()).expect("fewer than 4 billion segments");
                    *names.entry(seg.name).or_insert(next)
                })
                .collect::<Vec<u32>>()
        };
        each(&sources.segments, &mut |a, out| {
            if let Output::Segments { segments } = out {
                a.segments = Some(numbered(segments));
            }
        })?;
        each(&sources.segments_before, &mut |a, out| {
            if let Output::Segments { segments } = out {
                a.segments_before = Some(numbered(segments));
            }
        })?;
        each(&sources.propensity, &mut |a, out| {
            if let Output::Propensity(p) = out {
                a.propensity = Some(p.score);
            }
        })?;
        each(&sources.forecast, &mut |a, out| {
            if let Output::Forecast(f) = out {
                a.forecast = Some(f);
            }
        })?;
        // Number segments in name order, as the views list them.
        let order: Vec<u32> = {
            let mut by_first_seen = vec![0u32; names.len()];
            for (rank, (_, &n)) in names.iter().enumerate() {
                by_first_seen[n as usize] = rank as u32;
            }
            by_first_seen
        };
        let mut accounts: Vec<Scored> = by_id.into_values().collect();
        for a in &mut accounts {
            for set in [&mut a.segments, &mut a.segments_before]
                .into_iter()
                .flatten()
            {
                for n in set.iter_mut() {
                    *n = order[*n as usize];
                }
            }
        }
        let mut errors = BTreeMap::new();
        for run in sources.latest() {
            for (kind, n) in &run.errors {
                *errors.entry(format!("{}/{kind}", run.plugin)).or_insert(0) += n;
            }
        }
        Ok(Scores {
            completions,
            sources,
            accounts,
            segment_names: names.into_keys().map(|n| n.to_string()).collect(),
            errors,
        })
    }

    fn of(&self, id: &str) -> Option<&Scored> {
        self.accounts
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|at| &self.accounts[at])
    }
}

/// Every account of a tenant with its latest results.
#[derive(Debug)]
pub(super) struct Index {
    /// Ingest generation it was built at.
    pub generation: u64,
    /// The scores it joins (their run completions tell when they are stale).
    /// Its sources, segment names and errors are the index's.
    pub scores: Arc<Scores>,
    /// In id order.
    pub rows: Vec<Row>,
    /// Band counts of the latest and previous health runs.
    pub now: BandCounts,
    pub before: Option<BandCounts>,
}

fn count(counts: &mut BandCounts, band: Band) {
    match band {
        Band::Green => counts.green += 1,
        Band::Yellow => counts.yellow += 1,
        Band::Red => counts.red += 1,
    }
}

/// Band counts of one complete health run, streamed block by block.
pub(super) fn band_counts(store: &Store, tenant: &str, run: u64) -> Result<BandCounts, StoreError> {
    let mut counts = BandCounts::default();
    store.for_each_result(tenant, run, |_, r| {
        if let Ok(Output::Health(h)) = r {
            count(&mut counts, h.band);
        }
    })?;
    Ok(counts)
}

impl Index {
    /// Joins the accounts' current attributes (one pass over the accounts)
    /// with `scores`.
    pub fn build(
        store: &Store,
        tenant: &str,
        scores: Arc<Scores>,
        generation: u64,
    ) -> Result<Index, StoreError> {
        let mut rows = Vec::new();
        let mut now = scores
            .sources
            .health
            .as_ref()
            .map(|_| BandCounts::default());
        let mut before = scores
            .sources
            .health_before
            .as_ref()
            .map(|_| BandCounts::default());
        let mut forecasts = Vec::new();
        store.for_each_account(tenant, |id, a| {
            let mut search = id.to_lowercase();
            if let Some(n) = &a.name {
                search.push(' ');
                search.push_str(&n.to_lowercase());
            }
            let scored = scores.of(id);
            let health = scored.and_then(|s| s.health);
            let band_before = scored.and_then(|s| s.band_before);
            if let (Some(counts), Some((_, band))) = (&mut now, health) {
                count(counts, band);
            }
            if let (Some(counts), Some(band)) = (&mut before, band_before) {
                count(counts, band);
            }
            if let Some(f) = scored.and_then(|s| s.forecast.clone()) {
                forecasts.push((rows.len(), f));
            }
            rows.push(Row {
                id: id.to_string(),
                search,
                name: a.name,
                owner: a.owner,
                tier: a.tier,
                arr: a.contract_arr,
                renewal_date: a.renewal_date,
                health,
                band_before,
                segments: scored.and_then(|s| s.segments.clone()),
                segments_before: scored.and_then(|s| s.segments_before.clone()),
                propensity: scored.and_then(|s| s.propensity),
                forecast: None,
            })
        })?;
        for (at, f) in forecasts {
            let row = &rows[at];
            let base = renewal_base(store, tenant, &row.id, row.arr, &f)?;
            rows[at].forecast = Some((f, base));
        }
        Ok(Index {
            generation,
            scores,
            rows,
            now: now.unwrap_or_default(),
            before,
        })
    }

    /// A segment's number.
    pub fn segment(&self, name: &str) -> Option<u32> {
        self.scores
            .segment_names
            .binary_search_by(|n| n.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }
}
