//! `vitals backtest`: judge a plugin version and configuration (or two, side
//! by side) against what really happened after a cut-off; with `--suggest`,
//! propose configurations fitted to the tenant's outcomes, written to files
//! for review and never activated.

use super::context::{CliError, Ctx, date_arg};
use super::output::{Format, Table, money, outln, print_json};
use crate::backtest::{
    self, AccountFilter, BacktestError, BacktestReport, BacktestSpec, Candidate, SuggestSpec,
    Suggestion,
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
}

impl From<BacktestError> for CliError {
    fn from(e: BacktestError) -> Self {
        let hint = match &e {
            BacktestError::SingleClass(_) => {
                Some("`vitals account show ID` lists an account's outcomes and their dates")
            }
            BacktestError::Invalid(m) if m.contains("no active health model") => {
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
    let store = ctx.store()?;
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

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

/// Prints a report for people.
pub fn print_report(r: &BacktestReport) {
    let day = vitals_plugin_sdk::date::format;
    outln!(
        "Backtest of tenant {:?}: accounts as of {}, {} by {} ({} days)",
        r.tenant,
        day(r.cutoff),
        r.outcome.as_str(),
        day(r.horizon_end),
        r.horizon_days
    );
    let split = match r.accounts {
        AccountFilter::All => String::new(),
        AccountFilter::HeldOut { fraction, seed } => {
            format!(", held-out {:.0} % (seed {seed})", fraction * 100.0)
        }
        AccountFilter::Training { fraction, seed } => {
            format!(", training {:.0} % (seed {seed})", (1.0 - fraction) * 100.0)
        }
    };
    outln!(
        "Accounts: {} with a snapshot by the cut-off{split}; {} compared, {} {} ({:.1} %)",
        r.read,
        r.compared,
        r.with_outcome,
        r.outcome.as_str(),
        r.outcome_rate * 100.0
    );
    if r.left_out_churned + r.left_out_split > 0 {
        outln!(
            "Left out: {} churned by the cut-off, {} on the other side of the split",
            r.left_out_churned,
            r.left_out_split
        );
    }
    outln!();
    let mut t = Table::new(vec![
        "candidate",
        "scored",
        "errors",
        "ROC-AUC",
        "PR-AUC",
        "lift red/green",
        "Brier",
        "ranked by",
    ]);
    for c in &r.candidates {
        t.row(vec![
            c.label.clone(),
            c.scored.to_string(),
            c.errors.values().sum::<u64>().to_string(),
            opt(c.roc_auc, 4),
            opt(c.pr_auc, 4),
            opt(c.lift_red_over_green, 2),
            opt(c.calibration.as_ref().map(|k| k.brier), 4),
            c.ranked_by.clone(),
        ]);
    }
    t.print(Format::Table);
    let grouped: Vec<_> = r
        .candidates
        .iter()
        .filter(|c| !c.groups.is_empty())
        .collect();
    if !grouped.is_empty() {
        outln!(
            "\n{} by band (health) or confidence tier (forecasts); ARR at the cut-off",
            r.outcome.as_str()
        );
        let mut t = Table::new(vec![
            "candidate",
            "group",
            "accounts",
            "with outcome",
            "rate",
            "ARR",
            "ARR with outcome",
        ]);
        for c in grouped {
            for g in &c.groups {
                t.row(vec![
                    c.label.clone(),
                    g.group.clone(),
                    g.accounts.to_string(),
                    g.with_outcome.to_string(),
                    format!("{:.1} %", g.rate * 100.0),
                    money(g.arr),
                    money(g.arr_with_outcome),
                ]);
            }
        }
        t.print(Format::Table);
    }
    for c in &r.candidates {
        let Some(k) = &c.calibration else { continue };
        outln!(
            "\nCalibration of {}: Brier {:.4} (the outcome rate for everyone: {:.4}); mean gap {:.3}",
            c.label,
            k.brier,
            k.brier_baseline,
            k.calibration_error
        );
        let mut t = Table::new(vec!["predicted", "accounts", "mean predicted", "observed"]);
        for b in &k.bins {
            t.row(vec![
                format!("{:.2}-{:.2}", b.from, b.to),
                b.accounts.to_string(),
                format!("{:.3}", b.mean_predicted),
                format!("{:.3}", b.observed_rate),
            ]);
        }
        t.print(Format::Table);
    }
    for w in &r.warnings {
        outln!("\nnote: {w}");
    }
}

fn write_per_account(path: &Path, r: &BacktestReport) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| CliError::bad(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(|e| fail(&e))?;
    let mut header = vec!["account".to_string(), "outcome".into(), "arr".into()];
    for c in &r.candidates {
        let label = super::output::csv_cell(&c.label);
        header.push(format!("{label} score"));
        header.push(format!("{label} group"));
    }
    w.write_record(&header).map_err(|e| fail(&e))?;
    for a in r.per_account.iter().flatten() {
        let mut row = vec![
            super::output::csv_cell(&a.account).into_owned(),
            u8::from(a.outcome).to_string(),
            a.arr.to_string(),
        ];
        for (s, g) in a.scores.iter().zip(&a.groups) {
            row.push(s.map(|s| s.to_string()).unwrap_or_default());
            row.push(super::output::csv_cell(g.as_deref().unwrap_or_default()).into_owned());
        }
        w.write_record(&row).map_err(|e| fail(&e))?;
    }
    w.flush().map_err(|e| fail(&e))
}

/// Writes the suggested configurations and the whole suggestion; returns the paths.
fn write_suggestion(out: &Path, s: &Suggestion) -> Result<Vec<PathBuf>, CliError> {
    std::fs::create_dir_all(out).map_err(|e| CliError::bad(format!("{}: {e}", out.display())))?;
    let mut files = s.config_files();
    let whole = serde_json::to_string_pretty(s).expect("serialisable") + "\n";
    files.push(("suggestion.json".into(), whole));
    let mut written = Vec::new();
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text)
            .map_err(|e| CliError::bad(format!("{}: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}

fn print_suggestion(s: &Suggestion, written: &[PathBuf]) {
    let h = &s.weighted_health;
    outln!(
        "Suggested {} {} configuration: {}",
        h.plugin,
        h.version,
        written[0].display()
    );
    let mut t = Table::new(vec!["measure", "group", "worst", "best", "share"]);
    for m in &h.measures {
        t.row(vec![
            m.measure.clone(),
            m.group.clone(),
            m.worst.to_string(),
            m.best.to_string(),
            format!("{:.1} %", m.share * 100.0),
        ]);
    }
    t.print(Format::Table);
    if !h.dropped.is_empty() {
        outln!("Left out:");
        for d in &h.dropped {
            outln!("  {}: {}", d.measure, d.reason);
        }
    }
    outln!("\nHeld-out accounts, current beside suggested:\n");
    print_report(&h.held_out);
    if let Some(f) = &s.renewal_forecast {
        outln!(
            "\nSuggested {} {} configuration: {}",
            f.plugin,
            f.version,
            written[1].display()
        );
        let mut t = Table::new(vec!["band", "accounts", "churned", "current", "suggested"]);
        for b in &f.bands {
            t.row(vec![
                b.band.clone(),
                b.accounts.to_string(),
                b.churned.to_string(),
                format!("{:.2}", b.current),
                format!("{:.2}", b.suggested),
            ]);
        }
        t.print(Format::Table);
        match (&f.held_out, &f.held_out_error) {
            (Some(r), _) => {
                outln!("\nHeld-out accounts, current beside suggested:\n");
                print_report(r);
            }
            (None, Some(e)) => outln!("\nNo held-out backtest: {e}"),
            (None, None) => {}
        }
    }
    outln!();
    for n in &s.notes {
        outln!("- {n}");
    }
    outln!(
        "\nNothing was activated. Review the files, then apply with\n  vitals plugin config {} --file {}",
        h.plugin,
        written[0].display()
    );
    if let Some(f) = &s.renewal_forecast {
        outln!(
            "  vitals plugin config {} --file {}",
            f.plugin,
            written[1].display()
        );
    }
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
