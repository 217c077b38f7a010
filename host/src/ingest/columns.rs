//! Source columns (CSV header cells, JSON keys) resolved once into plans:
//! which canonical columns, metrics and labels each one feeds.

use super::fields::{self, FIELD_COUNT, FIELDS, Field};
use super::mapping::{Replacements, Span, Unmapped};
use super::row::Engine;
use super::suggest;
use super::targets::Target;
use crate::model::RowError;
use std::collections::{BTreeMap, HashSet};

/// A resolved target: a canonical column with its scale, or a free-form
/// name (index into `Engine::names`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Slotted {
    Field(Field, f64),
    Metric(u32, f64),
    Label(u32),
    /// Unmapped column: a metric when numeric on a row with `as_of`, else a label.
    Auto(u32, f64),
}

impl Slotted {
    pub(super) fn slot(self) -> usize {
        match self {
            Slotted::Field(f, _) => f as usize,
            Slotted::Metric(id, _) | Slotted::Label(id) | Slotted::Auto(id, _) => {
                FIELD_COUNT + id as usize
            }
        }
    }
}

/// What one source column feeds.
#[derive(Debug)]
pub(super) struct Plan<'m> {
    pub(super) source: String,
    pub(super) targets: Vec<Slotted>,
    /// Per target: its own replacements, used instead of `values`.
    pub(super) own_values: Vec<Option<&'m Replacements>>,
    /// The column's replacements (the mapping's `values` for it).
    pub(super) values: Option<&'m BTreeMap<String, String>>,
    /// Dates computed from the column's count of months or years.
    pub(super) spans: Vec<(Field, Span)>,
    pub(super) has_as_of: bool,
    /// The row that last used it (duplicate JSON keys).
    pub(super) seen: u32,
}

impl<'m> Engine<'m> {
    pub(super) fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.name_ids.insert(name.to_owned(), id);
        self.stamps.push((0, 0));
        self.constant_slots.push(false);
        id
    }

    pub(super) fn slot_name(&self, slot: usize) -> &str {
        match slot.checked_sub(FIELD_COUNT) {
            None => FIELDS[slot].name(),
            Some(id) => &self.names[id],
        }
    }

    /// Resolves a source column (header cell or JSON key) into a plan.
    pub(crate) fn add_column(&mut self, source: &str) -> Result<usize, String> {
        let c = &self.c;
        let targets: Vec<(Target, Option<&Replacements>)> = if let Some(t) = c.columns.get(source) {
            t.clone()
        } else if let Some(f) = Field::from_name(source) {
            vec![(Target::Field(f), None)]
        } else if c.is_span_source(source) {
            Vec::new()
        } else {
            match c.unmapped {
                Unmapped::Ignore => Vec::new(),
                Unmapped::Error => {
                    let named = c.sources.iter().map(|(s, _)| *s);
                    let near = suggest::closest(source, named)
                        .map_or_else(String::new, |n| format!("; the mapping names {n:?}"));
                    return Err(format!(
                        "the column is not in the mapping (map it, or set \"unmapped\" to \"auto\" or \"ignore\"){near}"
                    ));
                }
                Unmapped::Auto if source.is_empty() => {
                    return Err(
                        "a column has no name (name it, or map \"\" to \"ignore\")".to_owned()
                    );
                }
                Unmapped::Auto => {
                    let name = fields::kebab(source);
                    let scale = c.metric_scale.get(name.as_str()).copied().unwrap_or(1.0);
                    let id = self.name_id(&name);
                    return Ok(self.push_plan(source, vec![(Slotted::Auto(id, scale), None)]));
                }
            }
        };
        let mut slotted = Vec::with_capacity(targets.len());
        for (t, own) in targets {
            let s = match t {
                Target::Field(f) => Slotted::Field(f, self.c.field_scale[f as usize]),
                Target::Metric(n) => {
                    let scale = self.c.metric_scale.get(n.as_str()).copied().unwrap_or(1.0);
                    Slotted::Metric(self.name_id(&n), scale)
                }
                Target::Label(n) => Slotted::Label(self.name_id(&n)),
                Target::Ignore => continue,
            };
            slotted.push((s, own));
        }
        Ok(self.push_plan(source, slotted))
    }

    fn push_plan(
        &mut self,
        source: &str,
        targets: Vec<(Slotted, Option<&'m Replacements>)>,
    ) -> usize {
        let spans = self
            .c
            .spans
            .iter()
            .filter(|(_, s, _)| *s == source)
            .map(|(f, _, span)| (*f, *span));
        let (targets, own_values): (Vec<Slotted>, Vec<_>) = targets.into_iter().unzip();
        let plan = Plan {
            source: source.to_owned(),
            has_as_of: targets
                .iter()
                .any(|t| matches!(t, Slotted::Field(Field::AsOf, _))),
            spans: spans.collect(),
            values: self.c.values.and_then(|v| v.get(source)),
            own_values,
            targets,
            seen: 0,
        };
        self.plans.push(plan);
        self.plans.len() - 1
    }

    /// One whole-file error for each source column the mapping names that
    /// the input lacks (`present` says which it has), with the closest of
    /// the input's other columns: a mapping entry that matches nothing would
    /// otherwise be skipped silently.
    pub(crate) fn absent_sources<'a>(
        &self,
        line: usize,
        present: &dyn Fn(&str) -> bool,
        columns: impl Iterator<Item = &'a str>,
    ) -> Vec<RowError> {
        let named: HashSet<&str> = self.c.sources.iter().map(|(s, _)| *s).collect();
        let unclaimed: Vec<&str> = columns.filter(|c| !named.contains(c)).collect();
        let mut reported = HashSet::new();
        let mut out = Vec::new();
        for &(source, key) in &self.c.sources {
            if present(source) || !reported.insert(source) {
                continue;
            }
            let near = suggest::did_you_mean(source, unclaimed.iter().copied());
            let reason = format!(
                "the mapping's {key} name {source:?}, which is not a column of the input{near}"
            );
            out.push(RowError::file(line, Some(source.to_owned()), reason));
        }
        out
    }

    /// The plan of a JSON key, resolved on first sight.
    pub(crate) fn column_for_key(&mut self, key: &str) -> Result<usize, String> {
        if let Some(r) = self.by_source.get(key) {
            return r.clone();
        }
        let r = self.add_column(key);
        self.by_source.insert(key.to_owned(), r.clone());
        r
    }

    /// Marks a column as used by the coming row; false when it already is
    /// (a key repeated in one JSON object).
    pub(crate) fn first_use(&mut self, plan: usize) -> bool {
        let next = self.row_no.wrapping_add(1).max(1);
        let p = &mut self.plans[plan];
        let first = p.seen != next;
        p.seen = next;
        first
    }

    /// Whether a column feeds nothing (ignored).
    pub(crate) fn is_ignored(&self, plan: usize) -> bool {
        let p = &self.plans[plan];
        p.targets.is_empty() && p.spans.is_empty()
    }

    /// Checks a CSV header's plans: no target set twice, one account_id.
    /// On failure: (column, reason).
    pub(crate) fn check_header(&self) -> Result<(), (Option<String>, String)> {
        let mut owner: Vec<Option<usize>> = vec![None; self.stamps.len()];
        for (pi, p) in self.plans.iter().enumerate() {
            let slots = p.targets.iter().map(|t| t.slot());
            for slot in slots.chain(p.spans.iter().map(|(f, _)| *f as usize)) {
                let what = self.slot_name(slot);
                if self.constant_slots[slot] {
                    let reason = format!("sets {what}, which the mapping sets as a constant");
                    return Err((Some(p.source.clone()), reason));
                }
                match owner[slot] {
                    Some(o) if o != pi => {
                        let first = &self.plans[o].source;
                        let reason = format!("sets {what}, which column {first:?} sets too");
                        return Err((Some(p.source.clone()), reason));
                    }
                    _ => owner[slot] = Some(pi),
                }
            }
        }
        if owner[Field::AccountId as usize].is_none()
            && !self.constant_slots[Field::AccountId as usize]
        {
            return Err((None, self.no_account_id()));
        }
        Ok(())
    }

    /// Why a header without `account_id` is refused, offering the column
    /// that most likely holds the id (among those the mapping leaves free).
    fn no_account_id(&self) -> String {
        let free = self
            .plans
            .iter()
            .map(|p| p.source.as_str())
            .filter(|s| !self.c.columns.contains_key(s));
        match suggest::likely_account_id(free) {
            Some(id) => format!(
                "no account_id column (after mapping); {id:?} looks like the account id: \
                 map it (\"columns\": {{{id:?}: \"account_id\"}} in a mapping) or rename it account_id"
            ),
            None => "no account_id column (after mapping): name the column of account ids \
                 account_id, or map yours (\"columns\": {\"YOUR COLUMN\": \"account_id\"} in a mapping)"
                .to_owned(),
        }
    }
}
