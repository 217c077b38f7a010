//! Which version of each plugin name a tenant runs: activate, deactivate,
//! roll back, and the rule that at most one health model is active at a
//! time (segments, propensity and forecasts read "the" health score).
//!
//! Each name has one record: its active version (none once deactivated)
//! and the versions active before it, newest last, which `rollback` walks
//! back through. Deactivating pushes the version it switches off onto that
//! history, so a rollback right after a deactivate switches the same
//! version back on. Every change is one sled transaction over the records
//! it touches: activating a health model and deactivating the one it
//! replaces are one atomic write, so no reader ever sees two active or none
//! (readers read the records in a transaction too).

use super::keys::tenant_key;
use super::plugins::{ActivePlugin, InstalledPlugin};
use super::{Store, StoreError, codec};
use crate::contract::PluginKind;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use std::collections::{BTreeMap, HashMap};

/// The version of a plugin name a tenant runs, and the ones before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ActiveRecord {
    /// The active version; `None` while the name is deactivated (records
    /// written before deactivation existed always hold one).
    pub version: Option<String>,
    /// Its component's hash.
    pub hash: Option<String>,
    /// Earlier active versions and their hashes, oldest first (for rollback).
    pub previous: Vec<(String, String)>,
}

impl ActiveRecord {
    /// Switches the active version off, keeping it for a rollback.
    fn switch_off(&mut self) -> Option<String> {
        let version = self.version.take()?;
        let hash = self.hash.take().unwrap_or_default();
        self.previous.push((version.clone(), hash));
        Some(version)
    }
}

/// The answer to an activation (or a rollback): the version now active and
/// the health models switched off to make room for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Activation {
    /// The version now active.
    #[serde(flatten)]
    pub plugin: InstalledPlugin,
    /// Other health models this change deactivated (one health model is
    /// active at a time); empty for other kinds.
    #[serde(default)]
    pub deactivated: Vec<InstalledPlugin>,
}

/// How a name's record changes.
pub(super) enum Change<'a> {
    Activate { version: &'a str, hash: &'a str },
    Deactivate,
    Rollback,
}

impl Store {
    /// The active-record key of a name.
    pub(super) fn active_key(tenant: &str, name: &str) -> Vec<u8> {
        tenant_key(tenant, &[b"a", name.as_bytes()])
    }

    /// One name's record, read on its own.
    pub(super) fn active_record(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<ActiveRecord>, StoreError> {
        Ok(
            match self.plugin_state.get(Self::active_key(tenant, name))? {
                Some(v) => Some(codec::decode("active plugin", &v)?),
                None => None,
            },
        )
    }

    /// The records of `names` as of one instant (a read-only transaction:
    /// a change of several records is seen whole or not at all).
    pub(super) fn active_records(
        &self,
        tenant: &str,
        names: &[&str],
    ) -> Result<HashMap<String, ActiveRecord>, StoreError> {
        let read = self.plugin_state.transaction(|tx| {
            let mut out = HashMap::new();
            for name in names {
                if let Some(record) = read_record(tx, tenant, name)? {
                    out.insert((*name).to_string(), record);
                }
            }
            Ok(out)
        });
        unwrap_transaction(read)
    }

    /// Makes `version` the active version of its name (durable on return).
    /// A health model deactivates any other active health model in the
    /// same atomic write; the answer lists them.
    pub fn activate(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
    ) -> Result<Activation, StoreError> {
        self.activate_one(tenant, name, version, true)
    }

    /// Activates `version` without deactivating other health models: what
    /// stores written before one health model at a time hold. Only for
    /// tests of such stores.
    #[doc(hidden)]
    pub fn activate_beside_other_health_models(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
    ) -> Result<Activation, StoreError> {
        self.activate_one(tenant, name, version, false)
    }

    fn activate_one(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
        one_health_model: bool,
    ) -> Result<Activation, StoreError> {
        let p = self.plugin(tenant, name, Some(version))?;
        let change = Change::Activate {
            version,
            hash: &p.hash,
        };
        let (version, deactivated) = self.change_active(tenant, name, change, one_health_model)?;
        self.activation(tenant, name, version, deactivated)
    }

    /// Switches `name` off: no version of it runs until one is activated
    /// or rolled back to (a rollback switches this version on again).
    /// Returns the version switched off.
    pub fn deactivate(&self, tenant: &str, name: &str) -> Result<InstalledPlugin, StoreError> {
        let version = self
            .active_record(tenant, name)?
            .and_then(|a| a.version)
            .ok_or_else(|| self.not_active(tenant, name))?;
        self.change_active(tenant, name, Change::Deactivate, true)?;
        self.plugin(tenant, name, Some(&version))
    }

    /// Why `name` cannot be deactivated: unknown, or not active.
    fn not_active(&self, tenant: &str, name: &str) -> StoreError {
        match self.plugins(tenant) {
            Ok(all) if all.iter().any(|p| p.name == name) => {
                StoreError::Conflict(format!("{name} is already inactive"))
            }
            Ok(_) => StoreError::NotFound {
                what: "plugin",
                id: name.into(),
            },
            Err(e) => e,
        }
    }

    /// The version `rollback` would go back to, if any.
    pub fn rollback_target(&self, tenant: &str, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .active_record(tenant, name)?
            .and_then(|a| a.previous.last().map(|(v, _)| v.clone())))
    }

    /// Goes back to the version active before the current one (or, after a
    /// deactivate, to the version it switched off). A health model rolled
    /// back to deactivates any other active health model.
    pub fn rollback(&self, tenant: &str, name: &str) -> Result<Activation, StoreError> {
        let (version, deactivated) = self.change_active(tenant, name, Change::Rollback, true)?;
        self.activation(tenant, name, version, deactivated)
    }

    /// The answer to a change that left `version` of `name` active.
    fn activation(
        &self,
        tenant: &str,
        name: &str,
        version: Option<String>,
        deactivated: Vec<InstalledPlugin>,
    ) -> Result<Activation, StoreError> {
        let version = version.ok_or_else(|| StoreError::NotFound {
            what: "active plugin",
            id: name.into(),
        })?;
        Ok(Activation {
            plugin: self.plugin(tenant, name, Some(&version))?,
            deactivated,
        })
    }

    /// Applies `change` to `name`'s record and, when `exclusive` and the
    /// name's new active version is a health model, switches off every
    /// other active health model: one transaction, flushed before return.
    /// Returns the name's active version after it and the versions
    /// switched off.
    fn change_active(
        &self,
        tenant: &str,
        name: &str,
        change: Change<'_>,
        exclusive: bool,
    ) -> Result<(Option<String>, Vec<InstalledPlugin>), StoreError> {
        let models = HealthModels::of(self, tenant)?;
        let written = self
            .plugin_state
            .transaction(|tx| change_in(tx, tenant, name, &change, exclusive, &models));
        let (version, switched_off) = unwrap_transaction(written)?;
        self.flush()?;
        let deactivated = switched_off
            .iter()
            .map(|(n, v)| self.plugin(tenant, n, Some(v)))
            .collect::<Result<_, _>>()?;
        Ok((version, deactivated))
    }

    /// The tenant's active plugins with their configuration, by name. Two
    /// active health models (possible only in a store written before one
    /// at a time was the rule) are refused, naming them: which one the
    /// other kinds should read is the tenant's choice, not ours.
    pub fn active_plugins(&self, tenant: &str) -> Result<Vec<ActivePlugin>, StoreError> {
        let active: Vec<InstalledPlugin> = self
            .plugins(tenant)?
            .into_iter()
            .filter(|p| p.active)
            .collect();
        let health: Vec<String> = active
            .iter()
            .filter(|p| p.kind == PluginKind::HealthModel)
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        if health.len() > 1 {
            return Err(StoreError::SeveralHealthModels(health));
        }
        let mut out = Vec::new();
        for p in active {
            let config = self.plugin_config(tenant, &p.name)?;
            out.push(ActivePlugin { plugin: p, config });
        }
        Ok(out)
    }
}

/// The kind of every installed version of a tenant (versions are
/// immutable, so this is read before a transaction, not in it): which
/// names are health models, for the one-at-a-time rule.
pub(super) struct HealthModels(BTreeMap<(String, String), PluginKind>);

impl HealthModels {
    /// The kinds of a tenant's installed versions.
    pub(super) fn of(store: &Store, tenant: &str) -> Result<Self, StoreError> {
        let mut kinds = BTreeMap::new();
        for p in store.plugins(tenant)? {
            kinds.insert((p.name, p.version), p.kind);
        }
        Ok(HealthModels(kinds))
    }

    /// Adds a version about to be installed in the same transaction.
    pub(super) fn add(&mut self, name: &str, version: &str, kind: PluginKind) {
        self.0.insert((name.into(), version.into()), kind);
    }

    fn is_health(&self, name: &str, version: &str) -> bool {
        self.0.get(&(name.to_string(), version.to_string())) == Some(&PluginKind::HealthModel)
    }

    /// Names with a health-model version, other than `name`.
    fn others(&self, name: &str) -> Vec<&str> {
        let mut others: Vec<&str> = self
            .0
            .iter()
            .filter(|(_, kind)| **kind == PluginKind::HealthModel)
            .map(|((n, _), _)| n.as_str())
            .filter(|n| *n != name)
            .collect();
        others.dedup();
        others
    }
}

/// A name's active version after a change, and the (name, version) pairs
/// of the other health models it switched off.
pub(super) type ChangedInTx = (Option<String>, Vec<(String, String)>);

/// Applies `change` to `name`'s record inside a transaction and, when
/// `exclusive` and the name's new active version is a health model,
/// switches off every other active health model. Returns the name's active
/// version after it and the (name, version) pairs switched off.
pub(super) fn change_in(
    tx: &TransactionalTree,
    tenant: &str,
    name: &str,
    change: &Change<'_>,
    exclusive: bool,
    models: &HealthModels,
) -> Result<ChangedInTx, ConflictableTransactionError<StoreError>> {
    let current = read_record(tx, tenant, name)?;
    let next = apply(name, current, change).map_err(ConflictableTransactionError::Abort)?;
    let mut switched_off = Vec::new();
    let health_now = next
        .version
        .as_deref()
        .is_some_and(|v| models.is_health(name, v));
    if exclusive && health_now {
        for other in models.others(name) {
            let Some(mut record) = read_record(tx, tenant, other)? else {
                continue;
            };
            if record
                .version
                .as_deref()
                .is_some_and(|v| models.is_health(other, v))
                && let Some(version) = record.switch_off()
            {
                tx.insert(
                    Store::active_key(tenant, other),
                    codec::encode_json(&record),
                )?;
                switched_off.push((other.to_string(), version));
            }
        }
    }
    tx.insert(Store::active_key(tenant, name), codec::encode_json(&next))?;
    Ok((next.version, switched_off))
}

/// The active version of `name` inside a transaction.
pub(super) fn active_version_in(
    tx: &TransactionalTree,
    tenant: &str,
    name: &str,
) -> Result<Option<String>, ConflictableTransactionError<StoreError>> {
    Ok(read_record(tx, tenant, name)?.and_then(|r| r.version))
}

/// A name's record inside a transaction.
fn read_record(
    tx: &TransactionalTree,
    tenant: &str,
    name: &str,
) -> Result<Option<ActiveRecord>, ConflictableTransactionError<StoreError>> {
    match tx.get(Store::active_key(tenant, name))? {
        Some(v) => codec::decode("active plugin", &v)
            .map(Some)
            .map_err(|e| ConflictableTransactionError::Abort(e.into())),
        None => Ok(None),
    }
}

/// A name's record after `change`.
fn apply(
    name: &str,
    current: Option<ActiveRecord>,
    change: &Change<'_>,
) -> Result<ActiveRecord, StoreError> {
    let not_found = || StoreError::NotFound {
        what: "active plugin",
        id: name.into(),
    };
    match change {
        Change::Activate { version, hash } => Ok(match current {
            Some(a) if a.version.as_deref() == Some(*version) => a,
            Some(mut a) => {
                a.switch_off();
                a.version = Some((*version).to_string());
                a.hash = Some((*hash).to_string());
                a
            }
            None => ActiveRecord {
                version: Some((*version).to_string()),
                hash: Some((*hash).to_string()),
                previous: vec![],
            },
        }),
        Change::Deactivate => {
            let mut a = current.ok_or_else(not_found)?;
            a.switch_off()
                .ok_or_else(|| StoreError::Conflict(format!("{name} is already inactive")))?;
            Ok(a)
        }
        Change::Rollback => {
            let mut a = current.ok_or_else(not_found)?;
            let (version, hash) = a.previous.pop().ok_or_else(|| {
                StoreError::Invalid(format!(
                    "{name} has no earlier active version to roll back to"
                ))
            })?;
            a.version = Some(version);
            a.hash = Some(hash);
            Ok(a)
        }
    }
}

pub(super) fn unwrap_transaction<T>(
    r: Result<T, TransactionError<StoreError>>,
) -> Result<T, StoreError> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    })
}
