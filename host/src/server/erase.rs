//! Undoing mistakes over HTTP: erasing an account (tenant admin), deleting
//! a tenant (operator), and reading the audit logs.

use super::auth::Caller;
use super::{AppState, blocking};
use crate::service::{ApiError, ErrorBody};
use crate::store::{AccountErased, AuditRecord, TenantDeleted};
use axum::Json;
use axum::extract::{Path, State};

/// Erases an account: its attributes, every snapshot and outcome, its
/// result in every run (whose counts then leave it out) and its rows in
/// shadow-run reports. Cannot be undone; the tenant's audit log keeps that
/// it happened (the account id, who, when, counts), never the data.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/accounts/{id}", tag = "accounts",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Account id")),
    responses((status = 200, body = AccountErased),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 429, description = "An ingest, run, shadow run or backtest of the tenant is going: retry", body = ErrorBody),
        (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn delete_account(
    State(s): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<AccountErased>, ApiError> {
    let by = caller.1;
    blocking(&s, move |svc| svc.delete_account_by(&tenant, &id, &by)).await
}

/// Deletes a tenant and every record of it: accounts, snapshots, outcomes,
/// plugins and their configurations, components no other tenant uses,
/// runs, results, shadow reports, its audit log, keys and limits. The
/// operator's audit log records it.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}", tag = "operator",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = TenantDeleted),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 429, description = "An ingest, run, shadow run or backtest of the tenant is going: retry", body = ErrorBody),
        (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn delete_tenant(
    State(s): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<TenantDeleted>, ApiError> {
    let by = caller.1;
    blocking(&s, move |svc| svc.delete_tenant_by(&tenant, &by)).await
}

/// The tenant's audit log, oldest first: accounts erased, runs discarded.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/audit", tag = "accounts",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<AuditRecord>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn tenant_audit(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    blocking(&s, move |svc| svc.tenant_audit(&tenant)).await
}

/// The operator's audit log, oldest first: tenants created and deleted.
#[utoipa::path(get, path = "/v1/audit", tag = "operator",
    responses((status = 200, body = Vec<AuditRecord>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn operator_audit(
    State(s): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    blocking(&s, |svc| svc.operator_audit()).await
}
