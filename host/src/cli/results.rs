//! `vitals results`: the runs, or one run's per-account results, paged by
//! cursor or streamed whole (`--all`) in bounded memory.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, money, note, outln, print_json, stdout_done, write_stdout};
use crate::runtime::{Output, PluginKind};
use crate::service::{Api, MAX_PAGE, Page, ResultView};
use crate::store::RunStatus;

/// Options of `vitals results`.
#[derive(Debug, clap::Args)]
pub struct ResultsArgs {
    /// A run id: print its per-account results (default: list the runs).
    #[arg(long)]
    run: Option<u64>,
    /// At most this many accounts (up to 10,000 a page).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Start after this account id (the cursor the previous page named).
    #[arg(long, conflicts_with = "all")]
    after: Option<String>,
    /// Every account of the run, streamed page by page in bounded memory:
    /// NDJSON with --json (one result a line), CSV with --csv.
    #[arg(long, requires = "run")]
    all: bool,
}

pub(super) fn kind_label(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::HealthModel => "health",
        PluginKind::Segmenter => "segments",
        PluginKind::PropensityModel => "propensity",
        PluginKind::Forecaster => "forecast",
    }
}

pub(super) fn status_label(run: &crate::store::RunRecord) -> String {
    if let Some(d) = &run.discarded {
        return format!("discarded by {}", d.by);
    }
    match &run.status {
        RunStatus::Running => "running".into(),
        RunStatus::Complete => "complete".into(),
        RunStatus::Failed { reason } => format!("failed: {reason}"),
    }
}

/// One line describing a result, for tables.
pub fn describe(result: &Result<Output, crate::runtime::PluginError>) -> (String, String) {
    match result {
        Ok(Output::Health(h)) => (format!("{:.1}", h.score), h.band.to_string()),
        Ok(Output::Segments { segments }) => (
            segments.len().to_string(),
            segments
                .iter()
                .map(|s| &*s.name)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Ok(Output::Propensity(p)) => (
            format!("{:.3}", p.score),
            p.drivers
                .iter()
                .max_by(|a, b| a.contribution.total_cmp(&b.contribution))
                .map(|d| format!("top driver {}", d.name))
                .unwrap_or_default(),
        ),
        Ok(Output::Forecast(f)) => (
            format!("{:.2}", f.renewal_probability),
            format!(
                "renewal ARR {} ({})",
                money(f.expected_renewal_arr),
                f.basis
            ),
        ),
        Err(e) => ("error".into(), e.to_string()),
    }
}

pub fn results(ctx: &Ctx, args: ResultsArgs) -> Result<(), CliError> {
    let api = ctx.api()?;
    let Some(id) = args.run else {
        let runs = api.runs(&ctx.tenant)?;
        if ctx.format == Format::Json {
            print_json(&runs);
            return Ok(());
        }
        let mut t = Table::new(vec![
            "run", "plugin", "version", "kind", "as of", "accounts", "ok", "status",
        ]);
        for r in runs {
            t.row(vec![
                r.id.to_string(),
                r.plugin.clone(),
                r.version.clone(),
                kind_label(r.kind).into(),
                vitals_plugin_sdk::date::format(r.as_of),
                r.accounts.to_string(),
                r.ok.to_string(),
                status_label(&r),
            ]);
        }
        t.print(ctx.format);
        return Ok(());
    };
    if args.all {
        return all_results(ctx, api.as_ref(), id);
    }
    let page = api.results(
        &ctx.tenant,
        id,
        Page {
            offset: 0,
            limit: args.limit,
            after: args.after.clone(),
        },
    )?;
    if ctx.format == Format::Json {
        print_json(&page.results);
    } else {
        results_table(&page.results).print(ctx.format);
    }
    if let Some(next) = &page.next {
        note(
            ctx.format,
            format_args!(
                "({} of {} accounts; the next page: --after {next}; every account: --all with --csv or --json)",
                page.results.len(),
                page.total
            ),
        );
    }
    let run = page.run;
    if ctx.format == Format::Table && !run.log.is_empty() && args.after.is_none() {
        outln!(
            "\nPlugin log ({} lines kept, {} dropped)",
            run.log.len(),
            run.log_dropped
        );
        for line in &run.log {
            outln!("  {:<6} {}", line.level, line.message);
        }
    }
    Ok(())
}

/// A page of results as a table: account, value, detail.
fn results_table(results: &[ResultView]) -> Table {
    let mut t = Table::new(vec!["account", "value", "detail"]);
    for r in results {
        let (value, detail) = describe(&r.result());
        t.row(vec![r.account.clone(), value, detail]);
    }
    t
}

/// Every result of a run, page by page (a page of 10,000 in memory at a
/// time, locally as over HTTP): NDJSON or CSV, the header once.
fn all_results(ctx: &Ctx, api: &dyn Api, id: u64) -> Result<(), CliError> {
    if ctx.format == Format::Table {
        return Err(CliError::bad("--all streams NDJSON or CSV, not a table")
            .hint("add --json (one result a line) or --csv"));
    }
    let mut after: Option<String> = None;
    let mut first = true;
    loop {
        let page = api.results(
            &ctx.tenant,
            id,
            Page {
                offset: 0,
                limit: MAX_PAGE,
                after: after.clone(),
            },
        )?;
        match ctx.format {
            Format::Json => {
                for r in &page.results {
                    write_stdout(format_args!(
                        "{}\n",
                        serde_json::to_string(r).expect("serialisable")
                    ));
                }
            }
            _ => {
                let mut t = results_table(&page.results);
                if !first {
                    t.headers.clear();
                }
                t.print(Format::Csv);
            }
        }
        first = false;
        match page.next {
            Some(next) if !stdout_done() => after = Some(next),
            _ => return Ok(()),
        }
    }
}
