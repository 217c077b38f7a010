//! What the webhook operations take and give (issue #19), with their
//! OpenAPI schemas. A secret appears only in [`WebhookSecret`], the answer
//! to the call that made it; every other view leaves secrets out.

use crate::store::{Endpoint, EndpointDisabled};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An endpoint as shown to its tenant: never its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    /// Its name.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// When it was added (unix ms).
    pub created_ms: u64,
    /// Set while nothing is delivered to it (`webhook enable` clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<EndpointDisabled>,
    /// Since when every attempt failed (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since_ms: Option<u64>,
    /// Why the host flagged it, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<String>,
    /// Until when the secret before the latest rotation still signs too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until_ms: Option<u64>,
}

impl From<&Endpoint> for WebhookView {
    fn from(e: &Endpoint) -> Self {
        WebhookView {
            name: e.name.clone(),
            url: e.url.clone(),
            created_ms: e.created_ms,
            disabled: e.disabled.clone(),
            failing_since_ms: e.failing_since_ms,
            flagged: e.flagged.clone(),
            previous_secret_until_ms: e.previous_secret.as_ref().map(|p| p.until_ms),
        }
    }
}

/// An endpoint just added or given a new secret: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSecret {
    /// The endpoint.
    pub webhook: WebhookView,
    /// The signing secret (`whsec_...`): receivers verify with it.
    pub secret: String,
    /// Whether the host generated it (rather than the caller giving it).
    pub generated: bool,
}

/// Adds an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddWebhook {
    /// Its name (lowercase letters, digits and `-`).
    pub name: String,
    /// Where deliveries go (http or https, within the operator's destinations).
    pub url: String,
    /// The signing secret (`whsec_` + base64 of 24 to 64 bytes); generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Gives an endpoint a new secret; the old one keeps signing beside it for 24 hours.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// The new secret; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One delivery as its tenant sees it: where it stands, how its latest
/// attempt went (the receiver's first bytes included: its own receiver).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// The endpoint.
    pub endpoint: String,
    /// The event's id (`webhook-id`, the same on every attempt and replay).
    pub webhook_id: String,
    /// The event (`band-changed`, ...).
    pub event: String,
    /// The run that caused it.
    pub run: u64,
    /// The rule that fired.
    pub rule: String,
    /// The account.
    pub account: String,
    /// `pending`, `delivered` or `dead`.
    pub status: crate::store::DeliveryStatus,
    /// Attempts since it was created or last replayed.
    pub attempts: u32,
    /// Times it was replayed.
    pub replays: u32,
    /// When it is due next, while pending (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at_ms: Option<u64>,
    /// The latest attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<crate::store::AttemptRecord>,
    /// Why it is dead, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_reason: Option<String>,
}

impl From<crate::store::Delivery> for DeliveryView {
    fn from(d: crate::store::Delivery) -> Self {
        DeliveryView {
            endpoint: d.endpoint,
            webhook_id: d.webhook_id,
            event: d.event,
            run: d.run,
            rule: d.rule,
            account: d.account,
            status: d.status,
            attempts: d.attempts,
            replays: d.replays,
            next_at_ms: d.next_at_ms,
            last: d.last,
            dead_reason: d.dead_reason,
        }
    }
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only in this state (`pending`, `delivered`, `dead`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::store::DeliveryStatus>,
    /// Only to this endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Only of this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<u64>,
    /// Only of this event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// At most this many (newest runs first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

impl DeliveryQuery {
    /// The store's filter.
    pub fn filter(&self) -> crate::store::DeliveryFilter {
        crate::store::DeliveryFilter {
            status: self.status,
            endpoint: self.endpoint.clone(),
            run: self.run,
            event: self.event.clone(),
            limit: self.limit,
        }
    }
}

/// Which deliveries to send again: the dead ones by default (`dead`), or
/// those a run or an event names, whatever their state but pending.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Only dead deliveries (the default when no run or event is named).
    #[serde(default)]
    pub dead: bool,
    /// Only to this endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Only of this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<u64>,
    /// Only of this event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// The deliveries a replay made pending again (same `webhook-id` each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Replayed {
    /// How many.
    pub count: usize,
    /// Them.
    pub deliveries: Vec<DeliveryView>,
}
