//! The operator's host configuration file (TOML). Every key is optional;
//! unknown keys are refused with their name. Example `vitals.toml`:
//!
//! ```toml
//! [limits]            # per call into a plugin; tenants can only be set lower
//! fuel = 2000000000
//! memory_bytes = 67108864
//! deadline_ms = 5000   # time run on a core, waits for a core excluded
//! output_bytes = 8388608
//! log_bytes = 65536
//! log_lines = 1000
//! run_fuel_per_account = 20000000  # a whole run's average, per account
//!
//! [runtime]
//! max_instances = 64  # instances alive at once (pool size)
//!
//! [webhooks]          # trigger deliveries (issue #19)
//! destinations = []   # hosts ("hooks.example.com", "*.example.com") or
//!                     # networks ("10.0.0.0/8"); empty: any public address.
//!                     # Private, loopback, link-local... addresses are
//!                     # refused unless their network is listed here.
//! retry_schedule = ["5s", "5m", "30m", "2h", "5h", "10h", "10h"]
//! jitter = 0.2        # each wait moved by up to this fraction
//! timeout_ms = 15000  # one attempt
//! max_in_flight_per_endpoint = 4
//! disable_after_hours = 120  # failing that long: disabled and flagged
//! response_bytes = 1024      # of a receiver's answer, kept for its tenant
//! ```
//!
//! The CLI reads `--config FILE` (or `VITALS_CONFIG`), else
//! `<data-dir>/vitals.toml` when it exists, else the defaults above.

use crate::runtime::{Limits, RuntimeConfig};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The host configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// The operator's limits: defaults and ceilings for every tenant.
    pub limits: Limits,
    /// Runtime sizing.
    pub runtime: RuntimeSection,
    /// Webhook deliveries.
    pub webhooks: crate::delivery::WebhooksSection,
}

/// `[runtime]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeSection {
    /// Instances alive at once (pool size).
    pub max_instances: u32,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        RuntimeSection {
            max_instances: RuntimeConfig::default().max_instances,
        }
    }
}

impl HostConfig {
    /// Parses TOML text; the error names the key and line.
    pub fn parse(text: &str) -> Result<HostConfig, String> {
        let config: HostConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if config.runtime.max_instances == 0 {
            return Err("runtime.max_instances must be at least 1".into());
        }
        config.webhooks.settings()?;
        Ok(config)
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<HostConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        HostConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The checked delivery settings (`[webhooks]`).
    pub fn delivery_settings(&self) -> crate::delivery::DeliverySettings {
        self.webhooks
            .settings()
            .expect("checked when the configuration was parsed")
    }

    /// The runtime settings, with compiled components cached in `cache_dir`.
    pub fn runtime_config(&self, cache_dir: Option<PathBuf>) -> RuntimeConfig {
        RuntimeConfig {
            limits: self.limits,
            cache_dir,
            max_instances: self.runtime.max_instances,
            ..RuntimeConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_defaults_and_keys_override() {
        assert_eq!(HostConfig::parse("").unwrap(), HostConfig::default());
        let c = HostConfig::parse("[limits]\nfuel = 5\n[runtime]\nmax_instances = 8\n").unwrap();
        assert_eq!(
            (c.limits.fuel, c.limits.deadline_ms, c.runtime.max_instances),
            (5, Limits::default().deadline_ms, 8)
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = HostConfig::parse("[limits]\nfuell = 5\n").unwrap_err();
        assert!(err.contains("fuell"), "{err}");
        let err = HostConfig::parse("[limits]\nfuel = \"lots\"\n").unwrap_err();
        assert!(err.contains("fuel"), "{err}");
        assert!(HostConfig::parse("[runtime]\nmax_instances = 0\n").is_err());
    }

    #[test]
    fn the_webhooks_section_is_read_and_checked() {
        let c = HostConfig::parse(
            "[webhooks]\ndestinations = [\"127.0.0.1/32\"]\nretry_schedule = [\"100ms\", \"200ms\"]\n",
        )
        .unwrap();
        let s = c.delivery_settings();
        assert_eq!(s.retry_schedule.len(), 2);
        assert!(!s.policy.is_open());
        let err = HostConfig::parse("[webhooks]\ndestination = []\n").unwrap_err();
        assert!(err.contains("destination"), "{err}");
        let err = HostConfig::parse("[webhooks]\nretry_schedule = [\"soon\"]\n").unwrap_err();
        assert!(err.contains("webhooks.retry_schedule[0]"), "{err}");
    }
}
