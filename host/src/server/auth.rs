//! Who is calling: the `Authorization: Bearer KEY` header checked against
//! the stored key hashes, and what that caller may touch. A tenant key asking
//! for another tenant gets the same 404 as for a tenant that does not exist.

use super::AppState;
use crate::service::ApiError;
use crate::service::keys::{Principal, verify};
use crate::store::Role;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The verified caller of a request.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let key = header
            .strip_prefix("Bearer ")
            .ok_or_else(ApiError::unauthorized)?
            .trim();
        match verify(&state.service.store, key)? {
            Some(p) => Ok(Caller(p)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

impl Caller {
    /// Only the operator.
    pub fn operator(&self) -> Result<(), ApiError> {
        match self.0 {
            Principal::Operator => Ok(()),
            Principal::Tenant { .. } => Err(ApiError::forbidden(
                "this needs the operator key; tenant keys act within their tenant",
            )),
        }
    }

    /// A key of `tenant` with at least `need`.
    pub fn tenant(&self, tenant: &str, need: Role) -> Result<(), ApiError> {
        match &self.0 {
            Principal::Operator => Err(ApiError::forbidden(
                "the operator key manages tenants, limits and keys; use a tenant key for a tenant's data",
            )),
            Principal::Tenant { tenant: own, role } => {
                if own != tenant {
                    // Exactly what a missing tenant answers.
                    return Err(ApiError::not_found(format!("tenant {tenant:?} not found")));
                }
                if need == Role::Admin && *role != Role::Admin {
                    return Err(ApiError::forbidden("this needs a tenant admin key"));
                }
                Ok(())
            }
        }
    }
}
