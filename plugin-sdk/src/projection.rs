//! What a plugin reads: its projection. The host sends only that and reads
//! only that from its store, so a plugin that declares little runs fast.
//!
//! A projection is built in const context from `&'static` slices:
//!
//! ```
//! use vitals_plugin_sdk::prelude::*;
//!
//! const READS: Projection = Projection::current(&[Field::SeatsPurchased, Field::SeatsActive])
//!     .with_metrics(&["webinars-attended"])
//!     .with_attributes(&[Attribute::Tier])
//!     .with_history(Window::Days(90), &[Field::Arr])
//!     .with_health(Window::Latest(1));
//! assert!(READS.current.fields.contains(Field::SeatsActive));
//! ```
//!
//! A projection is `Copy`: field and attribute sets are bit sets, names are
//! `&'static` lists. A plugin whose reads depend on its configuration
//! overrides [`crate::Plugin::project`] and builds one at run time: the
//! mutating methods ([`FieldSet::insert`], ...) and [`Names::listed`], which
//! keeps each distinct list of names from a configuration once for the
//! life of the instance (a tenant's configurations name few).

use std::sync::Mutex;

/// A built-in snapshot field (WIT `field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Licences (seats) purchased.
    SeatsPurchased,
    /// Licences used in the trailing 30 days.
    SeatsActive,
    /// Logins in the trailing 30 days.
    Logins,
    /// Distinct product features used in the trailing 30 days.
    FeaturesUsed,
    /// Product features available on the account's plan.
    FeaturesAvailable,
    /// Support tickets currently open.
    TicketsOpen,
    /// Open support tickets of high severity.
    TicketsHighSeverity,
    /// Latest NPS answer, 0-10.
    Nps,
    /// Latest CSAT score, 0-100.
    Csat,
    /// Annual recurring revenue at this instant.
    Arr,
    /// Whether the champion left since the previous snapshot.
    ChampionLeft,
    /// Invoices paid late in the trailing 12 months.
    LatePayments,
}

impl Field {
    /// Every field, in the contract's order.
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

    /// The field's WIT name (`seats-purchased`, ...).
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
}

/// A built-in account attribute (WIT `attribute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribute {
    /// Display name.
    Name,
    /// Owner (customer-success manager).
    Owner,
    /// Tier or segment.
    Tier,
    /// Plan or product edition.
    Plan,
    /// First day of the customer relationship.
    StartDate,
    /// Next renewal date.
    RenewalDate,
    /// Contract value per year.
    ContractArr,
    /// The renewal's confidence tier.
    RenewalConfidence,
}

impl Attribute {
    /// Every attribute, in the contract's order.
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

/// Names read (free-form metrics or labels): all of them, or only some.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Every name the accounts have.
    All,
    /// Only these names.
    Only(&'static [&'static str]),
}

/// Lists of names made at run time, each kept once (see [`Names::listed`]).
static LISTED: Mutex<Vec<&'static [&'static str]>> = Mutex::new(Vec::new());

impl Names {
    /// No name.
    pub const NONE: Names = Names::Only(&[]);

    /// Only these names, known at run time (from the configuration). A
    /// projection holds `&'static` names so that it stays `Copy` and const:
    /// each distinct list is kept once for the life of the instance and
    /// handed out again when asked for with the same names.
    pub fn listed<S: AsRef<str>>(names: &[S]) -> Names {
        let mut kept = LISTED.lock().unwrap_or_else(|e| e.into_inner());
        let same = |list: &&&'static [&'static str]| {
            list.len() == names.len() && list.iter().zip(names).all(|(a, b)| *a == b.as_ref())
        };
        if let Some(list) = kept.iter().find(same) {
            return Names::Only(list);
        }
        let list: Vec<&'static str> = names
            .iter()
            .map(|n| &*Box::leak(n.as_ref().to_string().into_boxed_str()))
            .collect();
        let list: &'static [&'static str] = Box::leak(list.into_boxed_slice());
        kept.push(list);
        Names::Only(list)
    }

    /// Whether `name` is read.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            Names::All => true,
            Names::Only(names) => names.contains(&name),
        }
    }
}

/// A set of built-in fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldSet(u16);

impl FieldSet {
    /// No field.
    pub const NONE: FieldSet = FieldSet(0);
    /// Every field.
    pub const ALL: FieldSet = FieldSet::of(&Field::ALL);

    /// The set of these fields.
    pub const fn of(fields: &[Field]) -> FieldSet {
        let mut bits = 0;
        let mut i = 0;
        while i < fields.len() {
            bits |= 1 << fields[i] as u16;
            i += 1;
        }
        FieldSet(bits)
    }

    /// Whether `field` is in the set.
    pub const fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u16) != 0
    }

    /// Adds `field`.
    pub fn insert(&mut self, field: Field) {
        self.0 |= 1 << field as u16;
    }

    /// The fields of the set, in the contract's order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A set of built-in attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttributeSet(u8);

impl AttributeSet {
    /// No attribute.
    pub const NONE: AttributeSet = AttributeSet(0);
    /// Every attribute.
    pub const ALL: AttributeSet = AttributeSet::of(&Attribute::ALL);

    /// The set of these attributes.
    pub const fn of(attributes: &[Attribute]) -> AttributeSet {
        let mut bits = 0;
        let mut i = 0;
        while i < attributes.len() {
            bits |= 1 << attributes[i] as u8;
            i += 1;
        }
        AttributeSet(bits)
    }

    /// Whether `attribute` is in the set.
    pub const fn contains(self, attribute: Attribute) -> bool {
        self.0 & (1 << attribute as u8) != 0
    }

    /// Adds `attribute`.
    pub fn insert(&mut self, attribute: Attribute) {
        self.0 |= 1 << attribute as u8;
    }

    /// The attributes of the set, in the contract's order.
    pub fn iter(self) -> impl Iterator<Item = Attribute> {
        Attribute::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

/// How far back earlier snapshots (or health points) go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// None.
    None,
    /// Those dated within this many days before the current snapshot, and
    /// the latest one before that (so "the value N days ago" has its base).
    Days(u32),
    /// The latest this many.
    Latest(u32),
    /// Every one the host keeps for the run.
    All,
}

/// What is read of some snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Built-in fields.
    pub fields: FieldSet,
    /// Free-form metrics.
    pub metrics: Names,
}

impl Reads {
    /// Nothing.
    pub const NOTHING: Reads = Reads::fields(&[]);
    /// Every field and metric.
    pub const EVERYTHING: Reads = Reads {
        fields: FieldSet::ALL,
        metrics: Names::All,
    };

    /// These fields, no metric.
    pub const fn fields(fields: &[Field]) -> Reads {
        Reads {
            fields: FieldSet::of(fields),
            metrics: Names::NONE,
        }
    }
}

/// What a plugin reads of each account (WIT `projection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Projection {
    /// AttributeSet read.
    pub attributes: AttributeSet,
    /// Free-form text labels read.
    pub labels: Names,
    /// What is read of the current snapshot.
    pub current: Reads,
    /// Which earlier snapshots are read.
    pub history: Window,
    /// What is read of them.
    pub history_reads: Reads,
    /// Which of the account's earlier health scores are read.
    pub health: Window,
}

impl Projection {
    /// Nothing at all.
    pub const NOTHING: Projection = Projection::current(&[]);

    /// Everything: every attribute, label, field and metric, all history and
    /// health points. The host then sends the whole account.
    pub const EVERYTHING: Projection = Projection {
        attributes: AttributeSet::ALL,
        labels: Names::All,
        current: Reads::EVERYTHING,
        history: Window::All,
        history_reads: Reads::EVERYTHING,
        health: Window::All,
    };

    /// These fields of the current snapshot, nothing else.
    pub const fn current(fields: &[Field]) -> Projection {
        Projection {
            attributes: AttributeSet::NONE,
            labels: Names::NONE,
            current: Reads::fields(fields),
            history: Window::None,
            history_reads: Reads::NOTHING,
            health: Window::None,
        }
    }

    /// Also these metrics of the current snapshot (replacing those set before).
    pub const fn with_metrics(mut self, names: &'static [&'static str]) -> Projection {
        self.current.metrics = Names::Only(names);
        self
    }

    /// Every metric of the current snapshot.
    pub const fn with_all_metrics(mut self) -> Projection {
        self.current.metrics = Names::All;
        self
    }

    /// These attributes (replacing those set before).
    pub const fn with_attributes(mut self, attributes: &[Attribute]) -> Projection {
        self.attributes = AttributeSet::of(attributes);
        self
    }

    /// These labels (replacing those set before).
    pub const fn with_labels(mut self, names: &'static [&'static str]) -> Projection {
        self.labels = Names::Only(names);
        self
    }

    /// Earlier snapshots in `window`, and these fields of them (no metric).
    pub const fn with_history(mut self, window: Window, fields: &[Field]) -> Projection {
        self.history = window;
        self.history_reads = Reads::fields(fields);
        self
    }

    /// Also these metrics of the earlier snapshots (replacing those set before).
    pub const fn with_history_metrics(mut self, names: &'static [&'static str]) -> Projection {
        self.history_reads.metrics = Names::Only(names);
        self
    }

    /// The account's earlier health scores in `window`.
    pub const fn with_health(mut self, window: Window) -> Projection {
        self.health = window;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READS: Projection = Projection::current(&[Field::Nps])
        .with_metrics(&["a"])
        .with_attributes(&[Attribute::Tier])
        .with_labels(&["region"])
        .with_history(Window::Days(90), &[Field::Arr])
        .with_history_metrics(&["b"])
        .with_health(Window::Latest(2));

    #[test]
    fn builders_set_each_part() {
        assert_eq!(
            READS.current.fields.iter().collect::<Vec<_>>(),
            [Field::Nps]
        );
        assert!(READS.current.metrics.contains("a") && !READS.current.metrics.contains("b"));
        assert_eq!(
            READS.attributes.iter().collect::<Vec<_>>(),
            [Attribute::Tier]
        );
        assert!(READS.labels.contains("region"));
        assert_eq!(READS.history, Window::Days(90));
        assert_eq!(READS.history_reads.fields, FieldSet::of(&[Field::Arr]));
        assert!(READS.history_reads.metrics.contains("b"));
        assert_eq!(READS.health, Window::Latest(2));
        let all = Projection::current(&[]).with_all_metrics();
        assert!(all.current.metrics.contains("anything"));
    }

    #[test]
    fn sets_hold_each_member_once_in_order() {
        let mut f = FieldSet::of(&[Field::Arr, Field::Nps, Field::Arr]);
        f.insert(Field::SeatsPurchased);
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            [Field::SeatsPurchased, Field::Nps, Field::Arr]
        );
        assert!(FieldSet::NONE.is_empty() && FieldSet::ALL.iter().count() == 12);
        let mut a = AttributeSet::NONE;
        a.insert(Attribute::RenewalConfidence);
        assert!(a.contains(Attribute::RenewalConfidence) && !a.contains(Attribute::Name));
    }

    #[test]
    fn listed_names_are_kept_once_and_compare_by_content() {
        let first = Names::listed(&["x".to_string(), "y".to_string()]);
        let again = Names::listed(&["x", "y"]);
        let (Names::Only(a), Names::Only(b)) = (first, again) else {
            panic!("{first:?}")
        };
        assert!(std::ptr::eq(a, b), "the same list is not kept twice");
        assert_eq!(first, Names::Only(&["x", "y"]));
        assert_ne!(first, Names::All);
        assert!(!Names::NONE.contains("x"));
    }

    #[test]
    fn everything_reads_everything() {
        let e = Projection::EVERYTHING;
        assert_eq!(e.current.fields, FieldSet::ALL);
        assert_eq!(e.attributes.iter().count(), 8);
        assert!(e.labels.contains("any") && e.history_reads.metrics.contains("any"));
        assert_eq!((e.history, e.health), (Window::All, Window::All));
    }

    #[test]
    fn field_names_are_the_wit_names() {
        assert_eq!(Field::TicketsHighSeverity.name(), "tickets-high-severity");
        assert_eq!(Field::ALL.map(Field::name).len(), 12);
    }
}
