//! `vitals backtest`: judge a plugin version and configuration (or two, side
//! by side) against what really happened after a cut-off; with `--suggest`,
//! propose configurations fitted to the tenant's outcomes, written to files
//! for review and never activated.

use super::backtest_output::{print_report, print_suggestion, write_per_account, write_suggestion};
use super::context::{CliError, Ctx, date_arg};
use super::output::{Format, outln, print_json};
use crate::backtest::{
    self, AccountFilter, BacktestError, BacktestSpec, Candidate, Condition, SuggestSpec,
};
use crate::model::OutcomeKind;
use std::path::{Path, PathBuf};

/// Options of `vitals backtest`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// Score every account as of this day (YYYY-MM-DD), from the snapshots
    /// at or before it only.
    #[arg(long, visible_alias = "as-of")]
    cutoff: String,
    /// Outcomes up to this many days after the cut-off count.
    #[arg(long, default_value_t = 180)]
    horizon: i32,
    /// The outcome predicted: churned, renewed, expanded or contracted.
    #[arg(long, default_value = "churned")]
    outcome: String,
    /// The plugin to judge (default: the tenant's active health model).
    #[arg(long)]
    plugin: Option<String>,
    /// Its version (default: the active one).
    #[arg(long)]
    version: Option<String>,
    /// Its configuration: JSON text, or @FILE (default: the tenant's).
    #[arg(long)]
    plugin_config: Option<String>,
    /// Judge a second plugin side by side (default: the same plugin).
    #[arg(long)]
    against_plugin: Option<String>,
    /// The second candidate's version (default: the first one's).
    #[arg(long)]
    against_version: Option<String>,
    /// The second candidate's configuration: JSON text or @FILE (default: the tenant's).
    #[arg(long)]
    against_config: Option<String>,
    /// Days of earlier snapshots passed with each account.
    #[arg(long, default_value_t = 400)]
    history_days: i32,
    /// Bins of the calibration table (forecasts).
    #[arg(long, default_value_t = 10)]
    bins: usize,
    /// Read only the held-out accounts of the split (`--holdout`, `--seed`):
    /// the accounts `--suggest` judges on.
    #[arg(long, conflicts_with = "suggest")]
    held_out: bool,
    /// Write every account's outcome and scores to this CSV file.
    #[arg(long, conflicts_with = "suggest")]
    per_account: Option<PathBuf>,
    /// Propose weighted-health weights and renewal-forecast probabilities
    /// fitted to the tenant's outcomes (written to `--out`, never activated).
    #[arg(long)]
    suggest: bool,
    /// Folder the suggested configurations are written to.
    #[arg(long, default_value = "suggestions")]
    out: PathBuf,
    /// Share of accounts held out of the fit and judged on.
    #[arg(long, default_value_t = 0.3)]
    holdout: f64,
    /// Seed of the training / held-out split.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Leave out accounts that fail this condition: FIELD=VALUE or
    /// FIELD!=VALUE on tier, plan, owner, name, renewal-confidence or
    /// label:NAME (`--where label:customer-status!=Joined`); repeat it and
    /// every condition must hold. An account without the field equals
    /// nothing.
    #[arg(long = "where", value_name = "CONDITION")]
    conditions: Vec<String>,
    /// With --suggest: weight measures that alone rank the outcome above
    /// ROC-AUC 0.95 too (by default they are left out as likely leaks).
    #[arg(long, requires = "suggest")]
    allow_leaks: bool,
}

impl From<BacktestError> for CliError {
    fn from(e: BacktestError) -> Self {
        let hint = match &e {
            BacktestError::SingleClass(_) => {
                Some("`vitals account show ID` lists an account's outcomes and their dates")
            }
            BacktestError::NoHealthModel(_) => {
                Some("activate one with `vitals plugin activate`, or pass --plugin")
            }
            _ => None,
        };
        let error = if e.is_bad_input() {
            CliError::bad(e.to_string())
        } else {
            CliError::internal(e.to_string())
        };
        match hint {
            Some(h) => error.hint(h),
            None => error,
        }
    }
}

/// A configuration option: JSON text, or `@FILE` holding it.
fn config_arg(option: &str, text: &str) -> Result<serde_json::Value, CliError> {
    let (json, source) = match text.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| CliError::bad(format!("{option} {path}: {e}")))?,
            path.to_string(),
        ),
        None => (text.to_string(), "the text".to_string()),
    };
    serde_json::from_str(&json)
        .map_err(|e| CliError::bad(format!("{option}: {source} is not JSON: {e}")))
}

/// Refuses out-of-range options by their flags, before the library would
/// name the fields of its request (`horizon_days`).
fn check_options(args: &BacktestArgs) -> Result<(), CliError> {
    let bad = |m: String| Err(CliError::bad(m));
    if args.horizon < 1 {
        return bad(format!("--horizon {}: give at least 1 day", args.horizon));
    }
    if args.history_days < 0 {
        return bad(format!(
            "--history-days {}: give 0 or more days",
            args.history_days
        ));
    }
    if !(1..=100).contains(&args.bins) {
        return bad(format!("--bins {}: give 1 to 100", args.bins));
    }
    if !(args.holdout > 0.0 && args.holdout < 1.0) {
        return Err(CliError::bad(format!(
            "--holdout {}: give a share between 0 and 1 (exclusive)",
            args.holdout
        ))
        .hint("--holdout 0.3 holds 30 % of the accounts out of the fit to judge it on"));
    }
    Ok(())
}

/// The `--where` conditions, each naming a field the tenant's accounts have.
fn conditions(
    store: &crate::store::Store,
    tenant: &str,
    texts: &[String],
) -> Result<Vec<Condition>, CliError> {
    let parsed: Vec<Condition> = texts
        .iter()
        .map(|t| Condition::parse(t).map_err(|m| CliError::bad(format!("--where {m}"))))
        .collect::<Result<_, _>>()?;
    if parsed.is_empty() {
        return Ok(parsed);
    }
    let catalog = store.catalog(tenant)?;
    for c in &parsed {
        c.check(tenant, &catalog).map_err(|m| {
            CliError::bad(format!("--where {c}: {m}"))
                .hint("`vitals account show ID` shows an account's labels and attributes")
        })?;
    }
    Ok(parsed)
}

fn parse_outcome(text: &str) -> Result<OutcomeKind, CliError> {
    OutcomeKind::parse(text).ok_or_else(|| {
        CliError::bad(format!(
            "--outcome {text:?}: use churned, renewed, expanded or contracted"
        ))
    })
}

pub fn run(ctx: &Ctx, args: BacktestArgs) -> Result<(), CliError> {
    // Over HTTP: POST /v1/tenants/{tenant}/backtests (and .../suggest).
    ctx.local_only("backtest")?;
    if ctx.format == Format::Csv {
        return Err(CliError::bad(
            "backtest prints tables, or --json; --per-account FILE writes each account as CSV",
        ));
    }
    let cutoff = date_arg("--cutoff", &args.cutoff)?;
    let outcome = parse_outcome(&args.outcome)?;
    check_options(&args)?;
    let store = ctx.store()?;
    store.tenant(&ctx.tenant)?;
    let conditions = conditions(&store, &ctx.tenant, &args.conditions)?;
    let rt = ctx.runtime()?;
    let first = match (&args.plugin, &args.version, &args.plugin_config) {
        (None, None, None) => None,
        _ => Some(Candidate {
            plugin: match &args.plugin {
                Some(p) => p.clone(),
                None => active_health_name(&store, &ctx.tenant)?,
            },
            version: args.version.clone(),
            config: args
                .plugin_config
                .as_deref()
                .map(|c| config_arg("--plugin-config", c))
                .transpose()?,
            label: None,
        }),
    };
    if args.suggest {
        let spec = SuggestSpec {
            health: first,
            horizon_days: args.horizon,
            outcome,
            history_days: args.history_days,
            holdout: args.holdout,
            seed: args.seed,
            conditions,
            allow_leaks: args.allow_leaks,
            ..SuggestSpec::at(cutoff)
        };
        let suggestion = backtest::suggest(&store, &rt, &ctx.tenant, &spec)?;
        let written = write_suggestion(&args.out, &suggestion)?;
        if ctx.format == Format::Json {
            print_json(&suggestion);
        } else {
            print_suggestion(&suggestion, &written);
        }
        return Ok(());
    }
    let mut candidates = Vec::new();
    let against = args.against_plugin.is_some()
        || args.against_version.is_some()
        || args.against_config.is_some();
    if first.is_some() || against {
        let base = match first {
            Some(c) => c,
            None => Candidate::active(&active_health_name(&store, &ctx.tenant)?),
        };
        if against {
            let second = Candidate {
                plugin: args
                    .against_plugin
                    .clone()
                    .unwrap_or_else(|| base.plugin.clone()),
                version: args.against_version.clone().or_else(|| {
                    args.against_plugin
                        .is_none()
                        .then(|| base.version.clone())
                        .flatten()
                }),
                config: args
                    .against_config
                    .as_deref()
                    .map(|c| config_arg("--against-config", c))
                    .transpose()?,
                label: None,
            };
            let (a, b) = labels(
                (&base, args.plugin_config.as_deref()),
                (&second, args.against_config.as_deref()),
            );
            candidates.push(Candidate {
                label: Some(a),
                ..base
            });
            candidates.push(Candidate {
                label: Some(b),
                ..second
            });
        } else {
            candidates.push(base);
        }
    }
    let spec = BacktestSpec {
        horizon_days: args.horizon,
        outcome,
        candidates,
        history_days: args.history_days,
        calibration_bins: args.bins,
        accounts: if args.held_out {
            AccountFilter::HeldOut {
                fraction: args.holdout,
                seed: args.seed,
            }
        } else {
            AccountFilter::All
        },
        conditions,
        per_account: args.per_account.is_some(),
        ..BacktestSpec::at(cutoff)
    };
    let mut report = backtest::run(&store, &rt, &ctx.tenant, &spec)?;
    if let Some(path) = &args.per_account {
        write_per_account(path, &report)?;
        report.per_account = None;
    }
    if ctx.format == Format::Json {
        print_json(&report);
    } else {
        print_report(&report);
        if let Some(path) = &args.per_account {
            outln!("\nEvery account's outcome and scores: {}", path.display());
        }
    }
    Ok(())
}

fn active_health_name(store: &crate::store::Store, tenant: &str) -> Result<String, CliError> {
    store
        .active_plugins(tenant)?
        .into_iter()
        .find(|p| p.plugin.kind == crate::runtime::PluginKind::HealthModel)
        .map(|p| p.plugin.name)
        .ok_or_else(|| {
            CliError::bad(format!("tenant {tenant:?} has no active health model"))
                .hint("pass --plugin NAME, or activate one with `vitals plugin activate`")
        })
}

/// Where a candidate's configuration comes from, in a few words.
fn config_source(arg: Option<&str>) -> String {
    match arg {
        None => "tenant config".into(),
        Some(text) => match text.strip_prefix('@') {
            Some(path) => Path::new(path)
                .file_name()
                .map_or(path.to_string(), |n| n.to_string_lossy().into_owned()),
            None => "config text".into(),
        },
    }
}

/// Names telling two candidates apart: `A`/`B`, plugin, version and config.
fn labels(a: (&Candidate, Option<&str>), b: (&Candidate, Option<&str>)) -> (String, String) {
    let describe = |(c, config): (&Candidate, Option<&str>)| {
        format!(
            "{} {} ({})",
            c.plugin,
            c.version.as_deref().unwrap_or("active"),
            config_source(config)
        )
    };
    (format!("A: {}", describe(a)), format!("B: {}", describe(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_labels_say_what_differs() {
        let c = Candidate::active("weighted-health");
        let v2 = Candidate {
            version: Some("0.2.0".into()),
            ..c.clone()
        };
        let (a, b) = labels((&c, Some("@configs/telco.json")), (&v2, Some("{}")));
        assert_eq!(a, "A: weighted-health active (telco.json)");
        assert_eq!(b, "B: weighted-health 0.2.0 (config text)");
        assert_eq!(config_source(None), "tenant config");
    }
}
