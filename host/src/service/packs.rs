//! A tenant's vendor packs (issue #18): list, show, tune, activate, roll
//! back; and the operator's trust (keys, revocations, unsigned packs).
//! Installs and upgrades, which read a `.vpack`, are in `pack_install`.
//!
//! Every switch computes each plugin's effective configuration (the
//! release's defaults under the tenant's patch) and checks it as a
//! configuration set by hand is checked (the schema, then the plugin's own
//! check) before anything is written, under the tenant's lifecycle lock.

use super::pack_views::*;
use super::{ApiError, ApiResult, Service};
use crate::store::{PackChange, PackRelease, PackReleasePlugin, PackState, TrustedKey};
use crate::tuning;
use std::collections::BTreeMap;

impl Service {
    /// Every pack the tenant installed.
    pub fn packs(&self, tenant: &str) -> ApiResult<Vec<PackSummary>> {
        self.store.require_tenant_exists(tenant)?;
        let releases = self.store.pack_releases(tenant)?;
        let mut names: Vec<&str> = releases.iter().map(|r| r.name.as_str()).collect();
        names.dedup();
        names
            .into_iter()
            .map(|name| self.pack_summary(tenant, name, &releases))
            .collect()
    }

    /// One pack: `version`'s plugins (default the active release, else the
    /// newest installed), each with defaults, patch and effective configuration.
    pub fn pack(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PackDetail> {
        self.store.require_tenant_exists(tenant)?;
        let releases = self.store.pack_releases(tenant)?;
        let summary = self.pack_summary(tenant, name, &releases)?;
        let state = self.store.pack_state(tenant, name)?;
        let shown = match version.or(summary.active.as_deref()) {
            Some(v) => v.to_string(),
            None => summary.versions.last().cloned().unwrap_or_default(),
        };
        let release = self.store.pack_release(tenant, name, &shown)?;
        let plugins = release
            .plugins
            .iter()
            .map(|p| plugin_view(p, state.patches.get(&p.name)))
            .collect();
        let orphan_patches = state
            .patches
            .keys()
            .filter(|n| !release.plugins.iter().any(|p| &&p.name == n))
            .cloned()
            .collect();
        Ok(PackDetail {
            summary,
            version: shown,
            previous: state.previous,
            plugins,
            orphan_patches,
            manifest: release.manifest,
        })
    }

    pub(super) fn pack_summary(
        &self,
        tenant: &str,
        name: &str,
        releases: &[PackRelease],
    ) -> ApiResult<PackSummary> {
        let mine: Vec<&PackRelease> = releases.iter().filter(|r| r.name == name).collect();
        let Some(newest) = mine.last() else {
            return Err(ApiError::not_found(format!("pack {name:?} not found")).about("pack"));
        };
        let state = self.store.pack_state(tenant, name)?;
        let shown = state
            .active
            .as_deref()
            .and_then(|v| mine.iter().find(|r| r.version == v))
            .unwrap_or(newest);
        let standing = self
            .store
            .standing(name, &shown.version, shown.key_id.as_deref())?;
        Ok(PackSummary {
            name: name.into(),
            vendor: newest.vendor.clone(),
            description: newest.description.clone(),
            active: state.active,
            versions: mine.iter().map(|r| r.version.clone()).collect(),
            key_id: shown.key_id.clone(),
            key_name: standing.key_name,
            revoked: standing.revoked,
            flag: standing.flag,
        })
    }

    /// The effective configuration of every plugin of `release` under the
    /// tenant's patches, each checked; the first that does not fit refuses
    /// the whole, naming the plugin and the field.
    pub(super) fn pack_configs(
        &self,
        tenant: &str,
        release: &PackRelease,
        patches: &BTreeMap<String, serde_json::Value>,
        loaded: &dyn Fn(&PackReleasePlugin) -> ApiResult<std::sync::Arc<crate::runtime::Plugin>>,
    ) -> ApiResult<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for p in &release.plugins {
            let patch = patches.get(&p.name);
            let effective = tuning::effective(&p.defaults, patch);
            let text = serde_json::to_string(&effective).expect("json");
            let plugin = loaded(p)?;
            let misfit = |e: &dyn std::fmt::Display| {
                let whose = if patch.is_some() {
                    "the tenant's tuning of"
                } else {
                    "the vendor defaults of"
                };
                ApiError::new(
                    422,
                    "invalid-config",
                    format!(
                        "{whose} {} does not fit {} {}: {e}; nothing was changed",
                        p.name, release.name, release.version
                    ),
                )
                .about("pack-config")
            };
            plugin.check_config(&text).map_err(|e| misfit(&e))?;
            self.plugin_check(tenant, &plugin, &text)
                .map_err(|e| misfit(&e))?;
            out.insert(p.name.clone(), text);
        }
        Ok(out)
    }

    /// Refuses to put a release into service when the operator revoked it
    /// or its key, no longer trusts its key, or no longer allows it
    /// unsigned (a tenant runs only what trust allows today).
    pub(super) fn refuse_revoked(&self, release: &PackRelease) -> ApiResult<()> {
        let standing =
            self.store
                .standing(&release.name, &release.version, release.key_id.as_deref())?;
        match standing.flag {
            Some(flag) => Err(ApiError::new(
                422,
                if standing.revoked {
                    "revoked"
                } else {
                    "untrusted"
                },
                format!(
                    "{} {} cannot be switched on: {flag}",
                    release.name, release.version
                ),
            )
            .about("pack")),
            None => Ok(()),
        }
    }

    /// Refuses a plugin-level switch of a plugin its pack manages (the
    /// pack's state would no longer say what runs), or onto a version
    /// from a pack release the operator revoked.
    pub(super) fn refuse_pack_managed(
        &self,
        tenant: &str,
        name: &str,
        target_hash: Option<&str>,
    ) -> ApiResult<()> {
        if let Some((pack, _)) = self.pack_managing(tenant, name)? {
            return Err(ApiError::conflict(format!(
                "plugin {name} comes from pack {pack}: switch its version with `vitals pack activate|rollback {pack}`"
            ))
            .about("pack"));
        }
        if let Some(hash) = target_hash
            && let Some(from) = self.store.pack_of(tenant, name, hash)?
        {
            let release = self.store.pack_release(tenant, &from.name, &from.version)?;
            let standing =
                self.store
                    .standing(&release.name, &release.version, release.key_id.as_deref())?;
            if let (true, Some(flag)) = (standing.revoked, standing.flag) {
                return Err(ApiError::new(
                    422,
                    "revoked",
                    format!("{name} cannot be switched on: {flag}"),
                )
                .about("pack"));
            }
        }
        Ok(())
    }

    /// Switches an installed release on (all its plugins at once).
    pub fn activate_pack(&self, tenant: &str, name: &str, version: &str) -> ApiResult<PackChange> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        let release = self.store.pack_release(tenant, name, version)?;
        let state = self.store.pack_state(tenant, name)?;
        if state.active.as_deref() != Some(version) {
            self.refuse_revoked(&release)?;
        }
        let configs =
            self.pack_configs(tenant, &release, &state.patches, &|p| self.loaded(&p.hash))?;
        Ok(self.store.activate_pack(tenant, name, version, &configs)?)
    }

    /// Goes back to the release active before, under the same patches.
    pub fn rollback_pack(&self, tenant: &str, name: &str) -> ApiResult<PackChange> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        let state = self.store.pack_state(tenant, name)?;
        let Some(target) = state.previous.last() else {
            return Err(ApiError::new(
                409,
                "conflict",
                format!("pack {name} has no earlier active version to roll back to"),
            ));
        };
        let release = self.store.pack_release(tenant, name, target)?;
        self.refuse_revoked(&release)?;
        let configs =
            self.pack_configs(tenant, &release, &state.patches, &|p| self.loaded(&p.hash))?;
        Ok(self.store.rollback_pack(tenant, name, &configs)?)
    }

    /// Changes the tenant's patch of one plugin of a pack: checked against
    /// the release it applies to (the active one, else the newest), and
    /// live at once when the pack is active.
    pub fn tune_pack(
        &self,
        tenant: &str,
        name: &str,
        plugin: &str,
        req: &PackTune,
    ) -> ApiResult<PackTuned> {
        self.store.require_tenant_exists(tenant)?;
        let lock = self.lifecycle(tenant);
        let _held = lock.lock().expect("lifecycle lock");
        let state = self.store.pack_state(tenant, name)?;
        let release = self.tuned_release(tenant, name, &state)?;
        let Some(p) = release.plugins.iter().find(|p| p.name == plugin) else {
            let has: Vec<&str> = release.plugins.iter().map(|p| p.name.as_str()).collect();
            return Err(ApiError::not_found(format!(
                "{name} {} has no plugin {plugin:?} (it has {})",
                release.version,
                has.join(", ")
            ))
            .about("plugin"));
        };
        if req.mode != TuneMode::Reset && !req.patch.is_object() {
            return Err(ApiError::bad_request(format!(
                "patch: a merge patch of {plugin}'s configuration is a JSON object, not {}",
                req.patch
            )));
        }
        let patch = match req.mode {
            TuneMode::Merge => Some(tuning::compose(state.patches.get(plugin), &req.patch)),
            TuneMode::Replace => Some(req.patch.clone()),
            TuneMode::Reset => None,
        }
        .filter(|p| !tuning::is_empty(p));
        let mut patches = state.patches.clone();
        match &patch {
            Some(p) => patches.insert(plugin.to_string(), p.clone()),
            None => patches.remove(plugin),
        };
        let one = PackRelease {
            plugins: vec![p.clone()],
            ..release.clone()
        };
        let configs = self.pack_configs(tenant, &one, &patches, &|p| self.loaded(&p.hash))?;
        let live = state.active.as_deref() == Some(release.version.as_str())
            && self
                .store
                .plugin(tenant, plugin, None)
                .is_ok_and(|a| a.hash == p.hash);
        let effective = &configs[plugin];
        let view = plugin_view(p, patch.as_ref());
        let warnings = crate::names::check_names(
            plugin,
            tenant,
            &self.loaded(&p.hash)?.metadata.config_schema,
            &view.effective,
            &self.store.catalog(tenant)?,
        );
        self.store.set_pack_patch(
            tenant,
            name,
            plugin,
            patch.as_ref(),
            live.then_some(effective.as_str()),
        )?;
        Ok(PackTuned {
            pack: name.into(),
            plugin: view,
            live,
            warnings,
        })
    }

    /// The release a tune applies to: the active one, else the newest.
    fn tuned_release(&self, tenant: &str, name: &str, state: &PackState) -> ApiResult<PackRelease> {
        match &state.active {
            Some(v) => Ok(self.store.pack_release(tenant, name, v)?),
            None => self
                .store
                .pack_releases(tenant)?
                .into_iter()
                .rfind(|r| r.name == name)
                .ok_or_else(|| ApiError::not_found(format!("pack {name:?} not found"))),
        }
    }

    /// When `plugin`'s active version comes from an active pack release:
    /// the pack's name and that plugin's record in it (a configuration set
    /// by hand on it is kept as the tenant's patch).
    pub(super) fn pack_managing(
        &self,
        tenant: &str,
        plugin: &str,
    ) -> ApiResult<Option<(String, PackReleasePlugin)>> {
        let Ok(active) = self.store.plugin(tenant, plugin, None) else {
            return Ok(None);
        };
        let Some(pack) = self.store.pack_of(tenant, plugin, &active.hash)? else {
            return Ok(None);
        };
        let state = self.store.pack_state(tenant, &pack.name)?;
        if state.active.as_deref() != Some(pack.version.as_str()) {
            return Ok(None);
        }
        let release = self.store.pack_release(tenant, &pack.name, &pack.version)?;
        Ok(release
            .plugins
            .into_iter()
            .find(|p| p.name == plugin)
            .map(|p| (pack.name, p)))
    }

    // The operator's trust.

    /// Every key and revoked version, and whether unsigned packs are allowed.
    pub fn trust_list(&self) -> ApiResult<TrustList> {
        Ok(TrustList {
            keys: self.store.trusted_keys()?,
            revoked_releases: self.store.revoked_releases()?,
            allow_unsigned: self.store.allow_unsigned()?,
        })
    }

    /// Trusts a vendor's public key.
    pub fn trust_key(&self, req: &TrustKeyRequest) -> ApiResult<TrustedKey> {
        crate::store::check_free_text("name", &req.name, 200).map_err(ApiError::bad_request)?;
        let key = crate::pack::PublicKey::parse(&req.public_key)
            .map_err(|e| ApiError::bad_request(format!("public_key: {e}")).about("public-key"))?;
        Ok(self.store.trust_key(&key.key_id, &key.text, &req.name)?)
    }

    /// Stops trusting a key.
    pub fn remove_trusted_key(&self, key_id: &str) -> ApiResult<TrustedKey> {
        Ok(self.store.remove_trusted_key(key_id)?)
    }

    /// Revokes a key or a pack version.
    pub fn revoke(&self, req: &RevokeRequest) -> ApiResult<TrustList> {
        crate::store::check_free_text("reason", &req.reason, 1000)
            .map_err(ApiError::bad_request)?;
        match (&req.key_id, &req.public_key, &req.pack, &req.version) {
            (Some(id), None, None, None) => {
                self.store.revoke_vendor_key(id, None, &req.reason)?;
            }
            (None, Some(text), None, None) => {
                let key = crate::pack::PublicKey::parse(text)
                    .map_err(|e| ApiError::bad_request(format!("public_key: {e}")))?;
                self.store
                    .revoke_vendor_key(&key.key_id, Some(&key.text), &req.reason)?;
            }
            (None, None, Some(pack), Some(version)) => {
                semver::Version::parse(version).map_err(|e| {
                    ApiError::bad_request(format!(
                        "version: {version:?} is not a semantic version: {e}"
                    ))
                })?;
                self.store.revoke_release(pack, version, &req.reason)?;
            }
            _ => {
                return Err(ApiError::bad_request(
                    "name one thing to revoke: key_id, public_key, or pack with version",
                ));
            }
        }
        self.trust_list()
    }

    /// Allows or refuses unsigned packs.
    pub fn set_allow_unsigned(&self, allow: bool) -> ApiResult<TrustList> {
        self.store.set_allow_unsigned(allow)?;
        self.trust_list()
    }
}

/// A release's plugin under a patch.
fn plugin_view(p: &PackReleasePlugin, patch: Option<&serde_json::Value>) -> PackPluginView {
    PackPluginView {
        name: p.name.clone(),
        version: p.version.clone(),
        kind: p.kind,
        hash: p.hash.clone(),
        defaults: p.defaults.clone(),
        patch: patch.cloned().unwrap_or_else(|| serde_json::json!({})),
        effective: tuning::effective(&p.defaults, patch),
        readme: p.readme.clone(),
    }
}
