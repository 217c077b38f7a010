//! Shadow-run reports, kept per tenant so they can be read again (and shown
//! beside the plugin's versions) after the request that made them.

use super::keys::tenant_key;
use super::runs::insert_with_tenant_id;
use super::{Store, StoreError, codec};
use serde::{Serialize, de::DeserializeOwned};

/// A stored report that lists accounts (a shadow-run report lists the
/// accounts that change): an erasure (`store::erase`) removes the erased
/// account's rows. Implemented by the report type, which the store does
/// not know.
pub trait NamesAccounts: Serialize + DeserializeOwned {
    /// Removes every row of `account`; returns how many there were.
    fn forget_account(&mut self, account: &str) -> usize;
}

/// `tenant 0`: every report of a tenant.
pub(super) fn shadow_prefix(tenant: &str) -> Vec<u8> {
    tenant_key(tenant, &[&[]])
}

impl Store {
    /// Stores a report under the tenant's next id (increasing per tenant,
    /// see [`insert_with_tenant_id`]) and returns the id.
    pub fn put_shadow_report<T: Serialize>(
        &self,
        tenant: &str,
        mut make: impl FnMut(u64) -> T,
    ) -> Result<u64, StoreError> {
        self.require_tenant(tenant)?;
        let id = insert_with_tenant_id(&self.shadows, tenant, |id| codec::encode_json(&make(id)))?;
        self.flush()?;
        Ok(id)
    }

    /// One report.
    pub fn shadow_report<T: DeserializeOwned>(
        &self,
        tenant: &str,
        id: u64,
    ) -> Result<T, StoreError> {
        match self.shadows.get(tenant_key(tenant, &[&id.to_be_bytes()]))? {
            Some(v) => Ok(codec::decode("shadow report", &v)?),
            None => Err(StoreError::NotFound {
                what: "shadow report",
                id: id.to_string(),
            }),
        }
    }

    /// A tenant's reports, newest first.
    pub fn shadow_reports<T: DeserializeOwned>(&self, tenant: &str) -> Result<Vec<T>, StoreError> {
        let prefix = shadow_prefix(tenant);
        let mut out = Vec::new();
        for kv in self.shadows.scan_prefix(prefix).rev() {
            let (_, v) = kv?;
            out.push(codec::decode("shadow report", &v)?);
        }
        Ok(out)
    }
}
