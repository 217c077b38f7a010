//! `vitals account show`: everything about one account, traced to its runs;
//! `vitals account delete`: erasing it.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, money, outln, print_json};
use crate::runtime::types::Snapshot;
use crate::runtime::{Output, PluginKind};
use crate::service::AccountDetail;
use std::collections::BTreeSet;

/// `vitals account ...`.
#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
    /// Attributes, snapshot history, scores over time, the latest factor
    /// contributions, segments, propensity, forecast and outcomes.
    Show {
        /// The account id.
        id: String,
    },
    /// Scores the account now with the active plugins (nothing is stored):
    /// what a CRM asking in real time gets.
    Score {
        /// The account id.
        id: String,
        /// Score as of this date (YYYY-MM-DD; default today).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Erases the account (the right to erasure): its attributes, every
    /// snapshot and outcome, its result in every run and its rows in
    /// shadow-run reports. Cannot be undone; the audit log (`vitals
    /// audit`) keeps that it happened, never the data.
    Delete {
        /// The account id.
        id: String,
        /// Confirms: without it, the id is asked for on a terminal.
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: AccountCommand) -> Result<(), CliError> {
    let id = match cmd {
        AccountCommand::Show { id } => id,
        AccountCommand::Score { id, as_of } => return score(ctx, &id, as_of.as_deref()),
        AccountCommand::Delete { id, yes } => return delete(ctx, &id, yes),
    };
    let detail = ctx.api()?.account(&ctx.tenant, &id)?;
    if ctx.format == Format::Json {
        print_json(&detail);
        return Ok(());
    }
    let AccountDetail {
        attributes,
        history,
        outcomes,
        results: scored,
        ..
    } = detail;
    if ctx.format == Format::Csv {
        // One table a spreadsheet can open: the snapshots, a column per
        // measure (built-in and imported), the account id on each row so
        // that several accounts' files concatenate; --json gives the rest.
        let mut t = snapshot_table(&history);
        t.headers.insert(0, "account".into());
        for row in &mut t.rows {
            row.insert(0, id.clone());
        }
        t.print(Format::Csv);
        return Ok(());
    }
    let snapshots = snapshot_table(&history);
    let fmt = vitals_plugin_sdk::date::format;
    outln!("{id}  {}", attributes.name.clone().unwrap_or_default());
    outln!(
        "owner {}  tier {}  plan {}  start {}  renewal {}  contract ARR {}",
        attributes.owner.as_deref().unwrap_or("-"),
        attributes.tier.as_deref().unwrap_or("-"),
        attributes.plan.as_deref().unwrap_or("-"),
        attributes.start_date.map(fmt).unwrap_or_else(|| "-".into()),
        attributes
            .renewal_date
            .map(fmt)
            .unwrap_or_else(|| "-".into()),
        attributes
            .contract_arr
            .map(money)
            .unwrap_or_else(|| "-".into()),
    );
    if !attributes.labels.is_empty() {
        let labels: Vec<String> = attributes
            .labels
            .iter()
            .map(|l| format!("{} {}", l.name, l.value))
            .collect();
        outln!("labels: {}", labels.join(" · "));
    }
    outln!("\nSnapshots");
    snapshots.print(ctx.format);
    outln!("\nScores over time");
    let mut t = Table::new(vec!["as of", "run", "plugin", "value", "detail"]);
    for r in &scored {
        let (value, detail) = super::results::describe(&r.result.result());
        t.row(vec![
            r.as_of.clone(),
            r.run.to_string(),
            format!("{} {}", r.plugin, r.version),
            value,
            detail,
        ]);
    }
    t.print(ctx.format);
    if let Some((r, Some(Output::Health(h)))) = scored
        .iter()
        .rev()
        .find(|r| r.kind == PluginKind::HealthModel)
        .map(|r| (r, r.result.output.as_ref()))
    {
        outln!(
            "\nWhy {:.1} ({}) as of {} (run {}, plugin sha-256 {}):",
            h.score,
            h.band,
            r.as_of,
            r.run,
            &r.plugin_hash[..12]
        );
        let mut t = Table::new(vec!["factor", "group", "value", "weight", "points"]);
        for f in &h.factors {
            t.row(vec![
                f.name.to_string(),
                f.group.to_string(),
                f.value.map_or("blank".into(), |v| format!("{v:.3}")),
                format!("{:.3}", f.weight),
                format!("{:.2}", f.points),
            ]);
        }
        t.print(ctx.format);
    }
    if let Some(Some(Output::Segments { segments })) = scored
        .iter()
        .rev()
        .find(|r| r.kind == PluginKind::Segmenter)
        .map(|r| r.result.output.as_ref())
    {
        outln!("\nSegments");
        for s in segments {
            outln!("  {:<18} {}", s.name, s.reason);
        }
    }
    if !outcomes.is_empty() {
        outln!("\nOutcomes");
        for o in &outcomes {
            outln!(
                "  {}  {}  ARR change {}",
                fmt(o.date),
                o.kind.as_str(),
                money(o.arr_change)
            );
        }
    }
    Ok(())
}

/// The snapshot history: a row per snapshot, a column per measure it has
/// (the built-in ones any snapshot has, then every imported metric by name),
/// blanks as `-`.
fn snapshot_table(history: &[Snapshot]) -> Table {
    type Measure = (&'static str, fn(&Snapshot) -> Option<String>);
    fn int(v: Option<u32>) -> Option<String> {
        v.map(|v| v.to_string())
    }
    let builtin: [Measure; 12] = [
        ("seats_purchased", |s| int(s.seats_purchased)),
        ("seats_active", |s| int(s.seats_active)),
        ("logins", |s| int(s.logins)),
        ("features_used", |s| int(s.features_used)),
        ("features_available", |s| int(s.features_available)),
        ("tickets_open", |s| int(s.tickets_open)),
        ("tickets_high_severity", |s| int(s.tickets_high_severity)),
        ("nps", |s| s.nps.map(|v| v.to_string())),
        ("csat", |s| s.csat.map(|v| v.to_string())),
        ("arr", |s| s.arr.map(|v| v.to_string())),
        ("champion_left", |s| s.champion_left.map(|v| v.to_string())),
        ("late_payments", |s| int(s.late_payments)),
    ];
    let present: Vec<&Measure> = builtin
        .iter()
        .filter(|(_, get)| history.iter().any(|s| get(s).is_some()))
        .collect();
    let metrics: BTreeSet<&str> = history
        .iter()
        .flat_map(|s| s.metrics.iter().map(|m| m.name.as_str()))
        .collect();
    let mut headers = vec!["as_of".to_string()];
    headers.extend(present.iter().map(|(name, _)| name.to_string()));
    headers.extend(metrics.iter().map(|m| m.to_string()));
    let mut t = Table::new(headers);
    for s in history {
        let mut row = vec![vitals_plugin_sdk::date::format(s.as_of)];
        row.extend(
            present
                .iter()
                .map(|(_, get)| get(s).unwrap_or_else(|| "-".into())),
        );
        row.extend(metrics.iter().map(|name| {
            s.metrics
                .iter()
                .find(|m| m.name == *name)
                .map_or("-".into(), |m| m.value.to_string())
        }));
        t.row(row);
    }
    t
}

fn delete(ctx: &Ctx, id: &str, yes: bool) -> Result<(), CliError> {
    super::audit::confirm(
        yes,
        "account",
        id,
        "its attributes, snapshots, outcomes and results",
    )?;
    let erased = ctx
        .api()?
        .delete_account(&ctx.tenant, id)
        .map_err(|e| match e.status {
            404 if e.is_about("account") => CliError::from(e)
                .hint("ids are exact (case too); `vitals results --run N` lists a run's accounts"),
            _ => CliError::from(e),
        })?;
    if ctx.format == Format::Json {
        print_json(&erased);
        return Ok(());
    }
    let runs: Vec<String> = erased.runs.iter().map(u64::to_string).collect();
    outln!(
        "Erased account {}: its attributes, {} snapshot(s), {} outcome(s), {} result(s){} and {} shadow-report row(s).",
        erased.account,
        erased.snapshots,
        erased.outcomes,
        erased.results,
        if runs.is_empty() {
            String::new()
        } else {
            format!(" in run(s) {}", runs.join(", "))
        },
        erased.shadow_rows
    );
    outln!("The audit log keeps that it happened (`vitals audit`), not the data.");
    Ok(())
}

fn score(ctx: &Ctx, id: &str, as_of: Option<&str>) -> Result<(), CliError> {
    let as_of = as_of
        .map(|d| super::context::date_arg("--as-of", d))
        .transpose()?;
    let report = ctx.api()?.score(&ctx.tenant, id, as_of)?;
    if ctx.format == Format::Json {
        print_json(&report);
        return Ok(());
    }
    super::output::note(
        ctx.format,
        format_args!(
            "{} scored as of {} (not stored)",
            report.account, report.as_of
        ),
    );
    let mut t = Table::new(vec!["plugin", "kind", "value", "detail"]);
    for r in &report.results {
        let (value, detail) = super::results::describe(&r.result.result());
        t.row(vec![
            format!("{} {}", r.plugin, r.version),
            r.kind.to_string(),
            value,
            detail,
        ]);
    }
    t.print(ctx.format);
    Ok(())
}
