//! Delivery passes: fan the outbox out into deliveries, take what is due,
//! and attempt it, at most so many at once per endpoint, each result
//! written in one store transaction. An endpoint removed or disabled gets
//! nothing: its due deliveries go dead, saying why (and can be replayed);
//! one that answers 410 is disabled; one failing continuously longer than
//! the operator allows is disabled and flagged.

use super::attempt::{Answer, GONE_REASON, Outgoing, Sender, Verdict, verdict};
use super::retry::{next_attempt_ms, random_u64};
use super::settings::DeliverySettings;
use crate::service::Metrics;
use crate::store::{
    AfterAttempt, AttemptRecord, Delivery, Endpoint, EndpointDisabled, Store, StoreError, now_ms,
};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Events fanned out per pass (the rest wait for the next one).
const FAN_OUT_PER_PASS: usize = 10_000;
/// Deliveries taken per pass.
const DUE_PER_PASS: usize = 1_000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    /// Outboxed events fanned out into deliveries.
    pub fanned_out: usize,
    /// Attempts made.
    pub attempted: usize,
    /// Of them, delivered.
    pub delivered: usize,
    /// Of them, failed and due again later.
    pub retrying: usize,
    /// Deliveries that went dead (attempts spent, 410, endpoint disabled or removed).
    pub dead: usize,
}

impl PassReport {
    /// Whether the pass found nothing to do.
    pub fn idle(&self) -> bool {
        self.fanned_out == 0 && self.attempted == 0 && self.dead == 0
    }

    fn add(&mut self, other: PassReport) {
        self.fanned_out += other.fanned_out;
        self.attempted += other.attempted;
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.dead += other.dead;
    }
}

/// Runs delivery passes over a store.
pub struct Worker {
    store: Store,
    settings: DeliverySettings,
    sender: Sender,
    metrics: Arc<Metrics>,
}

/// How the attempts of one endpoint changed it.
#[derive(Debug, Default)]
struct EndpointOutcome {
    delivered: bool,
    failed_at: Option<u64>,
    gone: bool,
}

impl Worker {
    /// A worker under the operator's settings, counting into `metrics`.
    pub fn new(
        store: Store,
        settings: DeliverySettings,
        metrics: Arc<Metrics>,
    ) -> Result<Worker, String> {
        let sender = Sender::new(&settings)?;
        Ok(Worker {
            store,
            settings,
            sender,
            metrics,
        })
    }

    /// One pass: fan out, then attempt everything due now.
    pub async fn pass(&self) -> Result<PassReport, StoreError> {
        let mut report = PassReport {
            fanned_out: self.store.fan_out(FAN_OUT_PER_PASS)?,
            ..Default::default()
        };
        let due = self.store.due_deliveries(now_ms(), DUE_PER_PASS)?;
        let mut by_endpoint: BTreeMap<(String, String), Vec<Delivery>> = BTreeMap::new();
        for d in due {
            by_endpoint
                .entry((d.tenant.clone(), d.endpoint.clone()))
                .or_default()
                .push(d);
        }
        let groups = by_endpoint
            .into_iter()
            .map(|((tenant, name), deliveries)| self.endpoint_pass(tenant, name, deliveries));
        let results = futures_util::future::join_all(groups).await;
        for r in results {
            report.add(r?);
        }
        self.metrics.outbox_depth(self.store.outbox_depth());
        Ok(report)
    }

    /// Passes until nothing is due now (`vitals webhook deliver`).
    pub async fn drain(&self) -> Result<PassReport, StoreError> {
        let mut total = PassReport::default();
        loop {
            let report = self.pass().await?;
            if report.idle() {
                return Ok(total);
            }
            total.add(report);
        }
    }

    /// One endpoint's due deliveries.
    async fn endpoint_pass(
        &self,
        tenant: String,
        name: String,
        deliveries: Vec<Delivery>,
    ) -> Result<PassReport, StoreError> {
        let endpoint = match self.store.endpoint(&tenant, &name)? {
            None => return self.bury(&deliveries, &format!("webhook {name:?} was removed")),
            Some(Endpoint {
                disabled: Some(d), ..
            }) => {
                let why = format!("webhook {name:?} is disabled: {}", d.reason);
                return self.bury(&deliveries, &why);
            }
            Some(e) => e,
        };
        let now = now_ms();
        let mut secrets = vec![endpoint.secret.as_str()];
        if let Some(p) = endpoint
            .previous_secret
            .as_ref()
            .filter(|p| p.until_ms > now)
        {
            secrets.push(p.secret.as_str());
        }
        let gone = std::sync::atomic::AtomicBool::new(false);
        let attempts = futures_util::stream::iter(deliveries.iter().map(|d| {
            let secrets = secrets.clone();
            let (endpoint, gone) = (&endpoint, &gone);
            async move {
                if gone.load(std::sync::atomic::Ordering::Relaxed) {
                    return Ok((d, None));
                }
                let answer = self.attempt(endpoint, d, secrets).await?;
                if answer.as_ref().is_some_and(|a| verdict(a) == Verdict::Gone) {
                    gone.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Ok::<_, StoreError>((d, answer))
            }
        }))
        .buffer_unordered(self.settings.max_in_flight_per_endpoint)
        .collect::<Vec<_>>()
        .await;
        let mut report = PassReport::default();
        let mut outcome = EndpointOutcome::default();
        let mut not_sent = Vec::new();
        for r in attempts {
            let (d, answer) = r?;
            let Some(answer) = answer else {
                not_sent.push(d.clone());
                continue;
            };
            match self.record(d, &answer)? {
                Some(AfterAttempt::Delivered) => {
                    report.delivered += 1;
                    outcome.delivered = true;
                }
                Some(AfterAttempt::RetryAt(_)) => {
                    report.retrying += 1;
                    outcome.failed_at.get_or_insert(answer_at(&answer));
                }
                Some(AfterAttempt::Dead(_)) => {
                    report.dead += 1;
                    if verdict(&answer) == Verdict::Gone {
                        outcome.gone = true;
                    } else {
                        outcome.failed_at.get_or_insert(answer_at(&answer));
                    }
                }
                None => {}
            }
            report.attempted += 1;
        }
        let gone_report = self.bury(
            &not_sent,
            &format!("webhook {name:?} is disabled: {GONE_REASON}"),
        )?;
        report.add(gone_report);
        self.update_endpoint(&tenant, &name, outcome)?;
        Ok(report)
    }

    /// One attempt of one delivery; `None` when its event is gone (it is
    /// then dead, saying so).
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        d: &Delivery,
        secrets: Vec<&str>,
    ) -> Result<Option<Answer>, StoreError> {
        let Some(event) = self.store.event(&d.tenant, d.run, &d.rule, &d.account)? else {
            self.bury(std::slice::from_ref(d), "its event no longer exists")?;
            return Ok(None);
        };
        let body = event.webhook_body();
        let answer = self
            .sender
            .send(&Outgoing {
                url: &endpoint.url,
                webhook_id: &d.webhook_id,
                body: &body,
                secrets,
            })
            .await;
        self.metrics
            .delivery_attempt(answer.latency_ms as f64 / 1000.0);
        Ok(Some(answer))
    }

    /// Writes an attempt and what follows it; `None` when the delivery
    /// changed meanwhile (replayed: the replay stands).
    fn record(&self, d: &Delivery, answer: &Answer) -> Result<Option<AfterAttempt>, StoreError> {
        let now = now_ms();
        let after = match verdict(answer) {
            Verdict::Delivered => AfterAttempt::Delivered,
            Verdict::Gone => AfterAttempt::Dead(format!(
                "the receiver answered {GONE_REASON}: webhook {:?} disabled",
                d.endpoint
            )),
            Verdict::Failed => match next_attempt_ms(
                &self.settings.retry_schedule,
                self.settings.jitter,
                d.attempts + 1,
                now,
                random_u64(),
            ) {
                Some(at) => AfterAttempt::RetryAt(at),
                None => AfterAttempt::Dead(format!(
                    "{} attempts failed; the last: {}",
                    d.attempts + 1,
                    describe(answer)
                )),
            },
        };
        let record = AttemptRecord {
            at_ms: now.saturating_sub(answer.latency_ms),
            code: answer.code,
            latency_ms: answer.latency_ms,
            error: answer.error.clone(),
            response: answer.response.clone(),
        };
        match self.store.record_attempt(d, record, after.clone()) {
            Ok(_) => {
                self.metrics.delivery_status(status_of(&after));
                Ok(Some(after))
            }
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deliveries that are not attempted go dead, saying why (replayable).
    fn bury(&self, deliveries: &[Delivery], why: &str) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        for d in deliveries {
            match self.store.mark_dead(d, &format!("not sent: {why}")) {
                Ok(_) => {
                    report.dead += 1;
                    self.metrics.delivery_status("dead");
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Applies what the attempts showed to the endpoint's record (read
    /// again now, so a rotation or an enable meanwhile is kept).
    fn update_endpoint(
        &self,
        tenant: &str,
        name: &str,
        outcome: EndpointOutcome,
    ) -> Result<(), StoreError> {
        let Some(mut endpoint) = self.store.endpoint(tenant, name)? else {
            return Ok(());
        };
        let before = endpoint.clone();
        let now = now_ms();
        if outcome.gone {
            endpoint.disabled = Some(EndpointDisabled {
                at_ms: now,
                reason: GONE_REASON.into(),
            });
        } else if outcome.delivered {
            endpoint.failing_since_ms = None;
        } else if let Some(at) = outcome.failed_at {
            let since = *endpoint.failing_since_ms.get_or_insert(at);
            let limit = self.settings.disable_after.as_millis() as u64;
            if endpoint.disabled.is_none() && now.saturating_sub(since) >= limit {
                let reason = format!(
                    "every attempt failed for more than {} hours",
                    limit / 3_600_000
                );
                endpoint.disabled = Some(EndpointDisabled {
                    at_ms: now,
                    reason: reason.clone(),
                });
                endpoint.flagged = Some(reason);
            }
        }
        if endpoint != before {
            self.store.put_endpoint(tenant, &endpoint)?;
        }
        Ok(())
    }
}

fn answer_at(answer: &Answer) -> u64 {
    now_ms().saturating_sub(answer.latency_ms)
}

fn status_of(after: &AfterAttempt) -> &'static str {
    match after {
        AfterAttempt::Delivered => "delivered",
        AfterAttempt::RetryAt(_) => "retrying",
        AfterAttempt::Dead(_) => "dead",
    }
}

/// An answer in a few words.
fn describe(answer: &Answer) -> String {
    match (answer.code, &answer.error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".into(),
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
