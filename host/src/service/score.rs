//! Scoring one account on demand (a CRM asking in real time): its latest
//! snapshot at the instant, its history window and health history, through
//! every active plugin (health first, its score joining the health history
//! the others read). Nothing is stored.

use super::local::health_of;
use super::{ApiError, ApiResult, ResultView, ScoreReport, ScoreResult, Service};
use crate::runtime::types::{Account, HealthPoint};
use crate::runtime::{PluginError, PluginKind};

impl Service {
    /// The account as a run at `as_of` would see it.
    fn account_at(&self, tenant: &str, id: &str, as_of: i32) -> ApiResult<Account> {
        let attributes = self.store.account(tenant, id)?;
        let mut history = self.store.history(tenant, id)?;
        history.retain(|s| s.as_of <= as_of);
        let Some(current) = history.pop() else {
            return Err(ApiError::not_found(format!(
                "account {id:?} has no snapshot at or before {}",
                vitals_plugin_sdk::date::format(as_of)
            )));
        };
        let from = current.as_of - self.settings.history_days;
        history.retain(|s| s.as_of >= from);
        Ok(Account {
            id: id.to_string(),
            attributes,
            current,
            history,
            health: vec![],
        })
    }

    /// Scores one stored account with the tenant's active plugins.
    pub fn score_account(&self, tenant: &str, id: &str, as_of: i32) -> ApiResult<ScoreReport> {
        self.store.require_tenant_exists(tenant)?;
        // Held for the whole score: a tenant whose plugin spins gets only
        // so many server threads, whatever it sends (429 `busy` past them).
        let _slot = self.scores.start(tenant)?;
        let mut active = self.store.active_plugins(tenant)?;
        if active.is_empty() {
            return Err(ApiError::new(
                409,
                "nothing-to-run",
                "the tenant has no active plugin",
            ));
        }
        active.sort_by_key(|p| p.plugin.kind != PluginKind::HealthModel);
        // Compiled (rarely: they are cached) before the turn, which is for
        // short work only.
        let loaded = active
            .iter()
            .map(|p| self.loaded(&p.plugin.hash))
            .collect::<ApiResult<Vec<_>>>()?;
        // The score's host work and its calls on one turn of the tenant's
        // share of the cores: beside spinning plugins, host work outside
        // the scheduler waited for the operating system to give it a core.
        let mut work = self.runtime.work(crate::runtime::Share::of(tenant));
        let mut account = self.account_at(tenant, id, as_of)?;
        // Health history: this account's scores from the active health
        // model's complete runs before the instant.
        if let Some(model) = active
            .iter()
            .find(|p| p.plugin.kind == PluginKind::HealthModel)
        {
            let from = as_of - self.settings.history_days;
            for run in self
                .store
                .complete_runs_of_kind(tenant, PluginKind::HealthModel)?
            {
                if run.plugin == model.plugin.name
                    && run.as_of < as_of
                    && run.as_of >= from
                    && let Some(Ok(out)) = self.store.result(tenant, run.id, id)?
                    && let Some(h) = health_of(&out)
                {
                    account.health.retain(|p| p.as_of != run.as_of);
                    account.health.push(HealthPoint {
                        as_of: run.as_of,
                        score: h.score,
                        band: h.band,
                    });
                }
            }
            account.health.sort_by_key(|p| p.as_of);
        }
        let limits = crate::scoring::tenant_limits(&self.store, &self.runtime, tenant)?;
        let mut results = Vec::with_capacity(active.len());
        for (p, plugin) in active.iter().zip(&loaded) {
            // One account, one call: no batching, no retry, no worker thread.
            let called = work.call_metered(
                plugin,
                &limits,
                &p.config,
                as_of,
                std::slice::from_ref(&account),
            );
            // A failed call burnt fuel too (all of it, on a loop).
            self.metrics.plugin_fuel(called.fuel_used);
            let result = match called.outcome {
                Ok(out) => {
                    self.metrics.plugin_calls(1);
                    out.results
                        .into_iter()
                        .next()
                        .ok_or_else(|| ApiError::internal("a call on one account gave no result"))?
                }
                Err(e @ (PluginError::InvalidConfig(_) | PluginError::Host(_))) => {
                    let mut a = ApiError::from(e);
                    a.body.message = format!("{}: {}", p.plugin.name, a.body.message);
                    return Err(a);
                }
                Err(e) => {
                    self.metrics.plugin_calls(1);
                    self.metrics.plugin_error(e.kind());
                    Err(e)
                }
            };
            if p.plugin.kind == PluginKind::HealthModel
                && let Ok(out) = &result
                && let Some(h) = health_of(out)
            {
                account.health.retain(|x| x.as_of < as_of);
                account.health.push(HealthPoint {
                    as_of,
                    score: h.score,
                    band: h.band,
                });
            }
            results.push(ScoreResult {
                plugin: p.plugin.name.clone(),
                version: p.plugin.version.clone(),
                plugin_hash: p.plugin.hash.clone(),
                kind: p.plugin.kind,
                result: ResultView::new(id.to_string(), result),
            });
        }
        Ok(ScoreReport {
            account: id.to_string(),
            as_of: vitals_plugin_sdk::date::format(as_of),
            results,
        })
    }
}
