//! The outbox: staged events are invisible until their run completes, are
//! removed with a failed run, fan out once into deliveries, and deliveries
//! move through attempts, dead letters and replays without being lost.

use super::*;
use crate::contract::{Band, Health, Output, PluginKind};
use crate::triggers::{AccountRef, Event, EventRun, Explanation, RuleRef, event_id};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    s.create_tenant("acme", "Acme").unwrap();
    s.create_tenant("other", "Other").unwrap();
    (dir, s)
}

fn plugin(s: &Store, tenant: &str) -> InstalledPlugin {
    let meta = crate::contract::PluginMetadata {
        name: "weighted-health".into(),
        version: "1.0.0".into(),
        kind: PluginKind::HealthModel,
        description: "d".into(),
        config_schema: "{}".into(),
        reads: vec![],
    };
    match s.add_plugin(
        tenant,
        "h1",
        b"one",
        &meta,
        crate::contract::ContractVersion::V0_2,
    ) {
        Ok(p) => p,
        Err(_) => s.plugins(tenant).unwrap().remove(0),
    }
}

fn event(tenant: &str, run: u64, account: &str, webhooks: &[&str]) -> Event {
    Event {
        id: event_id(tenant, run, "turned-red", account),
        event: "band-changed".into(),
        rule: RuleRef {
            name: "turned-red".into(),
            version: 1,
        },
        account: AccountRef {
            id: account.into(),
            name: None,
            owner: None,
            tier: None,
            plan: None,
            contract_arr: None,
        },
        before: serde_json::json!({"band": "yellow"}),
        after: serde_json::json!({"band": "red"}),
        explanation: Explanation::default(),
        run: EventRun {
            id: run,
            plugin: "weighted-health".into(),
            version: "1.0.0".into(),
            plugin_hash: "h".into(),
            config: serde_json::json!({}),
            pack: None,
            as_of: "2026-01-01".into(),
            previous_run: run - 1,
            previous_as_of: "2025-12-01".into(),
        },
        webhooks: webhooks.iter().map(|w| w.to_string()).collect(),
        occurred_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn started(s: &Store, tenant: &str) -> RunRecord {
    let p = plugin(s, tenant);
    let mut run = s.start_run(tenant, &p, "{}", 20_000).unwrap();
    let health = Output::Health(Health {
        score: 10.0,
        band: Band::Red,
        factors: vec![],
    });
    s.write_results(&mut run, &[("a-1".into(), Ok(health))], 0, vec![], 0)
        .unwrap();
    run
}

#[test]
fn events_wait_for_their_run_and_go_with_a_failed_one() {
    let (_d, s) = store();
    let mut run = started(&s, "acme");
    let events = [
        event("acme", run.id, "a-1", &["crm"]),
        event("acme", run.id, "a-2", &["crm"]),
    ];
    s.stage_events("acme", run.id, &events).unwrap();
    run.events = 2;
    // Running: nothing listed, nothing to fan out.
    assert!(
        s.events("acme", &EventFilter::default())
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.fan_out(100).unwrap(), 0);
    s.complete_run(&mut run).unwrap();
    assert_eq!(s.events("acme", &EventFilter::default()).unwrap().len(), 2);
    assert_eq!(s.outbox_depth().runs_waiting, 1);
    // Another tenant sees none of them.
    assert!(
        s.events("other", &EventFilter::default())
            .unwrap()
            .is_empty()
    );

    let mut failed = started(&s, "acme");
    s.stage_events(
        "acme",
        failed.id,
        &[event("acme", failed.id, "a-1", &["crm"])],
    )
    .unwrap();
    s.fail_run(&mut failed, "boom").unwrap();
    let filter = EventFilter {
        run: Some(failed.id),
        ..EventFilter::default()
    };
    assert!(s.events("acme", &filter).unwrap().is_empty());
    assert!(
        s.event("acme", failed.id, "turned-red", "a-1")
            .unwrap()
            .is_none()
    );
}

#[test]
fn fan_out_makes_one_delivery_per_event_and_endpoint_once() {
    let (_d, s) = store();
    let mut run = started(&s, "acme");
    let events: Vec<Event> = (0..1_203)
        .map(|i| event("acme", run.id, &format!("a-{i:05}"), &["crm", "slack"]))
        .collect();
    s.stage_events("acme", run.id, &events).unwrap();
    run.events = events.len() as u64;
    s.complete_run(&mut run).unwrap();
    // In bounded passes, each picking up where the last stopped.
    assert_eq!(s.fan_out(700).unwrap(), 700);
    assert_eq!(s.outbox_depth().runs_waiting, 1);
    assert_eq!(s.fan_out(10_000).unwrap(), 503);
    assert_eq!(s.outbox_depth().runs_waiting, 0);
    assert_eq!(s.fan_out(10_000).unwrap(), 0);
    let all = s.deliveries("acme", &DeliveryFilter::default()).unwrap();
    assert_eq!(all.len(), 2 * 1_203);
    assert_eq!(s.outbox_depth().deliveries_pending, 2 * 1_203);
    let due = s.due_deliveries(now_ms(), 5_000).unwrap();
    assert_eq!(due.len(), 2 * 1_203);
    // Both endpoints get the same webhook-id for an event.
    let crm = all
        .iter()
        .find(|d| d.endpoint == "crm" && d.account == "a-00007")
        .unwrap();
    let slack = all
        .iter()
        .find(|d| d.endpoint == "slack" && d.account == "a-00007")
        .unwrap();
    assert_eq!(crm.webhook_id, slack.webhook_id);
}

#[test]
fn attempts_retry_die_and_replay_with_the_same_id() {
    let (_d, s) = store();
    let mut run = started(&s, "acme");
    s.stage_events("acme", run.id, &[event("acme", run.id, "a-1", &["crm"])])
        .unwrap();
    run.events = 1;
    s.complete_run(&mut run).unwrap();
    s.fan_out(10).unwrap();
    let d = s.due_deliveries(now_ms(), 10).unwrap().remove(0);
    let attempt = |code| AttemptRecord {
        at_ms: now_ms(),
        code: Some(code),
        latency_ms: 3,
        error: None,
        response: None,
    };
    let later = now_ms() + 60_000;
    let d = s
        .record_attempt(&d, attempt(500), AfterAttempt::RetryAt(later))
        .unwrap();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 1));
    // Not due now; due at its time.
    assert!(s.due_deliveries(now_ms(), 10).unwrap().is_empty());
    assert_eq!(s.due_deliveries(later, 10).unwrap(), vec![d.clone()]);
    // A stale copy cannot be recorded over the stored one.
    let stale = Delivery {
        attempts: 0,
        ..d.clone()
    };
    assert!(matches!(
        s.record_attempt(&stale, attempt(200), AfterAttempt::Delivered),
        Err(StoreError::Conflict(_))
    ));
    let dead = s
        .record_attempt(
            &d,
            attempt(500),
            AfterAttempt::Dead("the last retry failed".into()),
        )
        .unwrap();
    assert_eq!(dead.status, DeliveryStatus::Dead);
    assert_eq!(s.outbox_depth().deliveries_pending, 0);
    assert!(s.due_deliveries(u64::MAX - 1, 10).unwrap().is_empty());
    // Replayed: pending again, due now, same webhook-id.
    let replayed = s.replay("acme", &DeliveryFilter::default()).unwrap();
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].webhook_id, d.webhook_id);
    let again = s.due_deliveries(now_ms(), 10).unwrap().remove(0);
    assert_eq!((again.replays, again.attempts), (1, 0));
    let done = s
        .record_attempt(&again, attempt(204), AfterAttempt::Delivered)
        .unwrap();
    assert_eq!(done.status, DeliveryStatus::Delivered);
    // A delivered one is not replayed unless chosen.
    assert!(
        s.replay("acme", &DeliveryFilter::default())
            .unwrap()
            .is_empty()
    );
    let chosen = DeliveryFilter {
        event: Some(d.webhook_id.clone()),
        ..DeliveryFilter::default()
    };
    assert_eq!(s.replay("acme", &chosen).unwrap().len(), 1);
}

#[test]
fn a_deleted_tenant_leaves_no_event_or_delivery() {
    let (_d, s) = store();
    let mut run = started(&s, "acme");
    s.stage_events("acme", run.id, &[event("acme", run.id, "a-1", &["crm"])])
        .unwrap();
    run.events = 1;
    s.complete_run(&mut run).unwrap();
    s.fan_out(10).unwrap();
    let mut other = started(&s, "other");
    s.stage_events(
        "other",
        other.id,
        &[event("other", other.id, "a-1", &["crm"])],
    )
    .unwrap();
    other.events = 1;
    s.complete_run(&mut other).unwrap();
    s.fan_out(10).unwrap();
    s.delete_tenant("acme", "local").unwrap();
    let due = s.due_deliveries(u64::MAX - 1, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].tenant, "other");
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.deliveries.len(), 1);
}
