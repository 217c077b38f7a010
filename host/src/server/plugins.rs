//! A tenant's plugins: upload (validated), versions, activate, deactivate,
//! roll back, configure, export a stored component, and shadow runs of a
//! candidate version.

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::{
    Activate, Api, ApiError, ConfigSet, ErrorBody, PluginDetail, ShadowReport, ShadowRequest,
};
use crate::store::{Activation, InstalledPlugin};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The upload route (its body limit is `--max-plugin-mib`).
pub(super) const UPLOAD_ROUTE: &str = "/v1/tenants/{tenant}/plugins";

/// The 413 of a component over the upload limit: it names the limit in MiB
/// and the `serve` option that raises it, as the uploader cannot guess either.
pub(super) fn upload_too_large(limit_bytes: usize, declared: Option<u64>, what: &str) -> ApiError {
    let size = declared.map_or(String::new(), |n| format!(" ({n} bytes)"));
    ApiError::new(
        413,
        "payload-too-large",
        format!(
            "the {what}{size} is larger than this server's upload limit of {} MiB; \
             its operator can raise the limit with `vitals serve --max-{}-mib N`",
            limit_bytes >> 20,
            if what == "pack" { "pack" } else { "plugin" }
        ),
    )
}

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
    responses((status = 201, body = Activation, description = "The version added; with `activate`, the health models it deactivated (one is active at a time)"), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn upload_plugin(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Response {
    let bytes = match read_upload(body, s.limits.plugin_bytes, "component").await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    match blocking(&s, move |svc| svc.add_plugin(&tenant, bytes, q.activate)).await {
        Ok(p) => (StatusCode::CREATED, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Reads an upload of at most `limit` bytes. One sent without a length
/// (chunked) that passes it is refused like one declared too large (see
/// `refuse_declared_oversize`): the 413 naming the limit, the rest of the
/// body drained meanwhile so that the sender, still sending, reads the
/// answer instead of a reset.
pub(super) async fn read_upload(body: Body, limit: usize, what: &str) -> Result<Vec<u8>, Response> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(format!("reading the {what}: {e}")).into_response()
        })?;
        if bytes.len() + chunk.len() > limit {
            tokio::spawn(super::drain_stream(stream));
            return Err(super::refused_body(upload_too_large(limit, None, what)));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
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
/// A health model deactivates the tenant's other one in the same step
/// (`deactivated`): one health model is active at a time.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins/{name}/activate", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    request_body = Activate,
    responses((status = 200, body = Activation), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn activate(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(req): Json<Activate>,
) -> Result<Json<Activation>, ApiError> {
    blocking(&s, move |svc| svc.activate(&tenant, &name, &req.version)).await
}

/// Goes back to the previously active version; after a deactivate, switches
/// the deactivated version on again (a health model deactivating the other).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins/{name}/rollback", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = Activation), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn rollback(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<Activation>, ApiError> {
    blocking(&s, move |svc| svc.rollback(&tenant, &name)).await
}

/// Switches a plugin off: no version of it runs until one is activated or
/// rolled back to. Answers with the version switched off.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins/{name}/deactivate", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = InstalledPlugin), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn deactivate(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<InstalledPlugin>, ApiError> {
    blocking(&s, move |svc| svc.deactivate(&tenant, &name)).await
}

/// A stored component's exact bytes (default the active version), as it was
/// added: its sha-256 is the version's `hash` (also in the `ETag`).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/plugins/{name}/component", tag = "plugins",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Plugin name"), VersionQuery),
    responses(
        (status = 200, description = "The component", content_type = "application/wasm", body = Vec<u8>,
            headers(("etag" = String, description = "The component's sha-256, quoted"))),
        (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn export_component(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, ApiError> {
    let Json(component) = blocking(&s, move |svc| {
        svc.export_plugin(&tenant, &name, q.version.as_deref())
    })
    .await?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", component.plugin.hash))
        .map_err(|e| ApiError::internal(format!("etag: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/wasm"),
            ),
            (header::ETAG, etag),
        ],
        component.bytes,
    )
        .into_response())
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
    blocking(&s, move |svc| svc.shadow_report(&tenant, id)).await
}
