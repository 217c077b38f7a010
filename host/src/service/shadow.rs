//! Shadow runs: a candidate version runs beside the active one on the same
//! snapshots; nothing is written to runs or results, and the report says
//! what would change: bands, segments, scores, forecast ARR.

use super::{ApiError, Service};
use crate::runtime::types::{Account, Band};
use crate::runtime::{Output, PluginError, PluginKind};
use crate::scoring::health_history;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Accounts listed in a report (largest change first).
pub const SHADOW_LISTED: usize = 200;

/// How many accounts moved from one band to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BandChange {
    /// Band under the active version.
    pub from: Band,
    /// Band under the candidate.
    pub to: Band,
    /// Accounts.
    pub accounts: usize,
}

/// One segment's membership under both versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SegmentShift {
    /// Segment name.
    pub segment: String,
    /// Members under the active version.
    pub active: usize,
    /// Members under the candidate.
    pub candidate: usize,
    /// Accounts in it only under the candidate.
    pub entered: usize,
    /// Accounts in it only under the active version.
    pub left: usize,
}

/// Score deltas (candidate minus active) over accounts both scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoreDelta {
    /// Accounts compared.
    pub compared: usize,
    /// Mean delta.
    pub mean: f64,
    /// Mean absolute delta.
    pub mean_abs: f64,
    /// Largest absolute delta.
    pub max_abs: f64,
    /// Accounts scored higher.
    pub up: usize,
    /// Accounts scored lower.
    pub down: usize,
}

/// How the forecast moves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastDelta {
    /// Accounts whose expected renewal, expansion or contraction ARR changes.
    pub accounts_changed: usize,
    /// Contract ARR of those accounts.
    pub arr_affected: f64,
    /// Expected renewal ARR, active version.
    pub expected_renewal_arr_active: f64,
    /// Expected renewal ARR, candidate.
    pub expected_renewal_arr_candidate: f64,
    /// Expected expansion minus contraction ARR, active version.
    pub net_expansion_arr_active: f64,
    /// Expected expansion minus contraction ARR, candidate.
    pub net_expansion_arr_candidate: f64,
}

/// One account that changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountChange {
    /// The account.
    pub account: String,
    /// Its result under the active version, in words.
    pub active: String,
    /// Under the candidate.
    pub candidate: String,
    /// Candidate minus active (score, probability or expected renewal ARR).
    pub delta: Option<f64>,
}

/// What a candidate version would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShadowReport {
    /// Report id.
    pub id: u64,
    /// Plugin name.
    pub plugin: String,
    /// Its kind.
    pub kind: PluginKind,
    /// The active version.
    pub active_version: String,
    /// Its sha-256.
    pub active_hash: String,
    /// The candidate version.
    pub candidate_version: String,
    /// Its sha-256.
    pub candidate_hash: String,
    /// The configuration the active version ran with.
    pub active_config: serde_json::Value,
    /// The configuration the candidate ran with.
    pub candidate_config: serde_json::Value,
    /// The snapshot instant.
    pub as_of: String,
    /// When made (unix ms).
    pub created_ms: u64,
    /// Accounts run through both.
    pub accounts: usize,
    /// Accounts whose active result is an error, by kind.
    pub errors_active: BTreeMap<String, usize>,
    /// Accounts whose candidate result is an error, by kind.
    pub errors_candidate: BTreeMap<String, usize>,
    /// Accounts whose result changes at all.
    pub changed: usize,
    /// Health models: band moves (only the moves, not the stays).
    pub band_changes: Vec<BandChange>,
    /// Segmenters: membership per segment.
    pub segment_changes: Vec<SegmentShift>,
    /// Health and propensity models: score deltas; forecasters: renewal probability.
    pub score: Option<ScoreDelta>,
    /// Forecasters: the ARR that moves.
    pub forecast: Option<ForecastDelta>,
    /// The accounts that change, largest change first (at most 200).
    pub changes: Vec<AccountChange>,
}

#[derive(Default)]
struct Tally {
    accounts: usize,
    errors_active: BTreeMap<String, usize>,
    errors_candidate: BTreeMap<String, usize>,
    bands: BTreeMap<(u8, u8), usize>,
    segments: BTreeMap<String, SegmentShift>,
    score: ScoreDelta,
    scored: bool,
    forecast: Option<ForecastDelta>,
    changes: Vec<AccountChange>,
}

fn band_rank(b: Band) -> u8 {
    match b {
        Band::Green => 0,
        Band::Yellow => 1,
        Band::Red => 2,
    }
}

fn band_of(rank: u8) -> Band {
    match rank {
        0 => Band::Green,
        1 => Band::Yellow,
        _ => Band::Red,
    }
}

fn words(r: &Result<Output, PluginError>) -> String {
    match r {
        Ok(Output::Health(h)) => format!("{:.1} {}", h.score, h.band),
        Ok(Output::Segments { segments }) => segments
            .iter()
            .map(|s| &*s.name)
            .collect::<Vec<_>>()
            .join(" "),
        Ok(Output::Propensity(p)) => format!("{:.3}", p.score),
        Ok(Output::Forecast(f)) => format!(
            "p {:.2}, renewal ARR {:.0}",
            f.renewal_probability, f.expected_renewal_arr
        ),
        Err(e) => format!("error: {}", e.kind()),
    }
}

impl Tally {
    fn score_delta(&mut self, d: f64) {
        self.scored = true;
        let s = &mut self.score;
        s.compared += 1;
        s.mean += d;
        s.mean_abs += d.abs();
        s.max_abs = s.max_abs.max(d.abs());
        if d > 0.0 {
            s.up += 1;
        } else if d < 0.0 {
            s.down += 1;
        }
    }

    fn add(
        &mut self,
        account: &Account,
        active: &Result<Output, PluginError>,
        candidate: &Result<Output, PluginError>,
    ) {
        self.accounts += 1;
        if let Err(e) = active {
            *self.errors_active.entry(e.kind().into()).or_default() += 1;
        }
        if let Err(e) = candidate {
            *self.errors_candidate.entry(e.kind().into()).or_default() += 1;
        }
        let mut delta = None;
        match (active, candidate) {
            (Ok(Output::Health(a)), Ok(Output::Health(c))) => {
                if a.band != c.band {
                    *self
                        .bands
                        .entry((band_rank(a.band), band_rank(c.band)))
                        .or_default() += 1;
                }
                delta = Some(c.score - a.score);
            }
            (Ok(Output::Propensity(a)), Ok(Output::Propensity(c))) => {
                delta = Some(c.score - a.score);
            }
            (Ok(Output::Segments { segments: a }), Ok(Output::Segments { segments: c })) => {
                let names = |s: &[crate::runtime::types::Segment]| {
                    s.iter()
                        .map(|x| x.name.clone())
                        .collect::<std::collections::BTreeSet<_>>()
                };
                let (a, c) = (names(a), names(c));
                for name in a.union(&c) {
                    let shift =
                        self.segments
                            .entry(name.to_string())
                            .or_insert_with(|| SegmentShift {
                                segment: name.to_string(),
                                active: 0,
                                candidate: 0,
                                entered: 0,
                                left: 0,
                            });
                    let (in_a, in_c) = (a.contains(name), c.contains(name));
                    shift.active += usize::from(in_a);
                    shift.candidate += usize::from(in_c);
                    shift.entered += usize::from(in_c && !in_a);
                    shift.left += usize::from(in_a && !in_c);
                }
            }
            (Ok(Output::Forecast(a)), Ok(Output::Forecast(c))) => {
                let f = self.forecast.get_or_insert_with(ForecastDelta::default);
                f.expected_renewal_arr_active += a.expected_renewal_arr;
                f.expected_renewal_arr_candidate += c.expected_renewal_arr;
                f.net_expansion_arr_active += a.expected_expansion_arr - a.expected_contraction_arr;
                f.net_expansion_arr_candidate +=
                    c.expected_expansion_arr - c.expected_contraction_arr;
                let moved = a.expected_renewal_arr != c.expected_renewal_arr
                    || a.expected_expansion_arr != c.expected_expansion_arr
                    || a.expected_contraction_arr != c.expected_contraction_arr;
                if moved {
                    f.accounts_changed += 1;
                    f.arr_affected += account.attributes.contract_arr.unwrap_or(0.0);
                }
                self.score_delta(c.renewal_probability - a.renewal_probability);
                delta = Some(c.expected_renewal_arr - a.expected_renewal_arr);
            }
            _ => {}
        }
        if let Some(d) = delta
            && !matches!(active, Ok(Output::Forecast(_)))
        {
            self.score_delta(d);
        }
        let changed = match (active, candidate) {
            (Ok(a), Ok(c)) => a != c,
            (Err(a), Err(c)) => a.kind() != c.kind(),
            _ => true,
        };
        if changed {
            self.changes.push(AccountChange {
                account: account.id.clone(),
                active: words(active),
                candidate: words(candidate),
                delta,
            });
        }
    }

    fn report(self, head: ShadowReport) -> ShadowReport {
        let mut changes = self.changes;
        let changed = changes.len();
        // Largest change first; changes without a number (errors, segments) after.
        changes.sort_by(|a, b| {
            let key = |c: &AccountChange| c.delta.map(f64::abs).unwrap_or(-1.0);
            key(b)
                .total_cmp(&key(a))
                .then_with(|| a.account.cmp(&b.account))
        });
        changes.truncate(SHADOW_LISTED);
        let mut score = self.score;
        if score.compared > 0 {
            score.mean /= score.compared as f64;
            score.mean_abs /= score.compared as f64;
        }
        ShadowReport {
            accounts: self.accounts,
            errors_active: self.errors_active,
            errors_candidate: self.errors_candidate,
            changed,
            band_changes: self
                .bands
                .into_iter()
                .map(|((from, to), accounts)| BandChange {
                    from: band_of(from),
                    to: band_of(to),
                    accounts,
                })
                .collect(),
            segment_changes: self.segments.into_values().collect(),
            score: self.scored.then_some(score),
            forecast: self.forecast,
            changes,
            ..head
        }
    }
}

impl Service {
    /// Runs `req.version` of `req.plugin` beside the active version on the
    /// same accounts at the same instant, stores the report and returns it.
    pub fn shadow_run(
        &self,
        tenant: &str,
        req: &super::ShadowRequest,
    ) -> Result<ShadowReport, ApiError> {
        let store = &self.store;
        let active = store.plugin(tenant, &req.plugin, None)?;
        let candidate = store.plugin(tenant, &req.plugin, Some(&req.version))?;
        let active_config = store.plugin_config(tenant, &req.plugin)?;
        let candidate_config = match &req.config {
            Some(c) => serde_json::to_string(c).expect("json"),
            None => active_config.clone(),
        };
        let as_of = match req.as_of {
            Some(d) => d,
            None => store
                .runs(tenant)?
                .into_iter()
                .filter(|r| r.plugin == req.plugin && r.status == crate::store::RunStatus::Complete)
                .map(|r| r.as_of)
                .max()
                .unwrap_or_else(super::today),
        };
        let load =
            |hash: &str| -> Result<_, ApiError> { Ok(self.runtime.load(&store.component(hash)?)?) };
        let active_plugin = load(&active.hash)?;
        let candidate_plugin = load(&candidate.hash)?;
        active_plugin.check_config(&active_config)?;
        candidate_plugin
            .check_config(&candidate_config)
            .map_err(|e| {
                ApiError::new(
                    422,
                    "invalid-config",
                    format!("candidate {} {}: {e}", req.plugin, req.version),
                )
            })?;
        let limits = crate::scoring::tenant_limits(store, &self.runtime, tenant)?;
        let health_model = store
            .active_plugins(tenant)?
            .into_iter()
            .find(|p| p.plugin.kind == PluginKind::HealthModel)
            .map(|p| p.plugin.name);
        let settings = self.settings;
        let mut reads = crate::scoring::PastReads::default();
        reads.add(&self.runtime, &active_plugin, &limits, &active_config);
        reads.add(&self.runtime, &candidate_plugin, &limits, &candidate_config);
        let reads = reads.union();
        let mut health = health_history(
            store,
            tenant,
            health_model.as_deref(),
            as_of,
            active.kind != PluginKind::HealthModel,
            settings.history_days,
            &reads.health,
        )?;
        let mut tally = Tally::default();
        let share = crate::runtime::Share::of(tenant);
        let (active_job, candidate_job) = (
            self.runtime.job(share, &limits),
            self.runtime.job(share, &limits),
        );
        store.for_each_chunk_at(
            tenant,
            as_of,
            settings.history_days,
            &reads.history,
            settings.chunk,
            |mut chunk| -> Result<(), ApiError> {
                for a in &mut chunk {
                    health.set(a)?;
                }
                let call = |job, plugin, config: &str, version: &str| {
                    self.runtime
                        .run_job(
                            job,
                            plugin,
                            &limits,
                            config,
                            as_of,
                            &chunk,
                            settings.options,
                        )
                        .map_err(|error| {
                            ApiError::new(
                                422,
                                "invalid-plugin",
                                format!("{} {version}: {error}", req.plugin),
                            )
                            .about(error.kind())
                        })
                };
                let a = call(&active_job, &active_plugin, &active_config, &active.version)?;
                let c = call(
                    &candidate_job,
                    &candidate_plugin,
                    &candidate_config,
                    &candidate.version,
                )?;
                self.metrics.plugin_run(&a);
                self.metrics.plugin_run(&c);
                for ((account, ra), rc) in chunk.iter().zip(&a.results).zip(&c.results) {
                    tally.add(account, ra, rc);
                }
                Ok(())
            },
        )?;
        let json = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
        let head = ShadowReport {
            id: 0,
            plugin: req.plugin.clone(),
            kind: active.kind,
            active_version: active.version.clone(),
            active_hash: active.hash.clone(),
            candidate_version: candidate.version.clone(),
            candidate_hash: candidate.hash.clone(),
            active_config: json(&active_config),
            candidate_config: json(&candidate_config),
            as_of: vitals_plugin_sdk::date::format(as_of),
            created_ms: crate::store::now_ms(),
            accounts: 0,
            errors_active: BTreeMap::new(),
            errors_candidate: BTreeMap::new(),
            changed: 0,
            band_changes: vec![],
            segment_changes: vec![],
            score: None,
            forecast: None,
            changes: vec![],
        };
        let mut report = tally.report(head);
        let id = store.put_shadow_report(tenant, |id| {
            report.id = id;
            report.clone()
        })?;
        report.id = id;
        Ok(report)
    }
}
