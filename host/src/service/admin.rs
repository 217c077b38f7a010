//! What the server and the CLI ask of the service besides the [`Api`]:
//! keys, health, the final flush and the metrics. The service's store and
//! runtime stay private, so every caller goes through what is here and in
//! the `Api`, and a second store behind the service changes no caller.

use super::keys::{self, Principal};
use super::{ApiResult, IssuedKey, KeyInfo, Metrics, Service, ShadowReport};
use crate::store::{Role, StoreError};

impl Service {
    /// The principal of a presented key, or `None` if it is no valid key.
    pub fn verify_key(&self, presented: &str) -> ApiResult<Option<Principal>> {
        keys::verify(&self.store, presented)
    }

    /// Keys of a tenant (`None`: operator keys), without secrets.
    pub fn keys(&self, tenant: Option<&str>) -> ApiResult<Vec<KeyInfo>> {
        keys::list(&self.store, tenant)
    }

    /// Issues a key; its secret is in the answer only.
    pub fn issue_key(
        &self,
        tenant: Option<&str>,
        role: Option<Role>,
        label: &str,
    ) -> ApiResult<IssuedKey> {
        keys::issue(&self.store, tenant, role, label)
    }

    /// Revokes a key; whether it existed.
    pub fn revoke_key(&self, tenant: Option<&str>, id: &str) -> ApiResult<bool> {
        Ok(self.store.revoke_key(tenant, id)?)
    }

    /// Refuses a tenant that does not exist (404), before a body is read.
    pub fn require_tenant(&self, tenant: &str) -> ApiResult<()> {
        Ok(self.store.require_tenant_exists(tenant)?)
    }

    /// The store's schema version (a read that proves the store answers).
    pub fn store_schema(&self) -> ApiResult<u32> {
        Ok(self.store.schema_version()?)
    }

    /// Makes everything written durable (at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush_all()
    }

    /// One shadow-run report.
    pub fn shadow_report(&self, tenant: &str, id: u64) -> ApiResult<ShadowReport> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.shadow_report(tenant, id)?)
    }

    /// The tenant's accounts (0 when it cannot be read: for progress bars).
    pub fn account_count(&self, tenant: &str) -> u64 {
        self.store.account_count(tenant).unwrap_or(0) as u64
    }

    /// Counters for `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
