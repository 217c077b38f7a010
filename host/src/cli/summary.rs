//! `vitals summary` and `vitals forecast`: what the runs say, and which runs
//! they read.

use super::context::{CliError, Ctx, date_arg};
use super::output::{Format, Table, money, outln, print_json};
use super::results::kind_label;
use crate::scoring::Summary;
use crate::service::RunIds;

/// Options of `vitals summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Forecast horizon in days.
    #[arg(long, default_value_t = 90)]
    days: i32,
    /// Expansion candidates to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Read the latest runs at or before this day (YYYY-MM-DD) instead of
    /// the latest runs.
    #[arg(long)]
    as_of: Option<String>,
    /// Read this run for its kind (repeat for other kinds; `vitals
    /// results` lists the runs).
    #[arg(long = "run")]
    runs: Vec<u64>,
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

pub fn summary(ctx: &Ctx, args: SummaryArgs) -> Result<(), CliError> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|d| date_arg("--as-of", d))
        .transpose()?;
    let query = crate::service::SummaryQuery {
        days: args.days,
        top: args.top,
        as_of,
        runs: RunIds::new(args.runs).map_err(|e| {
            CliError::bad(format!("--run: {e}")).hint("name each run once, one per kind")
        })?,
    };
    let api = ctx.api()?;
    let s = api.summary(&ctx.tenant, &query).map_err(|e| {
        let runs = e.is_about("runs");
        let err = CliError::from(e);
        if runs {
            err.hint("`vitals results` lists the runs with their kinds")
        } else {
            err
        }
    })?;
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
    if s.runs.is_empty() {
        outln!(
            "No run to summarise yet: `vitals run` scores the accounts with the active plugins."
        );
    } else {
        outln!("Runs read");
        for r in &s.runs {
            let compared = r
                .compared_with
                .map_or(String::new(), |b| format!(", compared with run {b}"));
            outln!(
                "  {:<11} run {} ({} {}, as of {}{compared})",
                kind_label(r.kind),
                r.run,
                r.plugin,
                r.version,
                r.as_of
            );
        }
    }
    for p in &s.passed_over {
        outln!(
            "  passed over: run {} ({} {}, as of {}): {}",
            p.run,
            p.plugin,
            p.version,
            p.as_of,
            p.why
        );
    }
    if !s.passed_over.is_empty() {
        outln!(
            "  (`vitals results --run N` shows why; `vitals run discard N` hides a run for good)"
        );
    }
    outln!();
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
        outln!("\nAccounts with an error (`vitals results --run N` shows each)");
        for (plugin_kind, n) in &s.errors {
            let (plugin, kind) = plugin_kind.split_once('/').unwrap_or((plugin_kind, ""));
            outln!("  {plugin:<28}{n:>7}  {kind}");
        }
    }
}

/// The forecast as one row, for `--csv`.
fn forecast_table(f: &crate::scoring::ForecastSummary) -> Table {
    let mut t = Table::new(vec![
        "from",
        "to",
        "renewals_due",
        "arr_due",
        "expected_renewal_arr",
        "expected_churn_arr",
        "expected_expansion_arr",
        "expected_contraction_arr",
        "grr",
        "nrr",
        "not_forecast",
    ]);
    let ratio = |r: Option<f64>| r.map_or(String::new(), |r| format!("{r:.4}"));
    t.row(vec![
        f.from.clone(),
        f.to.clone(),
        f.renewals_due.to_string(),
        format!("{:.2}", f.arr_due),
        format!("{:.2}", f.expected_renewal_arr),
        format!("{:.2}", f.expected_churn_arr),
        format!("{:.2}", f.expected_expansion_arr),
        format!("{:.2}", f.expected_contraction_arr),
        ratio(f.grr),
        ratio(f.nrr),
        f.not_forecast.to_string(),
    ]);
    t
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
    match (f.grr, f.nrr) {
        (Some(grr), Some(nrr)) => outln!("  GRR {:.1} %   NRR {:.1} %", grr * 100.0, nrr * 100.0),
        _ if f.renewals_due == 0 => outln!(
            "  no account has a renewal date from {} to {}: no GRR or NRR for the period (renewal dates come from ingest: `renewal_date`)",
            f.from,
            f.to
        ),
        _ => outln!("  no contract ARR is due in the period: no GRR or NRR"),
    }
    if f.not_forecast > 0 {
        outln!(
            "  ({} accounts have no forecast: their forecaster returned an error; see `vitals results`)",
            f.not_forecast
        );
    }
}

pub fn forecast(ctx: &Ctx, args: ForecastArgs) -> Result<(), CliError> {
    let from = args
        .from
        .as_deref()
        .map(|d| date_arg("--from", d))
        .transpose()?;
    if args.days < 1 {
        return Err(CliError::bad("--days must be at least 1"));
    }
    let view = ctx
        .api()?
        .forecast(&ctx.tenant, from, args.days)
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
    } else if ctx.format == Format::Csv {
        forecast_table(&view.summary).print(Format::Csv);
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
