//! What `vitals backtest` prints and writes: the report's tables (warnings
//! on stderr), every account's figures as CSV, and `--suggest`'s files.

use super::context::CliError;
use super::output::{Format, Table, money, outln, warn};
use crate::backtest::{AccountFilter, BacktestReport, Direction, Suggestion};
use std::path::{Path, PathBuf};

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
    if r.left_out_churned + r.left_out_where + r.left_out_split > 0 {
        let mut parts = vec![format!("{} churned by the cut-off", r.left_out_churned)];
        if !r.conditions.is_empty() {
            let conditions: Vec<String> = r.conditions.iter().map(|c| c.to_string()).collect();
            parts.push(format!(
                "{} by --where {}",
                r.left_out_where,
                conditions.join(" --where ")
            ));
        }
        parts.push(format!(
            "{} on the other side of the split",
            r.left_out_split
        ));
        outln!("Left out: {}", parts.join(", "));
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
    let measured: Vec<_> = r
        .candidates
        .iter()
        .filter(|c| !c.measures.is_empty())
        .collect();
    if !measured.is_empty() {
        outln!(
            "\nEach measure alone: its own ROC-AUC for {} (above {} alone: a likely leak)",
            r.outcome.as_str(),
            crate::backtest::leaks::LEAK_MEASURE_AUC
        );
        let mut t = Table::new(vec![
            "candidate",
            "measure",
            "group",
            "accounts",
            "ROC-AUC",
            "outcome with",
        ]);
        for c in measured {
            for m in &c.measures {
                t.row(vec![
                    c.label.clone(),
                    m.measure.clone(),
                    m.group.clone(),
                    m.accounts.to_string(),
                    opt(m.roc_auc, 3),
                    m.outcome_with
                        .map_or("-", |d| match d {
                            Direction::Higher => "higher values",
                            Direction::Lower => "lower values",
                        })
                        .into(),
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
        warn(w);
    }
}

pub fn write_per_account(path: &Path, r: &BacktestReport) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| CliError::bad(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(|e| fail(&e))?;
    let mut header = vec!["account".to_string(), "outcome".into(), "arr".into()];
    for c in &r.candidates {
        // The plugin's own figure: a health score, not 100 minus it.
        let label = super::output::csv_cell(&c.label);
        header.push(format!("{label} {}", c.figure));
        header.push(format!("{label} group"));
    }
    w.write_record(&header).map_err(|e| fail(&e))?;
    for a in r.per_account.iter().flatten() {
        let mut row = vec![
            super::output::csv_cell(&a.account).into_owned(),
            u8::from(a.outcome).to_string(),
            a.arr.to_string(),
        ];
        for (s, g) in a.values.iter().zip(&a.groups) {
            row.push(s.map(|s| s.to_string()).unwrap_or_default());
            row.push(super::output::csv_cell(g.as_deref().unwrap_or_default()).into_owned());
        }
        w.write_record(&row).map_err(|e| fail(&e))?;
    }
    w.flush().map_err(|e| fail(&e))
}

/// Writes the suggested configurations and the whole suggestion; returns the paths.
pub fn write_suggestion(out: &Path, s: &Suggestion) -> Result<Vec<PathBuf>, CliError> {
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

pub fn print_suggestion(s: &Suggestion, written: &[PathBuf]) {
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
    if !h.without_values.is_empty() {
        outln!(
            "Not fitted: {} built-in measures no training account has a value for",
            h.without_values.len()
        );
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
    for w in &s.warnings {
        warn(w);
    }
    if h.leaks.iter().any(|l| !l.weighted) {
        eprintln!("hint: --allow-leaks weights them anyway, if they are known before the outcome");
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
