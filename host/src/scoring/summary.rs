//! Summaries a CS leader reads first: band counts and their change, who
//! turned Red, segment sizes with entries and exits, top expansion
//! candidates, and the renewal forecast with GRR and NRR.

use super::PackResults;
use crate::runtime::Output;
use crate::runtime::types::{Account, Band};
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts per band.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BandCounts {
    /// Green accounts.
    pub green: usize,
    /// Yellow accounts.
    pub yellow: usize,
    /// Red accounts.
    pub red: usize,
}

/// Renewal forecast for accounts renewing in a window.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ForecastSummary {
    /// Window length in days from as-of.
    pub days: i32,
    /// Renewals due in the window.
    pub renewals_due: usize,
    /// Contract ARR up for renewal (start ARR).
    pub arr_due: f64,
    /// Expected renewal ARR.
    pub expected_renewal_arr: f64,
    /// Expected churn: ARR due minus expected renewal ARR.
    pub expected_churn_arr: f64,
    /// Expected expansion.
    pub expected_expansion_arr: f64,
    /// Expected contraction.
    pub expected_contraction_arr: f64,
    /// (start - contraction - churn) / start.
    pub grr: f64,
    /// (start + expansion - contraction - churn) / start.
    pub nrr: f64,
}

/// Everything the demo prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Accounts scored.
    pub accounts: usize,
    /// Band counts now.
    pub bands: BandCounts,
    /// Band counts one quarter earlier.
    pub bands_before: BandCounts,
    /// Accounts Red now that were not Red before.
    pub turned_red: Vec<String>,
    /// Segment name: (size, entered, left) versus one quarter earlier.
    pub segments: BTreeMap<String, (usize, usize, usize)>,
    /// Top expansion candidates: (account, propensity, contract ARR).
    pub expansion: Vec<(String, f64, f64)>,
    /// Forecast for the next 90 days.
    pub forecast: ForecastSummary,
    /// Errors per plugin kind and error kind.
    pub errors: BTreeMap<String, usize>,
}

fn bands(
    results: &[Result<Output, crate::runtime::PluginError>],
) -> (BandCounts, Vec<Option<Band>>) {
    let mut counts = BandCounts::default();
    let per = results
        .iter()
        .map(|r| match r {
            Ok(Output::Health(h)) => {
                match h.band {
                    Band::Green => counts.green += 1,
                    Band::Yellow => counts.yellow += 1,
                    Band::Red => counts.red += 1,
                }
                Some(h.band)
            }
            _ => None,
        })
        .collect();
    (counts, per)
}

fn segment_sets(results: &[Result<Output, crate::runtime::PluginError>]) -> Vec<Vec<String>> {
    results
        .iter()
        .map(|r| match r {
            Ok(Output::Segments { segments }) => segments.iter().map(|s| s.name.clone()).collect(),
            _ => vec![],
        })
        .collect()
}

/// Summarises the pack's results now against one quarter earlier.
pub fn summarise(
    accounts: &[Account],
    now: &PackResults,
    before: &PackResults,
    as_of: i32,
    horizon_days: i32,
) -> Summary {
    let (band_now, per_now) = bands(&now.health);
    let (band_before, per_before) = bands(&before.health);
    let turned_red = accounts
        .iter()
        .zip(per_now.iter().zip(&per_before))
        .filter(|(_, (n, b))| **n == Some(Band::Red) && **b != Some(Band::Red))
        .map(|(a, _)| a.id.clone())
        .collect();
    let (seg_now, seg_before) = (segment_sets(&now.segments), segment_sets(&before.segments));
    let mut segments: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (n, b) in seg_now.iter().zip(&seg_before) {
        for s in n {
            let e = segments.entry(s.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(!b.contains(s));
        }
        for s in b.iter().filter(|s| !n.contains(s)) {
            segments.entry(s.clone()).or_default().2 += 1;
        }
    }
    let mut expansion: Vec<(String, f64, f64)> = accounts
        .iter()
        .zip(&now.propensity)
        .filter_map(|(a, r)| match r {
            Ok(Output::Propensity(p)) if p.score > 0.0 => Some((
                a.id.clone(),
                p.score,
                a.attributes.contract_arr.unwrap_or(0.0),
            )),
            _ => None,
        })
        .collect();
    expansion.sort_by(|x, y| {
        y.1.total_cmp(&x.1)
            .then(y.2.total_cmp(&x.2))
            .then(x.0.cmp(&y.0))
    });
    expansion.truncate(10);
    let mut f = ForecastSummary {
        days: horizon_days,
        ..Default::default()
    };
    for (a, r) in accounts.iter().zip(&now.forecast) {
        let Ok(Output::Forecast(fc)) = r else {
            continue;
        };
        if !fc
            .renewal_date
            .is_some_and(|d| (as_of..as_of + horizon_days).contains(&d))
        {
            continue;
        }
        let start = a.attributes.contract_arr.unwrap_or(0.0);
        f.renewals_due += 1;
        f.arr_due += start;
        f.expected_renewal_arr += fc.expected_renewal_arr;
        f.expected_churn_arr += start - fc.expected_renewal_arr;
        f.expected_expansion_arr += fc.expected_expansion_arr;
        f.expected_contraction_arr += fc.expected_contraction_arr;
    }
    if f.arr_due > 0.0 {
        let lost = f.expected_contraction_arr + f.expected_churn_arr;
        f.grr = (f.arr_due - lost) / f.arr_due;
        f.nrr = (f.arr_due + f.expected_expansion_arr - lost) / f.arr_due;
    }
    let mut errors = BTreeMap::new();
    for (kind, results) in [
        ("health", &now.health),
        ("segments", &now.segments),
        ("propensity", &now.propensity),
        ("forecast", &now.forecast),
    ] {
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            *errors.entry(format!("{kind}/{}", e.kind())).or_insert(0) += 1;
        }
    }
    Summary {
        accounts: accounts.len(),
        bands: band_now,
        bands_before: band_before,
        turned_red,
        segments,
        expansion,
        forecast: f,
        errors,
    }
}
