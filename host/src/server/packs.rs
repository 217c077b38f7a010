//! Vendor packs over HTTP (issue #18): a tenant's packs (install, upgrade,
//! tune, activate, roll back, shadow) and the operator's trust in vendors.

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::{
    AllowUnsigned, ApiError, ErrorBody, PackDetail, PackInstallQuery, PackInstalled, PackSummary,
    PackTune, PackTuned, RevokeRequest, ShadowReport, TrustKeyRequest, TrustList,
};
use crate::store::{PackChange, TrustedKey};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The upload route (its body limit is the pack limit).
pub(super) const UPLOAD_ROUTE: &str = "/v1/tenants/{tenant}/packs";

/// Which release.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PackVersionQuery {
    /// A version (default: the active one, else the newest installed).
    #[serde(default)]
    pub version: Option<String>,
}

/// A release of a pack.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackVersion {
    /// The version.
    pub version: String,
}

/// The tenant's packs.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/packs", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<PackSummary>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_packs(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<PackSummary>>, ApiError> {
    blocking(&s, move |svc| svc.packs(&tenant)).await
}

/// Installs or upgrades a signed pack (`.vpack`): all or nothing.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/packs", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id"), PackInstallQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The pack (a .vpack file)"),
    responses((status = 201, body = PackInstalled), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn install_pack(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<PackInstallQuery>,
    body: Body,
) -> Response {
    let bytes = match super::plugins::read_upload(body, s.limits.pack_bytes, "pack").await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    match blocking(&s, move |svc| svc.install_pack(&tenant, &bytes, &q)).await {
        Ok(p) => (StatusCode::CREATED, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One pack: a release's plugins with the vendor defaults, the tenant's patch and the effective configuration.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/packs/{name}", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Pack name"), PackVersionQuery),
    responses((status = 200, body = PackDetail), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_pack(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<PackVersionQuery>,
) -> Result<Json<PackDetail>, ApiError> {
    blocking(&s, move |svc| {
        svc.pack(&tenant, &name, q.version.as_deref())
    })
    .await
}

/// Switches an installed release on, every plugin of it at once.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/packs/{name}/activate", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Pack name")),
    request_body = PackVersion,
    responses((status = 200, body = PackChange), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn activate_pack(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(req): Json<PackVersion>,
) -> Result<Json<PackChange>, ApiError> {
    blocking(&s, move |svc| {
        svc.activate_pack(&tenant, &name, &req.version)
    })
    .await
}

/// Goes back to the release active before, under the same tuning.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/packs/{name}/rollback", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Pack name")),
    responses((status = 200, body = PackChange), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn rollback_pack(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<PackChange>, ApiError> {
    blocking(&s, move |svc| svc.rollback_pack(&tenant, &name)).await
}

/// Changes the tenant's merge patch of one plugin of a pack.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/packs/{name}/plugins/{plugin}/patch", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Pack name"), ("plugin" = String, Path, description = "Plugin name")),
    request_body = PackTune,
    responses((status = 200, body = PackTuned), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn tune_pack(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name, plugin)): Path<(String, String, String)>,
    Json(req): Json<PackTune>,
) -> Result<Json<PackTuned>, ApiError> {
    blocking(&s, move |svc| svc.tune_pack(&tenant, &name, &plugin, &req)).await
}

/// Shadow-runs an installed release beside the running plugins (nothing goes live).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/packs/{name}/shadow", tag = "packs",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Pack name")),
    request_body = PackVersion,
    responses((status = 200, body = Vec<ShadowReport>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn shadow_pack(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(req): Json<PackVersion>,
) -> Result<Json<Vec<ShadowReport>>, ApiError> {
    blocking(&s, move |svc| svc.shadow_pack(&tenant, &name, &req.version)).await
}

/// The operator's trust: keys, revoked versions, unsigned packs.
#[utoipa::path(get, path = "/v1/trust", tag = "operator",
    responses((status = 200, body = TrustList), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn trust_list(
    State(s): State<AppState>,
    _caller: Caller,
) -> Result<Json<TrustList>, ApiError> {
    blocking(&s, |svc| svc.trust_list()).await
}

/// Trusts a vendor's signing key.
#[utoipa::path(post, path = "/v1/trust/keys", tag = "operator", request_body = TrustKeyRequest,
    responses((status = 201, body = TrustedKey), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn trust_key(
    State(s): State<AppState>,
    _caller: Caller,
    Json(req): Json<TrustKeyRequest>,
) -> Result<(StatusCode, Json<TrustedKey>), ApiError> {
    let key = blocking(&s, move |svc| svc.trust_key(&req)).await?;
    Ok((StatusCode::CREATED, key))
}

/// Stops trusting a key (its packs are flagged on the tenants running them).
#[utoipa::path(delete, path = "/v1/trust/keys/{key_id}", tag = "operator",
    params(("key_id" = String, Path, description = "The key's id")),
    responses((status = 200, body = TrustedKey), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn remove_trusted_key(
    State(s): State<AppState>,
    _caller: Caller,
    Path(key_id): Path<String>,
) -> Result<Json<TrustedKey>, ApiError> {
    blocking(&s, move |svc| svc.remove_trusted_key(&key_id)).await
}

/// Revokes a key or one version of a pack.
#[utoipa::path(post, path = "/v1/trust/revocations", tag = "operator", request_body = RevokeRequest,
    responses((status = 200, body = TrustList), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn revoke(
    State(s): State<AppState>,
    _caller: Caller,
    Json(req): Json<RevokeRequest>,
) -> Result<Json<TrustList>, ApiError> {
    blocking(&s, move |svc| svc.revoke(&req)).await
}

/// Allows or refuses unsigned packs on this host.
#[utoipa::path(put, path = "/v1/trust/unsigned", tag = "operator", request_body = AllowUnsigned,
    responses((status = 200, body = TrustList), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn set_allow_unsigned(
    State(s): State<AppState>,
    _caller: Caller,
    Json(req): Json<AllowUnsigned>,
) -> Result<Json<TrustList>, ApiError> {
    blocking(&s, move |svc| svc.set_allow_unsigned(req.allow)).await
}
