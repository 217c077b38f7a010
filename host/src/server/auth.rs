//! Who is calling and what they may touch, decided in one place before any
//! handler (or its body parsing) runs: the `Authorization: Bearer KEY`
//! header checked against the stored key hashes, then one policy over the
//! route template and method. A tenant key asking for another tenant gets
//! the same 404 as for a tenant that does not exist.

use super::AppState;
use crate::service::ApiError;
use crate::service::keys::Principal;
use crate::store::Role;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams};
use axum::http::Method;
use axum::http::request::Parts;

/// The verified, authorised caller of a request: its principal, and who it
/// is for the record (`key ID`, the key's public id).
pub struct Caller(pub Principal, pub String);

/// Routes only the operator may use.
const OPERATOR_ROUTES: [&str; 11] = [
    "/v1/trust",
    "/v1/trust/keys",
    "/v1/trust/keys/{key_id}",
    "/v1/trust/revocations",
    "/v1/trust/unsigned",
    "/v1/tenants",
    "/v1/tenants/{tenant}",
    "/v1/audit",
    "/v1/tenants/{tenant}/limits",
    "/v1/tenants/{tenant}/keys",
    "/v1/tenants/{tenant}/keys/{id}",
];

/// Tenant routes a viewer may call although they are not GETs (they read).
const VIEWER_POSTS: [&str; 4] = [
    "/v1/tenants/{tenant}/accounts/{id}/score",
    super::triggers::TEST_ROUTE,
    "/v1/tenants/{tenant}/backtests",
    "/v1/tenants/{tenant}/backtests/suggest",
];

/// The policy: may `who` call `method route` on `tenant` (the path's, if any)?
pub fn authorize(
    who: &Principal,
    method: &Method,
    route: &str,
    tenant: Option<&str>,
) -> Result<(), ApiError> {
    if route == "/v1/whoami" {
        return Ok(());
    }
    let operator_route = OPERATOR_ROUTES.contains(&route);
    match who {
        Principal::Operator if operator_route => Ok(()),
        Principal::Operator => Err(ApiError::forbidden(
            "the operator key manages tenants, limits, keys and trusted vendors; use a tenant key for a tenant's data",
        )),
        Principal::Tenant { tenant: own, role } => {
            if let Some(t) = tenant
                && t != own
            {
                // Exactly what a missing tenant answers.
                return Err(ApiError::not_found(format!("tenant {t:?} not found")));
            }
            if operator_route {
                return Err(ApiError::forbidden(
                    "this needs the operator key; tenant keys act within their tenant",
                ));
            }
            let reads = *method == Method::GET || VIEWER_POSTS.contains(&route);
            if !reads && *role != Role::Admin {
                return Err(ApiError::forbidden("this needs a tenant admin key"));
            }
            Ok(())
        }
    }
}

/// The key of an `Authorization: Bearer KEY` header; the scheme's case
/// does not matter (RFC 9110 section 11.1).
fn bearer_key(header: &str) -> Option<&str> {
    let (scheme, key) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim())
        .filter(|k| !k.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let key = bearer_key(header).ok_or_else(ApiError::unauthorized)?;
        let Some(principal) = state.service.verify_key(key)? else {
            return Err(ApiError::unauthorized());
        };
        let by = format!(
            "key {}",
            crate::service::keys::key_id(key).unwrap_or_default()
        );
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let tenant = params.iter().find(|(k, _)| *k == "tenant").map(|(_, v)| v);
        authorize(&principal, &parts.method, &route, tenant)?;
        Ok(Caller(principal, by))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(t: &str, role: Role) -> Principal {
        Principal::Tenant {
            tenant: t.into(),
            role,
        }
    }

    #[test]
    fn the_bearer_scheme_is_matched_without_case() {
        assert_eq!(bearer_key("Bearer k1"), Some("k1"));
        assert_eq!(bearer_key("bearer k1"), Some("k1"));
        assert_eq!(bearer_key("BEARER  k1 "), Some("k1"));
        assert_eq!(bearer_key("Basic k1"), None);
        assert_eq!(bearer_key("Bearerk1"), None);
        assert_eq!(bearer_key("Bearer "), None);
    }

    #[test]
    fn the_policy_scopes_keys_to_their_tenant_and_role() {
        let runs = "/v1/tenants/{tenant}/runs";
        let score = "/v1/tenants/{tenant}/accounts/{id}/score";
        let admin = tenant("a", Role::Admin);
        let viewer = tenant("a", Role::Viewer);
        assert!(authorize(&admin, &Method::POST, runs, Some("a")).is_ok());
        assert_eq!(
            authorize(&admin, &Method::GET, runs, Some("b"))
                .unwrap_err()
                .status,
            404
        );
        assert!(authorize(&viewer, &Method::GET, runs, Some("a")).is_ok());
        assert_eq!(
            authorize(&viewer, &Method::POST, runs, Some("a"))
                .unwrap_err()
                .status,
            403
        );
        assert!(authorize(&viewer, &Method::POST, score, Some("a")).is_ok());
        assert_eq!(
            authorize(&admin, &Method::POST, "/v1/tenants", None)
                .unwrap_err()
                .status,
            403
        );
        assert!(authorize(&Principal::Operator, &Method::POST, "/v1/tenants", None).is_ok());
        // Deleting a tenant and the operator's audit log: the operator's alone.
        let tenant_route = "/v1/tenants/{tenant}";
        assert_eq!(
            authorize(&admin, &Method::DELETE, tenant_route, Some("a"))
                .unwrap_err()
                .status,
            403
        );
        assert!(
            authorize(
                &Principal::Operator,
                &Method::DELETE,
                tenant_route,
                Some("a")
            )
            .is_ok()
        );
        assert_eq!(
            authorize(&admin, &Method::GET, "/v1/audit", None)
                .unwrap_err()
                .status,
            403
        );
        // Erasing an account needs a tenant admin; its audit log any key of it.
        let account = "/v1/tenants/{tenant}/accounts/{id}";
        assert!(authorize(&admin, &Method::DELETE, account, Some("a")).is_ok());
        assert_eq!(
            authorize(&viewer, &Method::DELETE, account, Some("a"))
                .unwrap_err()
                .status,
            403
        );
        assert!(
            authorize(
                &viewer,
                &Method::GET,
                "/v1/tenants/{tenant}/audit",
                Some("a")
            )
            .is_ok()
        );
        assert_eq!(
            authorize(&Principal::Operator, &Method::GET, runs, Some("a"))
                .unwrap_err()
                .status,
            403
        );
        // Another tenant's operator route: still a 404, never a hint it exists.
        assert_eq!(
            authorize(&admin, &Method::GET, "/v1/tenants/{tenant}/keys", Some("b"))
                .unwrap_err()
                .status,
            404
        );
    }
}
