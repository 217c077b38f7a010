//! Installs and upgrades a vendor pack (issue #18): all or nothing.
//!
//! In order, before anything is written: the archive is read whole (every
//! file listed, present and unchanged; `pack::PackArchive::read`), the
//! signature is checked against the operator's trusted keys (unsigned only
//! where the operator allows it; revoked keys and versions refused), the
//! host and contract versions are checked, every component is validated
//! as `plugin add` validates it and must be what the manifest says it is,
//! every default configuration fits its schema, and the tenant's patches
//! fit the new release. Then one store transaction writes it all.

use super::pack_views::*;
use super::{ApiError, ApiResult, Service};
use crate::pack::{PackArchive, PackError, PackLimits, PublicKey};
use crate::runtime::content_hash;
use crate::store::{PackComponent, PackRelease, PackReleasePlugin};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A refused pack as an API error: 422 with the pack error's own code.
pub(super) fn refused(e: PackError) -> ApiError {
    match e {
        PackError::Io(e) => ApiError::internal(e.to_string()),
        e => ApiError::new(422, e.code(), e.to_string()).about("pack"),
    }
}

/// A pack read, checked and validated: what the store is asked to write.
struct Checked {
    release: PackRelease,
    plugins: Vec<Arc<crate::runtime::Plugin>>,
    bytes: Vec<Vec<u8>>,
}

impl Service {
    /// Installs a pack from its bytes (see the module docs); with
    /// `q.activate`, switches it on in the same step.
    pub fn install_pack(
        &self,
        tenant: &str,
        bytes: &[u8],
        q: &PackInstallQuery,
    ) -> ApiResult<PackInstalled> {
        self.store.require_tenant_exists(tenant)?;
        let archive = PackArchive::read(std::io::Cursor::new(bytes), &PackLimits::default())
            .map_err(refused)?;
        let key_id = self.check_signature(&archive)?;
        let checked = self.check_pack(tenant, &archive, key_id)?;
        let release = &checked.release;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        let state = match self.store.pack_state(tenant, &release.name) {
            Ok(s) => Some(s),
            Err(crate::store::StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        if q.upgrade && state.is_none() {
            return Err(ApiError::not_found(format!(
                "pack {} is not installed: install it first (`vitals pack install`)",
                release.name
            ))
            .about("pack"));
        }
        // Lower than the highest installed (active or not) is a downgrade.
        let highest = self
            .store
            .pack_releases(tenant)?
            .into_iter()
            .filter(|r| r.name == release.name)
            .filter_map(|r| semver::Version::parse(&r.version).ok())
            .max();
        if let Some(highest) = highest {
            self.check_version_order(
                &release.name,
                &highest.to_string(),
                &release.version,
                q.allow_downgrade,
            )?;
        }
        // The tenant's patches over the new defaults: checked whether or not
        // it goes live now, so that an upgrade that could never be switched
        // on is refused while the running version stays.
        let patches = state
            .as_ref()
            .map(|s| s.patches.clone())
            .unwrap_or_default();
        let loaded: BTreeMap<&str, &Arc<crate::runtime::Plugin>> = release
            .plugins
            .iter()
            .map(|p| p.name.as_str())
            .zip(&checked.plugins)
            .collect();
        let configs = self.pack_configs(tenant, release, &patches, &|p| {
            Ok(Arc::clone(loaded[p.name.as_str()]))
        })?;
        let mut warnings: Vec<String> = patches
            .keys()
            .filter(|n| !release.plugins.iter().any(|p| &&p.name == n))
            .map(|n| {
                format!(
                    "the tenant's tuning of {n} is kept, but {} {} has no plugin {n}",
                    release.name, release.version
                )
            })
            .collect();
        // A configuration the tenant set by hand on a plugin of the same
        // name gives way to the vendor's defaults: said, not silent.
        if q.activate && state.is_none() {
            for p in &release.plugins {
                let current = self.store.plugin_config(tenant, &p.name)?;
                if current != "{}" && configs.get(&p.name) != Some(&current) {
                    warnings.push(format!(
                        "{} ran with the tenant's own configuration {current}; it now runs the pack's defaults (tune it with `vitals pack tune {} {}`)",
                        p.name, release.name, p.name
                    ));
                }
            }
        }
        let components: Vec<PackComponent<'_>> = release
            .plugins
            .iter()
            .zip(&checked.plugins)
            .zip(&checked.bytes)
            .map(|((p, plugin), bytes)| PackComponent {
                hash: &p.hash,
                bytes,
                metadata: &plugin.metadata,
                contract: plugin.contract,
            })
            .collect();
        let change = self.store.install_pack(
            tenant,
            release,
            &components,
            q.activate.then_some(&configs),
        )?;
        let releases = self.store.pack_releases(tenant)?;
        Ok(PackInstalled {
            version: release.version.clone(),
            pack: self.pack_summary(tenant, &release.name, &releases)?,
            change,
            warnings,
        })
    }

    /// The signing key's id after checking the signature against the
    /// trusted keys (`None`: unsigned, where the operator allows it).
    fn check_signature(&self, archive: &PackArchive) -> ApiResult<Option<String>> {
        let Some(signature) = &archive.signature else {
            if self.store.allow_unsigned()? {
                return Ok(None);
            }
            return Err(ApiError::new(
                422,
                PackError::MissingSignature.code(),
                format!(
                    "{}; this host installs only packs signed by a trusted key (the operator may allow unsigned packs for a vendor's own development)",
                    PackError::MissingSignature
                ),
            )
            .about("pack"));
        };
        let key_id = crate::pack::signature_key_id(signature).map_err(refused)?;
        if let Some(revoked) = self.store.trusted_key(&key_id)?.and_then(|k| k.revoked) {
            return Err(ApiError::new(
                422,
                "revoked-key",
                format!(
                    "the pack is signed by key {key_id}, which the operator revoked: {}",
                    revoked.reason
                ),
            )
            .about("pack"));
        }
        let trusted: Vec<PublicKey> = self
            .store
            .trusted_keys()?
            .into_iter()
            .filter(|k| k.revoked.is_none())
            .filter_map(|k| PublicKey::parse(&k.public_key).ok())
            .collect();
        crate::pack::verify(archive, &trusted)
            .map(Some)
            .map_err(refused)
    }

    /// Everything but the signature and the tenant: revocation, versions,
    /// and every component and default configuration.
    fn check_pack(
        &self,
        tenant: &str,
        archive: &PackArchive,
        key_id: Option<String>,
    ) -> ApiResult<Checked> {
        let m = &archive.manifest;
        let (name, version) = (&m.pack.name, &m.pack.version);
        if let Some(r) = self.store.revoked_release(name, version)? {
            return Err(ApiError::new(
                422,
                "revoked",
                format!(
                    "{name} {version} was revoked by the operator: {}",
                    r.revocation.reason
                ),
            )
            .about("pack"));
        }
        let host = env!("CARGO_PKG_VERSION");
        let wants = semver::VersionReq::parse(&m.host).map_err(|e| {
            refused(PackError::Manifest {
                field: "host".into(),
                reason: e.to_string(),
            })
        })?;
        if !wants.matches(&semver::Version::parse(host).expect("the crate version is semver")) {
            return Err(ApiError::new(
                422,
                "unsupported-host",
                format!(
                    "{name} {version} supports hosts {}; this host is {host}",
                    m.host
                ),
            )
            .about("pack"));
        }
        if !["0.1.0", "0.2.0"].contains(&m.contract.as_str()) {
            return Err(ApiError::new(
                422,
                "unsupported-contract",
                format!(
                    "{name} {version} needs plugin contract {}; this host runs 0.1.0 and 0.2.0",
                    m.contract
                ),
            )
            .about("pack"));
        }
        let health_models: Vec<&str> = m
            .plugins
            .iter()
            .filter(|p| p.kind == crate::contract::PluginKind::HealthModel)
            .map(|p| p.name.as_str())
            .collect();
        if health_models.len() > 1 {
            return Err(ApiError::new(
                422,
                "invalid-plugin",
                format!(
                    "{name} {version} holds {} health models ({}); a tenant runs one at a time, so a pack holds at most one",
                    health_models.len(),
                    health_models.join(", ")
                ),
            )
            .about("pack"));
        }
        let mut plugins = Vec::new();
        let mut bytes = Vec::new();
        for p in &m.plugins {
            let invalid = |what: String| {
                ApiError::new(
                    422,
                    "invalid-plugin",
                    format!(
                        "plugin {} of {name} {version}: {what}; nothing was installed",
                        p.name
                    ),
                )
                .about("pack")
            };
            let component = archive
                .component(&p.name)
                .ok_or_else(|| refused(PackError::Missing(p.component.clone())))?;
            let plugin = self
                .runtime
                .load(component)
                .map_err(|e| invalid(e.to_string()))?;
            let md = &plugin.metadata;
            if (md.name.as_str(), md.version.as_str(), md.kind)
                != (p.name.as_str(), p.version.as_str(), p.kind)
            {
                return Err(invalid(format!(
                    "the manifest says {} {} ({}), the component says {} {} ({})",
                    p.name, p.version, p.kind, md.name, md.version, md.kind
                )));
            }
            plugins.push(plugin);
            bytes.push(component.to_vec());
        }
        let release = release_of(archive, key_id).map_err(refused)?;
        // The vendor defaults alone must fit (a tenant without patches).
        let loaded: BTreeMap<&str, &Arc<crate::runtime::Plugin>> = release
            .plugins
            .iter()
            .map(|p| p.name.as_str())
            .zip(&plugins)
            .collect();
        self.pack_configs(tenant, &release, &BTreeMap::new(), &|p| {
            Ok(Arc::clone(loaded[p.name.as_str()]))
        })?;
        Ok(Checked {
            release,
            plugins,
            bytes,
        })
    }

    /// Refuses a version lower than the active one unless allowed.
    fn check_version_order(
        &self,
        pack: &str,
        active: &str,
        new: &str,
        allow_downgrade: bool,
    ) -> ApiResult<()> {
        let (Ok(a), Ok(n)) = (semver::Version::parse(active), semver::Version::parse(new)) else {
            return Ok(());
        };
        if n < a && !allow_downgrade {
            return Err(ApiError::new(
                409,
                "downgrade",
                format!(
                    "{pack} {new} is lower than the installed {active}: refused (pass --allow-downgrade to install it anyway)"
                ),
            )
            .about("pack"));
        }
        Ok(())
    }
}

/// The store's record of a release read from its archive: the manifest's
/// exact bytes and the signature as shipped, each plugin's component hash,
/// vendor defaults and README.
pub fn release_of(archive: &PackArchive, key_id: Option<String>) -> Result<PackRelease, PackError> {
    let m = &archive.manifest;
    let mut plugins = Vec::new();
    for p in &m.plugins {
        let component = archive
            .component(&p.name)
            .ok_or_else(|| PackError::Missing(p.component.clone()))?;
        plugins.push(PackReleasePlugin {
            name: p.name.clone(),
            version: p.version.clone(),
            kind: p.kind,
            hash: content_hash(component),
            defaults: archive.defaults(&p.name)?,
            readme: archive.readme(&p.name).map(str::to_string),
        });
    }
    Ok(PackRelease {
        name: m.pack.name.clone(),
        version: m.pack.version.clone(),
        vendor: m.pack.vendor.clone(),
        description: m.pack.description.clone(),
        key_id,
        manifest: String::from_utf8(archive.manifest_bytes.clone()).map_err(|_| {
            PackError::Manifest {
                field: "(file)".into(),
                reason: "not UTF-8".into(),
            }
        })?,
        signature: archive.signature.clone(),
        plugins,
        installed_ms: crate::store::now_ms(),
    })
}
