//! Shared fixtures: one runtime per test binary and fixture accounts.

use std::sync::{Arc, OnceLock};
use vitals::runtime::types::{Attributes, Band, HealthPoint, Metric, Snapshot};
use vitals::runtime::{Account, Limits, Plugin, RunOptions, RunOutput, Runtime, RuntimeConfig};

/// 2026-01-01 as days since 1970-01-01.
pub const AS_OF: i32 = 20_454;

/// One runtime for the whole binary: engines are heavy, plugins are cached in it.
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::new(RuntimeConfig::default()).expect("runtime"))
}

pub fn reference(name: &str) -> Arc<Plugin> {
    let bytes = vitals_reference_pack::component(name).expect("reference plugin");
    runtime().load(bytes).expect("reference plugin loads")
}

/// Runs a plugin with the operator's limits and the default batching.
pub fn run_default(plugin: &Plugin, config: &str, accounts: &[Account]) -> RunOutput {
    runtime()
        .run(
            vitals::runtime::Share::HOST,
            plugin,
            &Limits::default(),
            config,
            AS_OF,
            accounts,
            RunOptions::default(),
        )
        .expect("run")
}

pub fn hostile() -> Arc<Plugin> {
    runtime()
        .load(vitals_e2e::HOSTILE_HEALTH)
        .expect("hostile plugin loads")
}

pub fn snapshot(as_of: i32) -> Snapshot {
    Snapshot::empty(as_of)
}

/// A blank account that started in 2023, renews mid-2026.
pub fn blank(id: &str) -> Account {
    Account {
        id: id.to_string(),
        attributes: Attributes {
            name: Some(format!("{id} Inc")),
            owner: Some("dana".into()),
            tier: Some("smb".into()),
            plan: None,
            start_date: Some(AS_OF - 1000),
            renewal_date: Some(AS_OF + 120),
            contract_arr: Some(120_000.0),
            renewal_confidence: None,
            labels: vec![],
        },
        current: snapshot(AS_OF),
        history: vec![],
        health: vec![],
    }
}

/// A thriving customer: full seats, engaged, no tickets, promoter.
pub fn thriving(id: &str) -> Account {
    let mut a = blank(id);
    a.current = Snapshot {
        seats_purchased: Some(100),
        seats_active: Some(96),
        logins: Some(1500),
        features_used: Some(14),
        features_available: Some(20),
        tickets_open: Some(0),
        tickets_high_severity: Some(0),
        nps: Some(10),
        csat: Some(97.0),
        arr: Some(120_000.0),
        champion_left: Some(false),
        late_payments: Some(0),
        metrics: vec![
            Metric {
                name: "webinars-attended".into(),
                value: 4.0,
            },
            Metric {
                name: "community-posts".into(),
                value: 6.0,
            },
        ],
        ..snapshot(AS_OF)
    };
    let mut earlier = a.current.clone();
    earlier.as_of = AS_OF - 180;
    earlier.seats_active = Some(75);
    a.history = vec![earlier];
    a.health = vec![
        HealthPoint {
            as_of: AS_OF - 180,
            score: 85.0,
            band: Band::Green,
        },
        HealthPoint {
            as_of: AS_OF - 90,
            score: 90.0,
            band: Band::Green,
        },
    ];
    a
}

/// A customer in trouble: unused seats, tickets, detractor, champion gone.
pub fn struggling(id: &str) -> Account {
    let mut a = blank(id);
    a.current = Snapshot {
        seats_purchased: Some(100),
        seats_active: Some(12),
        logins: Some(30),
        features_used: Some(1),
        features_available: Some(20),
        tickets_open: Some(11),
        tickets_high_severity: Some(4),
        nps: Some(2),
        csat: Some(35.0),
        arr: Some(120_000.0),
        champion_left: Some(true),
        late_payments: Some(3),
        ..snapshot(AS_OF)
    };
    a.health = vec![HealthPoint {
        as_of: AS_OF,
        score: 12.0,
        band: Band::Red,
    }];
    a
}

/// `n` accounts alternating thriving and struggling, with logins varied.
pub fn mixed(n: usize) -> Vec<Account> {
    (0..n)
        .map(|i| {
            let mut a = if i % 2 == 0 {
                thriving(&format!("acct-{i}"))
            } else {
                struggling(&format!("acct-{i}"))
            };
            a.current.logins = a.current.logins.map(|l| l + i as u32 % 7);
            a
        })
        .collect()
}
