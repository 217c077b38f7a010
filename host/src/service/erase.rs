//! Undoing mistakes: erasing an account (tenant admin), deleting a tenant
//! (operator), and the audit logs that keep that they happened. Each is a
//! tenant's job: refused (429, retry) while a run, shadow run or backtest
//! of the tenant is going, so none reads the account before an erasure and
//! writes what it read after it.

use super::{ApiResult, CreateTenant, Service, ShadowReport, TenantInfo};
use crate::store::{AccountErased, AuditRecord, NamesAccounts, TenantDeleted};

/// A shadow report lists the accounts that change: an erasure removes the
/// erased account's row (its totals name no account and stay).
impl NamesAccounts for ShadowReport {
    fn forget_account(&mut self, account: &str) -> usize {
        let before = self.changes.len();
        self.changes.retain(|c| c.account != account);
        before - self.changes.len()
    }
}

impl Service {
    /// Creates a tenant for `by` (`local`, or the operator key that asked).
    pub fn create_tenant_by(&self, req: &CreateTenant, by: &str) -> ApiResult<TenantInfo> {
        let t = self
            .store
            .create_tenant_by(&req.id, req.name.as_deref().unwrap_or(&req.id), by)?;
        self.tenant_info(t)
    }

    /// Erases an account for `by` (`local`, or the API key that asked).
    pub fn delete_account_by(&self, tenant: &str, id: &str, by: &str) -> ApiResult<AccountErased> {
        self.store.require_tenant_exists(tenant)?;
        let _slot = self.jobs.start(tenant)?;
        let erased = self.store.erase_account::<ShadowReport>(tenant, id, by);
        // Even a failed erasure may have raced a dashboard build: rebuild.
        self.dashboard.erased(tenant);
        Ok(erased?)
    }

    /// Deletes a tenant and every record of it for `by` (operator).
    pub fn delete_tenant_by(&self, tenant: &str, by: &str) -> ApiResult<TenantDeleted> {
        self.store.require_tenant_exists(tenant)?;
        let _slot = self.jobs.start(tenant)?;
        let deleted = self.store.delete_tenant(tenant, by);
        self.dashboard.erased(tenant);
        Ok(deleted?)
    }

    /// A tenant's audit log, oldest first.
    pub fn tenant_audit(&self, tenant: &str) -> ApiResult<Vec<AuditRecord>> {
        Ok(self.store.audit(Some(tenant))?)
    }

    /// The operator's audit log (tenants created and deleted), oldest first.
    pub fn operator_audit(&self) -> ApiResult<Vec<AuditRecord>> {
        Ok(self.store.audit(None)?)
    }
}
