//! `vitals trigger add|list|show|remove|test|schema` (a tenant's trigger
//! rules) and `vitals events` (what they fired), on the local store or a
//! server (`--server`).

use super::context::{CliError, Ctx};
use super::output::{Format, Table, money, outln, print_json, warn};
use crate::service::TriggerTestQuery;
use crate::store::{EventFilter, RuleVersion};
use crate::triggers::Event;
use std::path::PathBuf;

/// A tenant's trigger rules.
#[derive(Debug, clap::Subcommand)]
pub enum TriggerCommand {
    /// Add a rule, or a new version of one (JSON, checked against
    /// `vitals trigger schema`).
    Add {
        /// The rule's JSON file.
        #[arg(long)]
        file: PathBuf,
    },
    /// The rules as they stand.
    List,
    /// One rule with every version.
    Show {
        /// The rule.
        name: String,
    },
    /// Remove a rule (its versions stay, for the events that name them).
    Remove {
        /// The rule.
        name: String,
    },
    /// What a rule would have fired on a past run; nothing is sent.
    Test {
        /// The rule.
        name: String,
        /// The run (default: the latest complete run it watches).
        #[arg(long)]
        run: Option<u64>,
    },
    /// Print the JSON Schema rules are checked against.
    Schema,
}

/// `vitals events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Only of this run.
    #[arg(long)]
    run: Option<u64>,
    /// Only of this rule.
    #[arg(long)]
    rule: Option<String>,
    /// Only on this account.
    #[arg(long)]
    account: Option<String>,
    /// At most this many (newest runs first).
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

fn versions_table(ctx: &Ctx, rules: &[RuleVersion]) {
    let mut t = Table::new(vec![
        "rule", "version", "event", "plugin", "filters", "webhooks", "state", "by",
    ]);
    for v in rules {
        let (event, plugin, filters, webhooks, state) = match &v.rule {
            Some(r) => (
                r.event.name().to_string(),
                r.plugin
                    .clone()
                    .unwrap_or_else(|| format!("({:?})", r.event.kind())),
                if r.filters.is_empty() {
                    "-".to_string()
                } else {
                    serde_json::to_string(&r.filters).unwrap_or_default()
                },
                if r.webhooks.is_empty() {
                    "(all)".to_string()
                } else {
                    r.webhooks.join(", ")
                },
                if r.enabled { "enabled" } else { "disabled" }.to_string(),
            ),
            None => (
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "removed".into(),
            ),
        };
        t.row(vec![
            v.name.clone(),
            v.version.to_string(),
            event,
            plugin,
            filters,
            webhooks,
            state,
            v.by.clone(),
        ]);
    }
    t.print(ctx.format);
}

/// Prints events as a table (or CSV).
pub fn events_table(ctx: &Ctx, events: &[Event]) {
    let mut t = Table::new(vec![
        "run",
        "rule",
        "event",
        "account",
        "name",
        "owner",
        "tier",
        "contract_arr",
        "before",
        "after",
        "webhooks",
        "id",
    ]);
    for e in events {
        t.row(vec![
            e.run.id.to_string(),
            format!("{} v{}", e.rule.name, e.rule.version),
            e.event.clone(),
            e.account.id.clone(),
            e.account.name.clone().unwrap_or_default(),
            e.account.owner.clone().unwrap_or_default(),
            e.account.tier.clone().unwrap_or_default(),
            e.account.contract_arr.map(money).unwrap_or_default(),
            e.before.to_string(),
            e.after.to_string(),
            e.webhooks.join(", "),
            e.id.clone(),
        ]);
    }
    t.print(ctx.format);
}

/// `vitals trigger ...`.
pub fn run(ctx: &Ctx, cmd: TriggerCommand) -> Result<(), CliError> {
    if let TriggerCommand::Schema = cmd {
        outln!("{}", crate::triggers::rule::SCHEMA.trim_end());
        return Ok(());
    }
    let api = ctx.api()?;
    let tenant = &ctx.tenant;
    match cmd {
        TriggerCommand::Add { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::bad(format!("{}: {e}", file.display())))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::bad(format!("{}: not JSON: {e}", file.display())))?;
            let saved = api.put_trigger(tenant, &value)?;
            if ctx.format == Format::Json {
                print_json(&saved);
                return Ok(());
            }
            for w in &saved.warnings {
                warn(&format!("warning: {w}"));
            }
            outln!(
                "trigger {} version {} saved (by {})",
                saved.rule.name,
                saved.rule.version,
                saved.rule.by
            );
            Ok(())
        }
        TriggerCommand::List => {
            let rules = api.triggers(tenant)?;
            if ctx.format == Format::Json {
                print_json(&rules);
                return Ok(());
            }
            versions_table(ctx, &rules);
            Ok(())
        }
        TriggerCommand::Show { name } => {
            let versions = api.trigger_versions(tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(&versions);
                return Ok(());
            }
            if let Some(rule) = versions.last().and_then(|v| v.rule.as_ref()) {
                outln!("{}", serde_json::to_string_pretty(rule).unwrap_or_default());
            }
            versions_table(ctx, &versions);
            Ok(())
        }
        TriggerCommand::Remove { name } => {
            let v = api.remove_trigger(tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(&v);
                return Ok(());
            }
            outln!("trigger {} removed (version {})", v.name, v.version);
            Ok(())
        }
        TriggerCommand::Test { name, run } => {
            let report = api.test_trigger(tenant, &name, &TriggerTestQuery { run })?;
            if ctx.format == Format::Json {
                print_json(&report);
                return Ok(());
            }
            match report.previous_run {
                None => outln!(
                    "run {}: no earlier complete run of the same plugin to compare with; rule {} fires nothing on it",
                    report.run,
                    name
                ),
                Some(prev) => outln!(
                    "rule {} v{} on run {} (compared with run {}): {} event(s) over {} account(s); nothing sent",
                    name,
                    report.rule.version,
                    report.run,
                    prev,
                    report.events.len(),
                    report.accounts
                ),
            }
            if !report.events.is_empty() {
                events_table(ctx, &report.events);
            }
            Ok(())
        }
        TriggerCommand::Schema => Ok(()),
    }
}

/// `vitals events`.
pub fn events(ctx: &Ctx, args: EventsArgs) -> Result<(), CliError> {
    let api = ctx.api()?;
    let events = api.events(
        &ctx.tenant,
        &EventFilter {
            run: args.run,
            rule: args.rule,
            account: args.account,
            limit: Some(args.limit),
        },
    )?;
    if ctx.format == Format::Json {
        print_json(&events);
        return Ok(());
    }
    events_table(ctx, &events);
    Ok(())
}
