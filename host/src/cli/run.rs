//! `vitals run`, `results`, `summary` and `forecast`.

use super::context::{CliError, Ctx, date_arg, today};
use super::output::{Format, Table, money, outln, print_json};
use crate::runtime::{Output, PluginKind};
use crate::scoring::Summary;
use crate::service::{Page, RunRequest};
use crate::store::RunStatus;
use std::io::IsTerminal;

/// Options of `vitals run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
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

/// Options of `vitals results`.
#[derive(Debug, clap::Args)]
pub struct ResultsArgs {
    /// A run id: print its per-account results (default: list the runs).
    #[arg(long)]
    run: Option<u64>,
    /// At most this many accounts.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

/// Options of `vitals summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Forecast horizon in days.
    #[arg(long, default_value_t = 90)]
    days: i32,
    /// Expansion candidates to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Options of `vitals forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// First renewal date of the period (default: the forecast run's as-of).
    #[arg(long)]
    from: Option<String>,
    /// Length of the period in days.
    #[arg(long, default_value_t = 90)]
    days: i32,
}

fn kind_label(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::HealthModel => "health",
        PluginKind::Segmenter => "segments",
        PluginKind::PropensityModel => "propensity",
        PluginKind::Forecaster => "forecast",
    }
}

fn status_label(s: &RunStatus) -> String {
    match s {
        RunStatus::Running => "running".into(),
        RunStatus::Complete => "complete".into(),
        RunStatus::Failed { reason } => format!("failed: {reason}"),
    }
}

pub fn run(ctx: &Ctx, args: RunArgs) -> Result<(), CliError> {
    if let Some(d) = &args.as_of {
        date_arg("--as-of", d)?;
    }
    // Locally the progress bar knows how many accounts there are.
    let (api, total): (Box<dyn crate::service::Api>, u64) = if ctx.server.is_none() {
        let service = ctx.service()?;
        let total = service.store.account_count(&ctx.tenant).unwrap_or(0) as u64;
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
            as_of: Some(
                args.as_of
                    .clone()
                    .unwrap_or_else(|| vitals_plugin_sdk::date::format(today())),
            ),
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
        return Ok(());
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
            status_label(&r.status),
        ]);
    }
    t.print(ctx.format);
    outln!("({:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// One line describing a result, for tables.
pub fn describe(result: &Result<Output, crate::runtime::PluginError>) -> (String, String) {
    match result {
        Ok(Output::Health(h)) => (format!("{:.1}", h.score), h.band.to_string()),
        Ok(Output::Segments { segments }) => (
            segments.len().to_string(),
            segments
                .iter()
                .map(|s| s.name.as_str())
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
                r.plugin,
                r.version,
                kind_label(r.kind).into(),
                vitals_plugin_sdk::date::format(r.as_of),
                r.accounts.to_string(),
                r.ok.to_string(),
                status_label(&r.status),
            ]);
        }
        t.print(ctx.format);
        return Ok(());
    };
    let page = api.results(
        &ctx.tenant,
        id,
        Page {
            offset: 0,
            limit: args.limit,
        },
    )?;
    if ctx.format == Format::Json {
        print_json(&page.results);
        return Ok(());
    }
    let mut t = Table::new(vec!["account", "value", "detail"]);
    for r in &page.results {
        let (value, detail) = describe(&r.result());
        t.row(vec![r.account.clone(), value, detail]);
    }
    t.print(ctx.format);
    if page.total > page.results.len() {
        outln!(
            "({} of {} accounts; --limit N for more)",
            page.results.len(),
            page.total
        );
    }
    let run = page.run;
    if ctx.format == Format::Table && !run.log.is_empty() {
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

pub fn summary(ctx: &Ctx, args: SummaryArgs) -> Result<(), CliError> {
    let api = ctx.api()?;
    let s = api.summary(&ctx.tenant, args.days, args.top)?;
    super::plugin::warn_several_health_models(api.as_ref(), &ctx.tenant);
    if ctx.format == Format::Json {
        print_json(&s);
    } else {
        print_summary(&s);
    }
    Ok(())
}

/// Prints a summary for people.
pub fn print_summary(s: &Summary) {
    let delta = |now: usize, before: Option<usize>| {
        before.map_or("-".to_string(), |b| format!("{:+}", now as i64 - b as i64))
    };
    match &s.health {
        Some(h) => {
            outln!(
                "Health as of {} (run {})        now   change",
                h.as_of,
                h.run
            );
            for (band, now, before) in [
                ("Green", h.now.green, h.before.map(|b| b.green)),
                ("Yellow", h.now.yellow, h.before.map(|b| b.yellow)),
                ("Red", h.now.red, h.before.map(|b| b.red)),
            ] {
                outln!("  {band:<30}{now:>7}   {:>6}", delta(now, before));
            }
            let sample: Vec<&str> = h.turned_red.iter().take(5).map(String::as_str).collect();
            outln!(
                "  turned Red since the previous run: {}{}",
                h.turned_red.len(),
                if sample.is_empty() {
                    String::new()
                } else {
                    format!(" (e.g. {})", sample.join(", "))
                }
            );
        }
        None => outln!("Health: no complete health run yet"),
    }
    if !s.segments.is_empty() {
        outln!("\nSegments                         size  entered   left");
        for c in &s.segments {
            outln!(
                "  {:<28}{:>7}  {:>7}  {:>5}",
                c.segment,
                c.size,
                c.entered,
                c.left
            );
        }
    }
    if !s.expansion.is_empty() {
        outln!("\nTop expansion candidates");
        for (id, p, arr) in &s.expansion {
            outln!(
                "  {id:<16} propensity {p:.2}   contract ARR {:>12}",
                money(*arr)
            );
        }
    }
    if let Some(f) = &s.forecast {
        print_forecast(f);
    }
    if !s.errors.is_empty() {
        outln!(
            "\nPer-account errors (typed, by plugin/kind): {:?}",
            s.errors
        );
    }
}

fn print_forecast(f: &crate::scoring::ForecastSummary) {
    outln!("\nRenewals due {} to {}: {}", f.from, f.to, f.renewals_due);
    outln!("  ARR due                {:>14}", money(f.arr_due));
    outln!(
        "  expected renewal ARR   {:>14}",
        money(f.expected_renewal_arr)
    );
    outln!(
        "  expected churn         {:>14}",
        money(f.expected_churn_arr)
    );
    outln!(
        "  expected expansion     {:>14}",
        money(f.expected_expansion_arr)
    );
    outln!(
        "  expected contraction   {:>14}",
        money(f.expected_contraction_arr)
    );
    outln!("  GRR {:.1} %   NRR {:.1} %", f.grr * 100.0, f.nrr * 100.0);
    if f.not_forecast > 0 {
        outln!(
            "  ({} accounts have no forecast: their forecaster returned an error; see `vitals results`)",
            f.not_forecast
        );
    }
}

pub fn forecast(ctx: &Ctx, args: ForecastArgs) -> Result<(), CliError> {
    if let Some(d) = &args.from {
        date_arg("--from", d)?;
    }
    if args.days < 1 {
        return Err(CliError::bad("--days must be at least 1"));
    }
    let view = ctx
        .api()?
        .forecast(&ctx.tenant, args.from.as_deref(), args.days)
        .map_err(|e| {
            let none = e.body.code == "no-forecast";
            let err = CliError::from(e);
            if none {
                err.hint("activate a forecaster and `vitals run`")
            } else {
                err
            }
        })?;
    if ctx.format == Format::Json {
        print_json(&view.summary);
    } else {
        outln!(
            "Forecast run {} ({} {}, as of {})",
            view.run,
            view.plugin,
            view.version,
            view.as_of
        );
        print_forecast(&view.summary);
    }
    Ok(())
}
