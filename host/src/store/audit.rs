//! The audit log: append-only records of what was done and by whom, one log
//! per tenant and one for the operator (tenants created and deleted). A
//! record says that something happened, never the data it touched: an
//! erased account's id is kept (what erasure logs keep, so the erasure can
//! be shown to have happened), its attributes, snapshots and scores are not.
//!
//! Records are written in the same atomic sled transaction as the change
//! they record, so a crash never keeps one without the other. Keys are
//! `tenant 0 id` (a tenant's log) and `FF 0 id` (the operator's; no tenant
//! id starts with 0xFF), ids from sled's monotonic id generator.

use super::keys::tenant_key;
use super::{Store, StoreError, codec, now_ms};
use serde::{Deserialize, Serialize};

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// A tenant was created (the operator's log).
    TenantCreated,
    /// A tenant and every record of it were deleted (the operator's log).
    TenantDeleted,
    /// An account's attributes, snapshots, outcomes and results were erased.
    AccountDeleted,
    /// A run was discarded (kept, read by no summary).
    RunDiscarded,
}

impl AuditAction {
    /// The kebab-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TenantCreated => "tenant-created",
            AuditAction::TenantDeleted => "tenant-deleted",
            AuditAction::AccountDeleted => "account-deleted",
            AuditAction::RunDiscarded => "run-discarded",
        }
    }
}

/// One record of an audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// When (unix ms).
    pub at_ms: u64,
    /// When, UTC (`YYYY-MM-DDTHH:MM:SSZ`).
    pub at: String,
    /// Who: `local` for the CLI on the store, else `key ID` (the API key's
    /// public id).
    pub by: String,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to: the account, tenant or run id.
    pub subject: String,
    /// What it did, in words: counts of what was erased, a run's plugin and
    /// the reason given. Never erased data.
    pub detail: String,
}

impl AuditRecord {
    /// A record made now.
    pub(super) fn now(by: &str, action: AuditAction, subject: &str, detail: String) -> Self {
        let at_ms = now_ms();
        AuditRecord {
            at_ms,
            at: utc(at_ms),
            by: by.to_string(),
            action,
            subject: subject.to_string(),
            detail,
        }
    }
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(ms: u64) -> String {
    let seconds = ms / 1000;
    let day = vitals_plugin_sdk::date::format((seconds / 86_400) as i32);
    let s = seconds % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// The first byte of the operator's log keys.
const OPERATOR: u8 = 0xFF;

/// The prefix of a log: a tenant's (`Some`) or the operator's.
pub(super) fn log_prefix(tenant: Option<&str>) -> Vec<u8> {
    match tenant {
        Some(t) => tenant_key(t, &[&[]]),
        None => vec![OPERATOR, 0],
    }
}

impl Store {
    /// The key and value of a new record of a log, for the caller to write
    /// in the transaction of the change it records.
    pub(super) fn audit_entry(
        &self,
        tenant: Option<&str>,
        record: &AuditRecord,
    ) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
        let mut key = log_prefix(tenant);
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        Ok((key, codec::encode_json(record)))
    }

    /// A log, oldest first: a tenant's (`Some`), or the operator's.
    pub fn audit(&self, tenant: Option<&str>) -> Result<Vec<AuditRecord>, StoreError> {
        if let Some(t) = tenant {
            self.require_tenant(t)?;
        }
        self.audit
            .scan_prefix(log_prefix(tenant))
            .map(|kv| Ok(codec::decode("audit record", &kv?.1)?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_logs_do_not_share_keys() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_767_225_599_999), "2025-12-31T23:59:59Z");
        assert!(!log_prefix(Some("a")).starts_with(&log_prefix(None)));
        assert!(!log_prefix(Some("ab")).starts_with(&log_prefix(Some("a"))));
    }

    #[test]
    fn tenant_creation_is_in_the_operators_log_and_logs_are_apart() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("a", "A").unwrap();
        s.create_tenant_by("ab", "AB", "key k1").unwrap();
        let log = s.audit(None).unwrap();
        let seen: Vec<(&str, AuditAction, &str)> = log
            .iter()
            .map(|r| (r.by.as_str(), r.action, r.subject.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("local", AuditAction::TenantCreated, "a"),
                ("key k1", AuditAction::TenantCreated, "ab")
            ]
        );
        assert!(s.audit(Some("a")).unwrap().is_empty());
        assert!(matches!(
            s.audit(Some("nope")),
            Err(StoreError::NotFound { .. })
        ));
        assert!(s.create_tenant("a", "again").is_err());
        assert_eq!(s.audit(None).unwrap().len(), 2, "a refusal is not logged");
    }
}
