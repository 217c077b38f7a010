//! The row engine shared by every format: each record's cells, given as
//! (column plan, raw text), converted into one [`IngestRow`] or its errors.
//!
//! [`IngestRow`]: crate::model::IngestRow

use super::Parsed;
use super::columns::{Plan, Slotted};
use super::fields::{self, FIELD_COUNT, Field, MAX_FIELD_BYTES, Val};
use super::mapping::{Compiled, Constant, Span};
use super::preview::Sampler;
use crate::contract::{Label, Metric};
use crate::model::RowError;
use std::collections::{BTreeMap, HashMap};
use vitals_plugin_sdk::date;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    AsOf,
    Rest,
}

/// Converts records into rows; one per parse.
pub(crate) struct Engine<'m> {
    pub(super) c: Compiled<'m>,
    pub(super) plans: Vec<Plan<'m>>,
    pub(super) by_source: HashMap<String, Result<usize, String>>,
    pub(super) names: Vec<String>,
    pub(super) name_ids: HashMap<String, u32>,
    /// Per slot: (row number that last set it, plan that set it).
    pub(super) stamps: Vec<(u32, usize)>,
    pub(super) constant_slots: Vec<bool>,
    pub(super) row_no: u32,
    pub(super) line: usize,
    pub(super) as_of_failed: bool,
    pub(super) vals: [Val; FIELD_COUNT],
    pub(super) metrics: Vec<Metric>,
    pub(super) labels: Vec<Label>,
    pub(super) errors: Vec<RowError>,
    /// Collects the first values of each column for a dry run.
    pub(super) sampler: Option<Box<Sampler>>,
}

impl<'m> Engine<'m> {
    pub(crate) fn new(c: Compiled<'m>) -> Self {
        let mut e = Engine {
            c,
            plans: Vec::new(),
            by_source: HashMap::new(),
            names: Vec::new(),
            name_ids: HashMap::new(),
            stamps: vec![(0, 0); FIELD_COUNT],
            constant_slots: vec![false; FIELD_COUNT],
            row_no: 0,
            line: 0,
            as_of_failed: false,
            vals: Default::default(),
            metrics: Vec::new(),
            labels: Vec::new(),
            errors: Vec::new(),
            sampler: None,
        };
        for i in 0..e.c.constants.len() {
            let slot = match &e.c.constants[i] {
                Constant::Field(f, _) => *f as usize,
                Constant::Metric(n, _) | Constant::Label(n, _) => {
                    let n = n.clone();
                    FIELD_COUNT + e.name_id(&n) as usize
                }
            };
            e.constant_slots[slot] = true;
        }
        e
    }

    /// Records an error of the coming row (read errors before conversion).
    pub(crate) fn reject(&mut self, line: usize, column: &str, reason: String) {
        let column = Some(column.to_owned());
        self.errors.push(RowError::record(line, column, reason));
    }

    pub(super) fn error(&mut self, plan: usize, reason: String) {
        let column = Some(self.plans[plan].source.clone());
        self.errors
            .push(RowError::record(self.line, column, reason));
    }

    /// Converts one record: (plan, raw cell) pairs. Pushes the row, or its
    /// errors (with any [`Engine::reject`]ed before), into `out`.
    pub(crate) fn row(&mut self, line: usize, cells: &[(usize, &str)], out: &mut Parsed) {
        if self.row_no == u32::MAX {
            self.stamps.iter_mut().for_each(|s| *s = (0, 0));
            self.plans.iter_mut().for_each(|p| p.seen = 0);
            self.row_no = 0;
        }
        self.row_no += 1;
        self.line = line;
        if let Some(s) = &mut self.sampler {
            s.record_started(line);
        }
        self.as_of_failed = false;
        for k in &self.c.constants {
            if let Constant::Field(f, v) = k {
                self.vals[*f as usize] = v.clone();
            }
        }
        for &(pi, raw) in cells {
            if self.plans[pi].has_as_of {
                self.cell(pi, raw, Pass::AsOf);
            }
        }
        for &(pi, raw) in cells {
            self.cell(pi, raw, Pass::Rest);
        }
        self.finish(out);
    }

    fn stamp(&mut self, slot: usize, pi: usize) -> Result<(), String> {
        let what = self.slot_name(slot);
        if self.constant_slots[slot] {
            return Err(format!("sets {what}, which the mapping sets as a constant"));
        }
        let (row, owner) = self.stamps[slot];
        if row == self.row_no && owner != pi {
            let first = &self.plans[owner].source;
            return Err(format!("sets {what}, which column {first:?} sets too"));
        }
        self.stamps[slot] = (self.row_no, pi);
        Ok(())
    }

    fn cell(&mut self, pi: usize, raw: &str, pass: Pass) {
        let plan = &self.plans[pi];
        let reports = (pass == Pass::AsOf) == plan.has_as_of;
        if raw.len() > MAX_FIELD_BYTES {
            if reports {
                let n = raw.len();
                self.error(
                    pi,
                    format!("the value is {n} bytes long (at most {MAX_FIELD_BYTES})"),
                );
            }
            return;
        }
        let written = raw.trim();
        let missing = !self.c.missing.is_empty() && self.c.missing.contains(&written);
        let text = replaced(plan.values, written, missing);
        let sampling = self.sampler.as_ref().is_some_and(|s| s.wants(pi)) && !written.is_empty();
        let has_as_of = pass == Pass::Rest && !self.vals[Field::AsOf as usize].is_none();
        for ti in 0..self.plans[pi].targets.len() {
            let t = self.plans[pi].targets[ti];
            let is_as_of = matches!(t, Slotted::Field(Field::AsOf, _));
            if is_as_of != (pass == Pass::AsOf) {
                continue;
            }
            if let Err(e) = self.stamp(t.slot(), pi) {
                self.error(pi, e);
                continue;
            }
            // A target's own values replace the column's for it.
            let text = match self.plans[pi].own_values[ti] {
                Some(own) => replaced(Some(own), written, missing),
                None => text,
            };
            if text.is_empty() {
                if sampling {
                    self.sample(pi, ti, written, Ok(None));
                }
                continue;
            }
            let before = (self.metrics.len(), self.labels.len());
            match self.target(t, text, has_as_of) {
                Ok(()) if sampling => {
                    let value = self.converted(t, before);
                    self.sample(pi, ti, written, Ok(Some(value)));
                }
                Ok(()) => {}
                Err(e) => {
                    self.as_of_failed |= is_as_of;
                    let e = self.naming_target(pi, t, e);
                    if sampling && !e.is_empty() {
                        self.sample(pi, ti, written, Err(e.clone()));
                    }
                    self.error(pi, e);
                }
            }
        }
        if pass == Pass::Rest {
            let first = self.plans[pi].targets.len();
            for si in 0..self.plans[pi].spans.len() {
                let (f, span) = self.plans[pi].spans[si];
                if let Err(e) = self.stamp(f as usize, pi) {
                    self.error(pi, e);
                    continue;
                }
                if text.is_empty() {
                    if sampling {
                        self.sample(pi, first + si, written, Ok(None));
                    }
                    continue;
                }
                match self.span(f, span, text) {
                    Ok(()) if sampling => {
                        let value = self.converted(Slotted::Field(f, 1.0), (0, 0));
                        self.sample(pi, first + si, written, Ok(Some(value)));
                    }
                    Ok(()) => {}
                    Err(e) => {
                        if sampling && !e.is_empty() {
                            self.sample(pi, first + si, written, Err(e.clone()));
                        }
                        self.error(pi, e);
                    }
                }
            }
        }
    }

    /// An error of a target, naming the target when the column is not
    /// itself that target (`arr: "-4" (x12 = -48) must not be negative`
    /// from column `MonthlyCharges`), so that the message says which
    /// target refused the cell.
    fn naming_target(&self, pi: usize, t: Slotted, e: String) -> String {
        if e.is_empty() {
            return e;
        }
        let source = &self.plans[pi].source;
        let name = match t {
            Slotted::Field(f, _) if Field::from_name(source) == Some(f) => return e,
            Slotted::Field(f, _) => f.name().to_owned(),
            Slotted::Metric(id, _) => format!("metric:{}", self.names[id as usize]),
            Slotted::Label(_) | Slotted::Auto(..) => return e,
        };
        if e.starts_with(&name) {
            e
        } else {
            format!("{name}: {e}")
        }
    }

    /// `Err("")` means: already explained by a failed as_of; not reported.
    fn needs_as_of(&self, what: &str) -> Result<(), String> {
        if self.as_of_failed {
            Err(String::new())
        } else {
            Err(format!(
                "{what} needs as_of on the row (it is part of a snapshot)"
            ))
        }
    }

    fn target(&mut self, t: Slotted, text: &str, has_as_of: bool) -> Result<(), String> {
        match t {
            Slotted::Field(f, scale) => {
                if f.is_snapshot_measure() && !has_as_of {
                    return self.needs_as_of(f.name());
                }
                self.vals[f as usize] = fields::convert(f, text, scale)?;
            }
            Slotted::Metric(id, scale) => {
                if !has_as_of {
                    return self.needs_as_of(&format!("metric:{}", self.names[id as usize]));
                }
                let value = scaled(fields::parse_number(text)?, scale, text)?;
                let name = self.names[id as usize].clone();
                self.metrics.push(Metric { name, value });
            }
            Slotted::Label(id) => {
                let name = self.names[id as usize].clone();
                self.labels.push(Label {
                    name,
                    value: text.to_owned(),
                });
            }
            Slotted::Auto(id, scale) => match text.parse::<f64>() {
                Ok(v) if !v.is_finite() => {
                    return Err(format!("{} is not a finite number", fields::quote(text)));
                }
                Ok(v) if has_as_of => {
                    let value = scaled(v, scale, text)?;
                    let name = self.names[id as usize].clone();
                    self.metrics.push(Metric { name, value });
                }
                _ => {
                    let name = self.names[id as usize].clone();
                    self.labels.push(Label {
                        name,
                        value: text.to_owned(),
                    });
                }
            },
        }
        Ok(())
    }

    fn span(&mut self, f: Field, span: Span, text: &str) -> Result<(), String> {
        let months = span
            .months(text)
            .map_err(|e| format!("{} ({}): {e}", f.name(), span.key()))?;
        let Val::Date(as_of) = self.vals[Field::AsOf as usize] else {
            let unit = match span {
                Span::Months => "month",
                Span::Years => "year",
            };
            return self.needs_as_of(&format!("a {unit} count for {}", f.name()));
        };
        self.vals[f as usize] = Val::Date(date::add_months(as_of, -months));
        Ok(())
    }
}

/// The text a target converts: the replacement `values` give for the cell
/// as written, else blank when the cell is one of the mapping's `missing`
/// texts, else the cell.
fn replaced<'t>(
    values: Option<&'t BTreeMap<String, String>>,
    written: &'t str,
    missing: bool,
) -> &'t str {
    match values.and_then(|v| v.get(written)) {
        Some(rep) => rep.trim(),
        None if missing => "",
        None => written,
    }
}

fn scaled(v: f64, scale: f64, text: &str) -> Result<f64, String> {
    let v = v * scale;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!(
            "{} is too large after scaling",
            fields::quote(text)
        ))
    }
}
