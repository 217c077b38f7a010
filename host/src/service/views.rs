//! What the API takes and gives: requests and views, one set of types for
//! the server, the HTTP client and the local CLI (so a command prints the
//! same thing whichever it talks to), each with its OpenAPI schema.

use super::RunIds;
use crate::model::Outcome;
use crate::runtime::types::{Attributes, Snapshot};
use crate::runtime::{Limits, Output, PluginError, PluginKind};
use crate::scoring::ForecastSummary;
use crate::store::{InstalledPlugin, Role, RunRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A configuration just set, with what the tenant should know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigSet {
    /// The plugin name.
    pub plugin: String,
    /// The configuration now set.
    pub config: serde_json::Value,
    /// Names it gives (in fields the plugin's schema marks) that no account
    /// of the tenant can fill: it is stored anyway, since the accounts may
    /// come later, but the plugin will find nothing under these names.
    pub warnings: Vec<crate::names::NameWarning>,
    /// Why the plugin could not check the configuration itself, when it
    /// could not (a trap on an empty batch, say); `None` when it did.
    pub unchecked: Option<String>,
}

/// A tenant as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantInfo {
    /// Id (used in every path).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Created (unix ms).
    pub created_ms: u64,
    /// Accounts stored.
    pub accounts: usize,
    /// The limits its plugins run under (its own, never above the operator's).
    pub limits: Limits,
}

/// Creates a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Id: lowercase letters, digits and `-`, at most 64 characters.
    pub id: String,
    /// Display name (default: the id).
    #[serde(default)]
    pub name: Option<String>,
}

/// Lowers a tenant's limits; fields left out keep the operator's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsPatch {
    /// Fuel per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Linear memory per instance, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// Deadline per call, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Output per call, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<u64>,
    /// Log bytes per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_bytes: Option<u64>,
    /// Log lines per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_lines: Option<u32>,
    /// Fuel a run may use per account, on average.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_fuel_per_account: Option<u64>,
}

impl LimitsPatch {
    /// The patch applied on top of `base`.
    pub fn apply(&self, base: Limits) -> Limits {
        Limits {
            fuel: self.fuel.unwrap_or(base.fuel),
            memory_bytes: self.memory_bytes.unwrap_or(base.memory_bytes),
            deadline_ms: self.deadline_ms.unwrap_or(base.deadline_ms),
            output_bytes: self.output_bytes.unwrap_or(base.output_bytes),
            log_bytes: self.log_bytes.unwrap_or(base.log_bytes),
            log_lines: self.log_lines.unwrap_or(base.log_lines),
            run_fuel_per_account: self
                .run_fuel_per_account
                .unwrap_or(base.run_fuel_per_account),
        }
    }
}

/// Issues a tenant key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueKey {
    /// `admin` or `viewer`.
    pub role: Role,
    /// Who or what will use it.
    #[serde(default)]
    pub label: Option<String>,
}

/// A key just issued: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssuedKey {
    /// Public id (to list or revoke it).
    pub id: String,
    /// The key itself: send it as `Authorization: Bearer KEY`. Not stored; not shown again.
    pub key: String,
    /// Its tenant (`null` for an operator key).
    pub tenant: Option<String>,
    /// Its role (`null` for an operator key).
    pub role: Option<Role>,
    /// Its label.
    pub label: String,
}

/// A key as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyInfo {
    /// Public id.
    pub id: String,
    /// Its tenant.
    pub tenant: Option<String>,
    /// Its role.
    pub role: Option<Role>,
    /// Its label.
    pub label: String,
    /// Issued (unix ms).
    pub created_ms: u64,
}

/// One installed version with the tenant's configuration of the plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PluginDetail {
    /// The version.
    pub plugin: InstalledPlugin,
    /// The tenant's configuration of this plugin name (`{}` when unset).
    pub config: serde_json::Value,
    /// Every installed version of this name, oldest first.
    pub versions: Vec<String>,
}

/// A stored component's exact bytes (`vitals plugin export`), with the
/// version they are.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginComponent {
    /// The version, its hash the sha-256 of `bytes`.
    pub plugin: InstalledPlugin,
    /// The component as it was added.
    pub bytes: Vec<u8>,
}

/// Activates an installed version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activate {
    /// The version to make active.
    pub version: String,
}

/// How to read an ingest body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IngestQuery {
    /// `csv`, `ndjson` or `json` (default: from the Content-Type, else `ndjson`).
    #[serde(default)]
    pub format: Option<String>,
    /// `all-or-nothing` (default: one bad record and nothing is loaded) or
    /// `valid-rows` (load the good ones, report the bad).
    #[serde(default)]
    pub mode: Option<String>,
    /// A built-in mapping (`telco`); a custom mapping goes in the
    /// `X-Vitals-Mapping` header as JSON.
    #[serde(default)]
    pub mapping: Option<String>,
    /// `true`: read the body as the ingest would and answer what it would
    /// load (an `IngestPreview`: each column's targets and first values,
    /// the records that would load, the errors); nothing is written.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Starts a run of the tenant's active plugins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Run only this active plugin (default: all, health first).
    #[serde(default)]
    pub plugin: Option<String>,
    /// Score as of this date, `YYYY-MM-DD` (default: today).
    #[serde(default, with = "crate::contract::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub as_of: Option<i32>,
    /// Days of earlier snapshots passed with each account (default 400).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3660)]
    pub history_days: Option<i32>,
}

/// One account's result in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultView {
    /// The account.
    pub account: String,
    /// The plugin's output, when it gave one.
    pub output: Option<Output>,
    /// The typed error, when it did not.
    pub error: Option<PluginError>,
}

impl ResultView {
    /// A stored result as a view.
    pub fn new(account: String, result: Result<Output, PluginError>) -> Self {
        match result {
            Ok(o) => ResultView {
                account,
                output: Some(o),
                error: None,
            },
            Err(e) => ResultView {
                account,
                output: None,
                error: Some(e),
            },
        }
    }
    /// Back to a result.
    pub fn result(&self) -> Result<Output, PluginError> {
        match (&self.output, &self.error) {
            (Some(o), _) => Ok(o.clone()),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(PluginError::NotRun("no result".into())),
        }
    }
}

/// A page of a run's results, in account order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultsPage {
    /// The run.
    pub run: RunRecord,
    /// Accounts skipped.
    pub offset: usize,
    /// Results in the run.
    pub total: usize,
    /// This page.
    pub results: Vec<ResultView>,
    /// The cursor of the next page (`after`), when there is one.
    #[serde(default)]
    pub next: Option<String>,
}

/// Paging of a run's results, in account order: by cursor (`after`, the
/// last account id of the previous page: stable and as cheap on the last
/// page of a million accounts as on the first) or by `offset`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items to skip (ignored with `after`).
    #[serde(default)]
    pub offset: usize,
    /// Items to return (at most 10,000).
    #[serde(default = "default_limit")]
    #[param(maximum = 10000)]
    #[schema(maximum = 10000)]
    pub limit: usize,
    /// Start after this account id (the previous page's `next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

fn default_limit() -> usize {
    100
}

/// The renewal forecast for a period, from the latest complete forecast run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastView {
    /// The forecast run it reads.
    pub run: u64,
    /// Forecaster name.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// The run's as-of.
    pub as_of: String,
    /// The figures.
    pub summary: ForecastSummary,
}

/// One account's result in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountResult {
    /// Run id.
    pub run: u64,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// sha-256 of the component that produced it.
    pub plugin_hash: String,
    /// Its kind.
    pub kind: PluginKind,
    /// The run's as-of.
    pub as_of: String,
    /// Output or error.
    pub result: ResultView,
}

/// Everything about one account, traced to its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountDetail {
    /// Its id.
    pub id: String,
    /// Its attributes.
    pub attributes: Attributes,
    /// Every snapshot, oldest first.
    pub history: Vec<Snapshot>,
    /// Its outcomes.
    pub outcomes: Vec<Outcome>,
    /// Its results in every complete run, oldest first.
    pub results: Vec<AccountResult>,
}

/// One plugin's answer when scoring an account on demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoreResult {
    /// Plugin name.
    pub plugin: String,
    /// Version.
    pub version: String,
    /// sha-256 of its component.
    pub plugin_hash: String,
    /// Its kind.
    pub kind: PluginKind,
    /// Output or error.
    pub result: ResultView,
}

/// An account scored now by the tenant's active plugins (not stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoreReport {
    /// The account.
    pub account: String,
    /// The instant scored.
    pub as_of: String,
    /// One answer per active plugin, health first.
    pub results: Vec<ScoreResult>,
}

/// When to score an account on demand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScoreQuery {
    /// `YYYY-MM-DD` (default today): its latest snapshot at or before it.
    #[serde(default, with = "crate::contract::date::option")]
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<i32>,
}

/// Runs a candidate version beside the active one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowRequest {
    /// The plugin name (it must have an active version).
    pub plugin: String,
    /// The installed candidate version.
    pub version: String,
    /// The candidate's configuration (default: the tenant's current one).
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// `YYYY-MM-DD` (default: the latest complete run of the plugin, else today).
    #[serde(default, with = "crate::contract::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub as_of: Option<i32>,
}

/// What a summary reads: the latest runs by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Forecast horizon, days (default 90).
    #[serde(default = "ninety")]
    #[param(minimum = 1, maximum = 3660)]
    pub days: i32,
    /// Expansion candidates listed (default 10).
    #[serde(default = "ten")]
    #[param(maximum = 10000)]
    pub top: usize,
    /// Read the latest runs at or before this day, `YYYY-MM-DD`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::contract::date::option"
    )]
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<i32>,
    /// Read these runs for their kinds: the tenant's run ids, one per
    /// kind, comma-separated (`3,5`).
    #[serde(default, skip_serializing_if = "RunIds::is_empty")]
    #[param(value_type = Option<String>, example = "3,5")]
    pub runs: RunIds,
}

impl Default for SummaryQuery {
    fn default() -> Self {
        SummaryQuery {
            days: 90,
            top: 10,
            as_of: None,
            runs: RunIds::default(),
        }
    }
}

fn ninety() -> i32 {
    90
}

fn ten() -> usize {
    10
}

/// Discards a run: kept for the record, read by no summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscardRun {
    /// Why, for the record.
    #[serde(default)]
    pub reason: Option<String>,
}
