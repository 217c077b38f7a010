//! Plugins: components content-addressed by hash (shared by every tenant
//! that installs the same bytes), each tenant's installed versions and its
//! configuration per plugin name (which version is active: `activation`).

use super::activation::ActiveRecord;
use super::keys::tenant_key;
use super::{Store, StoreError, codec, now_ms};
use crate::contract::{PluginKind, PluginMetadata};
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
            return Err(StoreError::Conflict(format!(
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
            (
                None,
                Some(ActiveRecord {
                    version: Some(v), ..
                }),
            ) => v.clone(),
            (None, _) => {
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
        p.active = active.is_some_and(|a| a.version.as_deref() == Some(p.version.as_str()));
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
        let mut names: Vec<&str> = out.iter().map(|p| p.name.as_str()).collect();
        names.dedup();
        let active = self.active_records(tenant, &names)?;
        for p in &mut out {
            p.active = active
                .get(&p.name)
                .is_some_and(|a| a.version.as_deref() == Some(p.version.as_str()));
        }
        out.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.installed_ms.cmp(&b.installed_ms))
        });
        Ok(out)
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
}
