//! What a contract-0.2 plugin reads of each account (its projection,
//! `wit/0.2/types.wit`): the attributes, labels, fields and metrics of the
//! current snapshot, how far back earlier snapshots and health scores go,
//! and what is read of them. The host sends only that. A 0.1 plugin reads
//! [`Projection::everything`].

use super::types::{Account, Snapshot};
use serde::Serialize;

/// A built-in snapshot field, in the WIT's order (the batch's column order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    SeatsPurchased,
    SeatsActive,
    Logins,
    FeaturesUsed,
    FeaturesAvailable,
    TicketsOpen,
    TicketsHighSeverity,
    Nps,
    Csat,
    Arr,
    ChampionLeft,
    LatePayments,
}

impl Field {
    /// Every field, in column order.
    pub const ALL: [Field; 12] = [
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

    /// The field's name in the WIT and in the ingest formats.
    pub fn name(self) -> &'static str {
        match self {
            Field::SeatsPurchased => "seats-purchased",
            Field::SeatsActive => "seats-active",
            Field::Logins => "logins",
            Field::FeaturesUsed => "features-used",
            Field::FeaturesAvailable => "features-available",
            Field::TicketsOpen => "tickets-open",
            Field::TicketsHighSeverity => "tickets-high-severity",
            Field::Nps => "nps",
            Field::Csat => "csat",
            Field::Arr => "arr",
            Field::ChampionLeft => "champion-left",
            Field::LatePayments => "late-payments",
        }
    }

    /// The field's value in a snapshot as the batch carries it (a number;
    /// `champion-left` is 1 or 0), or `None` when blank.
    pub fn value(self, s: &Snapshot) -> Option<f64> {
        match self {
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
            Field::ChampionLeft => s.champion_left.map(|b| if b { 1.0 } else { 0.0 }),
            Field::LatePayments => s.late_payments.map(f64::from),
        }
    }

    /// The bit of this field in a [`FieldSet`].
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of fields, as a bit mask (the encoder asks it for every column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldSet(u16);

impl FieldSet {
    /// The set of `fields`.
    pub fn of(fields: &[Field]) -> Self {
        FieldSet(fields.iter().fold(0, |m, f| m | f.bit()))
    }
    /// Whether `f` is in the set.
    pub fn contains(self, f: Field) -> bool {
        self.0 & f.bit() != 0
    }
    /// Both sets.
    pub fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }
    /// The fields of the set, in column order.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

/// A built-in account attribute, in the WIT's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attribute {
    Name,
    Owner,
    Tier,
    Plan,
    StartDate,
    RenewalDate,
    ContractArr,
    RenewalConfidence,
}

impl Attribute {
    /// The attribute's name in the WIT.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Name => "name",
            Attribute::Owner => "owner",
            Attribute::Tier => "tier",
            Attribute::Plan => "plan",
            Attribute::StartDate => "start-date",
            Attribute::RenewalDate => "renewal-date",
            Attribute::ContractArr => "contract-arr",
            Attribute::RenewalConfidence => "renewal-confidence",
        }
    }

    /// Every attribute, in WIT order.
    pub const ALL: [Attribute; 8] = [
        Attribute::Name,
        Attribute::Owner,
        Attribute::Tier,
        Attribute::Plan,
        Attribute::StartDate,
        Attribute::RenewalDate,
        Attribute::ContractArr,
        Attribute::RenewalConfidence,
    ];
}

/// Free-form names (metrics, labels) read: all of them, or only these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Names {
    /// Every name the accounts have.
    All,
    /// Only these names.
    Only(Vec<String>),
}

impl Names {
    /// Whether `name` is read.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            Names::All => true,
            Names::Only(list) => list.iter().any(|n| n == name),
        }
    }
    /// Whether no name at all is read.
    pub fn is_none(&self) -> bool {
        matches!(self, Names::Only(list) if list.is_empty())
    }
}

/// What is read of some snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reads {
    /// Built-in fields.
    pub fields: Vec<Field>,
    /// Metrics by name.
    pub metrics: Names,
}

impl Reads {
    /// Every field and metric.
    pub fn everything() -> Self {
        Reads {
            fields: Field::ALL.to_vec(),
            metrics: Names::All,
        }
    }
    /// The fields read, as a set.
    pub fn field_set(&self) -> FieldSet {
        FieldSet::of(&self.fields)
    }
}

/// How far back earlier snapshots (or health scores) go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    /// None.
    None,
    /// Those dated after the day this many days before the current
    /// snapshot, and the latest one on or before it (the base of "the value
    /// N days ago").
    Days(u32),
    /// The latest this many.
    Latest(u32),
    /// Every one the host has for the run.
    All,
}

impl Window {
    /// The first of `len` entries (oldest first, dated by `date(i)`) inside
    /// the window ending at `reference` (the current snapshot's day):
    /// entries `start..len` are sent.
    pub fn start(self, len: usize, date: impl Fn(usize) -> i32, reference: i32) -> usize {
        match self {
            Window::None => len,
            Window::All => 0,
            Window::Latest(n) => len.saturating_sub(n as usize),
            Window::Days(d) => {
                let from = i64::from(reference) - i64::from(d);
                let first_inside = (0..len).find(|&i| i64::from(date(i)) > from).unwrap_or(len);
                first_inside.saturating_sub(1)
            }
        }
    }
}

/// The union of several plugins' windows over the same entries: what a run
/// must read of each account's past so that every plugin gets its own
/// window (each window is a suffix of the entries, so the union is the
/// longest of them). No window reads nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Windows(Vec<Window>);

impl Windows {
    /// Every entry: what a reader that knows no projection must read.
    pub fn all() -> Self {
        Windows(vec![Window::All])
    }

    /// The union of `windows`.
    pub fn of(windows: impl IntoIterator<Item = Window>) -> Self {
        let mut union: Vec<Window> = Vec::new();
        for w in windows {
            if w != Window::None && !union.contains(&w) {
                union.push(w);
            }
        }
        Windows(union)
    }

    /// Whether no window reads anything.
    pub fn reads_nothing(&self) -> bool {
        self.0.is_empty()
    }

    /// The first of `len` entries (oldest first) that some window reads:
    /// the smallest of their starts ([`Window::start`]).
    pub fn start(&self, len: usize, date: impl Fn(usize) -> i32, reference: i32) -> usize {
        self.0
            .iter()
            .map(|w| w.start(len, &date, reference))
            .min()
            .unwrap_or(len)
    }
}

/// Longest history window a plugin may ask for, in days (about 100 years).
pub const MAX_WINDOW_DAYS: u32 = 36_600;
/// Most snapshots or scores a `latest` window may ask for.
pub const MAX_WINDOW_LATEST: u32 = 10_000;
/// Most names a projection may list for metrics or labels.
pub const MAX_NAMES: usize = 1_024;
/// Longest name it may list, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// What a plugin reads of each account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Projection {
    /// Attributes read.
    pub attributes: Vec<Attribute>,
    /// Labels read.
    pub labels: Names,
    /// What is read of the current snapshot.
    pub current: Reads,
    /// Which earlier snapshots are read.
    pub history: Window,
    /// What is read of them.
    pub history_reads: Reads,
    /// Which earlier health scores are read.
    pub health: Window,
}

impl Projection {
    /// Everything: what a 0.1 plugin receives.
    pub fn everything() -> Self {
        Projection {
            attributes: Attribute::ALL.to_vec(),
            labels: Names::All,
            current: Reads::everything(),
            history: Window::All,
            history_reads: Reads::everything(),
            health: Window::All,
        }
    }

    /// Checks the bounds the host keeps: a window it can read, lists of
    /// names it can hold; the message names the part.
    pub fn check(&self) -> Result<(), String> {
        for (part, window) in [("history", self.history), ("health", self.health)] {
            match window {
                Window::Days(d) if d > MAX_WINDOW_DAYS => {
                    return Err(format!(
                        "{part}: days({d}) is over the longest window, {MAX_WINDOW_DAYS} days"
                    ));
                }
                Window::Latest(n) if n > MAX_WINDOW_LATEST => {
                    return Err(format!(
                        "{part}: latest({n}) is over the most, {MAX_WINDOW_LATEST}"
                    ));
                }
                _ => {}
            }
        }
        for (part, names) in [
            ("labels", &self.labels),
            ("current.metrics", &self.current.metrics),
            ("history-reads.metrics", &self.history_reads.metrics),
        ] {
            let Names::Only(list) = names else { continue };
            if list.len() > MAX_NAMES {
                return Err(format!(
                    "{part}: {} names is over the most, {MAX_NAMES}",
                    list.len()
                ));
            }
            if let Some((i, bad)) = list
                .iter()
                .enumerate()
                .find(|(_, n)| n.is_empty() || n.len() > MAX_NAME_BYTES)
            {
                return Err(format!(
                    "{part}[{i}]: a name must be 1 to {MAX_NAME_BYTES} bytes (got {} bytes)",
                    bad.len()
                ));
            }
        }
        Ok(())
    }

    /// What the projection reads, in words, one entry each (shown as a
    /// plugin's `reads`): `seats-active`, `metric:webinars`,
    /// `history:days(90):arr`, `attribute:tier`, `health:latest(4)`.
    pub fn describe(&self) -> Vec<String> {
        fn window(w: Window) -> String {
            match w {
                Window::None => "none".into(),
                Window::Days(d) => format!("days({d})"),
                Window::Latest(n) => format!("latest({n})"),
                Window::All => "all".into(),
            }
        }
        fn reads(prefix: &str, r: &Reads, out: &mut Vec<String>) {
            out.extend(r.fields.iter().map(|f| format!("{prefix}{}", f.name())));
            match &r.metrics {
                Names::All => out.push(format!("{prefix}metric:*")),
                Names::Only(list) => out.extend(list.iter().map(|m| format!("{prefix}metric:{m}"))),
            }
        }
        let mut out = Vec::new();
        reads("", &self.current, &mut out);
        if self.history != Window::None {
            let prefix = format!("history:{}:", window(self.history));
            reads(&prefix, &self.history_reads, &mut out);
        }
        out.extend(
            self.attributes
                .iter()
                .map(|a| format!("attribute:{}", a.name())),
        );
        match &self.labels {
            Names::All => out.push("label:*".into()),
            Names::Only(list) => out.extend(list.iter().map(|l| format!("label:{l}"))),
        }
        if self.health != Window::None {
            out.push(format!("health:{}", window(self.health)));
        }
        out
    }

    /// The account as this projection shows it, in the contract's owned
    /// types: what the plugin receives, decoded. Tests compare a 0.2
    /// plugin's results with a 0.1 build of it given this account.
    pub fn apply(&self, account: &Account) -> Account {
        let snapshot = |s: &Snapshot, reads: &Reads| {
            let fields = reads.field_set();
            let keep = |f: Field, v| if fields.contains(f) { v } else { None };
            Snapshot {
                as_of: s.as_of,
                seats_purchased: keep(Field::SeatsPurchased, s.seats_purchased),
                seats_active: keep(Field::SeatsActive, s.seats_active),
                logins: keep(Field::Logins, s.logins),
                features_used: keep(Field::FeaturesUsed, s.features_used),
                features_available: keep(Field::FeaturesAvailable, s.features_available),
                tickets_open: keep(Field::TicketsOpen, s.tickets_open),
                tickets_high_severity: keep(Field::TicketsHighSeverity, s.tickets_high_severity),
                nps: fields.contains(Field::Nps).then_some(s.nps).flatten(),
                csat: fields.contains(Field::Csat).then_some(s.csat).flatten(),
                arr: fields.contains(Field::Arr).then_some(s.arr).flatten(),
                champion_left: fields
                    .contains(Field::ChampionLeft)
                    .then_some(s.champion_left)
                    .flatten(),
                late_payments: keep(Field::LatePayments, s.late_payments),
                metrics: s
                    .metrics
                    .iter()
                    .filter(|m| reads.metrics.contains(&m.name))
                    .cloned()
                    .collect(),
            }
        };
        let at = &account.attributes;
        let has = |a: Attribute| self.attributes.contains(&a);
        let text = |a: Attribute, v: &Option<String>| if has(a) { v.clone() } else { None };
        let current_day = account.current.as_of;
        let from = self.history.start(
            account.history.len(),
            |i| account.history[i].as_of,
            current_day,
        );
        let health_from = self.health.start(
            account.health.len(),
            |i| account.health[i].as_of,
            current_day,
        );
        Account {
            id: account.id.clone(),
            attributes: super::types::Attributes {
                name: text(Attribute::Name, &at.name),
                owner: text(Attribute::Owner, &at.owner),
                tier: text(Attribute::Tier, &at.tier),
                plan: text(Attribute::Plan, &at.plan),
                start_date: at.start_date.filter(|_| has(Attribute::StartDate)),
                renewal_date: at.renewal_date.filter(|_| has(Attribute::RenewalDate)),
                contract_arr: at.contract_arr.filter(|_| has(Attribute::ContractArr)),
                renewal_confidence: at
                    .renewal_confidence
                    .filter(|_| has(Attribute::RenewalConfidence)),
                labels: at
                    .labels
                    .iter()
                    .filter(|l| self.labels.contains(&l.name))
                    .cloned()
                    .collect(),
            },
            current: snapshot(&account.current, &self.current),
            history: account.history[from..]
                .iter()
                .map(|s| snapshot(s, &self.history_reads))
                .collect(),
            health: account.health[health_from..].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_days_window_keeps_the_base_before_it() {
        let dates = [100, 130, 160, 190, 220];
        let at = |i: usize| dates[i];
        // 60 days before 220 is 160: 190 and 220 are inside; 160 is the base.
        assert_eq!(Window::Days(60).start(5, at, 220), 2);
        assert_eq!(Window::Days(61).start(5, at, 220), 1);
        // Nothing inside: the latest before is still sent.
        assert_eq!(Window::Days(5).start(5, at, 400), 4);
        assert_eq!(Window::Days(1000).start(5, at, 220), 0);
        assert_eq!(Window::Days(10).start(0, at, 220), 0);
        assert_eq!(Window::Latest(2).start(5, at, 0), 3);
        assert_eq!(Window::Latest(9).start(5, at, 0), 0);
        assert_eq!(Window::None.start(5, at, 0), 5);
        assert_eq!(Window::All.start(5, at, 0), 0);
    }

    #[test]
    fn a_union_of_windows_reads_what_each_window_reads_and_no_more() {
        let dates = [100, 130, 160, 190, 220, 250];
        let windows = [
            Window::Days(60),
            Window::Latest(4),
            Window::Latest(1),
            Window::None,
        ];
        let union = Windows::of(windows);
        // Days(60) from 250 starts at its base 190 (index 3), Latest(4) at
        // index 2: the union reads from the earlier of them.
        assert_eq!(union.start(6, |i| dates[i], 250), 2);
        assert_eq!(
            Windows::of([Window::Latest(5), Window::Days(30)]).start(6, |i| dates[i], 250),
            1
        );
        // Each window, taken over the union's suffix alone, sends the very
        // entries it sends over the whole list.
        for w in windows {
            let whole = &dates[w.start(6, |i| dates[i], 250)..];
            let from = union.start(6, |i| dates[i], 250);
            let suffix = &dates[from..];
            let over_suffix = &suffix[w.start(suffix.len(), |i| suffix[i], 250)..];
            assert_eq!(whole, over_suffix, "{w:?}");
        }
        let nothing = Windows::of([Window::None, Window::None]);
        assert!(nothing.reads_nothing());
        assert_eq!(nothing.start(6, |i| dates[i], 250), 6);
        assert!(!Windows::all().reads_nothing());
        assert_eq!(Windows::all().start(6, |i| dates[i], 250), 0);
    }

    #[test]
    fn bounds_are_checked_naming_the_part() {
        let mut p = Projection::everything();
        assert_eq!(p.check(), Ok(()));
        p.history = Window::Days(MAX_WINDOW_DAYS + 1);
        assert!(p.check().unwrap_err().starts_with("history: days("));
        p.history = Window::All;
        p.current.metrics = Names::Only(vec!["a".into(), String::new()]);
        assert!(p.check().unwrap_err().starts_with("current.metrics[1]"));
    }

    #[test]
    fn described_in_words() {
        let p = Projection {
            attributes: vec![Attribute::Tier],
            labels: Names::Only(vec![]),
            current: Reads {
                fields: vec![Field::Logins],
                metrics: Names::Only(vec!["webinars".into()]),
            },
            history: Window::Days(90),
            history_reads: Reads {
                fields: vec![Field::Arr],
                metrics: Names::Only(vec![]),
            },
            health: Window::None,
        };
        assert_eq!(
            p.describe(),
            [
                "logins",
                "metric:webinars",
                "history:days(90):arr",
                "attribute:tier"
            ]
        );
    }

    #[test]
    fn field_sets_hold_their_fields_in_column_order() {
        let set = FieldSet::of(&[Field::Arr, Field::SeatsActive]);
        assert!(set.contains(Field::Arr) && !set.contains(Field::Logins));
        assert_eq!(
            set.fields().collect::<Vec<_>>(),
            [Field::SeatsActive, Field::Arr]
        );
    }
}
