//! Decoders from each candidate layout to the author-facing account: a
//! borrowed view (what a 0.2 SDK would hand the author) and, for
//! comparison, today's owned `vitals_plugin_sdk_v01::Account` (what the SDK
//! would do if it kept the 0.1 types unchanged).

use crate::bindings::exports::vitals::layout_probe::{flat_records as b, names_once as a};
use crate::bindings::vitals::layout_probe::columnar_types::{Accounts, Rows};
use crate::bindings::vitals::layout_probe::common::Field;
use crate::view::{
    Account, Attributes, FIELDS, HealthPoint, Labels, Metrics, Names, Snapshot, Strings, band,
    confidence,
};
use vitals_plugin_sdk as sdk;
use vitals_plugin_sdk_v01 as v01;

/// Layout A: the 0.1 records with names by index.
pub fn names_once<'a>(
    acc: &'a a::Account,
    metric_names: &'a Names<'a>,
    label_names: &'a Names<'a>,
) -> Account<'a> {
    let snap = |s: &'a a::Snapshot| Snapshot {
        as_of: s.as_of,
        seats_purchased: s.seats_purchased,
        seats_active: s.seats_active,
        logins: s.logins,
        features_used: s.features_used,
        features_available: s.features_available,
        tickets_open: s.tickets_open,
        tickets_high_severity: s.tickets_high_severity,
        nps: s.nps,
        csat: s.csat,
        arr: s.arr,
        champion_left: s.champion_left,
        late_payments: s.late_payments,
        metrics: Metrics::Pairs(&s.metrics, metric_names),
    };
    let at = &acc.attributes;
    Account {
        id: &acc.id,
        attributes: Attributes {
            name: at.name.as_deref(),
            owner: at.owner.as_deref(),
            tier: at.tier.as_deref(),
            plan: at.plan.as_deref(),
            start_date: at.start_date,
            renewal_date: at.renewal_date,
            contract_arr: at.contract_arr,
            renewal_confidence: at.renewal_confidence,
            labels: Labels::Pairs(&at.labels, label_names),
        },
        current: snap(&acc.current),
        history: acc.history.iter().map(snap).collect(),
        health: acc.health.clone(),
    }
}

/// Layout B: flat per-account records.
pub fn flat<'a>(
    acc: &'a b::Account,
    metric_names: &'a Names<'a>,
    label_names: &'a Names<'a>,
) -> Account<'a> {
    let n = |i: usize| acc.numbers.get(i).copied().filter(|v| !v.is_nan());
    Account {
        id: &acc.id,
        attributes: Attributes {
            name: acc.name.as_deref(),
            owner: acc.owner.as_deref(),
            tier: acc.tier.as_deref(),
            plan: acc.plan.as_deref(),
            start_date: n(0).map(|d| d as i32),
            renewal_date: n(1).map(|d| d as i32),
            contract_arr: n(2),
            renewal_confidence: n(3).and_then(confidence),
            labels: Labels::Pairs(&acc.labels, label_names),
        },
        current: Snapshot::flat(&acc.current, metric_names),
        history: acc
            .history
            .iter()
            .map(|s| Snapshot::flat(s, metric_names))
            .collect(),
        health: acc.health.clone(),
    }
}

/// Layout C: a columnar batch, decoded account by account.
pub struct Columnar<'a> {
    pub strings: Strings<'a>,
    /// (field, column) for every built-in field the batch carries.
    fields: Vec<(usize, usize)>,
    pub metric_names: Names<'a>,
    pub label_names: Names<'a>,
    accounts: &'a Accounts,
    current: &'a Rows,
    history: &'a Rows,
}

fn at<T: Copy>(column: &[T], i: usize) -> Option<T> {
    column.get(i).copied()
}

fn real(column: &[f64], i: usize) -> Option<f64> {
    at(column, i).filter(|v| !v.is_nan())
}

impl<'a> Columnar<'a> {
    pub fn new(
        strings: Strings<'a>,
        fields: &[Field],
        metric_names: &[u32],
        label_names: &[u32],
        accounts: &'a Accounts,
        current: &'a Rows,
        history: &'a Rows,
    ) -> Self {
        let names =
            |ids: &[u32]| Names(ids.iter().map(|i| strings.get(*i).unwrap_or("")).collect());
        let (metric_names, label_names) = (names(metric_names), names(label_names));
        Columnar {
            fields: fields
                .iter()
                .enumerate()
                .map(|(column, f)| (*f as usize, column))
                .collect(),
            strings,
            metric_names,
            label_names,
            accounts,
            current,
            history,
        }
    }

    /// Accounts in the batch.
    pub fn len(&self) -> usize {
        self.current.as_of.len()
    }

    fn snapshot(&'a self, rows: &'a Rows, r: usize) -> Snapshot<'a> {
        let mut v = [f64::NAN; FIELDS];
        for &(field, column) in &self.fields {
            // A column this projection does not send for these rows is empty.
            if let Some(x) = rows.fields[column].get(r) {
                v[field] = *x;
            }
        }
        Snapshot::from_values(
            rows.as_of[r],
            v,
            Metrics::Columns(&rows.metrics, r, &self.metric_names),
        )
    }

    /// Account `i` as the author sees it.
    pub fn account(&'a self, i: usize) -> Account<'a> {
        let a = self.accounts;
        let s = |column: &[u32]| at(column, i).and_then(|k| self.strings.get(k));
        let range = |start: &[u32]| match (at(start, i), at(start, i + 1)) {
            (Some(from), Some(to)) => from as usize..to as usize,
            _ => 0..0,
        };
        let labels = range(&a.label_start);
        let health = range(&a.health_start);
        let history = range(&self.history.account_start);
        Account {
            id: s(&a.id).unwrap_or(""),
            attributes: Attributes {
                name: s(&a.name),
                owner: s(&a.owner),
                tier: s(&a.tier),
                plan: s(&a.plan),
                start_date: real(&a.start_date, i).map(|d| d as i32),
                renewal_date: real(&a.renewal_date, i).map(|d| d as i32),
                contract_arr: real(&a.contract_arr, i),
                renewal_confidence: real(&a.renewal_confidence, i).and_then(confidence),
                labels: Labels::Columns(
                    &a.label_name[labels.clone()],
                    &a.label_value[labels],
                    &self.strings,
                    &self.label_names,
                ),
            },
            current: self.snapshot(self.current, i),
            history: history.map(|r| self.snapshot(self.history, r)).collect(),
            health: health
                .map(|h| HealthPoint {
                    as_of: a.health_as_of[h],
                    score: a.health_score[h],
                    band: band(a.health_band[h]),
                })
                .collect(),
        }
    }
}

/// Today's owned account from the view: what an SDK keeping the 0.1 types
/// would build (every string and metric name copied).
pub fn owned(v: &Account) -> sdk::Account {
    let snap = |s: &Snapshot| sdk::Snapshot {
        as_of: s.as_of,
        seats_purchased: s.seats_purchased,
        seats_active: s.seats_active,
        logins: s.logins,
        features_used: s.features_used,
        features_available: s.features_available,
        tickets_open: s.tickets_open,
        tickets_high_severity: s.tickets_high_severity,
        nps: s.nps,
        csat: s.csat,
        arr: s.arr,
        champion_left: s.champion_left,
        late_payments: s.late_payments,
        metrics: s
            .metrics
            .iter()
            .map(|(name, value)| sdk::Metric {
                name: name.to_string(),
                value,
            })
            .collect(),
    };
    let at = &v.attributes;
    sdk::Account {
        id: v.id.to_string(),
        attributes: sdk::Attributes {
            name: at.name.map(str::to_string),
            owner: at.owner.map(str::to_string),
            tier: at.tier.map(str::to_string),
            plan: at.plan.map(str::to_string),
            start_date: at.start_date,
            renewal_date: at.renewal_date,
            contract_arr: at.contract_arr,
            renewal_confidence: at.renewal_confidence.map(|c| match c {
                v01::Confidence::Commit => sdk::Confidence::Commit,
                v01::Confidence::BestCase => sdk::Confidence::BestCase,
                v01::Confidence::Pipeline => sdk::Confidence::Pipeline,
                v01::Confidence::Omitted => sdk::Confidence::Omitted,
            }),
            labels: at
                .labels
                .iter()
                .map(|(name, value)| sdk::Label {
                    name: name.to_string(),
                    value: value.to_string(),
                })
                .collect(),
        },
        current: snap(&v.current),
        history: v.history.iter().map(snap).collect(),
        health: v
            .health
            .iter()
            .map(|h| sdk::HealthPoint {
                as_of: h.as_of,
                score: h.score,
                band: sdk_band(h.band),
            })
            .collect(),
    }
}

fn sdk_band(b: v01::Band) -> sdk::Band {
    match b {
        v01::Band::Green => sdk::Band::Green,
        v01::Band::Yellow => sdk::Band::Yellow,
        v01::Band::Red => sdk::Band::Red,
    }
}

/// The SDK's health result as the probe's (0.1) type.
pub fn v01_health(h: sdk::Health) -> v01::Health {
    v01::Health {
        score: h.score,
        band: match h.band {
            sdk::Band::Green => v01::Band::Green,
            sdk::Band::Yellow => v01::Band::Yellow,
            sdk::Band::Red => v01::Band::Red,
        },
        factors: h
            .factors
            .into_iter()
            .map(|f| v01::Factor {
                name: f.name,
                group: f.group,
                value: f.value,
                weight: f.weight,
                points: f.points,
            })
            .collect(),
    }
}

/// The SDK's error as the probe's (0.1) type.
pub fn v01_error(e: sdk::PluginError) -> v01::PluginError {
    match e {
        sdk::PluginError::InvalidConfig(m) => v01::PluginError::InvalidConfig(m),
        sdk::PluginError::MissingData(m) => v01::PluginError::MissingData(m),
        sdk::PluginError::InvalidInput(m) => v01::PluginError::InvalidInput(m),
        sdk::PluginError::Internal(m) => v01::PluginError::Internal(m),
    }
}
