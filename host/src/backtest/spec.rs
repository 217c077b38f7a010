//! What a backtest is asked to do ([`BacktestSpec`], [`SuggestSpec`]), in a
//! form the CLI and an HTTP route both fill in (serde, dates as `YYYY-MM-DD`).

use super::filter::Condition;
use crate::model::OutcomeKind;
use serde::{Deserialize, Serialize};

/// Dates as `YYYY-MM-DD` in JSON, days since 1970-01-01 in Rust.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(day: &i32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&vitals_plugin_sdk::date::format(*day))
    }

    /// Reads `YYYY-MM-DD`, naming the bad value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        let text = String::deserialize(d)?;
        vitals_plugin_sdk::date::parse(&text)
            .ok_or_else(|| D::Error::custom(format!("{text:?} is not a date (YYYY-MM-DD)")))
    }
}

/// One plugin version and configuration to judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BacktestCandidate)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Plugin name (installed for the tenant).
    pub plugin: String,
    /// Version; `None` means the tenant's active one.
    #[serde(default)]
    pub version: Option<String>,
    /// Configuration; `None` means the tenant's configuration of the plugin.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// Name in the report; default `plugin version`.
    #[serde(default)]
    pub label: Option<String>,
}

impl Candidate {
    /// The tenant's active version of `plugin` with its configuration.
    pub fn active(plugin: &str) -> Self {
        Candidate {
            plugin: plugin.into(),
            version: None,
            config: None,
            label: None,
        }
    }
}

/// Which of the eligible accounts a backtest reads: all, or one side of a
/// reproducible split (an account's side depends only on its id and the seed).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "split", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AccountFilter {
    /// Every eligible account.
    #[default]
    All,
    /// Only the held-out share (the accounts `--suggest` judges on).
    HeldOut {
        /// Share of accounts held out, 0-1 (exclusive).
        fraction: f64,
        /// The split's seed.
        seed: u64,
    },
    /// Only the training share (the accounts `--suggest` fits on).
    Training {
        /// Share of accounts held out, 0-1 (exclusive).
        fraction: f64,
        /// The split's seed.
        seed: u64,
    },
}

impl AccountFilter {
    /// Whether the account is read.
    pub fn includes(&self, account: &str) -> bool {
        match *self {
            AccountFilter::All => true,
            AccountFilter::HeldOut { fraction, seed } => held_out(account, fraction, seed),
            AccountFilter::Training { fraction, seed } => !held_out(account, fraction, seed),
        }
    }
}

/// Whether an account is on the held-out side of the split: the first eight
/// bytes of sha-256(seed, id) as a number in 0-1, below `fraction`. Stable
/// across versions and machines, unlike the standard library's hasher.
pub fn held_out(account: &str, fraction: f64, seed: u64) -> bool {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(account.as_bytes());
    let digest = h.finalize();
    let top = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    ((top >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

fn churned() -> OutcomeKind {
    OutcomeKind::Churned
}
fn horizon() -> i32 {
    180
}
fn history() -> i32 {
    400
}
fn bins() -> usize {
    10
}
fn holdout() -> f64 {
    0.3
}
fn seed() -> u64 {
    1
}

/// A backtest: score accounts as of `cutoff` with each candidate, using only
/// what was known then, and compare with the outcomes of the next
/// `horizon_days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestSpec {
    /// The instant accounts are scored at: each account's latest snapshot at
    /// or before it, and earlier ones; nothing later.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub cutoff: i32,
    /// Outcomes dated after the cut-off and at most this many days after it count.
    #[serde(default = "horizon")]
    pub horizon_days: i32,
    /// The outcome predicted.
    #[serde(default = "churned")]
    pub outcome: OutcomeKind,
    /// What to judge, side by side on the same accounts; empty means the
    /// tenant's active health model with its configuration.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// Days of earlier snapshots passed with each account.
    #[serde(default = "history")]
    pub history_days: i32,
    /// Bins of the calibration table.
    #[serde(default = "bins")]
    pub calibration_bins: usize,
    /// Which accounts to read.
    #[serde(default)]
    pub accounts: AccountFilter,
    /// Conditions every account read must meet (all of them); the others
    /// are left out and counted.
    #[serde(default, rename = "where")]
    pub conditions: Vec<Condition>,
    /// Also list every compared account with its outcome and scores.
    #[serde(default)]
    pub per_account: bool,
}

impl BacktestSpec {
    /// The defaults (churned within 180 days, the active health model) at `cutoff`.
    pub fn at(cutoff: i32) -> Self {
        BacktestSpec {
            cutoff,
            horizon_days: horizon(),
            outcome: churned(),
            candidates: Vec::new(),
            history_days: history(),
            calibration_bins: bins(),
            accounts: AccountFilter::All,
            conditions: Vec::new(),
            per_account: false,
        }
    }
}

/// Calibration from history: fit `weighted-health` weights to the tenant's
/// outcomes and renewal probabilities per band for `renewal-forecast`, each
/// judged on held-out accounts beside the current configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestSpec {
    /// As for [`BacktestSpec::cutoff`].
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub cutoff: i32,
    /// As for [`BacktestSpec::horizon_days`].
    #[serde(default = "horizon")]
    pub horizon_days: i32,
    /// The outcome the health score should predict.
    #[serde(default = "churned")]
    pub outcome: OutcomeKind,
    /// The `weighted-health` version and configuration to start from and
    /// judge against; `None` means the tenant's active health model.
    #[serde(default)]
    pub health: Option<Candidate>,
    /// As for [`BacktestSpec::history_days`].
    #[serde(default = "history")]
    pub history_days: i32,
    /// Share of accounts held out of the fit and judged on.
    #[serde(default = "holdout")]
    pub holdout: f64,
    /// Seed of the split.
    #[serde(default = "seed")]
    pub seed: u64,
    /// As for [`BacktestSpec::conditions`]: the fit and its judgement read
    /// only the accounts that meet them.
    #[serde(default, rename = "where")]
    pub conditions: Vec<Condition>,
    /// Weight measures that alone rank the outcome above the leak line
    /// (`backtest::leaks`); by default they are left out of the fit.
    #[serde(default)]
    pub allow_leaks: bool,
}

impl SuggestSpec {
    /// The defaults at `cutoff`: churned within 180 days, 30 % held out, seed 1.
    pub fn at(cutoff: i32) -> Self {
        SuggestSpec {
            cutoff,
            horizon_days: horizon(),
            outcome: churned(),
            health: None,
            history_days: history(),
            holdout: holdout(),
            seed: seed(),
            conditions: Vec::new(),
            allow_leaks: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_stable_and_close_to_its_fraction() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("acct-{i}")).collect();
        let held = ids.iter().filter(|id| held_out(id, 0.3, 1)).count();
        assert!((2800..3200).contains(&held), "{held}");
        // The same id and seed: the same side, always; another seed: another split.
        assert_eq!(held_out("acct-42", 0.3, 1), held_out("acct-42", 0.3, 1));
        let moved = ids
            .iter()
            .filter(|id| held_out(id, 0.3, 1) != held_out(id, 0.3, 2))
            .count();
        assert!(moved > 3000, "{moved}");
        let f = AccountFilter::HeldOut {
            fraction: 0.3,
            seed: 1,
        };
        let t = AccountFilter::Training {
            fraction: 0.3,
            seed: 1,
        };
        assert!(ids.iter().all(|id| f.includes(id) != t.includes(id)));
    }

    #[test]
    fn a_spec_reads_from_json_with_defaults_and_dates() {
        let spec: BacktestSpec = serde_json::from_str(
            r#"{"cutoff": "2026-01-01", "candidates": [{"plugin": "weighted-health", "config": {"red_below": 40}}]}"#,
        )
        .unwrap();
        assert_eq!(spec.cutoff, 20_454);
        assert_eq!(spec.horizon_days, 180);
        assert_eq!(spec.outcome, OutcomeKind::Churned);
        assert_eq!(spec.accounts, AccountFilter::All);
        let back = serde_json::to_value(&spec).unwrap();
        assert_eq!(back["cutoff"], "2026-01-01");
        let err = serde_json::from_str::<BacktestSpec>(r#"{"cutoff": "2026-02-30"}"#).unwrap_err();
        assert!(err.to_string().contains("not a date"), "{err}");
        let held: AccountFilter =
            serde_json::from_str(r#"{"split": "held-out", "fraction": 0.3, "seed": 7}"#).unwrap();
        assert_eq!(
            held,
            AccountFilter::HeldOut {
                fraction: 0.3,
                seed: 7
            }
        );
    }
}
