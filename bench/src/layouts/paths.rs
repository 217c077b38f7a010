//! The measured paths: native, the 0.1 component (through the runtime and
//! through the harness), and each candidate layout with its decoder.

use super::AS_OF;
use super::back::{self, Results};
use super::encode::{self, Columnar};
use super::harness::{Harness, State, probe, v01};
use super::projection::Projection;
use crate::native;
use std::sync::Arc;
use vitals::runtime::types::{Account, Health};
use vitals::runtime::{Limits, Plugin, Runtime, RuntimeConfig, Share};
use wasmtime::Store;

/// A candidate layout (see `bench/guests/layout-probe/wit/probe.wit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The 0.1 records, metric and label names once per call.
    A,
    /// Flat per-account records: one `list<f64>` per snapshot.
    B,
    /// Columnar, strings as one text and offsets.
    C1,
    /// Columnar, strings as a `list<string>`.
    C2,
}

/// What the guest does with the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Decodes into the account view and scores.
    View,
    /// Decodes into today's owned SDK types and runs the unchanged plugin.
    Owned,
    /// Nothing: the boundary alone.
    Receive,
}

/// How results come back, measured alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// 0.1: factor names and groups as strings in every result.
    Strings,
    /// Names once per call, factors by index.
    Indexed,
    /// Columns, names once per call.
    Columns,
    /// Indexed, lifted only: the host keeps the table and the indices
    /// (a store that keeps them per run) instead of a name per factor.
    IndexedLiftOnly,
    /// Columns, lifted only.
    ColumnsLiftOnly,
}

/// One measured path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The 0.1 reference component through `Runtime::call` (production).
    V01Runtime,
    /// The same component through the harness.
    V01Harness,
    /// The same component on accounts projected by the host.
    V01Projected,
    /// A 0.1 guest that does nothing (the hostile test guest, good mode).
    V01Boundary,
    /// A candidate layout.
    Probe {
        layout: Layout,
        work: Work,
        projected: bool,
    },
    /// C2 projected, results with factor names once per call; `resolve`:
    /// turned into the host's `Health` (a name per factor), else lifted only.
    Proposal { resolve: bool },
    /// Results alone, the guest returning typical ones.
    Emit(Out),
}

impl Path {
    /// A short label for tables and JSON keys.
    pub fn label(&self) -> String {
        match self {
            Path::V01Runtime => "0.1 component, runtime".into(),
            Path::V01Harness => "0.1 component, harness".into(),
            Path::V01Projected => "0.1 component, projected accounts".into(),
            Path::V01Boundary => "0.1 boundary (guest does nothing)".into(),
            Path::Probe {
                layout,
                work,
                projected,
            } => {
                let name = match layout {
                    Layout::A => "A names once",
                    Layout::B => "B flat records",
                    Layout::C1 => "C1 columnar, text+offsets",
                    Layout::C2 => "C2 columnar, list<string>",
                };
                let work = match work {
                    Work::View => "",
                    Work::Owned => ", owned decode",
                    Work::Receive => ", boundary only",
                };
                let projected = if *projected { " + projection" } else { "" };
                format!("{name}{projected}{work}")
            }
            Path::Proposal { resolve: true } => "C2 + projection + factor table".into(),
            Path::Proposal { resolve: false } => "C2 + projection + factor table, lift only".into(),
            Path::Emit(out) => match out {
                Out::Strings => "results: names as strings (0.1)".into(),
                Out::Indexed => "results: factor table + indices".into(),
                Out::Columns => "results: columns + factor table".into(),
                Out::IndexedLiftOnly => "results: factor table + indices, lift only".into(),
                Out::ColumnsLiftOnly => "results: columns + factor table, lift only".into(),
            },
        }
    }
}

/// Accounts and their projected copies (what a 0.1 component gets from a
/// host that projects; made before timing, as a store read would give them).
pub struct Set {
    pub accounts: Vec<Account>,
    pub projected: Vec<Account>,
}

impl Set {
    pub fn new(accounts: Vec<Account>, config: &weighted_health::Config) -> Self {
        let p = Projection::weighted_health(config);
        let projected = accounts.iter().map(|a| p.apply(a)).collect();
        Set {
            accounts,
            projected,
        }
    }
}

/// Everything the paths need, loaded once.
pub struct Ctx {
    config: weighted_health::Config,
    pub projection: Projection,
    full: Projection,
    runtime: Runtime,
    plugin: Arc<Plugin>,
    pub harness: Harness,
    v01: v01::HealthModelPre<State>,
    nothing: v01::HealthModelPre<State>,
    probe: probe::ProbePre<State>,
}

fn native_result(
    config: &weighted_health::Config,
    a: &Account,
) -> Result<vitals_plugin_sdk::Health, vitals_plugin_sdk::PluginError> {
    weighted_health::score_account(config, AS_OF, &native::account(a))
}

/// Whether `got` is native's `want`, to 1e-9.
fn same(got: &Health, want: &vitals_plugin_sdk::Health) -> Result<(), String> {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9;
    if !close(got.score, want.score) || got.band.to_string() != want.band.to_string() {
        return Err(format!(
            "score {} {} against {} {}",
            got.score, got.band, want.score, want.band
        ));
    }
    if got.factors.len() != want.factors.len() {
        return Err(format!(
            "{} factors against {}",
            got.factors.len(),
            want.factors.len()
        ));
    }
    for (g, w) in got.factors.iter().zip(&want.factors) {
        let value = match (g.value, w.value) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        };
        if *g.name != *w.name
            || *g.group != *w.group
            || !value
            || !close(g.weight, w.weight)
            || !close(g.points, w.points)
        {
            return Err(format!("factor {g:?} against {w:?}"));
        }
    }
    Ok(())
}

impl Ctx {
    pub fn new(probe_bytes: &[u8], config: &weighted_health::Config) -> Self {
        let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
        let component = vitals_reference_pack::component("weighted-health").expect("pack");
        let plugin = runtime.load(component).expect("load weighted-health");
        let harness = Harness::new();
        let v01 = harness.v01(component);
        let nothing = harness.v01(vitals_e2e::HOSTILE_HEALTH);
        let probe = harness.probe(probe_bytes);
        Ctx {
            config: config.clone(),
            projection: Projection::weighted_health(config),
            full: Projection::full(),
            runtime,
            plugin,
            harness,
            v01,
            nothing,
            probe,
        }
    }

    fn instance(&self) -> (Store<State>, probe::Probe) {
        let mut store = self.harness.store();
        let instance = self
            .probe
            .instantiate(&mut store)
            .expect("instantiate probe");
        (store, instance)
    }

    fn v01_call(
        &self,
        pre: &v01::HealthModelPre<State>,
        config: &str,
        chunk: &[Account],
    ) -> Results {
        let mut store = self.harness.store();
        let instance = pre.instantiate(&mut store).expect("instantiate 0.1");
        instance
            .vitals_plugin_health()
            .call_score(&mut store, config, AS_OF, chunk)
            .expect("call")
            .expect("batch")
    }

    /// One call on accounts `range` of `set`; `None` when the path returns
    /// no results (the boundary alone).
    fn call(&self, path: Path, set: &Set, range: std::ops::Range<usize>) -> Option<Results> {
        let chunk = &set.accounts[range.clone()];
        let n = chunk.len() as u32;
        let results = match path {
            Path::V01Runtime => self
                .runtime
                .call(
                    Share::HOST,
                    &self.plugin,
                    &Limits::default(),
                    "{}",
                    AS_OF,
                    chunk,
                )
                .expect("call")
                .results
                .into_iter()
                .map(|r| match r {
                    Ok(vitals::runtime::Output::Health(h)) => Ok(h),
                    Ok(other) => panic!("not a health result: {other:?}"),
                    Err(e) => Err(vitals::runtime::types::PluginError::Internal(e.to_string())),
                })
                .collect(),
            Path::V01Harness => self.v01_call(&self.v01, "{}", chunk),
            Path::V01Projected => self.v01_call(&self.v01, "{}", &set.projected[range]),
            Path::V01Boundary => {
                std::hint::black_box(self.v01_call(&self.nothing, r#"{"mode":"good"}"#, chunk));
                return None;
            }
            Path::Probe {
                layout,
                work,
                projected,
            } => {
                let p = if projected {
                    &self.projection
                } else {
                    &self.full
                };
                let (mut s, i) = self.instance();
                let s = &mut s;
                let out = match layout {
                    Layout::A => encode::names_once(chunk, p, |b| {
                        let x = i.vitals_layout_probe_names_once();
                        match work {
                            Work::View => x.call_score(s, "{}", AS_OF, b).map(Some),
                            Work::Owned => x.call_score_owned(s, "{}", AS_OF, b).map(Some),
                            Work::Receive => x.call_receive(s, AS_OF, b).map(|_| None),
                        }
                    }),
                    Layout::B => encode::flat(chunk, p, |b| {
                        let x = i.vitals_layout_probe_flat_records();
                        match work {
                            Work::View => x.call_score(s, "{}", AS_OF, b).map(Some),
                            Work::Owned => x.call_score_owned(s, "{}", AS_OF, b).map(Some),
                            Work::Receive => x.call_receive(s, AS_OF, b).map(|_| None),
                        }
                    }),
                    Layout::C1 => Columnar::new(chunk, p).concat(|b| {
                        let x = i.vitals_layout_probe_columnar_concat();
                        match work {
                            Work::View => x.call_score(s, "{}", AS_OF, b).map(Some),
                            Work::Owned => x.call_score_owned(s, "{}", AS_OF, b).map(Some),
                            Work::Receive => x.call_receive(s, AS_OF, b).map(|_| None),
                        }
                    }),
                    Layout::C2 => Columnar::new(chunk, p).listed(|b| {
                        let x = i.vitals_layout_probe_columnar_list();
                        match work {
                            Work::View => x.call_score(s, "{}", AS_OF, b).map(Some),
                            Work::Owned => x.call_score_owned(s, "{}", AS_OF, b).map(Some),
                            Work::Receive => x.call_receive(s, AS_OF, b).map(|_| None),
                        }
                    }),
                };
                return out.expect("call").map(|r| r.expect("batch"));
            }
            Path::Proposal { resolve } => {
                let (mut s, i) = self.instance();
                let batch = Columnar::new(chunk, &self.projection).listed(|b| {
                    i.vitals_layout_probe_outputs()
                        .call_score_indexed(&mut s, "{}", AS_OF, b)
                });
                let batch = batch.expect("call").expect("batch");
                if !resolve {
                    std::hint::black_box(batch);
                    return None;
                }
                back::indexed(batch)
            }
            Path::Emit(out) => {
                let (mut s, i) = self.instance();
                let x = i.vitals_layout_probe_outputs();
                let results = match out {
                    Out::Strings => x.call_emit_strings(&mut s, n).expect("call"),
                    Out::Indexed => x
                        .call_emit_indexed(&mut s, n)
                        .expect("call")
                        .map(back::indexed),
                    Out::Columns => x
                        .call_emit_columns(&mut s, n)
                        .expect("call")
                        .map(back::columns),
                    Out::IndexedLiftOnly => {
                        let batch = x.call_emit_indexed(&mut s, n).expect("call");
                        std::hint::black_box(batch.expect("batch"));
                        return None;
                    }
                    Out::ColumnsLiftOnly => {
                        let batch = x.call_emit_columns(&mut s, n).expect("call");
                        std::hint::black_box(batch.expect("batch"));
                        return None;
                    }
                };
                std::hint::black_box(results.expect("batch"));
                return None;
            }
        };
        Some(results)
    }

    /// Checks that `path` gives native's result for every account of `set`.
    pub fn check(&self, path: Path, set: &Set) -> Result<(), String> {
        let n = set.accounts.len();
        for start in (0..n).step_by(1000) {
            let range = start..(start + 1000).min(n);
            let Some(results) = self.call(path, set, range.clone()) else {
                return Ok(());
            };
            if results.len() != range.len() {
                return Err(format!(
                    "{} results for {} accounts",
                    results.len(),
                    range.len()
                ));
            }
            for (got, a) in results.iter().zip(&set.accounts[range]) {
                match (got, native_result(&self.config, a)) {
                    (Ok(g), Ok(w)) => same(g, &w).map_err(|e| format!("{}: {e}", a.id))?,
                    (Err(_), Err(_)) => {}
                    (g, w) => return Err(format!("{}: {g:?} against {w:?}", a.id)),
                }
            }
        }
        Ok(())
    }

    /// One timed pass of `path` over `set` in batches of `batch`.
    pub fn pass(&self, path: Path, set: &Set, batch: usize) {
        let n = set.accounts.len();
        for start in (0..n).step_by(batch) {
            std::hint::black_box(self.call(path, set, start..(start + batch).min(n)));
        }
    }

    /// One timed pass of the native path, in ns per account.
    pub fn native_pass(&self, set: &Set) -> f64 {
        let started = std::time::Instant::now();
        std::hint::black_box(native::score_batch(&self.config, AS_OF, &set.accounts));
        started.elapsed().as_secs_f64() * 1e9 / set.accounts.len() as f64
    }

    /// What projection leaves of the accounts (snapshots, metrics, fields).
    pub fn projection_summary(&self, set: &Set) -> serde_json::Value {
        let count = |accounts: &[Account]| {
            let snapshots: usize = accounts.iter().map(|a| 1 + a.history.len()).sum();
            let metrics: usize = accounts
                .iter()
                .map(|a| {
                    std::iter::once(&a.current)
                        .chain(&a.history)
                        .map(|s| s.metrics.len())
                        .sum::<usize>()
                })
                .sum();
            let n = accounts.len().max(1) as f64;
            (snapshots as f64 / n, metrics as f64 / n)
        };
        let (full_snapshots, full_metrics) = count(&set.accounts);
        let (proj_snapshots, proj_metrics) = count(&set.projected);
        let p = &self.projection;
        serde_json::json!({
            "snapshots_per_account": {"full": full_snapshots, "projected": proj_snapshots},
            "metrics_per_account": {"full": full_metrics, "projected": proj_metrics},
            "current_fields": p.current.fields.iter().filter(|f| **f).count(),
            "history_fields": p.history.fields.iter().filter(|f| **f).count(),
            "history_days": p.history_days,
            "attributes": p.attributes.iter().filter(|a| **a).count(),
        })
    }
}
