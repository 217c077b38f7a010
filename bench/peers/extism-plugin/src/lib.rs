//! # vitals-peer-extism-plugin
//!
//! `weighted-health` as an Extism plugin, for the `peers` benchmark. The
//! scoring is the reference plugin's own code, called as the SDK's batch
//! dispatch calls it for the Vitals component: configuration parsed and
//! checked once per call, then `score_account` for each account (the
//! component's dispatch decodes a contract 0.2 batch instead, which is the
//! boundary this plugin replaces). Only the boundary differs:
//! Extism hands the plugin bytes, which it decodes with serde (JSON, or
//! MessagePack), and it encodes the results the same way.
//!
//! Exports `score_json` and `score_msgpack`; both take a
//! [`ScoreRequest`] and return a [`ScoreResponse`].

use extism_pdk::{FnResult, Json, Msgpack, plugin_fn};
use vitals_peer_extism_wire as wire;
use vitals_plugin_sdk as sdk;
use wire::{ScoreRequest, ScoreResponse};

type Request = ScoreRequest<Vec<wire::Account>>;

/// Scores a JSON batch.
#[plugin_fn]
pub fn score_json(Json(request): Json<Request>) -> FnResult<Json<ScoreResponse>> {
    Ok(Json(score(request)))
}

/// Scores a MessagePack batch.
#[plugin_fn]
pub fn score_msgpack(Msgpack(request): Msgpack<Request>) -> FnResult<Msgpack<ScoreResponse>> {
    Ok(Msgpack(score(request)))
}

fn score(request: Request) -> ScoreResponse {
    let accounts: Vec<sdk::Account> = request.accounts.into_iter().map(account).collect();
    let config = sdk::config::parse::<weighted_health::Config>(&request.config).and_then(|c| {
        weighted_health::check_config(&c).map_err(sdk::PluginError::InvalidConfig)?;
        Ok(c)
    });
    match config {
        Ok(config) => Ok(accounts
            .iter()
            .map(|a| weighted_health::score_account(&config, request.as_of, a))
            .map(|r| r.map(health).map_err(error))
            .collect()),
        Err(e) => Err(error(e)),
    }
}

// The decoded wire structs become the SDK's types by moving their fields:
// strings and lists change owner, nothing is copied or reallocated.

fn account(a: wire::Account) -> sdk::Account {
    let at = a.attributes;
    sdk::Account {
        id: a.id,
        attributes: sdk::Attributes {
            name: at.name,
            owner: at.owner,
            tier: at.tier,
            plan: at.plan,
            start_date: at.start_date,
            renewal_date: at.renewal_date,
            contract_arr: at.contract_arr,
            renewal_confidence: at.renewal_confidence.map(confidence),
            labels: at
                .labels
                .into_iter()
                .map(|l| sdk::Label {
                    name: l.name,
                    value: l.value,
                })
                .collect(),
        },
        current: snapshot(a.current),
        history: a.history.into_iter().map(snapshot).collect(),
        health: a
            .health
            .into_iter()
            .map(|h| sdk::HealthPoint {
                as_of: h.as_of,
                score: h.score,
                band: match h.band {
                    wire::Band::Green => sdk::Band::Green,
                    wire::Band::Yellow => sdk::Band::Yellow,
                    wire::Band::Red => sdk::Band::Red,
                },
            })
            .collect(),
    }
}

fn confidence(c: wire::Confidence) -> sdk::Confidence {
    match c {
        wire::Confidence::Commit => sdk::Confidence::Commit,
        wire::Confidence::BestCase => sdk::Confidence::BestCase,
        wire::Confidence::Pipeline => sdk::Confidence::Pipeline,
        wire::Confidence::Omitted => sdk::Confidence::Omitted,
    }
}

fn snapshot(s: wire::Snapshot) -> sdk::Snapshot {
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
            .into_iter()
            .map(|m| sdk::Metric {
                name: m.name,
                value: m.value,
            })
            .collect(),
    }
}

fn health(h: sdk::Health) -> wire::Health {
    wire::Health {
        score: h.score,
        band: match h.band {
            sdk::Band::Green => wire::Band::Green,
            sdk::Band::Yellow => wire::Band::Yellow,
            sdk::Band::Red => wire::Band::Red,
        },
        factors: h
            .factors
            .into_iter()
            .map(|f| wire::Factor {
                name: f.name,
                group: f.group,
                value: f.value,
                weight: f.weight,
                points: f.points,
            })
            .collect(),
    }
}

fn error(e: sdk::PluginError) -> wire::PluginError {
    match e {
        sdk::PluginError::InvalidConfig(m) => wire::PluginError::InvalidConfig(m),
        sdk::PluginError::MissingData(m) => wire::PluginError::MissingData(m),
        sdk::PluginError::InvalidInput(m) => wire::PluginError::InvalidInput(m),
        sdk::PluginError::Internal(m) => wire::PluginError::Internal(m),
    }
}
