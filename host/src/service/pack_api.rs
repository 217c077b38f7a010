//! The pack operations as one API (issue #18), implemented by the service
//! (local CLI, server) and by the HTTP client, like [`super::Api`].

use super::pack_views::*;
use super::{ApiResult, Service, ShadowReport, ShadowRequest};
use crate::store::{PackChange, TrustedKey};

/// A tenant's packs and the operator's trust in vendors.
pub trait PackApi {
    /// Every pack the tenant installed.
    fn packs(&self, tenant: &str) -> ApiResult<Vec<PackSummary>>;
    /// One pack (default: its active release) with defaults, patches and
    /// effective configurations.
    fn pack(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PackDetail>;
    /// Installs (or upgrades to) a `.vpack`: all or nothing.
    fn install_pack(
        &self,
        tenant: &str,
        bytes: Vec<u8>,
        q: &PackInstallQuery,
    ) -> ApiResult<PackInstalled>;
    /// Switches an installed release on, all its plugins at once.
    fn activate_pack(&self, tenant: &str, name: &str, version: &str) -> ApiResult<PackChange>;
    /// Goes back to the release active before, with the same patches.
    fn rollback_pack(&self, tenant: &str, name: &str) -> ApiResult<PackChange>;
    /// Changes the tenant's patch of one pack plugin.
    fn tune_pack(
        &self,
        tenant: &str,
        name: &str,
        plugin: &str,
        req: &PackTune,
    ) -> ApiResult<PackTuned>;
    /// Shadow-runs an installed release's plugins beside the running ones
    /// (each under the tenant's patch); one report per plugin it changes.
    fn shadow_pack(&self, tenant: &str, name: &str, version: &str) -> ApiResult<Vec<ShadowReport>>;
    /// The operator's trust (operator).
    fn trust_list(&self) -> ApiResult<TrustList>;
    /// Trusts a vendor key (operator).
    fn trust_key(&self, req: &TrustKeyRequest) -> ApiResult<TrustedKey>;
    /// Stops trusting a key (operator).
    fn remove_trusted_key(&self, key_id: &str) -> ApiResult<TrustedKey>;
    /// Revokes a key or a pack version (operator).
    fn revoke(&self, req: &RevokeRequest) -> ApiResult<TrustList>;
    /// Allows or refuses unsigned packs (operator).
    fn set_allow_unsigned(&self, allow: bool) -> ApiResult<TrustList>;
}

impl PackApi for Service {
    fn packs(&self, tenant: &str) -> ApiResult<Vec<PackSummary>> {
        Service::packs(self, tenant)
    }
    fn pack(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PackDetail> {
        Service::pack(self, tenant, name, version)
    }
    fn install_pack(
        &self,
        tenant: &str,
        bytes: Vec<u8>,
        q: &PackInstallQuery,
    ) -> ApiResult<PackInstalled> {
        Service::install_pack(self, tenant, &bytes, q)
    }
    fn activate_pack(&self, tenant: &str, name: &str, version: &str) -> ApiResult<PackChange> {
        Service::activate_pack(self, tenant, name, version)
    }
    fn rollback_pack(&self, tenant: &str, name: &str) -> ApiResult<PackChange> {
        Service::rollback_pack(self, tenant, name)
    }
    fn tune_pack(
        &self,
        tenant: &str,
        name: &str,
        plugin: &str,
        req: &PackTune,
    ) -> ApiResult<PackTuned> {
        Service::tune_pack(self, tenant, name, plugin, req)
    }
    fn shadow_pack(&self, tenant: &str, name: &str, version: &str) -> ApiResult<Vec<ShadowReport>> {
        Service::shadow_pack(self, tenant, name, version)
    }
    fn trust_list(&self) -> ApiResult<TrustList> {
        Service::trust_list(self)
    }
    fn trust_key(&self, req: &TrustKeyRequest) -> ApiResult<TrustedKey> {
        Service::trust_key(self, req)
    }
    fn remove_trusted_key(&self, key_id: &str) -> ApiResult<TrustedKey> {
        Service::remove_trusted_key(self, key_id)
    }
    fn revoke(&self, req: &RevokeRequest) -> ApiResult<TrustList> {
        Service::revoke(self, req)
    }
    fn set_allow_unsigned(&self, allow: bool) -> ApiResult<TrustList> {
        Service::set_allow_unsigned(self, allow)
    }
}

impl Service {
    /// Shadow-runs each plugin of `version` whose component or effective
    /// configuration differs from the running one, under the tenant's patch.
    pub fn shadow_pack(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
    ) -> ApiResult<Vec<ShadowReport>> {
        let detail = Service::pack(self, tenant, name, Some(version))?;
        let _slot = self.jobs.start(tenant)?;
        let mut reports = Vec::new();
        for p in &detail.plugins {
            let Ok(running) = self.store.plugin(tenant, &p.name, None) else {
                continue;
            };
            let running_config: serde_json::Value =
                serde_json::from_str(&self.store.plugin_config(tenant, &p.name)?)
                    .unwrap_or_default();
            if running.hash == p.hash && running_config == p.effective {
                continue;
            }
            reports.push(self.shadow_run(
                tenant,
                &ShadowRequest {
                    plugin: p.name.clone(),
                    version: p.version.clone(),
                    config: Some(p.effective.clone()),
                    as_of: None,
                },
            )?);
        }
        Ok(reports)
    }
}

impl Service {
    /// Judges an installed release's health model (under the tenant's
    /// patch) beside the running one on the tenant's outcomes: the
    /// backtest report with both, nothing switched on.
    pub fn backtest_pack(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
        cutoff: i32,
        horizon_days: i32,
    ) -> ApiResult<crate::backtest::BacktestReport> {
        use crate::backtest::{BacktestSpec, Candidate};
        let detail = Service::pack(self, tenant, name, Some(version))?;
        let Some(candidate) = detail
            .plugins
            .iter()
            .find(|p| p.kind == crate::contract::PluginKind::HealthModel)
        else {
            return Err(super::ApiError::bad_request(format!(
                "backtests judge health models, and {name} {version} has none"
            )));
        };
        let running = self
            .store
            .active_plugins(tenant)?
            .into_iter()
            .find(|p| p.plugin.kind == crate::contract::PluginKind::HealthModel);
        let mut candidates = Vec::new();
        if let Some(r) = running {
            candidates.push(Candidate {
                label: Some(format!("running: {} {}", r.plugin.name, r.plugin.version)),
                ..Candidate::active(&r.plugin.name)
            });
        }
        candidates.push(Candidate {
            plugin: candidate.name.clone(),
            version: Some(candidate.version.clone()),
            config: Some(candidate.effective.clone()),
            label: Some(format!(
                "{name} {version}: {} {}",
                candidate.name, candidate.version
            )),
        });
        let spec = BacktestSpec {
            horizon_days,
            candidates,
            ..BacktestSpec::at(cutoff)
        };
        self.backtest(tenant, &spec)
    }
}
