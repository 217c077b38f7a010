//! The end of a row: copies, the outcome, checks that span columns, and the
//! typed [`IngestRow`] (or the row's errors).

use super::Parsed;
use super::fields::{self, Field, Val};
use super::mapping::Constant;
use super::row::Engine;
use crate::contract::{Attributes, Label, Metric, Snapshot};
use crate::model::{IngestRow, Outcome, OutcomeKind, RowError};

impl Engine<'_> {
    pub(super) fn finish(&mut self, out: &mut Parsed) {
        self.errors.retain(|e| !e.reason.is_empty());
        let as_of = match self.vals[Field::AsOf as usize] {
            Val::Date(d) => Some(d),
            _ => None,
        };
        let mut outcome = None;
        if self.errors.is_empty() {
            self.copies(as_of.is_some());
            if self.vals[Field::AccountId as usize].is_none() {
                let reason = "account_id is required (it is blank or missing)".to_owned();
                self.field_error(Field::AccountId, reason);
            }
            outcome = self.outcome(as_of);
        }
        if !self.errors.is_empty() {
            out.errors.append(&mut self.errors);
            self.vals.iter_mut().for_each(|v| *v = Val::None);
            self.metrics.clear();
            self.labels.clear();
            return;
        }
        for k in &self.c.constants {
            match k {
                Constant::Metric(name, value) if as_of.is_some() => {
                    let (name, value) = (name.clone(), *value);
                    self.metrics.push(Metric { name, value });
                }
                Constant::Label(name, value) => {
                    let (name, value) = (name.clone(), value.clone());
                    self.labels.push(Label { name, value });
                }
                _ => {}
            }
        }
        let v = &mut self.vals;
        let mut take = |f: Field| std::mem::take(&mut v[f as usize]);
        let account_id = match take(Field::AccountId) {
            Val::Text(t) => t,
            _ => String::new(),
        };
        let attributes = Attributes {
            name: text(take(Field::Name)),
            owner: text(take(Field::Owner)),
            tier: text(take(Field::Tier)),
            plan: text(take(Field::Plan)),
            start_date: day(take(Field::StartDate)),
            renewal_date: day(take(Field::RenewalDate)),
            contract_arr: number(take(Field::ContractArr)),
            renewal_confidence: match take(Field::RenewalConfidence) {
                Val::Confidence(c) => Some(c),
                _ => None,
            },
            labels: std::mem::take(&mut self.labels),
        };
        let snapshot = as_of.map(|as_of| Snapshot {
            as_of,
            seats_purchased: count(take(Field::SeatsPurchased)),
            seats_active: count(take(Field::SeatsActive)),
            logins: count(take(Field::Logins)),
            features_used: count(take(Field::FeaturesUsed)),
            features_available: count(take(Field::FeaturesAvailable)),
            tickets_open: count(take(Field::TicketsOpen)),
            tickets_high_severity: count(take(Field::TicketsHighSeverity)),
            nps: count(take(Field::Nps)).map(|n| n.min(10) as u8),
            csat: number(take(Field::Csat)),
            arr: number(take(Field::Arr)),
            champion_left: match take(Field::ChampionLeft) {
                Val::Bool(b) => Some(b),
                _ => None,
            },
            late_payments: count(take(Field::LatePayments)),
            metrics: std::mem::take(&mut self.metrics),
        });
        self.vals.iter_mut().for_each(|v| *v = Val::None);
        let line = self.line;
        out.rows.push(IngestRow {
            line,
            account_id,
            attributes,
            snapshot,
            outcome,
        });
    }

    fn field_error(&mut self, f: Field, reason: String) {
        let column = Some(f.name().to_owned());
        self.errors
            .push(RowError::record(self.line, column, reason));
    }

    fn copies(&mut self, has_as_of: bool) {
        for i in 0..self.c.copies.len() {
            let (to, from) = self.c.copies[i];
            let (t, f) = (to as usize, from as usize);
            if !self.vals[t].is_none() || self.vals[f].is_none() {
                continue;
            }
            if to.is_snapshot_measure() && !has_as_of {
                continue;
            }
            match fields::check_copy(to, &self.vals[f]) {
                Ok(v) => self.vals[t] = v,
                Err(e) => self.field_error(to, format!("copied from {}: {e}", from.name())),
            }
        }
    }

    fn outcome(&mut self, as_of: Option<i32>) -> Option<Outcome> {
        let kind = match self.vals[Field::Outcome as usize] {
            Val::Outcome(k) => k,
            _ => {
                for f in [Field::OutcomeDate, Field::ArrChange] {
                    if !self.vals[f as usize].is_none() {
                        let reason = format!("{} is given without an outcome", f.name());
                        self.field_error(f, reason);
                    }
                }
                return None;
            }
        };
        let date = match (&self.vals[Field::OutcomeDate as usize], as_of) {
            (Val::Date(d), _) => *d,
            (_, Some(d)) => d.saturating_add(self.c.offset_days),
            _ => {
                let reason = "an outcome needs outcome_date or as_of on the row".to_owned();
                self.field_error(Field::Outcome, reason);
                return None;
            }
        };
        let arr_change = match self.vals[Field::ArrChange as usize] {
            Val::Number(v) => v,
            _ if kind == OutcomeKind::Churned && self.c.churn_from_arr => {
                let arr = number(self.vals[Field::Arr as usize].clone())
                    .or_else(|| number(self.vals[Field::ContractArr as usize].clone()));
                arr.map_or(0.0, |a| -a)
            }
            _ => 0.0,
        };
        Some(Outcome {
            date,
            kind,
            arr_change,
        })
    }
}

fn text(v: Val) -> Option<String> {
    match v {
        Val::Text(t) => Some(t),
        _ => None,
    }
}

fn day(v: Val) -> Option<i32> {
    match v {
        Val::Date(d) => Some(d),
        _ => None,
    }
}

fn number(v: Val) -> Option<f64> {
    match v {
        Val::Number(n) => Some(n),
        Val::Count(n) => Some(f64::from(n)),
        _ => None,
    }
}

fn count(v: Val) -> Option<u32> {
    match v {
        Val::Count(n) => Some(n),
        _ => None,
    }
}
