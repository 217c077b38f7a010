//! Per-call limits. The operator sets defaults (configuration file) and may
//! set them per tenant; a tenant can never raise them above the operator's.

use serde::{Deserialize, Serialize};

/// Limits applied to every call into a plugin (one batch of accounts), and
/// the fuel a whole run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Fuel (about one unit per wasm instruction) for one call. The default
    /// leaves a batch of 1,000 accounts of the reference pack ~50x headroom.
    pub fuel: u64,
    /// Linear-memory cap per instance, in bytes.
    pub memory_bytes: u64,
    /// Deadline for one call, in milliseconds of time run on a core (epoch
    /// interruption; time spent waiting for a core is not counted).
    pub deadline_ms: u64,
    /// Largest output one call may return, in bytes of strings and records
    /// (8 MiB: 16 KiB an account in a batch of 500; a run holds a chunk of
    /// results in memory, so this also bounds the host's memory).
    pub output_bytes: u64,
    /// Log bytes kept per call (stdout, stderr and the `log` import); the rest is dropped.
    pub log_bytes: u64,
    /// Log lines kept per call.
    pub log_lines: u32,
    /// Fuel a run may use per account it scores, on average, on top of four
    /// calls' `fuel` (a batch that fails and three accounts retried alone);
    /// past it the run stops calling the plugin
    /// and the accounts left are not scored. The default is about 7 times
    /// what the heaviest plugin measured needs (StarlingMonkey, 2.8 million
    /// an account) and 1,000 times the Rust reference pack: it stops a
    /// plugin that is merely slow on purpose (flooding its log, spinning
    /// just under the per-call limits) from holding a share of the machine
    /// for hours.
    pub run_fuel_per_account: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 2_000_000_000,
            memory_bytes: 64 << 20,
            deadline_ms: 5_000,
            output_bytes: 8 << 20,
            log_bytes: 64 << 10,
            log_lines: 1_000,
            run_fuel_per_account: 20_000_000,
        }
    }
}

impl Limits {
    /// These limits, lowered where `ceiling` is lower: a tenant's override can
    /// tighten the operator's limits, never loosen them.
    pub fn capped_by(&self, ceiling: &Limits) -> Limits {
        Limits {
            fuel: self.fuel.min(ceiling.fuel),
            memory_bytes: self.memory_bytes.min(ceiling.memory_bytes),
            deadline_ms: self.deadline_ms.min(ceiling.deadline_ms),
            output_bytes: self.output_bytes.min(ceiling.output_bytes),
            log_bytes: self.log_bytes.min(ceiling.log_bytes),
            log_lines: self.log_lines.min(ceiling.log_lines),
            run_fuel_per_account: self.run_fuel_per_account.min(ceiling.run_fuel_per_account),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_cannot_raise_a_limit() {
        let operator = Limits::default();
        let greedy = Limits {
            fuel: u64::MAX,
            memory_bytes: 1 << 40,
            ..Limits::default()
        };
        let capped = greedy.capped_by(&operator);
        assert_eq!(capped.fuel, operator.fuel);
        assert_eq!(capped.memory_bytes, operator.memory_bytes);
        let modest = Limits {
            fuel: 10,
            ..Limits::default()
        };
        assert_eq!(modest.capped_by(&operator).fuel, 10);
    }

    #[test]
    fn partial_settings_keep_defaults_and_typos_fail() {
        let l: Limits = serde_json::from_str(r#"{"fuel": 5}"#).unwrap();
        assert_eq!((l.fuel, l.deadline_ms), (5, Limits::default().deadline_ms));
        assert!(serde_json::from_str::<Limits>(r#"{"fuell": 5}"#).is_err());
    }
}
