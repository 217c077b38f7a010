//! A tenant's webhook endpoints (issue #19): where its trigger events are
//! delivered, with the secret that signs them. Kept in the `webhooks` tree:
//! `tenant 0 NAME` -> [`Endpoint`].

use super::keys::tenant_key;
use super::{Store, StoreError, codec};
use serde::{Deserialize, Serialize};

/// One webhook endpoint of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Its name, kebab-case (rules name it).
    pub name: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The signing secret, `whsec_` + base64 (never shown after it was made).
    pub secret: String,
    /// The secret before the latest rotation, still signing beside the new
    /// one until its time runs out, so receivers can switch without loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
    /// When it was added (unix ms).
    pub created_ms: u64,
    /// Set while no delivery is attempted to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<EndpointDisabled>,
    /// Since when every attempt failed (unix ms); cleared by a success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since_ms: Option<u64>,
    /// Why the host flagged it for the tenant's attention, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<String>,
}

/// A rotated-out secret and until when it still signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecret {
    /// The secret.
    pub secret: String,
    /// Until when (unix ms).
    pub until_ms: u64,
}

/// Why and when an endpoint was disabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointDisabled {
    /// When (unix ms).
    pub at_ms: u64,
    /// Why, in words (`410 Gone`, `failing since ...`, `by the tenant`).
    pub reason: String,
}

fn endpoint_key(tenant: &str, name: &str) -> Vec<u8> {
    tenant_key(tenant, &[name.as_bytes()])
}

impl Store {
    /// Adds an endpoint (durable on return); a name already used is a
    /// conflict.
    pub fn add_endpoint(&self, tenant: &str, endpoint: &Endpoint) -> Result<(), StoreError> {
        self.require_tenant(tenant)?;
        let key = endpoint_key(tenant, &endpoint.name);
        let swapped = self.webhooks.compare_and_swap(
            key,
            None as Option<&[u8]>,
            Some(codec::encode_json(endpoint)),
        )?;
        if swapped.is_err() {
            return Err(StoreError::Conflict(format!(
                "webhook {:?} already exists (remove it first, or rotate its secret)",
                endpoint.name
            )));
        }
        self.flush()
    }

    /// Replaces an endpoint's record (durable on return).
    pub fn put_endpoint(&self, tenant: &str, endpoint: &Endpoint) -> Result<(), StoreError> {
        self.require_tenant(tenant)?;
        self.webhooks.insert(
            endpoint_key(tenant, &endpoint.name),
            codec::encode_json(endpoint),
        )?;
        self.flush()
    }

    /// One endpoint.
    pub fn endpoint(&self, tenant: &str, name: &str) -> Result<Option<Endpoint>, StoreError> {
        self.webhooks
            .get(endpoint_key(tenant, name))?
            .map(|v| codec::decode("webhook", &v))
            .transpose()
            .map_err(Into::into)
    }

    /// A tenant's endpoints, by name.
    pub fn endpoints(&self, tenant: &str) -> Result<Vec<Endpoint>, StoreError> {
        self.require_tenant(tenant)?;
        self.webhooks
            .scan_prefix(tenant_key(tenant, &[&[]]))
            .map(|kv| Ok(codec::decode("webhook", &kv?.1)?))
            .collect()
    }

    /// Removes an endpoint (durable on return).
    pub fn remove_endpoint(&self, tenant: &str, name: &str) -> Result<Endpoint, StoreError> {
        let Some(old) = self.webhooks.remove(endpoint_key(tenant, name))? else {
            return Err(StoreError::NotFound {
                what: "webhook",
                id: name.to_string(),
            });
        };
        self.flush()?;
        Ok(codec::decode("webhook", &old)?)
    }
}
