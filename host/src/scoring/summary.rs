//! Summaries read from stored results: band counts and their change since
//! the previous run, who turned Red, segment sizes with entries and exits,
//! the top expansion candidates, and the renewal forecast for a period with
//! GRR and NRR by the formulas of DESIGN.md.

use super::pick::{Pick, RunPassedOver, RunRead, Selection, pick};
use crate::contract::{Band, Forecast};
use crate::contract::{Output, PluginKind};
use crate::store::{RunRecord, Store, StoreError, StoredResult};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Counts per band.
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, serde::Deserialize,
)]
pub struct BandCounts {
    /// Green accounts.
    pub green: usize,
    /// Yellow accounts.
    pub yellow: usize,
    /// Red accounts.
    pub red: usize,
}

/// Health now and against the previous health run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, serde::Deserialize)]
pub struct BandSummary {
    /// The run summarised.
    pub run: u64,
    /// Its instant.
    pub as_of: String,
    /// Band counts.
    pub now: BandCounts,
    /// Band counts of the previous run, if any.
    pub before: Option<BandCounts>,
    /// Accounts Red now that were scored, and not Red, in the previous run.
    pub turned_red: Vec<String>,
}

/// One segment now against the previous segmenter run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, serde::Deserialize)]
pub struct SegmentChange {
    /// Segment name.
    pub segment: String,
    /// Members now.
    pub size: usize,
    /// Members now that were not members before.
    pub entered: usize,
    /// Members before that are not members now.
    pub left: usize,
}

/// Renewal forecast for renewals due in a period.
#[derive(Debug, Default, Clone, PartialEq, Serialize, utoipa::ToSchema, serde::Deserialize)]
pub struct ForecastSummary {
    /// First day of the period (inclusive).
    pub from: String,
    /// Last day of the period (inclusive).
    pub to: String,
    /// Renewals due.
    pub renewals_due: usize,
    /// Contract ARR up for renewal (the period's start ARR).
    pub arr_due: f64,
    /// Expected renewal ARR.
    pub expected_renewal_arr: f64,
    /// Expected churn: ARR due less expected renewal ARR.
    pub expected_churn_arr: f64,
    /// Expected expansion.
    pub expected_expansion_arr: f64,
    /// Expected contraction.
    pub expected_contraction_arr: f64,
    /// (start - contraction - churn) / start; `null` when no ARR is due in
    /// the period (no account has a renewal date in it).
    pub grr: Option<f64>,
    /// (start + expansion - contraction - churn) / start; `null` likewise.
    pub nrr: Option<f64>,
    /// Accounts due in the period whose forecast failed (a plugin error):
    /// not in the figures.
    pub not_forecast: usize,
}

/// Everything `vitals summary` prints.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, serde::Deserialize)]
pub struct Summary {
    /// Health.
    pub health: Option<BandSummary>,
    /// Segments.
    pub segments: Vec<SegmentChange>,
    /// Top expansion candidates: (account, propensity, contract ARR).
    pub expansion: Vec<(String, f64, f64)>,
    /// The forecast for the period.
    pub forecast: Option<ForecastSummary>,
    /// Per-account errors of the latest runs, by plugin and error kind.
    pub errors: BTreeMap<String, u64>,
    /// The runs read, one per kind (health first).
    pub runs: Vec<RunRead>,
    /// Newer runs not read because every account failed in them.
    pub passed_over: Vec<RunPassedOver>,
}

/// The kinds in the order a summary reads them.
pub(crate) const KINDS: [PluginKind; 4] = [
    PluginKind::HealthModel,
    PluginKind::Segmenter,
    PluginKind::PropensityModel,
    PluginKind::Forecaster,
];

fn bands(results: &[StoredResult]) -> (BandCounts, HashMap<&str, Band>) {
    let mut counts = BandCounts::default();
    let mut per = HashMap::new();
    for r in results {
        if let Ok(Output::Health(h)) = &r.result {
            match h.band {
                Band::Green => counts.green += 1,
                Band::Yellow => counts.yellow += 1,
                Band::Red => counts.red += 1,
            }
            per.insert(r.account_id.as_str(), h.band);
        }
    }
    (counts, per)
}

fn segment_sets(results: &[StoredResult]) -> HashMap<&str, Vec<&str>> {
    results
        .iter()
        .filter_map(|r| match &r.result {
            Ok(Output::Segments { segments }) => Some((
                r.account_id.as_str(),
                segments.iter().map(|s| &*s.name).collect(),
            )),
            _ => None,
        })
        .collect()
}

/// The ARR up for renewal of one forecast account: its contract value, else
/// the value the forecaster based its figure on (expected = probability x
/// value), else the ARR of its latest snapshot.
pub fn renewal_base(
    store: &Store,
    tenant: &str,
    account: &str,
    contract_arr: Option<f64>,
    fc: &Forecast,
) -> Result<f64, StoreError> {
    Ok(match contract_arr {
        Some(v) => v,
        None if fc.renewal_probability > 0.0 => fc.expected_renewal_arr / fc.renewal_probability,
        None => store
            .history(tenant, account)?
            .last()
            .and_then(|s| s.arr)
            .unwrap_or(0.0),
    })
}

impl ForecastSummary {
    /// An empty forecast for renewals due in `[from, to]`.
    pub fn period(from: i32, to: i32) -> Self {
        let fmt = vitals_plugin_sdk::date::format;
        ForecastSummary {
            from: fmt(from),
            to: fmt(to),
            ..Default::default()
        }
    }

    /// Adds one account due in the period, `base` being its [`renewal_base`].
    pub fn add(&mut self, base: f64, fc: &Forecast) {
        self.renewals_due += 1;
        self.arr_due += base;
        self.expected_renewal_arr += fc.expected_renewal_arr;
        self.expected_churn_arr += (base - fc.expected_renewal_arr).max(0.0);
        self.expected_expansion_arr += fc.expected_expansion_arr;
        self.expected_contraction_arr += fc.expected_contraction_arr;
    }

    /// Computes GRR and NRR from the sums (after the last [`Self::add`]).
    pub fn close(&mut self) {
        if self.arr_due > 0.0 {
            let lost = self.expected_contraction_arr + self.expected_churn_arr;
            self.grr = Some((self.arr_due - lost) / self.arr_due);
            self.nrr = Some((self.arr_due + self.expected_expansion_arr - lost) / self.arr_due);
        }
    }
}

/// Renewal forecast for renewals due in `[from, to]`, from a forecaster run.
pub fn forecast_summary(
    store: &Store,
    tenant: &str,
    results: &[StoredResult],
    from: i32,
    to: i32,
) -> Result<ForecastSummary, StoreError> {
    let mut f = ForecastSummary::period(from, to);
    for r in results {
        let Ok(Output::Forecast(fc)) = &r.result else {
            continue;
        };
        if !fc.renewal_date.is_some_and(|d| d >= from && d <= to) {
            continue;
        }
        let contract_arr = store.account(tenant, &r.account_id)?.contract_arr;
        f.add(
            renewal_base(store, tenant, &r.account_id, contract_arr, fc)?,
            fc,
        );
    }
    f.close();
    Ok(f)
}

impl Summary {
    /// Builds the summary of a tenant's latest complete runs; the forecast
    /// covers renewals due in the `horizon_days` after the forecast's as-of.
    pub fn build(
        store: &Store,
        tenant: &str,
        horizon_days: i32,
        top: usize,
    ) -> Result<Summary, StoreError> {
        Summary::build_with(store, tenant, horizon_days, top, &Selection::default())
    }

    /// The summary of the runs `selection` picks (`scoring::pick`).
    pub fn build_with(
        store: &Store,
        tenant: &str,
        horizon_days: i32,
        top: usize,
        selection: &Selection,
    ) -> Result<Summary, StoreError> {
        let all = store.runs(tenant)?;
        selection.check(&all).map_err(StoreError::Invalid)?;
        let picks: Vec<Pick> = KINDS.iter().map(|k| pick(&all, *k, selection)).collect();
        let latest_two =
            |kind: PluginKind| -> Result<(Option<RunRecord>, Option<RunRecord>), StoreError> {
                let p = &picks[KINDS.iter().position(|k| *k == kind).expect("a kind")];
                Ok((p.now.clone(), p.before.clone()))
            };
        let mut errors = BTreeMap::new();
        let mut count_errors = |run: &RunRecord| {
            for (kind, n) in &run.errors {
                *errors.entry(format!("{}/{kind}", run.plugin)).or_insert(0) += n;
            }
        };
        let health = match latest_two(PluginKind::HealthModel)? {
            (Some(now), before) => {
                count_errors(&now);
                let now_results = store.results(tenant, now.id)?;
                let (counts, per_now) = bands(&now_results);
                let (before_counts, per_before) = match &before {
                    Some(b) => {
                        let r = store.results(tenant, b.id)?;
                        let (c, per) = bands(&r);
                        let per: HashMap<String, Band> =
                            per.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                        (Some(c), per)
                    }
                    None => (None, HashMap::new()),
                };
                let mut turned_red: Vec<String> = per_now
                    .iter()
                    // Turned: scored in the previous run, and not Red then.
                    .filter(|(id, band)| {
                        **band == Band::Red && per_before.get(**id).is_some_and(|b| *b != Band::Red)
                    })
                    .map(|(id, _)| id.to_string())
                    .collect();
                turned_red.sort();
                Some(BandSummary {
                    run: now.id,
                    as_of: vitals_plugin_sdk::date::format(now.as_of),
                    now: counts,
                    before: before_counts,
                    turned_red,
                })
            }
            (None, _) => None,
        };
        let segments = match latest_two(PluginKind::Segmenter)? {
            (Some(now), before) => {
                count_errors(&now);
                let now_r = store.results(tenant, now.id)?;
                let before_r = match &before {
                    Some(b) => store.results(tenant, b.id)?,
                    None => vec![],
                };
                let (n, b) = (segment_sets(&now_r), segment_sets(&before_r));
                let mut changes: BTreeMap<&str, SegmentChange> = BTreeMap::new();
                let entry = |name: &str| -> SegmentChange {
                    SegmentChange {
                        segment: name.into(),
                        size: 0,
                        entered: 0,
                        left: 0,
                    }
                };
                for (id, segs) in &n {
                    let old = b.get(id);
                    for s in segs {
                        let c = changes.entry(s).or_insert_with(|| entry(s));
                        c.size += 1;
                        c.entered +=
                            usize::from(before.is_some() && !old.is_some_and(|o| o.contains(s)));
                    }
                }
                for (id, segs) in &b {
                    // An account without segments now because its segmenter
                    // failed has not left anything: only scored ones count.
                    let Some(new) = n.get(id) else { continue };
                    for s in segs.iter().filter(|s| !new.contains(s)) {
                        changes.entry(s).or_insert_with(|| entry(s)).left += 1;
                    }
                }
                changes.into_values().collect()
            }
            (None, _) => vec![],
        };
        let expansion = match latest_two(PluginKind::PropensityModel)?.0 {
            Some(run) => {
                count_errors(&run);
                let mut ranked: Vec<(String, f64)> = store
                    .results(tenant, run.id)?
                    .into_iter()
                    .filter_map(|r| match r.result {
                        Ok(Output::Propensity(p)) if p.score > 0.0 => Some((r.account_id, p.score)),
                        _ => None,
                    })
                    .collect();
                ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                ranked
                    .into_iter()
                    .take(top)
                    .map(|(id, p)| {
                        let arr = store
                            .account(tenant, &id)
                            .ok()
                            .and_then(|a| a.contract_arr)
                            .unwrap_or(0.0);
                        (id, p, arr)
                    })
                    .collect()
            }
            None => vec![],
        };
        let forecast = match latest_two(PluginKind::Forecaster)?.0 {
            Some(run) => {
                count_errors(&run);
                let results = store.results(tenant, run.id)?;
                Some(forecast_summary(
                    store,
                    tenant,
                    &results,
                    run.as_of,
                    run.as_of + horizon_days - 1,
                )?)
            }
            None => None,
        };
        Ok(Summary {
            health,
            segments,
            expansion,
            forecast,
            errors,
            runs: picks.iter().filter_map(Pick::read).collect(),
            passed_over: picks.iter().flat_map(Pick::passed).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::ContractVersion::V0_2;
    use crate::contract::{Health, PluginMetadata, Segment};
    use crate::contract::{Output, PluginError};

    fn meta(name: &str, kind: PluginKind) -> PluginMetadata {
        PluginMetadata {
            name: name.into(),
            version: "1.0.0".into(),
            kind,
            description: String::new(),
            config_schema: "{}".into(),
            reads: vec![],
        }
    }

    fn health(band: Band) -> Result<Output, PluginError> {
        Ok(Output::Health(Health {
            score: 50.0,
            band,
            factors: vec![],
        }))
    }

    fn segments(names: &[&str]) -> Result<Output, PluginError> {
        Ok(Output::Segments {
            segments: names
                .iter()
                .map(|n| Segment {
                    name: (*n).into(),
                    reason: String::new(),
                })
                .collect(),
        })
    }

    fn stored_run(
        store: &Store,
        kind: PluginKind,
        name: &str,
        as_of: i32,
        results: Vec<(&str, Result<Output, PluginError>)>,
    ) {
        let plugin = store
            .add_plugin("t", name, name.as_bytes(), &meta(name, kind), V0_2)
            .unwrap();
        let mut run = store.start_run("t", &plugin, "{}", as_of).unwrap();
        let results: Vec<(String, Result<Output, PluginError>)> = results
            .into_iter()
            .map(|(a, r)| (a.to_string(), r))
            .collect();
        store
            .write_results(&mut run, &results, 0, vec![], 0)
            .unwrap();
        store.complete_run(&mut run).unwrap();
    }

    #[test]
    fn changes_are_counted_against_the_previous_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_tenant("t", "T").unwrap();
        let health_kind = PluginKind::HealthModel;
        stored_run(
            &store,
            health_kind,
            "h",
            100,
            vec![
                ("a", health(Band::Green)),
                ("b", health(Band::Red)),
                ("c", health(Band::Yellow)),
            ],
        );
        stored_run(
            &store,
            health_kind,
            "h",
            200,
            vec![
                ("a", health(Band::Red)),
                ("b", health(Band::Red)),
                ("c", health(Band::Yellow)),
                ("new", health(Band::Red)),
            ],
        );
        let seg = PluginKind::Segmenter;
        stored_run(
            &store,
            seg,
            "s",
            100,
            vec![
                ("a", segments(&["adoption"])),
                ("b", segments(&["at-risk"])),
                ("c", segments(&["advocate"])),
            ],
        );
        stored_run(
            &store,
            seg,
            "s",
            200,
            vec![
                ("a", segments(&["at-risk"])),
                ("b", segments(&["at-risk"])),
                (
                    "c",
                    Err(PluginError::Trap {
                        message: "boom".into(),
                        backtrace: None,
                    }),
                ),
            ],
        );
        let s = Summary::build(&store, "t", 90, 10).unwrap();
        let h = s.health.unwrap();
        assert_eq!(
            h.now,
            BandCounts {
                green: 0,
                yellow: 1,
                red: 3
            }
        );
        assert_eq!(
            h.before,
            Some(BandCounts {
                green: 1,
                yellow: 1,
                red: 1
            })
        );
        // b was already Red; "new" was not scored before.
        assert_eq!(h.turned_red, ["a"]);
        let by: std::collections::HashMap<&str, &SegmentChange> =
            s.segments.iter().map(|c| (c.segment.as_str(), c)).collect();
        assert_eq!(
            (
                by["at-risk"].size,
                by["at-risk"].entered,
                by["at-risk"].left
            ),
            (2, 1, 0)
        );
        assert_eq!((by["adoption"].size, by["adoption"].left), (0, 1));
        // c's segmenter failed now: it has not left "advocate".
        assert!(!by.contains_key("advocate"), "{:?}", s.segments);
        assert_eq!(s.errors.get("s/trap"), Some(&1));
    }
}
