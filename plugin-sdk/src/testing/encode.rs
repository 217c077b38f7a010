//! Accounts into a contract 0.2 batch, as the host builds one: only what the
//! plugin's projection reads ([`projected`]), in columns. The harness runs
//! the plugin's real decode path on it.
//!
//! The rules, the host's: only the projected attributes, labels, fields and
//! metrics; earlier snapshots and health points by their window, counted back
//! from the current snapshot's date: `days(d)` keeps those dated after
//! `current - d` and the latest one on or before that day (the base of "the
//! value d days ago", [`crate::measures::change_over`]), `latest(n)` the latest `n`,
//! `none` nothing, `all` everything. A column the projection does not read is
//! empty; offsets (`label-start`, `account-start`) have one entry per account
//! and a final one, or are empty when that part is not read.

use crate::column;
use crate::projection::{Attribute, Field, Names, Projection, Reads, Window};
use crate::types::{Account, Attributes, Band, Confidence, HealthPoint, Snapshot};
use crate::{Date, wire};
use std::collections::HashMap;

/// What a plugin with `projection` sees of `account`.
pub fn projected(account: &Account, projection: &Projection) -> Account {
    let reads = |a: Attribute| projection.attributes.contains(a);
    let keep = |a: Attribute, v: &Option<String>| v.clone().filter(|_| reads(a));
    let at = &account.attributes;
    let now = account.current.as_of;
    Account {
        id: account.id.clone(),
        attributes: Attributes {
            name: keep(Attribute::Name, &at.name),
            owner: keep(Attribute::Owner, &at.owner),
            tier: keep(Attribute::Tier, &at.tier),
            plan: keep(Attribute::Plan, &at.plan),
            start_date: at.start_date.filter(|_| reads(Attribute::StartDate)),
            renewal_date: at.renewal_date.filter(|_| reads(Attribute::RenewalDate)),
            contract_arr: at.contract_arr.filter(|_| reads(Attribute::ContractArr)),
            renewal_confidence: at
                .renewal_confidence
                .filter(|_| reads(Attribute::RenewalConfidence)),
            labels: at
                .labels
                .iter()
                .filter(|l| projection.labels.contains(&l.name))
                .cloned()
                .collect(),
        },
        current: projected_snapshot(&account.current, &projection.current),
        history: window(&account.history, projection.history, now, |s| s.as_of)
            .iter()
            .map(|s| projected_snapshot(s, &projection.history_reads))
            .collect(),
        health: window(&account.health, projection.health, now, |h| h.as_of).to_vec(),
    }
}

fn projected_snapshot(s: &Snapshot, reads: &Reads) -> Snapshot {
    let mut out = Snapshot::empty(s.as_of);
    for field in reads.fields.iter() {
        match field {
            Field::SeatsPurchased => out.seats_purchased = s.seats_purchased,
            Field::SeatsActive => out.seats_active = s.seats_active,
            Field::Logins => out.logins = s.logins,
            Field::FeaturesUsed => out.features_used = s.features_used,
            Field::FeaturesAvailable => out.features_available = s.features_available,
            Field::TicketsOpen => out.tickets_open = s.tickets_open,
            Field::TicketsHighSeverity => out.tickets_high_severity = s.tickets_high_severity,
            Field::Nps => out.nps = s.nps,
            Field::Csat => out.csat = s.csat,
            Field::Arr => out.arr = s.arr,
            Field::ChampionLeft => out.champion_left = s.champion_left,
            Field::LatePayments => out.late_payments = s.late_payments,
        }
    }
    out.metrics = s
        .metrics
        .iter()
        .filter(|m| reads.metrics.contains(&m.name))
        .cloned()
        .collect();
    out
}

/// The items (oldest first) inside `window`, counted back from `now`.
fn window<T>(items: &[T], window: Window, now: Date, date: impl Fn(&T) -> Date) -> &[T] {
    match window {
        Window::None => &[],
        Window::All => items,
        Window::Latest(n) => &items[items.len().saturating_sub(n as usize)..],
        Window::Days(d) => {
            let cutoff = i64::from(now) - i64::from(d);
            let first_inside = items.partition_point(|x| i64::from(date(x)) <= cutoff);
            // The latest one on or before the cutoff is the base of "N days ago".
            &items[first_inside.saturating_sub(1)..]
        }
    }
}

fn field_value(s: &Snapshot, field: Field) -> Option<f64> {
    match field {
        Field::SeatsPurchased => s.seats_purchased.map(f64::from),
        Field::SeatsActive => s.seats_active.map(f64::from),
        Field::Logins => s.logins.map(f64::from),
        Field::FeaturesUsed => s.features_used.map(f64::from),
        Field::FeaturesAvailable => s.features_available.map(f64::from),
        Field::TicketsOpen => s.tickets_open.map(f64::from),
        Field::TicketsHighSeverity => s.tickets_high_severity.map(f64::from),
        Field::Nps => s.nps.map(f64::from),
        Field::Csat => s.csat,
        Field::Arr => s.arr,
        Field::ChampionLeft => s.champion_left.map(|left| if left { 1.0 } else { 0.0 }),
        Field::LatePayments => s.late_payments.map(f64::from),
    }
}

/// Distinct strings, each once, by index.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// Names in order of first appearance, with their column.
#[derive(Default)]
struct Table {
    names: Vec<String>,
    column: HashMap<String, usize>,
}

impl Table {
    fn add(&mut self, name: &str) {
        if !self.column.contains_key(name) {
            self.column.insert(name.to_string(), self.names.len());
            self.names.push(name.to_string());
        }
    }
}

/// A number column of `rows` values when `read`, else empty.
fn column<T>(read: bool, rows: &[T], value: impl Fn(&T) -> f64) -> Vec<u8> {
    if read {
        column::encode(rows.iter().map(value))
    } else {
        Vec::new()
    }
}

/// `n + 1` offsets of each account's entries, or empty when not read.
fn offsets(read: bool, counts: impl Iterator<Item = usize>) -> Vec<u32> {
    if !read {
        return Vec::new();
    }
    let mut out = vec![0];
    let mut total = 0;
    for n in counts {
        total += n as u32;
        out.push(total);
    }
    out
}

fn rows(snapshots: &[&Snapshot], fields: &[Field], metrics: &Table, reads: &Reads) -> wire::Rows {
    wire::Rows {
        as_of: snapshots.iter().map(|s| s.as_of).collect(),
        fields: fields
            .iter()
            .map(|&f| {
                column(reads.fields.contains(f), snapshots, |s| {
                    field_value(s, f).unwrap_or(f64::NAN)
                })
            })
            .collect(),
        metrics: metrics
            .names
            .iter()
            .map(|name| {
                column(reads.metrics.contains(name), snapshots, |s| {
                    s.metrics
                        .iter()
                        .find(|m| &m.name == name)
                        .map_or(f64::NAN, |m| m.value)
                })
            })
            .collect(),
    }
}

fn reads_any(names: Names) -> bool {
    names != Names::NONE
}

/// The batch a host with `projection` sends for `accounts`.
pub fn batch(accounts: &[Account], projection: &Projection) -> wire::Batch {
    let accounts: Vec<Account> = accounts.iter().map(|a| projected(a, projection)).collect();
    let p = projection;
    let mut strings = Strings::default();
    let fields: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| p.current.fields.contains(*f) || p.history_reads.fields.contains(*f))
        .collect();
    let (mut metrics, mut labels) = (Table::default(), Table::default());
    for a in &accounts {
        for s in std::iter::once(&a.current).chain(&a.history) {
            s.metrics.iter().for_each(|m| metrics.add(&m.name));
        }
        a.attributes.labels.iter().for_each(|l| labels.add(&l.name));
    }
    let current: Vec<&Snapshot> = accounts.iter().map(|a| &a.current).collect();
    let history: Vec<&Snapshot> = accounts.iter().flat_map(|a| &a.history).collect();
    let health: Vec<&HealthPoint> = accounts.iter().flat_map(|a| &a.health).collect();
    let reads = |a: Attribute| p.attributes.contains(a);
    let mut text = |a: Attribute, get: fn(&Attributes) -> &Option<String>| -> Vec<u32> {
        if !reads(a) {
            return Vec::new();
        }
        let mut id = |s: &Option<String>| s.as_deref().map_or(u32::MAX, |s| strings.intern(s));
        accounts.iter().map(|x| id(get(&x.attributes))).collect()
    };
    let name = text(Attribute::Name, |a| &a.name);
    let owner = text(Attribute::Owner, |a| &a.owner);
    let tier = text(Attribute::Tier, |a| &a.tier);
    let plan = text(Attribute::Plan, |a| &a.plan);
    let date = |a: Attribute, get: fn(&Attributes) -> Option<Date>| -> Vec<Date> {
        if !reads(a) {
            return Vec::new();
        }
        accounts
            .iter()
            .map(|x| get(&x.attributes).unwrap_or(i32::MIN))
            .collect()
    };
    let all_labels: Vec<_> = accounts.iter().flat_map(|a| &a.attributes.labels).collect();
    let wire_accounts = wire::Accounts {
        id: accounts.iter().map(|a| strings.intern(&a.id)).collect(),
        name,
        owner,
        tier,
        plan,
        start_date: date(Attribute::StartDate, |a| a.start_date),
        renewal_date: date(Attribute::RenewalDate, |a| a.renewal_date),
        contract_arr: column(reads(Attribute::ContractArr), &accounts, |a| {
            a.attributes.contract_arr.unwrap_or(f64::NAN)
        }),
        renewal_confidence: if reads(Attribute::RenewalConfidence) {
            accounts
                .iter()
                .map(|a| a.attributes.renewal_confidence.map_or(255, confidence_code))
                .collect()
        } else {
            Vec::new()
        },
        label_start: offsets(
            reads_any(p.labels),
            accounts.iter().map(|a| a.attributes.labels.len()),
        ),
        label_name: all_labels
            .iter()
            .map(|l| labels.column[&l.name] as u32)
            .collect(),
        label_value: all_labels
            .iter()
            .map(|l| strings.intern(&l.value))
            .collect(),
    };
    wire::Batch {
        fields: fields.iter().map(|f| wire::Field::from(*f)).collect(),
        metric_names: metrics.names.iter().map(|n| strings.intern(n)).collect(),
        label_names: labels.names.iter().map(|n| strings.intern(n)).collect(),
        accounts: wire_accounts,
        current: rows(&current, &fields, &metrics, &p.current),
        history: wire::History {
            account_start: offsets(
                p.history != Window::None,
                accounts.iter().map(|a| a.history.len()),
            ),
            rows: rows(&history, &fields, &metrics, &p.history_reads),
        },
        health: wire::HealthPoints {
            account_start: offsets(
                p.health != Window::None,
                accounts.iter().map(|a| a.health.len()),
            ),
            as_of: health.iter().map(|h| h.as_of).collect(),
            score: column::encode(health.iter().map(|h| h.score)),
            band: health.iter().map(|h| band_code(h.band)).collect(),
        },
        strings: strings.list,
    }
}

fn confidence_code(c: Confidence) -> u8 {
    match c {
        Confidence::Commit => 0,
        Confidence::BestCase => 1,
        Confidence::Pipeline => 2,
        Confidence::Omitted => 3,
    }
}

fn band_code(b: Band) -> u8 {
    match b {
        Band::Green => 0,
        Band::Yellow => 1,
        Band::Red => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::ymd;
    use crate::decode;
    use crate::testing::AccountBuilder;

    fn rich() -> Account {
        AccountBuilder::new("acme")
            .as_of(ymd(2026, 1, 1))
            .tier("enterprise")
            .start(ymd(2024, 1, 1))
            .renewal(ymd(2026, 6, 1))
            .contract_arr(120_000.0)
            .confidence(Confidence::BestCase)
            .label("region", "emea")
            .label("industry", "retail")
            .seats(100, 80)
            .logins(900)
            .features(20, 12)
            .tickets(3, 1)
            .nps(8)
            .csat(88.5)
            .arr(120_000.0)
            .champion_left(false)
            .late_payments(1)
            .metric("webinars-attended", 2.0)
            .metric("community-posts", 5.0)
            .history(ymd(2025, 7, 1), |s| s.arr(90_000.0).seats(80, 60))
            .history(ymd(2025, 9, 1), |s| {
                s.arr(100_000.0).metric("webinars-attended", 1.0)
            })
            .history(ymd(2025, 12, 1), |s| s.arr(110_000.0).champion_left(true))
            .health_point(ymd(2025, 10, 1), 70.0, Band::Yellow)
            .health_point(ymd(2026, 1, 1), 82.0, Band::Green)
            .build()
    }

    fn round_trip(accounts: &[Account], p: &Projection) -> Vec<Account> {
        decode::accounts(&batch(accounts, p)).expect("whole number columns")
    }

    #[test]
    fn everything_round_trips_unchanged() {
        let bare = AccountBuilder::new("bare").build();
        let accounts = [rich(), bare];
        assert_eq!(round_trip(&accounts, &Projection::EVERYTHING), accounts);
    }

    #[test]
    fn a_projection_round_trips_to_the_projected_account() {
        const P: Projection = Projection::current(&[Field::Nps, Field::ChampionLeft])
            .with_metrics(&["community-posts"])
            .with_attributes(&[Attribute::Tier, Attribute::RenewalConfidence])
            .with_labels(&["region"])
            .with_history(Window::Days(90), &[Field::Arr])
            .with_history_metrics(&["webinars-attended"])
            .with_health(Window::Latest(1));
        let accounts = [rich(), AccountBuilder::new("bare").build()];
        let out = round_trip(&accounts, &P);
        assert_eq!(
            out,
            accounts
                .iter()
                .map(|a| projected(a, &P))
                .collect::<Vec<_>>()
        );
        let a = &out[0];
        assert_eq!((a.current.nps, a.current.seats_active), (Some(8), None));
        assert_eq!(a.current.metrics.len(), 1);
        assert_eq!(a.attributes.tier.as_deref(), Some("enterprise"));
        assert_eq!(
            (a.attributes.start_date, a.attributes.labels.len()),
            (None, 1)
        );
        // 90 days before 2026-01-01 is 2025-10-03: 2025-12-01 inside, 2025-09-01 its base.
        assert_eq!(a.history.len(), 2);
        assert_eq!(a.history[0].as_of, ymd(2025, 9, 1));
        assert_eq!(a.history[0].metrics[0].value, 1.0);
        assert_eq!(
            (a.history[1].arr, a.history[1].champion_left),
            (Some(110_000.0), None)
        );
        assert_eq!(a.health.len(), 1);
        assert_eq!(a.health[0].band, Band::Green);
    }

    #[test]
    fn unread_parts_are_empty_columns() {
        let b = batch(&[rich()], &Projection::current(&[Field::Nps]));
        assert_eq!(b.fields, [wire::Field::Nps]);
        assert!(b.metric_names.is_empty() && b.label_names.is_empty());
        assert!(b.accounts.tier.is_empty() && b.accounts.label_start.is_empty());
        assert!(b.history.account_start.is_empty() && b.history.rows.as_of.is_empty());
        assert!(b.health.account_start.is_empty());
        assert_eq!(b.current.fields, [column::encode([8.0])]);
        assert_eq!(b.strings, ["acme"]);
    }

    #[test]
    fn windows_count_back_from_the_current_snapshot() {
        let days = [10, 20, 30, 40];
        let w = |window| window_of(&days, window, 45);
        assert_eq!(w(Window::None), [] as [i32; 0]);
        assert_eq!(w(Window::All), days);
        assert_eq!(w(Window::Latest(2)), [30, 40]);
        assert_eq!(w(Window::Latest(9)), days);
        // After 45 - 10 = 35: 40; the base, the latest on or before 35: 30.
        assert_eq!(w(Window::Days(10)), [30, 40]);
        assert_eq!(
            w(Window::Days(15)),
            [30, 40],
            "30, on the cutoff, is the base"
        );
        assert_eq!(w(Window::Days(1)), [40], "none inside: only the base");
        assert_eq!(w(Window::Days(u32::MAX)), days);
    }

    fn window_of(days: &[i32], w: Window, now: Date) -> Vec<i32> {
        window(days, w, now, |d| *d).to_vec()
    }
}
