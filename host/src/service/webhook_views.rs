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
