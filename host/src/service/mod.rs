//! The operations of Vitals as one API, whoever calls them: the HTTP server
//! (after checking the caller's key), the CLI on a local store, and the CLI
//! on a server through [`crate::client::Client`], which implements the same
//! [`Api`] trait so every command works the same way on both.

mod admin;
pub mod dashboard;
mod erase;
mod error;
pub mod fair;
mod ingest;
mod ingest_request;
pub mod keys;
mod local;
pub use local::MAX_PAGE;
mod metrics;
mod pack_api;
mod pack_install;
mod pack_views;
mod packs;
mod run_ids;
mod score;
pub mod shadow;
mod triggers;
mod views;
mod webhook_views;
mod webhooks;

pub use error::{ApiError, ErrorBody};
pub use ingest::{BodyTooLarge, MAX_INGESTS, preview_ingest};
pub use ingest_request::{IngestMapping, IngestRequest};
pub use metrics::Metrics;
pub use pack_api::PackApi;
pub use pack_install::release_of;
pub use pack_views::*;
pub use run_ids::{RunIds, RunIdsError};
pub use shadow::ShadowReport;
pub use triggers::{TriggerApi, TriggerSaved, TriggerTest, TriggerTestQuery};
pub use views::*;
pub use webhook_views::*;
pub use webhooks::{ROTATION_WINDOW_MS, WebhookApi};

use crate::runtime::{Limits, Runtime};
use crate::scoring::{RunSettings, Summary};
use crate::store::{Activation, IngestReport, InstalledPlugin, RunRecord, Store};
use std::sync::Arc;

/// The result of every operation.
pub type ApiResult<T> = Result<T, ApiError>;

/// Every operation of the CLI and the HTTP API, per tenant where it is a
/// tenant's.
pub trait Api: PackApi + TriggerApi {
    /// Every tenant (operator).
    fn tenants(&self) -> ApiResult<Vec<TenantInfo>>;
    /// Creates a tenant (operator).
    fn create_tenant(&self, req: &CreateTenant) -> ApiResult<TenantInfo>;
    /// Deletes a tenant and every record of it (operator).
    fn delete_tenant(&self, tenant: &str) -> ApiResult<crate::store::TenantDeleted>;
    /// The operator's audit log: tenants created and deleted (operator).
    fn operator_audit(&self) -> ApiResult<Vec<crate::store::AuditRecord>>;
    /// A tenant's effective limits (operator).
    fn limits(&self, tenant: &str) -> ApiResult<Limits>;
    /// Sets (`Some`) or clears (`None`) a tenant's limits; returns the effective ones (operator).
    fn set_limits(&self, tenant: &str, patch: Option<&LimitsPatch>) -> ApiResult<Limits>;
    /// Loads records (CSV, NDJSON or JSON), read from `body` as they are
    /// parsed and stored; a custom mapping as JSON text.
    fn ingest(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
    ) -> ApiResult<IngestReport>;
    /// Reads records as [`Api::ingest`] would and reports what it would
    /// load, writing nothing.
    fn ingest_preview(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
    ) -> ApiResult<crate::ingest::IngestPreview>;
    /// Installed plugin versions.
    fn plugins(&self, tenant: &str) -> ApiResult<Vec<InstalledPlugin>>;
    /// One version (`None`: the active one) with the configuration.
    fn plugin(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PluginDetail>;
    /// Validates and installs a component; optionally activates it (a
    /// health model then deactivates the tenant's other one, saying so).
    fn add_plugin(&self, tenant: &str, bytes: Vec<u8>, activate: bool) -> ApiResult<Activation>;
    /// Activates an installed version (its configuration must fit); a
    /// health model deactivates the tenant's other one, saying so.
    fn activate(&self, tenant: &str, name: &str, version: &str) -> ApiResult<Activation>;
    /// Goes back to the previously active version (after a deactivate: the
    /// version it switched off).
    fn rollback(&self, tenant: &str, name: &str) -> ApiResult<Activation>;
    /// Switches a plugin off (no version of it runs); returns the version
    /// switched off.
    fn deactivate(&self, tenant: &str, name: &str) -> ApiResult<InstalledPlugin>;
    /// A stored component's exact bytes (`version` `None`: the active one).
    fn export_plugin(
        &self,
        tenant: &str,
        name: &str,
        version: Option<&str>,
    ) -> ApiResult<PluginComponent>;
    /// The tenant's configuration of a plugin.
    fn config(&self, tenant: &str, name: &str) -> ApiResult<serde_json::Value>;
    /// Sets it: validated against the active version's schema and by the
    /// plugin itself (an empty batch), its names checked against the
    /// tenant's accounts (warnings, not refusals).
    fn set_config(
        &self,
        tenant: &str,
        name: &str,
        config: &serde_json::Value,
    ) -> ApiResult<ConfigSet>;
    /// Runs the active plugins; `progress` gets the accounts done (local only).
    fn run(
        &self,
        tenant: &str,
        req: &RunRequest,
        progress: &mut dyn FnMut(u64),
    ) -> ApiResult<Vec<RunRecord>>;
    /// Every run, oldest first.
    fn runs(&self, tenant: &str) -> ApiResult<Vec<RunRecord>>;
    /// One run.
    fn run_record(&self, tenant: &str, id: u64) -> ApiResult<RunRecord>;
    /// A page of a complete run's results.
    fn results(&self, tenant: &str, id: u64, page: Page) -> ApiResult<ResultsPage>;
    /// Health, segments, expansion and forecast from the latest runs (or
    /// the runs the query picks), saying which runs it read.
    fn summary(&self, tenant: &str, query: &SummaryQuery) -> ApiResult<Summary>;
    /// Discards a run: kept, marked, and read by no summary or dashboard.
    fn discard_run(&self, tenant: &str, id: u64, req: &DiscardRun) -> ApiResult<RunRecord>;
    /// The forecast for `days` days from `from` (default the run's as-of).
    fn forecast(&self, tenant: &str, from: Option<i32>, days: i32) -> ApiResult<ForecastView>;
    /// One account, traced to its runs.
    fn account(&self, tenant: &str, id: &str) -> ApiResult<AccountDetail>;
    /// Erases an account: attributes, snapshots, outcomes, results and
    /// shadow-report rows (the audit log keeps that it happened).
    fn delete_account(&self, tenant: &str, id: &str) -> ApiResult<crate::store::AccountErased>;
    /// The tenant's audit log, oldest first.
    fn audit(&self, tenant: &str) -> ApiResult<Vec<crate::store::AuditRecord>>;
    /// Scores one account now with the active plugins (nothing stored).
    fn score(&self, tenant: &str, id: &str, as_of: Option<i32>) -> ApiResult<ScoreReport>;
    /// Runs a candidate version beside the active one; stores the report.
    fn shadow(&self, tenant: &str, req: &ShadowRequest) -> ApiResult<ShadowReport>;
    /// Shadow-run reports, newest first.
    fn shadow_reports(&self, tenant: &str) -> ApiResult<Vec<ShadowReport>>;
}

/// The service over a local store: what the server and the local CLI run.
pub struct Service {
    store: Store,
    runtime: Runtime,
    /// How runs read and batch.
    settings: RunSettings,
    /// Counters for `/metrics`.
    metrics: Arc<Metrics>,
    /// Loaded plugins by component hash (components are immutable).
    plugins: std::sync::Mutex<std::collections::HashMap<String, Arc<crate::runtime::Plugin>>>,
    /// Runs, shadow runs and backtests going, per tenant (at most so many
    /// at once; the runtime's scheduler shares the cores between them).
    jobs: fair::Jobs,
    /// On-demand scores going, per tenant.
    scores: fair::Jobs,
    /// The dashboard's indexes of the latest runs.
    dashboard: dashboard::Cache,
    /// Ingests going on this host.
    ingests: ingest::Gate,
    /// Per tenant, held while a plugin's activation, rollback or
    /// configuration is checked and written, so that a check always holds
    /// for what is written (a configuration checked against the version
    /// an activation is replacing, say).
    lifecycle: std::sync::Mutex<std::collections::HashMap<String, Arc<std::sync::Mutex<()>>>>,
    /// The operator's webhook settings: where endpoints may point.
    delivery: crate::delivery::DeliverySettings,
    /// Wakes the delivery loop (a run completed with events).
    delivery_wake: Arc<tokio::sync::Notify>,
}

impl Service {
    /// A service over a store and a runtime.
    pub fn new(store: Store, runtime: Runtime) -> Self {
        Service {
            store,
            runtime,
            settings: RunSettings::default(),
            metrics: Arc::new(Metrics::default()),
            plugins: Default::default(),
            jobs: fair::Jobs::new(1),
            scores: fair::Jobs::named(fair::SCORES_PER_TENANT, "on-demand score(s)"),
            dashboard: Default::default(),
            ingests: Default::default(),
            lifecycle: Default::default(),
            delivery: Default::default(),
            delivery_wake: Default::default(),
        }
    }

    /// The service under the operator's webhook settings (`[webhooks]`).
    pub fn with_delivery(mut self, settings: crate::delivery::DeliverySettings) -> Self {
        self.delivery = settings;
        self
    }

    /// The operator's webhook settings.
    pub fn delivery_settings(&self) -> &crate::delivery::DeliverySettings {
        &self.delivery
    }
}

/// Today as days since 1970-01-01.
pub fn today() -> i32 {
    (crate::store::now_ms() / 86_400_000) as i32
}

#[cfg(test)]
mod pack_tests;
