//! `vitals summary` (and `/summary`) read off the dashboard index: the same
//! rules as [`Summary::build`], which reads the runs itself (the tests hold
//! the two equal), in one pass over the index's rows instead of a decode of
//! every result of the latest runs on each call.

use super::{Index, ranked, renewals_due, segment_changes};
use crate::scoring::{BandSummary, ForecastSummary, Summary};
use crate::service::{ApiResult, Service};

impl Service {
    /// The summary of the tenant's latest complete runs; the forecast covers
    /// renewals due in the `horizon_days` after the forecast's as-of.
    pub(crate) fn indexed_summary(
        &self,
        tenant: &str,
        horizon_days: i32,
        top: usize,
    ) -> ApiResult<Summary> {
        Ok(summary_of(
            &*self.dashboard_index(tenant)?,
            horizon_days,
            top,
        ))
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
