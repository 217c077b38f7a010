//! [`Api`] on a local store: the operations themselves.

use super::*;
use crate::ingest::Parsed;
use crate::runtime::{Output, PluginError, PluginKind};
use crate::scoring::{forecast_summary, run_active};
use crate::store::RunStatus;

/// Results one page may hold.
pub const MAX_PAGE: usize = 10_000;

impl Service {
    pub(super) fn tenant_info(&self, t: crate::store::Tenant) -> ApiResult<TenantInfo> {
        let operator = *self.runtime.limits();
        Ok(TenantInfo {
            accounts: self.store.account_count(&t.id)?,
            limits: t.limits.unwrap_or(operator).capped_by(&operator),
            id: t.id,
            name: t.name,
            created_ms: t.created_ms,
        })
    }

    /// The loaded plugin of a stored component, from memory after its first
    /// use (reading and hashing the component again would cost more than a
    /// whole on-demand score).
    pub fn loaded(&self, hash: &str) -> ApiResult<std::sync::Arc<crate::runtime::Plugin>> {
        if let Some(p) = self.plugins.lock().expect("plugin cache").get(hash) {
            return Ok(p.clone());
        }
        let plugin = self.runtime.load(&self.store.component(hash)?)?;
        self.plugins
            .lock()
            .expect("plugin cache")
            .insert(hash.to_string(), plugin.clone());
        Ok(plugin)
    }

    /// Discards a run for `by` (`local`, or the API key that asked).
    pub fn discard_run_by(
        &self,
        tenant: &str,
        id: u64,
        req: &DiscardRun,
        by: &str,
    ) -> ApiResult<RunRecord> {
        self.store.require_tenant_exists(tenant)?;
        if let Some(reason) = &req.reason {
            crate::store::check_free_text("reason", reason, 500).map_err(ApiError::bad_request)?;
        }
        Ok(self
            .store
            .discard_run(tenant, id, by, req.reason.as_deref())?)
    }

    /// The tenant's plugin lifecycle lock (see `Service::lifecycle`).
    pub(super) fn lifecycle(&self, tenant: &str) -> Arc<std::sync::Mutex<()>> {
        self.lifecycle
            .lock()
            .expect("lifecycle locks")
            .entry(tenant.to_string())
            .or_default()
            .clone()
    }

    /// Stores records parsed already, as one ingest (tests and benches; the
    /// CLI and the server stream through [`Service::ingest_stream`]).
    pub fn ingest_parsed(
        &self,
        tenant: &str,
        parsed: Parsed,
        mode: crate::store::IngestMode,
    ) -> ApiResult<IngestReport> {
        self.store.require_tenant_exists(tenant)?;
        let report = self.store.ingest(tenant, &parsed.rows, parsed.errors, mode);
        // Even a refused ingest may have raced a dashboard build: rebuild.
        self.dashboard.forget(tenant);
        Ok(report?)
    }

    /// A backtest (reads only), as one of the tenant's jobs.
    pub fn backtest(
        &self,
        tenant: &str,
        spec: &crate::backtest::BacktestSpec,
    ) -> ApiResult<crate::backtest::BacktestReport> {
        self.store.require_tenant_exists(tenant)?;
        let _slot = self.jobs.start(tenant)?;
        Ok(crate::backtest::run(
            &self.store,
            &self.runtime,
            tenant,
            spec,
        )?)
    }

    /// Suggested configurations fitted to the tenant's outcomes (nothing activated).
    pub fn suggest(
        &self,
        tenant: &str,
        spec: &crate::backtest::SuggestSpec,
    ) -> ApiResult<crate::backtest::Suggestion> {
        self.store.require_tenant_exists(tenant)?;
        let _slot = self.jobs.start(tenant)?;
        Ok(crate::backtest::suggest(
            &self.store,
            &self.runtime,
            tenant,
            spec,
        )?)
    }

    /// Fails unless the tenant's configuration of `name` fits `version`
    /// (its schema, and the plugin's own check).
    fn config_fits(&self, tenant: &str, name: &str, version: &str) -> ApiResult<()> {
        let target = self.store.plugin(tenant, name, Some(version))?;
        let loaded = self.loaded(&target.hash)?;
        let config = self.store.plugin_config(tenant, name)?;
        let misfit = |e: &dyn std::fmt::Display| {
            ApiError::new(
                422,
                "invalid-config",
                format!(
                    "the configuration of {name} does not fit {version}: {e}; set a fitting one first"
                ),
            )
        };
        loaded.check_config(&config).map_err(|e| misfit(&e))?;
        self.plugin_check(tenant, &loaded, &config)
            .map_err(|e| misfit(&e))?;
        Ok(())
    }

    /// Asks the plugin itself whether it can use a configuration: a call on
    /// an empty batch, which a plugin answers with `invalid-config` when it
    /// cannot (what its schema cannot say: thresholds out of order, a group
    /// that does not exist; the SDK's `Plugin::check_config`). Any other
    /// failure (a trap, a plugin that cannot take an empty batch) refuses
    /// nothing and is returned as `Ok(Some(why))`, to be said.
    pub(super) fn plugin_check(
        &self,
        tenant: &str,
        plugin: &crate::runtime::Plugin,
        config: &str,
    ) -> Result<Option<String>, PluginError> {
        let limits = crate::scoring::tenant_limits(&self.store, &self.runtime, tenant)
            .map_err(|e| PluginError::Host(e.to_string()))?;
        let share = crate::runtime::Share::of(tenant);
        self.runtime
            .ask_config(share, plugin, &limits, config, today())
    }
}

fn json_config(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

impl Api for Service {
    fn tenants(&self) -> ApiResult<Vec<TenantInfo>> {
        self.store
            .tenants()?
            .into_iter()
            .map(|t| self.tenant_info(t))
            .collect()
    }

    fn create_tenant(&self, req: &CreateTenant) -> ApiResult<TenantInfo> {
        self.create_tenant_by(req, "local")
    }

    fn delete_tenant(&self, tenant: &str) -> ApiResult<crate::store::TenantDeleted> {
        self.delete_tenant_by(tenant, "local")
    }

    fn operator_audit(&self) -> ApiResult<Vec<crate::store::AuditRecord>> {
        Service::operator_audit(self)
    }

    fn limits(&self, tenant: &str) -> ApiResult<Limits> {
        let operator = *self.runtime.limits();
        Ok(self
            .store
            .tenant(tenant)?
            .limits
            .unwrap_or(operator)
            .capped_by(&operator))
    }

    fn set_limits(&self, tenant: &str, patch: Option<&LimitsPatch>) -> ApiResult<Limits> {
        let operator = *self.runtime.limits();
        self.store
            .set_tenant_limits(tenant, patch.map(|p| p.apply(operator)))?;
        self.limits(tenant)
    }

    fn ingest(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
    ) -> ApiResult<IngestReport> {
        let mapping = req.mapping.as_ref().map(IngestMapping::mapping);
        self.ingest_stream(tenant, body, req.format, req.mode, mapping)
    }

    fn ingest_preview(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
    ) -> ApiResult<crate::ingest::IngestPreview> {
        let mapping = req.mapping.as_ref().map(IngestMapping::mapping);
        self.preview_stream(tenant, body, req.format, req.mode, mapping)
    }

    fn plugins(&self, tenant: &str) -> ApiResult<Vec<InstalledPlugin>> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.plugins(tenant)?)
    }

    fn plugin(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PluginDetail> {
        self.store.require_tenant_exists(tenant)?;
        let plugin = self.store.plugin(tenant, name, version)?;
        let versions = self
            .store
            .plugins(tenant)?
            .into_iter()
            .filter(|p| p.name == name)
            .map(|p| p.version)
            .collect();
        Ok(PluginDetail {
            config: json_config(&self.store.plugin_config(tenant, name)?),
            plugin,
            versions,
        })
    }

    fn add_plugin(&self, tenant: &str, bytes: Vec<u8>, activate: bool) -> ApiResult<Activation> {
        self.store.require_tenant_exists(tenant)?;
        let plugin = self.runtime.load(&bytes)?;
        let installed = self.store.add_plugin(
            tenant,
            &crate::runtime::content_hash(&bytes),
            &bytes,
            &plugin.metadata,
            plugin.contract,
        )?;
        if !activate {
            return Ok(Activation {
                plugin: self
                    .store
                    .plugin(tenant, &installed.name, Some(&installed.version))?,
                deactivated: vec![],
            });
        }
        {
            let lock = self.lifecycle(tenant);
            let _held = lock.lock().expect("lifecycle lock");
            self.refuse_pack_managed(tenant, &installed.name, Some(&installed.hash))?;
            let config = self.store.plugin_config(tenant, &installed.name)?;
            let misfit = |e: PluginError| {
                ApiError::new(
                    422,
                    "invalid-config",
                    format!(
                        "the tenant's configuration of {} does not fit this version: {e}",
                        installed.name
                    ),
                )
            };
            plugin.check_config(&config).map_err(misfit)?;
            self.plugin_check(tenant, &plugin, &config)
                .map_err(misfit)?;
            Ok(self
                .store
                .activate(tenant, &installed.name, &installed.version)?)
        }
    }

    fn activate(&self, tenant: &str, name: &str, version: &str) -> ApiResult<Activation> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        let target = self.store.plugin(tenant, name, Some(version))?;
        self.refuse_pack_managed(tenant, name, Some(&target.hash))?;
        self.config_fits(tenant, name, version)?;
        Ok(self.store.activate(tenant, name, version)?)
    }

    fn rollback(&self, tenant: &str, name: &str) -> ApiResult<Activation> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        self.refuse_pack_managed(tenant, name, None)?;
        if let Some(version) = self.store.rollback_target(tenant, name)? {
            let target = self.store.plugin(tenant, name, Some(&version))?;
            self.refuse_pack_managed(tenant, name, Some(&target.hash))?;
            self.config_fits(tenant, name, &version)?;
        }
        Ok(self.store.rollback(tenant, name)?)
    }

    fn deactivate(&self, tenant: &str, name: &str) -> ApiResult<InstalledPlugin> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        Ok(self.store.deactivate(tenant, name)?)
    }

    fn export_plugin(
        &self,
        tenant: &str,
        name: &str,
        version: Option<&str>,
    ) -> ApiResult<PluginComponent> {
        self.store.require_tenant_exists(tenant)?;
        let plugin = self.store.plugin(tenant, name, version)?;
        let bytes = self.store.component(&plugin.hash)?;
        // The store is content-addressed: bytes that no longer hash to
        // their key are damage, never something to hand out.
        if crate::runtime::content_hash(&bytes) != plugin.hash {
            return Err(ApiError::internal(format!(
                "component {} of {name} {} does not match its hash",
                plugin.hash, plugin.version
            )));
        }
        Ok(PluginComponent { plugin, bytes })
    }

    fn config(&self, tenant: &str, name: &str) -> ApiResult<serde_json::Value> {
        self.store.require_tenant_exists(tenant)?;
        // A name the tenant never installed is not found, not `{}`.
        if !self.store.plugins(tenant)?.iter().any(|p| p.name == name) {
            return Err(ApiError::not_found(format!("plugin {name:?} not found")));
        }
        Ok(json_config(&self.store.plugin_config(tenant, name)?))
    }

    fn set_config(
        &self,
        tenant: &str,
        name: &str,
        config: &serde_json::Value,
    ) -> ApiResult<ConfigSet> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        let p = self.store.plugin(tenant, name, None)?;
        let loaded = self.loaded(&p.hash)?;
        let text = serde_json::to_string(config).expect("json");
        let refused = |e: PluginError| match e {
            PluginError::Host(m) => ApiError::internal(m),
            e => ApiError::new(422, "invalid-config", format!("{name}: {e}")),
        };
        loaded.check_config(&text).map_err(refused)?;
        let unchecked = self.plugin_check(tenant, &loaded, &text).map_err(refused)?;
        let warnings = crate::names::check_names(
            name,
            tenant,
            &loaded.metadata.config_schema,
            config,
            &self.store.catalog(tenant)?,
        );
        match self.pack_managing(tenant, name)? {
            // A pack plugin's configuration is the tenant's patch over the
            // vendor defaults, so that an upgrade keeps it.
            Some((pack, p)) => {
                let patch = crate::tuning::diff(&p.defaults, config).ok_or_else(|| {
                    ApiError::new(
                        422,
                        "invalid-config",
                        format!(
                            "{name}: the configuration of a plugin of pack {pack} is kept as a merge patch over the vendor defaults, which cannot hold null values; leave such keys out"
                        ),
                    )
                })?;
                let patch = Some(patch).filter(|p| !crate::tuning::is_empty(p));
                self.store
                    .set_pack_patch(tenant, &pack, name, patch.as_ref(), Some(&text))?;
            }
            None => self.store.set_plugin_config(tenant, name, &text)?,
        }
        Ok(ConfigSet {
            plugin: name.to_string(),
            config: config.clone(),
            warnings,
            unchecked,
        })
    }

    fn run(
        &self,
        tenant: &str,
        req: &RunRequest,
        progress: &mut dyn FnMut(u64),
    ) -> ApiResult<Vec<RunRecord>> {
        self.store.require_tenant_exists(tenant)?;
        let as_of = req.as_of.unwrap_or_else(today);
        let mut settings = self.settings;
        if let Some(days) = req.history_days {
            if !(0..=3660).contains(&days) {
                return Err(ApiError::bad_request(format!(
                    "history_days: {days} is not between 0 and 3660"
                )));
            }
            settings.history_days = days;
        }
        let _slot = self.jobs.start(tenant)?;
        let started = std::time::Instant::now();
        let runs = run_active(
            &self.store,
            &self.runtime,
            tenant,
            as_of,
            req.plugin.as_deref(),
            settings,
            progress,
        )?;
        let seconds = started.elapsed().as_secs_f64();
        for r in &runs {
            self.metrics.run_finished(
                &r.kind.to_string(),
                seconds,
                &r.errors,
                r.fuel_used,
                r.accounts,
            );
            self.metrics.trigger_events(r.events);
        }
        // Events fired: `vitals serve` delivers them now, not at its next tick.
        if runs.iter().any(|r| r.events > 0) {
            self.wake_deliveries();
        }
        Ok(runs)
    }

    fn runs(&self, tenant: &str) -> ApiResult<Vec<RunRecord>> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.runs(tenant)?)
    }

    fn run_record(&self, tenant: &str, id: u64) -> ApiResult<RunRecord> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.run(tenant, id)?)
    }

    fn results(&self, tenant: &str, id: u64, page: Page) -> ApiResult<ResultsPage> {
        if page.limit > MAX_PAGE {
            return Err(ApiError::bad_request(format!(
                "limit: {} is above {MAX_PAGE}",
                page.limit
            )));
        }
        loop {
            let run = self.run_record(tenant, id)?;
            if run.status != RunStatus::Complete {
                return Err(ApiError::conflict(format!(
                    "run {id} is not complete; its results are not readable"
                )));
            }
            // One more than asked: whether a next page exists.
            let mut found = match &page.after {
                Some(after) => self
                    .store
                    .results_after(tenant, id, after, page.limit + 1)?,
                None => self
                    .store
                    .results_page(tenant, id, page.offset, page.limit + 1)?,
            };
            // An erasure changes a run's results and counts in one step:
            // counts unchanged after the page, the page is of this record.
            if self.store.run(tenant, id)?.accounts != run.accounts {
                continue;
            }
            let more = found.len() > page.limit;
            found.truncate(page.limit);
            let next = more
                .then(|| found.last().map(|r| r.account_id.clone()))
                .flatten();
            let results = found
                .into_iter()
                .map(|r| ResultView::new(r.account_id, r.result))
                .collect();
            let total = run.accounts as usize;
            return Ok(ResultsPage {
                run,
                offset: page.offset,
                total,
                results,
                next,
            });
        }
    }

    fn summary(&self, tenant: &str, query: &SummaryQuery) -> ApiResult<Summary> {
        let days = query.days;
        if !(1..=3660).contains(&days) {
            return Err(ApiError::bad_request(format!(
                "days: {days} is not between 1 and 3660"
            )));
        }
        let selection = crate::scoring::Selection {
            as_of: query.as_of,
            runs: query.runs.ids().to_vec(),
        };
        let top = query.top.min(MAX_PAGE);
        self.indexed_summary(tenant, days, top, &selection)
    }

    fn discard_run(&self, tenant: &str, id: u64, req: &DiscardRun) -> ApiResult<RunRecord> {
        self.discard_run_by(tenant, id, req, "local")
    }

    fn forecast(&self, tenant: &str, from: Option<i32>, days: i32) -> ApiResult<ForecastView> {
        if !(1..=3660).contains(&days) {
            return Err(ApiError::bad_request(format!(
                "days: {days} is not between 1 and 3660"
            )));
        }
        self.store.require_tenant_exists(tenant)?;
        // The run a summary reads (`scoring::pick`): a newer run where every
        // forecast failed is passed over.
        let run = crate::scoring::pick::pick(
            &self.store.runs(tenant)?,
            PluginKind::Forecaster,
            &crate::scoring::Selection::default(),
        )
        .now
        .ok_or_else(|| {
            ApiError::new(
                409,
                "no-forecast",
                "no complete forecast run yet: activate a forecaster and run",
            )
        })?;
        let from = from.unwrap_or(run.as_of);
        let results = self.store.results(tenant, run.id)?;
        let summary = forecast_summary(&self.store, tenant, &results, from, from + days - 1)?;
        Ok(ForecastView {
            run: run.id,
            plugin: run.plugin,
            version: run.version,
            as_of: vitals_plugin_sdk::date::format(run.as_of),
            summary,
        })
    }

    fn account(&self, tenant: &str, id: &str) -> ApiResult<AccountDetail> {
        self.store.require_tenant_exists(tenant)?;
        // One view: attributes, history and outcomes of the same ingests.
        let data = self.store.view(tenant)?;
        let attributes = data.account(id)?;
        let history = data.history(id)?;
        let outcomes = data.outcomes(id)?;
        drop(data);
        let mut runs: Vec<_> = self
            .store
            .runs(tenant)?
            .into_iter()
            .filter(|r| r.status == RunStatus::Complete)
            .collect();
        runs.sort_by_key(|r| (r.as_of, r.id));
        let mut results = Vec::new();
        for r in runs {
            if let Some(result) = self.store.result(tenant, r.id, id)? {
                results.push(AccountResult {
                    result: ResultView::new(id.to_string(), result),
                    run: r.id,
                    plugin: r.plugin,
                    version: r.version,
                    plugin_hash: r.plugin_hash,
                    kind: r.kind,
                    as_of: vitals_plugin_sdk::date::format(r.as_of),
                });
            }
        }
        // An erasure between the reads above would leave data without its
        // results. It commits with the results' removal, and a view taken
        // after the results were read still holding the account saw none of it.
        self.store.view(tenant)?.account(id)?;
        Ok(AccountDetail {
            id: id.to_string(),
            attributes,
            history,
            outcomes,
            results,
        })
    }

    fn delete_account(&self, tenant: &str, id: &str) -> ApiResult<crate::store::AccountErased> {
        self.delete_account_by(tenant, id, "local")
    }

    fn audit(&self, tenant: &str) -> ApiResult<Vec<crate::store::AuditRecord>> {
        self.tenant_audit(tenant)
    }

    fn score(&self, tenant: &str, id: &str, as_of: Option<i32>) -> ApiResult<ScoreReport> {
        self.score_account(tenant, id, as_of.unwrap_or_else(today))
    }

    fn shadow(&self, tenant: &str, req: &ShadowRequest) -> ApiResult<ShadowReport> {
        self.store.require_tenant_exists(tenant)?;
        let _slot = self.jobs.start(tenant)?;
        self.shadow_run(tenant, req)
    }

    fn shadow_reports(&self, tenant: &str) -> ApiResult<Vec<ShadowReport>> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.shadow_reports(tenant)?)
    }
}

/// Whether an output is a health score (used by on-demand scoring).
pub(super) fn health_of(o: &Output) -> Option<&crate::runtime::types::Health> {
    match o {
        Output::Health(h) => Some(h),
        _ => None,
    }
}
