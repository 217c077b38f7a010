//! The author-facing account as an SDK over a 0.2 layout would present it:
//! the same shape as today's `Account` (`account.current.logins`,
//! `account.history`, `account.attributes.tier`), but built from the batch
//! without copying its strings: names and text borrow the batch, numbers are
//! plain fields, and metrics and labels are looked up by name through the
//! batch's name table.

use crate::bindings::exports::vitals::layout_probe::flat_records as b;
use vitals_plugin_sdk_v01::{Band, Confidence, Date};

/// A string index meaning "blank".
pub const NONE: u32 = u32::MAX;

/// The batch's table of distinct strings (layout C).
#[derive(Clone, Copy)]
pub enum Strings<'a> {
    /// One text and each string's end offset.
    Concat(&'a str, &'a [u32]),
    /// A list of strings.
    List(&'a [String]),
}

impl<'a> Strings<'a> {
    /// String `i`, or `None` for [`NONE`] (or an index out of range).
    pub fn get(&self, i: u32) -> Option<&'a str> {
        if i == NONE {
            return None;
        }
        let i = i as usize;
        match *self {
            Strings::Concat(text, end) => {
                let stop = *end.get(i)? as usize;
                let start = if i == 0 { 0 } else { end[i - 1] as usize };
                text.get(start..stop)
            }
            Strings::List(list) => list.get(i).map(String::as_str),
        }
    }
}

/// A metric or label as the 0.2 layouts carry it: a name index and a value.
pub use crate::bindings::vitals::layout_probe::common::{Label as IndexedLabel, Metric};

/// The batch's names (metric names or label names), index -> name.
#[derive(Default)]
pub struct Names<'a>(pub Vec<&'a str>);

impl<'a> Names<'a> {
    /// Index of `name`: the table is short (the metrics a tenant has, or
    /// those a plugin asked for), so a scan beats hashing.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.0.iter().position(|n| *n == name).map(|i| i as u32)
    }
}

/// A snapshot's free-form metrics.
#[derive(Clone, Copy)]
pub enum Metrics<'a> {
    /// (name index, value) pairs of one snapshot (layouts A and B).
    Pairs(&'a [Metric], &'a Names<'a>),
    /// Row `row` of the batch's metric columns (layout C); NaN = blank.
    Columns(&'a [Vec<f64>], usize, &'a Names<'a>),
}

impl<'a> Metrics<'a> {
    /// The value of metric `name`, if the snapshot has it.
    pub fn get(&self, name: &str) -> Option<f64> {
        match *self {
            Metrics::Pairs(pairs, names) => {
                let id = names.find(name)?;
                pairs.iter().find(|m| m.name == id).map(|m| m.value)
            }
            Metrics::Columns(columns, row, names) => {
                let id = names.find(name)? as usize;
                columns
                    .get(id)
                    .and_then(|c| c.get(row))
                    .copied()
                    .filter(|v| !v.is_nan())
            }
        }
    }

    /// Every metric the snapshot has: (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, f64)> + 'a {
        let (pairs, columns, row, names) = match *self {
            Metrics::Pairs(p, n) => (p, &[][..], 0, n),
            Metrics::Columns(c, r, n) => (&[][..], c, r, n),
        };
        let from_pairs = pairs
            .iter()
            .map(move |m| (names.0[m.name as usize], m.value));
        let from_columns = columns
            .iter()
            .enumerate()
            .filter_map(move |(i, c)| c.get(row).filter(|v| !v.is_nan()).map(|v| (names.0[i], *v)));
        from_pairs.chain(from_columns)
    }
}

/// An account's free-form text attributes.
#[derive(Clone, Copy)]
pub enum Labels<'a> {
    /// (name index, value) pairs (layouts A and B).
    Pairs(&'a [IndexedLabel], &'a Names<'a>),
    /// Parallel name-index and value-string-index slices (layout C).
    Columns(&'a [u32], &'a [u32], &'a Strings<'a>, &'a Names<'a>),
}

impl<'a> Labels<'a> {
    /// The value of label `name` (weighted-health reads no label).
    #[allow(dead_code)]
    pub fn get(&self, name: &str) -> Option<&'a str> {
        match *self {
            Labels::Pairs(pairs, names) => {
                let id = names.find(name)?;
                pairs
                    .iter()
                    .find(|l| l.name == id)
                    .map(|l| l.value.as_str())
            }
            Labels::Columns(ids, values, strings, names) => {
                let id = names.find(name)?;
                let at = ids.iter().position(|i| *i == id)?;
                strings.get(values[at])
            }
        }
    }

    /// Every label: (name, value).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a> {
        match *self {
            Labels::Pairs(pairs, names) => Box::new(
                pairs
                    .iter()
                    .map(move |l| (names.0[l.name as usize], l.value.as_str())),
            ),
            Labels::Columns(ids, values, strings, names) => Box::new(
                ids.iter()
                    .zip(values)
                    .map(move |(n, v)| (names.0[*n as usize], strings.get(*v).unwrap_or(""))),
            ),
        }
    }
}

/// One snapshot: the same fields as today's `Snapshot`.
#[derive(Clone, Copy)]
pub struct Snapshot<'a> {
    pub as_of: Date,
    pub seats_purchased: Option<u32>,
    pub seats_active: Option<u32>,
    pub logins: Option<u32>,
    pub features_used: Option<u32>,
    pub features_available: Option<u32>,
    pub tickets_open: Option<u32>,
    pub tickets_high_severity: Option<u32>,
    pub nps: Option<u8>,
    pub csat: Option<f64>,
    pub arr: Option<f64>,
    pub champion_left: Option<bool>,
    pub late_payments: Option<u32>,
    pub metrics: Metrics<'a>,
}

/// Built-in fields, in WIT order (the index of a field in `fields` lists).
pub const FIELDS: usize = 12;

fn num(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

fn count(v: f64) -> Option<u32> {
    num(v).map(|v| v as u32)
}

impl<'a> Snapshot<'a> {
    /// A snapshot from the twelve built-in values in WIT order (NaN = blank).
    pub fn from_values(as_of: Date, v: [f64; FIELDS], metrics: Metrics<'a>) -> Self {
        Snapshot {
            as_of,
            seats_purchased: count(v[0]),
            seats_active: count(v[1]),
            logins: count(v[2]),
            features_used: count(v[3]),
            features_available: count(v[4]),
            tickets_open: count(v[5]),
            tickets_high_severity: count(v[6]),
            nps: num(v[7]).map(|n| n as u8),
            csat: num(v[8]),
            arr: num(v[9]),
            champion_left: num(v[10]).map(|b| b != 0.0),
            late_payments: count(v[11]),
            metrics,
        }
    }

    /// A snapshot of layout B.
    pub fn flat(s: &'a b::Snapshot, names: &'a Names<'a>) -> Self {
        let mut v = [f64::NAN; FIELDS];
        for (slot, x) in v.iter_mut().zip(&s.fields) {
            *slot = *x;
        }
        Snapshot::from_values(s.as_of, v, Metrics::Pairs(&s.metrics, names))
    }
}

/// Descriptive attributes: the same fields as today's `Attributes`.
#[derive(Clone, Copy)]
pub struct Attributes<'a> {
    pub name: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub tier: Option<&'a str>,
    pub plan: Option<&'a str>,
    pub start_date: Option<Date>,
    pub renewal_date: Option<Date>,
    pub contract_arr: Option<f64>,
    pub renewal_confidence: Option<Confidence>,
    pub labels: Labels<'a>,
}

/// A confidence tier from its number (0 commit ... 3 omitted).
pub fn confidence(v: f64) -> Option<Confidence> {
    Some(match num(v)? as u8 {
        0 => Confidence::Commit,
        1 => Confidence::BestCase,
        2 => Confidence::Pipeline,
        _ => Confidence::Omitted,
    })
}

/// A band from its number (0 green, 1 yellow, 2 red).
pub fn band(v: u8) -> Band {
    match v {
        0 => Band::Green,
        1 => Band::Yellow,
        _ => Band::Red,
    }
}

/// A health point; the same as today's.
pub use vitals_plugin_sdk_v01::HealthPoint;

/// One account as the author sees it.
pub struct Account<'a> {
    pub id: &'a str,
    pub attributes: Attributes<'a>,
    pub current: Snapshot<'a>,
    /// Earlier snapshots, oldest first.
    pub history: Vec<Snapshot<'a>>,
    pub health: Vec<HealthPoint>,
}

/// The SDK's helpers over the view (today's `measures`, same rules).
pub mod measures {
    use super::{Account, Snapshot};
    use vitals_plugin_sdk_v01::Date;

    pub fn licence_utilisation(s: &Snapshot) -> Option<f64> {
        match (s.seats_purchased?, s.seats_active?) {
            (0, _) => None,
            (bought, active) => Some(f64::from(active) / f64::from(bought)),
        }
    }

    pub fn feature_breadth(s: &Snapshot) -> Option<f64> {
        match (s.features_available?, s.features_used?) {
            (0, _) => None,
            (avail, used) => Some(f64::from(used) / f64::from(avail)),
        }
    }

    pub fn metric(s: &Snapshot, name: &str) -> Option<f64> {
        s.metrics.get(name)
    }

    pub fn tenure_days(account: &Account, as_of: Date) -> Option<i32> {
        account.attributes.start_date.map(|d| as_of - d)
    }

    pub fn change_over(
        account: &Account,
        days: i32,
        measure: impl Fn(&Snapshot) -> Option<f64>,
    ) -> Option<f64> {
        let now = measure(&account.current)?;
        let cutoff = account.current.as_of - days;
        let old = account
            .history
            .iter()
            .rev()
            .find(|s| s.as_of <= cutoff)
            .and_then(&measure)?;
        (old != 0.0).then(|| (now - old) / old.abs())
    }
}
