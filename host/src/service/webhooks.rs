//! A tenant's webhook endpoints as one API (issue #19), implemented by the
//! service (local CLI, server) and by the HTTP client, like [`super::PackApi`].
//! A URL is checked against the operator's destination policy when it is
//! added (and the delivery worker checks again at every attempt).

use super::webhook_views::*;
use super::{ApiError, ApiResult, Service};
use crate::delivery::sign::{check_secret, generate_secret};
use crate::store::{Endpoint, PreviousSecret, now_ms, valid_tenant_id};

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_WINDOW_MS: u64 = 24 * 3_600_000;

/// A tenant's webhook endpoints.
pub trait WebhookApi {
    /// The tenant's endpoints, by name (never their secrets).
    fn webhooks(&self, tenant: &str) -> ApiResult<Vec<WebhookView>>;
    /// Adds an endpoint; its secret (given or generated) is in the answer, once.
    fn add_webhook(&self, tenant: &str, req: &AddWebhook) -> ApiResult<WebhookSecret>;
    /// Removes an endpoint; its deliveries still due go dead (replayable).
    fn remove_webhook(&self, tenant: &str, name: &str) -> ApiResult<WebhookView>;
    /// Gives an endpoint a new secret; the old one signs too for 24 hours.
    fn rotate_webhook_secret(
        &self,
        tenant: &str,
        name: &str,
        req: &RotateSecret,
    ) -> ApiResult<WebhookSecret>;
    /// Delivers to a disabled or flagged endpoint again.
    fn enable_webhook(&self, tenant: &str, name: &str) -> ApiResult<WebhookView>;
    /// The tenant's deliveries, newest run first.
    fn deliveries(&self, tenant: &str, q: &DeliveryQuery) -> ApiResult<Vec<DeliveryView>>;
    /// Sends dead (or chosen) deliveries again, with the same `webhook-id`.
    fn replay(&self, tenant: &str, req: &ReplayRequest) -> ApiResult<Replayed>;
}

impl WebhookApi for Service {
    fn webhooks(&self, tenant: &str) -> ApiResult<Vec<WebhookView>> {
        Ok(self
            .store
            .endpoints(tenant)?
            .iter()
            .map(WebhookView::from)
            .collect())
    }

    fn add_webhook(&self, tenant: &str, req: &AddWebhook) -> ApiResult<WebhookSecret> {
        if !valid_tenant_id(&req.name) {
            return Err(ApiError::bad_request(format!(
                "webhook name {:?}: use 1 to 64 lowercase letters, digits and -",
                req.name
            )));
        }
        self.delivery
            .policy
            .check_url_now(&req.url)
            .map_err(|why| ApiError::bad_request(format!("webhook {:?}: url {why}", req.name)))?;
        if req
            .url
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("https:")
        {
            // Refused here rather than failing every attempt later: the
            // delivery client of this build has no TLS yet.
            return Err(ApiError::new(
                422,
                "no-tls",
                format!(
                    "webhook {:?}: url {:?}: this build delivers over http only (TLS for webhook delivery is not built yet); use an http receiver on a network the operator lists in webhooks.destinations",
                    req.name, req.url
                ),
            ));
        }
        let (secret, generated) = self.secret_for(&req.name, req.secret.as_deref())?;
        let endpoint = Endpoint {
            name: req.name.clone(),
            url: req.url.clone(),
            secret: secret.clone(),
            previous_secret: None,
            created_ms: now_ms(),
            disabled: None,
            failing_since_ms: None,
            flagged: None,
        };
        self.store.add_endpoint(tenant, &endpoint)?;
        Ok(WebhookSecret {
            webhook: WebhookView::from(&endpoint),
            secret,
            generated,
        })
    }

    fn remove_webhook(&self, tenant: &str, name: &str) -> ApiResult<WebhookView> {
        self.store.require_tenant_exists(tenant)?;
        let removed = self.store.remove_endpoint(tenant, name)?;
        Ok(WebhookView::from(&removed))
    }

    fn rotate_webhook_secret(
        &self,
        tenant: &str,
        name: &str,
        req: &RotateSecret,
    ) -> ApiResult<WebhookSecret> {
        let mut endpoint = self.endpoint_of(tenant, name)?;
        let (secret, generated) = self.secret_for(name, req.secret.as_deref())?;
        if secret == endpoint.secret {
            return Err(ApiError::bad_request(format!(
                "webhook {name:?}: the new secret is the current one"
            )));
        }
        // Two secrets sign at most: a secret rotated out before is dropped.
        endpoint.previous_secret = Some(PreviousSecret {
            secret: std::mem::replace(&mut endpoint.secret, secret.clone()),
            until_ms: now_ms() + ROTATION_WINDOW_MS,
        });
        self.store.put_endpoint(tenant, &endpoint)?;
        Ok(WebhookSecret {
            webhook: WebhookView::from(&endpoint),
            secret,
            generated,
        })
    }

    fn enable_webhook(&self, tenant: &str, name: &str) -> ApiResult<WebhookView> {
        let mut endpoint = self.endpoint_of(tenant, name)?;
        endpoint.disabled = None;
        endpoint.flagged = None;
        endpoint.failing_since_ms = None;
        self.store.put_endpoint(tenant, &endpoint)?;
        Ok(WebhookView::from(&endpoint))
    }

    fn deliveries(&self, tenant: &str, q: &DeliveryQuery) -> ApiResult<Vec<DeliveryView>> {
        Ok(self
            .store
            .deliveries(tenant, &q.filter())?
            .into_iter()
            .map(DeliveryView::from)
            .collect())
    }

    fn replay(&self, tenant: &str, req: &ReplayRequest) -> ApiResult<Replayed> {
        let filter = crate::store::DeliveryFilter {
            status: req.dead.then_some(crate::store::DeliveryStatus::Dead),
            endpoint: req.endpoint.clone(),
            run: req.run,
            event: req.event.clone(),
            limit: None,
        };
        let deliveries: Vec<DeliveryView> = self
            .store
            .replay(tenant, &filter)?
            .into_iter()
            .map(DeliveryView::from)
            .collect();
        if !deliveries.is_empty() {
            self.wake_deliveries();
        }
        Ok(Replayed {
            count: deliveries.len(),
            deliveries,
        })
    }
}

impl Service {
    /// A delivery worker over this service's store, settings and metrics.
    pub fn delivery_worker(&self) -> Result<crate::delivery::worker::Worker, String> {
        crate::delivery::worker::Worker::new(
            self.store.clone(),
            self.delivery.clone(),
            self.metrics.clone(),
        )
    }

    /// What wakes `vitals serve`'s delivery loop.
    pub fn delivery_wakeups(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.delivery_wake.clone()
    }

    /// Starts a delivery pass now (call when a run with events completes);
    /// without it the loop still passes every second.
    pub fn wake_deliveries(&self) {
        self.delivery_wake.notify_one();
    }

    fn endpoint_of(&self, tenant: &str, name: &str) -> ApiResult<Endpoint> {
        self.store.require_tenant_exists(tenant)?;
        self.store
            .endpoint(tenant, name)?
            .ok_or_else(|| ApiError::not_found(format!("webhook {name:?} not found")))
    }

    /// The secret given (checked) or a new one, and whether it was generated.
    fn secret_for(&self, name: &str, given: Option<&str>) -> ApiResult<(String, bool)> {
        match given {
            Some(secret) => {
                check_secret(secret)
                    .map_err(|why| ApiError::bad_request(format!("webhook {name:?}: {why}")))?;
                Ok((secret.to_string(), false))
            }
            None => Ok((generate_secret().map_err(ApiError::internal)?, true)),
        }
    }
}

#[cfg(test)]
#[path = "webhooks_tests.rs"]
mod tests;
