//! `vitals ingest`: CSV, NDJSON or JSON from a file or stdin, optionally
//! through a mapping; all-or-nothing unless `--rejects` is given.

use super::context::{CliError, Ctx};
use super::output::{Format, csv_cell, outln, print_json};
use crate::ingest::{Format as InputFormat, Mapping};
use crate::service::IngestQuery;
use std::path::PathBuf;

/// Options of `vitals ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// The file to load, or `-` for stdin.
    file: PathBuf,
    /// csv, ndjson or json (default: from the file's extension).
    #[arg(long)]
    format: Option<String>,
    /// A mapping file (JSON) for other column names, or `telco` for the
    /// built-in mapping of the IBM Telco churn sample.
    #[arg(long)]
    mapping: Option<String>,
    /// Load the valid records and write the rejected ones (with line,
    /// column and reason) to this CSV file, instead of loading nothing.
    #[arg(long)]
    rejects: Option<PathBuf>,
}

fn rejected_records(errors: &[crate::model::RowError]) -> usize {
    let mut lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

pub fn run(ctx: &Ctx, args: IngestArgs) -> Result<(), CliError> {
    let stdin = args.file.as_os_str() == "-";
    let format = match &args.format {
        Some(f) => InputFormat::parse_name(f)
            .ok_or_else(|| CliError::bad(format!("--format {f:?}: use csv, ndjson or json")))?,
        None if stdin => {
            return Err(CliError::bad(
                "reading stdin needs --format csv, ndjson or json",
            ));
        }
        None => InputFormat::from_path(&args.file).ok_or_else(|| {
            CliError::bad(format!(
                "cannot tell the format of {} from its extension",
                args.file.display()
            ))
            .hint("pass --format csv, ndjson or json")
        })?,
    };
    // A custom mapping file is read here and sent as JSON; `telco` is built in.
    let (mapping_name, mapping_json) = match args.mapping.as_deref() {
        None => (None, None),
        Some("telco") => (Some("telco".to_string()), None),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::bad(format!("mapping {path}: {e}")))?;
            Mapping::from_json(&text).map_err(|e| CliError::bad(format!("mapping {path}: {e}")))?;
            (None, Some(text))
        }
    };
    // Read as it is parsed (locally) or sent (to a server), never whole.
    let input: Box<dyn std::io::Read + Send> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&args.file)
                .map_err(|e| CliError::bad(format!("{}: {e}", args.file.display())))?,
        )
    };
    let query = IngestQuery {
        format: Some(format.as_str().to_string()),
        mode: Some(
            if args.rejects.is_some() {
                "valid-rows"
            } else {
                "all-or-nothing"
            }
            .into(),
        ),
        mapping: mapping_name,
    };
    let report = ctx
        .api()?
        .ingest(&ctx.tenant, input, &query, mapping_json.as_deref())
        .map_err(|e| {
            let rejected = e.body.code == "rejected";
            let mut err = CliError::from(e);
            if rejected {
                err.message = format!("{}: {}", args.file.display(), err.message);
            }
            err
        })?;
    if let Some(path) = &args.rejects {
        let mut w = csv::Writer::from_path(path)
            .map_err(|e| CliError::bad(format!("{}: {e}", path.display())))?;
        w.write_record(["line", "column", "reason"])
            .map_err(|e| CliError::internal(e.to_string()))?;
        for e in &report.rejected {
            // Columns and reasons quote the input: neutralise formulas.
            w.write_record([
                e.line.to_string(),
                csv_cell(e.column.as_deref().unwrap_or_default()).into_owned(),
                csv_cell(&e.reason).into_owned(),
            ])
            .map_err(|e| CliError::internal(e.to_string()))?;
        }
        w.flush()?;
    }
    if ctx.format == Format::Json {
        print_json(&report);
    } else {
        outln!(
            "{} records: {} snapshots added ({} unchanged), {} outcomes added ({} unchanged), {} accounts new, {} updated{}",
            report.rows,
            report.snapshots_added,
            report.snapshots_unchanged,
            report.outcomes_added,
            report.outcomes_unchanged,
            report.accounts_created,
            report.accounts_updated,
            match (&args.rejects, report.rejected.len()) {
                (_, 0) => String::new(),
                (Some(p), _) => format!(
                    "; {} record(s) rejected, written to {}",
                    rejected_records(&report.rejected),
                    p.display()
                ),
                (None, _) => format!(
                    "; {} record(s) rejected",
                    rejected_records(&report.rejected)
                ),
            }
        );
    }
    Ok(())
}
