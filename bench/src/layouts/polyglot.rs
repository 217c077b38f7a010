//! The same question for Python (componentize-py) and JavaScript
//! (componentize-qjs on QuickJS): one small rule over plain account objects,
//! fed by the runtime's lifting of the 0.1 records or by an SDK decoding the
//! columnar batch (C2) into the same objects (`bench/guests/layout-probe-py`,
//! `layout-probe-js`). Both paths must give the same results.

use super::AS_OF;
use super::back::Results;
use super::encode::Columnar;
use super::harness::{Harness, State};
use super::paths::Set;
use super::projection::Projection;
use std::time::Instant;
use wasmtime::Store;

/// The probes' world: 0.1's health interface beside the columnar candidate.
#[allow(missing_docs, clippy::all)]
pub mod poly {
    wasmtime::component::bindgen!({
        path: "guests/layout-probe/wit",
        world: "vitals:layout-probe/health-model@0.0.1",
        // Owned parameters: the 0.1 interface takes the host's own accounts
        // (`with`), which borrowing bindings cannot name; the columnar batch
        // is copied into owned vectors first (a few hundred ns an account,
        // against the 100 us an account of these languages).
        with: {
            "vitals:plugin/types": crate::layouts::harness::types_interface,
            "vitals:plugin/log": crate::layouts::harness::probe::vitals::plugin::log,
        },
    });
}

use super::harness::probe::exports::vitals::layout_probe::columnar_list as borrowed;
use super::harness::probe::vitals::layout_probe::columnar_types as bt;
use poly::exports::vitals::layout_probe::columnar_list as c2;
use poly::vitals::layout_probe::columnar_types as ot;
use poly::vitals::layout_probe::common::Field;

const FIELDS: [Field; 12] = [
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
];

fn rows(r: &bt::Rows<'_>) -> ot::Rows {
    ot::Rows {
        account_start: r.account_start.to_vec(),
        as_of: r.as_of.to_vec(),
        fields: r.fields.iter().map(|c| c.to_vec()).collect(),
        metrics: r.metrics.iter().map(|c| c.to_vec()).collect(),
    }
}

/// The borrowed columnar batch as the owned one these bindings take.
fn owned(b: borrowed::Batch<'_>) -> c2::Batch {
    let a = &b.accounts;
    c2::Batch {
        strings: b.strings.iter().map(|s| s.to_string()).collect(),
        fields: b.fields.iter().map(|f| FIELDS[*f as usize]).collect(),
        metric_names: b.metric_names.to_vec(),
        label_names: b.label_names.to_vec(),
        accounts: ot::Accounts {
            id: a.id.to_vec(),
            name: a.name.to_vec(),
            owner: a.owner.to_vec(),
            tier: a.tier.to_vec(),
            plan: a.plan.to_vec(),
            start_date: a.start_date.to_vec(),
            renewal_date: a.renewal_date.to_vec(),
            contract_arr: a.contract_arr.to_vec(),
            renewal_confidence: a.renewal_confidence.to_vec(),
            label_start: a.label_start.to_vec(),
            label_name: a.label_name.to_vec(),
            label_value: a.label_value.to_vec(),
            health_start: a.health_start.to_vec(),
            health_as_of: a.health_as_of.to_vec(),
            health_score: a.health_score.to_vec(),
            health_band: a.health_band.to_vec(),
        },
        current: rows(&b.current),
        history: rows(&b.history),
    }
}

/// The Python and JavaScript probes, built from source by the build script.
static PYTHON: &[u8] = include_bytes!(env!("POLYGLOT_LAYOUT_PROBE_PY"));
static JAVASCRIPT: &[u8] = include_bytes!(env!("POLYGLOT_LAYOUT_PROBE_JS"));

/// What a polyglot path feeds the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// 0.1 records, lifted by the language's bindings.
    V01,
    /// 0.1 records of projected accounts.
    V01Projected,
    /// The columnar batch, lifted and dropped: the floor.
    Receive,
    /// The columnar batch decoded into plain objects by the SDK.
    Columnar,
    /// The same, projected.
    ColumnarProjected,
    /// The columnar batch behind lazy views (fields read on access).
    Lazy,
    /// The same, projected.
    LazyProjected,
}

const FEEDS: [Feed; 7] = [
    Feed::V01,
    Feed::V01Projected,
    Feed::Receive,
    Feed::Columnar,
    Feed::ColumnarProjected,
    Feed::Lazy,
    Feed::LazyProjected,
];

impl Feed {
    fn label(self) -> &'static str {
        match self {
            Feed::V01 => "0.1 records",
            Feed::V01Projected => "0.1 records, projected accounts",
            Feed::Receive => "C2 columnar, boundary only",
            Feed::Columnar => "C2 columnar, SDK builds plain objects",
            Feed::ColumnarProjected => "C2 columnar + projection, plain objects",
            Feed::Lazy => "C2 columnar, SDK gives lazy views",
            Feed::LazyProjected => "C2 columnar + projection, lazy views",
        }
    }
}

struct Probe<'h> {
    language: &'static str,
    harness: &'h Harness,
    pre: poly::HealthModelPre<State>,
}

impl Probe<'_> {
    fn instance(&self) -> (Store<State>, poly::HealthModel) {
        let mut store = self.harness.store();
        let instance = self.pre.instantiate(&mut store).expect("instantiate");
        (store, instance)
    }

    /// One call; `None` for the floor, which returns no results.
    fn call(
        &self,
        feed: Feed,
        set: &Set,
        range: std::ops::Range<usize>,
        p: &Projection,
    ) -> Option<Results> {
        let (mut s, i) = self.instance();
        let columnar = |p: &Projection, s: &mut Store<State>, work: Feed| {
            Columnar::new(&set.accounts[range.clone()], p).listed(|b| {
                let b = owned(b);
                let x = i.vitals_layout_probe_columnar_list();
                match work {
                    Feed::Receive => x.call_receive(s, AS_OF, &b).map(|_| None),
                    // The probes' second decoder is the lazy one.
                    Feed::Lazy | Feed::LazyProjected => {
                        x.call_score_owned(s, "{}", AS_OF, &b).map(Some)
                    }
                    _ => x.call_score(s, "{}", AS_OF, &b).map(Some),
                }
            })
        };
        let out = match feed {
            Feed::V01 => i
                .vitals_plugin_health()
                .call_score(&mut s, "{}", AS_OF, &set.accounts[range])
                .map(Some),
            Feed::V01Projected => i
                .vitals_plugin_health()
                .call_score(&mut s, "{}", AS_OF, &set.projected[range])
                .map(Some),
            Feed::Receive | Feed::Columnar | Feed::Lazy => {
                columnar(&Projection::full(), &mut s, feed)
            }
            Feed::ColumnarProjected | Feed::LazyProjected => columnar(p, &mut s, feed),
        };
        out.unwrap_or_else(|e| panic!("{} probe: {e:#}", self.language))
            .map(|r| r.expect("batch"))
    }
}

/// Results of `probe` on `feed` over `set`, in batches of `batch`.
fn all(probe: &Probe, feed: Feed, set: &Set, batch: usize, p: &Projection) -> Option<Results> {
    let n = set.accounts.len();
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(batch) {
        out.extend(probe.call(feed, set, start..(start + batch).min(n), p)?);
    }
    Some(out)
}

/// Measures both languages: `rounds` alternating rounds over `set` in
/// batches of `batch`; returns the JSON figures and prints a table unless `json`.
pub fn measure(
    harness: &Harness,
    set: &Set,
    p: &Projection,
    batch: usize,
    rounds: usize,
    json: bool,
) -> serde_json::Value {
    let probes = [
        Probe {
            language: "Python (componentize-py)",
            harness,
            pre: harness.polyglot(PYTHON),
        },
        Probe {
            language: "JavaScript (componentize-qjs, QuickJS)",
            harness,
            pre: harness.polyglot(JAVASCRIPT),
        },
    ];
    // The rule must see the same accounts whatever the feed.
    for probe in &probes {
        let want = all(probe, Feed::V01, set, batch, p).expect("results");
        for feed in [
            Feed::V01Projected,
            Feed::Columnar,
            Feed::ColumnarProjected,
            Feed::Lazy,
            Feed::LazyProjected,
        ] {
            let got = all(probe, feed, set, batch, p).expect("results");
            if got != want {
                let at = got.iter().zip(&want).position(|(g, w)| g != w).unwrap_or(0);
                eprintln!(
                    "vitals-bench layouts: {} {:?} differs from the 0.1 records at account {at}: {:?} against {:?}",
                    probe.language,
                    feed,
                    got.get(at),
                    want.get(at)
                );
                std::process::exit(1);
            }
        }
    }
    let mut times = vec![vec![Vec::new(); FEEDS.len()]; probes.len()];
    for round in 0..rounds {
        for (k, probe) in probes.iter().enumerate() {
            let order: Vec<usize> = if (round + k) % 2 == 0 {
                (0..FEEDS.len()).collect()
            } else {
                (0..FEEDS.len()).rev().collect()
            };
            for f in order {
                let t = Instant::now();
                std::hint::black_box(all(probe, FEEDS[f], set, batch, p));
                times[k][f].push(t.elapsed().as_secs_f64() * 1e6 / set.accounts.len() as f64);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut report = serde_json::Map::new();
    if !json {
        println!(
            "\nPython and JavaScript: one small rule over plain objects, {} accounts, batches of {batch}, fresh instance per call; us/account (x the 0.1 records)",
            set.accounts.len()
        );
    }
    for (probe, t) in probes.iter().zip(times) {
        let us: Vec<f64> = t.into_iter().map(median).collect();
        let v01 = us[0];
        let mut row = serde_json::Map::new();
        for (feed, u) in FEEDS.iter().zip(&us) {
            row.insert(
                feed.label().into(),
                serde_json::json!({"us_per_account": u, "over_v01": u / v01}),
            );
            if !json {
                println!(
                    "  {:<42}{:<44}{:>9.1}{:>8.2}",
                    probe.language,
                    feed.label(),
                    u,
                    u / v01
                );
            }
        }
        report.insert(probe.language.into(), serde_json::Value::Object(row));
    }
    serde_json::Value::Object(report)
}
