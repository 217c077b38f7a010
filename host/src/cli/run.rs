//! `vitals run`: the active plugins over the tenant's accounts, a run
//! that scored nothing said plainly, and `vitals run discard`.

use super::context::{CliError, Ctx, date_arg, today};
use super::output::{Format, Table, note, outln, print_json};
use crate::service::{Page, RunRequest};
use std::io::IsTerminal;

/// Options of `vitals run`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RunArgs {
    #[command(subcommand)]
    action: Option<RunAction>,
    /// Run only this active plugin (default: every active plugin, health first).
    #[arg(long)]
    plugin: Option<String>,
    /// Score as of this date (YYYY-MM-DD; default today): each account's
    /// latest snapshot at or before it.
    #[arg(long)]
    as_of: Option<String>,
    /// Days of earlier snapshots passed with each account.
    #[arg(long, default_value_t = 400)]
    history_days: i32,
}

/// What `vitals run` does besides running.
#[derive(Debug, clap::Subcommand)]
enum RunAction {
    /// Discard a run: it stays in `vitals results`, marked with who
    /// discarded it, when and why, and no summary, dashboard or health
    /// history reads it.
    Discard {
        /// The run id (`vitals results` lists them).
        id: u64,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
    },
}

pub fn run(ctx: &Ctx, args: RunArgs) -> Result<(), CliError> {
    if let Some(RunAction::Discard { id, reason }) = &args.action {
        return discard(ctx, *id, reason.clone());
    }
    let as_of = match &args.as_of {
        Some(d) => date_arg("--as-of", d)?,
        None => today(),
    };
    // Locally the progress bar knows how many accounts there are.
    let (api, total): (Box<dyn crate::service::Api>, u64) = if ctx.server.is_none() {
        let service = ctx.service()?;
        let total = service.account_count(&ctx.tenant);
        (Box::new(service), total)
    } else {
        (ctx.api()?, 0)
    };
    let bar = (std::io::stderr().is_terminal() && total > 0).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} accounts {elapsed}")
                .expect("template"),
        );
        b
    });
    let started = std::time::Instant::now();
    let runs = api.run(
        &ctx.tenant,
        &RunRequest {
            plugin: args.plugin.clone(),
            as_of: Some(as_of),
            history_days: Some(args.history_days),
        },
        &mut |done| {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        },
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let runs = runs?;
    if ctx.format == Format::Json {
        print_json(&runs);
        return every_account_failed(ctx, api.as_ref(), &runs);
    }
    let mut t = Table::new(vec![
        "run", "plugin", "version", "as of", "accounts", "ok", "errors", "status",
    ]);
    for r in &runs {
        let errors: u64 = r.errors.values().sum();
        t.row(vec![
            r.id.to_string(),
            r.plugin.clone(),
            r.version.clone(),
            vitals_plugin_sdk::date::format(r.as_of),
            r.accounts.to_string(),
            r.ok.to_string(),
            errors.to_string(),
            super::results::status_label(r),
        ]);
    }
    t.print(ctx.format);
    note(
        ctx.format,
        format_args!("({:.1} s)", started.elapsed().as_secs_f64()),
    );
    every_account_failed(ctx, api.as_ref(), &runs)
}

/// A run that scored none of its accounts is no result: each such run is
/// said plainly on stderr with the first account's error (usually the
/// plugin's configuration or a measure the data lacks), and the command
/// fails, so that a script never takes it for a good run.
fn every_account_failed(
    ctx: &Ctx,
    api: &dyn crate::service::Api,
    runs: &[crate::store::RunRecord],
) -> Result<(), CliError> {
    let failed: Vec<&crate::store::RunRecord> = runs
        .iter()
        .filter(|r| r.accounts > 0 && r.ok == 0)
        .collect();
    let Some(last) = failed.last() else {
        return Ok(());
    };
    for r in &failed {
        let first = api.results(
            &ctx.tenant,
            r.id,
            Page {
                limit: 1,
                ..Page::default()
            },
        )?;
        let why = first
            .results
            .first()
            .and_then(|v| v.result().err())
            .map_or_else(|| "no result".to_string(), |e| e.to_string());
        eprintln!(
            "error: {} {} (run {}): every account failed ({} of {}): {}",
            r.plugin,
            r.version,
            r.id,
            r.accounts,
            r.accounts,
            super::output::terminal_safe(&why)
        );
    }
    // Stopped by a limit, or by what the plugin returned: different fixes.
    const LIMITS: [&str; 5] = [
        "fuel-exhausted",
        "deadline",
        "memory-limit",
        "output-too-large",
        "not-run",
    ];
    let by_limits = last.errors.keys().all(|k| LIMITS.contains(&k.as_str()));
    let hint = if by_limits {
        format!(
            "the plugin's limits stopped it: `vitals tenant limits {}` shows them (the operator can raise them up to the host's); `vitals results --run {}` shows each account's error",
            ctx.tenant, last.id
        )
    } else {
        format!(
            "configure the plugin (`vitals plugin show {0}` gives its configuration schema; `vitals plugin config {0} --set JSON`) or check that the accounts have the measures it reads, then run again",
            last.plugin
        )
    };
    Err(CliError::internal(format!(
        "{} of {} runs scored no account; their results are kept (`vitals results --run {}`) and summaries skip them",
        failed.len(),
        runs.len(),
        last.id
    ))
    .hint(hint))
}

fn discard(ctx: &Ctx, id: u64, reason: Option<String>) -> Result<(), CliError> {
    let run = ctx
        .api()?
        .discard_run(&ctx.tenant, id, &crate::service::DiscardRun { reason })?;
    if ctx.format == Format::Json {
        print_json(&run);
        return Ok(());
    }
    outln!(
        "Run {} ({} {}, as of {}) discarded: it stays in `vitals results`; summaries and the dashboard no longer read it.",
        run.id,
        run.plugin,
        run.version,
        vitals_plugin_sdk::date::format(run.as_of)
    );
    Ok(())
}
