//! The outbox of trigger events and their deliveries (issue #19).
//!
//! A run derives its events while it runs and stages them under its id, as
//! it writes its results: nothing reads them while the run is `running`. The
//! same sled transaction that marks the run complete puts a mark in the
//! `outbox` tree, so a run cut off sends nothing (its staged events are
//! removed with its results when it is marked failed) and a completed run's
//! events can no longer be lost. A delivery pass then fans each marked run's
//! events out into one delivery record per endpoint, and sends what is due.
//!
//! Trees and keys (`RUN` is 8 bytes big-endian, `0` the separator):
//! - `events`: `tenant 0 RUN RULE 0 ACCOUNT` -> [`Event`] (one per rule,
//!   account and run: derived again, it overwrites itself);
//! - `outbox`: `tenant 0 RUN` -> [`OutboxMark`] (events not yet fanned out);
//! - `deliveries`: `tenant 0 ENDPOINT 0 RUN RULE 0 ACCOUNT` -> [`Delivery`];
//! - `due`: `DUE_MS (8 bytes) DELIVERY_KEY` -> empty, one entry per pending
//!   delivery, so a pass reads only what is due.

use super::keys::tenant_key;
use super::runs::RunStatus;
use super::{Store, StoreError, abort, codec, now_ms};
use crate::triggers::Event;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use std::collections::HashMap;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up (the last retry failed, the endpoint was disabled or
    /// removed): replayable.
    Dead,
}

impl DeliveryStatus {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }
}

/// One attempt's outcome as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttemptRecord {
    /// When it started (unix ms).
    pub at_ms: u64,
    /// The receiver's status code, when it answered.
    pub code: Option<u16>,
    /// How long it took (ms).
    pub latency_ms: u64,
    /// What went wrong, in our words (timeout, refused, status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first bytes of the receiver's answer, shown to this tenant only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    /// The tenant.
    pub tenant: String,
    /// The endpoint's name.
    pub endpoint: String,
    /// The run that caused the event.
    pub run: u64,
    /// The rule that fired.
    pub rule: String,
    /// The account.
    pub account: String,
    /// The event's id: the `webhook-id` of every attempt and replay.
    pub webhook_id: String,
    /// The event (`band-changed`, ...).
    pub event: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts since it was created or last replayed.
    pub attempts: u32,
    /// Times it was replayed.
    #[serde(default)]
    pub replays: u32,
    /// When it is due next, while pending (unix ms).
    pub next_at_ms: Option<u64>,
    /// When it was created (unix ms).
    pub created_ms: u64,
    /// The latest attempt.
    pub last: Option<AttemptRecord>,
    /// Why it is dead, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_reason: Option<String>,
}

impl Delivery {
    /// Its key in the `deliveries` tree.
    fn key(&self) -> Vec<u8> {
        delivery_key(
            &self.tenant,
            &self.endpoint,
            self.run,
            &self.rule,
            &self.account,
        )
    }
}

/// What follows an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterAttempt {
    /// Delivered: done.
    Delivered,
    /// Try again at this instant (unix ms).
    RetryAt(u64),
    /// Give up, for this reason.
    Dead(String),
}

/// A complete run's events not yet fanned out into deliveries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboxMark {
    /// The key of the last event fanned out (`None`: none yet).
    pub after: Option<Vec<u8>>,
}

/// Which deliveries to list or replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
pub struct DeliveryFilter {
    /// Only in this state.
    pub status: Option<DeliveryStatus>,
    /// Only to this endpoint.
    pub endpoint: Option<String>,
    /// Only of this run.
    pub run: Option<u64>,
    /// Only of this event id (`webhook-id`).
    pub event: Option<String>,
    /// At most this many (newest runs first); `None`: all.
    pub limit: Option<usize>,
}

impl DeliveryFilter {
    fn keeps(&self, d: &Delivery) -> bool {
        self.status.is_none_or(|s| s == d.status)
            && self.endpoint.as_ref().is_none_or(|e| *e == d.endpoint)
            && self.run.is_none_or(|r| r == d.run)
            && self.event.as_ref().is_none_or(|e| *e == d.webhook_id)
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
pub struct EventFilter {
    /// Only of this run.
    pub run: Option<u64>,
    /// Only of this rule.
    pub rule: Option<String>,
    /// Only on this account.
    pub account: Option<String>,
    /// At most this many (newest runs first); `None`: all.
    pub limit: Option<usize>,
}

/// How much is waiting, store-wide (for the metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutboxDepth {
    /// Complete runs whose events are not fanned out yet.
    pub runs_waiting: u64,
    /// Deliveries waiting for an attempt.
    pub deliveries_pending: u64,
}

fn run_events_prefix(tenant: &str, run: u64) -> Vec<u8> {
    tenant_key(tenant, &[&run.to_be_bytes()])
}

fn event_key(tenant: &str, run: u64, rule: &str, account: &str) -> Vec<u8> {
    let mut k = run_events_prefix(tenant, run);
    k.extend_from_slice(rule.as_bytes());
    k.push(0);
    k.extend_from_slice(account.as_bytes());
    k
}

fn delivery_key(tenant: &str, endpoint: &str, run: u64, rule: &str, account: &str) -> Vec<u8> {
    let mut k = tenant_key(tenant, &[endpoint.as_bytes(), &run.to_be_bytes()]);
    k.extend_from_slice(rule.as_bytes());
    k.push(0);
    k.extend_from_slice(account.as_bytes());
    k
}

fn due_key(at_ms: u64, delivery: &[u8]) -> Vec<u8> {
    let mut k = at_ms.to_be_bytes().to_vec();
    k.extend_from_slice(delivery);
    k
}

/// The run id in an `events` key of `tenant`.
fn run_of_event_key(tenant: &str, key: &[u8]) -> Option<u64> {
    let at = tenant.len() + 1;
    Some(u64::from_be_bytes(key.get(at..at + 8)?.try_into().ok()?))
}

/// What fan-out reads of an event: who it goes to (the rest of the
/// record is skipped unread).
#[derive(Deserialize)]
struct Routing {
    id: String,
    #[serde(rename = "type")]
    event: String,
    rule: Named,
    account: Identified,
    run: Numbered,
    webhooks: Vec<String>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Identified {
    id: String,
}

#[derive(Deserialize)]
struct Numbered {
    id: u64,
}

/// Events fanned out per transaction: bounded memory whatever a run fired.
const FAN_OUT_CHUNK: usize = 500;

impl Store {
    /// Stages events a running run derived (not deliverable until the run
    /// is complete).
    pub fn stage_events(&self, tenant: &str, run: u64, events: &[Event]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for e in events {
            batch.insert(
                event_key(tenant, run, &e.rule.name, &e.account.id),
                codec::encode_json(e),
            );
        }
        self.events.apply_batch(batch)?;
        Ok(())
    }

    /// Removes a run's staged events (the run failed).
    pub(super) fn remove_run_events(&self, tenant: &str, run: u64) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for kv in self.events.scan_prefix(run_events_prefix(tenant, run)) {
            batch.remove(kv?.0);
        }
        self.events.apply_batch(batch)?;
        Ok(())
    }

    /// Writes a run's record and, when it fired events, its outbox mark,
    /// in one transaction: the step that makes the events deliverable.
    pub(super) fn write_run_with_outbox(
        &self,
        run_key: &[u8],
        run_value: &[u8],
        tenant: &str,
        run: u64,
        events: u64,
    ) -> Result<(), StoreError> {
        let mark_key = run_events_prefix(tenant, run);
        let mark = codec::encode_json(&OutboxMark::default());
        (&self.runs, &self.outbox)
            .transaction(|(runs, outbox)| {
                runs.insert(run_key, run_value)?;
                if events > 0 {
                    outbox.insert(mark_key.as_slice(), mark.as_slice())?;
                }
                Ok(())
            })
            .map_err(super::transaction_error)
    }

    /// One event of a complete run, with its run's configuration.
    pub fn event(
        &self,
        tenant: &str,
        run: u64,
        rule: &str,
        account: &str,
    ) -> Result<Option<Event>, StoreError> {
        let Some(v) = self.events.get(event_key(tenant, run, rule, account))? else {
            return Ok(None);
        };
        let mut e: Event = codec::decode("event", &v)?;
        e.run.config = self.run_config(tenant, run)?;
        Ok(Some(e))
    }

    /// A run's configuration as JSON (a configuration that is not JSON,
    /// from an older plugin, as a string).
    fn run_config(&self, tenant: &str, run: u64) -> Result<serde_json::Value, StoreError> {
        let config = self.run(tenant, run)?.config;
        Ok(serde_json::from_str(&config).unwrap_or(serde_json::Value::String(config)))
    }

    /// A tenant's events of complete runs, newest run first (within a run
    /// by rule, then account).
    pub fn events(&self, tenant: &str, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
        self.require_tenant(tenant)?;
        let prefix = match filter.run {
            Some(run) => run_events_prefix(tenant, run),
            None => tenant_key(tenant, &[b""]),
        };
        let mut complete: HashMap<u64, bool> = HashMap::new();
        let mut configs: HashMap<u64, serde_json::Value> = HashMap::new();
        let mut out = Vec::new();
        // Newest run first; within a run, in key order.
        let mut run_block: Vec<Event> = Vec::new();
        let mut block_run = None;
        let flush = |block: &mut Vec<Event>, out: &mut Vec<Event>| {
            block.reverse();
            out.append(block);
        };
        for kv in self.events.scan_prefix(&prefix).rev() {
            let (key, value) = kv?;
            let Some(run) = run_of_event_key(tenant, &key) else {
                continue;
            };
            let is_complete = match complete.get(&run) {
                Some(c) => *c,
                None => {
                    let c =
                        matches!(self.run(tenant, run), Ok(r) if r.status == RunStatus::Complete);
                    complete.insert(run, c);
                    c
                }
            };
            if !is_complete {
                continue;
            }
            if block_run != Some(run) {
                flush(&mut run_block, &mut out);
                block_run = Some(run);
                if filter.limit.is_some_and(|l| out.len() >= l) {
                    break;
                }
            }
            let mut e: Event = codec::decode("event", &value)?;
            if filter.rule.as_ref().is_none_or(|r| *r == e.rule.name)
                && filter.account.as_ref().is_none_or(|a| *a == e.account.id)
            {
                e.run.config = match configs.get(&run) {
                    Some(c) => c.clone(),
                    None => {
                        let c = self.run_config(tenant, run)?;
                        configs.insert(run, c.clone());
                        c
                    }
                };
                run_block.push(e);
            }
        }
        flush(&mut run_block, &mut out);
        if let Some(l) = filter.limit {
            out.truncate(l);
        }
        Ok(out)
    }

    /// Fans out at most about `max_events` outboxed events into delivery
    /// records (one per endpoint each event names), due now; returns how
    /// many events it fanned out. Idempotent: a delivery that exists is
    /// left as it is, so a pass cut short and run again sends nothing twice.
    pub fn fan_out(&self, max_events: usize) -> Result<usize, StoreError> {
        let mut done = 0;
        for kv in self.outbox.iter() {
            if done >= max_events {
                break;
            }
            let (mark_key, mark_value) = kv?;
            let mark: OutboxMark = codec::decode("outbox mark", &mark_value)?;
            let Some(tenant) = std::str::from_utf8(&mark_key[..mark_key.len().saturating_sub(9)])
                .ok()
                .map(str::to_string)
            else {
                return Err(StoreError::Corrupt(
                    "an outbox key is not a tenant's".into(),
                ));
            };
            let mut after = mark.after;
            loop {
                let start = match &after {
                    Some(after) => {
                        let mut k = after.clone();
                        k.push(0);
                        k
                    }
                    None => mark_key.to_vec(),
                };
                let room = FAN_OUT_CHUNK.min(max_events - done).max(1);
                let mut chunk: Vec<(Vec<u8>, Routing)> = Vec::new();
                let mut more = false;
                for kv in self.events.range(start..) {
                    let (k, v) = kv?;
                    if !k.starts_with(&mark_key) {
                        break;
                    }
                    if chunk.len() >= room {
                        more = true;
                        break;
                    }
                    chunk.push((k.to_vec(), codec::decode("event", &v)?));
                }
                let now = now_ms();
                let mut records = Vec::new();
                for (_, e) in &chunk {
                    for endpoint in &e.webhooks {
                        let d = Delivery {
                            tenant: tenant.clone(),
                            endpoint: endpoint.clone(),
                            run: e.run.id,
                            rule: e.rule.name.clone(),
                            account: e.account.id.clone(),
                            webhook_id: e.id.clone(),
                            event: e.event.clone(),
                            status: DeliveryStatus::Pending,
                            attempts: 0,
                            replays: 0,
                            next_at_ms: Some(now),
                            created_ms: now,
                            last: None,
                            dead_reason: None,
                        };
                        records.push((d.key(), codec::encode_json(&d)));
                    }
                }
                after = chunk.last().map(|(k, _)| k.clone()).or(after);
                let new_mark = codec::encode_json(&OutboxMark {
                    after: after.clone(),
                });
                (&self.deliveries, &self.due, &self.outbox)
                    .transaction(|(deliveries, due, outbox)| {
                        for (key, value) in &records {
                            if deliveries.get(key)?.is_none() {
                                deliveries.insert(key.as_slice(), value.as_slice())?;
                                due.insert(due_key(now, key), &[][..])?;
                            }
                        }
                        if more {
                            outbox.insert(&*mark_key, new_mark.as_slice())?;
                        } else {
                            outbox.remove(&*mark_key)?;
                        }
                        Ok(())
                    })
                    .map_err(super::transaction_error)?;
                done += chunk.len();
                if !more || done >= max_events {
                    break;
                }
            }
        }
        if done > 0 {
            self.flush()?;
        }
        Ok(done)
    }

    /// Pending deliveries due at `now_ms`, earliest first, at most `limit`.
    /// An index entry whose delivery is gone or no longer pending is
    /// dropped on the way.
    pub fn due_deliveries(&self, now_ms: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for kv in self.due.range(..due_key(now_ms.saturating_add(1), b"")) {
            if out.len() >= limit {
                break;
            }
            let (k, _) = kv?;
            let delivery = self.deliveries.get(&k[8..])?;
            let at = k
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes);
            match delivery
                .map(|v| codec::decode::<Delivery>("delivery", &v))
                .transpose()?
            {
                Some(d) if d.status == DeliveryStatus::Pending && d.next_at_ms == at => out.push(d),
                _ => {
                    self.due.remove(k)?;
                }
            }
        }
        Ok(out)
    }

    /// Records an attempt of a pending delivery and what follows, in one
    /// transaction with its due entry (durable on return). A delivery that
    /// changed meanwhile (replayed, say) is a conflict: the attempt is not
    /// recorded over it.
    pub fn record_attempt(
        &self,
        delivery: &Delivery,
        attempt: AttemptRecord,
        after: AfterAttempt,
    ) -> Result<Delivery, StoreError> {
        let mut updated = delivery.clone();
        updated.attempts += 1;
        updated.last = Some(attempt);
        match &after {
            AfterAttempt::Delivered => {
                updated.status = DeliveryStatus::Delivered;
                updated.next_at_ms = None;
            }
            AfterAttempt::RetryAt(at) => updated.next_at_ms = Some(*at),
            AfterAttempt::Dead(why) => {
                updated.status = DeliveryStatus::Dead;
                updated.next_at_ms = None;
                updated.dead_reason = Some(why.clone());
            }
        }
        self.rewrite_delivery(delivery, updated)
    }

    /// Gives up on a pending delivery that is not attempted (its endpoint
    /// removed or disabled): dead, saying why, no attempt counted
    /// (replayable).
    pub fn mark_dead(&self, delivery: &Delivery, why: &str) -> Result<Delivery, StoreError> {
        let updated = Delivery {
            status: DeliveryStatus::Dead,
            next_at_ms: None,
            dead_reason: Some(why.to_string()),
            ..delivery.clone()
        };
        self.rewrite_delivery(delivery, updated)
    }

    /// Replaces `delivery` (as read) by `updated` with its due entry, in
    /// one transaction (durable on return); a record changed meanwhile is
    /// a conflict.
    fn rewrite_delivery(
        &self,
        delivery: &Delivery,
        updated: Delivery,
    ) -> Result<Delivery, StoreError> {
        let key = delivery.key();
        let old_due = delivery.next_at_ms.map(|t| due_key(t, &key));
        let new_due = updated.next_at_ms.map(|t| due_key(t, &key));
        let value = codec::encode_json(&updated);
        (&self.deliveries, &self.due)
            .transaction(|(deliveries, due)| {
                let current = deliveries.get(&key)?;
                let same = current
                    .as_ref()
                    .map(|c| codec::decode::<Delivery>("delivery", c))
                    .transpose()
                    .map_err(|e| {
                        sled::transaction::ConflictableTransactionError::Abort(StoreError::from(e))
                    })?;
                if same.as_ref() != Some(delivery) {
                    return abort(StoreError::Conflict(format!(
                        "delivery {} to {} changed while it was attempted",
                        delivery.webhook_id, delivery.endpoint
                    )));
                }
                deliveries.insert(key.as_slice(), value.as_slice())?;
                if let Some(k) = &old_due {
                    due.remove(k.as_slice())?;
                }
                if let Some(k) = &new_due {
                    due.insert(k.as_slice(), &[][..])?;
                }
                Ok(())
            })
            .map_err(super::transaction_error)?;
        self.flush()?;
        Ok(updated)
    }

    /// A tenant's deliveries, newest run first.
    pub fn deliveries(
        &self,
        tenant: &str,
        filter: &DeliveryFilter,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.require_tenant(tenant)?;
        let prefix = match &filter.endpoint {
            Some(e) => tenant_key(tenant, &[e.as_bytes(), b""]),
            None => tenant_key(tenant, &[b""]),
        };
        let mut out: Vec<Delivery> = Vec::new();
        for kv in self.deliveries.scan_prefix(prefix) {
            let d: Delivery = codec::decode("delivery", &kv?.1)?;
            if filter.keeps(&d) {
                out.push(d);
            }
        }
        out.sort_by(|a, b| {
            b.run
                .cmp(&a.run)
                .then_with(|| a.endpoint.cmp(&b.endpoint))
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.account.cmp(&b.account))
        });
        if let Some(l) = filter.limit {
            out.truncate(l);
        }
        Ok(out)
    }

    /// Makes deliveries pending again, due now, with the same webhook-id:
    /// the dead ones `filter` selects (`status` unset: dead), or any it
    /// names by event or run. Returns how many (durable on return).
    pub fn replay(
        &self,
        tenant: &str,
        filter: &DeliveryFilter,
    ) -> Result<Vec<Delivery>, StoreError> {
        let chosen = filter.event.is_some() || filter.run.is_some();
        let filter = DeliveryFilter {
            status: filter.status.or((!chosen).then_some(DeliveryStatus::Dead)),
            limit: None,
            ..filter.clone()
        };
        let mut replayed = Vec::new();
        for d in self.deliveries(tenant, &filter)? {
            if d.status == DeliveryStatus::Pending {
                continue;
            }
            let now = now_ms();
            let again = Delivery {
                status: DeliveryStatus::Pending,
                attempts: 0,
                replays: d.replays + 1,
                next_at_ms: Some(now),
                dead_reason: None,
                ..d.clone()
            };
            let key = d.key();
            let old = codec::encode_json(&d);
            let new = codec::encode_json(&again);
            (&self.deliveries, &self.due)
                .transaction(|(deliveries, due)| {
                    if deliveries.get(&key)?.as_deref() != Some(old.as_slice()) {
                        return abort(StoreError::Conflict(format!(
                            "delivery {} changed while it was replayed",
                            d.webhook_id
                        )));
                    }
                    deliveries.insert(key.as_slice(), new.as_slice())?;
                    due.insert(due_key(now, &key), &[][..])?;
                    Ok(())
                })
                .map_err(super::transaction_error)?;
            replayed.push(again);
        }
        self.flush()?;
        Ok(replayed)
    }

    /// How much is waiting.
    pub fn outbox_depth(&self) -> OutboxDepth {
        OutboxDepth {
            runs_waiting: self.outbox.len() as u64,
            deliveries_pending: self.due.len() as u64,
        }
    }

    /// Removes every event and delivery of an erased account (durable with
    /// the caller's flush).
    pub(super) fn erase_account_events(
        &self,
        tenant: &str,
        account: &str,
    ) -> Result<(), StoreError> {
        let mut suffix = vec![0];
        suffix.extend_from_slice(account.as_bytes());
        let prefix = tenant_key(tenant, &[b""]);
        let mut events = sled::Batch::default();
        for kv in self.events.scan_prefix(&prefix) {
            let (k, _) = kv?;
            if k.ends_with(&suffix) {
                events.remove(k);
            }
        }
        self.events.apply_batch(events)?;
        for kv in self.deliveries.scan_prefix(&prefix) {
            let (k, v) = kv?;
            if !k.ends_with(&suffix) {
                continue;
            }
            let d: Delivery = codec::decode("delivery", &v)?;
            if d.account != account {
                continue;
            }
            if let Some(at) = d.next_at_ms {
                self.due.remove(due_key(at, &k))?;
            }
            self.deliveries.remove(k)?;
        }
        Ok(())
    }

    /// Removes a deleted tenant's due entries (the only tree not keyed by
    /// tenant first).
    pub(super) fn remove_tenant_due(&self, tenant: &str) -> Result<(), StoreError> {
        let prefix = tenant_key(tenant, &[b""]);
        let mut batch = sled::Batch::default();
        for kv in self.due.iter() {
            let (k, _) = kv?;
            if k.get(8..).is_some_and(|d| d.starts_with(&prefix)) {
                batch.remove(k);
            }
        }
        self.due.apply_batch(batch)?;
        Ok(())
    }
}
