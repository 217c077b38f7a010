//! # vitals-peer-extism-wire
//!
//! What crosses the Extism boundary in the `peers` benchmark: the types of
//! Vitals' WIT contract (`wit/types.wit`) as plain serde structs, because an
//! Extism plugin receives bytes and the usual way to give them shape is JSON
//! (or MessagePack) through serde. Field and variant names are the Rust names
//! the host's own bindings serialise with, so the accounts file the bench
//! writes from `vitals::runtime::types::Account` reads straight into these.
//!
//! Shared by the plugin (built for `wasm32-unknown-unknown`) and the host
//! runner (native); it depends on nothing but serde so both stay small.

use serde::{Deserialize, Serialize};

/// One call: the same three arguments as the WIT `health.score` export.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScoreRequest<A> {
    /// The tenant's configuration (JSON text; blank means defaults).
    pub config: String,
    /// The run's instant, days since 1970-01-01.
    pub as_of: i32,
    /// The batch: owned accounts in the plugin, a borrowed slice in the host.
    pub accounts: A,
}

/// One call's answer: a configuration error fails the batch, anything else
/// is per account (the WIT `result<list<result<health, plugin-error>>, plugin-error>`).
pub type ScoreResponse = Result<Vec<Result<Health, PluginError>>, PluginError>;

/// A customer account with its current snapshot and history window.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub attributes: Attributes,
    pub current: Snapshot,
    pub history: Vec<Snapshot>,
    pub health: Vec<HealthPoint>,
}

/// Descriptive attributes of an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attributes {
    pub name: Option<String>,
    pub owner: Option<String>,
    pub tier: Option<String>,
    pub plan: Option<String>,
    pub start_date: Option<i32>,
    pub renewal_date: Option<i32>,
    pub contract_arr: Option<f64>,
    pub renewal_confidence: Option<Confidence>,
    pub labels: Vec<Label>,
}

/// A free-form text attribute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
    pub value: String,
}

/// A free-form numeric measure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub value: f64,
}

/// An account's measured state at one instant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub as_of: i32,
    pub seats_purchased: Option<u32>,
    pub seats_active: Option<u32>,
    pub logins: Option<u32>,
    pub features_used: Option<u32>,
    pub features_available: Option<u32>,
    pub tickets_open: Option<u32>,
    pub tickets_high_severity: Option<u32>,
    pub nps: Option<u8>,
    pub csat: Option<f64>,
    pub arr: Option<f64>,
    pub champion_left: Option<bool>,
    pub late_payments: Option<u32>,
    pub metrics: Vec<Metric>,
}

/// Health colour band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Band {
    Green,
    Yellow,
    Red,
}

/// A health score computed earlier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthPoint {
    pub as_of: i32,
    pub score: f64,
    pub band: Band,
}

/// Renewal confidence tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    Commit,
    BestCase,
    Pipeline,
    Omitted,
}

/// One factor of a health score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub group: String,
    pub value: Option<f64>,
    pub weight: f64,
    pub points: f64,
}

/// A health score with its factors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub score: f64,
    pub band: Band,
    pub factors: Vec<Factor>,
}

/// Why a plugin could not produce a result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PluginError {
    InvalidConfig(String),
    MissingData(String),
    InvalidInput(String),
    Internal(String),
}
