//! Ingest parsing: CSV, NDJSON and JSON input turned into typed
//! [`IngestRow`]s, with a [`Mapping`] for files whose columns are not
//! Vitals' own. Nothing here writes to the store: [`parse`] returns the good
//! rows and, for each bad record, its [`RowError`]s (one per bad cell: line,
//! column, reason); the caller decides between all-or-nothing and loading
//! the valid rows.
//!
//! # Formats
//!
//! - **CSV** ([`Format::Csv`]): a header line, then one record per line
//!   (RFC 4180 quoting; a UTF-8 byte-order mark is skipped). Every line must
//!   have as many fields as the header.
//! - **NDJSON** ([`Format::Ndjson`]): one JSON object per line, keys as
//!   column names, values strings, numbers, booleans or null (null is
//!   blank). Blank lines are skipped; a malformed line fails only itself.
//! - **JSON** ([`Format::Json`]): an array of such objects, or
//!   `{"records": [...]}`; a row's `line` is its 1-based element index. A
//!   malformed document is one error with line 0.
//!
//! # Canonical columns
//!
//! Header names are matched in snake_case or kebab-case, any letter case
//! (`as_of`, `as-of`, `As Of`). Cells are trimmed; a blank cell is absent
//! (`None`), never an error.
//!
//! | column | value |
//! | --- | --- |
//! | `account_id` | required, non-empty, at most 256 bytes |
//! | `as_of` | `YYYY-MM-DD`; a row with it carries a snapshot, a row without only updates attributes and/or records an outcome |
//! | `name`, `owner`, `tier`, `plan` | text attributes |
//! | `start_date`, `renewal_date` | `YYYY-MM-DD` attributes |
//! | `contract_arr` | attribute, number >= 0 |
//! | `renewal_confidence` | `commit`, `best-case`, `pipeline` or `omitted` |
//! | `seats_purchased`, `seats_active`, `logins`, `features_used`, `features_available`, `tickets_open`, `tickets_high_severity`, `late_payments` | snapshot, whole numbers 0..=4294967295 |
//! | `nps` | snapshot, whole number 0-10 |
//! | `csat` | snapshot, number 0-100 |
//! | `arr` | snapshot, number >= 0 |
//! | `champion_left` | snapshot, `true`/`false`/`yes`/`no`/`1`/`0` |
//! | `outcome` | `renewed`, `churned`, `expanded` or `contracted` |
//! | `outcome_date` | `YYYY-MM-DD`; defaults to `as_of` (plus a mapping's `outcome_offset_days`); an outcome with neither is an error |
//! | `arr_change` | any finite number; default 0 |
//!
//! Any other column is free-form: on a row with `as_of`, a cell that parses
//! as a finite number becomes a snapshot **metric**, any other a **label**
//! (an attribute); on a row without `as_of` (no snapshot) every such cell is
//! a label. Its name is kebab-cased: lowercase, spaces and underscores
//! turned into `-` (`Webinars Attended` -> `webinars-attended`).
//!
//! Refused, with the line and column: NaN and infinities; negative,
//! fractional or too large counts; `nps`/`csat` out of range; impossible
//! dates (`2026-02-30`); cells over 4096 bytes; invalid UTF-8; snapshot
//! measures on a row without `as_of`; `outcome_date`/`arr_change` without an
//! `outcome`. A message quotes the cell as written and, where a mapping
//! sends the column elsewhere, names the target that refused it (`arr:
//! "-4" (x12 = -48) must not be negative` for column `MonthlyCharges`).
//!
//! Refused for the whole file (`whole_file` in [`RowError`], line 0 or the
//! header's line; nothing of the input loads, whatever the mode): an empty
//! input, duplicate header columns (also two columns that name the same
//! column or metric), no `account_id` column (the message offers the
//! header that most likely holds the id: `customerID` in the Telco file),
//! an invalid header, an invalid mapping, a column the mapping names that
//! the input lacks (with the closest column it has), and with `"unmapped":
//! "error"` every column the mapping does not name (all of them at once).
//!
//! # Dry runs
//!
//! [`preview`] reads an input exactly as an ingest would (a stream, a
//! batch at a time) and returns an [`IngestPreview`]: per source column its
//! targets and its first values converted (from the first
//! [`SAMPLE_RECORDS`] records), what the mapping sets by itself, the
//! records that would load in the chosen mode, and the errors. It never
//! sees a store.
//!
//! # Mapping files
//!
//! A [`Mapping`] is JSON; every key is optional. Unknown keys and values of
//! the wrong type are refused, naming the key (`scale.arr: invalid type:
//! string "12", expected f64`).
//!
//! | key | meaning |
//! | --- | --- |
//! | `description` | free text |
//! | `columns` | source column -> target, or a list of targets. A target is a canonical column, `metric:NAME`, `label:NAME` (NAME used as given) or `ignore`; or an object `{"target": "metric:churned", "values": {"Yes": "1", "No": "0"}}` whose `values` apply to that target only, instead of the column's (so one column can be a label as written and a number). Source names match exactly (after trimming spaces), and each must be a column of the input. Columns not listed keep the canonical rules above. |
//! | `values` | source column -> `{raw: replacement}`, applied to the trimmed cell before conversion (`{"Yes": "1", "No": "0"}`), for every target of the column without `values` of its own; unlisted values pass through; `""` makes a cell blank |
//! | `missing` | texts that mean "no value" in every column (`["?", "NA", "n/a"]`): a trimmed cell equal to one (letter case counts) is blank; a `values` entry for the same text wins |
//! | `scale` | canonical numeric column or `metric:NAME` -> multiplier for numbers converted into it (`{"arr": 12}`: monthly to annual) |
//! | `constants` | target -> value for every row (`{"as_of": "2026-01-01"}`); no column may also set it; not scaled |
//! | `months_before_as_of` | date column (`start_date`, `renewal_date`, `outcome_date`) -> source column holding a whole number of months: the date is `as_of` minus that many calendar months |
//! | `years_before_as_of` | the same in years: `as_of` minus 12 x that many months (`1.5` is 18 months; a count that is no whole number of months, `0.3`, is refused). A date column takes months or years, not both |
//! | `copy` | canonical column -> canonical column whose converted, scaled value fills it when blank (`{"contract_arr": "arr"}`); into a snapshot measure only on rows with `as_of`; no chains |
//! | `outcome_offset_days` | outcome date = `as_of` + this many days when the row has no `outcome_date` (default 0) |
//! | `churn_arr_change_from_arr` | `true`: a `churned` outcome without `arr_change` gets `-(arr)` (else `-(contract_arr)`) |
//! | `unmapped` | `auto` (default: the free-form rule), `ignore`, or `error` (refuse a file with columns the mapping does not mention, listing them all) |
//!
//! ```
//! use vitals::ingest::{parse, Format, Mapping};
//! let mapping = Mapping::from_json(r#"{
//!     "columns": {
//!         "Customer": "account_id",
//!         "Monthly": ["arr", "metric:monthly-charges"],
//!         "Left": "outcome"
//!     },
//!     "values": {"Left": {"Yes": "churned", "No": "renewed"}},
//!     "scale": {"arr": 12},
//!     "constants": {"as_of": "2026-01-01"},
//!     "months_before_as_of": {"start_date": "Tenure"},
//!     "copy": {"contract_arr": "arr"},
//!     "outcome_offset_days": 30,
//!     "churn_arr_change_from_arr": true,
//!     "missing": ["?", "NA"]
//! }"#).unwrap();
//! let csv = "Customer,Monthly,Tenure,Left\nacme,10,3,Yes\nbeta,NA,?,No\n";
//! let parsed = parse(csv.as_bytes(), Format::Csv, Some(&mapping));
//! assert!(parsed.errors.is_empty());
//! let row = &parsed.rows[0];
//! assert_eq!(row.snapshot.as_ref().unwrap().arr, Some(120.0));
//! assert_eq!(row.attributes.contract_arr, Some(120.0));
//! assert_eq!(row.outcome.as_ref().unwrap().arr_change, -120.0);
//! assert_eq!(parsed.rows[1].snapshot.as_ref().unwrap().arr, None);
//!
//! // The same file tried first: nothing is written anywhere.
//! let dry = vitals::ingest::preview(csv.as_bytes(), Format::Csv, Some(&mapping), false).unwrap();
//! assert_eq!((dry.records, dry.would_load), (2, 2));
//! assert_eq!(dry.columns[1].targets[0].target, "arr");
//! assert_eq!(dry.columns[1].targets[0].samples[0].value.as_deref(), Some("120"));
//! ```
//!
//! [`Mapping::telco`] is the mapping for IBM's "Telco Customer Churn"
//! sample (`examples/mappings/telco.json`, explained in
//! `examples/mappings/README.md`).

mod build;
mod columns;
mod csv_input;
mod fields;
mod json_input;
mod mapping;
mod preview;
mod row;
mod stream;
mod suggest;
mod targets;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bad;
#[cfg(test)]
mod tests_mapping;
#[cfg(test)]
mod tests_messages;
#[cfg(test)]
mod tests_preview;

pub use mapping::{Mapping, TargetSpec, Targets, Unmapped};
pub use preview::{
    ColumnPreview, IngestPreview, PREVIEW_ERRORS, SAMPLE_RECORDS, SAMPLES, Sample, TargetPreview,
    preview,
};
pub use stream::{BATCH_RECORDS, MAX_RECORD_BYTES};

use crate::model::{IngestRow, RowError};
use row::Engine;
use stream::Batcher;

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// A JSON array of objects, or `{"records": [...]}`.
    Json,
}

impl Format {
    /// The format a file name implies: `.csv`, `.ndjson`/`.jsonl`, `.json`
    /// (any letter case).
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        Format::parse_name(path.extension()?.to_str()?)
    }

    /// Parses `csv`, `ndjson` (also `jsonl`) or `json` (any letter case).
    pub fn parse_name(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The lowercase name (`csv`, `ndjson`, `json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
}

/// The result of a parse: good rows and bad records, each in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Records that converted cleanly.
    pub rows: Vec<IngestRow>,
    /// One or more errors per bad record; file-level problems use line 0 or
    /// the header's line.
    pub errors: Vec<RowError>,
}

/// Parses a whole input. Never panics and never stops at the first bad
/// record: every bad record gets its own errors, every good one its row.
pub fn parse(input: &[u8], format: Format, mapping: Option<&Mapping>) -> Parsed {
    let mut all = Parsed::default();
    let mut collect = |mut p: Parsed| {
        all.rows.append(&mut p.rows);
        all.errors.append(&mut p.errors);
        true
    };
    // A slice never fails to read.
    let read = parse_stream(input, format, mapping, usize::MAX, &mut collect);
    debug_assert!(read.is_ok());
    all
}

/// Parses an input as it is read, handing `sink` the rows and errors of
/// about `batch` records at a time (in input order; a batch's line numbers
/// are the input's). `sink` returns whether to go on. Fails only when
/// `input` fails to read (a closed connection, a body over its limit): a
/// bad input is errors in the batches, as [`parse`] gives them.
pub fn parse_stream(
    input: impl std::io::Read,
    format: Format,
    mapping: Option<&Mapping>,
    batch: usize,
    sink: &mut dyn FnMut(Parsed) -> bool,
) -> std::io::Result<()> {
    let mut batches = Batcher::new(batch, sink);
    let Some(mut engine) = engine_for(mapping, &mut batches) else {
        return Ok(());
    };
    read(input, format, &mut engine, &mut batches)
}

/// The row engine of a parse, or `None` when the mapping is invalid (the
/// whole-file error is then in `batches`, handed on).
fn engine_for<'m>(mapping: Option<&'m Mapping>, batches: &mut Batcher<'_>) -> Option<Engine<'m>> {
    match mapping.map(Mapping::compile).transpose() {
        Ok(c) => Some(Engine::new(c.unwrap_or_else(mapping::Compiled::canonical))),
        Err(reason) => {
            let reason = format!("mapping: {reason}");
            batches.out.errors.push(RowError::file(0, None, reason));
            batches.flush();
            None
        }
    }
}

/// Reads an input of a format through a row engine into batches.
fn read(
    input: impl std::io::Read,
    format: Format,
    engine: &mut Engine<'_>,
    batches: &mut Batcher<'_>,
) -> std::io::Result<()> {
    match format {
        Format::Csv => csv_input::parse(input, engine, batches),
        Format::Ndjson => json_input::parse_ndjson(input, engine, batches),
        Format::Json => json_input::parse_json(input, engine, batches),
    }
}
