//! The health dashboard's operations: everything aggregated on the server
//! from a per-tenant index of the latest runs ([`index`]), cached until a
//! newer run completes or an ingest changes the accounts, so a tenant of
//! 100,000 accounts pays for one pass over its results, then milliseconds.

mod index;
mod list;
mod slots;
mod summary;
mod views;

pub use list::{DEFAULT_LIMIT, MAX_LIMIT, SORTS};
pub use views::*;

use super::{ApiResult, Service, ShadowReport};
use crate::runtime::PluginKind;
use crate::runtime::types::Band;
use crate::runtime::types::Forecast;
use crate::scoring::{BandCounts, ForecastSummary, SegmentChange, Selection};
use crate::store::RunRecord;
use index::{Index, Row, Scores, Sources, band_counts};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The owner of accounts without one, in breakdowns and filters.
pub const NO_OWNER: &str = "(none)";

/// The renewal horizons shown, in days.
pub const HORIZONS: [i32; 3] = [30, 90, 180];

/// Runs and shadow reports listed per plugin.
const PLUGIN_HISTORY: usize = 10;

/// Dashboard indexes and the scores they join, per tenant, and band counts
/// per health run (a complete run changes only when an account is erased:
/// see [`Cache::erased`]).
#[derive(Default)]
pub struct Cache {
    indexes: Mutex<HashMap<String, Arc<Index>>>,
    /// Kept across ingests: only a run completing makes them stale.
    scores: Mutex<HashMap<String, Arc<Scores>>>,
    /// Bumped by every ingest of the tenant.
    generations: Mutex<HashMap<String, u64>>,
    band_counts: Mutex<HashMap<(String, u64), BandCounts>>,
    /// One build at a time per tenant: concurrent first views wait for it
    /// instead of each reading every result again.
    building: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// And at most one per core across tenants.
    builders: slots::Slots,
}

impl Cache {
    /// Marks a tenant's accounts changed (attributes feed every view).
    pub fn forget(&self, tenant: &str) {
        *self
            .generations
            .lock()
            .expect("generations")
            .entry(tenant.to_string())
            .or_insert(0) += 1;
        self.indexes.lock().expect("indexes").remove(tenant);
    }

    /// Forgets everything of a tenant after an erasure or its deletion: an
    /// erasure changes complete runs, whose band counts are otherwise kept
    /// for good. The store's run completions were bumped first, so a build
    /// that read the runs before does not keep its counts
    /// ([`Cache::keep_counts`]).
    pub fn erased(&self, tenant: &str) {
        self.forget(tenant);
        self.scores.lock().expect("scores").remove(tenant);
        self.band_counts
            .lock()
            .expect("band counts")
            .retain(|(t, _), _| t != tenant);
    }

    /// Keeps band counts read at `completions` unless the tenant's runs
    /// changed since (under the counts' lock, which [`Cache::erased`] takes
    /// too, so counts read before an erasure are never kept after it).
    fn keep_counts(
        &self,
        store: &crate::store::Store,
        tenant: &str,
        completions: u64,
        counts: impl IntoIterator<Item = (u64, BandCounts)>,
    ) {
        let mut kept = self.band_counts.lock().expect("band counts");
        if store.run_completions(tenant) != completions {
            return;
        }
        for (run, c) in counts {
            kept.insert((tenant.to_string(), run), c);
        }
    }

    /// The tenant's account generation: bumped by every ingest.
    pub fn generation(&self, tenant: &str) -> u64 {
        *self
            .generations
            .lock()
            .expect("generations")
            .get(tenant)
            .unwrap_or(&0)
    }

    /// The tenant's index, if built at this generation and run completions
    /// or later ones (both only grow): a request that waited for a build
    /// takes the newest index rather than building again for the state it
    /// saw when it came in.
    fn current(&self, tenant: &str, generation: u64, completions: u64) -> Option<Arc<Index>> {
        self.indexes
            .lock()
            .expect("indexes")
            .get(tenant)
            .filter(|i| i.generation >= generation && i.scores.completions >= completions)
            .cloned()
    }

    /// The tenant's scores, if read at these run completions or later ones.
    fn scores(&self, tenant: &str, completions: u64) -> Option<Arc<Scores>> {
        self.scores
            .lock()
            .expect("scores")
            .get(tenant)
            .filter(|s| s.completions >= completions)
            .cloned()
    }

    fn gate(&self, tenant: &str) -> Arc<Mutex<()>> {
        self.building
            .lock()
            .expect("building")
            .entry(tenant.to_string())
            .or_default()
            .clone()
    }
}

fn run_ref(r: &RunRecord) -> RunRef {
    RunRef {
        run: r.id,
        plugin: r.plugin.clone(),
        version: r.version.clone(),
        as_of: vitals_plugin_sdk::date::format(r.as_of),
    }
}

fn group(name: &str) -> GroupHealth {
    GroupHealth {
        name: name.to_string(),
        accounts: 0,
        bands: BandCounts::default(),
        turned_red: 0,
        arr: 0.0,
        red_arr: 0.0,
    }
}

fn add_to(g: &mut GroupHealth, row: &Row) {
    g.accounts += 1;
    g.arr += row.arr.unwrap_or(0.0);
    if let Some((_, band)) = row.health {
        match band {
            Band::Green => g.bands.green += 1,
            Band::Yellow => g.bands.yellow += 1,
            Band::Red => {
                g.bands.red += 1;
                g.red_arr += row.arr.unwrap_or(0.0);
            }
        }
    }
    g.turned_red += usize::from(row.turned_red());
}

/// Segment sizes, entries and exits since the previous segmenter run, by
/// name: the rule of `vitals summary`.
fn segment_changes(index: &Index) -> Vec<SegmentChange> {
    let has_before = index.scores.sources.segments_before.is_some();
    let mut segments: Vec<SegmentChange> = index
        .scores
        .segment_names
        .iter()
        .map(|n| SegmentChange {
            segment: n.clone(),
            size: 0,
            entered: 0,
            left: 0,
        })
        .collect();
    for row in &index.rows {
        for (n, change) in segments.iter_mut().enumerate() {
            let n = n as u32;
            change.size += usize::from(row.in_segment(n));
            change.entered += usize::from(row.entered(n, has_before));
            change.left += usize::from(row.left(n));
        }
    }
    // A name seen only in a failed account's earlier run says nothing.
    segments.retain(|c| c.size + c.left > 0);
    segments
}

/// Expansion candidates (propensity above 0), best first, then by id.
fn ranked(index: &Index) -> Vec<(f64, &Row)> {
    let mut ranked: Vec<(f64, &Row)> = index
        .rows
        .iter()
        .filter_map(|r| r.propensity.filter(|p| *p > 0.0).map(|p| (p, r)))
        .collect();
    ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    ranked
}

/// Forecasts of renewals due in `[from, to]` with the ARR each puts up for
/// renewal, in account order.
fn renewals_due(index: &Index, from: i32, to: i32) -> impl Iterator<Item = (&Forecast, f64)> {
    index.rows.iter().filter_map(move |row| {
        let (f, base) = row.forecast.as_ref()?;
        f.renewal_date
            .is_some_and(|d| d >= from && d <= to)
            .then_some((f, *base))
    })
}

fn segment_health(index: &Index) -> Vec<GroupHealth> {
    let mut groups: Vec<GroupHealth> = index
        .scores
        .segment_names
        .iter()
        .map(|n| group(n))
        .collect();
    for row in &index.rows {
        for s in row.segments.iter().flatten() {
            add_to(&mut groups[*s as usize], row);
        }
    }
    groups.retain(|g| g.accounts > 0);
    groups
}

impl Service {
    /// The tenant's index, rebuilt when stale: the scores only when a run
    /// completed, the join with the accounts when either changed.
    fn dashboard_index(&self, tenant: &str) -> ApiResult<Arc<Index>> {
        self.store.require_tenant_exists(tenant)?;
        // Both read before any data: a run or an ingest landing after this
        // makes the next call rebuild; it never leaves a stale index.
        let completions = self.store.run_completions(tenant);
        let generation = self.dashboard.generation(tenant);
        if let Some(i) = self.dashboard.current(tenant, generation, completions) {
            return Ok(i);
        }
        let gate = self.dashboard.gate(tenant);
        let _one = gate.lock().expect("index build");
        if let Some(i) = self.dashboard.current(tenant, generation, completions) {
            return Ok(i);
        }
        // The tenant's gate first, then a core: a build waiting for a core
        // holds no place another tenant could use.
        let _core = self.dashboard.builders.take();
        // Build for the state now, which may be newer than when this
        // request came in (the same order: versions, then data).
        let completions = self.store.run_completions(tenant);
        let generation = self.dashboard.generation(tenant);
        let scores = match self.dashboard.scores(tenant, completions) {
            Some(scores) => scores,
            None => {
                let sources = Sources::pick(&self.store.runs(tenant)?, &Selection::default());
                let scores = Arc::new(Scores::read(&self.store, tenant, sources, completions)?);
                self.dashboard
                    .scores
                    .lock()
                    .expect("scores")
                    .insert(tenant.to_string(), scores.clone());
                scores
            }
        };
        let index = Arc::new(Index::build(&self.store, tenant, scores, generation)?);
        let mut counts = Vec::new();
        if let Some(r) = &index.scores.sources.health {
            counts.push((r.id, index.now));
        }
        if let (Some(r), Some(c)) = (&index.scores.sources.health_before, index.before) {
            counts.push((r.id, c));
        }
        self.dashboard
            .keep_counts(&self.store, tenant, index.scores.completions, counts);
        self.dashboard
            .indexes
            .lock()
            .expect("indexes")
            .insert(tenant.to_string(), index.clone());
        Ok(index)
    }

    /// Band counts of every health run, one point per as-of (its latest run).
    fn band_history(&self, tenant: &str) -> ApiResult<Vec<BandPoint>> {
        let mut latest: BTreeMap<i32, RunRecord> = BTreeMap::new();
        for r in self
            .store
            .complete_runs_of_kind(tenant, PluginKind::HealthModel)?
        {
            if latest.get(&r.as_of).is_none_or(|l| l.id < r.id) {
                latest.insert(r.as_of, r);
            }
        }
        let mut points = Vec::with_capacity(latest.len());
        for (as_of, run) in latest {
            let key = (tenant.to_string(), run.id);
            let cached = self
                .dashboard
                .band_counts
                .lock()
                .expect("band counts")
                .get(&key)
                .copied();
            let counts = match cached {
                Some(c) => c,
                None => {
                    let completions = self.store.run_completions(tenant);
                    let c = band_counts(&self.store, tenant, run.id)?;
                    self.dashboard
                        .keep_counts(&self.store, tenant, completions, [(run.id, c)]);
                    c
                }
            };
            points.push(BandPoint {
                run: run.id,
                as_of: vitals_plugin_sdk::date::format(as_of),
                counts,
            });
        }
        Ok(points)
    }

    /// Builds the tenant's index now if it is stale (the server calls it in
    /// the background after a run), so the first view after a run is quick.
    pub fn warm_dashboard(&self, tenant: &str) -> ApiResult<()> {
        self.dashboard_index(tenant).map(|_| ())
    }

    /// Green / Yellow / Red now and before, the trend, turned Red, by segment and owner.
    pub fn dashboard_overview(&self, tenant: &str) -> ApiResult<Overview> {
        let index = self.dashboard_index(tenant)?;
        let mut owners: BTreeMap<&str, GroupHealth> = BTreeMap::new();
        for row in &index.rows {
            let owner = row.owner.as_deref().unwrap_or(NO_OWNER);
            add_to(owners.entry(owner).or_insert_with(|| group(owner)), row);
        }
        Ok(Overview {
            accounts: index.rows.len(),
            health_run: index.scores.sources.health.as_ref().map(run_ref),
            previous_run: index.scores.sources.health_before.as_ref().map(run_ref),
            now: index.now,
            before: index.before,
            turned_red: index.rows.iter().filter(|r| r.turned_red()).count(),
            history: self.band_history(tenant)?,
            by_segment: segment_health(&index),
            by_owner: owners.into_values().collect(),
            errors: index.scores.errors.clone(),
        })
    }

    /// A page of accounts: filtered, searched, sorted.
    pub fn dashboard_accounts(&self, tenant: &str, q: &AccountQuery) -> ApiResult<AccountList> {
        list::accounts(&*self.dashboard_index(tenant)?, q)
    }

    /// Segment sizes, entries and exits since the previous run, and health per segment.
    pub fn dashboard_segments(&self, tenant: &str) -> ApiResult<SegmentsView> {
        let index = self.dashboard_index(tenant)?;
        Ok(SegmentsView {
            run: index.scores.sources.segments.as_ref().map(run_ref),
            previous_run: index.scores.sources.segments_before.as_ref().map(run_ref),
            segments: segment_changes(&index),
            health: segment_health(&index),
        })
    }

    /// Expansion candidates ranked by propensity, with their drivers.
    pub fn dashboard_expansion(
        &self,
        tenant: &str,
        q: &ExpansionQuery,
    ) -> ApiResult<ExpansionView> {
        let limit = list::limit(q.limit)?;
        let index = self.dashboard_index(tenant)?;
        let words = list::words(q.q.as_deref());
        // The rank is over every candidate; the search only picks among them.
        let ranked = ranked(&index);
        let matching: Vec<(usize, f64, &Row)> = ranked
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| {
                list::matches_words(r, &words)
                    && q.owner
                        .as_deref()
                        .is_none_or(|o| r.owner.as_deref().unwrap_or(NO_OWNER) == o)
            })
            .map(|(i, (p, r))| (i + 1, *p, *r))
            .collect();
        let run = index.scores.sources.propensity.as_ref();
        let mut candidates = Vec::new();
        for (rank, propensity, row) in matching.iter().skip(q.offset).take(limit) {
            let drivers = match run {
                Some(run) => match self.store.result(tenant, run.id, &row.id)? {
                    Some(Ok(crate::runtime::Output::Propensity(p))) => p.drivers,
                    _ => vec![],
                },
                None => vec![],
            };
            candidates.push(Candidate {
                rank: *rank,
                account: list::view(&index, row),
                propensity: *propensity,
                drivers,
            });
        }
        Ok(ExpansionView {
            run: run.map(run_ref),
            total: matching.len(),
            arr: matching.iter().map(|(_, _, r)| r.arr.unwrap_or(0.0)).sum(),
            offset: q.offset,
            candidates,
        })
    }

    /// The forecast for the next 30, 90 and 180 days.
    pub fn dashboard_renewals(&self, tenant: &str) -> ApiResult<RenewalsView> {
        let index = self.dashboard_index(tenant)?;
        let Some(run) = &index.scores.sources.forecast else {
            return Ok(RenewalsView {
                run: None,
                periods: vec![],
            });
        };
        let periods = HORIZONS
            .iter()
            .map(|&days| {
                let (from, to) = (run.as_of, run.as_of + days - 1);
                let mut forecast = ForecastSummary::period(from, to);
                let mut by_confidence = BTreeMap::new();
                for (f, base) in renewals_due(&index, from, to) {
                    forecast.add(base, f);
                    *by_confidence
                        .entry(confidence_name(f.confidence).to_string())
                        .or_insert(0) += 1;
                }
                forecast.close();
                RenewalPeriod {
                    days,
                    forecast,
                    by_confidence,
                }
            })
            .collect();
        Ok(RenewalsView {
            run: Some(run_ref(run)),
            periods,
        })
    }

    /// Every plugin name: versions, the active one, last runs, errors, shadow runs.
    pub fn dashboard_plugins(&self, tenant: &str) -> ApiResult<Vec<PluginPanel>> {
        self.store.require_tenant_exists(tenant)?;
        let mut panels: BTreeMap<String, PluginPanel> = BTreeMap::new();
        for p in self.store.plugins(tenant)? {
            let panel = panels.entry(p.name.clone()).or_insert_with(|| PluginPanel {
                name: p.name.clone(),
                kind: p.kind,
                active: None,
                versions: vec![],
                runs: vec![],
                run_count: 0,
                errors: BTreeMap::new(),
                shadows: vec![],
            });
            if p.active {
                panel.active = Some(p.version.clone());
            }
            panel.versions.push(VersionBrief {
                version: p.version,
                hash: p.hash,
                contract: p.contract,
                installed_ms: p.installed_ms,
                active: p.active,
            });
        }
        let runs = self.store.runs(tenant)?;
        for panel in panels.values_mut() {
            let mine: Vec<&RunRecord> = runs.iter().filter(|r| r.plugin == panel.name).collect();
            panel.run_count = mine.len();
            if let Some(latest) = mine
                .iter()
                .filter(|r| r.status == crate::store::RunStatus::Complete)
                .max_by_key(|r| (r.as_of, r.id))
            {
                panel.errors = latest.errors.clone();
            }
            panel.runs = mine
                .iter()
                .rev()
                .take(PLUGIN_HISTORY)
                .map(|r| RunBrief {
                    id: r.id,
                    version: r.version.clone(),
                    as_of: vitals_plugin_sdk::date::format(r.as_of),
                    status: r.status.clone(),
                    accounts: r.accounts,
                    ok: r.ok,
                    errors: r.errors.clone(),
                    started_ms: r.started_ms,
                    duration_ms: r.ended_ms.map(|e| e.saturating_sub(r.started_ms)),
                    discarded: r.discarded.clone(),
                })
                .collect();
        }
        for report in self.store.shadow_reports::<ShadowReport>(tenant)? {
            let Some(panel) = panels.get_mut(&report.plugin) else {
                continue;
            };
            if panel.shadows.len() < PLUGIN_HISTORY {
                panel.shadows.push(ShadowBrief {
                    id: report.id,
                    active_version: report.active_version,
                    candidate_version: report.candidate_version,
                    as_of: report.as_of,
                    created_ms: report.created_ms,
                    accounts: report.accounts,
                    changed: report.changed,
                    band_changes: report.band_changes,
                    mean_delta: report.score.map(|s| s.mean),
                    errors_candidate: report.errors_candidate,
                });
            }
        }
        Ok(panels.into_values().collect())
    }
}

#[cfg(test)]
mod tests;
