//! Earlier health scores, merged into each account as the accounts are read:
//! the complete runs of the tenant's health model are read block by block
//! beside the accounts (both in id order), so memory holds a block per run
//! instead of every account's scores (a map of a million accounts' points
//! was read whole before a later run started).

use crate::contract::projection::Windows;
use crate::contract::{Account, HealthPoint, PluginKind};
use crate::store::{HealthScores, Store, StoreError};
use std::collections::HashMap;

/// The health runs an account's earlier health comes from, oldest instant
/// first, each read up to the account asked for last.
#[derive(Debug, Default)]
pub(crate) struct HealthHistory {
    runs: Vec<(i32, HealthScores)>,
}

impl HealthHistory {
    /// Sets `account`'s earlier health: one point per run in which it has a
    /// score, oldest first. Accounts are set in increasing id order (the
    /// order in which the store streams them).
    pub(crate) fn set(&mut self, account: &mut Account) -> Result<(), StoreError> {
        account.health.clear();
        for (instant, scores) in &mut self.runs {
            if let Some((score, band)) = scores.of(&account.id)? {
                account.health.push(HealthPoint {
                    as_of: *instant,
                    score,
                    band,
                });
            }
        }
        Ok(())
    }
}

/// Earlier health from the complete runs of the health model `model` in the
/// window before `as_of` (at it too if `including_as_of`); the latest run
/// per instant wins. Reads nothing when no plugin reads earlier health
/// (`read` is the union of their health windows) or there is no model.
pub(crate) fn health_history(
    store: &Store,
    tenant: &str,
    model: Option<&str>,
    as_of: i32,
    including_as_of: bool,
    days: i32,
    read: &Windows,
) -> Result<HealthHistory, StoreError> {
    let Some(model) = model.filter(|_| !read.reads_nothing()) else {
        return Ok(HealthHistory::default());
    };
    let mut by_instant: HashMap<i32, u64> = HashMap::new();
    for run in store.complete_runs_of_kind(tenant, PluginKind::HealthModel)? {
        let in_window = (run.as_of < as_of || (including_as_of && run.as_of == as_of))
            && run.as_of >= as_of - days;
        if run.plugin == model && in_window {
            by_instant.insert(run.as_of, run.id);
        }
    }
    let mut instants: Vec<(i32, u64)> = by_instant.into_iter().collect();
    instants.sort();
    Ok(HealthHistory {
        runs: instants
            .into_iter()
            .map(|(instant, id)| Ok((instant, store.health_scores(tenant, id)?)))
            .collect::<Result<_, StoreError>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::health_history;
    use crate::contract::ContractVersion::V0_2;
    use crate::contract::projection::{Window, Windows};
    use crate::contract::{Account, Attributes, Band, Health, HealthPoint, Output};
    use crate::contract::{PluginError, PluginKind, PluginMetadata, Snapshot};
    use crate::store::Store;

    fn account(id: &str) -> Account {
        Account {
            id: id.into(),
            attributes: Attributes::empty(),
            current: Snapshot::empty(500),
            history: vec![],
            health: vec![],
        }
    }

    /// A complete run of plugin `name` at `as_of` scoring `scored` accounts.
    fn run(s: &Store, name: &str, as_of: i32, scored: &[(&str, f64)]) {
        let meta = PluginMetadata {
            name: name.into(),
            version: "1.0.0".into(),
            kind: PluginKind::HealthModel,
            description: "d".into(),
            config_schema: "{}".into(),
            reads: vec![],
        };
        let p = s
            .add_plugin("t", &format!("hash-{name}"), name.as_bytes(), &meta, V0_2)
            .unwrap();
        let mut r = s.start_run("t", &p, "{}", as_of).unwrap();
        let results: Vec<(String, Result<Output, PluginError>)> = scored
            .iter()
            .map(|(a, score)| {
                let h = Health {
                    score: *score,
                    band: Band::Green,
                    factors: vec![],
                };
                ((*a).to_string(), Ok(Output::Health(h)))
            })
            .collect();
        s.write_results(&mut r, &results, 0, vec![], 0).unwrap();
        s.complete_run(&mut r).unwrap();
    }

    fn point(as_of: i32, score: f64) -> HealthPoint {
        HealthPoint {
            as_of,
            score,
            band: Band::Green,
        }
    }

    #[test]
    fn each_account_gets_its_points_of_the_models_runs_in_the_window_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        run(&s, "h", 100, &[("a", 10.0), ("c", 30.0)]);
        run(&s, "h", 200, &[("a", 11.0), ("b", 21.0), ("c", 31.0)]);
        run(&s, "other", 200, &[("a", 99.0)]);
        run(&s, "h", 300, &[("a", 12.0)]);
        let read = |at_300: bool, days: i32, windows: &Windows| {
            let mut history =
                health_history(&s, "t", Some("h"), 300, at_300, days, windows).unwrap();
            // Accounts streamed in id order, "c" passed over as a filter would.
            ["a", "b", "d"]
                .into_iter()
                .map(|id| {
                    let mut a = account(id);
                    history.set(&mut a).unwrap();
                    a.health
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read(false, 400, &Windows::all()),
            [
                vec![point(100, 10.0), point(200, 11.0)],
                vec![point(200, 21.0)],
                vec![]
            ]
        );
        assert_eq!(
            read(true, 150, &Windows::all())[0],
            [point(200, 11.0), point(300, 12.0)],
            "the run at the instant itself when asked, none before the window"
        );
        assert_eq!(
            read(false, 400, &Windows::of([Window::None])),
            [vec![], vec![], vec![]],
            "no plugin reads health: nothing is read"
        );
    }
}
