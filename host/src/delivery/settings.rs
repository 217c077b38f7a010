//! The operator's delivery settings (`[webhooks]` in `vitals.toml`),
//! checked once: durations parsed, destinations understood, bounds held.

use super::policy::DestinationPolicy;
use std::time::Duration;

/// The `[webhooks]` section as written (see [`crate::config`]).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksSection {
    /// Hosts (`hooks.example.com`, `*.example.com`) or networks
    /// (`10.0.0.0/8`, `127.0.0.1/32`) tenants may deliver to; empty: any
    /// public address.
    pub destinations: Vec<String>,
    /// Waits before each retry (`"5s"`, `"5m"`, `"2h"`, `"100ms"`); a
    /// delivery is dead after the last.
    pub retry_schedule: Vec<String>,
    /// Each wait is moved by up to this fraction of itself, either way.
    pub jitter: f64,
    /// One attempt's time limit, connection and answer included.
    pub timeout_ms: u64,
    /// Attempts to one endpoint at once.
    pub max_in_flight_per_endpoint: u32,
    /// An endpoint failing continuously this long is disabled and flagged.
    pub disable_after_hours: u64,
    /// How much of a receiver's answer is kept (for its tenant to read).
    pub response_bytes: usize,
}

/// Svix's schedule: a failing receiver gets about a day and a half.
const DEFAULT_SCHEDULE: [&str; 7] = ["5s", "5m", "30m", "2h", "5h", "10h", "10h"];

impl Default for WebhooksSection {
    fn default() -> Self {
        WebhooksSection {
            destinations: Vec::new(),
            retry_schedule: DEFAULT_SCHEDULE.iter().map(|s| s.to_string()).collect(),
            jitter: 0.2,
            timeout_ms: 15_000,
            max_in_flight_per_endpoint: 4,
            disable_after_hours: 120,
            response_bytes: 1024,
        }
    }
}

/// The checked settings the delivery code reads.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Where tenants may deliver.
    pub policy: DestinationPolicy,
    /// Waits before each retry.
    pub retry_schedule: Vec<Duration>,
    /// Fraction of a wait it may move either way (0..=1).
    pub jitter: f64,
    /// One attempt's limit.
    pub timeout: Duration,
    /// Attempts to one endpoint at once (at least 1).
    pub max_in_flight_per_endpoint: usize,
    /// Failing continuously this long disables an endpoint.
    pub disable_after: Duration,
    /// Bytes of a receiver's answer kept.
    pub response_bytes: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        WebhooksSection::default()
            .settings()
            .expect("the defaults are valid")
    }
}

impl WebhooksSection {
    /// Checks the section; an error names the key (`webhooks.jitter`).
    pub fn settings(&self) -> Result<DeliverySettings, String> {
        let policy = DestinationPolicy::parse(&self.destinations)?;
        let retry_schedule = self
            .retry_schedule
            .iter()
            .enumerate()
            .map(|(i, text)| {
                parse_duration(text).map_err(|why| format!("webhooks.retry_schedule[{i}]: {why}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(format!(
                "webhooks.jitter: {} is not a fraction between 0 and 1",
                self.jitter
            ));
        }
        if self.timeout_ms == 0 {
            return Err("webhooks.timeout_ms must be at least 1".into());
        }
        if self.max_in_flight_per_endpoint == 0 {
            return Err("webhooks.max_in_flight_per_endpoint must be at least 1".into());
        }
        if self.disable_after_hours == 0 {
            return Err("webhooks.disable_after_hours must be at least 1".into());
        }
        if self.response_bytes > 64 << 10 {
            return Err(format!(
                "webhooks.response_bytes: {} is more than the 65536 bytes an answer may keep",
                self.response_bytes
            ));
        }
        Ok(DeliverySettings {
            policy,
            retry_schedule,
            jitter: self.jitter,
            timeout: Duration::from_millis(self.timeout_ms),
            max_in_flight_per_endpoint: self.max_in_flight_per_endpoint as usize,
            disable_after: Duration::from_secs(self.disable_after_hours * 3600),
            response_bytes: self.response_bytes,
        })
    }
}

/// `"100ms"`, `"5s"`, `"5m"`, `"2h"`, `"1d"`: a whole number and a unit.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit (ms, s, m, h or d)"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    let ms_per = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (ms, s, m, h or d)"
            ));
        }
    };
    n.checked_mul(ms_per)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_unit_and_bad_ones_are_named() {
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("10h"), Ok(Duration::from_secs(36_000)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(parse_duration("5w").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").unwrap_err().contains("whole number"));
    }

    #[test]
    fn the_defaults_are_svix_like_and_bounds_name_their_key() {
        let s = DeliverySettings::default();
        assert_eq!(s.retry_schedule.len(), 7);
        assert_eq!(s.retry_schedule[0], Duration::from_secs(5));
        assert_eq!(s.timeout, Duration::from_secs(15));
        assert_eq!(s.max_in_flight_per_endpoint, 4);
        assert_eq!(s.disable_after, Duration::from_secs(120 * 3600));
        let bad = |f: fn(&mut WebhooksSection)| {
            let mut section = WebhooksSection::default();
            f(&mut section);
            section.settings().unwrap_err()
        };
        assert!(bad(|s| s.jitter = 1.5).contains("webhooks.jitter"));
        assert!(bad(|s| s.timeout_ms = 0).contains("webhooks.timeout_ms"));
        assert!(bad(|s| s.max_in_flight_per_endpoint = 0).contains("max_in_flight_per_endpoint"));
        assert!(
            bad(|s| s.retry_schedule = vec!["5x".into()]).contains("webhooks.retry_schedule[0]")
        );
        assert!(
            bad(|s| s.destinations = vec!["10.0.0.0/33".into()])
                .contains("webhooks.destinations[0]")
        );
    }
}
