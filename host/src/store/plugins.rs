//! Plugins: components content-addressed by hash (shared by every tenant
//! that installs the same bytes), each tenant's installed versions and its
//! configuration per plugin name (which version is active: `activation`).

use super::activation::ActiveRecord;
use super::keys::tenant_key;
use super::{Store, StoreError, codec, now_ms};
use crate::contract::{ContractVersion, PluginKind, PluginMetadata};
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
    /// The contract version of that world, `0.1.0` or `0.2.0`. Recorded at
    /// install; a record from before hosts recorded it is told by its
    /// component's exports when read (see [`Store::read_plugin`]).
    pub contract: ContractVersion,
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
        contract: ContractVersion,
    ) -> Result<InstalledPlugin, StoreError> {
        self.require_tenant(tenant)?;
        let key = tenant_key(
            tenant,
            &[b"i", metadata.name.as_bytes(), metadata.version.as_bytes()],
        );
        if let Some(existing) = self.plugin_state.get(&key)? {
            let existing = self.read_plugin(&existing)?;
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
            contract,
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

    /// Reads an installed version's record. A record written before hosts
    /// recorded the contract version has no `contract`: its component's
    /// exports tell it (components never change), so every record read
    /// says its version, and hosts that predate the field still read the
    /// records written now (they ignore it). Nothing is rewritten: a read
    /// never writes, and the rare old record costs one parse of its
    /// component's top-level sections.
    pub(super) fn read_plugin(&self, bytes: &[u8]) -> Result<InstalledPlugin, StoreError> {
        let mut record: serde_json::Value = codec::decode("plugin", bytes)?;
        if let Some(fields) = record.as_object_mut()
            && !fields.contains_key("contract")
        {
            let hash = fields
                .get("hash")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            let contract = ContractVersion::of_component(&self.component(&hash)?).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "plugin record of component {hash}: no contract recorded, and the component exports no plugin world"
                ))
            })?;
            fields.insert("contract".into(), serde_json::json!(contract));
        }
        serde_json::from_value(record).map_err(|e| {
            codec::CodecError {
                what: "plugin",
                reason: e.to_string(),
            }
            .into()
        })
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
            Some(v) => self.read_plugin(&v)?,
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
            .map(|kv| self.read_plugin(&kv?.1))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A component whose only export is `world` (an empty instance: only
    /// the name tells the version).
    fn component(world: &str) -> Vec<u8> {
        wat::parse_str(format!(
            "(component (instance $i) (export \"{world}\" (instance $i)))"
        ))
        .unwrap()
    }

    fn meta(name: &str) -> PluginMetadata {
        PluginMetadata {
            name: name.into(),
            version: "1.0.0".into(),
            kind: PluginKind::HealthModel,
            description: "d".into(),
            config_schema: "{}".into(),
            reads: vec![],
        }
    }

    /// Rewrites a stored record as a host from before the version was
    /// recorded wrote it: without `contract`.
    fn strip_contract(s: &Store, name: &str) {
        let key = tenant_key("t", &[b"i", name.as_bytes(), b"1.0.0"]);
        let mut record: serde_json::Value =
            codec::decode("plugin", &s.plugin_state.get(&key).unwrap().unwrap()).unwrap();
        assert!(record.as_object_mut().unwrap().remove("contract").is_some());
        s.plugin_state
            .insert(&key, codec::encode_json(&record))
            .unwrap();
    }

    #[test]
    fn the_contract_version_is_recorded_and_told_by_the_component_for_old_records() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        for (name, world, version) in [
            ("old", "vitals:plugin/health@0.1.0", ContractVersion::V0_1),
            ("new", "vitals:plugin/health@0.2.0", ContractVersion::V0_2),
        ] {
            let bytes = component(world);
            let added = s
                .add_plugin("t", name, &bytes, &meta(name), version)
                .unwrap();
            assert_eq!(added.contract, version);
            assert_eq!(
                s.plugin("t", name, Some("1.0.0")).unwrap().contract,
                version
            );
            strip_contract(&s, name);
            // Told by the component, not by a default: each its own.
            assert_eq!(
                s.plugin("t", name, Some("1.0.0")).unwrap().contract,
                version
            );
        }
        let listed: Vec<_> = s
            .plugins("t")
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.contract))
            .collect();
        assert_eq!(
            listed,
            [
                ("new".to_string(), ContractVersion::V0_2),
                ("old".to_string(), ContractVersion::V0_1)
            ]
        );
        // Adding the same bytes again reads the old record, and is a no-op.
        let again = s
            .add_plugin(
                "t",
                "old",
                &component("vitals:plugin/health@0.1.0"),
                &meta("old"),
                ContractVersion::V0_1,
            )
            .unwrap();
        assert_eq!(again.contract, ContractVersion::V0_1);
    }

    #[test]
    fn an_old_record_whose_component_names_no_world_is_damage_naming_the_component() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        s.add_plugin(
            "t",
            "h-odd",
            &component("x:y/z"),
            &meta("odd"),
            ContractVersion::V0_2,
        )
        .unwrap();
        strip_contract(&s, "odd");
        let err = s.plugins("t").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
        assert!(err.to_string().contains("component h-odd"), "{err}");
    }
}
