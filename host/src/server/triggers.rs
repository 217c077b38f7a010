//! Trigger rules and their events over HTTP (issue #19).

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::{
    ApiError, ErrorBody, TriggerApi, TriggerSaved, TriggerTest, TriggerTestQuery,
};
use crate::store::{EventFilter, RuleVersion};
use crate::triggers::Event;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The route `trigger test` is served on (a viewer may call it: it sends
/// nothing).
pub(super) const TEST_ROUTE: &str = "/v1/tenants/{tenant}/triggers/{name}/test";

/// The published JSON Schema of a trigger rule.
#[utoipa::path(get, path = "/v1/schemas/trigger-rule.json", tag = "triggers",
    responses((status = 200, description = "JSON Schema (draft 2020-12)", content_type = "application/schema+json")))]
pub async fn rule_schema() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/schema+json")],
        crate::triggers::rule::SCHEMA,
    )
        .into_response()
}

/// The tenant's trigger rules as they stand.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/triggers", tag = "triggers",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<RuleVersion>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_triggers(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<RuleVersion>>, ApiError> {
    blocking(&s, move |svc| svc.triggers(&tenant)).await
}

/// Saves a rule (checked against `/v1/schemas/trigger-rule.json`) as its next version.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/triggers", tag = "triggers",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body(content = crate::triggers::Rule, example = json!({"name": "turned-red", "event": {"type": "band-changed", "to": "red"}, "filters": {"min_arr": 50000}, "webhooks": ["crm"]})),
    responses((status = 201, body = TriggerSaved), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn put_trigger(
    State(s): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(rule): Json<serde_json::Value>,
) -> Response {
    let by = caller.1;
    match blocking(&s, move |svc| svc.put_trigger_by(&tenant, &rule, &by)).await {
        Ok(saved) => (StatusCode::CREATED, saved).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Removes a rule (kept as a version without one).
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/triggers/{name}", tag = "triggers",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Rule name")),
    responses((status = 200, body = RuleVersion), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn remove_trigger(
    State(s): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<RuleVersion>, ApiError> {
    let by = caller.1;
    blocking(&s, move |svc| svc.remove_trigger_by(&tenant, &name, &by)).await
}

/// Every version of a rule, oldest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/triggers/{name}/versions", tag = "triggers",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Rule name")),
    responses((status = 200, body = Vec<RuleVersion>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn trigger_versions(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<Vec<RuleVersion>>, ApiError> {
    blocking(&s, move |svc| svc.trigger_versions(&tenant, &name)).await
}

/// What a rule would have fired on a past run (default: the latest it watches); nothing is sent.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/triggers/{name}/test", tag = "triggers",
    params(("tenant" = String, Path, description = "Tenant id"), ("name" = String, Path, description = "Rule name"), TriggerTestQuery),
    responses((status = 200, body = TriggerTest), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn test_trigger(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<TriggerTestQuery>,
) -> Result<Json<TriggerTest>, ApiError> {
    blocking(&s, move |svc| svc.test_trigger(&tenant, &name, &q)).await
}

/// Events fired by complete runs, newest run first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/events", tag = "triggers",
    params(("tenant" = String, Path, description = "Tenant id"), EventFilter),
    responses((status = 200, body = Vec<Event>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_events(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(filter): Query<EventFilter>,
) -> Result<Json<Vec<Event>>, ApiError> {
    blocking(&s, move |svc| svc.events(&tenant, &filter)).await
}
