//! A tenant's dashboard index: one compact row per account with what the
//! views count, filter and sort on, built from the latest complete runs (one
//! streamed pass over each run's results and one over the accounts). Runs
//! are immutable once complete, so an index stays right until a newer run
//! completes or an ingest changes attributes; [`super::Cache`] knows when.

use crate::runtime::types::{Band, Forecast};
use crate::runtime::{Output, PluginKind};
use crate::scoring::{BandCounts, latest_two_of, renewal_base};
use crate::store::{RunRecord, RunStatus, Store, StoreError};
use std::collections::BTreeMap;

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
    /// Segment numbers (into [`Index::segment_names`]) now; `None` when the
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

/// The runs an index reads.
#[derive(Debug, Clone, Default)]
pub(super) struct Sources {
    pub health: Option<RunRecord>,
    pub health_before: Option<RunRecord>,
    pub segments: Option<RunRecord>,
    pub segments_before: Option<RunRecord>,
    pub propensity: Option<RunRecord>,
    pub forecast: Option<RunRecord>,
}

impl Sources {
    /// Picks them from a tenant's runs, as `vitals summary` does.
    pub fn pick(runs: &[RunRecord]) -> Sources {
        let of = |kind| {
            latest_two_of(
                runs.iter()
                    .filter(|r| r.kind == kind && r.status == RunStatus::Complete)
                    .cloned()
                    .collect(),
            )
        };
        let (health, health_before) = of(PluginKind::HealthModel);
        let (segments, segments_before) = of(PluginKind::Segmenter);
        Sources {
            health,
            health_before,
            segments,
            segments_before,
            propensity: of(PluginKind::PropensityModel).0,
            forecast: of(PluginKind::Forecaster).0,
        }
    }

    /// Their ids: the index is right while these stay the latest.
    pub fn ids(&self) -> [Option<u64>; 6] {
        [
            &self.health,
            &self.health_before,
            &self.segments,
            &self.segments_before,
            &self.propensity,
            &self.forecast,
        ]
        .map(|r| r.as_ref().map(|r| r.id))
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

/// Every account of a tenant with its latest results.
#[derive(Debug)]
pub(super) struct Index {
    /// Ingest generation it was built at.
    pub generation: u64,
    pub sources: Sources,
    /// In id order.
    pub rows: Vec<Row>,
    /// Segment names, sorted; rows refer to them by position.
    pub segment_names: Vec<String>,
    /// Band counts of the latest and previous health runs.
    pub now: BandCounts,
    pub before: Option<BandCounts>,
    /// Per-account errors of the latest runs by `plugin/kind`.
    pub errors: BTreeMap<String, u64>,
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
    /// Reads the accounts and the source runs' results.
    pub fn build(
        store: &Store,
        tenant: &str,
        sources: Sources,
        generation: u64,
    ) -> Result<Index, StoreError> {
        let mut rows = Vec::new();
        store.for_each_account(tenant, |id, a| {
            let mut search = id.to_lowercase();
            if let Some(n) = &a.name {
                search.push(' ');
                search.push_str(&n.to_lowercase());
            }
            rows.push(Row {
                id: id.to_string(),
                search,
                name: a.name,
                owner: a.owner,
                tier: a.tier,
                arr: a.contract_arr,
                renewal_date: a.renewal_date,
                health: None,
                band_before: None,
                segments: None,
                segments_before: None,
                propensity: None,
                forecast: None,
            })
        })?;
        let mut index = Index {
            generation,
            rows,
            segment_names: Vec::new(),
            now: BandCounts::default(),
            before: None,
            errors: BTreeMap::new(),
            sources: Sources::default(),
        };
        // Every source streams its results in account order into the rows.
        let s = &sources;
        if let Some(run) = &s.health {
            let mut now = BandCounts::default();
            index.each(store, run, |row, out| {
                if let Output::Health(h) = out {
                    count(&mut now, h.band);
                    row.health = Some((h.score, h.band));
                }
            })?;
            index.now = now;
        }
        if let Some(run) = &s.health_before {
            let mut before = BandCounts::default();
            index.each(store, run, |row, out| {
                if let Output::Health(h) = out {
                    count(&mut before, h.band);
                    row.band_before = Some(h.band);
                }
            })?;
            index.before = Some(before);
        }
        let mut names: BTreeMap<String, u32> = BTreeMap::new();
        let mut numbered = |segments: &[crate::runtime::types::Segment]| {
            segments
                .iter()
                .map(|seg| {
                    let next = u32::try_from(names.len()).expect("fewer than 4 billion segments");
                    *names.entry(seg.name.clone()).or_insert(next)
                })
                .collect::<Vec<u32>>()
        };
        if let Some(run) = &s.segments {
            index.each(store, run, |row, out| {
                if let Output::Segments { segments } = out {
                    row.segments = Some(numbered(segments));
                }
            })?;
        }
        if let Some(run) = &s.segments_before {
            index.each(store, run, |row, out| {
                if let Output::Segments { segments } = out {
                    row.segments_before = Some(numbered(segments));
                }
            })?;
        }
        // Number segments in name order, as the views list them.
        let order: Vec<u32> = {
            let mut by_first_seen = vec![0u32; names.len()];
            for (rank, (_, &n)) in names.iter().enumerate() {
                by_first_seen[n as usize] = rank as u32;
            }
            by_first_seen
        };
        for row in &mut index.rows {
            for set in [&mut row.segments, &mut row.segments_before]
                .into_iter()
                .flatten()
            {
                for n in set.iter_mut() {
                    *n = order[*n as usize];
                }
            }
        }
        index.segment_names = names.into_keys().collect();
        if let Some(run) = &s.propensity {
            index.each(store, run, |row, out| {
                if let Output::Propensity(p) = out {
                    row.propensity = Some(p.score);
                }
            })?;
        }
        if let Some(run) = &s.forecast {
            let mut forecasts = Vec::new();
            index.each(store, run, |row, out| {
                if let Output::Forecast(f) = out {
                    forecasts.push((row.id.clone(), row.arr, f.clone()));
                }
            })?;
            for (id, arr, f) in forecasts {
                let base = renewal_base(store, tenant, &id, arr, &f)?;
                let at = index.position(&id).expect("collected from the rows");
                index.rows[at].forecast = Some((f, base));
            }
        }
        for run in s.latest() {
            for (kind, n) in &run.errors {
                *index
                    .errors
                    .entry(format!("{}/{kind}", run.plugin))
                    .or_insert(0) += n;
            }
        }
        index.sources = sources;
        Ok(index)
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.rows.binary_search_by(|r| r.id.as_str().cmp(id)).ok()
    }

    /// Calls `f` with each account's row and successful output in a run.
    fn each(
        &mut self,
        store: &Store,
        run: &RunRecord,
        mut f: impl FnMut(&mut Row, &Output),
    ) -> Result<(), StoreError> {
        let rows = &mut self.rows;
        store.for_each_result(&run.tenant, run.id, |id, result| {
            let Ok(out) = result else { return };
            // Every result's account has attributes (ingest writes both).
            if let Ok(at) = rows.binary_search_by(|r| r.id.as_str().cmp(&id)) {
                f(&mut rows[at], &out);
            }
        })?;
        Ok(())
    }

    /// A segment's number.
    pub fn segment(&self, name: &str) -> Option<u32> {
        self.segment_names
            .binary_search_by(|n| n.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }
}
