//! A tenant's vendor packs (issue #18): the releases installed, which one
//! is active, the versions before it (for rollback), and the tenant's
//! tuning of each pack plugin (a JSON merge patch over the vendor's
//! defaults, kept across upgrades).
//!
//! Records, in the plugin-state tree beside the plugins they install:
//! - `TENANT 0 p 0 PACK 0 VERSION` -> [`PackRelease`] (the exact signed
//!   manifest and its signature, never re-serialised);
//! - `TENANT 0 q 0 PACK` -> [`PackState`].
//!
//! Installing a release writes its components, its plugin versions, the
//! release and (when asked) every plugin's activation and effective
//! configuration in one sled transaction over the components and plugin
//! trees: one bad component and nothing is installed, and no reader sees
//! half a pack switched on. The store does not judge configurations: the
//! service validates the effective configurations it hands in.

use super::activation::{Change, HealthModels, active_version_in, change_in, unwrap_transaction};
use super::keys::tenant_key;
use super::plugins::InstalledPlugin;
use super::{Store, StoreError, codec, now_ms};
use crate::contract::{ContractVersion, PluginKind, PluginMetadata};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use std::collections::BTreeMap;

/// One installed version of a vendor pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackRelease {
    /// The pack's name.
    pub name: String,
    /// Its semantic version.
    pub version: String,
    /// Who made it.
    pub vendor: String,
    /// What it does.
    pub description: String,
    /// The id of the key that signed it (`None`: unsigned, installed
    /// because the operator allowed unsigned packs).
    pub key_id: Option<String>,
    /// The manifest exactly as signed (UTF-8 JSON).
    pub manifest: String,
    /// The signature exactly as shipped (minisign's text).
    pub signature: Option<String>,
    /// Its plugins.
    pub plugins: Vec<PackReleasePlugin>,
    /// When the tenant installed it (unix ms).
    pub installed_ms: u64,
}

impl PackRelease {
    /// Its name and version.
    pub fn reference(&self) -> PackRef {
        PackRef {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// One plugin of a pack release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackReleasePlugin {
    /// Plugin name (from its metadata).
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Its world.
    pub kind: PluginKind,
    /// sha-256 of its component.
    pub hash: String,
    /// The vendor's default configuration.
    pub defaults: serde_json::Value,
    /// The vendor's README, if shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme: Option<String>,
}

/// A tenant's state of one pack name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackState {
    /// The active release's version (`None`: installed, never activated).
    pub active: Option<String>,
    /// Versions active before it, oldest first (rollback walks back).
    #[serde(default)]
    pub previous: Vec<String>,
    /// The tenant's merge patch per plugin name, over the vendor defaults.
    #[serde(default)]
    pub patches: BTreeMap<String, serde_json::Value>,
}

/// Which pack release a plugin version came from (named by every run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackRef {
    /// The pack's name.
    pub name: String,
    /// The release's version.
    pub version: String,
}

/// A validated component to store with its release.
pub struct PackComponent<'a> {
    /// sha-256 of the bytes.
    pub hash: &'a str,
    /// The component.
    pub bytes: &'a [u8],
    /// Its metadata.
    pub metadata: &'a PluginMetadata,
    /// Its contract version.
    pub contract: ContractVersion,
}

/// What a pack change did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackChange {
    /// The pack.
    pub pack: String,
    /// Its active version after the change (`None`: none active yet).
    pub active: Option<String>,
    /// Plugins switched on (or kept on) by the change.
    pub activated: Vec<InstalledPlugin>,
    /// Plugins switched off: the old release's plugins the new one does not
    /// have, and other health models (one is active at a time).
    pub deactivated: Vec<InstalledPlugin>,
    /// Other packs this change took a plugin from: switched off whole
    /// (their plugins left on keep running; a rollback switches them on).
    #[serde(default)]
    pub packs_deactivated: Vec<String>,
}

/// How a pack's state changes.
enum Switch<'a> {
    /// Makes `version` active, pushing the current one on the history.
    To(&'a str),
    /// Goes back to the last version of the history.
    Back,
}

fn release_key(tenant: &str, pack: &str, version: &str) -> Vec<u8> {
    tenant_key(tenant, &[b"p", pack.as_bytes(), version.as_bytes()])
}

fn state_key(tenant: &str, pack: &str) -> Vec<u8> {
    tenant_key(tenant, &[b"q", pack.as_bytes()])
}

fn config_key(tenant: &str, plugin: &str) -> Vec<u8> {
    tenant_key(tenant, &[b"c", plugin.as_bytes()])
}

fn installed_key(tenant: &str, name: &str, version: &str) -> Vec<u8> {
    tenant_key(tenant, &[b"i", name.as_bytes(), version.as_bytes()])
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

fn read_in<T: serde::de::DeserializeOwned>(
    tx: &TransactionalTree,
    what: &'static str,
    key: &[u8],
) -> TxResult<Option<T>> {
    match tx.get(key)? {
        Some(v) => codec::decode(what, &v)
            .map(Some)
            .map_err(|e| ConflictableTransactionError::Abort(e.into())),
        None => Ok(None),
    }
}

impl Store {
    /// Installs a pack release for a tenant: its components, its plugin
    /// versions and the release, and with `activate` (the effective
    /// configuration of each of its plugins) switches it on, all in one
    /// transaction. The same release again is a no-op (then activated if
    /// asked); the same version with another manifest, or a plugin version
    /// already installed with other bytes, is refused and nothing written.
    pub fn install_pack(
        &self,
        tenant: &str,
        release: &PackRelease,
        components: &[PackComponent<'_>],
        activate: Option<&BTreeMap<String, String>>,
    ) -> Result<PackChange, StoreError> {
        self.require_tenant(tenant)?;
        let mut models = HealthModels::of(self, tenant)?;
        for c in components {
            models.add(&c.metadata.name, &c.metadata.version, c.metadata.kind);
        }
        let now = now_ms();
        let records: Vec<(Vec<u8>, InstalledPlugin)> = components
            .iter()
            .map(|c| {
                (
                    installed_key(tenant, &c.metadata.name, &c.metadata.version),
                    InstalledPlugin {
                        name: c.metadata.name.clone(),
                        version: c.metadata.version.clone(),
                        hash: c.hash.into(),
                        kind: c.metadata.kind,
                        contract: c.contract,
                        metadata: c.metadata.clone(),
                        installed_ms: now,
                        active: false,
                    },
                )
            })
            .collect();
        // Not while a deleted tenant's components are being removed.
        let _held = self.components_gc.lock().unwrap_or_else(|e| e.into_inner());
        let owners = self.other_packs_plugins(tenant, &release.name)?;
        let written = (&self.components, &self.plugin_state, &self.trust).transaction(|(comp, state, trust)| {
            refuse_revoked_in(trust, &release.name, &release.version, release.key_id.as_deref())?;
            let key = release_key(tenant, &release.name, &release.version);
            match read_in::<PackRelease>(state, "pack release", &key)? {
                Some(existing) if existing.manifest != release.manifest => {
                    return abort(StoreError::Conflict(format!(
                        "{} {} is already installed with a different manifest; pack versions are immutable: the vendor bumps the version",
                        release.name, release.version
                    )));
                }
                // The same release signed now where it was not (or by
                // another key): the signature as shipped now is kept.
                Some(existing)
                    if release.signature.is_some() && existing.key_id != release.key_id =>
                {
                    let record = PackRelease {
                        installed_ms: existing.installed_ms,
                        ..release.clone()
                    };
                    state.insert(key, codec::encode_json(&record))?;
                }
                Some(_) => {}
                None => {
                    state.insert(key, codec::encode_json(release))?;
                }
            }
            for ((key, record), c) in records.iter().zip(components) {
                if let Some(v) = state.get(key)? {
                    let existing: ComponentHash = codec::decode("plugin", &v)
                        .map_err(|e| ConflictableTransactionError::Abort(e.into()))?;
                    if existing.hash != record.hash {
                        return abort(StoreError::Conflict(format!(
                            "plugin {} {} of the pack is already installed with different content (sha-256 {}); versions are immutable",
                            record.name, record.version, existing.hash
                        )));
                    }
                    continue;
                }
                if comp.get(c.hash.as_bytes())?.is_none() {
                    comp.insert(c.hash.as_bytes(), c.bytes)?;
                }
                state.insert(key.clone(), codec::encode_json(record))?;
            }
            match activate {
                Some(configs) => switch_in(
                    state,
                    trust,
                    tenant,
                    &release.name,
                    Switch::To(&release.version),
                    configs,
                    &models,
                    &owners,
                ),
                None => {
                    let key = state_key(tenant, &release.name);
                    let current: Option<PackState> = read_in(state, "pack state", &key)?;
                    if current.is_none() {
                        state.insert(key, codec::encode_json(&PackState::default()))?;
                    }
                    Ok(Switched {
                        active: current.and_then(|c| c.active),
                        on: vec![],
                        off: vec![],
                        packs_off: vec![],
                    })
                }
            }
        });
        let switched = unwrap_transaction(written)?;
        self.flush()?;
        self.pack_change(tenant, &release.name, switched)
    }

    /// Makes an installed release the active one: every plugin of it on
    /// with its effective configuration (`configs`), the previous
    /// release's plugins it does not have off; one transaction.
    pub fn activate_pack(
        &self,
        tenant: &str,
        pack: &str,
        version: &str,
        configs: &BTreeMap<String, String>,
    ) -> Result<PackChange, StoreError> {
        self.pack_release(tenant, pack, version)?;
        self.switch_pack(tenant, pack, Switch::To(version), configs)
    }

    /// The version `rollback_pack` would go back to, if any.
    pub fn pack_rollback_target(
        &self,
        tenant: &str,
        pack: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self.pack_state(tenant, pack)?.previous.last().cloned())
    }

    /// Goes back to the release active before the current one, with the
    /// effective configurations `configs` (its defaults under the same
    /// patch); one transaction.
    pub fn rollback_pack(
        &self,
        tenant: &str,
        pack: &str,
        configs: &BTreeMap<String, String>,
    ) -> Result<PackChange, StoreError> {
        self.switch_pack(tenant, pack, Switch::Back, configs)
    }

    fn switch_pack(
        &self,
        tenant: &str,
        pack: &str,
        switch: Switch<'_>,
        configs: &BTreeMap<String, String>,
    ) -> Result<PackChange, StoreError> {
        self.require_tenant(tenant)?;
        let models = HealthModels::of(self, tenant)?;
        let owners = self.other_packs_plugins(tenant, pack)?;
        let written = (&self.plugin_state, &self.trust).transaction(|(tx, trust)| {
            switch_in(
                tx,
                trust,
                tenant,
                pack,
                switch_copy(&switch),
                configs,
                &models,
                &owners,
            )
        });
        let switched = unwrap_transaction(written)?;
        self.flush()?;
        self.pack_change(tenant, pack, switched)
    }

    /// Sets the tenant's patch of one plugin of a pack and, when given, the
    /// plugin's effective configuration (when the pack is active), in one
    /// transaction. `None` patch: back to the vendor defaults.
    pub fn set_pack_patch(
        &self,
        tenant: &str,
        pack: &str,
        plugin: &str,
        patch: Option<&serde_json::Value>,
        effective: Option<&str>,
    ) -> Result<PackState, StoreError> {
        self.require_tenant(tenant)?;
        let written = self.plugin_state.transaction(|tx| {
            let key = state_key(tenant, pack);
            let mut state: PackState = read_in(tx, "pack state", &key)?.ok_or_else(|| {
                ConflictableTransactionError::Abort(StoreError::NotFound {
                    what: "pack",
                    id: pack.into(),
                })
            })?;
            match patch {
                Some(p) => state.patches.insert(plugin.into(), p.clone()),
                None => state.patches.remove(plugin),
            };
            tx.insert(key, codec::encode_json(&state))?;
            if let Some(text) = effective {
                tx.insert(config_key(tenant, plugin), text.as_bytes())?;
            }
            Ok(state)
        });
        let state = unwrap_transaction(written)?;
        self.flush()?;
        Ok(state)
    }

    /// One installed release.
    pub fn pack_release(
        &self,
        tenant: &str,
        pack: &str,
        version: &str,
    ) -> Result<PackRelease, StoreError> {
        self.require_tenant(tenant)?;
        match self.plugin_state.get(release_key(tenant, pack, version))? {
            Some(v) => Ok(codec::decode("pack release", &v)?),
            None => Err(StoreError::NotFound {
                what: "pack version",
                id: format!("{pack} {version}"),
            }),
        }
    }

    /// Every installed release of a tenant, by pack name then install order.
    pub fn pack_releases(&self, tenant: &str) -> Result<Vec<PackRelease>, StoreError> {
        self.require_tenant(tenant)?;
        let mut out: Vec<PackRelease> = self
            .plugin_state
            .scan_prefix(tenant_key(tenant, &[b"p", b""]))
            .map(|kv| Ok(codec::decode("pack release", &kv?.1)?))
            .collect::<Result<_, StoreError>>()?;
        out.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.installed_ms.cmp(&b.installed_ms))
        });
        Ok(out)
    }

    /// A tenant's state of a pack name (not found when never installed).
    pub fn pack_state(&self, tenant: &str, pack: &str) -> Result<PackState, StoreError> {
        self.require_tenant(tenant)?;
        match self.plugin_state.get(state_key(tenant, pack))? {
            Some(v) => Ok(codec::decode("pack state", &v)?),
            None => Err(StoreError::NotFound {
                what: "pack",
                id: pack.into(),
            }),
        }
    }

    /// The plugin versions of the other packs' active releases, by (name,
    /// version): what a switch of `pack` may turn off under them.
    fn other_packs_plugins(
        &self,
        tenant: &str,
        pack: &str,
    ) -> Result<BTreeMap<(String, String), String>, StoreError> {
        let mut out = BTreeMap::new();
        for release in self.pack_releases(tenant)? {
            if release.name == pack
                || self.pack_state(tenant, &release.name)?.active.as_deref()
                    != Some(release.version.as_str())
            {
                continue;
            }
            for p in release.plugins {
                out.insert((p.name, p.version), release.name.clone());
            }
        }
        Ok(out)
    }

    /// The pack release a plugin version came from: the active release of
    /// a pack that holds it, else the newest release that does (a shadow
    /// run of an upgrade not yet active); `None` for a plugin installed on
    /// its own.
    pub fn pack_of(
        &self,
        tenant: &str,
        plugin: &str,
        hash: &str,
    ) -> Result<Option<PackRef>, StoreError> {
        let mut newest: Option<&PackRelease> = None;
        let releases = self.pack_releases(tenant)?;
        for release in &releases {
            if !release
                .plugins
                .iter()
                .any(|p| p.name == plugin && p.hash == hash)
            {
                continue;
            }
            let state = self.pack_state(tenant, &release.name)?;
            if state.active.as_deref() == Some(release.version.as_str()) {
                return Ok(Some(release.reference()));
            }
            if newest.is_none_or(|n| n.installed_ms <= release.installed_ms) {
                newest = Some(release);
            }
        }
        Ok(newest.map(PackRelease::reference))
    }

    /// The answer to a switch: the plugins' records as they are now.
    fn pack_change(
        &self,
        tenant: &str,
        pack: &str,
        switched: Switched,
    ) -> Result<PackChange, StoreError> {
        let read = |pairs: &[(String, String)]| -> Result<Vec<InstalledPlugin>, StoreError> {
            pairs
                .iter()
                .map(|(n, v)| self.plugin(tenant, n, Some(v)))
                .collect()
        };
        Ok(PackChange {
            pack: pack.into(),
            active: switched.active,
            activated: read(&switched.on)?,
            deactivated: read(&switched.off)?,
            packs_deactivated: switched.packs_off,
        })
    }
}

/// Only the hash of a plugin record (a record of any age has it).
#[derive(Deserialize)]
struct ComponentHash {
    hash: String,
}

/// What a switch did, as (name, version) pairs.
struct Switched {
    active: Option<String>,
    on: Vec<(String, String)>,
    off: Vec<(String, String)>,
    packs_off: Vec<String>,
}

/// Refuses, inside the writing transaction, a release the operator revoked
/// (or whose key it revoked): a revocation that lands while an install is
/// being checked still stops it.
fn refuse_revoked_in(
    trust: &TransactionalTree,
    pack: &str,
    version: &str,
    key_id: Option<&str>,
) -> TxResult<()> {
    if let Some(r) = read_in::<super::RevokedRelease>(
        trust,
        "revoked pack",
        &super::trust::release_key(pack, version),
    )? {
        return abort(StoreError::Revoked(format!(
            "{pack} {version} was revoked by the operator: {}",
            r.revocation.reason
        )));
    }
    if let Some(id) = key_id
        && let Some(k) =
            read_in::<super::TrustedKey>(trust, "trusted key", &super::trust::key_key(id))?
        && let Some(r) = k.revoked
    {
        return abort(StoreError::Revoked(format!(
            "{pack} {version} is signed by key {id}, which the operator revoked: {}",
            r.reason
        )));
    }
    Ok(())
}

/// Marks another pack switched off (kept for a rollback) once a switch
/// took one of its plugins away.
fn pack_switched_off(
    tx: &TransactionalTree,
    tenant: &str,
    pack: &str,
    packs_off: &mut Vec<String>,
) -> TxResult<()> {
    if packs_off.iter().any(|p| p == pack) {
        return Ok(());
    }
    let key = state_key(tenant, pack);
    if let Some(mut state) = read_in::<PackState>(tx, "pack state", &key)?
        && let Some(active) = state.active.take()
    {
        state.previous.push(active);
        tx.insert(key, codec::encode_json(&state))?;
        packs_off.push(pack.to_string());
    }
    Ok(())
}

fn switch_copy<'a>(s: &Switch<'a>) -> Switch<'a> {
    match s {
        Switch::To(v) => Switch::To(v),
        Switch::Back => Switch::Back,
    }
}

/// Switches a pack's active release inside a transaction: the old
/// release's plugins the new one lacks off (when still on at the old
/// version), every plugin of the new one on with its configuration, the
/// pack's state updated.
#[allow(clippy::too_many_arguments)]
fn switch_in(
    tx: &TransactionalTree,
    trust: &TransactionalTree,
    tenant: &str,
    pack: &str,
    switch: Switch<'_>,
    configs: &BTreeMap<String, String>,
    models: &HealthModels,
    owners: &BTreeMap<(String, String), String>,
) -> TxResult<Switched> {
    let key = state_key(tenant, pack);
    let mut state: PackState = read_in(tx, "pack state", &key)?.unwrap_or_default();
    let old = state.active.clone();
    let target = match switch {
        Switch::To(v) => {
            if let Some(current) = old.as_deref().filter(|c| *c != v) {
                state.previous.push(current.to_string());
            }
            v.to_string()
        }
        Switch::Back => match state.previous.pop() {
            Some(v) => v,
            None => {
                return abort(StoreError::Invalid(format!(
                    "pack {pack} has no earlier active version to roll back to"
                )));
            }
        },
    };
    let Some(new): Option<PackRelease> =
        read_in(tx, "pack release", &release_key(tenant, pack, &target))?
    else {
        return abort(StoreError::NotFound {
            what: "pack version",
            id: format!("{pack} {target}"),
        });
    };
    refuse_revoked_in(trust, pack, &target, new.key_id.as_deref())?;
    let mut off = Vec::new();
    let mut packs_off = Vec::new();
    if let Some(old_version) = old.as_deref().filter(|o| *o != target)
        && let Some(old_release) =
            read_in::<PackRelease>(tx, "pack release", &release_key(tenant, pack, old_version))?
    {
        for p in &old_release.plugins {
            if new.plugins.iter().any(|n| n.name == p.name) {
                continue;
            }
            if active_version_in(tx, tenant, &p.name)?.as_deref() == Some(p.version.as_str()) {
                change_in(tx, tenant, &p.name, &Change::Deactivate, false, models)?;
                off.push((p.name.clone(), p.version.clone()));
            }
        }
    }
    let mut on = Vec::new();
    for p in &new.plugins {
        let Some(config) = configs.get(&p.name) else {
            return abort(StoreError::Invalid(format!(
                "no configuration given for plugin {} of {pack} {target}",
                p.name
            )));
        };
        // A plugin of another active pack replaced under it: that pack is
        // no longer whole, so it is switched off (a rollback brings it back).
        if let Some(current) = active_version_in(tx, tenant, &p.name)?
            && let Some(owner) = owners.get(&(p.name.clone(), current))
        {
            pack_switched_off(tx, tenant, owner, &mut packs_off)?;
        }
        let change = Change::Activate {
            version: &p.version,
            hash: &p.hash,
        };
        let (_, switched_off) = change_in(tx, tenant, &p.name, &change, true, models)?;
        for (n, v) in &switched_off {
            if let Some(owner) = owners.get(&(n.clone(), v.clone())) {
                pack_switched_off(tx, tenant, owner, &mut packs_off)?;
            }
        }
        off.extend(switched_off);
        tx.insert(config_key(tenant, &p.name), config.as_bytes())?;
        on.push((p.name.clone(), p.version.clone()));
    }
    state.active = Some(target);
    tx.insert(key, codec::encode_json(&state))?;
    Ok(Switched {
        active: state.active,
        on,
        off,
        packs_off,
    })
}

#[cfg(test)]
#[path = "packs_tests.rs"]
mod tests;
