//! `vitals demo`: a generated tenant loaded through ingest into the store,
//! the reference pack installed and run at the last four quarter ends, and
//! the summaries printed. It is the README's main command. The tenant is
//! the global `--tenant` (default `demo`), and only ever one the demo
//! created itself (see `crate::demo::claim_tenant`).

use super::context::{CliError, Ctx, date_arg};
use super::output::{Format, outln, print_json};
use crate::demo::{DEFAULT_TENANT, DemoError, install};
use crate::service::Api;
use std::time::Instant;

/// Options of `vitals demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Accounts to generate.
    #[arg(long, default_value_t = 5000)]
    accounts: usize,
    /// Seed of the generator (the same seed gives the same tenant).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The last run's as-of date (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-24")]
    as_of: String,
    /// Deprecated: the global `--tenant` names the demo tenant.
    #[arg(long, hide = true)]
    demo_tenant: Option<String>,
}

/// The demo's tenant: `--tenant`, else the deprecated `--demo-tenant`, else `demo`.
fn demo_tenant(ctx: &Ctx, deprecated: Option<String>) -> Result<String, CliError> {
    match deprecated {
        Some(d) if ctx.tenant_named && d != ctx.tenant => Err(CliError::bad(format!(
            "--demo-tenant {d} and --tenant {} disagree",
            ctx.tenant
        ))
        .hint("--demo-tenant is deprecated: give --tenant alone")),
        Some(d) => {
            eprintln!("vitals demo: --demo-tenant is deprecated; use --tenant {d}");
            Ok(d)
        }
        None if ctx.tenant_named => Ok(ctx.tenant.clone()),
        None => Ok(DEFAULT_TENANT.to_string()),
    }
}

pub fn run(ctx: &Ctx, args: DemoArgs) -> Result<(), CliError> {
    let as_of = date_arg("--as-of", &args.as_of)?;
    let tenant = demo_tenant(ctx, args.demo_tenant)?;
    let tenant = tenant.as_str();
    let started = Instant::now();
    let store = ctx.store()?;
    let rt = ctx.runtime()?;
    let done =
        install(&store, &rt, tenant, args.accounts, as_of, args.seed).map_err(|e| match e {
            DemoError::NotADemoTenant(_) => CliError::bad(e.to_string()).hint(format!(
                "to add the reference plugins to this tenant's own accounts: \
                 `vitals --tenant {tenant} plugin add reference/weighted-health --activate` \
                 (`vitals plugin reference` lists them)"
            )),
            DemoError::Run(e) => CliError::from(e),
            DemoError::Pack(e) => CliError::internal(e),
        })?;
    let (report, ingest_time, run_time, scored) =
        (&done.ingest, done.ingest_time, done.run_time, done.scored);
    // The summary every caller gets (`vitals summary`, `/summary`).
    let query = crate::service::SummaryQuery::default();
    let summary = crate::service::Service::new(store, rt).summary(tenant, &query)?;
    if ctx.format == Format::Json {
        print_json(&summary);
        return Ok(());
    }
    outln!(
        "Vitals demo: tenant {tenant:?} in {}: {} accounts, {} snapshots ({} new), {} outcomes; reference pack run at 4 quarter ends\n",
        ctx.data_dir.display(),
        done.accounts,
        report.snapshots_added + report.snapshots_unchanged,
        report.snapshots_added,
        report.outcomes_added + report.outcomes_unchanged
    );
    super::summary::print_summary(&summary);
    outln!(
        "\nIngested in {:.0} ms; {scored} account-plugin results scored in the wasm sandbox and stored in {:.1} s; {:.1} s in all.",
        ingest_time.as_secs_f64() * 1000.0,
        run_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    outln!(
        "Explore: vitals --tenant {tenant} summary | results | account show {} | forecast --days 180",
        done.first_account
    );
    Ok(())
}
