//! The host's domain records beyond what plugins see: outcomes, and the rows
//! ingest produces. Accounts, snapshots and results reuse the contract's
//! types (`contract`), so what is stored is exactly what plugins read.

use crate::contract::{Attributes, Snapshot};
use serde::{Deserialize, Serialize};

/// The built-in fields of a snapshot, by their contract (WIT) names.
pub const SNAPSHOT_FIELDS: [&str; 12] = [
    "seats-purchased",
    "seats-active",
    "logins",
    "features-used",
    "features-available",
    "tickets-open",
    "tickets-high-severity",
    "nps",
    "csat",
    "arr",
    "champion-left",
    "late-payments",
];

/// The built-in attributes of an account, by their contract (WIT) names.
pub const ATTRIBUTE_FIELDS: [&str; 8] = [
    "name",
    "owner",
    "tier",
    "plan",
    "start-date",
    "renewal-date",
    "contract-arr",
    "renewal-confidence",
];

/// What happened to an account at a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// The contract renewed.
    Renewed,
    /// The customer left.
    Churned,
    /// The contract grew.
    Expanded,
    /// The contract shrank.
    Contracted,
}

impl OutcomeKind {
    /// Parses `renewed`, `churned`, `expanded` or `contracted`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "renewed" => Some(OutcomeKind::Renewed),
            "churned" => Some(OutcomeKind::Churned),
            "expanded" => Some(OutcomeKind::Expanded),
            "contracted" => Some(OutcomeKind::Contracted),
            _ => None,
        }
    }

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Renewed => "renewed",
            OutcomeKind::Churned => "churned",
            OutcomeKind::Expanded => "expanded",
            OutcomeKind::Contracted => "contracted",
        }
    }
}

/// An account's outcome: the backtests' ground truth and NRR's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outcome {
    /// The day it happened (days since 1970-01-01; `YYYY-MM-DD` in JSON).
    #[serde(with = "crate::contract::date")]
    #[schema(value_type = String, format = Date)]
    pub date: i32,
    /// What happened.
    pub kind: OutcomeKind,
    /// ARR change it brought (negative for churn and contraction).
    pub arr_change: f64,
}

/// One parsed input record: an account's attributes, and optionally a
/// snapshot and an outcome. `line` is the 1-based line (CSV, NDJSON) or
/// element index + 1 (JSON array) it came from, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestRow {
    /// Where it came from.
    pub line: usize,
    /// Tenant-scoped account id.
    pub account_id: String,
    /// Attributes given on this row (blank fields are `None`).
    pub attributes: Attributes,
    /// The snapshot of this row, when it has an `as_of`.
    pub snapshot: Option<Snapshot>,
    /// The outcome of this row, when it has one.
    pub outcome: Option<Outcome>,
}

/// A record that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, serde::Deserialize)]
pub struct RowError {
    /// 1-based line (or element) number; 0 for the input as a whole.
    pub line: usize,
    /// The column (field) at fault, when one is.
    pub column: Option<String>,
    /// What is wrong, in words.
    pub reason: String,
    /// The error is about the whole input (its header, its structure, its
    /// mapping), not one record: nothing of the input loads, whatever the
    /// mode, and setting bad records aside would not help.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub whole_file: bool,
}

impl RowError {
    /// An error of one record.
    pub fn record(line: usize, column: Option<String>, reason: impl Into<String>) -> Self {
        RowError {
            line,
            column,
            reason: reason.into(),
            whole_file: false,
        }
    }

    /// An error of the whole input (`line` 0, or the header's line).
    pub fn file(line: usize, column: Option<String>, reason: impl Into<String>) -> Self {
        RowError {
            line,
            column,
            reason: reason.into(),
            whole_file: true,
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, &self.column) {
            (0, Some(c)) => write!(f, "column {c}: {}", self.reason),
            (0, None) => f.write_str(&self.reason),
            (line, Some(c)) => write!(f, "line {line}, column {c}: {}", self.reason),
            (line, None) => write!(f, "line {line}: {}", self.reason),
        }
    }
}
