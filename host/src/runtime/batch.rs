//! Contract 0.2's batch, built from the contract's accounts under a
//! plugin's projection: only what it reads, one column per field and per
//! metric over every row, each distinct string once (`wit/0.2/types.wit`
//! says why: lists of numbers cross the boundary as one block each, number
//! columns as little-endian bytes so that Python lifts each as one object).

use super::bindings::v02::types as w;
use crate::contract::projection::{Attribute, Field, FieldSet, Names, Projection};
use crate::contract::types::{Account, Band, Confidence, Snapshot};
use std::collections::HashMap;

/// A blank string column entry.
pub const NO_STRING: u32 = u32::MAX;
/// A blank date column entry.
pub const NO_DATE: i32 = i32::MIN;
/// A blank renewal confidence.
pub const NO_CONFIDENCE: u8 = 255;
/// Bytes per value of a number column (`f64-column`).
const F64_WIDTH: usize = 8;

/// A number column of `rows` blanks (NaN), to be set in place.
fn blank_numbers(rows: usize) -> Vec<u8> {
    f64::NAN.to_le_bytes().repeat(rows)
}

/// Sets row `row` of a number column; a column not sent (empty) is left so.
fn set_number(column: &mut [u8], row: usize, value: f64) {
    let at = row * F64_WIDTH;
    if let Some(slot) = column.get_mut(at..at + F64_WIDTH) {
        slot.copy_from_slice(&value.to_le_bytes());
    }
}

/// Appends a value to a number column.
fn push_number(column: &mut Vec<u8>, value: f64) {
    column.extend_from_slice(&value.to_le_bytes());
}

/// Each distinct string once, by index.
#[derive(Default)]
struct Strings {
    index: HashMap<String, u32>,
    list: Vec<String>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
    fn optional(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NO_STRING, |s| self.intern(s))
    }
}

/// Free-form names (metrics or labels) given columns, in order of first
/// sight, with each one's position.
#[derive(Default)]
struct Table {
    index: HashMap<String, usize>,
    names: Vec<String>,
}

impl Table {
    fn add(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }
    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

fn wit_field(f: Field) -> w::Field {
    match f {
        Field::SeatsPurchased => w::Field::SeatsPurchased,
        Field::SeatsActive => w::Field::SeatsActive,
        Field::Logins => w::Field::Logins,
        Field::FeaturesUsed => w::Field::FeaturesUsed,
        Field::FeaturesAvailable => w::Field::FeaturesAvailable,
        Field::TicketsOpen => w::Field::TicketsOpen,
        Field::TicketsHighSeverity => w::Field::TicketsHighSeverity,
        Field::Nps => w::Field::Nps,
        Field::Csat => w::Field::Csat,
        Field::Arr => w::Field::Arr,
        Field::ChampionLeft => w::Field::ChampionLeft,
        Field::LatePayments => w::Field::LatePayments,
    }
}

fn confidence_code(c: Option<Confidence>) -> u8 {
    match c {
        Some(Confidence::Commit) => 0,
        Some(Confidence::BestCase) => 1,
        Some(Confidence::Pipeline) => 2,
        Some(Confidence::Omitted) => 3,
        None => NO_CONFIDENCE,
    }
}

fn band_code(b: Band) -> u8 {
    match b {
        Band::Green => 0,
        Band::Yellow => 1,
        Band::Red => 2,
    }
}

/// Rows of snapshots being filled: one number column per batch field read
/// for these rows (empty otherwise), one per metric read for them.
struct RowsBuilder {
    as_of: Vec<i32>,
    fields: Vec<Vec<u8>>,
    metrics: Vec<Vec<u8>>,
}

impl RowsBuilder {
    fn new(
        rows: usize,
        batch_fields: &[Field],
        read: FieldSet,
        metric_read: &[bool],
    ) -> RowsBuilder {
        let column = |on: bool| if on { blank_numbers(rows) } else { Vec::new() };
        RowsBuilder {
            as_of: Vec::with_capacity(rows),
            fields: batch_fields
                .iter()
                .map(|f| column(read.contains(*f)))
                .collect(),
            metrics: metric_read.iter().map(|on| column(*on)).collect(),
        }
    }

    fn push(&mut self, s: &Snapshot, batch_fields: &[Field], metrics: &Table) {
        let row = self.as_of.len();
        self.as_of.push(s.as_of);
        for (column, field) in self.fields.iter_mut().zip(batch_fields) {
            if let Some(v) = field.value(s) {
                set_number(column, row, v);
            }
        }
        for m in &s.metrics {
            if let Some(i) = metrics.get(&m.name) {
                set_number(&mut self.metrics[i], row, m.value);
            }
        }
    }

    fn finish(self) -> w::Rows {
        w::Rows {
            as_of: self.as_of,
            fields: self.fields,
            metrics: self.metrics,
        }
    }
}

/// The batch a 0.2 plugin with projection `p` receives for `accounts`
/// (windows end at each account's current snapshot).
pub fn encode(accounts: &[Account], p: &Projection) -> w::Batch {
    let mut strings = Strings::default();
    let n = accounts.len();
    let current_read = p.current.field_set();
    let history_read = p.history_reads.field_set();
    let batch_fields: Vec<Field> = current_read.union(history_read).fields().collect();

    // The window of each account: history[start..] is sent.
    let history_starts: Vec<usize> = accounts
        .iter()
        .map(|a| {
            p.history
                .start(a.history.len(), |i| a.history[i].as_of, a.current.as_of)
        })
        .collect();

    // Metric names with columns: those listed, else every one in what is sent.
    let mut metrics = Table::default();
    for names in [&p.current.metrics, &p.history_reads.metrics] {
        if let Names::Only(list) = names {
            for m in list {
                metrics.add(m);
            }
        }
    }
    for (a, &from) in accounts.iter().zip(&history_starts) {
        if p.current.metrics == Names::All {
            for m in &a.current.metrics {
                metrics.add(&m.name);
            }
        }
        if p.history_reads.metrics == Names::All {
            for s in &a.history[from..] {
                for m in &s.metrics {
                    metrics.add(&m.name);
                }
            }
        }
    }
    let read_in =
        |names: &Names| -> Vec<bool> { metrics.names.iter().map(|m| names.contains(m)).collect() };
    let (current_metrics, history_metrics) = (
        read_in(&p.current.metrics),
        read_in(&p.history_reads.metrics),
    );

    let mut current = RowsBuilder::new(n, &batch_fields, current_read, &current_metrics);
    let history_rows: usize = accounts
        .iter()
        .zip(&history_starts)
        .map(|(a, &from)| a.history.len() - from)
        .sum();
    let mut history = RowsBuilder::new(history_rows, &batch_fields, history_read, &history_metrics);
    let mut history_start = Vec::with_capacity(n + 1);
    for (a, &from) in accounts.iter().zip(&history_starts) {
        current.push(&a.current, &batch_fields, &metrics);
        history_start.push(history.as_of.len() as u32);
        for s in &a.history[from..] {
            history.push(s, &batch_fields, &metrics);
        }
    }
    history_start.push(history.as_of.len() as u32);

    let mut health = w::HealthPoints {
        account_start: Vec::with_capacity(n + 1),
        as_of: Vec::new(),
        score: Vec::new(),
        band: Vec::new(),
    };
    for a in accounts {
        health.account_start.push(health.as_of.len() as u32);
        let from = p
            .health
            .start(a.health.len(), |i| a.health[i].as_of, a.current.as_of);
        for point in &a.health[from..] {
            health.as_of.push(point.as_of);
            push_number(&mut health.score, point.score);
            health.band.push(band_code(point.band));
        }
    }
    health.account_start.push(health.as_of.len() as u32);

    let rows = encode_accounts(accounts, p, &mut strings);
    let metric_names = metrics.names.iter().map(|m| strings.intern(m)).collect();
    let label_names = rows.1.names.iter().map(|l| strings.intern(l)).collect();
    w::Batch {
        strings: strings.list,
        fields: batch_fields.into_iter().map(wit_field).collect(),
        metric_names,
        label_names,
        accounts: rows.0,
        current: current.finish(),
        history: w::History {
            account_start: history_start,
            rows: history.finish(),
        },
        health,
    }
}

/// The accounts' row of attributes and labels, and the label names used.
fn encode_accounts(
    accounts: &[Account],
    p: &Projection,
    strings: &mut Strings,
) -> (w::Accounts, Table) {
    let has = |a: Attribute| p.attributes.contains(&a);
    let n = accounts.len();
    fn column<T>(on: bool, n: usize) -> Vec<T> {
        if on {
            Vec::with_capacity(n)
        } else {
            Vec::new()
        }
    }
    let mut out = w::Accounts {
        id: Vec::with_capacity(n),
        name: column(has(Attribute::Name), n),
        owner: column(has(Attribute::Owner), n),
        tier: column(has(Attribute::Tier), n),
        plan: column(has(Attribute::Plan), n),
        start_date: column(has(Attribute::StartDate), n),
        renewal_date: column(has(Attribute::RenewalDate), n),
        contract_arr: column(has(Attribute::ContractArr), n * F64_WIDTH),
        renewal_confidence: column(has(Attribute::RenewalConfidence), n),
        label_start: column(!p.labels.is_none(), n),
        label_name: Vec::new(),
        label_value: Vec::new(),
    };
    let mut labels = Table::default();
    if let Names::Only(list) = &p.labels {
        for l in list {
            labels.add(l);
        }
    }
    for a in accounts {
        let at = &a.attributes;
        out.id.push(strings.intern(&a.id));
        if has(Attribute::Name) {
            out.name.push(strings.optional(at.name.as_deref()));
        }
        if has(Attribute::Owner) {
            out.owner.push(strings.optional(at.owner.as_deref()));
        }
        if has(Attribute::Tier) {
            out.tier.push(strings.optional(at.tier.as_deref()));
        }
        if has(Attribute::Plan) {
            out.plan.push(strings.optional(at.plan.as_deref()));
        }
        if has(Attribute::StartDate) {
            out.start_date.push(at.start_date.unwrap_or(NO_DATE));
        }
        if has(Attribute::RenewalDate) {
            out.renewal_date.push(at.renewal_date.unwrap_or(NO_DATE));
        }
        if has(Attribute::ContractArr) {
            push_number(&mut out.contract_arr, at.contract_arr.unwrap_or(f64::NAN));
        }
        if has(Attribute::RenewalConfidence) {
            out.renewal_confidence
                .push(confidence_code(at.renewal_confidence));
        }
        if !p.labels.is_none() {
            out.label_start.push(out.label_name.len() as u32);
            for label in at.labels.iter().filter(|l| p.labels.contains(&l.name)) {
                out.label_name.push(labels.add(&label.name) as u32);
                out.label_value.push(strings.intern(&label.value));
            }
        }
    }
    if !p.labels.is_none() {
        out.label_start.push(out.label_name.len() as u32);
    }
    (out, labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::projection::{Reads, Window};
    use crate::contract::types::{Attributes, HealthPoint, Label, Metric};

    /// A number column's values (NaN blank), as a guest reads them.
    fn numbers(column: &[u8]) -> Vec<f64> {
        assert_eq!(column.len() % F64_WIDTH, 0, "whole values");
        column
            .chunks_exact(F64_WIDTH)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect()
    }

    fn snapshot(as_of: i32, logins: u32, arr: f64, webinars: Option<f64>) -> Snapshot {
        let mut s = Snapshot::empty(as_of);
        s.logins = Some(logins);
        s.arr = Some(arr);
        s.champion_left = Some(true);
        s.metrics = webinars
            .map(|v| Metric {
                name: "webinars".into(),
                value: v,
            })
            .into_iter()
            .collect();
        s
    }

    fn account(id: &str, tier: Option<&str>) -> Account {
        let mut attributes = Attributes::empty();
        attributes.tier = tier.map(str::to_owned);
        attributes.renewal_confidence = Some(Confidence::Pipeline);
        attributes.labels = vec![Label {
            name: "region".into(),
            value: "emea".into(),
        }];
        Account {
            id: id.into(),
            attributes,
            current: snapshot(300, 9, 120.0, Some(3.0)),
            history: vec![
                snapshot(100, 1, 100.0, None),
                snapshot(200, 5, 110.0, Some(1.0)),
                snapshot(250, 7, 115.0, Some(2.0)),
            ],
            health: vec![HealthPoint {
                as_of: 250,
                score: 70.0,
                band: Band::Yellow,
            }],
        }
    }

    #[test]
    fn everything_sends_every_row_and_each_string_once() {
        let accounts = [account("a", Some("smb")), account("b", Some("smb"))];
        let b = encode(&accounts, &Projection::everything());
        assert_eq!(b.fields.len(), 12);
        let ids: Vec<&str> = b
            .accounts
            .id
            .iter()
            .map(|&i| b.strings[i as usize].as_str())
            .collect();
        assert_eq!(ids, ["a", "b"]);
        // "smb" once, shared by both tiers.
        assert_eq!(b.accounts.tier[0], b.accounts.tier[1]);
        assert_eq!(b.strings.iter().filter(|s| s.as_str() == "smb").count(), 1);
        assert_eq!(b.history.account_start, [0, 3, 6]);
        assert_eq!(b.history.rows.as_of, [100, 200, 250, 100, 200, 250]);
        let logins = b
            .fields
            .iter()
            .position(|f| *f == w::Field::Logins)
            .unwrap();
        assert_eq!(numbers(&b.current.fields[logins]), [9.0, 9.0]);
        let champion = b
            .fields
            .iter()
            .position(|f| *f == w::Field::ChampionLeft)
            .unwrap();
        assert_eq!(numbers(&b.current.fields[champion]), [1.0, 1.0]);
        // A blank metric is NaN; names once, by index.
        assert_eq!(b.metric_names.len(), 1);
        assert_eq!(b.strings[b.metric_names[0] as usize], "webinars");
        let webinars = numbers(&b.history.rows.metrics[0]);
        assert!(webinars[0].is_nan());
        assert_eq!(webinars[1], 1.0);
        assert_eq!(b.accounts.renewal_confidence, [2, 2]);
        assert_eq!(b.accounts.label_start, [0, 1, 2]);
        assert_eq!(b.strings[b.label_names[0] as usize], "region");
        assert_eq!(b.health.account_start, [0, 1, 2]);
        assert_eq!(b.health.band, [1, 1]);
        assert_eq!(numbers(&b.health.score), [70.0, 70.0]);
        assert!(numbers(&b.accounts.contract_arr).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_projection_sends_only_what_it_reads() {
        let p = Projection {
            attributes: vec![Attribute::Tier],
            labels: Names::Only(vec![]),
            current: Reads {
                fields: vec![Field::Logins],
                metrics: Names::Only(vec!["webinars".into()]),
            },
            history: Window::Days(60),
            history_reads: Reads {
                fields: vec![Field::Arr],
                metrics: Names::Only(vec![]),
            },
            health: Window::None,
        };
        let b = encode(&[account("a", None)], &p);
        assert_eq!(b.fields, [w::Field::Logins, w::Field::Arr]);
        assert_eq!(numbers(&b.current.fields[0]), [9.0]);
        assert!(b.current.fields[1].is_empty(), "arr is not read currently");
        // 60 days before 300 is 240: 250 inside, 200 the base; 100 not sent.
        assert_eq!(b.history.rows.as_of, [200, 250]);
        assert!(b.history.rows.fields[0].is_empty());
        assert_eq!(numbers(&b.history.rows.fields[1]), [110.0, 115.0]);
        assert_eq!(b.current.metrics.len(), 1);
        assert_eq!(numbers(&b.current.metrics[0]), [3.0]);
        assert!(b.history.rows.metrics[0].is_empty());
        assert_eq!(b.accounts.tier, [NO_STRING]);
        assert!(b.accounts.name.is_empty() && b.accounts.label_start.is_empty());
        assert_eq!(b.health.account_start, [0, 0]);
        assert!(!b.strings.iter().any(|s| s == "emea"));
    }
}
