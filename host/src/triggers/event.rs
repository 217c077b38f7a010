//! An event: one rule's transition on one account in one run. Stored in the
//! outbox as it is sent: its JSON is the `data` of the webhook body.

use crate::contract::{Attributes, Driver, Factor};
use crate::store::PackRef;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// Its id: the same for (tenant, run, rule, account) however often it
    /// is derived or sent (the `webhook-id` of its deliveries).
    pub id: String,
    /// The event (`band-changed`, `segment-entered`, ...).
    #[serde(rename = "type")]
    pub event: String,
    /// The rule that fired, and its version.
    pub rule: RuleRef,
    /// The account.
    pub account: AccountRef,
    /// The compared value in the previous run (`{"band": "yellow", "score": 61.5}`, ...).
    #[schema(value_type = Object)]
    pub before: Value,
    /// The value in this run.
    #[schema(value_type = Object)]
    pub after: Value,
    /// Why the plugin said what it said in this run.
    pub explanation: Explanation,
    /// The run that caused it, with its plugin and configuration.
    pub run: EventRun,
    /// The endpoints it goes to (resolved when it was derived).
    pub webhooks: Vec<String>,
    /// When it was derived (RFC 3339, UTC).
    pub occurred_at: String,
}

/// A rule and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleRef {
    /// Its name.
    pub name: String,
    /// Its version when the event was derived.
    pub version: u64,
}

/// The account as the event names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountRef {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its owner.
    pub owner: Option<String>,
    /// Its tier.
    pub tier: Option<String>,
    /// Its plan.
    pub plan: Option<String>,
    /// Its contract ARR.
    pub contract_arr: Option<f64>,
}

impl AccountRef {
    /// From an account's attributes.
    pub fn of(id: &str, a: &Attributes) -> AccountRef {
        AccountRef {
            id: id.to_string(),
            name: a.name.clone(),
            owner: a.owner.clone(),
            tier: a.tier.clone(),
            plan: a.plan.clone(),
            contract_arr: a.contract_arr,
        }
    }
}

/// The plugin's own explanation of this run's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Explanation {
    /// A health score's factors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<Factor>,
    /// Why the account is (or was) in the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A propensity's drivers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drivers: Vec<Driver>,
    /// How a renewal forecast was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// The run that caused an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventRun {
    /// Its id.
    pub id: u64,
    /// The plugin.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// sha-256 of its component.
    pub plugin_hash: String,
    /// The configuration it ran with (stored once, with the run: filled
    /// in when the event is read).
    #[schema(value_type = Object)]
    #[serde(default)]
    pub config: Value,
    /// The vendor pack it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<PackRef>,
    /// The run's instant (`YYYY-MM-DD`).
    pub as_of: String,
    /// The run compared with.
    pub previous_run: u64,
    /// Its instant.
    pub previous_as_of: String,
}

/// The id of the event of `rule` on `account` in run `run` of `tenant`.
pub fn event_id(tenant: &str, run: u64, rule: &str, account: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        tenant.as_bytes(),
        &run.to_be_bytes(),
        rule.as_bytes(),
        account.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    format!("evt_{}", &hex::encode(h.finalize())[..32])
}

/// The body of a webhook delivering `event`: the same bytes on every
/// attempt (the attempt's time is in the `webhook-timestamp` header).
#[derive(Debug, Serialize)]
struct Body<'a> {
    r#type: String,
    timestamp: &'a str,
    data: &'a Event,
}

impl Event {
    /// The JSON body sent to receivers (Standard Webhooks' `type`,
    /// `timestamp`, `data`).
    pub fn webhook_body(&self) -> Vec<u8> {
        serde_json::to_vec(&Body {
            r#type: format!("account.{}", self.event),
            timestamp: &self.occurred_at,
            data: self,
        })
        .expect("an event serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_stable_and_distinct() {
        let a = event_id("acme", 7, "turned-red", "a-1");
        assert_eq!(a, event_id("acme", 7, "turned-red", "a-1"));
        assert!(a.starts_with("evt_") && a.len() == 36);
        assert_ne!(a, event_id("acme", 8, "turned-red", "a-1"));
        assert_ne!(a, event_id("acme", 7, "turned-red", "a-2"));
        // Parts are length-prefixed: moving a character between them
        // changes the id.
        assert_ne!(event_id("ac", 7, "me", "x"), event_id("acm", 7, "e", "x"));
    }
}
