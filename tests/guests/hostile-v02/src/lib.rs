//! A contract-0.2 health model for the host's tests, written against the
//! raw 0.2 bindings (not the SDK's author API) so that it can send what no
//! SDK would. The configuration `{"mode": ..., "reads": ...}` picks:
//!
//! - `reads`: `"narrow"` (the current `logins`, history `days(60)` of
//!   `arr`, no attributes, labels or health) or `"everything"` (default);
//!   `"huge-window"` answers `project` with a window over the host's bound;
//! - `mode` `"echo"` (default): each account scores 0 with factors telling
//!   what arrived: `rows` (its history rows), `fields` (the batch's field
//!   columns), `metrics` (metric columns), `strings` (the batch's strings),
//!   `logins` (its current logins, blank when not sent);
//! - `"bad-index"`: the first account's factor names index 99 of a
//!   one-name table: that account alone is `bad-output`;
//! - `"name-bomb"`: a 1 MiB name and every account 1,000 factors naming it:
//!   the host refuses the call as `output-too-large` before copying the name
//!   a thousand times per account;
//! - `"wrong-count"`: one result fewer than the accounts: `bad-output`.

use serde::Deserialize;
use vitals_plugin_sdk::bindings::health_model::exports::vitals::plugin::health::Guest;
use vitals_plugin_sdk::column::Numbers;
use vitals_plugin_sdk::wire::{
    Band, Batch, Factor, Field, Health, HealthResults, Names, PluginError, PluginKind,
    PluginMetadata, Projection, Reads, Window,
};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Config {
    mode: String,
    reads: String,
}

fn config(text: &str) -> Result<Config, PluginError> {
    serde_json::from_str(text).map_err(|e| PluginError::InvalidConfig(e.to_string()))
}

fn reads_everything() -> Reads {
    Reads {
        fields: vec![
            Field::SeatsPurchased,
            Field::SeatsActive,
            Field::Logins,
            Field::FeaturesUsed,
            Field::FeaturesAvailable,
            Field::TicketsOpen,
            Field::TicketsHighSeverity,
            Field::Nps,
            Field::Csat,
            Field::Arr,
            Field::ChampionLeft,
            Field::LatePayments,
        ],
        metrics: Names::All,
    }
}

fn projection(reads: &str) -> Projection {
    match reads {
        "narrow" => Projection {
            attributes: vec![],
            labels: Names::Only(vec![]),
            current: Reads {
                fields: vec![Field::Logins],
                metrics: Names::Only(vec![]),
            },
            history: Window::Days(60),
            history_reads: Reads {
                fields: vec![Field::Arr],
                metrics: Names::Only(vec![]),
            },
            health: Window::None,
        },
        "huge-window" => Projection {
            history: Window::Latest(u32::MAX),
            ..projection("everything")
        },
        _ => Projection {
            attributes: vec![],
            labels: Names::All,
            current: reads_everything(),
            history: Window::All,
            history_reads: reads_everything(),
            health: Window::All,
        },
    }
}

fn factor(name: u32, value: Option<f64>) -> Factor {
    Factor {
        name,
        group: 0,
        value,
        weight: 0.0,
        points: 0.0,
    }
}

/// What account `i` received, as factors naming `names[1..]`.
fn echo(batch: &Batch, i: usize) -> Health {
    let starts = &batch.history.account_start;
    let rows = match (starts.get(i), starts.get(i + 1)) {
        (Some(a), Some(b)) => f64::from(b - a),
        _ => 0.0,
    };
    let logins = batch
        .fields
        .iter()
        .position(|f| *f == Field::Logins)
        .and_then(|c| {
            Numbers::new(&batch.current.fields[c], String::new)
                .ok()?
                .get(i)
        });
    Health {
        score: 0.0,
        band: Band::Red,
        factors: vec![
            factor(1, Some(rows)),
            factor(2, Some(batch.fields.len() as f64)),
            factor(3, Some(batch.metric_names.len() as f64)),
            factor(4, Some(batch.strings.len() as f64)),
            factor(5, logins),
        ],
    }
}

struct Hostile;

impl Guest for Hostile {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "hostile-v02".into(),
            version: "0.1.0".into(),
            kind: PluginKind::HealthModel,
            description: "Tells what it received and breaks the 0.2 wire on purpose (tests only)."
                .into(),
            config_schema: r#"{"type":"object"}"#.into(),
            reads: projection("everything"),
        }
    }

    fn project(config_text: String) -> Result<Projection, PluginError> {
        Ok(projection(&config(&config_text)?.reads))
    }

    fn score(config_text: String, _as_of: i32, batch: Batch) -> Result<HealthResults, PluginError> {
        let config = config(&config_text)?;
        let n = batch.accounts.id.len();
        let echo_names = ["echo", "rows", "fields", "metrics", "strings", "logins"];
        let (names, mut results): (Vec<String>, Vec<Result<Health, PluginError>>) =
            match config.mode.as_str() {
                "name-bomb" => (
                    vec!["x".repeat(1 << 20)],
                    (0..n)
                        .map(|_| {
                            Ok(Health {
                                score: 0.0,
                                band: Band::Red,
                                factors: (0..1000).map(|_| factor(0, None)).collect(),
                            })
                        })
                        .collect(),
                ),
                mode => {
                    let mut results: Vec<_> = (0..n).map(|i| Ok(echo(&batch, i))).collect();
                    if mode == "bad-index"
                        && let Some(Ok(first)) = results.first_mut()
                    {
                        first.factors[0].name = 99;
                    }
                    (echo_names.iter().map(|s| s.to_string()).collect(), results)
                }
            };
        if config.mode == "wrong-count" {
            results.pop();
        }
        Ok(HealthResults { names, results })
    }
}

vitals_plugin_sdk::bindings::health_model::__export_health_model_world!(Hostile with_types_in vitals_plugin_sdk::bindings::health_model);
