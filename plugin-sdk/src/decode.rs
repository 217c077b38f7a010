//! The contract's columnar batch into the author's accounts.
//!
//! Conventions (`wit/0.2/types.wit`): a number column holds NaN where a value
//! is blank, a date column `i32::MIN`, a string column `u32::MAX`; renewal
//! confidence is 0-3 (255 blank); labels, history rows and health points of
//! account `i` are the entries `start[i] .. start[i + 1]` of their columns
//! (oldest first). A column the batch does not carry (a field not listed in
//! `batch.fields`, or an empty column) decodes as blank, so a plugin sees
//! `None` for whatever its projection did not ask for.
//!
//! Per batch the field columns are looked up once and the metric and label
//! names resolved once; per snapshot, only the values are read.

use crate::projection::Field;
use crate::types::{Account, Attributes, Band, Confidence, HealthPoint, Label, Metric, Snapshot};
use crate::wire;

/// A string index meaning "no string".
const NO_STRING: u32 = u32::MAX;
/// A date meaning "blank".
const NO_DATE: i32 = i32::MIN;

/// Every account of the batch, in order.
pub fn accounts(batch: &wire::Batch) -> Vec<Account> {
    Decoder::new(batch).accounts()
}

struct Decoder<'a> {
    batch: &'a wire::Batch,
    /// Column of each built-in field (by [`Field`] order), if the batch has one.
    field_columns: [Option<usize>; Field::ALL.len()],
    metric_names: Vec<String>,
    label_names: Vec<&'a str>,
}

fn number(column: &[f64], row: usize) -> Option<f64> {
    column.get(row).copied().filter(|v| !v.is_nan())
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
    fn new(batch: &'a wire::Batch) -> Self {
        let mut field_columns = [None; Field::ALL.len()];
        for (column, field) in batch.fields.iter().enumerate() {
            field_columns[*field as usize] = Some(column);
        }
        let name = |i: &u32| batch.strings.get(*i as usize).map_or("", String::as_str);
        Decoder {
            batch,
            field_columns,
            metric_names: batch.metric_names.iter().map(|i| name(i).into()).collect(),
            label_names: batch.label_names.iter().map(name).collect(),
        }
    }

    fn string(&self, index: u32) -> Option<&'a str> {
        if index == NO_STRING {
            return None;
        }
        self.batch.strings.get(index as usize).map(String::as_str)
    }

    fn text(&self, column: &[u32], i: usize) -> Option<String> {
        column
            .get(i)
            .and_then(|s| self.string(*s))
            .map(String::from)
    }

    fn accounts(&self) -> Vec<Account> {
        (0..self.batch.accounts.id.len())
            .map(|i| self.account(i))
            .collect()
    }

    fn account(&self, i: usize) -> Account {
        let b = self.batch;
        let history = entries(&b.history.account_start, i, b.history.rows.as_of.len());
        let health = entries(&b.health.account_start, i, b.health.as_of.len());
        Account {
            id: self.text(&b.accounts.id, i).unwrap_or_default(),
            attributes: self.attributes(i),
            current: self.snapshot(&b.current, i),
            history: history.map(|r| self.snapshot(&b.history.rows, r)).collect(),
            health: health.filter_map(|h| self.health_point(h)).collect(),
        }
    }

    fn attributes(&self, i: usize) -> Attributes {
        let a = &self.batch.accounts;
        let date = |column: &[i32]| column.get(i).copied().filter(|d| *d != NO_DATE);
        let labels = entries(
            &a.label_start,
            i,
            a.label_name.len().min(a.label_value.len()),
        );
        Attributes {
            name: self.text(&a.name, i),
            owner: self.text(&a.owner, i),
            tier: self.text(&a.tier, i),
            plan: self.text(&a.plan, i),
            start_date: date(&a.start_date),
            renewal_date: date(&a.renewal_date),
            contract_arr: number(&a.contract_arr, i),
            renewal_confidence: a.renewal_confidence.get(i).copied().and_then(confidence),
            labels: labels
                .filter_map(|l| {
                    let name = self.label_names.get(a.label_name[l] as usize)?;
                    Some(Label {
                        name: (*name).into(),
                        value: self.string(a.label_value[l])?.into(),
                    })
                })
                .collect(),
        }
    }

    fn snapshot(&self, rows: &wire::Rows, r: usize) -> Snapshot {
        let value = |field: Field| {
            let column = self.field_columns[field as usize]?;
            number(rows.fields.get(column)?, r)
        };
        // Counts cross as f64; `as` saturates anything out of range.
        let count = |field: Field| value(field).map(|v| v as u32);
        Snapshot {
            as_of: rows.as_of.get(r).copied().unwrap_or(NO_DATE),
            seats_purchased: count(Field::SeatsPurchased),
            seats_active: count(Field::SeatsActive),
            logins: count(Field::Logins),
            features_used: count(Field::FeaturesUsed),
            features_available: count(Field::FeaturesAvailable),
            tickets_open: count(Field::TicketsOpen),
            tickets_high_severity: count(Field::TicketsHighSeverity),
            nps: value(Field::Nps).map(|v| v as u8),
            csat: value(Field::Csat),
            arr: value(Field::Arr),
            champion_left: value(Field::ChampionLeft).map(|v| v != 0.0),
            late_payments: count(Field::LatePayments),
            metrics: rows
                .metrics
                .iter()
                .zip(&self.metric_names)
                .filter_map(|(column, name)| {
                    number(column, r).map(|value| Metric {
                        name: name.clone(),
                        value,
                    })
                })
                .collect(),
        }
    }

    fn health_point(&self, h: usize) -> Option<HealthPoint> {
        let points = &self.batch.health;
        Some(HealthPoint {
            as_of: *points.as_of.get(h)?,
            score: *points.score.get(h)?,
            band: band(*points.band.get(h)?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                contract_arr: vec![f64::NAN, 5.0],
                renewal_confidence: vec![255, 1],
                label_start: vec![0, 0, 1],
                label_name: vec![0],
                label_value: vec![5],
            },
            current: wire::Rows {
                as_of: vec![20454, 20454],
                fields: vec![vec![9.0, f64::NAN], vec![1.0, 0.0]],
                metrics: vec![vec![2.0, f64::NAN]],
            },
            history: wire::History {
                account_start: vec![0, 0, 1],
                rows: wire::Rows {
                    as_of: vec![20400],
                    // nps is not sent for history: its column is empty.
                    fields: vec![vec![], vec![1.0]],
                    metrics: vec![vec![7.0]],
                },
            },
            health: wire::HealthPoints {
                account_start: vec![0, 0, 1],
                as_of: vec![20300],
                score: vec![40.0],
                band: vec![2],
            },
        }
    }

    #[test]
    fn columns_become_accounts() {
        let accounts = accounts(&batch());
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
        assert!(accounts(&empty).is_empty());
    }

    #[test]
    fn ranges_accept_n_or_n_plus_one_offsets() {
        assert_eq!(entries(&[0, 2, 5], 1, 5), 2..5);
        assert_eq!(entries(&[0, 2], 1, 5), 2..5);
        assert_eq!(entries(&[], 0, 5), 0..0);
        assert_eq!(entries(&[4, 2], 0, 5), 2..2, "a bad range is empty");
    }
}
