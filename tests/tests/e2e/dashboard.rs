//! The health dashboard as its users meet it: the real `vitals serve` over
//! the demo tenant (5,000 accounts scored at four quarter ends, and a shadow
//! run of a candidate version), driven by a real headless Chromium. Every
//! view loads without a console error, shows the API's figures, searching,
//! sorting and paging work, clicking an account opens its page, nothing is
//! fetched from anywhere but the server, and each view is saved as a
//! screenshot under `target/dashboard-screenshots/`.

use crate::browser::Browser;
use crate::served::{Server, local};
use serde_json::{Map, Value};
use std::path::PathBuf;
use vitals::service::{Api, ShadowRequest};

fn screenshots() -> PathBuf {
    // CARGO_TARGET_TMPDIR is target/tmp: the screenshots go beside it.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The page's figures: `data-figure` name to shown text.
fn figures(b: &mut Browser) -> Map<String, Value> {
    b.eval(
        "Object.fromEntries([...document.querySelectorAll('[data-figure]')]\
         .map(e => [e.dataset.figure, e.textContent.trim()]))",
    )
    .as_object()
    .unwrap()
    .clone()
}

/// The number a figure shows: `1,293` `+109` `-82` `66.5 %` `0.92`.
fn shown(figs: &Map<String, Value>, name: &str) -> f64 {
    let text = figs
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no figure {name:?} on the page"));
    text.replace([',', '%', ' ', '+'], "")
        .parse()
        .unwrap_or_else(|e| panic!("figure {name:?} shows {text:?}: {e}"))
}

/// The figure equals the API's value, as rounded for display (`decimals`).
fn same(figs: &Map<String, Value>, name: &str, api: &Value, decimals: i32) {
    let api = api
        .as_f64()
        .unwrap_or_else(|| panic!("{name}: API value {api}"));
    let half = 0.5 * 10f64.powi(-decimals) + 1e-9 * api.abs().max(1.0);
    let page = shown(figs, name);
    assert!(
        (page - api).abs() <= half,
        "{name}: the page shows {page}, the API says {api}"
    );
}

/// Ids of the rows of a table on the page.
fn rows(b: &mut Browser, table: &str) -> Vec<String> {
    let v = b.eval(&format!(
        "[...document.querySelectorAll('[data-table=\"{table}\"] tbody tr[data-row]')].map(r => r.dataset.row)"
    ));
    serde_json::from_value(v).unwrap()
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

struct Session<'a> {
    server: &'a Server,
    key: String,
    browser: Browser,
    shots: PathBuf,
}

impl Session<'_> {
    /// GET on the API with the viewer key.
    fn api(&self, path: &str) -> Value {
        let r = reqwest::blocking::Client::new()
            .get(format!("{}/v1/tenants/demo/{path}", self.server.url))
            .bearer_auth(&self.key)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        r.json().unwrap()
    }

    /// Views the page has drawn so far.
    fn renders(&mut self) -> u64 {
        self.browser
            .eval("Number(document.body.dataset.renders || 0)")
            .as_u64()
            .unwrap()
    }

    /// Waits until `view` is shown, drawn after the `after`th, and every
    /// request of the page has answered.
    fn settled_after(&mut self, view: &str, after: u64) {
        self.browser.wait_for(
            &format!(
                "document.body.dataset.view === '{view}' && document.body.dataset.state === 'ready' \
                 && document.body.dataset.busy === '0' && Number(document.body.dataset.renders) > {after}"
            ),
            &format!("the {view} view"),
        );
    }

    fn settled(&mut self, view: &str) {
        self.settled_after(view, 0);
    }

    fn shot(&mut self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        self.browser.screenshot(&path);
        assert!(
            std::fs::metadata(&path).unwrap().len() > 10_000,
            "{name}.png is blank"
        );
    }

    /// Clicks and waits for the view it leads to.
    fn click_to(&mut self, selector: &str, view: &str) {
        let before = self.renders();
        self.browser.click(selector);
        self.settled_after(view, before);
    }

    /// Types into a search box, presses Enter, and waits for the view it leads to.
    fn search(&mut self, selector: &str, text: &str, view: &str) {
        let before = self.renders();
        self.browser.type_and_enter(selector, text);
        self.settled_after(view, before);
    }
}

#[test]
fn the_dashboard_in_a_real_browser_shows_the_apis_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    local(&data, &["demo"]);
    let viewer = local(&data, &["key", "issue", "demo", "--role", "viewer"])
        .trim()
        .to_string();
    let admin = local(&data, &["key", "issue", "demo", "--role", "admin"])
        .trim()
        .to_string();
    let operator = local(&data, &["key", "operator"]).trim().to_string();
    let server = Server::start(&data);
    // A candidate health model run beside the active one: the plugins view lists it.
    let api = server.client(&admin);
    api.add_plugin("demo", vitals_e2e::WEIGHTED_HEALTH_V2.to_vec(), false)
        .unwrap();
    let shadow = api
        .shadow(
            "demo",
            &ShadowRequest {
                plugin: "weighted-health".into(),
                version: "0.2.0".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let mut s = Session {
        server: &server,
        key: viewer.clone(),
        browser: Browser::launch(1280, 900),
        shots: screenshots(),
    };

    // Sign in with the viewer key, as a person would.
    s.browser.navigate(&format!("{}/", server.url));
    s.settled("signin");
    s.shot("0-signin");
    // The recorder hears the page's console errors (so silence below means none).
    s.browser.eval("console.error('probe'), 1");
    s.browser.eval("1");
    assert!(
        s.browser.record.errors.iter().any(|e| e.contains("probe")),
        "{:?}",
        s.browser.record.errors
    );
    s.browser.record.errors.clear();
    // The operator key manages tenants; it does not open a tenant's dashboard.
    s.browser.type_and_enter("#key", &operator);
    s.browser.wait_for(
        "!document.querySelector('#signin .error').hidden \
         && document.querySelector('#signin .error').textContent.includes('operator key')",
        "the operator key refused with a reason",
    );
    s.search("#key", &viewer, "overview");

    // Overview: the dashboard's aggregates, and the same figures as `/summary`.
    let o = s.api("dashboard/overview");
    let summary = s.api("summary");
    assert_eq!(o["now"], summary["health"]["now"]);
    assert_eq!(
        o["turned_red"].as_u64().unwrap() as usize,
        summary["health"]["turned_red"].as_array().unwrap().len()
    );
    let figs = figures(&mut s.browser);
    for band in ["green", "yellow", "red"] {
        same(&figs, band, &o["now"][band], 0);
        let change = o["now"][band].as_f64().unwrap() - o["before"][band].as_f64().unwrap();
        same(&figs, &format!("{band}.change"), &change.into(), 0);
    }
    same(&figs, "turned_red", &o["turned_red"], 0);
    assert!(
        o["turned_red"].as_u64().unwrap() > 0,
        "the demo has accounts turning Red"
    );
    for (list, name) in [("by_owner", "by-owner"), ("by_segment", "by-segment")] {
        let groups = o[list].as_array().unwrap();
        assert!(groups.len() >= 5, "{list}: {groups:?}");
        for g in groups {
            let key = format!("{name}.{}", g["name"].as_str().unwrap());
            same(&figs, &format!("{key}.accounts"), &g["accounts"], 0);
            for band in ["green", "yellow", "red"] {
                same(&figs, &format!("{key}.{band}"), &g["bands"][band], 0);
            }
            same(&figs, &format!("{key}.arr"), &g["arr"], 0);
            same(&figs, &format!("{key}.red_arr"), &g["red_arr"], 0);
        }
    }
    let history = o["history"].as_array().unwrap().len();
    assert_eq!(history, 4, "four quarter ends");
    let bars = s
        .browser
        .eval("document.querySelectorAll('svg.chart g[data-run]').length");
    assert_eq!(bars, serde_json::json!(history));
    let turned = s.api("dashboard/accounts?turned_red=true&sort=arr&order=desc&limit=10");
    assert_eq!(rows(&mut s.browser, "turned-red"), ids(&turned, "rows"));
    s.shot("1-overview");

    // Segments: sizes, entered and left, as the API and `/summary` say.
    s.click_to("#nav a[data-nav=segments]", "segments");
    let seg = s.api("dashboard/segments");
    assert_eq!(seg["segments"], summary["segments"]);
    let figs = figures(&mut s.browser);
    for c in seg["segments"].as_array().unwrap() {
        let key = format!("segment.{}", c["segment"].as_str().unwrap());
        same(&figs, &format!("{key}.size"), &c["size"], 0);
        same(&figs, &format!("{key}.entered"), &c["entered"], 0);
        // Shown as "-N".
        assert_eq!(
            shown(&figs, &format!("{key}.left")),
            -c["left"].as_f64().unwrap()
        );
    }
    let first = seg["segments"][0]["segment"].as_str().unwrap().to_string();
    let members = s.api(&format!(
        "dashboard/accounts?segment={first}&sort=arr&order=desc&limit=25"
    ));
    assert_eq!(
        rows(&mut s.browser, "segment-members"),
        ids(&members, "rows")
    );
    s.click_to("[data-membership=entered]", "segments");
    let entered = s.api(&format!(
        "dashboard/accounts?segment={first}&membership=entered&sort=arr&order=desc&limit=25"
    ));
    assert_eq!(
        entered["total"], seg["segments"][0]["entered"],
        "the entered list holds the entered count"
    );
    assert_eq!(
        rows(&mut s.browser, "segment-members"),
        ids(&entered, "rows")
    );
    s.shot("2-segments");

    // Expansion: the ranked candidates, the top ten being `/summary`'s.
    s.click_to("#nav a[data-nav=expansion]", "expansion");
    let x = s.api("dashboard/expansion?limit=25");
    let figs = figures(&mut s.browser);
    same(&figs, "candidates", &x["total"], 0);
    same(&figs, "candidates.arr", &x["arr"], 0);
    let shown_ids = rows(&mut s.browser, "candidates");
    let api_ids: Vec<String> = x["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["account"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown_ids, api_ids);
    let top: Vec<&str> = summary["expansion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap())
        .collect();
    assert_eq!(&api_ids[..10], &top[..]);
    for c in x["candidates"].as_array().unwrap() {
        let key = format!("candidate.{}", c["account"]["id"].as_str().unwrap());
        same(&figs, &format!("{key}.propensity"), &c["propensity"], 2);
        same(&figs, &format!("{key}.arr"), &c["account"]["arr"], 0);
        assert!(!c["drivers"].as_array().unwrap().is_empty());
    }
    s.shot("3-expansion");

    // Renewals: each horizon as `/forecast` computes it, and its waterfall.
    s.click_to("#nav a[data-nav=renewals]", "renewals");
    let r = s.api("dashboard/renewals");
    let figs = figures(&mut s.browser);
    for p in r["periods"].as_array().unwrap() {
        let days = p["days"].as_i64().unwrap();
        let forecast = s.api(&format!("forecast?days={days}"));
        assert_eq!(p["forecast"], forecast["summary"], "{days} days");
        for (field, decimals) in [
            ("renewals_due", 0),
            ("arr_due", 0),
            ("expected_renewal_arr", 0),
            ("expected_churn_arr", 0),
            ("expected_expansion_arr", 0),
            ("expected_contraction_arr", 0),
        ] {
            same(
                &figs,
                &format!("p{days}.{field}"),
                &p["forecast"][field],
                decimals,
            );
        }
        for ratio in ["grr", "nrr"] {
            let pct = p["forecast"][ratio].as_f64().expect("renewals due") * 100.0;
            same(&figs, &format!("p{days}.{ratio}"), &pct.into(), 1);
        }
    }
    let grr90 = r["periods"][1]["forecast"]["grr"].as_f64().unwrap() * 100.0;
    same(&figs, "waterfall.grr", &grr90.into(), 1);
    let due = s.api("dashboard/accounts?renewal_within=90&sort=renewal_date&order=asc&limit=25");
    assert_eq!(rows(&mut s.browser, "renewals-due"), ids(&due, "rows"));
    s.click_to("[data-days='180']", "renewals");
    let grr180 = r["periods"][2]["forecast"]["grr"].as_f64().unwrap() * 100.0;
    same(&figures(&mut s.browser), "waterfall.grr", &grr180.into(), 1);
    s.shot("4-renewals");

    // Plugins: versions, the active one, errors, and the shadow run.
    s.click_to("#nav a[data-nav=plugins]", "plugins");
    let plugins = s.api("dashboard/plugins");
    let figs = figures(&mut s.browser);
    assert_eq!(plugins.as_array().unwrap().len(), 4);
    for p in plugins.as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert_eq!(
            figs[&format!("plugin.{name}.active")],
            p["active"],
            "{name}"
        );
        // Each version says the contract it implements: the pack's are 0.2.
        for v in p["versions"].as_array().unwrap() {
            assert_eq!(v["contract"], "0.2.0", "{name}: {v}");
            let shown =
                &figs[&format!("plugin.{name}.{}.contract", v["version"].as_str().unwrap())];
            assert_eq!(shown, &v["contract"], "{name}");
        }
    }
    // The demo's plugins came as a signed vendor pack: listed, trusted.
    let packs = s.api("packs");
    assert_eq!(packs.as_array().unwrap().len(), 1, "{packs}");
    let pack = &packs[0];
    assert_eq!(pack["name"], "vitals-reference");
    assert_eq!(figs["pack.vitals-reference.active"], pack["active"]);
    assert_eq!(figs["pack.vitals-reference.status"], "trusted");
    same(
        &figs,
        &format!("shadow.{}.changed", shadow.id),
        &serde_json::json!(shadow.changed),
        0,
    );
    s.shot("5-plugins");

    // Accounts: the search box, a sort by clicking a column, the next page.
    s.search("#search-box", "Globex", "accounts");
    let found = s.api("dashboard/accounts?q=Globex&sort=id&order=asc&limit=25");
    assert!(found["total"].as_u64().unwrap() > 25, "{}", found["total"]);
    same(
        &figures(&mut s.browser),
        "accounts.total",
        &found["total"],
        0,
    );
    assert_eq!(rows(&mut s.browser, "accounts"), ids(&found, "rows"));
    s.click_to("th button[data-sort=score]", "accounts");
    let by_score = s.api("dashboard/accounts?q=Globex&sort=score&order=desc&limit=25");
    assert_eq!(rows(&mut s.browser, "accounts"), ids(&by_score, "rows"));
    s.click_to("button[data-page=next]", "accounts");
    let next = s.api("dashboard/accounts?q=Globex&sort=score&order=desc&limit=25&offset=25");
    assert_eq!(rows(&mut s.browser, "accounts"), ids(&next, "rows"));
    s.shot("6-accounts");

    // Clicking an account opens its page, with the API's figures.
    let id = ids(&next, "rows")[0].clone();
    s.click_to(&format!("a[data-account='{id}']"), "account");
    let hash = s.browser.eval("location.hash");
    assert_eq!(hash, serde_json::json!(format!("#/account/{id}")));
    let detail = s.api(&format!("accounts/{id}"));
    let figs = figures(&mut s.browser);
    assert_eq!(figs["account.id"], serde_json::json!(id));
    let latest = |kind: &str| {
        detail["results"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|r| r["kind"] == kind)
            .unwrap()["result"]["output"]
            .clone()
    };
    same(&figs, "account.score", &latest("health-model")["score"], 1);
    let p = latest("forecaster")["renewal_probability"]
        .as_f64()
        .unwrap()
        * 100.0;
    same(&figs, "account.renewal_probability", &p.into(), 1);
    let factors = latest("health-model")["factors"].as_array().unwrap().len();
    assert_eq!(rows(&mut s.browser, "factors").len(), factors);
    assert_eq!(
        rows(&mut s.browser, "snapshots").len(),
        detail["history"].as_array().unwrap().len()
    );
    let scored_at: std::collections::BTreeSet<&str> = detail["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "health-model")
        .map(|r| r["as_of"].as_str().unwrap())
        .collect();
    let points = s
        .browser
        .eval("document.querySelectorAll('svg.chart circle').length");
    assert_eq!(
        points,
        serde_json::json!(scored_at.len()),
        "a point per health run"
    );
    s.shot("7-account");

    // Nothing went wrong, and nothing came from anywhere but the server.
    s.browser.eval("1");
    let record = &s.browser.record;
    assert!(record.errors.is_empty(), "{:#?}", record.errors);
    assert!(record.requests.len() > 20, "{:?}", record.requests);
    for url in &record.requests {
        assert!(url.starts_with(&server.url), "the page fetched {url}");
    }
}
