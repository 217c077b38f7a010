//! `vitals account show`: everything about one account, traced to its runs.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, money, outln, print_json};
use crate::runtime::{Output, PluginKind};
use crate::service::AccountDetail;

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
}

pub fn run(ctx: &Ctx, cmd: AccountCommand) -> Result<(), CliError> {
    let id = match cmd {
        AccountCommand::Show { id } => id,
        AccountCommand::Score { id, as_of } => return score(ctx, &id, as_of.as_deref()),
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
    let fmt = vitals_plugin_sdk::date::format;
    let title = format!("{id}  {}", attributes.name.clone().unwrap_or_default());
    if ctx.format == Format::Csv {
        // The one line of free text a spreadsheet opening this output sees first.
        outln!("{}", super::output::csv_cell(&title));
    } else {
        outln!("{title}");
    }
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
    outln!("\nSnapshots");
    let mut t = Table::new(vec![
        "as of", "seats", "active", "logins", "tickets", "nps", "arr",
    ]);
    let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
    for s in &history {
        t.row(vec![
            fmt(s.as_of),
            opt(s.seats_purchased),
            opt(s.seats_active),
            opt(s.logins),
            opt(s.tickets_open),
            s.nps.map_or("-".into(), |n| n.to_string()),
            s.arr.map_or("-".into(), money),
        ]);
    }
    t.print(ctx.format);
    outln!("\nScores over time");
    let mut t = Table::new(vec!["as of", "run", "plugin", "value", "detail"]);
    for r in &scored {
        let (value, detail) = super::run::describe(&r.result.result());
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
                f.name.clone(),
                f.group.clone(),
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

fn score(ctx: &Ctx, id: &str, as_of: Option<&str>) -> Result<(), CliError> {
    if let Some(d) = as_of {
        super::context::date_arg("--as-of", d)?;
    }
    let report = ctx.api()?.score(&ctx.tenant, id, as_of)?;
    if ctx.format == Format::Json {
        print_json(&report);
        return Ok(());
    }
    outln!(
        "{} scored as of {} (not stored)",
        report.account,
        report.as_of
    );
    let mut t = Table::new(vec!["plugin", "kind", "value", "detail"]);
    for r in &report.results {
        let (value, detail) = super::run::describe(&r.result.result());
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
