//! A native test harness: build fixture accounts and call a plugin through
//! the same code its component exports, with plain `cargo test`.
//!
//! Each call does what the host and the component do: the accounts are
//! encoded into a contract 0.2 batch holding only what the plugin's
//! projection reads for the configuration ([`projected`] shows what that
//! leaves of an account), the component's decode and dispatch run on it, and
//! its result tables are read back into the author's types. A test that
//! passes here therefore also proves the plugin asks for what it reads.

mod encode;
mod lift;

pub use encode::projected;

use crate::dispatch;
use crate::kinds::{Forecaster, HealthModel, Plugin, PropensityModel, Segmenter};
use crate::log::Level;
use crate::{
    Account, Attributes, Band, Confidence, Date, Forecast, Health, HealthPoint, Label, Metric,
    PluginError, Propensity, Segment, Snapshot, wire,
};
use std::cell::RefCell;

/// Results of one batch: the outer error is a configuration error.
pub type Batch<T> = Result<Vec<Result<T, PluginError>>, PluginError>;

thread_local! {
    static LOGS: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn capture_log(level: Level, message: &str) {
    LOGS.with(|l| l.borrow_mut().push((level, message.to_string())));
}

/// Takes the lines logged on this thread since the last call (native only).
pub fn take_logs() -> Vec<(Level, String)> {
    LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

/// An empty snapshot at `as_of`.
pub fn empty_snapshot(as_of: Date) -> Snapshot {
    Snapshot::empty(as_of)
}

/// Builds a snapshot fluently (used by [`AccountBuilder::history`]).
#[derive(Debug, Clone)]
pub struct SnapshotBuilder(Snapshot);

impl SnapshotBuilder {
    /// Seats purchased and active.
    pub fn seats(mut self, purchased: u32, active: u32) -> Self {
        self.0.seats_purchased = Some(purchased);
        self.0.seats_active = Some(active);
        self
    }
    /// Logins in the trailing 30 days.
    pub fn logins(mut self, n: u32) -> Self {
        self.0.logins = Some(n);
        self
    }
    /// Features available and used.
    pub fn features(mut self, available: u32, used: u32) -> Self {
        self.0.features_available = Some(available);
        self.0.features_used = Some(used);
        self
    }
    /// Open and high-severity tickets.
    pub fn tickets(mut self, open: u32, high: u32) -> Self {
        self.0.tickets_open = Some(open);
        self.0.tickets_high_severity = Some(high);
        self
    }
    /// NPS answer 0-10.
    pub fn nps(mut self, nps: u8) -> Self {
        self.0.nps = Some(nps);
        self
    }
    /// CSAT 0-100.
    pub fn csat(mut self, csat: f64) -> Self {
        self.0.csat = Some(csat);
        self
    }
    /// ARR at this instant.
    pub fn arr(mut self, arr: f64) -> Self {
        self.0.arr = Some(arr);
        self
    }
    /// Whether the champion left.
    pub fn champion_left(mut self, left: bool) -> Self {
        self.0.champion_left = Some(left);
        self
    }
    /// Late payments in the trailing 12 months.
    pub fn late_payments(mut self, n: u32) -> Self {
        self.0.late_payments = Some(n);
        self
    }
    /// A free-form metric.
    pub fn metric(mut self, name: &str, value: f64) -> Self {
        self.0.metrics.push(Metric {
            name: name.into(),
            value,
        });
        self
    }
}

/// Builds a fixture account fluently. Setters without a prefix act on the
/// current snapshot; [`AccountBuilder::history`] adds earlier ones.
#[derive(Debug, Clone)]
pub struct AccountBuilder {
    account: Account,
}

impl AccountBuilder {
    /// A blank account with the given id, current snapshot as of 2026-01-01.
    pub fn new(id: &str) -> Self {
        AccountBuilder {
            account: Account {
                id: id.to_string(),
                attributes: Attributes::default(),
                current: empty_snapshot(crate::date::ymd(2026, 1, 1)),
                history: Vec::new(),
                health: Vec::new(),
            },
        }
    }
    fn current(mut self, f: impl FnOnce(SnapshotBuilder) -> SnapshotBuilder) -> Self {
        let snap = std::mem::replace(&mut self.account.current, empty_snapshot(0));
        self.account.current = f(SnapshotBuilder(snap)).0;
        self
    }
    /// The instant of the current snapshot.
    pub fn as_of(mut self, d: Date) -> Self {
        self.account.current.as_of = d;
        self
    }
    /// Start date (tenure).
    pub fn start(mut self, d: Date) -> Self {
        self.account.attributes.start_date = Some(d);
        self
    }
    /// Renewal date.
    pub fn renewal(mut self, d: Date) -> Self {
        self.account.attributes.renewal_date = Some(d);
        self
    }
    /// Contract ARR.
    pub fn contract_arr(mut self, arr: f64) -> Self {
        self.account.attributes.contract_arr = Some(arr);
        self
    }
    /// Renewal confidence tier.
    pub fn confidence(mut self, c: Confidence) -> Self {
        self.account.attributes.renewal_confidence = Some(c);
        self
    }
    /// Tier (smb, enterprise, ...).
    pub fn tier(mut self, tier: &str) -> Self {
        self.account.attributes.tier = Some(tier.into());
        self
    }
    /// A free-form text attribute.
    pub fn label(mut self, name: &str, value: &str) -> Self {
        self.account.attributes.labels.push(Label {
            name: name.into(),
            value: value.into(),
        });
        self
    }
    /// Seats purchased and active now.
    pub fn seats(self, purchased: u32, active: u32) -> Self {
        self.current(|s| s.seats(purchased, active))
    }
    /// Logins now.
    pub fn logins(self, n: u32) -> Self {
        self.current(|s| s.logins(n))
    }
    /// Features available and used now.
    pub fn features(self, available: u32, used: u32) -> Self {
        self.current(|s| s.features(available, used))
    }
    /// Open and high-severity tickets now.
    pub fn tickets(self, open: u32, high: u32) -> Self {
        self.current(|s| s.tickets(open, high))
    }
    /// NPS now.
    pub fn nps(self, nps: u8) -> Self {
        self.current(|s| s.nps(nps))
    }
    /// CSAT now.
    pub fn csat(self, csat: f64) -> Self {
        self.current(|s| s.csat(csat))
    }
    /// ARR now.
    pub fn arr(self, arr: f64) -> Self {
        self.current(|s| s.arr(arr))
    }
    /// Champion left now.
    pub fn champion_left(self, left: bool) -> Self {
        self.current(|s| s.champion_left(left))
    }
    /// Late payments now.
    pub fn late_payments(self, n: u32) -> Self {
        self.current(|s| s.late_payments(n))
    }
    /// A free-form metric now.
    pub fn metric(self, name: &str, value: f64) -> Self {
        self.current(|s| s.metric(name, value))
    }
    /// Adds an earlier snapshot at `as_of`, built by `f`; history stays sorted.
    pub fn history(
        mut self,
        as_of: Date,
        f: impl FnOnce(SnapshotBuilder) -> SnapshotBuilder,
    ) -> Self {
        self.account
            .history
            .push(f(SnapshotBuilder(empty_snapshot(as_of))).0);
        self.account.history.sort_by_key(|s| s.as_of);
        self
    }
    /// Adds a health score from the tenant's health model; kept sorted.
    pub fn health_point(mut self, as_of: Date, score: f64, band: Band) -> Self {
        self.account.health.push(HealthPoint { as_of, score, band });
        self.account.health.sort_by_key(|h| h.as_of);
        self
    }
    /// The account.
    pub fn build(self) -> Account {
        self.account
    }
}

/// The batch the host sends plugin `M` under `config`: the configuration's
/// error (as the component's `project` answers), else the accounts encoded
/// with its projection.
pub fn batch_for<M: Plugin>(
    config: &str,
    accounts: &[Account],
) -> Result<wire::Batch, PluginError> {
    let projection = dispatch::project::<M>(config)?;
    Ok(encode::batch(accounts, &projection))
}

/// Calls a health model on a batch, exactly as the host calls its component.
pub fn score_health<M: HealthModel>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Health> {
    let batch = batch_for::<M>(config, accounts)?;
    let out = dispatch::health_score::<M>(config, as_of, &batch)?;
    Ok(lift::health(out))
}

/// Calls a segmenter on a batch, exactly as the host calls its component.
pub fn assign_segments<M: Segmenter>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Vec<Segment>> {
    let batch = batch_for::<M>(config, accounts)?;
    let out = dispatch::segmenter_assign::<M>(config, as_of, &batch)?;
    Ok(lift::segments(out))
}

/// Calls a propensity model on a batch, exactly as the host calls its component.
pub fn score_propensity<M: PropensityModel>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Propensity> {
    let batch = batch_for::<M>(config, accounts)?;
    let out = dispatch::propensity_score::<M>(config, as_of, &batch)?;
    Ok(lift::propensities(out))
}

/// Calls a forecaster on a batch, exactly as the host calls its component.
pub fn forecast<M: Forecaster>(config: &str, as_of: Date, accounts: &[Account]) -> Batch<Forecast> {
    let batch = batch_for::<M>(config, accounts)?;
    let out = dispatch::forecaster_forecast::<M>(config, as_of, &batch)?;
    Ok(lift::forecasts(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// Reports what it sees: nps and logins as factors.
    struct Sees;

    #[derive(serde::Deserialize, schemars::JsonSchema, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Config {
        logins_too: bool,
    }

    impl Plugin for Sees {
        type Config = Config;
        const NAME: &'static str = "sees";
        const VERSION: &'static str = "1.0.0";
        const DESCRIPTION: &'static str = "Reports what it sees.";
        const READS: Projection = Projection::current(&[Field::Nps]);

        fn project(config: &Config) -> Projection {
            let mut p = Self::READS;
            if config.logins_too {
                p.current.fields.insert(Field::Logins);
            }
            p
        }
    }

    impl HealthModel for Sees {
        fn score(_: &Config, _: &Context, account: &Account) -> Result<Health, PluginError> {
            let seen = |name: &str, value: Option<f64>| Factor {
                name: name.into(),
                group: "seen".into(),
                value,
                weight: 0.0,
                points: 0.0,
            };
            let c = &account.current;
            Ok(Health {
                score: 0.0,
                band: Band::Red,
                factors: vec![
                    seen("nps", c.nps.map(f64::from)),
                    seen("logins", c.logins.map(f64::from)),
                ],
            })
        }
    }

    fn seen(config: &str) -> Vec<Option<f64>> {
        let a = AccountBuilder::new("a").nps(9).logins(40).build();
        let out = score_health::<Sees>(config, crate::date::ymd(2026, 1, 1), &[a]).unwrap();
        let h = out[0].as_ref().unwrap();
        h.factors.iter().map(|f| f.value).collect()
    }

    #[test]
    fn a_plugin_sees_only_what_its_projection_reads() {
        assert_eq!(seen("{}"), [Some(9.0), None]);
        assert_eq!(seen(r#"{"logins_too": true}"#), [Some(9.0), Some(40.0)]);
    }

    #[test]
    fn a_bad_configuration_fails_the_batch() {
        let err = score_health::<Sees>(r#"{"logins": 1}"#, 0, &[]).unwrap_err();
        assert!(matches!(err, PluginError::InvalidConfig(_)), "{err:?}");
    }
}
