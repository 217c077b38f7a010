//! `vitals account show`: everything about one account, traced to its runs.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, money, print_json};
use crate::runtime::{Output, PluginKind};
use crate::store::RunStatus;

/// `vitals account ...`.
#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
    /// Attributes, snapshot history, scores over time, the latest factor
    /// contributions, segments, propensity, forecast and outcomes.
    Show {
        /// The account id.
        id: String,
    },
}

pub fn run(ctx: &Ctx, cmd: AccountCommand) -> Result<(), CliError> {
    let AccountCommand::Show { id } = cmd;
    let store = ctx.store()?;
    let attributes = store.account(&ctx.tenant, &id)?;
    let history = store.history(&ctx.tenant, &id)?;
    let outcomes = store.outcomes(&ctx.tenant, &id)?;
    let mut runs: Vec<_> = store
        .runs(&ctx.tenant)?
        .into_iter()
        .filter(|r| r.status == RunStatus::Complete)
        .collect();
    runs.sort_by_key(|r| (r.as_of, r.id));
    let mut scored = Vec::new();
    for r in &runs {
        if let Some(result) = store.result(&ctx.tenant, r.id, &id)? {
            scored.push((r, result));
        }
    }
    if ctx.format == Format::Json {
        let results: Vec<serde_json::Value> = scored
            .iter()
            .map(|(r, res)| serde_json::json!({"run": r.id, "plugin": r.plugin, "version": r.version, "plugin_hash": r.plugin_hash, "as_of": vitals_plugin_sdk::date::format(r.as_of), "result": match res { Ok(o) => serde_json::to_value(o).unwrap_or_default(), Err(e) => serde_json::json!({"error": e}) }}))
            .collect();
        print_json(
            &serde_json::json!({"id": id, "attributes": attributes, "history": history, "outcomes": outcomes, "results": results}),
        );
        return Ok(());
    }
    let fmt = vitals_plugin_sdk::date::format;
    println!("{id}  {}", attributes.name.clone().unwrap_or_default());
    println!(
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
    println!("\nSnapshots");
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
    println!("\nScores over time");
    let mut t = Table::new(vec!["as of", "run", "plugin", "value", "detail"]);
    for (r, res) in &scored {
        let (value, detail) = super::run::describe(res);
        t.row(vec![
            fmt(r.as_of),
            r.id.to_string(),
            format!("{} {}", r.plugin, r.version),
            value,
            detail,
        ]);
    }
    t.print(ctx.format);
    if let Some((r, Ok(Output::Health(h)))) = scored
        .iter()
        .rev()
        .find(|(r, _)| r.kind == PluginKind::HealthModel)
    {
        println!(
            "\nWhy {:.1} ({}) as of {} (run {}, plugin sha-256 {}):",
            h.score,
            h.band,
            fmt(r.as_of),
            r.id,
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
    if let Some((_, Ok(Output::Segments { segments }))) = scored
        .iter()
        .rev()
        .find(|(r, _)| r.kind == PluginKind::Segmenter)
    {
        println!("\nSegments");
        for s in segments {
            println!("  {:<18} {}", s.name, s.reason);
        }
    }
    if !outcomes.is_empty() {
        println!("\nOutcomes");
        for o in &outcomes {
            println!(
                "  {}  {}  ARR change {}",
                fmt(o.date),
                o.kind.as_str(),
                money(o.arr_change)
            );
        }
    }
    Ok(())
}
