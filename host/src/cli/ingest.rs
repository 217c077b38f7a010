//! `vitals ingest`: CSV, NDJSON or JSON from a file or stdin, optionally
//! through a mapping; all-or-nothing unless `--rejects` is given;
//! `--dry-run` reports what it would load and writes nothing.

use super::context::{CliError, Ctx};
use super::ingest_preview::print_preview;
use super::output::{Format, csv_cell, outln, print_json};
use crate::ingest::{Format as InputFormat, IngestPreview, Mapping};
use crate::service::{ApiError, IngestMapping, IngestRequest};
use crate::store::IngestMode;
use std::path::{Path, PathBuf};

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
    /// Read the file as the ingest would and show, per column, its targets
    /// and first values converted, the records that would load and the
    /// errors; write nothing (no store, no tenant, no rejects file).
    #[arg(long)]
    dry_run: bool,
}

fn rejected_records(errors: &[crate::model::RowError]) -> usize {
    let mut lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

/// The built-in mapping a name picks, or the mapping file it names (read
/// and checked here, sent as JSON).
fn read_mapping(arg: Option<&str>) -> Result<Option<IngestMapping>, CliError> {
    let Some(arg) = arg else {
        return Ok(None);
    };
    if Mapping::built_in(arg).is_some() {
        return Ok(Some(IngestMapping::built_in(arg)?));
    }
    let text = std::fs::read_to_string(arg).map_err(|e| {
        let err = CliError::bad(format!("--mapping {arg}: {e}"));
        let built_in = Mapping::BUILT_IN.join(", ");
        match Mapping::closest_built_in(arg) {
            Some(near) if e.kind() == std::io::ErrorKind::NotFound => {
                err.hint(format!("did you mean `--mapping {near}` (built in)?"))
            }
            _ => err.hint(format!(
                "--mapping takes a mapping file (JSON) or a built-in mapping: {built_in}"
            )),
        }
    })?;
    let hint = |e: String| {
        CliError::bad(format!("mapping {arg}: {e}"))
            .hint("every key of a mapping is described in examples/mappings/README.md")
    };
    Mapping::from_json(&text).map_err(hint)?;
    IngestMapping::custom(&text)
        .map(Some)
        .map_err(|e| hint(e.body.message))
}

/// A local ingest needs a store to load into; it never makes one (that is
/// `vitals init`'s job), so a mistyped `--data-dir` leaves nothing behind.
fn require_store(data_dir: &Path) -> Result<(), CliError> {
    if data_dir.join("store").exists() {
        return Ok(());
    }
    Err(CliError::bad(format!(
        "no store in {}: nothing was loaded",
        data_dir.display()
    ))
    .hint("create it and the tenant with `vitals init` (or check --data-dir)"))
}

/// An ingest's error for people: the file named, and a hint that fits
/// (`--rejects` only where it would help).
fn explained(e: ApiError, args: &IngestArgs) -> CliError {
    let code = e.body.code.clone();
    let mut err = CliError::from(e);
    let file = args.file.display();
    match code.as_str() {
        "invalid-file" => {
            err.message = format!("{file}: {}", err.message);
            err.hint(format!(
                "setting records aside would not help: fix the file or the mapping; \
                 `vitals ingest {file} --dry-run` shows how each column is read"
            ))
        }
        "rejected" => {
            err.message = format!("{file}: {}", err.message);
            match &args.rejects {
                Some(r) => err.hint(format!(
                    "with --rejects the valid records load, but none could: fix them \
                     ({} was not written)",
                    r.display()
                )),
                None => err,
            }
        }
        _ => err,
    }
}

/// After a dry run: exit code 2 when the ingest would be refused, so that
/// `vitals ingest F --dry-run && vitals ingest F` stops where it should.
fn would_refuse(p: &IngestPreview, args: &IngestArgs) -> Result<(), CliError> {
    let file = args.file.display();
    let refused = |why: String| CliError::bad(format!("{file}: an ingest would be refused: {why}"));
    if p.whole_file_error {
        return Err(refused("the input cannot be read (see the errors)".into())
            .hint("setting records aside would not help: fix the file or the mapping"));
    }
    if p.rejected == 0 {
        return Ok(());
    }
    match (&args.rejects, p.valid) {
        (None, _) => Err(refused(format!("{} bad record(s)", p.rejected)).hint(
            "fix them, or pass --rejects FILE to load the valid records and set the bad ones aside",
        )),
        (Some(_), 0) => Err(refused("no record is valid".into()).hint("fix them")),
        (Some(_), _) => Ok(()),
    }
}

pub fn run(ctx: &Ctx, args: IngestArgs) -> Result<(), CliError> {
    if ctx.format == super::output::Format::Csv && !args.dry_run {
        return Err(
            CliError::bad("`vitals ingest` prints csv only with --dry-run")
                .hint("drop --csv, or use --json; `--rejects FILE` writes the bad rows as CSV"),
        );
    }
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
    let mapping = read_mapping(args.mapping.as_deref())?;
    if !args.dry_run && ctx.server.is_none() {
        require_store(&ctx.data_dir)?;
    }
    // Read as it is parsed (locally) or sent (to a server), never whole.
    let input: Box<dyn std::io::Read + Send> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&args.file)
                .map_err(|e| CliError::bad(format!("{}: {e}", args.file.display())))?,
        )
    };
    let req = IngestRequest {
        format,
        mode: if args.rejects.is_some() {
            IngestMode::ValidRows
        } else {
            IngestMode::AllOrNothing
        },
        mapping,
    };
    if args.dry_run {
        // Locally, no store is opened (or made): the file alone is read.
        let preview = match ctx.server {
            Some(_) => ctx.api()?.ingest_preview(&ctx.tenant, input, &req),
            None => crate::service::preview_ingest(input, &req),
        }
        .map_err(|e| explained(e, &args))?;
        print_preview(ctx.format, &args.file, &preview);
        return would_refuse(&preview, &args);
    }
    let report = ctx
        .api()?
        .ingest(&ctx.tenant, input, &req)
        .map_err(|e| explained(e, &args))?;
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
