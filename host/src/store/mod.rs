//! The store: tenants, accounts, snapshots, outcomes, plugins, runs and
//! results in sled. This module is the only one that knows sled; its public
//! methods are the narrow interface a distributed (PostgreSQL-compatible)
//! backend will implement later, with runs split by account range.
//!
//! Everything acknowledged is flushed first. An ingest batch is one sled
//! batch on one tree (atomic); a run's results become visible only when the
//! run is marked complete, and a run found still running at open (a crash)
//! is marked failed.

mod access;
mod activation;
mod audit;
mod catalog;
mod codec;
mod data;
mod erase;
mod erase_results;
mod health_scores;
mod journal;
mod keys;
mod outbox;
mod packs;
mod perms;
mod plugins;
mod runs;
mod shadows;
mod staging;
mod tenant_delete;
mod text;
mod triggers;
mod trust;
mod undo;
mod versions;
mod view;
mod webhooks;
mod writer;

pub use access::{ApiKeyRecord, Role};
pub use activation::Activation;
pub use audit::{AuditAction, AuditRecord, utc};
pub use catalog::{Catalog, built_in_fields};
pub use data::{AccountView, IngestMode, IngestReport};
pub use erase::AccountErased;
pub use health_scores::HealthScores;
pub use outbox::{
    AfterAttempt, AttemptRecord, Delivery, DeliveryFilter, DeliveryStatus, EventFilter, OutboxDepth,
};
pub use packs::{PackChange, PackComponent, PackRef, PackRelease, PackReleasePlugin, PackState};
pub use plugins::{ActivePlugin, InstalledPlugin};
pub use runs::{Discarded, ResultCursor, RunRecord, RunStatus, StoredResult};
pub use shadows::NamesAccounts;
pub use tenant_delete::TenantDeleted;
pub use text::check_free_text;
pub use triggers::RuleVersion;
pub use trust::{Revocation, RevokedRelease, TrustStanding, TrustedKey};
pub use undo::RolledBack;
pub use view::DataView;
pub use webhooks::{Endpoint, EndpointDisabled, PreviousSecret};
pub use writer::{Ingest, MAX_REJECTS};

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The schema version this binary writes. Bump it with a migration in `migrate`.
/// Version 2 stamps tenant data records with the ingest that wrote them
/// (`codec::stamp`); version-1 records read as written before any ingest
/// of this version, so the migration rewrites nothing. Version 3 keeps each
/// tenant's catalog of names (`store::catalog`); the migration builds it
/// from the stored accounts and snapshots.
pub const SCHEMA_VERSION: u32 = 3;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// sled failed (I/O, corruption).
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value could not be decoded.
    #[error(transparent)]
    Codec(#[from] codec::CodecError),
    /// The store was written by a newer version.
    #[error("store schema version {found} is newer than this binary's {supported}: upgrade vitals")]
    SchemaTooNew {
        /// Version in the store.
        found: u32,
        /// Version this binary knows.
        supported: u32,
    },
    /// Something named does not exist (or belongs to another tenant).
    #[error("{what} {id:?} not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The request is invalid; the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// Stored data is damaged (a key or value this version cannot read).
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// The request contradicts the record's state (a run still going, a
    /// run already discarded); the message says which.
    #[error("{0}")]
    Conflict(String),
    /// Another ingest of the tenant is being written; retry when it ends.
    #[error("tenant {0:?} has an ingest going (one at a time); retry when it ends")]
    Busy(String),
    /// Several health models are active (a store written before one at a
    /// time was the rule): runs and scores refuse to pick one.
    #[error(
        "{} health models are active ({}); one is active at a time, since segments, propensity and forecasts read the health score: keep one and deactivate the others with `vitals plugin deactivate NAME`",
        .0.len(),
        .0.join(", ")
    )]
    SeveralHealthModels(Vec<String>),
    /// Other work of the tenant must end first (a run, an erasure, a
    /// deletion); the message says which. Retry when it has.
    #[error("{0}")]
    Retry(String),
    /// The operator revoked the pack version or its signing key.
    #[error("{0}")]
    Revoked(String),
    /// An all-or-nothing ingest found bad records: nothing was written.
    #[error("{} bad record(s), nothing written; first: {}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Rejected(Vec<crate::model::RowError>),
}

/// A company using the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tenant {
    /// Id: lowercase letters, digits and '-'.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time, unix milliseconds.
    pub created_ms: u64,
    /// The operator's limits for this tenant, if tighter than the defaults.
    pub limits: Option<crate::contract::Limits>,
    /// Set on the tenants `vitals demo` creates: the demo fills only such a
    /// tenant (or creates one), never one holding a company's own accounts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
}

/// The sled store.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    tenants: sled::Tree,
    data: sled::Tree,
    components: sled::Tree,
    plugin_state: sled::Tree,
    runs: sled::Tree,
    results: sled::Tree,
    access: sled::Tree,
    shadows: sled::Tree,
    /// The audit logs (`store::audit`).
    audit: sled::Tree,
    /// The operator's trust in vendor keys and packs (`store::trust`).
    trust: sled::Tree,
    /// Each tenant's trigger rules, every version (`store::triggers`).
    triggers: sled::Tree,
    /// Each tenant's webhook endpoints (`store::webhooks`).
    webhooks: sled::Tree,
    /// Trigger events, staged by a running run and deliverable once it is
    /// complete (`store::outbox`).
    events: sled::Tree,
    /// Complete runs whose events are not yet fanned out into deliveries.
    outbox: sled::Tree,
    /// One record per event and endpoint: its delivery state.
    deliveries: sled::Tree,
    /// Pending deliveries by when they are due next.
    due: sled::Tree,
    /// Held while a trust record is read and rewritten: a revocation is
    /// never overwritten by a concurrent trust or removal.
    trust_writes: std::sync::Arc<std::sync::Mutex<()>>,
    /// Held while a rule's next version is numbered and written.
    rule_writes: std::sync::Arc<std::sync::Mutex<()>>,
    /// Held while a component is stored with its first use, and while a
    /// deleted tenant's components are checked for other users and
    /// removed: a component is never removed under a plugin installed
    /// meanwhile.
    components_gc: std::sync::Arc<std::sync::Mutex<()>>,
    /// Per tenant, how many of its runs completed since the store was
    /// opened (in memory: caches built from complete runs live in this
    /// process too, and key on it; see [`Store::run_completions`]).
    completions: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>>,
    /// Each tenant's ingest clock: who reads which generation, who writes.
    versions: versions::Versions,
    /// What opening the store found a crash had left, and undid.
    recovery: std::sync::Arc<Recovery>,
}

/// What [`Store::open`] found a crash had left, and undid.
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    /// Ingests that were not committed, rolled back.
    pub ingests: Vec<RolledBack>,
    /// Large writes of a version-1 store, rolled back.
    pub legacy_writes: usize,
    /// Runs (tenant, id) found running, marked failed.
    pub runs: Vec<(String, u64)>,
    /// Tenants whose deletion was cut short, now finished.
    pub deletions: Vec<String>,
}

impl Recovery {
    /// One line per thing undone, for the log at start-up.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .ingests
            .iter()
            .map(|r| {
                format!(
                    "rolled back an unfinished ingest of tenant {:?} (generation {}, {} record(s)): the process stopped before it was committed",
                    r.tenant, r.generation, r.records
                )
            })
            .collect();
        for (tenant, id) in &self.runs {
            lines.push(format!(
                "run {id} of tenant {tenant} was interrupted by the last stop; marked failed"
            ));
        }
        for tenant in &self.deletions {
            lines.push(format!(
                "finished deleting tenant {tenant:?}: the last stop cut its deletion short"
            ));
        }
        if self.legacy_writes > 0 {
            lines.push(format!(
                "rolled back {} unfinished write(s) of the previous version",
                self.legacy_writes
            ));
        }
        lines
    }
}

/// Ends a sled transaction with `e` (nothing it wrote is kept).
fn abort<T>(e: StoreError) -> sled::transaction::ConflictableTransactionResult<T, StoreError> {
    Err(sled::transaction::ConflictableTransactionError::Abort(e))
}

/// A failed sled transaction as a store error.
fn transaction_error(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

/// Now, unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether a tenant id is well formed.
pub fn valid_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Opens sled, waiting up to two seconds for the folder's lock: a store just
/// closed in this process (a restart, a test) releases it when sled's
/// background flusher exits, a moment after the last handle is dropped.
fn open_with_retry(config: &sled::Config) -> Result<sled::Db, StoreError> {
    let mut attempts = 0;
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::Other
                    && e.to_string().contains("could not acquire lock")
                    && attempts < 100 =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`: checks the schema
    /// version, migrates older stores, and marks runs interrupted by a crash
    /// as failed.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let config = sled::Config::new()
            .path(dir)
            // 96 MiB of page cache: a 1M-account run peaks at about 1 GiB
            // (256 MiB: about 2 GiB, and no faster; BENCHMARKS.md).
            .cache_capacity(96 << 20);
        // Private to this user: 0700 folder, 0600 files (see `perms`).
        let restrict = || {
            perms::restrict(dir).map_err(|e| {
                sled::Error::Io(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", dir.display()),
                ))
            })
        };
        restrict()?;
        let db = open_with_retry(&config)?;
        restrict()?;
        let store = Store {
            meta: db.open_tree("meta")?,
            tenants: db.open_tree("tenants")?,
            data: db.open_tree("data")?,
            components: db.open_tree("components")?,
            plugin_state: db.open_tree("plugin_state")?,
            runs: db.open_tree("runs")?,
            results: db.open_tree("results")?,
            access: db.open_tree("access")?,
            shadows: db.open_tree("shadows")?,
            audit: db.open_tree("audit")?,
            trust: db.open_tree("trust")?,
            triggers: db.open_tree("triggers")?,
            webhooks: db.open_tree("webhooks")?,
            events: db.open_tree("events")?,
            outbox: db.open_tree("outbox")?,
            deliveries: db.open_tree("deliveries")?,
            due: db.open_tree("due")?,
            trust_writes: Default::default(),
            rule_writes: Default::default(),
            components_gc: Default::default(),
            completions: Default::default(),
            versions: Default::default(),
            recovery: Default::default(),
            db,
        };
        let found = store.migrate()?;
        let recovery = Recovery {
            legacy_writes: store.roll_back_interrupted_writes()?,
            ingests: store.recover_ingests()?,
            runs: store.fail_interrupted_runs()?,
            // Last: what the steps before wrote of a deleted tenant goes too.
            deletions: store.finish_interrupted_deletions()?,
        };
        // After recovery: every record left is committed.
        store.finish_migration(found)?;
        Ok(Store {
            recovery: std::sync::Arc::new(recovery),
            ..store
        })
    }

    /// What opening the store found a crash had left, and undid (for the
    /// log at start-up).
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Refuses a newer store; returns the version found (0: a new store).
    /// The version is written by [`Store::finish_migration`], after recovery.
    fn migrate(&self) -> Result<u32, StoreError> {
        let found = match self.meta.get("schema_version")? {
            Some(v) => u32::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("the stored schema version".into()))?,
            ),
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(found)
    }

    /// Brings a store of version `found` to [`SCHEMA_VERSION`]: version 0 is
    /// a new, empty store; 1 and 2 need only their catalogs (1 to 2
    /// rewrites nothing). The version is written last, so a crash in the
    /// middle runs the (idempotent) steps again at the next open.
    fn finish_migration(&self, found: u32) -> Result<(), StoreError> {
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        if found > 0 && found < 3 {
            self.backfill_catalogs()?;
        }
        self.meta
            .insert("schema_version", &SCHEMA_VERSION.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// The schema version in the store.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .meta
            .get("schema_version")?
            .and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes))
            .unwrap_or(0))
    }

    /// Writes everything to disk (every write path already flushes before
    /// it returns; this is for shutdown).
    pub fn flush_all(&self) -> Result<(), StoreError> {
        self.flush()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Creates a tenant (durable on return), recorded in the operator's
    /// audit log as done by `local`. Refuses a malformed or taken id.
    pub fn create_tenant(&self, id: &str, name: &str) -> Result<Tenant, StoreError> {
        self.create_tenant_by(id, name, "local")
    }

    /// Creates a tenant marked as the demo's own ([`Tenant::demo`]).
    pub fn create_demo_tenant(&self, id: &str, name: &str) -> Result<Tenant, StoreError> {
        self.create_tenant_marked(id, name, "local", true)
    }

    /// Marks an existing tenant as the demo's own (a demo tenant made by a
    /// version before the mark existed).
    pub fn mark_demo_tenant(&self, id: &str) -> Result<(), StoreError> {
        let mut t = self.tenant(id)?;
        t.demo = true;
        self.tenants.insert(id, codec::encode_json(&t))?;
        self.flush()
    }

    /// [`Store::create_tenant`] for `by` (`local`, or the API key that asked).
    pub fn create_tenant_by(&self, id: &str, name: &str, by: &str) -> Result<Tenant, StoreError> {
        self.create_tenant_marked(id, name, by, false)
    }

    fn create_tenant_marked(
        &self,
        id: &str,
        name: &str,
        by: &str,
        demo: bool,
    ) -> Result<Tenant, StoreError> {
        if !valid_tenant_id(id) {
            return Err(StoreError::Invalid(format!(
                "tenant id {id:?}: use 1-64 lowercase letters, digits and '-'"
            )));
        }
        check_free_text(&format!("tenant {id:?} name"), name, 200).map_err(StoreError::Invalid)?;
        let tenant = Tenant {
            id: id.into(),
            name: name.into(),
            created_ms: now_ms(),
            limits: None,
            demo,
        };
        let value = codec::encode_json(&tenant);
        let record = AuditRecord::now(
            by,
            AuditAction::TenantCreated,
            id,
            format!("named {name:?}"),
        );
        let (log_key, log_value) = self.audit_entry(None, &record)?;
        let deleting = tenant_delete::deletion_key(id);
        use sled::Transactional;
        (&self.tenants, &self.meta, &self.audit)
            .transaction(|(tenants, meta, audit)| {
                if tenants.get(id)?.is_some() {
                    return abort(StoreError::Conflict(format!(
                        "tenant {id:?} already exists"
                    )));
                }
                if meta.get(&deleting)?.is_some() {
                    return abort(StoreError::Retry(format!(
                        "tenant {id:?} is being deleted; retry once the deletion has ended"
                    )));
                }
                tenants.insert(id, value.as_slice())?;
                audit.insert(log_key.as_slice(), log_value.as_slice())?;
                Ok(())
            })
            .map_err(transaction_error)?;
        self.flush()?;
        Ok(tenant)
    }

    /// A tenant by id.
    pub fn tenant(&self, id: &str) -> Result<Tenant, StoreError> {
        match self.tenants.get(id)? {
            Some(v) => Ok(codec::decode("tenant", &v)?),
            None => Err(StoreError::NotFound {
                what: "tenant",
                id: id.into(),
            }),
        }
    }

    /// Every tenant, by id.
    pub fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.tenants
            .iter()
            .map(|kv| Ok(codec::decode("tenant", &kv?.1)?))
            .collect()
    }

    /// Sets (or clears) a tenant's limits; the runtime caps them by the operator's.
    pub fn set_tenant_limits(
        &self,
        id: &str,
        limits: Option<crate::contract::Limits>,
    ) -> Result<(), StoreError> {
        let mut t = self.tenant(id)?;
        t.limits = limits;
        self.tenants.insert(id, codec::encode_json(&t))?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_created_once_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.create_tenant("acme", "Acme Inc").unwrap();
            assert!(s.create_tenant("acme", "again").is_err());
            assert!(s.create_tenant("Bad Id", "x").is_err());
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.tenant("acme").unwrap().name, "Acme Inc");
        assert_eq!(s.tenants().unwrap().len(), 1);
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(matches!(s.tenant("nope"), Err(StoreError::NotFound { .. })));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.meta
                .insert("schema_version", &(SCHEMA_VERSION + 1).to_be_bytes())
                .unwrap();
            s.flush().unwrap();
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }
}

#[cfg(test)]
mod activation_tests;
#[cfg(test)]
mod erase_tests;
#[cfg(test)]
mod ingest_tests;
#[cfg(test)]
mod outbox_tests;
#[cfg(test)]
mod store_tests;
