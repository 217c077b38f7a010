//! Which runs a summary (and the dashboard) reads. Per kind: the latest
//! usable run (complete, not discarded) that scored at least one account,
//! by as-of then id, at or before an as-of when one is asked, or the very
//! run asked for; and, to compare with, the latest such run at an earlier
//! as-of. A newer run that scored no account is passed over, and said: a
//! failed "today" run must never hide the good runs before it, nor be
//! shown as the latest without a word.

use crate::contract::PluginKind;
use crate::store::RunRecord;
use serde::{Deserialize, Serialize};

/// What the caller asks to read; the default is the latest runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only runs at or before this day.
    pub as_of: Option<i32>,
    /// These runs for their kinds (one per kind), whatever their date.
    pub runs: Vec<u64>,
}

impl Selection {
    /// Whether it asks for the latest runs (what the dashboard index holds).
    pub fn is_latest(&self) -> bool {
        self.as_of.is_none() && self.runs.is_empty()
    }

    /// Checks the runs asked for against the tenant's runs: each must exist,
    /// be usable, and be the only one asked for its kind.
    pub fn check(&self, runs: &[RunRecord]) -> Result<(), String> {
        let mut kinds = Vec::new();
        for id in &self.runs {
            let Some(run) = runs.iter().find(|r| r.id == *id) else {
                return Err(format!(
                    "run {id} does not exist (`vitals results` lists the runs)"
                ));
            };
            if run.discarded.is_some() {
                return Err(format!("run {id} was discarded"));
            }
            if !run.is_usable() {
                return Err(format!("run {id} did not complete"));
            }
            if let Some((other, _)) = kinds.iter().find(|(_, k)| *k == run.kind) {
                return Err(format!(
                    "runs {other} and {id} are both {} runs: ask for one per kind",
                    run.kind
                ));
            }
            kinds.push((*id, run.kind));
        }
        Ok(())
    }
}

/// The runs read for one kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pick {
    /// The run read.
    pub now: Option<RunRecord>,
    /// The run compared with (an earlier as-of).
    pub before: Option<RunRecord>,
    /// Newer runs passed over: every account failed in them.
    pub passed_over: Vec<RunRecord>,
}

/// Picks the runs of `kind` among a tenant's `runs` under `selection`
/// (already checked with [`Selection::check`]).
pub fn pick(runs: &[RunRecord], kind: PluginKind, selection: &Selection) -> Pick {
    let mut usable: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.kind == kind && r.is_usable())
        .filter(|r| selection.as_of.is_none_or(|d| r.as_of <= d))
        .collect();
    usable.sort_by_key(|r| (r.as_of, r.id));
    let asked = usable.iter().position(|r| selection.runs.contains(&r.id));
    let now_at = match asked {
        Some(i) => Some(i),
        None => usable.iter().rposition(|r| !r.scored_none()),
    };
    let Some(now_at) = now_at else {
        return Pick {
            passed_over: usable.into_iter().cloned().collect(),
            ..Pick::default()
        };
    };
    let now = usable[now_at];
    let before = usable[..now_at]
        .iter()
        .rev()
        .find(|r| r.as_of < now.as_of && !r.scored_none());
    let passed_over = match asked {
        Some(_) => vec![],
        None => usable[now_at + 1..].iter().map(|r| (*r).clone()).collect(),
    };
    Pick {
        now: Some(now.clone()),
        before: before.map(|r| (*r).clone()),
        passed_over,
    }
}

/// A run a summary read, for the reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRead {
    /// Its kind.
    pub kind: PluginKind,
    /// Run id.
    pub run: u64,
    /// Plugin name and version.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// Its instant, `YYYY-MM-DD`.
    pub as_of: String,
    /// The run it is compared with, if any.
    pub compared_with: Option<u64>,
}

/// A newer run a summary did not read, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunPassedOver {
    /// Run id.
    pub run: u64,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// Its instant, `YYYY-MM-DD`.
    pub as_of: String,
    /// Why it was not read.
    pub why: String,
}

impl Pick {
    /// The run read, as said to the reader.
    pub fn read(&self) -> Option<RunRead> {
        self.now.as_ref().map(|r| RunRead {
            kind: r.kind,
            run: r.id,
            plugin: r.plugin.clone(),
            version: r.version.clone(),
            as_of: vitals_plugin_sdk::date::format(r.as_of),
            compared_with: self.before.as_ref().map(|b| b.id),
        })
    }

    /// The runs passed over, as said to the reader.
    pub fn passed(&self) -> impl Iterator<Item = RunPassedOver> + '_ {
        self.passed_over.iter().map(|r| RunPassedOver {
            run: r.id,
            plugin: r.plugin.clone(),
            version: r.version.clone(),
            as_of: vitals_plugin_sdk::date::format(r.as_of),
            why: format!(
                "every account failed ({} of {}: {})",
                r.accounts,
                r.accounts,
                r.errors
                    .iter()
                    .map(|(kind, n)| format!("{kind} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Discarded, RunStatus};
    use std::collections::BTreeMap;

    fn run(id: u64, kind: PluginKind, as_of: i32, ok: u64) -> RunRecord {
        RunRecord {
            id,
            tenant: "t".into(),
            plugin: "p".into(),
            version: "1.0.0".into(),
            plugin_hash: "h".into(),
            kind,
            config: "{}".into(),
            pack: None,
            as_of,
            started_ms: 0,
            ended_ms: Some(1),
            status: RunStatus::Complete,
            accounts: 10,
            ok,
            errors: if ok < 10 {
                BTreeMap::from([("returned".to_string(), 10 - ok)])
            } else {
                BTreeMap::new()
            },
            fuel_used: 0,
            log: vec![],
            log_dropped: 0,
            events: 0,
            discarded: None,
        }
    }

    const H: PluginKind = PluginKind::HealthModel;

    #[test]
    fn a_newer_run_where_every_account_failed_is_passed_over_and_said() {
        let runs = [run(1, H, 100, 10), run(2, H, 200, 10), run(3, H, 900, 0)];
        let p = pick(&runs, H, &Selection::default());
        assert_eq!(p.now.as_ref().map(|r| r.id), Some(2));
        assert_eq!(p.before.as_ref().map(|r| r.id), Some(1));
        assert_eq!(p.passed_over.iter().map(|r| r.id).collect::<Vec<_>>(), [3]);
        let said: Vec<RunPassedOver> = p.passed().collect();
        assert!(
            said[0].why.starts_with("every account failed (10 of 10"),
            "{said:?}"
        );
    }

    #[test]
    fn discarded_and_unfinished_runs_are_never_read() {
        let mut discarded = run(3, H, 300, 10);
        discarded.discarded = Some(Discarded {
            at_ms: 1,
            by: "local".into(),
            reason: None,
        });
        let mut running = run(4, H, 400, 10);
        running.status = RunStatus::Running;
        let runs = [run(1, H, 100, 10), run(2, H, 200, 10), discarded, running];
        let p = pick(&runs, H, &Selection::default());
        assert_eq!(p.now.map(|r| r.id), Some(2));
        assert!(p.passed_over.is_empty());
    }

    #[test]
    fn an_as_of_or_a_run_picks_earlier_runs() {
        let runs = [
            run(1, H, 100, 10),
            run(2, H, 200, 10),
            run(3, H, 300, 10),
            run(4, PluginKind::Segmenter, 300, 10),
        ];
        let at = Selection {
            as_of: Some(250),
            runs: vec![],
        };
        let p = pick(&runs, H, &at);
        assert_eq!(
            (p.now.map(|r| r.id), p.before.map(|r| r.id)),
            (Some(2), Some(1))
        );
        let asked = Selection {
            as_of: None,
            runs: vec![1, 4],
        };
        assert_eq!(asked.check(&runs), Ok(()));
        assert_eq!(pick(&runs, H, &asked).now.map(|r| r.id), Some(1));
        let twice = Selection {
            as_of: None,
            runs: vec![1, 2],
        };
        assert!(
            twice
                .check(&runs)
                .unwrap_err()
                .contains("both health-model runs")
        );
        let missing = Selection {
            as_of: None,
            runs: vec![9],
        };
        assert!(
            missing
                .check(&runs)
                .unwrap_err()
                .contains("run 9 does not exist")
        );
    }

    #[test]
    fn only_failed_runs_read_nothing_and_say_so() {
        let runs = [run(1, H, 100, 0)];
        let p = pick(&runs, H, &Selection::default());
        assert!(p.now.is_none());
        assert_eq!(p.passed_over.len(), 1);
    }
}
