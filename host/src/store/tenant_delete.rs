//! Deleting a tenant (operator): every record of it (accounts, snapshots,
//! outcomes, plugins and their configurations, the components no other
//! tenant uses, runs, results, shadow reports, its audit log, keys, limits
//! and the tenant record), recorded in the operator's audit log.
//!
//! One transaction first removes the tenant record and its keys, and
//! writes a deletion mark and the audit record: from then on the tenant
//! does not exist for any caller (its keys are gone, every operation
//! answers not found) and its id cannot be taken again until the deletion
//! has ended. The records then go in batches; a deletion cut short by a
//! crash is finished at the next open, from its mark. Like an erasure it
//! holds the tenant's write turn (an ingest is refused busy) and refuses
//! while a run is going (retry).

use super::audit::{AuditAction, AuditRecord};
use super::keys::tenant_key;
use super::undo::{committed_key, undo_logs_of};
use super::{ApiKeyRecord, Store, StoreError, abort, codec};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use std::collections::BTreeSet;

/// Records removed per atomic batch.
const BATCH: usize = 4096;

/// Prefix of the deletion marks in the meta tree.
const MARK_PREFIX: &[u8] = b"deleting:";

/// The mark of a tenant's deletion going on.
pub(super) fn deletion_key(tenant: &str) -> Vec<u8> {
    let mut k = MARK_PREFIX.to_vec();
    k.extend_from_slice(tenant.as_bytes());
    k
}

/// Who deleted the tenant, and when (kept until the deletion has ended).
#[derive(Serialize, Deserialize)]
struct Mark {
    by: String,
    at_ms: u64,
}

/// What a tenant's deletion removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantDeleted {
    /// The tenant.
    pub tenant: String,
    /// Accounts (with their attributes).
    pub accounts: usize,
    /// Snapshots.
    pub snapshots: usize,
    /// Outcomes.
    pub outcomes: usize,
    /// Installed plugin versions (with the configurations).
    pub plugins: usize,
    /// Components removed because no other tenant uses them.
    pub components: usize,
    /// Runs (with their results).
    pub runs: usize,
    /// Shadow-run reports.
    pub shadow_reports: usize,
    /// API keys.
    pub keys: usize,
}

impl TenantDeleted {
    /// What was deleted, in words (the audit record's detail).
    pub fn describe(&self) -> String {
        format!(
            "deleted {} account(s), {} snapshot(s), {} outcome(s), {} plugin version(s), {} run(s), {} shadow report(s), {} key(s)",
            self.accounts,
            self.snapshots,
            self.outcomes,
            self.plugins,
            self.runs,
            self.shadow_reports,
            self.keys
        )
    }
}

/// The component an installed version's record names.
#[derive(Deserialize)]
struct ComponentOf {
    hash: String,
}

/// Whether a plugin-state key (`tenant 0 kind 0 ...`) is an installed
/// version's (kind `i`); tenant ids hold no 0 byte.
fn is_installed_key(key: &[u8]) -> bool {
    key.iter()
        .position(|b| *b == 0)
        .is_some_and(|at| key.get(at + 1..at + 3) == Some(&b"i\0"[..]))
}

impl Store {
    /// Deletes a tenant and every record of it for `by` (`local`, or the
    /// operator key that asked); recorded in the operator's audit log.
    /// Durable on return. Busy while an ingest of the tenant is going;
    /// retry while a run is.
    pub fn delete_tenant(&self, tenant: &str, by: &str) -> Result<TenantDeleted, StoreError> {
        self.require_tenant(tenant)?;
        let turn = self.erase_turn(tenant)?;
        self.refuse_running_runs(tenant)?;
        let mut deleted = self.tenant_contents(tenant)?;
        let keys = self.keys(Some(tenant))?;
        deleted.keys = keys.len();
        let record = AuditRecord::now(by, AuditAction::TenantDeleted, tenant, deleted.describe());
        let (log_key, log_value) = self.audit_entry(None, &record)?;
        let mark = codec::encode_json(&Mark {
            by: by.to_string(),
            at_ms: record.at_ms,
        });
        let mark_key = deletion_key(tenant);
        (&self.tenants, &self.meta, &self.access, &self.audit)
            .transaction(|(tenants, meta, access, audit)| {
                if tenants.remove(tenant)?.is_none() {
                    return abort(StoreError::NotFound {
                        what: "tenant",
                        id: tenant.to_string(),
                    });
                }
                meta.insert(mark_key.as_slice(), mark.as_slice())?;
                for k in &keys {
                    access.remove(k.id.as_bytes())?;
                }
                audit.insert(log_key.as_slice(), log_value.as_slice())?;
                Ok(())
            })
            .map_err(super::transaction_error)?;
        self.flush()?;
        // The tenant is gone for every caller; what follows is removal,
        // finished at the next open if cut short.
        let removed = self.remove_tenant_records(tenant);
        turn.tenant_deleted();
        self.runs_changed(tenant);
        deleted.components = removed?;
        Ok(deleted)
    }

    /// Counts what a deletion removes (keys aside).
    fn tenant_contents(&self, tenant: &str) -> Result<TenantDeleted, StoreError> {
        let prefix = tenant_key(tenant, &[&[]]);
        let mut out = TenantDeleted {
            tenant: tenant.to_string(),
            ..TenantDeleted::default()
        };
        for kv in self.data.scan_prefix(&prefix) {
            let (key, value) = kv?;
            if codec::is_tombstone(&value) {
                continue;
            }
            match key.get(prefix.len()) {
                Some(b'a') => out.accounts += 1,
                Some(b's') => out.snapshots += 1,
                Some(b'o') => out.outcomes += 1,
                _ => {}
            }
        }
        for kv in self.plugin_state.scan_prefix(&prefix) {
            out.plugins += usize::from(is_installed_key(&kv?.0));
        }
        out.runs = self.runs.scan_prefix(&prefix).count();
        out.shadow_reports = self.shadows.scan_prefix(&prefix).count();
        Ok(out)
    }

    /// Removes every record a deleted tenant left, then its deletion mark;
    /// returns the components removed. Idempotent: a second pass after a
    /// crash in the middle finds less to do.
    fn remove_tenant_records(&self, tenant: &str) -> Result<usize, StoreError> {
        // Components first: they are found through the installed plugins.
        let components = self.remove_unshared_components(tenant)?;
        let prefix = tenant_key(tenant, &[&[]]);
        for tree in [
            &self.data,
            &self.plugin_state,
            &self.runs,
            &self.results,
            &self.shadows,
            &self.audit,
            &self.triggers,
            &self.webhooks,
            &self.events,
            &self.outbox,
            &self.deliveries,
        ] {
            remove_prefix(tree, &prefix)?;
        }
        self.remove_tenant_due(tenant)?;
        remove_prefix(&self.data, &undo_logs_of(tenant))?;
        self.data.remove(committed_key(tenant))?;
        // Keys issued while the deletion was being marked.
        for kv in self.access.iter() {
            let (key, value) = kv?;
            let record: ApiKeyRecord = codec::decode("api key", &value)?;
            if record.tenant.as_deref() == Some(tenant) {
                self.access.remove(key)?;
            }
        }
        self.flush()?;
        self.meta.remove(deletion_key(tenant))?;
        self.flush()?;
        Ok(components)
    }

    /// Removes the components of a tenant's installed plugins that no
    /// other tenant has installed; returns how many.
    fn remove_unshared_components(&self, tenant: &str) -> Result<usize, StoreError> {
        let _held = self.components_gc.lock().unwrap_or_else(|e| e.into_inner());
        let prefix = tenant_key(tenant, &[&[]]);
        let mut mine = BTreeSet::new();
        let mut others = BTreeSet::new();
        for kv in self.plugin_state.iter() {
            let (key, value) = kv?;
            if !is_installed_key(&key) {
                continue;
            }
            // Only the hash: a record of any age has it.
            let ComponentOf { hash } = codec::decode("plugin", &value)?;
            if key.starts_with(&prefix) {
                mine.insert(hash);
            } else {
                others.insert(hash);
            }
        }
        let mut removed = 0;
        for hash in mine.difference(&others) {
            removed += usize::from(self.components.remove(hash.as_bytes())?.is_some());
        }
        Ok(removed)
    }

    /// At open: finishes the deletions a crash cut short; says whose.
    pub(super) fn finish_interrupted_deletions(&self) -> Result<Vec<String>, StoreError> {
        let mut tenants = Vec::new();
        for kv in self.meta.scan_prefix(MARK_PREFIX) {
            let key = kv?.0;
            let tenant = std::str::from_utf8(&key[MARK_PREFIX.len()..])
                .map_err(|_| StoreError::Corrupt("a tenant deletion mark".into()))?;
            tenants.push(tenant.to_string());
        }
        for tenant in &tenants {
            self.remove_tenant_records(tenant)?;
        }
        Ok(tenants)
    }
}

/// Removes every key starting with `prefix` from `tree`, in atomic batches.
fn remove_prefix(tree: &sled::Tree, prefix: &[u8]) -> Result<(), StoreError> {
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    for kv in tree.scan_prefix(prefix) {
        batch.remove(kv?.0);
        pending += 1;
        if pending == BATCH {
            tree.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
    }
    tree.apply_batch(batch)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_version_keys_are_told_from_the_other_plugin_keys() {
        assert!(is_installed_key(&tenant_key(
            "t",
            &[b"i", b"health", b"1.0.0"]
        )));
        assert!(!is_installed_key(&tenant_key("t", &[b"a", b"health"])));
        assert!(!is_installed_key(&tenant_key("t", &[b"c", b"i"])));
        assert!(!is_installed_key(b"no-separator"));
    }

    #[test]
    fn the_mark_names_the_tenant() {
        assert_eq!(deletion_key("acme"), b"deleting:acme");
    }
}
