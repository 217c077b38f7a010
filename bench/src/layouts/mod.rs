//! `vitals-bench layouts`: the candidate layouts of contract 0.2 (issue #17)
//! measured end to end per account in one run, against native code and the
//! 0.1 component. Each candidate's path: the host encodes a chunk of stored
//! accounts into the layout (what is not read is never encoded), the call
//! lowers it into a fresh instance of the probe component
//! (`bench/guests/layout-probe`), the guest decodes it into the account view
//! an SDK would give authors and runs the real weighted-health rules, and the
//! results come back as the host's `Health`. Every path must give native's
//! results for every account before anything is timed.

mod back;
mod contract;
mod encode;
mod harness;
mod paths;
mod polyglot;
mod projection;
mod report;

use paths::{Ctx, Layout, Out, Path, Set, Work};
use std::time::Instant;

/// The probe component, built from source by this crate's build script.
static PROBE: &[u8] = include_bytes!(env!("LAYOUT_PROBE_WASM"));

const AS_OF: i32 = 20_454;

/// One measurement: a path at a batch size over one set of accounts.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub path: Path,
    pub batch: usize,
    pub history: bool,
}

fn cases() -> Vec<Case> {
    use Layout::*;
    let view = |layout, projected| Path::Probe {
        layout,
        work: Work::View,
        projected,
    };
    let end_to_end = [
        Path::V01Runtime,
        Path::V01Harness,
        view(A, false),
        view(B, false),
        view(C1, false),
        view(C2, false),
        Path::V01Projected,
        view(C1, true),
        view(C2, true),
        Path::Proposal { resolve: true },
    ];
    let mut out = Vec::new();
    for batch in [1, 100, 1000] {
        for path in end_to_end {
            out.push(Case {
                path,
                batch,
                history: true,
            });
        }
    }
    for path in end_to_end {
        out.push(Case {
            path,
            batch: 1000,
            history: false,
        });
    }
    for layout in [A, B] {
        out.push(Case {
            path: view(layout, true),
            batch: 1000,
            history: true,
        });
    }
    for layout in [A, B, C1, C2] {
        for work in [Work::Owned, Work::Receive] {
            out.push(Case {
                path: Path::Probe {
                    layout,
                    work,
                    projected: false,
                },
                batch: 1000,
                history: true,
            });
        }
    }
    for path in [
        Path::Probe {
            layout: C1,
            work: Work::Owned,
            projected: true,
        },
        Path::Probe {
            layout: C1,
            work: Work::Receive,
            projected: true,
        },
        Path::V01Boundary,
        Path::Emit(Out::Strings),
        Path::Emit(Out::Indexed),
        Path::Emit(Out::Columns),
        Path::Emit(Out::IndexedLiftOnly),
        Path::Emit(Out::ColumnsLiftOnly),
        Path::Proposal { resolve: false },
    ] {
        out.push(Case {
            path,
            batch: 1000,
            history: true,
        });
    }
    for path in [
        Path::V01Boundary,
        Path::Probe {
            layout: C1,
            work: Work::Receive,
            projected: false,
        },
    ] {
        out.push(Case {
            path,
            batch: 1000,
            history: false,
        });
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the suite: `accounts` generated accounts, `rounds` alternating
/// rounds; the Python and JavaScript probes over the first
/// `polyglot_accounts` of them.
pub fn run(json: bool, accounts: usize, rounds: usize, polyglot_accounts: usize) {
    let config = weighted_health::Config::default();
    let full = Set::new(vitals::demo::generate(accounts, AS_OF, 7), &config);
    let current_only = Set::new(
        full.accounts
            .iter()
            .map(|a| vitals::runtime::Account {
                history: vec![],
                ..a.clone()
            })
            .collect(),
        &config,
    );
    let ctx = Ctx::new(PROBE, &config);
    let cases = cases();

    // Every path that scores must agree with native on every account.
    for set in [&full, &current_only] {
        for case in &cases {
            if let Err(e) = ctx.check(case.path, set) {
                eprintln!(
                    "vitals-bench layouts: {:?} disagrees with native: {e}",
                    case.path
                );
                std::process::exit(1);
            }
        }
    }

    let mut native = (Vec::new(), Vec::new());
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        native.0.push(ctx.native_pass(&full));
        native.1.push(ctx.native_pass(&current_only));
        let order: Vec<usize> = if round % 2 == 0 {
            (0..cases.len()).collect()
        } else {
            (0..cases.len()).rev().collect()
        };
        for i in order {
            let case = cases[i];
            let set = if case.history { &full } else { &current_only };
            let started = Instant::now();
            ctx.pass(case.path, set, case.batch);
            times[i].push(started.elapsed().as_secs_f64() * 1e9 / set.accounts.len() as f64);
        }
    }
    let polyglot = Set::new(
        full.accounts[..polyglot_accounts.min(accounts)].to_vec(),
        &config,
    );
    let languages = polyglot::measure(&ctx.harness, &polyglot, &ctx.projection, 500, rounds, json);
    let figures = report::Figures {
        accounts,
        rounds,
        native_history: median(native.0),
        native_current_only: median(native.1),
        cases: cases
            .into_iter()
            .zip(times.into_iter().map(median))
            .collect(),
        projection: ctx.projection_summary(&full),
        languages,
    };
    if json {
        println!("{}", figures.json());
    } else {
        figures.print();
    }
}
