//! A dry run: an input read exactly as an ingest reads it (as a stream, a
//! batch at a time), reporting how each source column is read (its targets
//! and its first values converted), the records that would load and the
//! errors. It writes nothing: it never sees a store.

use super::columns::Slotted;
use super::fields::{Val, number_text};
use super::mapping::Constant;
use super::row::Engine;
use super::stream::{BATCH_RECORDS, Batcher};
use super::{Format, Mapping, Parsed, engine_for, read};
use crate::contract::Confidence;
use crate::model::{OutcomeKind, RowError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vitals_plugin_sdk::date;

/// Values shown per target of a column.
pub const SAMPLES: usize = 3;
/// The records the values come from: the first ones, so that a dry run of
/// a large file shows its columns without keeping any of its rows.
pub const SAMPLE_RECORDS: usize = 1000;
/// Errors listed in full; past them only counted (a dry run of a broken
/// large file stays a readable size).
pub const PREVIEW_ERRORS: usize = 1000;

/// What an ingest of an input would do, found without writing anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IngestPreview {
    /// `csv`, `ndjson` or `json`.
    pub format: String,
    /// `all-or-nothing` or `valid-rows`: the mode `would_load` is for.
    pub mode: String,
    /// Records read, good and bad.
    pub records: usize,
    /// Records that convert cleanly.
    pub valid: usize,
    /// Records with at least one error.
    pub rejected: usize,
    /// Records an ingest in this mode would load: none when the input as
    /// a whole is refused or, all-or-nothing, when any record is bad.
    /// (Conflicts with snapshots already stored are found by the ingest.)
    pub would_load: usize,
    /// Snapshots among the valid records.
    pub snapshots: usize,
    /// Outcomes among the valid records.
    pub outcomes: usize,
    /// Whether an error concerns the input as a whole (its header, its
    /// structure, the mapping): then nothing loads, whatever the mode.
    pub whole_file_error: bool,
    /// How each source column is read, in input order.
    pub columns: Vec<ColumnPreview>,
    /// What every row gets from the mapping itself: constants, copies,
    /// outcome dates and ARR changes.
    pub derived: Vec<DerivedPreview>,
    /// The errors in line order, at most [`PREVIEW_ERRORS`].
    pub errors: Vec<RowError>,
    /// Errors past those listed.
    pub errors_not_listed: usize,
}

/// One source column and what it feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColumnPreview {
    /// The column as the input names it (a CSV header cell, a JSON key).
    pub source: String,
    /// Its targets, each with the first values converted into it.
    pub targets: Vec<TargetPreview>,
}

/// A target of a column, with the first values converted into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TargetPreview {
    /// A canonical column, `metric:NAME`, `label:NAME`, `ignore`, or
    /// `metric|label:NAME` for a column the mapping does not name (a
    /// number on a row with `as_of` is a metric, anything else a label).
    pub target: String,
    /// How a cell becomes the value, when there is more than the target
    /// says: `x12` (scale), `values` (replacements), `its own values`,
    /// `months before as_of`.
    pub rule: Option<String>,
    /// The first non-blank cells of the column and what they became.
    pub samples: Vec<Sample>,
}

/// One cell and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sample {
    /// The line (or JSON element) of the cell.
    pub line: usize,
    /// The cell as written (trimmed).
    pub cell: String,
    /// The converted value (dates `YYYY-MM-DD`, numbers as decimals);
    /// absent when the cell reads as blank or was refused.
    pub value: Option<String>,
    /// Why the cell was refused.
    pub error: Option<String>,
}

/// A value every row gets from the mapping rather than from a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DerivedPreview {
    /// The target it sets.
    pub target: String,
    /// How: `constant 2026-01-01`, `copy of arr when blank`, ...
    pub rule: String,
}

/// Collects, per column and target, the first non-blank cells of the
/// first [`SAMPLE_RECORDS`] records and their values.
#[derive(Debug, Default)]
pub(crate) struct Sampler {
    records: usize,
    line: usize,
    /// Per plan, per target (its `*_before_as_of` dates after its targets).
    per_plan: Vec<Vec<Vec<Sample>>>,
}

impl Sampler {
    /// A record begins.
    pub(crate) fn record_started(&mut self, line: usize) {
        self.records += 1;
        self.line = line;
    }

    /// Whether a column still wants values.
    pub(crate) fn wants(&self, plan: usize) -> bool {
        self.records <= SAMPLE_RECORDS
            && self.per_plan.get(plan).is_none_or(|targets| {
                targets.is_empty() || targets.iter().any(|s| s.len() < SAMPLES)
            })
    }
}

impl Engine<'_> {
    /// Keeps a cell and what target `ti` of column `pi` made of it:
    /// `Ok(None)` when it read as blank.
    pub(super) fn sample(
        &mut self,
        pi: usize,
        ti: usize,
        written: &str,
        result: Result<Option<String>, String>,
    ) {
        let width = self.plans[pi].targets.len() + self.plans[pi].spans.len();
        let Some(s) = self.sampler.as_deref_mut() else {
            return;
        };
        if s.per_plan.len() <= pi {
            s.per_plan.resize_with(pi + 1, Vec::new);
        }
        let targets = &mut s.per_plan[pi];
        if targets.len() < width {
            targets.resize_with(width, Vec::new);
        }
        if targets[ti].len() >= SAMPLES {
            return;
        }
        let (value, error) = match result {
            Ok(v) => (v, None),
            Err(e) => (None, Some(e)),
        };
        targets[ti].push(Sample {
            line: s.line,
            cell: written.to_owned(),
            value,
            error,
        });
    }

    /// The value a target just took, as text (`before`: the counts of
    /// metrics and labels before the cell was converted).
    pub(super) fn converted(&self, t: Slotted, before: (usize, usize)) -> String {
        let metric = || self.metrics.last().map(|m| number_text(m.value));
        let label = || self.labels.last().map(|l| l.value.clone());
        match t {
            Slotted::Field(f, _) => value_text(&self.vals[f as usize]),
            Slotted::Metric(..) => metric().unwrap_or_default(),
            Slotted::Label(_) => label().unwrap_or_default(),
            Slotted::Auto(..) if self.metrics.len() > before.0 => metric().unwrap_or_default(),
            Slotted::Auto(..) => label().unwrap_or_default(),
        }
    }
}

fn value_text(v: &Val) -> String {
    match v {
        Val::None => String::new(),
        Val::Text(t) => t.clone(),
        Val::Date(d) => date::format(*d),
        Val::Number(n) => number_text(*n),
        Val::Count(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Confidence(c) => match c {
            Confidence::Commit => "commit",
            Confidence::BestCase => "best-case",
            Confidence::Pipeline => "pipeline",
            Confidence::Omitted => "omitted",
        }
        .to_owned(),
        Val::Outcome(k) => k.as_str().to_owned(),
    }
}

/// Counts and errors of the batches a dry run reads.
#[derive(Default)]
struct Tally {
    valid: usize,
    rejected: usize,
    snapshots: usize,
    outcomes: usize,
    last_bad_line: Option<usize>,
    whole_file: bool,
    errors: Vec<RowError>,
    not_listed: usize,
}

impl Tally {
    fn add(&mut self, batch: Parsed) {
        self.valid += batch.rows.len();
        for row in &batch.rows {
            self.snapshots += usize::from(row.snapshot.is_some());
            self.outcomes += usize::from(row.outcome.is_some());
        }
        for e in batch.errors {
            // A record's errors come together: a new line is a new record.
            if e.whole_file {
                self.whole_file = true;
            } else if self.last_bad_line != Some(e.line) {
                self.rejected += 1;
                self.last_bad_line = Some(e.line);
            }
            if self.errors.len() < PREVIEW_ERRORS {
                self.errors.push(e);
            } else {
                self.not_listed += 1;
            }
        }
    }
}

/// Reads `input` as an ingest of `format` through `mapping` would, and
/// reports what it would load (`valid_rows`: the mode that loads the valid
/// records and sets the bad aside). Memory holds one batch, the samples
/// and at most [`PREVIEW_ERRORS`] errors. Fails only when `input` fails
/// to read.
pub fn preview(
    input: impl std::io::Read,
    format: Format,
    mapping: Option<&Mapping>,
    valid_rows: bool,
) -> std::io::Result<IngestPreview> {
    let mut tally = Tally::default();
    let mut sink = |batch: Parsed| {
        tally.add(batch);
        true
    };
    let mut batches = Batcher::new(BATCH_RECORDS, &mut sink);
    let mut engine = engine_for(mapping, &mut batches);
    if let Some(engine) = &mut engine {
        engine.sampler = Some(Box::default());
        read(input, format, engine, &mut batches)?;
    }
    drop(batches);
    let would_load = match () {
        _ if tally.whole_file => 0,
        _ if !valid_rows && tally.rejected > 0 => 0,
        _ => tally.valid,
    };
    tally.errors.sort_by_key(|e| e.line);
    let (columns, derived) = match &engine {
        Some(e) => (e.column_previews(), e.derived_previews()),
        None => (Vec::new(), Vec::new()),
    };
    Ok(IngestPreview {
        format: format.as_str().to_owned(),
        mode: if valid_rows {
            "valid-rows"
        } else {
            "all-or-nothing"
        }
        .to_owned(),
        records: tally.valid + tally.rejected,
        valid: tally.valid,
        rejected: tally.rejected,
        would_load,
        snapshots: tally.snapshots,
        outcomes: tally.outcomes,
        whole_file_error: tally.whole_file,
        columns,
        derived,
        errors: tally.errors,
        errors_not_listed: tally.not_listed,
    })
}

impl Engine<'_> {
    /// Each column's targets, rules and samples, in input order.
    fn column_previews(&self) -> Vec<ColumnPreview> {
        let empty = Vec::new();
        let sampled = |pi: usize| self.sampler.as_ref().and_then(|s| s.per_plan.get(pi));
        self.plans
            .iter()
            .enumerate()
            .map(|(pi, plan)| {
                let samples = sampled(pi).unwrap_or(&empty);
                let taken = |ti: usize| samples.get(ti).cloned().unwrap_or_default();
                let mut targets = Vec::new();
                for (ti, t) in plan.targets.iter().enumerate() {
                    let mut rules = Vec::new();
                    let (target, scale) = match *t {
                        Slotted::Field(f, scale) => (f.name().to_owned(), scale),
                        Slotted::Metric(id, scale) => {
                            (format!("metric:{}", self.names[id as usize]), scale)
                        }
                        Slotted::Label(id) => (format!("label:{}", self.names[id as usize]), 1.0),
                        Slotted::Auto(id, scale) => {
                            let name = &self.names[id as usize];
                            (format!("metric|label:{name}"), scale)
                        }
                    };
                    if scale != 1.0 {
                        rules.push(format!("x{}", number_text(scale)));
                    }
                    if plan.own_values[ti].is_some() {
                        rules.push("its own values".to_owned());
                    } else if plan.values.is_some() {
                        rules.push("values".to_owned());
                    }
                    targets.push(TargetPreview {
                        target,
                        rule: (!rules.is_empty()).then(|| rules.join(", ")),
                        samples: taken(ti),
                    });
                }
                let first = plan.targets.len();
                for (si, (f, span)) in plan.spans.iter().enumerate() {
                    let unit = match span {
                        super::mapping::Span::Months => "months",
                        super::mapping::Span::Years => "years",
                    };
                    targets.push(TargetPreview {
                        target: f.name().to_owned(),
                        rule: Some(format!("{unit} before as_of")),
                        samples: taken(first + si),
                    });
                }
                if targets.is_empty() {
                    let mapped = self.c.columns.contains_key(plan.source.as_str());
                    targets.push(TargetPreview {
                        target: "ignore".to_owned(),
                        rule: (!mapped).then(|| "not in the mapping (unmapped: ignore)".to_owned()),
                        samples: Vec::new(),
                    });
                }
                ColumnPreview {
                    source: plan.source.clone(),
                    targets,
                }
            })
            .collect()
    }

    /// What the mapping sets on every row by itself.
    fn derived_previews(&self) -> Vec<DerivedPreview> {
        let mut out = Vec::new();
        for k in &self.c.constants {
            let (target, value) = match k {
                Constant::Field(f, v) => (f.name().to_owned(), value_text(v)),
                Constant::Metric(n, v) => (format!("metric:{n}"), number_text(*v)),
                Constant::Label(n, v) => (format!("label:{n}"), v.clone()),
            };
            out.push(DerivedPreview {
                target,
                rule: format!("constant {value}"),
            });
        }
        for (to, from) in &self.c.copies {
            out.push(DerivedPreview {
                target: to.name().to_owned(),
                rule: format!("copy of {} when blank", from.name()),
            });
        }
        if self.c.offset_days != 0 {
            out.push(DerivedPreview {
                target: "outcome_date".to_owned(),
                rule: format!("as_of + {} days when blank", self.c.offset_days),
            });
        }
        if self.c.churn_from_arr {
            out.push(DerivedPreview {
                target: "arr_change".to_owned(),
                rule: format!(
                    "-(arr) of a {} outcome when blank",
                    OutcomeKind::Churned.as_str()
                ),
            });
        }
        out
    }
}
