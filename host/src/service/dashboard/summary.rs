//! `vitals summary` (and `/summary`, and the demo) read off the dashboard
//! index: the latest runs from the cached index, other runs (`--run`,
//! `--as-of`) from an index built for them. This is the one way a summary
//! is made; [`Summary::build`] reads the runs itself and stays as the
//! tests' oracle (they hold the two equal).

use super::index::{Scores, Sources};
use super::{Index, ranked, renewals_due, segment_changes};
use crate::scoring::{BandSummary, ForecastSummary, Selection, Summary};
use crate::service::{ApiError, ApiResult, Service};
use std::sync::Arc;

impl Service {
    /// The summary of the runs `selection` picks (the latest complete runs
    /// by default); the forecast covers renewals due in the `horizon_days`
    /// after the forecast's as-of.
    pub(crate) fn indexed_summary(
        &self,
        tenant: &str,
        horizon_days: i32,
        top: usize,
        selection: &Selection,
    ) -> ApiResult<Summary> {
        if selection.is_latest() {
            return Ok(summary_of(
                &*self.dashboard_index(tenant)?,
                horizon_days,
                top,
            ));
        }
        self.store.require_tenant_exists(tenant)?;
        let runs = self.store.runs(tenant)?;
        selection
            .check(&runs)
            .map_err(|m| ApiError::bad_request(m).about("runs"))?;
        // Not cached: another selection each time, and runs that never
        // change, so nothing to keep fresh.
        let sources = Sources::pick(&runs, selection);
        let scores = Arc::new(Scores::read(&self.store, tenant, sources, 0)?);
        let index = Index::build(&self.store, tenant, scores, 0)?;
        Ok(summary_of(&index, horizon_days, top))
    }
}

fn summary_of(index: &Index, horizon_days: i32, top: usize) -> Summary {
    let health = index.scores.sources.health.as_ref().map(|run| {
        // Rows are in id order, so these are sorted.
        let turned_red = index
            .rows
            .iter()
            .filter(|r| r.turned_red())
            .map(|r| r.id.clone())
            .collect();
        BandSummary {
            run: run.id,
            as_of: vitals_plugin_sdk::date::format(run.as_of),
            now: index.now,
            before: index.before,
            turned_red,
        }
    });
    let expansion = ranked(index)
        .into_iter()
        .take(top)
        .map(|(p, r)| (r.id.clone(), p, r.arr.unwrap_or(0.0)))
        .collect();
    let forecast = index.scores.sources.forecast.as_ref().map(|run| {
        let (from, to) = (run.as_of, run.as_of + horizon_days - 1);
        let mut f = ForecastSummary::period(from, to);
        for (fc, base) in renewals_due(index, from, to) {
            f.add(base, fc);
        }
        f.close();
        f
    });
    Summary {
        health,
        // Empty without a segmenter run: no names, no changes.
        segments: segment_changes(index),
        expansion,
        forecast,
        errors: index.scores.errors.clone(),
        runs: index.scores.sources.read.clone(),
        passed_over: index.scores.sources.passed_over.clone(),
    }
}
