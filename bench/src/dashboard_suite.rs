//! The dashboard suite: the demo tenant at 100,000 accounts (the reference
//! pack run at four quarter ends), then every dashboard operation timed on
//! the service: the first view (the index of the latest runs is built), the
//! same views once it is built, account lists sorted, searched, filtered and
//! paged deep, the first view after an ingest (the kept scores of the runs
//! joined with the new attributes), and `/summary` from the index against
//! `Summary::build`, which reads the runs.

use serde_json::json;
use std::time::Instant;
use vitals::runtime::{Runtime, RuntimeConfig};
use vitals::scoring::Summary;
use vitals::service::dashboard::{AccountQuery, ExpansionQuery};
use vitals::service::{Api, Service};
use vitals::store::Store;

const AS_OF: i32 = 20_781; // 2026-11-24
const TENANT: &str = "demo";

/// Median milliseconds of `rounds` calls.
fn median_ms(rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn query(f: impl FnOnce(&mut AccountQuery)) -> AccountQuery {
    let mut q = AccountQuery::default();
    f(&mut q);
    q
}

pub fn run(json_out: bool, accounts: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let rt = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let setup = Instant::now();
    vitals::demo::install(&store, &rt, TENANT, accounts, AS_OF, 42).expect("demo install");
    let setup_s = setup.elapsed().as_secs_f64();
    // A second handle on the same store, for the summary's oracle below.
    let oracle_store = store.clone();
    let service = Service::new(store, rt);
    let t = Instant::now();
    let overview = service.dashboard_overview(TENANT).expect("overview");
    let cold_ms = t.elapsed().as_secs_f64() * 1000.0;
    const ROUNDS: usize = 15;
    let warm_ms = median_ms(ROUNDS, || {
        service.dashboard_overview(TENANT).expect("overview");
    });
    let list = |q: AccountQuery| {
        median_ms(ROUNDS, || {
            service.dashboard_accounts(TENANT, &q).expect("accounts");
        })
    };
    let lists = [
        ("accounts, first page by id", list(query(|_| {}))),
        (
            "accounts sorted by score, worst first",
            list(query(|q| q.sort = Some("score".into()))),
        ),
        (
            "accounts sorted by name, page 1,000 (offset 49,950)",
            list(query(|q| {
                q.sort = Some("name".into());
                q.offset = (accounts / 2).saturating_sub(50);
            })),
        ),
        (
            "search \"globex 12\" sorted by ARR",
            list(query(|q| {
                q.q = Some("globex 12".into());
                q.sort = Some("arr".into());
                q.order = Some("desc".into());
            })),
        ),
        (
            "Red accounts of one owner, by ARR",
            list(query(|q| {
                q.band = Some("red".into());
                q.owner = Some("ana".into());
                q.sort = Some("arr".into());
                q.order = Some("desc".into());
            })),
        ),
        (
            "turned Red since the previous run",
            list(query(|q| q.turned_red = Some(true))),
        ),
        (
            "segment entered since the previous run",
            list(query(|q| {
                q.segment = Some("at-risk".into());
                q.membership = Some("entered".into());
            })),
        ),
        (
            "renewals due in 90 days by date",
            list(query(|q| {
                q.renewal_within = Some(90);
                q.sort = Some("renewal_date".into());
            })),
        ),
    ];
    let segments_ms = median_ms(ROUNDS, || {
        service.dashboard_segments(TENANT).expect("segments");
    });
    let expansion_ms = median_ms(ROUNDS, || {
        service
            .dashboard_expansion(TENANT, &ExpansionQuery::default())
            .expect("expansion");
    });
    let renewals_ms = median_ms(ROUNDS, || {
        service.dashboard_renewals(TENANT).expect("renewals");
    });
    let plugins_ms = median_ms(ROUNDS, || {
        service.dashboard_plugins(TENANT).expect("plugins");
    });
    let summary_ms = median_ms(ROUNDS, || {
        service
            .summary(TENANT, &vitals::service::SummaryQuery::default())
            .expect("summary");
    });
    let summary_build_ms = median_ms(3, || {
        Summary::build(&oracle_store, TENANT, 90, 10).expect("summary");
    });
    // An ingest (here an empty one: every ingest marks the accounts
    // changed) keeps the scores of the runs; the next view joins them with
    // the accounts again.
    let mut after_ingest: Vec<f64> = (0..5)
        .map(|_| {
            let nothing = vitals::ingest::Parsed {
                rows: vec![],
                errors: vec![],
            };
            let _ = service.ingest_parsed(TENANT, nothing, vitals::store::IngestMode::AllOrNothing);
            let t = Instant::now();
            service.dashboard_overview(TENANT).expect("overview");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    after_ingest.sort_by(f64::total_cmp);
    let after_ingest_ms = after_ingest[after_ingest.len() / 2];
    let report = json!({
        "accounts": accounts,
        "setup_s": setup_s,
        "overview_cold_ms": cold_ms,
        "overview_warm_ms": warm_ms,
        "lists_ms": lists.iter().map(|(n, ms)| json!({"what": n, "ms": ms})).collect::<Vec<_>>(),
        "segments_ms": segments_ms,
        "expansion_ms": expansion_ms,
        "renewals_ms": renewals_ms,
        "plugins_ms": plugins_ms,
        "overview_after_ingest_ms": after_ingest_ms,
        "summary_ms": summary_ms,
        "summary_build_ms": summary_build_ms,
        "turned_red": overview.turned_red,
    });
    if json_out {
        println!("{report}");
        return;
    }
    println!(
        "dashboard: demo tenant of {accounts} accounts, reference pack run at 4 quarter ends (setup {setup_s:.1} s); medians of {ROUNDS} calls on the service\n"
    );
    let line = |what: &str, ms: f64, note: String| println!("  {what:<52} {ms:>8.2} ms  {note}");
    line(
        "overview, first call (builds the index)",
        cold_ms,
        String::new(),
    );
    line(
        "overview, index built",
        warm_ms,
        format!("({:.0}x faster)", cold_ms / warm_ms),
    );
    for (what, ms) in &lists {
        line(what, *ms, String::new());
    }
    line("segments view", segments_ms, String::new());
    line(
        "expansion view, first page with drivers",
        expansion_ms,
        String::new(),
    );
    line("renewals view, 30/90/180 days", renewals_ms, String::new());
    line("plugins view", plugins_ms, String::new());
    line(
        "overview, first call after an ingest (joins kept scores)",
        after_ingest_ms,
        format!(
            "({:.1}x faster than the first call)",
            cold_ms / after_ingest_ms
        ),
    );
    line("/summary (from the index)", summary_ms, String::new());
    line(
        "Summary::build (reads the runs, as /summary did)",
        summary_build_ms,
        format!("({:.0}x /summary)", summary_build_ms / summary_ms),
    );
}
