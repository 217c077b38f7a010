//! What the dashboard's endpoints answer: aggregates computed on the server
//! (the browser never sees a whole run), and pages of accounts.

use crate::runtime::PluginKind;
use crate::runtime::types::{Band, Confidence, Driver};
use crate::scoring::{BandCounts, ForecastSummary, SegmentChange};
use crate::store::RunStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Which complete runs a view was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunRef {
    /// Run id.
    pub run: u64,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// The run's as-of, `YYYY-MM-DD`.
    pub as_of: String,
}

/// Band counts of one health run, for the chart across runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BandPoint {
    /// The run (the latest one at its as-of).
    pub run: u64,
    /// Its as-of, `YYYY-MM-DD`.
    pub as_of: String,
    /// Its band counts.
    pub counts: BandCounts,
}

/// Health of a group of accounts (a segment, an owner's portfolio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupHealth {
    /// Segment or owner name (`(none)` for accounts without an owner).
    pub name: String,
    /// Accounts in the group.
    pub accounts: usize,
    /// Band counts of those with a health score in the latest run.
    pub bands: BandCounts,
    /// Of those, Red now and scored but not Red in the previous run.
    pub turned_red: usize,
    /// Contract ARR of the group.
    pub arr: f64,
    /// Contract ARR of its Red accounts.
    pub red_arr: f64,
}

/// The health overview: counts and their change, the trend, the breakdowns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Overview {
    /// Accounts stored.
    pub accounts: usize,
    /// The latest complete health run.
    pub health_run: Option<RunRef>,
    /// The one before it (an earlier as-of), compared against.
    pub previous_run: Option<RunRef>,
    /// Band counts now.
    pub now: BandCounts,
    /// Band counts in the previous run.
    pub before: Option<BandCounts>,
    /// Accounts Red now that were scored, and not Red, in the previous run.
    pub turned_red: usize,
    /// Band counts of every health run, oldest first (one per as-of).
    pub history: Vec<BandPoint>,
    /// Health by segment of the latest segmenter run.
    pub by_segment: Vec<GroupHealth>,
    /// Health by owner (CSM portfolio).
    pub by_owner: Vec<GroupHealth>,
    /// Per-account errors of the latest runs, by `plugin/kind`.
    pub errors: BTreeMap<String, u64>,
}

/// One account in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountRow {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Owner (CSM).
    pub owner: Option<String>,
    /// Tier.
    pub tier: Option<String>,
    /// Contract ARR.
    pub arr: Option<f64>,
    /// Health score in the latest health run.
    pub score: Option<f64>,
    /// Its band.
    pub band: Option<Band>,
    /// Band in the previous health run.
    pub band_before: Option<Band>,
    /// Segments in the latest segmenter run.
    pub segments: Vec<String>,
    /// Expansion propensity in the latest propensity run.
    pub propensity: Option<f64>,
    /// Renewal date of the forecast (else of the contract), `YYYY-MM-DD`.
    pub renewal_date: Option<String>,
    /// Renewal probability of the latest forecast.
    pub renewal_probability: Option<f64>,
    /// Expected renewal ARR of the latest forecast.
    pub expected_renewal_arr: Option<f64>,
}

/// A page of accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountList {
    /// Accounts matching the filters.
    pub total: usize,
    /// Accounts skipped.
    pub offset: usize,
    /// The column sorted by.
    pub sort: String,
    /// `asc` or `desc`.
    pub order: String,
    /// This page.
    pub rows: Vec<AccountRow>,
}

/// Which accounts, in which order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Accounts to skip.
    #[serde(default)]
    pub offset: usize,
    /// Accounts to return (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
    /// `id` (default), `name`, `owner`, `tier`, `arr`, `score`, `band`,
    /// `propensity`, `renewal_date`, `renewal_probability` or
    /// `expected_renewal_arr`. Blank values sort last; ties by id.
    #[serde(default)]
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub order: Option<String>,
    /// Words found in the id or the name (case-insensitive).
    #[serde(default)]
    pub q: Option<String>,
    /// `green`, `yellow`, `red` or `none` (not scored).
    #[serde(default)]
    pub band: Option<String>,
    /// Owner (exact; `(none)` for accounts without one).
    #[serde(default)]
    pub owner: Option<String>,
    /// Tier (exact).
    #[serde(default)]
    pub tier: Option<String>,
    /// Segment of the latest segmenter run.
    #[serde(default)]
    pub segment: Option<String>,
    /// With `segment`: `member` (default), `entered` or `left` since the previous run.
    #[serde(default)]
    pub membership: Option<String>,
    /// Only accounts that turned Red since the previous health run.
    #[serde(default)]
    pub turned_red: Option<bool>,
    /// Only accounts whose forecast renewal falls in the `N` days from the
    /// forecast run's as-of.
    #[serde(default)]
    pub renewal_within: Option<i32>,
}

/// Segments now against the previous segmenter run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SegmentsView {
    /// The latest complete segmenter run.
    pub run: Option<RunRef>,
    /// The one before it.
    pub previous_run: Option<RunRef>,
    /// Size, entered and left per segment, by name.
    pub segments: Vec<SegmentChange>,
    /// Health and ARR of each segment's members, by name.
    pub health: Vec<GroupHealth>,
}

/// One expansion candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// Rank, from 1.
    pub rank: usize,
    /// The account.
    pub account: AccountRow,
    /// Propensity 0-1.
    pub propensity: f64,
    /// What drove it.
    pub drivers: Vec<Driver>,
}

/// Expansion candidates ranked by propensity (those above 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExpansionView {
    /// The latest complete propensity run.
    pub run: Option<RunRef>,
    /// Candidates matching the search.
    pub total: usize,
    /// Contract ARR of all those candidates.
    pub arr: f64,
    /// Candidates skipped.
    pub offset: usize,
    /// This page, best first.
    pub candidates: Vec<Candidate>,
}

/// Paging and search of the candidates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExpansionQuery {
    /// Candidates to skip.
    #[serde(default)]
    pub offset: usize,
    /// Candidates to return (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Words found in the id or the name.
    #[serde(default)]
    pub q: Option<String>,
    /// Owner (exact).
    #[serde(default)]
    pub owner: Option<String>,
}

/// The renewal forecast for the next 30, 90 and 180 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RenewalsView {
    /// The latest complete forecast run.
    pub run: Option<RunRef>,
    /// One period per horizon (30, 90, 180 days from the run's as-of), each
    /// with the terms of its GRR / NRR waterfall.
    pub periods: Vec<RenewalPeriod>,
}

/// One horizon of the forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RenewalPeriod {
    /// Days from the as-of.
    pub days: i32,
    /// The figures, by the same rule as `/forecast`.
    pub forecast: ForecastSummary,
    /// Accounts due in it by confidence tier.
    pub by_confidence: BTreeMap<String, usize>,
}

/// One run, briefly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunBrief {
    /// Run id.
    pub id: u64,
    /// Plugin version.
    pub version: String,
    /// As-of, `YYYY-MM-DD`.
    pub as_of: String,
    /// State.
    pub status: RunStatus,
    /// Accounts run.
    pub accounts: u64,
    /// Accounts with a result.
    pub ok: u64,
    /// Per-account errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// Start (unix ms).
    pub started_ms: u64,
    /// Duration, ms, once ended.
    pub duration_ms: Option<u64>,
    /// Set when the run was discarded.
    pub discarded: Option<crate::store::Discarded>,
}

/// One installed version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionBrief {
    /// Version.
    pub version: String,
    /// sha-256 of its component.
    pub hash: String,
    /// The contract version it implements, `0.1.0` or `0.2.0`.
    pub contract: crate::contract::ContractVersion,
    /// Installed (unix ms).
    pub installed_ms: u64,
    /// Whether it is the active one.
    pub active: bool,
}

/// A shadow run, without its account list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShadowBrief {
    /// Report id.
    pub id: u64,
    /// Active version.
    pub active_version: String,
    /// Candidate version.
    pub candidate_version: String,
    /// As-of.
    pub as_of: String,
    /// Made (unix ms).
    pub created_ms: u64,
    /// Accounts run through both.
    pub accounts: usize,
    /// Accounts whose result changes.
    pub changed: usize,
    /// Band moves, as `from -> to: accounts`.
    pub band_changes: Vec<crate::service::shadow::BandChange>,
    /// Mean score delta (candidate minus active), where scored.
    pub mean_delta: Option<f64>,
    /// Candidate errors by kind.
    pub errors_candidate: BTreeMap<String, usize>,
}

/// One plugin name: versions, runs, errors, shadow runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PluginPanel {
    /// Plugin name.
    pub name: String,
    /// Its kind.
    pub kind: PluginKind,
    /// The active version.
    pub active: Option<String>,
    /// Installed versions, oldest first.
    pub versions: Vec<VersionBrief>,
    /// Runs, newest first (at most 10).
    pub runs: Vec<RunBrief>,
    /// Runs in all.
    pub run_count: usize,
    /// Per-account errors of the latest complete run, by kind.
    pub errors: BTreeMap<String, u64>,
    /// Shadow runs, newest first (at most 10).
    pub shadows: Vec<ShadowBrief>,
}

/// How a confidence tier is named in views.
pub fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Commit => "commit",
        Confidence::BestCase => "best-case",
        Confidence::Pipeline => "pipeline",
        Confidence::Omitted => "omitted",
    }
}
