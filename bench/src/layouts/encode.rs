//! The host's side of each candidate: a chunk of stored accounts (the
//! runtime's `Account`) encoded into the layout, then lent to the call
//! (`bindgen!` with borrowing parameters, so no string is copied on the host
//! before the canonical ABI copies it into the guest). What is not read
//! (the projection) is never encoded.

use super::harness::probe::exports::vitals::layout_probe::{
    columnar_concat as c1, columnar_list as c2, flat_records as b, names_once as a,
};
use super::harness::probe::vitals::layout_probe::columnar_types::{Accounts, Rows};
use super::harness::probe::vitals::layout_probe::common::{Field, Label, Metric};
use super::projection::{Projection, Reads};
use std::collections::HashMap;
use vitals::runtime::types::{Account, Confidence, Snapshot};

/// Names (metrics or labels) of one batch, in order of first use. Few
/// distinct names per batch: a scan beats hashing.
#[derive(Default)]
struct Names<'h>(Vec<&'h str>);

impl<'h> Names<'h> {
    fn id(&mut self, name: &'h str) -> u32 {
        match self.0.iter().position(|n| *n == name) {
            Some(i) => i as u32,
            None => {
                self.0.push(name);
                (self.0.len() - 1) as u32
            }
        }
    }
}

/// The twelve built-in fields of a snapshot, NaN = blank.
fn values(s: &Snapshot) -> [f64; 12] {
    let u = |v: Option<u32>| v.map_or(f64::NAN, f64::from);
    [
        u(s.seats_purchased),
        u(s.seats_active),
        u(s.logins),
        u(s.features_used),
        u(s.features_available),
        u(s.tickets_open),
        u(s.tickets_high_severity),
        s.nps.map_or(f64::NAN, f64::from),
        s.csat.unwrap_or(f64::NAN),
        s.arr.unwrap_or(f64::NAN),
        s.champion_left.map_or(f64::NAN, |b| f64::from(u8::from(b))),
        u(s.late_payments),
    ]
}

fn confidence_number(c: Confidence) -> f64 {
    match c {
        Confidence::Commit => 0.0,
        Confidence::BestCase => 1.0,
        Confidence::Pipeline => 2.0,
        Confidence::Omitted => 3.0,
    }
}

/// The snapshots of each account that `p` sends: (current, history window).
fn snapshots<'h>(accounts: &'h [Account], p: &Projection) -> Vec<(&'h Snapshot, &'h [Snapshot])> {
    accounts.iter().map(|x| (&x.current, p.window(x))).collect()
}

/// Layout A: the 0.1 records, names by index.
pub fn names_once<R>(
    accounts: &[Account],
    p: &Projection,
    call: impl FnOnce(a::Batch<'_>) -> R,
) -> R {
    let (mut metric_names, mut label_names) = (Names::default(), Names::default());
    let windows = snapshots(accounts, p);
    // Every metric of the batch in one vector; snapshots take slices of it.
    let mut metrics = Vec::new();
    let mut metric_ends = Vec::new();
    let mut label_store = Vec::new();
    let mut label_ends = Vec::new();
    for (x, (current, history)) in accounts.iter().zip(&windows) {
        for (s, r) in
            std::iter::once((*current, &p.current)).chain(history.iter().map(|s| (s, &p.history)))
        {
            for m in &s.metrics {
                if r.wants_metric(&m.name) {
                    metrics.push(Metric {
                        name: metric_names.id(&m.name),
                        value: m.value,
                    });
                }
            }
            metric_ends.push(metrics.len());
        }
        for l in &x.attributes.labels {
            if p.labels.as_ref().is_none_or(|n| n.contains(&l.name)) {
                label_store.push(Label {
                    name: label_names.id(&l.name),
                    value: &l.value,
                });
            }
        }
        label_ends.push(label_store.len());
    }
    let mut next = 0;
    let mut metric_slice = || {
        let start = if next == 0 { 0 } else { metric_ends[next - 1] };
        let end = metric_ends[next];
        next += 1;
        &metrics[start..end]
    };
    let f = |r: &Reads, i: usize| r.fields[i];
    let snap = |s: &Snapshot, r: &Reads, metrics| a::Snapshot {
        as_of: s.as_of,
        seats_purchased: s.seats_purchased.filter(|_| f(r, 0)),
        seats_active: s.seats_active.filter(|_| f(r, 1)),
        logins: s.logins.filter(|_| f(r, 2)),
        features_used: s.features_used.filter(|_| f(r, 3)),
        features_available: s.features_available.filter(|_| f(r, 4)),
        tickets_open: s.tickets_open.filter(|_| f(r, 5)),
        tickets_high_severity: s.tickets_high_severity.filter(|_| f(r, 6)),
        nps: s.nps.filter(|_| f(r, 7)),
        csat: s.csat.filter(|_| f(r, 8)),
        arr: s.arr.filter(|_| f(r, 9)),
        champion_left: s.champion_left.filter(|_| f(r, 10)),
        late_payments: s.late_payments.filter(|_| f(r, 11)),
        metrics,
    };
    let mut currents = Vec::with_capacity(accounts.len());
    let mut history = Vec::new();
    let mut history_ends = Vec::with_capacity(accounts.len());
    for (current, window) in &windows {
        currents.push(snap(current, &p.current, metric_slice()));
        for s in *window {
            history.push(snap(s, &p.history, metric_slice()));
        }
        history_ends.push(history.len());
    }
    let at = |i: usize| p.attributes[i];
    let list: Vec<a::Account<'_>> = accounts
        .iter()
        .zip(currents)
        .enumerate()
        .map(|(i, (x, current))| {
            let h0 = if i == 0 { 0 } else { history_ends[i - 1] };
            let l0 = if i == 0 { 0 } else { label_ends[i - 1] };
            let t = &x.attributes;
            a::Account {
                id: &x.id,
                attributes: a::Attributes {
                    name: t.name.as_deref().filter(|_| at(0)),
                    owner: t.owner.as_deref().filter(|_| at(1)),
                    tier: t.tier.as_deref().filter(|_| at(2)),
                    plan: t.plan.as_deref().filter(|_| at(3)),
                    start_date: t.start_date.filter(|_| at(4)),
                    renewal_date: t.renewal_date.filter(|_| at(5)),
                    contract_arr: t.contract_arr.filter(|_| at(6)),
                    renewal_confidence: t.renewal_confidence.filter(|_| at(7)),
                    labels: &label_store[l0..label_ends[i]],
                },
                current,
                history: &history[h0..history_ends[i]],
                health: if p.health { &x.health } else { &[] },
            }
        })
        .collect();
    call(a::Batch {
        metric_names: &metric_names.0,
        label_names: &label_names.0,
        accounts: &list,
    })
}

/// Layout B: flat per-account records.
pub fn flat<R>(accounts: &[Account], p: &Projection, call: impl FnOnce(b::Batch<'_>) -> R) -> R {
    let (mut metric_names, mut label_names) = (Names::default(), Names::default());
    let windows = snapshots(accounts, p);
    let mut numbers: Vec<[f64; 12]> = Vec::new();
    let mut metrics = Vec::new();
    let mut metric_ends = Vec::new();
    let mut label_store = Vec::new();
    let mut label_ends = Vec::new();
    let mut attributes: Vec<[f64; 4]> = Vec::with_capacity(accounts.len());
    for (x, (current, history)) in accounts.iter().zip(&windows) {
        for (s, r) in
            std::iter::once((*current, &p.current)).chain(history.iter().map(|s| (s, &p.history)))
        {
            let mut v = values(s);
            for (x, read) in v.iter_mut().zip(r.fields) {
                if !read {
                    *x = f64::NAN;
                }
            }
            numbers.push(v);
            for m in &s.metrics {
                if r.wants_metric(&m.name) {
                    metrics.push(Metric {
                        name: metric_names.id(&m.name),
                        value: m.value,
                    });
                }
            }
            metric_ends.push(metrics.len());
        }
        for l in &x.attributes.labels {
            if p.labels.as_ref().is_none_or(|n| n.contains(&l.name)) {
                label_store.push(Label {
                    name: label_names.id(&l.name),
                    value: &l.value,
                });
            }
        }
        label_ends.push(label_store.len());
        let t = &x.attributes;
        let n = |v: Option<f64>, i: usize| v.filter(|_| p.attributes[i]).unwrap_or(f64::NAN);
        attributes.push([
            n(t.start_date.map(f64::from), 4),
            n(t.renewal_date.map(f64::from), 5),
            n(t.contract_arr, 6),
            n(t.renewal_confidence.map(confidence_number), 7),
        ]);
    }
    let mut row = 0;
    let mut next_snapshot = |as_of| {
        let start = if row == 0 { 0 } else { metric_ends[row - 1] };
        let s = b::Snapshot {
            as_of,
            fields: &numbers[row],
            metrics: &metrics[start..metric_ends[row]],
        };
        row += 1;
        s
    };
    let mut currents = Vec::with_capacity(accounts.len());
    let mut history = Vec::new();
    let mut history_ends = Vec::with_capacity(accounts.len());
    for (current, window) in &windows {
        currents.push(next_snapshot(current.as_of));
        for s in *window {
            history.push(next_snapshot(s.as_of));
        }
        history_ends.push(history.len());
    }
    let at = |i: usize| p.attributes[i];
    let list: Vec<b::Account<'_>> = accounts
        .iter()
        .zip(currents)
        .enumerate()
        .map(|(i, (x, current))| {
            let h0 = if i == 0 { 0 } else { history_ends[i - 1] };
            let l0 = if i == 0 { 0 } else { label_ends[i - 1] };
            let t = &x.attributes;
            b::Account {
                id: &x.id,
                name: t.name.as_deref().filter(|_| at(0)),
                owner: t.owner.as_deref().filter(|_| at(1)),
                tier: t.tier.as_deref().filter(|_| at(2)),
                plan: t.plan.as_deref().filter(|_| at(3)),
                numbers: &attributes[i],
                labels: &label_store[l0..label_ends[i]],
                current,
                history: &history[h0..history_ends[i]],
                health: if p.health { &x.health } else { &[] },
            }
        })
        .collect();
    call(b::Batch {
        metric_names: &metric_names.0,
        label_names: &label_names.0,
        accounts: &list,
    })
}

/// The batch's distinct strings, in order of first use.
#[derive(Default)]
pub struct StringTable<'h> {
    index: HashMap<&'h str, u32>,
    pub list: Vec<&'h str>,
}

impl<'h> StringTable<'h> {
    fn id(&mut self, s: &'h str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.list.len() as u32;
        self.index.insert(s, i);
        self.list.push(s);
        i
    }

    /// A string known to be new (an account id): no lookup.
    fn push_unique(&mut self, s: &'h str) -> u32 {
        self.list.push(s);
        (self.list.len() - 1) as u32
    }

    fn opt(&mut self, s: Option<&'h str>, read: bool) -> u32 {
        match s {
            Some(s) if read => self.id(s),
            _ => u32::MAX,
        }
    }
}

/// Snapshot rows as columns, built before they are lent.
#[derive(Default)]
struct Columns {
    account_start: Vec<u32>,
    as_of: Vec<i32>,
    fields: Vec<Vec<f64>>,
    metrics: Vec<Vec<f64>>,
}

impl Columns {
    /// Columns for `fields` (those `read` does not read stay empty).
    fn new(fields: &[usize], metrics: usize) -> Self {
        Columns {
            fields: vec![Vec::new(); fields.len()],
            metrics: vec![Vec::new(); metrics],
            ..Default::default()
        }
    }

    fn push(&mut self, s: &Snapshot, fields: &[usize], read: &Reads, metric_names: &[&str]) {
        self.as_of.push(s.as_of);
        let v = values(s);
        for (column, f) in self.fields.iter_mut().zip(fields) {
            if read.fields[*f] {
                column.push(v[*f]);
            }
        }
        let row = self.as_of.len();
        for m in &s.metrics {
            if let Some(i) = metric_names.iter().position(|n| *n == m.name) {
                let column = &mut self.metrics[i];
                column.resize(row - 1, f64::NAN);
                column.push(m.value);
            }
        }
    }

    /// Pads the metric columns to the row count (a blank is NaN).
    fn finish(&mut self) {
        let rows = self.as_of.len();
        for c in &mut self.metrics {
            c.resize(rows, f64::NAN);
        }
    }

    /// Each column as a slice, to lend.
    fn slices(&self) -> (Vec<&[f64]>, Vec<&[f64]>) {
        (
            self.fields.iter().map(Vec::as_slice).collect(),
            self.metrics.iter().map(Vec::as_slice).collect(),
        )
    }

    fn lend<'s>(&'s self, fields: &'s [&'s [f64]], metrics: &'s [&'s [f64]]) -> Rows<'s> {
        Rows {
            account_start: &self.account_start,
            as_of: &self.as_of,
            fields,
            metrics,
        }
    }
}

/// A columnar batch (layout C) before it is lent: the string table and the
/// columns. Both C1 and C2 lend it; they differ only in the strings.
pub struct Columnar<'h> {
    pub strings: StringTable<'h>,
    fields: Vec<Field>,
    metric_names: Vec<u32>,
    label_names: Vec<u32>,
    accounts: AccountColumns,
    current: Columns,
    history: Columns,
}

#[derive(Default)]
struct AccountColumns {
    id: Vec<u32>,
    name: Vec<u32>,
    owner: Vec<u32>,
    tier: Vec<u32>,
    plan: Vec<u32>,
    start_date: Vec<f64>,
    renewal_date: Vec<f64>,
    contract_arr: Vec<f64>,
    renewal_confidence: Vec<f64>,
    label_start: Vec<u32>,
    label_name: Vec<u32>,
    label_value: Vec<u32>,
    health_start: Vec<u32>,
    health_as_of: Vec<i32>,
    health_score: Vec<f64>,
    health_band: Vec<u8>,
}

const FIELD_ENUM: [Field; 12] = [
    Field::SeatsPurchased,
    Field::SeatsActive,
    Field::Logins,
    Field::FeaturesUsed,
    Field::FeaturesAvailable,
    Field::TicketsOpen,
    Field::TicketsHighSeverity,
    Field::Nps,
    Field::Csat,
    Field::Arr,
    Field::ChampionLeft,
    Field::LatePayments,
];

impl<'h> Columnar<'h> {
    /// Encodes `accounts` under `p`.
    pub fn new(accounts: &'h [Account], p: &Projection) -> Self {
        let mut strings = StringTable::default();
        // Columns for every field read of current or history snapshots.
        let fields: Vec<usize> = (0..12)
            .filter(|f| p.current.fields[*f] || p.history.fields[*f])
            .collect();
        // Metric names: those asked for, else every name the batch has.
        let mut metric_list: Vec<&'h str> = Vec::new();
        let add = |m: &'h str, list: &mut Vec<&'h str>| {
            if !list.contains(&m) {
                list.push(m);
            }
        };
        let windows = snapshots(accounts, p);
        for (current, history) in &windows {
            for m in &current.metrics {
                if p.current.wants_metric(&m.name) {
                    add(&m.name, &mut metric_list);
                }
            }
            for s in *history {
                for m in &s.metrics {
                    if p.history.wants_metric(&m.name) {
                        add(&m.name, &mut metric_list);
                    }
                }
            }
        }
        let mut label_list: Vec<&'h str> = Vec::new();
        let mut current = Columns::new(&fields, metric_list.len());
        let mut history = Columns::new(&fields, metric_list.len());
        let mut ac = AccountColumns::default();
        let at = |i: usize| p.attributes[i];
        let col = |v: Option<f64>, i: usize| v.filter(|_| at(i)).unwrap_or(f64::NAN);
        ac.label_start.push(0);
        ac.health_start.push(0);
        history.account_start.push(0);
        for (x, (snapshot, window)) in accounts.iter().zip(&windows) {
            let t = &x.attributes;
            ac.id.push(strings.push_unique(&x.id));
            ac.name.push(match t.name.as_deref() {
                Some(n) if at(0) => strings.push_unique(n),
                _ => u32::MAX,
            });
            ac.owner.push(strings.opt(t.owner.as_deref(), at(1)));
            ac.tier.push(strings.opt(t.tier.as_deref(), at(2)));
            ac.plan.push(strings.opt(t.plan.as_deref(), at(3)));
            ac.start_date.push(col(t.start_date.map(f64::from), 4));
            ac.renewal_date.push(col(t.renewal_date.map(f64::from), 5));
            ac.contract_arr.push(col(t.contract_arr, 6));
            ac.renewal_confidence
                .push(col(t.renewal_confidence.map(confidence_number), 7));
            for l in &t.labels {
                if p.labels.as_ref().is_none_or(|n| n.contains(&l.name)) {
                    let name = match label_list.iter().position(|n| *n == l.name) {
                        Some(i) => i,
                        None => {
                            label_list.push(&l.name);
                            label_list.len() - 1
                        }
                    };
                    ac.label_name.push(name as u32);
                    ac.label_value.push(strings.id(&l.value));
                }
            }
            ac.label_start.push(ac.label_name.len() as u32);
            if p.health {
                for h in &x.health {
                    ac.health_as_of.push(h.as_of);
                    ac.health_score.push(h.score);
                    ac.health_band.push(h.band as u8);
                }
            }
            ac.health_start.push(ac.health_as_of.len() as u32);
            current.push(snapshot, &fields, &p.current, &metric_list);
            for s in *window {
                history.push(s, &fields, &p.history, &metric_list);
            }
            history.account_start.push(history.as_of.len() as u32);
        }
        current.finish();
        history.finish();
        // Columns that no account's attributes fill are not sent.
        for (column, read) in [
            (&mut ac.start_date, at(4)),
            (&mut ac.renewal_date, at(5)),
            (&mut ac.contract_arr, at(6)),
            (&mut ac.renewal_confidence, at(7)),
        ] {
            if !read {
                column.clear();
            }
        }
        for (column, read) in [
            (&mut ac.name, at(0)),
            (&mut ac.owner, at(1)),
            (&mut ac.tier, at(2)),
            (&mut ac.plan, at(3)),
        ] {
            if !read {
                column.clear();
            }
        }
        let metric_names = metric_list.iter().map(|m| strings.id(m)).collect();
        let label_names = label_list.iter().map(|l| strings.id(l)).collect();
        Columnar {
            strings,
            fields: fields.iter().map(|f| FIELD_ENUM[*f]).collect(),
            metric_names,
            label_names,
            accounts: ac,
            current,
            history,
        }
    }

    fn lend_accounts(&self) -> Accounts<'_> {
        let a = &self.accounts;
        Accounts {
            id: &a.id,
            name: &a.name,
            owner: &a.owner,
            tier: &a.tier,
            plan: &a.plan,
            start_date: &a.start_date,
            renewal_date: &a.renewal_date,
            contract_arr: &a.contract_arr,
            renewal_confidence: &a.renewal_confidence,
            label_start: &a.label_start,
            label_name: &a.label_name,
            label_value: &a.label_value,
            health_start: &a.health_start,
            health_as_of: &a.health_as_of,
            health_score: &a.health_score,
            health_band: &a.health_band,
        }
    }

    /// Lends the batch with its strings as one text (C1).
    pub fn concat<R>(&self, call: impl FnOnce(c1::Batch<'_>) -> R) -> R {
        let total: usize = self.strings.list.iter().map(|s| s.len()).sum();
        let mut text = String::with_capacity(total);
        let mut end = Vec::with_capacity(self.strings.list.len());
        for s in &self.strings.list {
            text.push_str(s);
            end.push(text.len() as u32);
        }
        let (cf, cm) = self.current.slices();
        let (hf, hm) = self.history.slices();
        call(c1::Batch {
            strings: c1::Strings {
                text: &text,
                end: &end,
            },
            fields: &self.fields,
            metric_names: &self.metric_names,
            label_names: &self.label_names,
            accounts: self.lend_accounts(),
            current: self.current.lend(&cf, &cm),
            history: self.history.lend(&hf, &hm),
        })
    }

    /// Lends the batch with its strings as a list (C2).
    pub fn listed<R>(&self, call: impl FnOnce(c2::Batch<'_>) -> R) -> R {
        let (cf, cm) = self.current.slices();
        let (hf, hm) = self.history.slices();
        call(c2::Batch {
            strings: &self.strings.list,
            fields: &self.fields,
            metric_names: &self.metric_names,
            label_names: &self.label_names,
            accounts: self.lend_accounts(),
            current: self.current.lend(&cf, &cm),
            history: self.history.lend(&hf, &hm),
        })
    }
}
