//! A tenant's plugins: upload (validated), versions, activate, roll back,
//! configure, and shadow runs of a candidate version.

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::{
    Activate, Api, ApiError, ConfigSet, ErrorBody, PluginDetail, ShadowReport, ShadowRequest,
};
use crate::store::InstalledPlugin;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// Options of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Make it the active version at once.
    #[serde(default)]
    pub activate: bool,
}

/// Which version.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version (default: the active one).
    #[serde(default)]
    pub version: Option<String>,
}

/// Installed plugin versions.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/plugins", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<InstalledPlugin>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_plugins(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<InstalledPlugin>>, ApiError> {
    blocking(&s, move |svc| svc.plugins(&tenant)).await
}

/// Uploads a component: validated (contract, imports, metadata, schema) before it is stored.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The component (a .wasm file)"),
    responses((status = 201, body = InstalledPlugin), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn upload_plugin(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<InstalledPlugin>), ApiError> {
    let p = blocking(&s, move |svc| {
        svc.add_plugin(&tenant, body.to_vec(), q.activate)
    })
    .await?;
    Ok((StatusCode::CREATED, p))
}

/// One version (default the active one), its configuration and every version of the name.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/plugins/{name}", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name"), VersionQuery),
    responses((status = 200, body = PluginDetail), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_plugin(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<PluginDetail>, ApiError> {
    blocking(&s, move |svc| {
        svc.plugin(&tenant, &name, q.version.as_deref())
    })
    .await
}

/// Activates an installed version (the tenant's configuration must fit it).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins/{name}/activate", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    request_body = Activate,
    responses((status = 200, body = InstalledPlugin), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn activate(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(req): Json<Activate>,
) -> Result<Json<InstalledPlugin>, ApiError> {
    blocking(&s, move |svc| svc.activate(&tenant, &name, &req.version)).await
}

/// Goes back to the previously active version.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins/{name}/rollback", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = InstalledPlugin), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn rollback(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<InstalledPlugin>, ApiError> {
    blocking(&s, move |svc| svc.rollback(&tenant, &name)).await
}

/// The tenant's configuration of a plugin.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/plugins/{name}/config", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_config(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    blocking(&s, move |svc| svc.config(&tenant, &name)).await
}

/// Sets the configuration: validated against the active version's schema
/// and by the plugin itself (422 `invalid-config` naming the field); the
/// names it gives that no account of the tenant has come back as warnings.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/plugins/{name}/config", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    request_body = Object,
    responses((status = 200, body = ConfigSet), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn set_config(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(config): Json<serde_json::Value>,
) -> Result<Json<ConfigSet>, ApiError> {
    blocking(&s, move |svc| svc.set_config(&tenant, &name, &config)).await
}

/// Shadow-run reports, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/shadow-runs", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<ShadowReport>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_shadow_runs(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<ShadowReport>>, ApiError> {
    blocking(&s, move |svc| svc.shadow_reports(&tenant)).await
}

/// Runs a candidate version beside the active one on the same snapshots
/// (active results untouched) and reports what would change.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/shadow-runs", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id")), request_body = ShadowRequest,
    responses((status = 201, body = ShadowReport), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn shadow_run(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(req): Json<ShadowRequest>,
) -> Result<(StatusCode, Json<ShadowReport>), ApiError> {
    let r = blocking(&s, move |svc| svc.shadow(&tenant, &req)).await?;
    Ok((StatusCode::CREATED, r))
}

/// One shadow-run report.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/shadow-runs/{id}", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = u64, Path, description = "Report id")),
    responses((status = 200, body = ShadowReport), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_shadow_run(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, id)): Path<(String, u64)>,
) -> Result<Json<ShadowReport>, ApiError> {
    blocking(&s, move |svc| {
        svc.store.require_tenant_exists(&tenant)?;
        Ok(svc.store.shadow_report(&tenant, id)?)
    })
    .await
}
