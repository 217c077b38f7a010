//! A component's result tables back into the author's types, as the host
//! reads them: indices looked up in the call's `names`.

use crate::types::{Driver, Factor, Forecast, Health, PluginError, Propensity, Segment};
use crate::wire;

fn name(names: &[String], i: u32) -> String {
    names.get(i as usize).cloned().unwrap_or_default()
}

fn each<W, T>(
    results: Vec<Result<W, wire::PluginError>>,
    f: impl Fn(W) -> T,
) -> Vec<Result<T, PluginError>> {
    results
        .into_iter()
        .map(|r| r.map(&f).map_err(PluginError::from))
        .collect()
}

pub fn health(out: wire::HealthResults) -> Vec<Result<Health, PluginError>> {
    let names = &out.names;
    each(out.results, |h| Health {
        score: h.score,
        band: h.band.into(),
        factors: h
            .factors
            .into_iter()
            .map(|f| Factor {
                name: name(names, f.name),
                group: name(names, f.group),
                value: f.value,
                weight: f.weight,
                points: f.points,
            })
            .collect(),
    })
}

pub fn segments(out: wire::SegmentResults) -> Vec<Result<Vec<Segment>, PluginError>> {
    let names = &out.names;
    each(out.results, |segments| {
        segments
            .into_iter()
            .map(|s| Segment {
                name: name(names, s.name),
                reason: s.reason,
            })
            .collect()
    })
}

pub fn propensities(out: wire::PropensityResults) -> Vec<Result<Propensity, PluginError>> {
    let names = &out.names;
    each(out.results, |p| Propensity {
        score: p.score,
        drivers: p
            .drivers
            .into_iter()
            .map(|d| Driver {
                name: name(names, d.name),
                value: d.value,
                contribution: d.contribution,
            })
            .collect(),
    })
}

pub fn forecasts(out: wire::ForecastResults) -> Vec<Result<Forecast, PluginError>> {
    each(out.results, |f| Forecast {
        renewal_probability: f.renewal_probability,
        confidence: f.confidence.into(),
        basis: f.basis,
        renewal_date: f.renewal_date,
        expected_renewal_arr: f.expected_renewal_arr,
        expected_expansion_arr: f.expected_expansion_arr,
        expected_contraction_arr: f.expected_contraction_arr,
    })
}
