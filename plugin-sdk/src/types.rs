//! The types an author works with: an account as a plugin sees it and the
//! explained results it returns. They are the SDK's own (the contract's
//! columnar batch and name tables stay behind [`crate::decode`] and
//! [`crate::results`]), with the names and fields they had on contract 0.1.

use crate::Date;
use crate::projection::Projection;

/// Descriptive attributes of an account, set by the tenant's CRM.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attributes {
    /// Display name of the account.
    pub name: Option<String>,
    /// Owner: the customer-success manager whose portfolio it is in.
    pub owner: Option<String>,
    /// Tier or segment, such as `smb`, `mid-market` or `enterprise`.
    pub tier: Option<String>,
    /// Plan or product edition.
    pub plan: Option<String>,
    /// First day of the customer relationship.
    pub start_date: Option<Date>,
    /// Next renewal date of the contract.
    pub renewal_date: Option<Date>,
    /// Contract value per year, in the tenant's currency.
    pub contract_arr: Option<f64>,
    /// The renewal's confidence tier as recorded by the account team.
    pub renewal_confidence: Option<Confidence>,
    /// Free-form text attributes (region, industry, payment method, ...).
    pub labels: Vec<Label>,
}

/// A named free-form text attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Attribute name, kebab-case by convention.
    pub name: String,
    /// Attribute value.
    pub value: String,
}

/// A named free-form numeric measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Measure name, kebab-case by convention (for example `webinars-attended`).
    pub name: String,
    /// Measured value.
    pub value: f64,
}

/// An account's measured state at one instant. Every measure is optional:
/// real data lacks some, a plugin drops what is blank, and a field the
/// plugin's projection does not read is blank too.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The day the measures describe.
    pub as_of: Date,
    /// Licences (seats) purchased.
    pub seats_purchased: Option<u32>,
    /// Licences used in the trailing 30 days.
    pub seats_active: Option<u32>,
    /// Logins in the trailing 30 days.
    pub logins: Option<u32>,
    /// Distinct product features used in the trailing 30 days.
    pub features_used: Option<u32>,
    /// Product features available on the account's plan.
    pub features_available: Option<u32>,
    /// Support tickets currently open.
    pub tickets_open: Option<u32>,
    /// Open support tickets of high severity.
    pub tickets_high_severity: Option<u32>,
    /// Latest Net Promoter Score answer, 0-10 (promoter 9-10, detractor 0-6).
    pub nps: Option<u8>,
    /// Latest customer-satisfaction score, 0-100.
    pub csat: Option<f64>,
    /// Annual recurring revenue at this instant.
    pub arr: Option<f64>,
    /// Whether the customer's champion (main sponsor) left since the previous snapshot.
    pub champion_left: Option<bool>,
    /// Invoices paid late in the trailing 12 months.
    pub late_payments: Option<u32>,
    /// Free-form numeric measures (engagement, onboarding progress, ...).
    pub metrics: Vec<Metric>,
}

impl Snapshot {
    /// A snapshot at `as_of` with every measure blank.
    pub fn empty(as_of: Date) -> Snapshot {
        Snapshot {
            as_of,
            seats_purchased: None,
            seats_active: None,
            logins: None,
            features_used: None,
            features_available: None,
            tickets_open: None,
            tickets_high_severity: None,
            nps: None,
            csat: None,
            arr: None,
            champion_left: None,
            late_payments: None,
            metrics: Vec::new(),
        }
    }
}

/// Health colour band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Band {
    /// Healthy.
    Green,
    /// Needs attention.
    Yellow,
    /// At risk.
    Red,
}

impl std::fmt::Display for Band {
    /// `green`, `yellow` or `red`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Band::Green => "green",
            Band::Yellow => "yellow",
            Band::Red => "red",
        })
    }
}

/// A health score the host computed earlier with the tenant's active health model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthPoint {
    /// The instant the score describes.
    pub as_of: Date,
    /// Score 0-100.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
}

/// One account as a plugin sees it: what its projection reads of the
/// attributes, its latest snapshot at or before the run's as-of, and
/// earlier snapshots and health scores inside its windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Tenant-scoped account id.
    pub id: String,
    /// Descriptive attributes.
    pub attributes: Attributes,
    /// The latest snapshot at or before the run's as-of.
    pub current: Snapshot,
    /// Earlier snapshots inside the history window, oldest first.
    pub history: Vec<Snapshot>,
    /// Health scores from the tenant's active health model, oldest first;
    /// the last one is the current score when the host has it. Empty for
    /// health models themselves.
    pub health: Vec<HealthPoint>,
}

/// The four kinds of plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    /// Scores account health 0-100 with a band.
    HealthModel,
    /// Places accounts in lifecycle segments.
    Segmenter,
    /// Scores expansion propensity 0-1.
    PropensityModel,
    /// Forecasts renewal probability and value.
    Forecaster,
}

/// What a plugin says about itself; read by the host when it is added.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Plugin name, kebab-case.
    pub name: String,
    /// Semantic version of the plugin.
    pub version: String,
    /// Kind; matches the world the component implements.
    pub kind: PluginKind,
    /// One-paragraph description for people.
    pub description: String,
    /// JSON Schema (draft 2020-12) of the configuration.
    pub config_schema: String,
    /// What the plugin reads under its default configuration.
    pub reads: Projection,
}

/// Why a plugin could not produce a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    /// The tenant's configuration is unusable (the message says which field).
    InvalidConfig(String),
    /// The account lacks data the plugin needs.
    MissingData(String),
    /// The input is inconsistent (for example more active seats than exist).
    InvalidInput(String),
    /// Any other failure inside the plugin.
    Internal(String),
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, message) = match self {
            PluginError::InvalidConfig(m) => ("invalid configuration", m),
            PluginError::MissingData(m) => ("missing data", m),
            PluginError::InvalidInput(m) => ("invalid input", m),
            PluginError::Internal(m) => ("internal error", m),
        };
        write!(f, "{kind}: {message}")
    }
}

impl std::error::Error for PluginError {}

/// One factor of a health score: how one measure contributed.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Measure name (for example `licence-utilisation`).
    pub name: String,
    /// Group of the measure (usage, engagement, support, feedback, account-changes, onboarding).
    pub group: String,
    /// The measured value, or none when it was blank and dropped.
    pub value: Option<f64>,
    /// Effective weight after renormalisation over the measures present (0-1).
    pub weight: f64,
    /// Points contributed to the 0-100 score (weight x the measure's 0-100 sub-score).
    pub points: f64,
}

/// An explained health score.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Score 0-100.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
    /// Contributions that add up to the score.
    pub factors: Vec<Factor>,
}

/// Membership of one lifecycle segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Segment name (for example `expansion-ready`).
    pub name: String,
    /// Why the account is in it, in words, with the figures used.
    pub reason: String,
}

/// One driver of a propensity score.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    /// Driver name (for example `licence-utilisation`).
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// Contribution to the 0-1 score.
    pub contribution: f64,
}

/// An explained expansion propensity.
#[derive(Debug, Clone, PartialEq)]
pub struct Propensity {
    /// Propensity 0-1.
    pub score: f64,
    /// Drivers that add up to the score.
    pub drivers: Vec<Driver>,
}

/// Confidence tier of a renewal, as in a sales forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Confidence {
    /// Committed: counted at 100 %.
    Commit,
    /// Likely but not committed.
    BestCase,
    /// Uncertain.
    Pipeline,
    /// Left out of the forecast (expected to churn).
    Omitted,
}

/// An explained renewal forecast for one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Probability 0-1 that the contract renews.
    pub renewal_probability: f64,
    /// Confidence tier used.
    pub confidence: Confidence,
    /// How the probability was reached, in words.
    pub basis: String,
    /// Renewal date the forecast is for, when known.
    pub renewal_date: Option<Date>,
    /// Probability x contract value, capped at contract value.
    pub expected_renewal_arr: f64,
    /// Expected expansion ARR at renewal, kept apart from renewal ARR.
    pub expected_expansion_arr: f64,
    /// Expected contraction ARR at renewal.
    pub expected_contraction_arr: f64,
}
