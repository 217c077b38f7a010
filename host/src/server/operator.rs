//! The operator's routes: tenants, their limits, keys.

use super::auth::Caller;
use super::{AppState, blocking};
use crate::runtime::Limits;
use crate::service::keys;
use crate::service::{
    Api, ApiError, CreateTenant, ErrorBody, IssueKey, IssuedKey, KeyInfo, LimitsPatch, TenantInfo,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

/// Who a key is.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WhoAmI {
    /// `operator` or `tenant`.
    pub kind: String,
    /// The tenant of a tenant key.
    pub tenant: Option<String>,
    /// Its role.
    pub role: Option<crate::store::Role>,
}

/// Who the key is.
#[utoipa::path(get, path = "/v1/whoami", tag = "auth",
    responses((status = 200, body = WhoAmI), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn whoami(caller: Caller) -> Json<WhoAmI> {
    Json(match caller.0 {
        keys::Principal::Operator => WhoAmI {
            kind: "operator".into(),
            tenant: None,
            role: None,
        },
        keys::Principal::Tenant { tenant, role } => WhoAmI {
            kind: "tenant".into(),
            tenant: Some(tenant),
            role: Some(role),
        },
    })
}

/// Every tenant.
#[utoipa::path(get, path = "/v1/tenants", tag = "operator",
    responses((status = 200, body = Vec<TenantInfo>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_tenants(
    State(s): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<TenantInfo>>, ApiError> {
    blocking(&s, |svc| svc.tenants()).await
}

/// Creates a tenant.
#[utoipa::path(post, path = "/v1/tenants", tag = "operator", request_body = CreateTenant,
    responses((status = 201, body = TenantInfo), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn create_tenant(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateTenant>,
) -> Result<(StatusCode, Json<TenantInfo>), ApiError> {
    let by = caller.1;
    let t = blocking(&s, move |svc| svc.create_tenant_by(&req, &by)).await?;
    Ok((StatusCode::CREATED, t))
}

/// A tenant's effective limits.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/limits", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Limits), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_limits(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Limits>, ApiError> {
    blocking(&s, move |svc| svc.limits(&tenant)).await
}

/// Lowers a tenant's limits (fields left out keep the operator's).
#[utoipa::path(put, path = "/v1/tenants/{tenant}/limits", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id")), request_body = LimitsPatch,
    responses((status = 200, body = Limits), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn set_limits(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(patch): Json<LimitsPatch>,
) -> Result<Json<Limits>, ApiError> {
    blocking(&s, move |svc| svc.set_limits(&tenant, Some(&patch))).await
}

/// Clears a tenant's own limits (back to the operator's).
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/limits", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Limits), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn clear_limits(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Limits>, ApiError> {
    blocking(&s, move |svc| svc.set_limits(&tenant, None)).await
}

/// A tenant's keys (never their secrets).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/keys", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<KeyInfo>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_keys(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<KeyInfo>>, ApiError> {
    blocking(&s, move |svc| svc.keys(Some(&tenant))).await
}

/// Issues a tenant key; its secret is in this answer only.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/keys", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id")), request_body = IssueKey,
    responses((status = 201, body = IssuedKey), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn issue_key(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(req): Json<IssueKey>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    let k = blocking(&s, move |svc| {
        svc.issue_key(
            Some(&tenant),
            Some(req.role),
            req.label.as_deref().unwrap_or(""),
        )
    })
    .await?;
    Ok((StatusCode::CREATED, k))
}

/// Revokes a tenant key.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/keys/{id}", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Key id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn revoke_key(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let removed = blocking(&s, move |svc| svc.revoke_key(Some(&tenant), &id)).await?;
    if removed.0 {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("key not found"))
    }
}
