//! The native path of the comparison: the host's account converted into the
//! SDK's types (the copy a native plugin would need too), then the same
//! `weighted-health` logic the component runs.

use vitals::runtime::types as host;
use vitals_plugin_sdk as sdk;

fn band(b: host::Band) -> sdk::Band {
    match b {
        host::Band::Green => sdk::Band::Green,
        host::Band::Yellow => sdk::Band::Yellow,
        host::Band::Red => sdk::Band::Red,
    }
}

fn confidence(c: host::Confidence) -> sdk::Confidence {
    match c {
        host::Confidence::Commit => sdk::Confidence::Commit,
        host::Confidence::BestCase => sdk::Confidence::BestCase,
        host::Confidence::Pipeline => sdk::Confidence::Pipeline,
        host::Confidence::Omitted => sdk::Confidence::Omitted,
    }
}

fn snapshot(s: &host::Snapshot) -> sdk::Snapshot {
    sdk::Snapshot {
        as_of: s.as_of,
        seats_purchased: s.seats_purchased,
        seats_active: s.seats_active,
        logins: s.logins,
        features_used: s.features_used,
        features_available: s.features_available,
        tickets_open: s.tickets_open,
        tickets_high_severity: s.tickets_high_severity,
        nps: s.nps,
        csat: s.csat,
        arr: s.arr,
        champion_left: s.champion_left,
        late_payments: s.late_payments,
        metrics: s
            .metrics
            .iter()
            .map(|m| sdk::Metric {
                name: m.name.clone(),
                value: m.value,
            })
            .collect(),
    }
}

/// The host account as the SDK's account.
pub fn account(a: &host::Account) -> sdk::Account {
    let at = &a.attributes;
    sdk::Account {
        id: a.id.clone(),
        attributes: sdk::Attributes {
            name: at.name.clone(),
            owner: at.owner.clone(),
            tier: at.tier.clone(),
            plan: at.plan.clone(),
            start_date: at.start_date,
            renewal_date: at.renewal_date,
            contract_arr: at.contract_arr,
            renewal_confidence: at.renewal_confidence.map(confidence),
            labels: at
                .labels
                .iter()
                .map(|l| sdk::Label {
                    name: l.name.clone(),
                    value: l.value.clone(),
                })
                .collect(),
        },
        current: snapshot(&a.current),
        history: a.history.iter().map(snapshot).collect(),
        health: a
            .health
            .iter()
            .map(|h| sdk::HealthPoint {
                as_of: h.as_of,
                score: h.score,
                band: band(h.band),
            })
            .collect(),
    }
}

/// Scores a batch natively, converting each account first; returns the sum
/// of scores so the work cannot be optimised away.
pub fn score_batch(
    config: &weighted_health::Config,
    as_of: i32,
    accounts: &[host::Account],
) -> f64 {
    accounts
        .iter()
        .map(|a| {
            weighted_health::score_account(config, as_of, &account(a)).map_or(0.0, |h| h.score)
        })
        .sum()
}
