//! `vitals ingest --dry-run`'s report for people: one line per column and
//! target with its first values, what the mapping sets by itself, the
//! counts and the errors (`--json`: the report itself; `--csv`: the table).

use super::output::{Format, Table, outln, print_json};
use crate::ingest::{IngestPreview, Sample};
use std::path::Path;

/// A sample's text is cut past this many characters, so that three of them
/// fit a line beside the column and target names.
const SAMPLE_CHARS: usize = 24;

/// Errors printed; `--json` has all the report lists.
const ERRORS_SHOWN: usize = 20;

fn cut(text: &str) -> String {
    if text.chars().count() <= SAMPLE_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(SAMPLE_CHARS - 3).collect();
    out.push_str("...");
    out
}

/// `Yes->1`, or `29.85` when the value is the cell as written,
/// `?->(blank)` for a cell read as blank, `abc->(refused)`.
fn sample_text(s: &Sample) -> String {
    let cell = cut(&s.cell);
    match (&s.value, &s.error) {
        (_, Some(_)) => format!("{cell}->(refused)"),
        (None, None) => format!("{cell}->(blank)"),
        (Some(v), None) if *v == s.cell => cell,
        (Some(v), None) => format!("{cell}->{}", cut(v)),
    }
}

/// Prints a dry run's report of `file` in `format`.
pub fn print_preview(format: Format, file: &Path, p: &IngestPreview) {
    if format == Format::Json {
        print_json(p);
        return;
    }
    let mut table = Table::new(vec!["column", "target", "rule", "first values"]);
    for c in &p.columns {
        for (i, t) in c.targets.iter().enumerate() {
            let values: Vec<String> = t.samples.iter().map(sample_text).collect();
            // The column is named once, on its first target's line.
            let source = if i == 0 {
                c.source.clone()
            } else {
                String::new()
            };
            table.row(vec![
                source,
                t.target.clone(),
                t.rule.clone().unwrap_or_default(),
                values.join(", "),
            ]);
        }
    }
    for d in &p.derived {
        table.row(vec![
            "(mapping)".to_owned(),
            d.target.clone(),
            d.rule.clone(),
            String::new(),
        ]);
    }
    if format == Format::Csv {
        table.print(Format::Csv);
        return;
    }
    outln!("{}: dry run ({}, {})", file.display(), p.format, p.mode);
    if !table.rows.is_empty() {
        table.print(Format::Table);
    }
    outln!();
    let verdict = if p.whole_file_error {
        "the input is refused as a whole, so an ingest would load nothing".to_owned()
    } else if p.would_load == 0 && p.rejected > 0 && p.mode == "all-or-nothing" {
        "an all-or-nothing ingest would load nothing (--rejects loads the valid ones)".to_owned()
    } else {
        format!("an ingest would load {} record(s)", p.would_load)
    };
    outln!(
        "{} record(s): {} valid ({} snapshots, {} outcomes), {} rejected; {verdict}. Nothing was written.",
        p.records,
        p.valid,
        p.snapshots,
        p.outcomes,
        p.rejected
    );
    if p.errors.is_empty() {
        return;
    }
    outln!();
    outln!("errors:");
    for e in p.errors.iter().take(ERRORS_SHOWN) {
        outln!("  {e}");
    }
    let more = p.errors.len().saturating_sub(ERRORS_SHOWN) + p.errors_not_listed;
    if more > 0 {
        outln!(
            "  ... and {more} more (--json lists up to {})",
            crate::ingest::PREVIEW_ERRORS
        );
    }
}
