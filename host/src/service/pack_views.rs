//! What the pack operations take and give (issue #18), with their OpenAPI
//! schemas: one set of types for the server, the client and the local CLI.

use crate::contract::PluginKind;
use crate::store::{PackChange, RevokedRelease, TrustedKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A pack as a tenant has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackSummary {
    /// The pack's name.
    pub name: String,
    /// Who made it (from the newest release installed).
    pub vendor: String,
    /// What it does.
    pub description: String,
    /// The active version (`None`: installed, not switched on).
    pub active: Option<String>,
    /// Every installed version, in install order.
    pub versions: Vec<String>,
    /// The key that signed the active release (else the newest); `None`: unsigned.
    pub key_id: Option<String>,
    /// That key's name as the operator trusted it.
    pub key_name: Option<String>,
    /// Whether the release (or its key) is revoked.
    pub revoked: bool,
    /// Why it may no longer be installed, when it may not: a revoked key or
    /// version, a key no longer trusted.
    pub flag: Option<String>,
}

/// One plugin of a pack: the vendor's defaults, the tenant's patch, and
/// the configuration it runs with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackPluginView {
    /// Plugin name.
    pub name: String,
    /// Plugin version in this release.
    pub version: String,
    /// Its world.
    pub kind: PluginKind,
    /// sha-256 of its component.
    pub hash: String,
    /// The vendor's default configuration.
    pub defaults: serde_json::Value,
    /// The tenant's merge patch over them (`{}`: untouched).
    pub patch: serde_json::Value,
    /// The defaults under the patch: what it runs with.
    pub effective: serde_json::Value,
    /// The vendor's README, if shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme: Option<String>,
}

/// A pack in detail: one release's plugins (the active one by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackDetail {
    /// The pack.
    #[serde(flatten)]
    pub summary: PackSummary,
    /// The release shown.
    pub version: String,
    /// Versions active before the active one (rollback goes to the last).
    pub previous: Vec<String>,
    /// Its plugins.
    pub plugins: Vec<PackPluginView>,
    /// Tuned plugins that this release does not have (kept for a rollback).
    pub orphan_patches: Vec<String>,
    /// The release's manifest exactly as signed.
    pub manifest: String,
}

/// Options of an install or an upgrade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PackInstallQuery {
    /// Switch every plugin of it on at once.
    #[serde(default)]
    pub activate: bool,
    /// It must be a newer version of a pack already installed.
    #[serde(default)]
    pub upgrade: bool,
    /// Allow a version lower than the active one.
    #[serde(default)]
    pub allow_downgrade: bool,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackInstalled {
    /// The version installed.
    pub version: String,
    /// The pack as it stands now.
    pub pack: PackSummary,
    /// Plugins switched on and off.
    pub change: PackChange,
    /// What the tenant should know (a tuned plugin the release no longer has).
    pub warnings: Vec<String>,
}

/// How a tune changes the tenant's patch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TuneMode {
    /// Merged into the patch already there (later keys win).
    #[default]
    Merge,
    /// Replaces it.
    Replace,
    /// Back to the vendor defaults (the patch is ignored).
    Reset,
}

/// A change to the tenant's tuning of a pack plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackTune {
    /// An RFC 7386 merge patch over the vendor defaults (`null` removes a key).
    #[serde(default)]
    pub patch: serde_json::Value,
    /// How it combines with the patch there (default `merge`).
    #[serde(default)]
    pub mode: TuneMode,
}

/// The tuning now set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackTuned {
    /// The pack.
    pub pack: String,
    /// Its plugin, as now configured.
    pub plugin: PackPluginView,
    /// Whether the plugin runs with it now (its pack is active).
    pub live: bool,
    /// Names it gives that no account of the tenant can fill.
    pub warnings: Vec<crate::names::NameWarning>,
}

/// Trusts a vendor's public key (operator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustKeyRequest {
    /// The minisign public key (the `.pub` file's text or its key line).
    pub public_key: String,
    /// Who it is (the vendor's name).
    pub name: String,
}

/// Revokes a vendor key or one pack version (operator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// A key id to revoke.
    #[serde(default)]
    pub key_id: Option<String>,
    /// Or a public key (its id is read from it): revokes a key not trusted yet.
    #[serde(default)]
    pub public_key: Option<String>,
    /// A pack name, with `version`, to revoke that version.
    #[serde(default)]
    pub pack: Option<String>,
    /// The version of `pack` to revoke.
    #[serde(default)]
    pub version: Option<String>,
    /// Why (shown to tenants running it).
    pub reason: String,
}

/// The operator's trust (operator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrustList {
    /// Every key, trusted and revoked.
    pub keys: Vec<TrustedKey>,
    /// Every revoked pack version.
    pub revoked_releases: Vec<RevokedRelease>,
    /// Whether unsigned packs may be installed.
    pub allow_unsigned: bool,
}

/// Allows or refuses unsigned packs (operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowUnsigned {
    /// `true`: unsigned packs may be installed (a vendor's development store).
    pub allow: bool,
}
