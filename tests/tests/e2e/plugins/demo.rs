//! `vitals demo` on the global `--tenant` (default `demo`), and only ever
//! on a tenant the demo created: never over a company's own accounts.

use super::{Local, refused};
use crate::served::{Out, vitals};

/// `vitals ARGS` with no `--tenant`.
fn untargeted(l: &Local, args: &[&str]) -> Out {
    Out::of(vitals(&l.data()).current_dir(l.path("")).args(args))
}

fn runs(l: &Local, tenant: &str) -> usize {
    let runs = l.ok_as(tenant, &["--json", "results"]).json();
    runs.as_array().unwrap().len()
}

#[test]
fn demo_fills_the_tenant_it_is_given_and_the_default_demo_tenant() {
    let l = Local::new();
    let out = l.ok_as("trial", &["demo", "--accounts", "30"]).stdout;
    assert!(
        out.starts_with("Vitals demo: tenant \"trial\" in ") && out.contains("30 accounts"),
        "{out}"
    );
    assert!(
        out.contains("Explore: vitals --tenant trial summary"),
        "{out}"
    );
    assert_eq!(runs(&l, "trial"), 16);
    // Again on the same demo tenant: it is the demo's, so it is filled again.
    l.ok_as("trial", &["demo", "--accounts", "30"]);
    assert_eq!(runs(&l, "trial"), 32);
    // Neither --tenant nor VITALS_TENANT: the tenant `demo`, as ever.
    let out = untargeted(&l, &["demo", "--accounts", "20"]).success(&["demo"]);
    assert!(
        out.stdout.starts_with("Vitals demo: tenant \"demo\" in "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Health as of 2026-11-24"),
        "{}",
        out.stdout
    );
    assert_eq!(runs(&l, "demo"), 16);
    // The deprecated --demo-tenant still names it, with a word on stderr;
    // disagreeing with --tenant is refused.
    let out = untargeted(
        &l,
        &["demo", "--accounts", "10", "--demo-tenant", "old-style"],
    )
    .success(&["demo"]);
    assert!(
        out.stdout.starts_with("Vitals demo: tenant \"old-style\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("--demo-tenant is deprecated; use --tenant old-style"),
        "{}",
        out.stderr
    );
    refused(
        &l.run_as("trial", &["demo", "--demo-tenant", "other"]),
        &["--demo-tenant other and --tenant trial disagree"],
    );
}

#[test]
fn demo_refuses_a_tenant_with_its_own_accounts_and_changes_nothing() {
    let l = Local::new();
    l.tenant_with_accounts("acme");
    let before = l.ok_as("acme", &["--json", "tenant", "list"]).stdout;
    for args in [
        vec!["demo", "--accounts", "0"],
        vec!["demo", "--accounts", "30"],
    ] {
        let out = l.run_as("acme", &args);
        refused(
            &out,
            &[
                "tenant \"acme\" exists and is not a demo tenant",
                "nothing was changed",
                "hint: to add the reference plugins to this tenant's own accounts: `vitals --tenant acme plugin add reference/weighted-health --activate`",
            ],
        );
    }
    assert_eq!(
        l.ok_as("acme", &["--json", "tenant", "list"]).stdout,
        before
    );
    let plugins = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    assert_eq!(plugins.as_array().unwrap().len(), 0, "{plugins}");
    assert_eq!(runs(&l, "acme"), 0);
    // A tenant called `demo` that someone made for their own data is
    // refused too (`vitals init` names it after its id).
    l.ok_as("demo", &["init"]);
    refused(
        &untargeted(&l, &["demo", "--accounts", "5"]),
        &["\"demo\" exists and is not a demo tenant"],
    );
}

#[test]
fn a_demo_tenant_made_before_the_mark_is_still_the_demo_s() {
    let l = Local::new();
    {
        // What `vitals demo` made before it marked its tenants.
        let store = vitals::store::Store::open(&l.data().join("store")).unwrap();
        store.create_tenant("demo", "Demo Co").unwrap();
        assert!(!store.tenant("demo").unwrap().demo);
    }
    untargeted(&l, &["demo", "--accounts", "10"]).success(&["demo"]);
    let store = vitals::store::Store::open(&l.data().join("store")).unwrap();
    assert!(store.tenant("demo").unwrap().demo, "marked on first use");
}
