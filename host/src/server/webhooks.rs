//! A tenant's webhook endpoints over HTTP (issue #19). Listing is a read
//! (any key of the tenant); adding, removing, re-keying and enabling need a
//! tenant admin key (the one policy in [`super::auth`]). Secrets appear
//! only in the answer to the call that made them.

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::{
    AddWebhook, ApiError, DeliveryQuery, DeliveryView, ErrorBody, ReplayRequest, Replayed,
    RotateSecret, WebhookApi, WebhookSecret, WebhookView,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The tenant's endpoints (never their secrets).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/webhooks", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<WebhookView>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_webhooks(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    blocking(&s, move |svc| svc.webhooks(&tenant)).await
}

/// Adds an endpoint (its URL within the operator's destinations); the
/// secret, given or generated, is in this answer only.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/webhooks", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = AddWebhook,
    responses((status = 201, body = WebhookSecret), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn add_webhook(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(req): Json<AddWebhook>,
) -> Response {
    match blocking(&s, move |svc| svc.add_webhook(&tenant, &req)).await {
        Ok(made) => (StatusCode::CREATED, made).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Removes an endpoint; its deliveries still due go dead (replayable).
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/webhooks/{name}", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Endpoint name")),
    responses((status = 200, body = WebhookView), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn remove_webhook(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<WebhookView>, ApiError> {
    blocking(&s, move |svc| svc.remove_webhook(&tenant, &name)).await
}

/// Gives an endpoint a new secret (given or generated, in this answer
/// only); the old one keeps signing beside it for 24 hours.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/webhooks/{name}/rotate-secret", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Endpoint name")),
    request_body = RotateSecret,
    responses((status = 200, body = WebhookSecret), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn rotate_secret(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(req): Json<RotateSecret>,
) -> Result<Json<WebhookSecret>, ApiError> {
    blocking(&s, move |svc| {
        svc.rotate_webhook_secret(&tenant, &name, &req)
    })
    .await
}

/// Delivers to a disabled or flagged endpoint again.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/webhooks/{name}/enable", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Endpoint name")),
    responses((status = 200, body = WebhookView), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn enable_webhook(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<WebhookView>, ApiError> {
    blocking(&s, move |svc| svc.enable_webhook(&tenant, &name)).await
}

/// The tenant's deliveries, newest run first: state, attempts, the latest
/// answer's code, latency and first bytes (its own receivers' only).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/deliveries", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id"), DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_deliveries(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    blocking(&s, move |svc| svc.deliveries(&tenant, &q)).await
}

/// Sends dead deliveries (or those a run or an event names) again, with
/// the same `webhook-id`.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/deliveries/replay", tag = "webhooks",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = ReplayRequest,
    responses((status = 200, body = Replayed), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn replay(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(req): Json<ReplayRequest>,
) -> Result<Json<Replayed>, ApiError> {
    blocking(&s, move |svc| svc.replay(&tenant, &req)).await
}
