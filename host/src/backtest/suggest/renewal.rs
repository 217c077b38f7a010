//! (b) `renewal-forecast` probabilities per band from what happened: the
//! share of training accounts in each health band at the cut-off that did
//! not churn within the horizon, with add-one smoothing.

use super::ObservedBand;
use super::scorecard::round_to;
use crate::runtime::types::{Account, Band, Confidence};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A band needs this many training accounts for its rate to be suggested.
pub(super) const MIN_BAND_ACCOUNTS: usize = 20;
/// The configuration keys of `renewal-forecast` set from observed rates.
const BANDS: [&str; 4] = ["green", "yellow", "red", "unscored"];

/// A configuration value, else the default the plugin's schema declares.
pub(super) fn setting(config: &Value, schema: &str, key: &str) -> Option<Value> {
    config.get(key).cloned().or_else(|| {
        serde_json::from_str::<Value>(schema)
            .ok()?
            .get("properties")?
            .get(key)?
            .get("default")
            .cloned()
    })
}

/// Accounts and churns per band.
#[derive(Debug, Default)]
pub(super) struct BandTally(BTreeMap<&'static str, (usize, usize)>);

impl BandTally {
    /// Counts an account by the band the forecaster would read: its health
    /// at the cut-off, else `unscored`. Committed and omitted renewals are
    /// not counted: the forecaster does not use a band for them.
    pub fn add(&mut self, account: &Account, cutoff: i32, churned: bool) {
        if matches!(
            account.attributes.renewal_confidence,
            Some(Confidence::Commit | Confidence::Omitted)
        ) {
            return;
        }
        let band = match account.health.last().filter(|h| h.as_of == cutoff) {
            Some(h) => match h.band {
                Band::Green => "green",
                Band::Yellow => "yellow",
                Band::Red => "red",
            },
            None => "unscored",
        };
        let e = self.0.entry(band).or_default();
        e.0 += 1;
        e.1 += usize::from(churned);
    }
}

/// The suggested configuration (the current one with the band
/// probabilities replaced) and what each band showed.
pub(super) fn probabilities(
    current: &Value,
    schema: &str,
    tally: &BandTally,
) -> (Value, Vec<ObservedBand>) {
    let mut config = match current.clone() {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let mut bands = Vec::new();
    for band in BANDS {
        let now = setting(current, schema, band)
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let (accounts, churned) = tally.0.get(band).copied().unwrap_or((0, 0));
        let suggested = if accounts >= MIN_BAND_ACCOUNTS {
            round_to((accounts - churned + 1) as f64 / (accounts + 2) as f64, 3)
        } else {
            now
        };
        config.insert(band.into(), json!(suggested));
        bands.push(ObservedBand {
            band: band.into(),
            accounts,
            churned,
            suggested,
            current: now,
        });
    }
    (Value::Object(config), bands)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::{Attributes, HealthPoint, Snapshot};

    fn account(band: Option<Band>, at: i32, confidence: Option<Confidence>) -> Account {
        Account {
            id: "a".into(),
            attributes: Attributes {
                renewal_confidence: confidence,
                ..Attributes::empty()
            },
            current: Snapshot::empty(at),
            history: vec![],
            health: band
                .map(|band| HealthPoint {
                    as_of: at,
                    score: 50.0,
                    band,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn observed_rates_by_hand() {
        let mut tally = BandTally::default();
        // Green: 98 accounts, 8 churned: (90 + 1) / 100 = 0.91.
        for i in 0..98 {
            tally.add(&account(Some(Band::Green), 100, None), 100, i < 8);
        }
        // Red: 28 accounts, 20 churned: (8 + 1) / 30 = 0.30.
        for i in 0..28 {
            tally.add(&account(Some(Band::Red), 100, None), 100, i < 20);
        }
        // Yellow: too few to say; a health score from an earlier day is no
        // band at the cut-off (unscored); committed renewals are not counted.
        for _ in 0..5 {
            tally.add(&account(Some(Band::Yellow), 100, None), 100, false);
            tally.add(&account(Some(Band::Green), 90, None), 100, true);
            tally.add(
                &account(Some(Band::Red), 100, Some(Confidence::Commit)),
                100,
                true,
            );
        }
        let schema = r#"{"properties": {"green": {"default": 0.95}, "yellow": {"default": 0.7}, "red": {"default": 0.2}, "unscored": {"default": 0.7}}}"#;
        let current = json!({"red": 0.25, "red_policy": "omit"});
        let (config, bands) = probabilities(&current, schema, &tally);
        assert_eq!(config["green"], 0.91);
        assert_eq!(config["red"], 0.3);
        assert_eq!(config["yellow"], 0.7, "kept: 5 accounts");
        assert_eq!(config["unscored"], 0.7, "kept: 5 accounts");
        assert_eq!(config["red_policy"], "omit", "other settings kept");
        let red = bands.iter().find(|b| b.band == "red").unwrap();
        assert_eq!((red.accounts, red.churned, red.current), (28, 20, 0.25));
        let unscored = bands.iter().find(|b| b.band == "unscored").unwrap();
        assert_eq!((unscored.accounts, unscored.churned), (5, 5));
    }
}
