//! Projection: what a plugin reads, so that the host sends only that. In the
//! proposal a plugin answers `reads(config)`; here the bench derives
//! `weighted-health`'s answer from its configuration the way the plugin would
//! (the built-in measures and the fields each reads are the ones its schema
//! marks with `x-vitals-built-in`).

use vitals::runtime::types::{Account, Attributes, Snapshot};

/// The twelve built-in snapshot fields, in WIT order.
pub const FIELDS: [&str; 12] = [
    "seats-purchased",
    "seats-active",
    "logins",
    "features-used",
    "features-available",
    "tickets-open",
    "tickets-high-severity",
    "nps",
    "csat",
    "arr",
    "champion-left",
    "late-payments",
];

/// The eight attribute fields, in WIT order.
pub const ATTRIBUTES: [&str; 8] = [
    "name",
    "owner",
    "tier",
    "plan",
    "start-date",
    "renewal-date",
    "contract-arr",
    "renewal-confidence",
];

/// What is read of some snapshots.
#[derive(Debug, Clone)]
pub struct Reads {
    /// Built-in fields, by index into [`FIELDS`].
    pub fields: [bool; 12],
    /// Metrics by name; `None` = every metric.
    pub metrics: Option<Vec<String>>,
}

impl Reads {
    fn all() -> Self {
        Reads {
            fields: [true; 12],
            metrics: None,
        }
    }

    fn none() -> Self {
        Reads {
            fields: [false; 12],
            metrics: Some(Vec::new()),
        }
    }

    fn field(&mut self, name: &str) {
        let i = FIELDS
            .iter()
            .position(|f| *f == name)
            .expect("a built-in field");
        self.fields[i] = true;
    }

    fn metric(&mut self, name: &str) {
        if let Some(m) = self.metrics.as_mut()
            && !m.iter().any(|n| n == name)
        {
            m.push(name.to_string());
        }
    }

    /// Whether metric `name` is read.
    pub fn wants_metric(&self, name: &str) -> bool {
        self.metrics
            .as_ref()
            .is_none_or(|m| m.iter().any(|n| n == name))
    }
}

/// What a plugin reads of each account.
#[derive(Debug, Clone)]
pub struct Projection {
    /// Attributes, by index into [`ATTRIBUTES`].
    pub attributes: [bool; 8],
    /// Labels by name; `None` = every label.
    pub labels: Option<Vec<String>>,
    /// Of the current snapshot.
    pub current: Reads,
    /// Of earlier snapshots.
    pub history: Reads,
    /// History window in days before the current snapshot (with the latest
    /// snapshot before the window, so "the value N days ago" always has its
    /// base); `None` = every snapshot the host read.
    pub history_days: Option<i32>,
    /// The account's health points.
    pub health: bool,
}

impl Projection {
    /// Everything: what 0.1 sends.
    pub fn full() -> Self {
        Projection {
            attributes: [true; 8],
            labels: None,
            current: Reads::all(),
            history: Reads::all(),
            history_days: None,
            health: true,
        }
    }

    /// What `weighted-health` reads under `config`.
    pub fn weighted_health(config: &weighted_health::Config) -> Self {
        let mut p = Projection {
            attributes: [false; 8],
            labels: Some(Vec::new()),
            current: Reads::none(),
            history: Reads::none(),
            history_days: Some(0),
            health: false,
        };
        let attribute = |p: &mut Projection, name: &str| {
            let i = ATTRIBUTES
                .iter()
                .position(|a| *a == name)
                .expect("attribute");
            p.attributes[i] = true;
        };
        // Tier overrides and the onboarding rule are always consulted.
        attribute(&mut p, "tier");
        attribute(&mut p, "start-date");
        p.current.metric(&config.onboarding_metric);
        for rule in &config.measures {
            match rule.measure.as_str() {
                "licence-utilisation" => {
                    p.current.field("seats-purchased");
                    p.current.field("seats-active");
                }
                "logins-per-seat" => {
                    p.current.field("logins");
                    p.current.field("seats-active");
                    p.current.field("seats-purchased");
                }
                "feature-breadth" => {
                    p.current.field("features-used");
                    p.current.field("features-available");
                }
                "tenure-days" => attribute(&mut p, "start-date"),
                "arr-change-90d" | "logins-change-90d" => {
                    let field = if rule.measure.starts_with("arr") {
                        "arr"
                    } else {
                        "logins"
                    };
                    p.current.field(field);
                    p.history.field(field);
                    p.history_days = Some(p.history_days.unwrap_or(0).max(90));
                }
                built_in if FIELDS.contains(&built_in) => p.current.field(built_in),
                metric => p.current.metric(metric),
            }
        }
        p
    }

    /// The history snapshots this projection sends, oldest first.
    pub fn window<'a>(&self, account: &'a Account) -> &'a [Snapshot] {
        let Some(days) = self.history_days else {
            return &account.history;
        };
        if !self.history.fields.iter().any(|f| *f)
            && self.history.metrics.as_ref().is_some_and(|m| m.is_empty())
        {
            return &[];
        }
        let cutoff = account.current.as_of - days;
        let inside = account.history.partition_point(|s| s.as_of < cutoff);
        &account.history[inside.saturating_sub(1)..]
    }

    /// The account with only what this projection sends (the 0.1 records,
    /// blanks where a field is not read): what a 0.1 component would get
    /// from a host that projects.
    pub fn apply(&self, account: &Account) -> Account {
        let snap = |s: &Snapshot, r: &Reads| {
            let f = |i: usize| r.fields[i];
            Snapshot {
                as_of: s.as_of,
                seats_purchased: s.seats_purchased.filter(|_| f(0)),
                seats_active: s.seats_active.filter(|_| f(1)),
                logins: s.logins.filter(|_| f(2)),
                features_used: s.features_used.filter(|_| f(3)),
                features_available: s.features_available.filter(|_| f(4)),
                tickets_open: s.tickets_open.filter(|_| f(5)),
                tickets_high_severity: s.tickets_high_severity.filter(|_| f(6)),
                nps: s.nps.filter(|_| f(7)),
                csat: s.csat.filter(|_| f(8)),
                arr: s.arr.filter(|_| f(9)),
                champion_left: s.champion_left.filter(|_| f(10)),
                late_payments: s.late_payments.filter(|_| f(11)),
                metrics: s
                    .metrics
                    .iter()
                    .filter(|m| r.wants_metric(&m.name))
                    .cloned()
                    .collect(),
            }
        };
        let at = &account.attributes;
        let a = |i: usize| self.attributes[i];
        Account {
            id: account.id.clone(),
            attributes: Attributes {
                name: at.name.clone().filter(|_| a(0)),
                owner: at.owner.clone().filter(|_| a(1)),
                tier: at.tier.clone().filter(|_| a(2)),
                plan: at.plan.clone().filter(|_| a(3)),
                start_date: at.start_date.filter(|_| a(4)),
                renewal_date: at.renewal_date.filter(|_| a(5)),
                contract_arr: at.contract_arr.filter(|_| a(6)),
                renewal_confidence: at.renewal_confidence.filter(|_| a(7)),
                labels: at
                    .labels
                    .iter()
                    .filter(|l| self.labels.as_ref().is_none_or(|n| n.contains(&l.name)))
                    .cloned()
                    .collect(),
            },
            current: snap(&account.current, &self.current),
            history: self
                .window(account)
                .iter()
                .map(|s| snap(s, &self.history))
                .collect(),
            health: if self.health {
                account.health.clone()
            } else {
                vec![]
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(history_days_ago: &[i32]) -> Account {
        let now = 20_000;
        Account {
            id: "a".into(),
            attributes: Attributes::empty(),
            current: Snapshot::empty(now),
            history: history_days_ago
                .iter()
                .map(|d| Snapshot::empty(now - d))
                .collect(),
            health: vec![],
        }
    }

    fn days(snapshots: &[Snapshot]) -> Vec<i32> {
        snapshots.iter().map(|s| 20_000 - s.as_of).collect()
    }

    #[test]
    fn a_window_in_days_keeps_the_latest_snapshot_before_it() {
        let a = account(&[273, 182, 91, 30]);
        let mut p = Projection::weighted_health(&weighted_health::Config::default());
        // 90 days: the snapshot 30 days ago, and 91 days ago as the base.
        assert_eq!(days(p.window(&a)), [91, 30]);
        p.history_days = Some(200);
        assert_eq!(days(p.window(&a)), [273, 182, 91, 30]);
        p.history_days = Some(91);
        assert_eq!(days(p.window(&a)), [182, 91, 30]);
        p.history_days = None;
        assert_eq!(days(p.window(&a)).len(), 4);
    }

    #[test]
    fn weighted_health_reads_every_field_now_and_only_arr_before() {
        let p = Projection::weighted_health(&weighted_health::Config::default());
        assert!(p.current.fields.iter().all(|f| *f));
        let history: Vec<&str> = FIELDS
            .iter()
            .zip(p.history.fields)
            .filter(|(_, read)| *read)
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(history, ["arr"]);
        assert_eq!(p.history_days, Some(90));
        assert_eq!(
            p.current.metrics.as_deref(),
            Some(
                &[
                    "onboarding-progress".to_string(),
                    "webinars-attended".into(),
                    "community-posts".into()
                ][..]
            )
        );
        let attributes: Vec<&str> = ATTRIBUTES
            .iter()
            .zip(p.attributes)
            .filter(|(_, read)| *read)
            .map(|(a, _)| *a)
            .collect();
        assert_eq!(attributes, ["tier", "start-date"]);
    }

    #[test]
    fn a_projected_account_blanks_what_is_not_read() {
        let mut a = account(&[91, 30]);
        a.attributes.name = Some("Acme".into());
        a.current.nps = Some(9);
        a.current.metrics = vec![
            vitals::runtime::types::Metric {
                name: "webinars-attended".into(),
                value: 2.0,
            },
            vitals::runtime::types::Metric {
                name: "unread".into(),
                value: 1.0,
            },
        ];
        a.history[0].nps = Some(3);
        a.history[0].arr = Some(10.0);
        let p = Projection::weighted_health(&weighted_health::Config::default());
        let out = p.apply(&a);
        assert_eq!(out.attributes.name, None);
        assert_eq!(out.current.nps, Some(9));
        assert_eq!(out.current.metrics.len(), 1);
        assert_eq!(days(&out.history), [91, 30]);
        assert_eq!((out.history[0].nps, out.history[0].arr), (None, Some(10.0)));
    }
}
