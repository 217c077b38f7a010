//! Plugins: components content-addressed by hash (shared by every tenant
//! that installs the same bytes), each tenant's installed versions, its
//! active version per name with the history for rollback, and its
//! configuration per plugin name.

use super::keys::tenant_key;
use super::{Store, StoreError, codec, now_ms};
use crate::runtime::{PluginKind, PluginMetadata};
use serde::{Deserialize, Serialize};

/// A plugin version installed for a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstalledPlugin {
    /// Name from its metadata.
    pub name: String,
    /// Semantic version from its metadata.
    pub version: String,
    /// sha-256 of the component.
    pub hash: String,
    /// World it implements.
    pub kind: PluginKind,
    /// Its full metadata.
    pub metadata: PluginMetadata,
    /// When the tenant installed it (unix ms).
    pub installed_ms: u64,
    /// Whether it is the tenant's active version of this name.
    #[serde(default)]
    pub active: bool,
}

/// The version of a plugin name a tenant runs, and the ones before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ActiveRecord {
    version: String,
    hash: String,
    /// Earlier active versions, oldest first (for rollback).
    previous: Vec<(String, String)>,
}

/// A tenant's active plugin with its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivePlugin {
    /// The installed version.
    pub plugin: InstalledPlugin,
    /// The tenant's configuration (JSON text; `{}` when unset).
    pub config: String,
}

impl Store {
    /// Stores a validated component for a tenant. The same bytes again are a
    /// no-op; the same name and version with other bytes is refused
    /// (versions are immutable).
    pub fn add_plugin(
        &self,
        tenant: &str,
        hash: &str,
        bytes: &[u8],
        metadata: &PluginMetadata,
    ) -> Result<InstalledPlugin, StoreError> {
        self.require_tenant(tenant)?;
        let key = tenant_key(
            tenant,
            &[b"i", metadata.name.as_bytes(), metadata.version.as_bytes()],
        );
        if let Some(existing) = self.plugin_state.get(&key)? {
            let existing: InstalledPlugin = codec::decode("plugin", &existing)?;
            if existing.hash == hash {
                return Ok(existing);
            }
            return Err(StoreError::Invalid(format!(
                "{} {} is already installed with different content (sha-256 {}); versions are immutable: bump the version",
                metadata.name, metadata.version, existing.hash
            )));
        }
        let installed = InstalledPlugin {
            name: metadata.name.clone(),
            version: metadata.version.clone(),
            hash: hash.into(),
            kind: metadata.kind,
            metadata: metadata.clone(),
            installed_ms: now_ms(),
            active: false,
        };
        {
            // Not while a deleted tenant's components are being removed.
            let _held = self.components_gc.lock().unwrap_or_else(|e| e.into_inner());
            self.components.insert(hash, bytes)?;
            self.plugin_state
                .insert(key, codec::encode_json(&installed))?;
        }
        self.flush()?;
        Ok(installed)
    }

    /// The component bytes of a hash.
    pub fn component(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        self.components
            .get(hash)?
            .map(|v| v.to_vec())
            .ok_or_else(|| StoreError::NotFound {
                what: "component",
                id: hash.into(),
            })
    }

    fn active_record(&self, tenant: &str, name: &str) -> Result<Option<ActiveRecord>, StoreError> {
        Ok(
            match self
                .plugin_state
                .get(tenant_key(tenant, &[b"a", name.as_bytes()]))?
            {
                Some(v) => Some(codec::decode("active plugin", &v)?),
                None => None,
            },
        )
    }

    /// One installed version (`version` `None`: the active one).
    pub fn plugin(
        &self,
        tenant: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<InstalledPlugin, StoreError> {
        let active = self.active_record(tenant, name)?;
        let version = match (version, &active) {
            (Some(v), _) => v.to_string(),
            (None, Some(a)) => a.version.clone(),
            (None, None) => {
                return Err(StoreError::NotFound {
                    what: "active plugin",
                    id: name.into(),
                });
            }
        };
        let key = tenant_key(tenant, &[b"i", name.as_bytes(), version.as_bytes()]);
        let mut p: InstalledPlugin = match self.plugin_state.get(key)? {
            Some(v) => codec::decode("plugin", &v)?,
            None => {
                return Err(StoreError::NotFound {
                    what: "plugin version",
                    id: format!("{name} {version}"),
                });
            }
        };
        p.active = active.is_some_and(|a| a.version == p.version);
        Ok(p)
    }

    /// Every installed version of every plugin of a tenant, by name then install order.
    pub fn plugins(&self, tenant: &str) -> Result<Vec<InstalledPlugin>, StoreError> {
        self.require_tenant(tenant)?;
        let mut out: Vec<InstalledPlugin> = self
            .plugin_state
            .scan_prefix(tenant_key(tenant, &[b"i", b""]))
            .map(|kv| Ok(codec::decode::<InstalledPlugin>("plugin", &kv?.1)?))
            .collect::<Result<_, StoreError>>()?;
        for p in &mut out {
            p.active = self
                .active_record(tenant, &p.name)?
                .is_some_and(|a| a.version == p.version);
        }
        out.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.installed_ms.cmp(&b.installed_ms))
        });
        Ok(out)
    }

    /// Makes `version` the active version of its name (durable on return).
    pub fn activate(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
    ) -> Result<InstalledPlugin, StoreError> {
        let p = self.plugin(tenant, name, Some(version))?;
        self.update_active(tenant, name, |active| {
            Ok(match active {
                Some(a) if a.version == version => a,
                Some(mut a) => {
                    a.previous.push((a.version.clone(), a.hash.clone()));
                    ActiveRecord {
                        version: version.into(),
                        hash: p.hash.clone(),
                        previous: a.previous,
                    }
                }
                None => ActiveRecord {
                    version: version.into(),
                    hash: p.hash.clone(),
                    previous: vec![],
                },
            })
        })?;
        self.plugin(tenant, name, None)
    }

    /// Replaces a name's active record with `change` of it, atomically (a
    /// compare-and-swap, retried if another change came between), and
    /// flushes: two changes at once both take effect, one after the other.
    fn update_active(
        &self,
        tenant: &str,
        name: &str,
        change: impl Fn(Option<ActiveRecord>) -> Result<ActiveRecord, StoreError>,
    ) -> Result<(), StoreError> {
        let key = tenant_key(tenant, &[b"a", name.as_bytes()]);
        loop {
            let raw = self.plugin_state.get(&key)?;
            let current = match &raw {
                Some(v) => Some(codec::decode("active plugin", v)?),
                None => None,
            };
            let next = codec::encode_json(&change(current)?);
            if self
                .plugin_state
                .compare_and_swap(&key, raw, Some(next))?
                .is_ok()
            {
                return self.flush();
            }
        }
    }

    /// The version `rollback` would go back to, if any.
    pub fn rollback_target(&self, tenant: &str, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .active_record(tenant, name)?
            .and_then(|a| a.previous.last().map(|(v, _)| v.clone())))
    }

    /// Goes back to the previously active version of `name`.
    pub fn rollback(&self, tenant: &str, name: &str) -> Result<InstalledPlugin, StoreError> {
        self.update_active(tenant, name, |active| {
            let mut a = active.ok_or_else(|| StoreError::NotFound {
                what: "active plugin",
                id: name.into(),
            })?;
            let (version, hash) = a.previous.pop().ok_or_else(|| {
                StoreError::Invalid(format!(
                    "{name} has no earlier active version to roll back to"
                ))
            })?;
            a.version = version;
            a.hash = hash;
            Ok(a)
        })?;
        self.plugin(tenant, name, None)
    }

    /// Sets a tenant's configuration of a plugin name (already validated
    /// against the plugin's schema by the caller).
    pub fn set_plugin_config(
        &self,
        tenant: &str,
        name: &str,
        config: &str,
    ) -> Result<(), StoreError> {
        self.require_tenant(tenant)?;
        self.plugin_state.insert(
            tenant_key(tenant, &[b"c", name.as_bytes()]),
            config.as_bytes(),
        )?;
        self.flush()
    }

    /// A tenant's configuration of a plugin name (`{}` when unset).
    pub fn plugin_config(&self, tenant: &str, name: &str) -> Result<String, StoreError> {
        Ok(
            match self
                .plugin_state
                .get(tenant_key(tenant, &[b"c", name.as_bytes()]))?
            {
                Some(v) => String::from_utf8_lossy(&v).into_owned(),
                None => "{}".into(),
            },
        )
    }

    /// The tenant's active plugins with their configuration, by name.
    pub fn active_plugins(&self, tenant: &str) -> Result<Vec<ActivePlugin>, StoreError> {
        let mut out = Vec::new();
        for p in self.plugins(tenant)?.into_iter().filter(|p| p.active) {
            let config = self.plugin_config(tenant, &p.name)?;
            out.push(ActivePlugin { plugin: p, config });
        }
        Ok(out)
    }
}
