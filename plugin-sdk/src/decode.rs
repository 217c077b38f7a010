//! The contract's columnar batch into the author's accounts.
//!
//! Conventions (`wit/0.2/types.wit`): a number column is little-endian
//! binary64 bytes ([`crate::column`]) holding NaN where a value is blank, a
//! date column holds `i32::MIN`, a string column `u32::MAX`; renewal
//! confidence is 0-3 (255 blank); labels, history rows and health points of
//! account `i` are the entries `start[i] .. start[i + 1]` of their columns
//! (oldest first). A column the batch does not carry (a field not listed in
//! `batch.fields`, or an empty column) decodes as blank, so a plugin sees
//! `None` for whatever its projection did not ask for.
//!
//! Per batch the number columns are checked once (a length that is not a
//! multiple of 8 fails the call, naming the column), the field columns are
//! looked up once and the metric and label names resolved once; per
//! snapshot, only the values are read. Accounts are decoded one at a time
//! into one reused account ([`for_each`]): the SDK's allocator never frees
//! within a call, so decoding a whole batch up front touched fresh memory
//! for every account (and every fresh page of a pooled instance is a page
//! fault, and a page to reset after the call).

use crate::column::{ColumnError, Numbers};
use crate::projection::Field;
use crate::types::{Account, Attributes, Band, Confidence, HealthPoint, Label, Metric, Snapshot};
use crate::wire;

/// A string index meaning "no string".
const NO_STRING: u32 = u32::MAX;
/// A date meaning "blank".
const NO_DATE: i32 = i32::MIN;

/// Every account of the batch, in order (owned copies; the test harness).
pub fn accounts(batch: &wire::Batch) -> Result<Vec<Account>, ColumnError> {
    let mut out = Vec::with_capacity(batch.accounts.id.len());
    for_each(batch, |a| out.push(a.clone()))?;
    Ok(out)
}

/// Calls `f` with each account of the batch, in order, decoded into one
/// account reused from one to the next (its strings and lists keep their
/// memory). A malformed number column fails before any account is decoded.
pub fn for_each(batch: &wire::Batch, mut f: impl FnMut(&Account)) -> Result<(), ColumnError> {
    let decoder = Decoder::new(batch)?;
    let mut account = Account {
        id: String::new(),
        attributes: Attributes {
            name: None,
            owner: None,
            tier: None,
            plan: None,
            start_date: None,
            renewal_date: None,
            contract_arr: None,
            renewal_confidence: None,
            labels: Vec::new(),
        },
        current: blank_snapshot(),
        history: Vec::new(),
        health: Vec::new(),
    };
    for i in 0..batch.accounts.id.len() {
        decoder.fill(i, &mut account);
        f(&account);
    }
    Ok(())
}

fn blank_snapshot() -> Snapshot {
    Snapshot {
        as_of: NO_DATE,
        seats_purchased: None,
        seats_active: None,
        logins: None,
        features_used: None,
        features_available: None,
        tickets_open: None,
        tickets_high_severity: None,
        nps: None,
        csat: None,
        arr: None,
        champion_left: None,
        late_payments: None,
        metrics: Vec::new(),
    }
}

/// Sets a string slot to `value`, reusing the string already there.
fn set_text(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(s), Some(v)) => {
            s.clear();
            s.push_str(v);
        }
        (None, Some(v)) => *slot = Some(v.to_owned()),
        (_, None) => *slot = None,
    }
}

/// Sets `s` to `v`, reusing its memory.
fn set_string(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}

/// The number columns of one `rows` record, checked.
struct Columns<'a> {
    /// Each built-in field's column (by [`Field`] order); empty when not sent.
    fields: [Numbers<'a>; Field::ALL.len()],
    /// One per entry of the batch's metric names.
    metrics: Vec<Numbers<'a>>,
}

impl<'a> Columns<'a> {
    /// `rows`' columns, named by the batch's fields and metric names in
    /// order; `at` names the record in errors (`current`, `history.rows`).
    fn new(
        rows: &'a wire::Rows,
        batch_fields: &[wire::Field],
        metric_names: &[String],
        at: &str,
    ) -> Result<Self, ColumnError> {
        let mut fields = [Numbers::default(); Field::ALL.len()];
        for (k, (bytes, field)) in rows.fields.iter().zip(batch_fields).enumerate() {
            let field = Field::from(*field);
            fields[field as usize] =
                Numbers::new(bytes, || format!("{at}.fields[{k}] ({})", field.name()))?;
        }
        let metrics = rows
            .metrics
            .iter()
            .enumerate()
            .map(|(k, bytes)| {
                Numbers::new(bytes, || {
                    let name = metric_names.get(k).map_or("", String::as_str);
                    format!("{at}.metrics[{k}] ({name})")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Columns { fields, metrics })
    }
}

struct Decoder<'a> {
    batch: &'a wire::Batch,
    current: Columns<'a>,
    history: Columns<'a>,
    contract_arr: Numbers<'a>,
    health_score: Numbers<'a>,
    metric_names: Vec<String>,
    label_names: Vec<&'a str>,
}

/// Account `i`'s entries of a column split by `start` (n + 1 offsets; with
/// n offsets the last account runs to the column's end).
fn entries(start: &[u32], i: usize, len: usize) -> std::ops::Range<usize> {
    let Some(&from) = start.get(i) else {
        return 0..0;
    };
    let to = start.get(i + 1).map_or(len, |&to| to as usize).min(len);
    (from as usize).min(to)..to
}

fn confidence(code: u8) -> Option<Confidence> {
    match code {
        0 => Some(Confidence::Commit),
        1 => Some(Confidence::BestCase),
        2 => Some(Confidence::Pipeline),
        3 => Some(Confidence::Omitted),
        _ => None,
    }
}

fn band(code: u8) -> Option<Band> {
    match code {
        0 => Some(Band::Green),
        1 => Some(Band::Yellow),
        2 => Some(Band::Red),
        _ => None,
    }
}

impl<'a> Decoder<'a> {
    fn new(batch: &'a wire::Batch) -> Result<Self, ColumnError> {
        let name = |i: &u32| batch.strings.get(*i as usize).map_or("", String::as_str);
        let metric_names: Vec<String> = batch.metric_names.iter().map(|i| name(i).into()).collect();
        let columns = |rows, at| Columns::new(rows, &batch.fields, &metric_names, at);
        Ok(Decoder {
            batch,
            current: columns(&batch.current, "current")?,
            history: columns(&batch.history.rows, "history.rows")?,
            contract_arr: Numbers::new(&batch.accounts.contract_arr, || {
                "accounts.contract-arr".into()
            })?,
            health_score: Numbers::new(&batch.health.score, || "health.score".into())?,
            metric_names,
            label_names: batch.label_names.iter().map(name).collect(),
        })
    }

    fn string(&self, index: u32) -> Option<&'a str> {
        if index == NO_STRING {
            return None;
        }
        self.batch.strings.get(index as usize).map(String::as_str)
    }

    fn text(&self, column: &[u32], i: usize) -> Option<&'a str> {
        column.get(i).and_then(|s| self.string(*s))
    }

    /// Decodes account `i` into `out`, reusing its memory.
    fn fill(&self, i: usize, out: &mut Account) {
        let b = self.batch;
        set_string(
            &mut out.id,
            self.text(&b.accounts.id, i).unwrap_or_default(),
        );
        self.fill_attributes(i, &mut out.attributes);
        self.fill_snapshot(&self.current, &b.current, i, &mut out.current);
        let history = entries(&b.history.account_start, i, b.history.rows.as_of.len());
        let rows = history.len();
        for (k, r) in history.enumerate() {
            if k == out.history.len() {
                out.history.push(blank_snapshot());
            }
            self.fill_snapshot(&self.history, &b.history.rows, r, &mut out.history[k]);
        }
        out.history.truncate(rows);
        out.health.clear();
        let health = entries(&b.health.account_start, i, b.health.as_of.len());
        out.health
            .extend(health.filter_map(|h| self.health_point(h)));
    }

    fn fill_attributes(&self, i: usize, out: &mut Attributes) {
        let a = &self.batch.accounts;
        let date = |column: &[i32]| column.get(i).copied().filter(|d| *d != NO_DATE);
        set_text(&mut out.name, self.text(&a.name, i));
        set_text(&mut out.owner, self.text(&a.owner, i));
        set_text(&mut out.tier, self.text(&a.tier, i));
        set_text(&mut out.plan, self.text(&a.plan, i));
        out.start_date = date(&a.start_date);
        out.renewal_date = date(&a.renewal_date);
        out.contract_arr = self.contract_arr.get(i);
        out.renewal_confidence = a.renewal_confidence.get(i).copied().and_then(confidence);
        let labels = entries(
            &a.label_start,
            i,
            a.label_name.len().min(a.label_value.len()),
        );
        let mut kept = 0;
        for l in labels {
            let name = self.label_names.get(a.label_name[l] as usize);
            let (Some(name), Some(value)) = (name, self.string(a.label_value[l])) else {
                continue;
            };
            match out.labels.get_mut(kept) {
                Some(label) => {
                    set_string(&mut label.name, name);
                    set_string(&mut label.value, value);
                }
                None => out.labels.push(Label {
                    name: (*name).into(),
                    value: value.into(),
                }),
            }
            kept += 1;
        }
        out.labels.truncate(kept);
    }

    fn fill_snapshot(&self, columns: &Columns, rows: &wire::Rows, r: usize, out: &mut Snapshot) {
        let value = |field: Field| columns.fields[field as usize].get(r);
        // Counts cross as f64; `as` saturates anything out of range.
        let count = |field: Field| value(field).map(|v| v as u32);
        out.as_of = rows.as_of.get(r).copied().unwrap_or(NO_DATE);
        out.seats_purchased = count(Field::SeatsPurchased);
        out.seats_active = count(Field::SeatsActive);
        out.logins = count(Field::Logins);
        out.features_used = count(Field::FeaturesUsed);
        out.features_available = count(Field::FeaturesAvailable);
        out.tickets_open = count(Field::TicketsOpen);
        out.tickets_high_severity = count(Field::TicketsHighSeverity);
        out.nps = value(Field::Nps).map(|v| v as u8);
        out.csat = value(Field::Csat);
        out.arr = value(Field::Arr);
        out.champion_left = value(Field::ChampionLeft).map(|v| v != 0.0);
        out.late_payments = count(Field::LatePayments);
        let mut kept = 0;
        for (column, name) in columns.metrics.iter().zip(&self.metric_names) {
            let Some(value) = column.get(r) else {
                continue;
            };
            match out.metrics.get_mut(kept) {
                Some(m) => {
                    set_string(&mut m.name, name);
                    m.value = value;
                }
                None => out.metrics.push(Metric {
                    name: name.clone(),
                    value,
                }),
            }
            kept += 1;
        }
        out.metrics.truncate(kept);
    }

    fn health_point(&self, h: usize) -> Option<HealthPoint> {
        let points = &self.batch.health;
        Some(HealthPoint {
            as_of: *points.as_of.get(h)?,
            score: self.health_score.get(h)?,
            band: band(*points.band.get(h)?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::encode;

    fn empty_rows() -> wire::Rows {
        wire::Rows {
            as_of: vec![],
            fields: vec![],
            metrics: vec![],
        }
    }

    /// Two accounts; only nps and one metric sent; the second account has a
    /// blank tier, one label, one history row and one health point.
    fn batch() -> wire::Batch {
        let strings = ["a", "b", "smb", "webinars", "region", "emea"];
        wire::Batch {
            strings: strings.iter().map(|s| s.to_string()).collect(),
            fields: vec![wire::Field::Nps, wire::Field::ChampionLeft],
            metric_names: vec![3],
            label_names: vec![4],
            accounts: wire::Accounts {
                id: vec![0, 1],
                name: vec![],
                owner: vec![],
                tier: vec![2, NO_STRING],
                plan: vec![],
                start_date: vec![20000, NO_DATE],
                renewal_date: vec![],
                contract_arr: encode([f64::NAN, 5.0]),
                renewal_confidence: vec![255, 1],
                label_start: vec![0, 0, 1],
                label_name: vec![0],
                label_value: vec![5],
            },
            current: wire::Rows {
                as_of: vec![20454, 20454],
                fields: vec![encode([9.0, f64::NAN]), encode([1.0, 0.0])],
                metrics: vec![encode([2.0, f64::NAN])],
            },
            history: wire::History {
                account_start: vec![0, 0, 1],
                rows: wire::Rows {
                    as_of: vec![20400],
                    // nps is not sent for history: its column is empty.
                    fields: vec![vec![], encode([1.0])],
                    metrics: vec![encode([7.0])],
                },
            },
            health: wire::HealthPoints {
                account_start: vec![0, 0, 1],
                as_of: vec![20300],
                score: encode([40.0]),
                band: vec![2],
            },
        }
    }

    #[test]
    fn columns_become_accounts() {
        let accounts = accounts(&batch()).unwrap();
        let (a, b) = (&accounts[0], &accounts[1]);
        assert_eq!((a.id.as_str(), b.id.as_str()), ("a", "b"));
        assert_eq!(a.attributes.tier.as_deref(), Some("smb"));
        assert_eq!(b.attributes.tier, None);
        assert_eq!(a.attributes.name, None, "a column not sent is blank");
        assert_eq!(
            (a.attributes.start_date, b.attributes.start_date),
            (Some(20000), None)
        );
        assert_eq!(
            (a.attributes.contract_arr, b.attributes.contract_arr),
            (None, Some(5.0))
        );
        assert_eq!(a.attributes.renewal_confidence, None);
        assert_eq!(b.attributes.renewal_confidence, Some(Confidence::BestCase));
        assert!(a.attributes.labels.is_empty());
        assert_eq!(b.attributes.labels[0].name, "region");
        assert_eq!(b.attributes.labels[0].value, "emea");
        assert_eq!((a.current.nps, b.current.nps), (Some(9), None));
        assert_eq!(a.current.champion_left, Some(true));
        assert_eq!(b.current.champion_left, Some(false));
        assert_eq!(a.current.seats_active, None, "a field not sent is blank");
        assert_eq!(
            a.current.metrics,
            [Metric {
                name: "webinars".into(),
                value: 2.0
            }]
        );
        assert!(b.current.metrics.is_empty());
        assert!(a.history.is_empty() && a.health.is_empty());
        assert_eq!(b.history.len(), 1);
        assert_eq!(b.history[0].as_of, 20400);
        assert_eq!(b.history[0].nps, None);
        assert_eq!(b.history[0].champion_left, Some(true));
        assert_eq!(b.history[0].metrics[0].value, 7.0);
        assert_eq!(
            b.health,
            [HealthPoint {
                as_of: 20300,
                score: 40.0,
                band: Band::Red
            }]
        );
    }

    #[test]
    fn a_reused_account_keeps_nothing_of_the_one_before() {
        let batch = batch();
        let decoder = Decoder::new(&batch).unwrap();
        let fresh = accounts(&batch).unwrap();
        let mut reused = fresh[1].clone();
        // b has a label, a history row and a health point; a has none.
        decoder.fill(0, &mut reused);
        assert_eq!(reused, fresh[0]);
        decoder.fill(1, &mut reused);
        assert_eq!(reused, fresh[1]);
    }

    #[test]
    fn an_empty_batch_has_no_accounts() {
        let empty = wire::Batch {
            strings: vec![],
            fields: vec![],
            metric_names: vec![],
            label_names: vec![],
            accounts: wire::Accounts {
                id: vec![],
                name: vec![],
                owner: vec![],
                tier: vec![],
                plan: vec![],
                start_date: vec![],
                renewal_date: vec![],
                contract_arr: vec![],
                renewal_confidence: vec![],
                label_start: vec![],
                label_name: vec![],
                label_value: vec![],
            },
            current: empty_rows(),
            history: wire::History {
                account_start: vec![],
                rows: empty_rows(),
            },
            health: wire::HealthPoints {
                account_start: vec![],
                as_of: vec![],
                score: vec![],
                band: vec![],
            },
        };
        assert!(accounts(&empty).unwrap().is_empty());
    }

    #[test]
    fn a_column_of_partial_values_fails_naming_it() {
        let mut bad = batch();
        bad.history.rows.fields[1].pop();
        let err = accounts(&bad).unwrap_err();
        assert_eq!(err.column, "history.rows.fields[1] (champion-left)");
        assert_eq!(err.bytes, 7);
        let mut bad = batch();
        bad.current.metrics[0].push(0);
        let err = accounts(&bad).unwrap_err();
        assert_eq!(err.column, "current.metrics[0] (webinars)");
        let mut bad = batch();
        bad.accounts.contract_arr.truncate(3);
        assert_eq!(accounts(&bad).unwrap_err().column, "accounts.contract-arr");
        let mut bad = batch();
        bad.health.score.push(1);
        assert_eq!(accounts(&bad).unwrap_err().column, "health.score");
    }

    #[test]
    fn ranges_accept_n_or_n_plus_one_offsets() {
        assert_eq!(entries(&[0, 2, 5], 1, 5), 2..5);
        assert_eq!(entries(&[0, 2], 1, 5), 2..5);
        assert_eq!(entries(&[], 0, 5), 0..0);
        assert_eq!(entries(&[4, 2], 0, 5), 2..2, "a bad range is empty");
    }
}
