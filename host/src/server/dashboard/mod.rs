//! The health dashboard over HTTP: its aggregation endpoints under
//! `/v1/tenants/{tenant}/dashboard/...` (GETs, so a viewer key reads them
//! through the one access policy), and the single-page front end at `/`,
//! embedded in the binary ([`assets`]); the page asks for a tenant key and
//! calls these endpoints with it.

mod assets;

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::dashboard::{
    AccountList, AccountQuery, ExpansionQuery, ExpansionView, Overview, PluginPanel, RenewalsView,
    SegmentsView,
};
use crate::service::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The dashboard's API routes (documented) and its page and assets.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(accounts))
        .routes(routes!(segments))
        .routes(routes!(expansion))
        .routes(routes!(renewals))
        .routes(routes!(plugins))
        .route("/", get(assets::index))
        .route("/assets/{file}", get(assets::asset))
}

/// Green / Yellow / Red now and against the previous run, their trend over
/// every run, turned Red, health by segment and by owner.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboard/overview", tag = "dashboard",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Overview), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn overview(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Overview>, ApiError> {
    blocking(&s, move |svc| svc.dashboard_overview(&tenant)).await
}

/// A page of accounts, filtered, searched and sorted on the server.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboard/accounts", tag = "dashboard",
    params(("tenant" = String, Path, description = "Tenant id"), AccountQuery),
    responses((status = 200, body = AccountList), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn accounts(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<AccountQuery>,
) -> Result<Json<AccountList>, ApiError> {
    blocking(&s, move |svc| svc.dashboard_accounts(&tenant, &q)).await
}

/// Segment sizes, entered and left since the previous run, health per segment.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboard/segments", tag = "dashboard",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = SegmentsView), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn segments(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<SegmentsView>, ApiError> {
    blocking(&s, move |svc| svc.dashboard_segments(&tenant)).await
}

/// Expansion candidates ranked by propensity, with drivers and ARR.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboard/expansion", tag = "dashboard",
    params(("tenant" = String, Path, description = "Tenant id"), ExpansionQuery),
    responses((status = 200, body = ExpansionView), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn expansion(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<ExpansionQuery>,
) -> Result<Json<ExpansionView>, ApiError> {
    blocking(&s, move |svc| svc.dashboard_expansion(&tenant, &q)).await
}

/// The renewal forecast for the next 30, 90 and 180 days with GRR and NRR.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboard/renewals", tag = "dashboard",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = RenewalsView), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn renewals(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<RenewalsView>, ApiError> {
    blocking(&s, move |svc| svc.dashboard_renewals(&tenant)).await
}

/// Every plugin: versions, the active one, last runs, errors by kind, shadow runs.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboard/plugins", tag = "dashboard",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<PluginPanel>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn plugins(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<PluginPanel>>, ApiError> {
    blocking(&s, move |svc| svc.dashboard_plugins(&tenant)).await
}
