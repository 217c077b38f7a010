//! The types of `vitals:plugin/types@0.1.0` (`wit/types.wit`), written out
//! so that they carry what the host needs beside the canonical ABI: JSON
//! with ISO dates and kebab-case enum values (the API and the CLI print
//! these types as they are), OpenAPI schemas, and the compact store
//! encoding. Field order and names follow the WIT exactly (wasmtime checks
//! them against every component when it is loaded); older JSON with Rust
//! variant names (`"HealthModel"`) and day numbers still reads.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use wasmtime::component::{ComponentType, Lift, Lower};

/// The name of a factor, driver or segment. Shared, not owned: a batch's
/// results repeat the same dozen names thousands of times, and one `String`
/// per factor was a tenth of a 0.2 call at a batch of 1000 (two allocations
/// and two frees a factor; `perf` on `vitals-bench runtime`). A 0.2 call's
/// name table is resolved once and every result points into it.
pub type Name = Arc<str>;

/// Serde for [`Name`] as a plain string (serde's own `Arc` support would
/// need its `rc` feature, which would rebuild every crate that uses serde).
mod name_serde {
    use super::Name;
    use serde::Serializer;
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    pub fn serialize<S: Serializer>(name: &Name, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name)
    }

    /// One allocation per name: the text is copied straight from the input
    /// into the shared name (postcard lends it; JSON may hand it over owned).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        d.deserialize_str(NameVisitor)
    }

    struct NameVisitor;

    impl Visitor<'_> for NameVisitor {
        type Value = Name;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a name")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
            Ok(Name::from(v))
        }
    }
}

/// Descriptive attributes of an account, set by the tenant's CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
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
    #[component(name = "start-date")]
    #[serde(with = "super::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<i32>,
    /// Next renewal date of the contract.
    #[component(name = "renewal-date")]
    #[serde(with = "super::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub renewal_date: Option<i32>,
    /// Contract value per year, in the tenant's currency.
    #[component(name = "contract-arr")]
    pub contract_arr: Option<f64>,
    /// The renewal's confidence tier as recorded by the account team.
    #[component(name = "renewal-confidence")]
    pub renewal_confidence: Option<Confidence>,
    /// Free-form text attributes (region, industry, payment method, ...).
    pub labels: Vec<Label>,
}

/// A named free-form text attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Label {
    /// Attribute name, kebab-case by convention.
    pub name: String,
    /// Attribute value.
    pub value: String,
}

/// A named free-form numeric measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Metric {
    /// Measure name, kebab-case by convention (for example `webinars-attended`).
    pub name: String,
    /// Measured value.
    pub value: f64,
}

/// An account's measured state at one instant. Every measure is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Snapshot {
    /// The day the measures describe.
    #[component(name = "as-of")]
    #[serde(with = "super::date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: i32,
    /// Licences (seats) purchased.
    #[component(name = "seats-purchased")]
    pub seats_purchased: Option<u32>,
    /// Licences used in the trailing 30 days.
    #[component(name = "seats-active")]
    pub seats_active: Option<u32>,
    /// Logins in the trailing 30 days.
    pub logins: Option<u32>,
    /// Distinct product features used in the trailing 30 days.
    #[component(name = "features-used")]
    pub features_used: Option<u32>,
    /// Product features available on the account's plan.
    #[component(name = "features-available")]
    pub features_available: Option<u32>,
    /// Support tickets currently open.
    #[component(name = "tickets-open")]
    pub tickets_open: Option<u32>,
    /// Open support tickets of high severity.
    #[component(name = "tickets-high-severity")]
    pub tickets_high_severity: Option<u32>,
    /// Latest Net Promoter Score answer, 0-10.
    pub nps: Option<u8>,
    /// Latest customer-satisfaction score, 0-100.
    pub csat: Option<f64>,
    /// Annual recurring revenue at this instant.
    pub arr: Option<f64>,
    /// Whether the customer's champion left since the previous snapshot.
    #[component(name = "champion-left")]
    pub champion_left: Option<bool>,
    /// Invoices paid late in the trailing 12 months.
    #[component(name = "late-payments")]
    pub late_payments: Option<u32>,
    /// Free-form numeric measures (engagement, onboarding progress, ...).
    pub metrics: Vec<Metric>,
}

/// Health colour band.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    ComponentType,
    Lift,
    Lower,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// Healthy.
    #[component(name = "green")]
    #[serde(alias = "Green")]
    Green,
    /// Needs attention.
    #[component(name = "yellow")]
    #[serde(alias = "Yellow")]
    Yellow,
    /// At risk.
    #[component(name = "red")]
    #[serde(alias = "Red")]
    Red,
}

/// A health score the host computed earlier with the tenant's active health model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct HealthPoint {
    /// The instant the score describes.
    #[component(name = "as-of")]
    #[serde(with = "super::date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: i32,
    /// Score 0-100.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
}

/// One account as a plugin sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Account {
    /// Tenant-scoped account id.
    pub id: String,
    /// Descriptive attributes.
    pub attributes: Attributes,
    /// The latest snapshot at or before the run's as-of.
    pub current: Snapshot,
    /// Earlier snapshots inside the history window, oldest first.
    pub history: Vec<Snapshot>,
    /// Health scores from the tenant's active health model, oldest first.
    pub health: Vec<HealthPoint>,
}

/// The four kinds of plugin, one world each.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    ComponentType,
    Lift,
    Lower,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Scores account health 0-100 with a band.
    #[component(name = "health-model")]
    #[serde(alias = "HealthModel")]
    HealthModel,
    /// Places accounts in lifecycle segments.
    #[component(name = "segmenter")]
    #[serde(alias = "Segmenter")]
    Segmenter,
    /// Scores expansion propensity 0-1.
    #[component(name = "propensity-model")]
    #[serde(alias = "PropensityModel")]
    PropensityModel,
    /// Forecasts renewal probability and value.
    #[component(name = "forecaster")]
    #[serde(alias = "Forecaster")]
    Forecaster,
}

/// What a plugin says about itself; read by the host when it is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct PluginMetadata {
    /// Plugin name, kebab-case (for example `weighted-health`).
    pub name: String,
    /// Semantic version of the plugin (for example `1.2.0`).
    pub version: String,
    /// Kind; must match the world the component implements.
    pub kind: PluginKind,
    /// One-paragraph description for people.
    pub description: String,
    /// JSON Schema (draft 2020-12) of the configuration the plugin accepts.
    #[component(name = "config-schema")]
    pub config_schema: String,
    /// The snapshot fields and metrics the plugin reads.
    pub reads: Vec<String>,
}

/// Why a plugin could not produce a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(variant)]
#[serde(rename_all = "kebab-case")]
pub enum PluginError {
    /// The tenant's configuration is unusable (the message says which field).
    #[component(name = "invalid-config")]
    #[serde(alias = "InvalidConfig")]
    InvalidConfig(String),
    /// The account lacks data the plugin needs.
    #[component(name = "missing-data")]
    #[serde(alias = "MissingData")]
    MissingData(String),
    /// The input is inconsistent (for example more active seats than exist).
    #[component(name = "invalid-input")]
    #[serde(alias = "InvalidInput")]
    InvalidInput(String),
    /// Any other failure inside the plugin.
    #[component(name = "internal")]
    #[serde(alias = "Internal")]
    Internal(String),
}

/// One factor of a health score: how one measure contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Factor {
    /// Measure name (for example `licence-utilisation`).
    #[schema(value_type = String)]
    #[serde(with = "name_serde")]
    pub name: Name,
    /// Group of the measure.
    #[schema(value_type = String)]
    #[serde(with = "name_serde")]
    pub group: Name,
    /// The measured value, or none when it was blank and dropped.
    pub value: Option<f64>,
    /// Effective weight after renormalisation over the measures present (0-1).
    pub weight: f64,
    /// Points contributed to the 0-100 score.
    pub points: f64,
}

/// An explained health score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Health {
    /// Score 0-100.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
    /// Contributions that add up to the score.
    pub factors: Vec<Factor>,
}

/// Membership of one lifecycle segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Segment {
    /// Segment name (for example `expansion-ready`).
    #[schema(value_type = String)]
    #[serde(with = "name_serde")]
    pub name: Name,
    /// Why the account is in it, in words, with the figures used.
    pub reason: String,
}

/// One driver of a propensity score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Driver {
    /// Driver name (for example `licence-utilisation`).
    #[schema(value_type = String)]
    #[serde(with = "name_serde")]
    pub name: Name,
    /// The measured value.
    pub value: f64,
    /// Contribution to the 0-1 score.
    pub contribution: f64,
}

/// An explained expansion propensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Propensity {
    /// Propensity 0-1.
    pub score: f64,
    /// Drivers that add up to the score.
    pub drivers: Vec<Driver>,
}

/// Confidence tier of a renewal, as in a sales forecast.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    ComponentType,
    Lift,
    Lower,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Committed: counted at 100 %.
    #[component(name = "commit")]
    #[serde(alias = "Commit")]
    Commit,
    /// Likely but not committed.
    #[component(name = "best-case")]
    #[serde(alias = "BestCase")]
    BestCase,
    /// Uncertain.
    #[component(name = "pipeline")]
    #[serde(alias = "Pipeline")]
    Pipeline,
    /// Left out of the forecast (expected to churn).
    #[component(name = "omitted")]
    #[serde(alias = "Omitted")]
    Omitted,
}

/// An explained renewal forecast for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Forecast {
    /// Probability 0-1 that the contract renews.
    #[component(name = "renewal-probability")]
    pub renewal_probability: f64,
    /// Confidence tier used.
    pub confidence: Confidence,
    /// How the probability was reached, in words.
    pub basis: String,
    /// Renewal date the forecast is for, when known.
    #[component(name = "renewal-date")]
    #[serde(with = "super::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub renewal_date: Option<i32>,
    /// Probability x contract value, capped at contract value.
    #[component(name = "expected-renewal-arr")]
    pub expected_renewal_arr: f64,
    /// Expected expansion ARR at renewal, kept apart from renewal ARR.
    #[component(name = "expected-expansion-arr")]
    pub expected_expansion_arr: f64,
    /// Expected contraction ARR at renewal.
    #[component(name = "expected-contraction-arr")]
    pub expected_contraction_arr: f64,
}
