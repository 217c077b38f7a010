//! `vitals demo`: a generated tenant loaded through ingest into the store,
//! the reference pack installed and run at the last four quarter ends, and
//! the summaries printed. It is the README's main command.

use super::context::{CliError, Ctx, date_arg};
use super::output::{Format, print_json};
use crate::demo::{generate, rows};
use crate::runtime::content_hash;
use crate::scoring::{RunSettings, Summary, run_active};
use crate::store::{IngestMode, StoreError};
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
    /// The demo tenant's id.
    #[arg(long, default_value = "demo")]
    demo_tenant: String,
}

pub fn run(ctx: &Ctx, args: DemoArgs) -> Result<(), CliError> {
    let as_of = date_arg("--as-of", &args.as_of)?;
    let tenant = args.demo_tenant.as_str();
    let started = Instant::now();
    let store = ctx.store()?;
    match store.create_tenant(tenant, "Demo Co") {
        Ok(_) => {}
        Err(StoreError::Invalid(m)) if m.contains("already exists") => {}
        Err(e) => return Err(e.into()),
    }
    let accounts = generate(args.accounts, as_of, args.seed);
    let input = rows(&accounts);
    let t = Instant::now();
    let report = store.ingest(tenant, &input, vec![], IngestMode::AllOrNothing)?;
    let ingest_time = t.elapsed();

    let rt = ctx.runtime()?;
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let plugin = rt
            .load(bytes)
            .map_err(|e| CliError::internal(format!("reference plugin {name}: {e}")))?;
        let installed = store.add_plugin(tenant, &content_hash(bytes), bytes, &plugin.metadata)?;
        store.activate(tenant, &installed.name, &installed.version)?;
    }
    let t = Instant::now();
    let mut scored = 0;
    for quarters_back in (0..4).rev() {
        let at = as_of - 91 * quarters_back;
        let runs = run_active(
            &store,
            &rt,
            tenant,
            at,
            None,
            RunSettings::default(),
            |_| {},
        )?;
        scored += runs.iter().map(|r| r.accounts).sum::<u64>();
    }
    let run_time = t.elapsed();
    let summary = Summary::build(&store, tenant, 90, 10)?;
    if ctx.format == Format::Json {
        print_json(&summary);
        return Ok(());
    }
    println!(
        "Vitals demo: tenant {tenant:?} in {}: {} accounts, {} snapshots ({} new), {} outcomes; reference pack run at 4 quarter ends\n",
        ctx.data_dir.display(),
        accounts.len(),
        report.snapshots_added + report.snapshots_unchanged,
        report.snapshots_added,
        report.outcomes_added + report.outcomes_unchanged
    );
    super::run::print_summary(&summary);
    println!(
        "\nIngested in {:.0} ms; {scored} account-plugin results scored in the wasm sandbox and stored in {:.1} s; {:.1} s in all.",
        ingest_time.as_secs_f64() * 1000.0,
        run_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "Explore: vitals --tenant {tenant} summary | results | account show {} | forecast --days 180",
        accounts[0].id
    );
    Ok(())
}
