//! The author's results into the contract's result tables: factor, segment
//! and driver names are interned into the call's `names` and sent by index,
//! so each distinct name crosses the boundary once per call.

use crate::types::{Forecast, Health, PluginError, Propensity, Segment};
use crate::wire;
use std::collections::HashMap;

/// One result per account, in input order.
pub type Results<T> = Vec<Result<T, PluginError>>;

/// A call's table of names; a name's index is its place in the table.
///
/// Accounts mostly name the same factors in the same order, so the n-th
/// name of an account is first compared with the n-th name of the account
/// before (a short string comparison) and hashed only when it differs:
/// hashing two dozen names an account cost more than the rest of the
/// way back.
#[derive(Default)]
struct NameTable {
    names: Vec<String>,
    index: HashMap<String, u32>,
    /// The indices the previous account's names got, in order.
    previous: Vec<u32>,
    /// Those of this account so far.
    current: Vec<u32>,
}

impl NameTable {
    fn intern(&mut self, name: String) -> u32 {
        let guess = self.previous.get(self.current.len()).copied();
        let i = match guess {
            Some(g) if self.names[g as usize] == name => g,
            _ => self.lookup(name),
        };
        self.current.push(i);
        i
    }

    fn lookup(&mut self, name: String) -> u32 {
        if let Some(&i) = self.index.get(&name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.clone());
        self.index.insert(name, i);
        i
    }

    /// The next names are the next account's.
    fn next_account(&mut self) {
        std::mem::swap(&mut self.previous, &mut self.current);
        self.current.clear();
    }
}

/// Each result through `f`, errors as the contract's.
fn each<T, W>(results: Results<T>, mut f: impl FnMut(T) -> W) -> Vec<Result<W, wire::PluginError>> {
    results
        .into_iter()
        .map(|r| r.map(&mut f).map_err(wire::PluginError::from))
        .collect()
}

/// Health scores with their factors' names and groups in one table.
pub fn health(results: Results<Health>) -> wire::HealthResults {
    let mut table = NameTable::default();
    let results = each(results, |h| {
        table.next_account();
        wire::Health {
            score: h.score,
            band: h.band.into(),
            factors: h
                .factors
                .into_iter()
                .map(|f| wire::Factor {
                    name: table.intern(f.name),
                    group: table.intern(f.group),
                    value: f.value,
                    weight: f.weight,
                    points: f.points,
                })
                .collect(),
        }
    });
    wire::HealthResults {
        names: table.names,
        results,
    }
}

/// Segments with their names in one table.
pub fn segments(results: Results<Vec<Segment>>) -> wire::SegmentResults {
    let mut table = NameTable::default();
    let results = each(results, |segments| {
        table.next_account();
        segments
            .into_iter()
            .map(|s| wire::Segment {
                name: table.intern(s.name),
                reason: s.reason,
            })
            .collect()
    });
    wire::SegmentResults {
        names: table.names,
        results,
    }
}

/// Propensities with their drivers' names in one table.
pub fn propensities(results: Results<Propensity>) -> wire::PropensityResults {
    let mut table = NameTable::default();
    let results = each(results, |p| {
        table.next_account();
        wire::Propensity {
            score: p.score,
            drivers: p
                .drivers
                .into_iter()
                .map(|d| wire::Driver {
                    name: table.intern(d.name),
                    value: d.value,
                    contribution: d.contribution,
                })
                .collect(),
        }
    });
    wire::PropensityResults {
        names: table.names,
        results,
    }
}

/// Forecasts (no names to share).
pub fn forecasts(results: Results<Forecast>) -> wire::ForecastResults {
    wire::ForecastResults {
        results: each(results, |f| wire::Forecast {
            renewal_probability: f.renewal_probability,
            confidence: f.confidence.into(),
            basis: f.basis,
            renewal_date: f.renewal_date,
            expected_renewal_arr: f.expected_renewal_arr,
            expected_expansion_arr: f.expected_expansion_arr,
            expected_contraction_arr: f.expected_contraction_arr,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Band, Driver, Factor};

    fn factor(name: &str, group: &str) -> Factor {
        Factor {
            name: name.into(),
            group: group.into(),
            value: Some(1.0),
            weight: 0.5,
            points: 10.0,
        }
    }

    #[test]
    fn factor_names_and_groups_share_one_table() {
        let h = |factors| Health {
            score: 20.0,
            band: Band::Red,
            factors,
        };
        let out = health(vec![
            Ok(h(vec![
                factor("nps", "feedback"),
                factor("csat", "feedback"),
            ])),
            Err(PluginError::MissingData("no data".into())),
            Ok(h(vec![factor("csat", "feedback")])),
        ]);
        assert_eq!(out.names, ["nps", "feedback", "csat"]);
        let first = out.results[0].as_ref().unwrap();
        assert_eq!((first.factors[1].name, first.factors[1].group), (2, 1));
        assert_eq!(out.results[2].as_ref().unwrap().factors[0].name, 2);
        assert_eq!(
            out.results[1],
            Err(wire::PluginError::MissingData("no data".into()))
        );
    }

    #[test]
    fn a_name_in_another_place_than_before_still_finds_its_index() {
        let h = |names: &[(&str, &str)]| Health {
            score: 0.0,
            band: Band::Red,
            factors: names.iter().map(|(n, g)| factor(n, g)).collect(),
        };
        let out = health(vec![
            Ok(h(&[("a", "usage"), ("b", "support")])),
            Ok(h(&[("b", "support"), ("a", "usage"), ("c", "usage")])),
            Ok(h(&[("a", "usage")])),
        ]);
        assert_eq!(out.names, ["a", "usage", "b", "support", "c"]);
        let ids = |r: &Result<wire::Health, wire::PluginError>| -> Vec<(u32, u32)> {
            r.as_ref()
                .unwrap()
                .factors
                .iter()
                .map(|f| (f.name, f.group))
                .collect()
        };
        assert_eq!(ids(&out.results[0]), [(0, 1), (2, 3)]);
        assert_eq!(ids(&out.results[1]), [(2, 3), (0, 1), (4, 1)]);
        assert_eq!(ids(&out.results[2]), [(0, 1)]);
    }

    #[test]
    fn segment_and_driver_names_are_indexed() {
        let s = |name: &str| Segment {
            name: name.into(),
            reason: "why".into(),
        };
        let out = segments(vec![
            Ok(vec![s("at-risk"), s("adoption")]),
            Ok(vec![s("at-risk")]),
        ]);
        assert_eq!(out.names, ["at-risk", "adoption"]);
        assert_eq!(out.results[1].as_ref().unwrap()[0].name, 0);
        let p = Propensity {
            score: 0.5,
            drivers: vec![Driver {
                name: "growth".into(),
                value: 0.1,
                contribution: 0.5,
            }],
        };
        let out = propensities(vec![Ok(p.clone()), Ok(p)]);
        assert_eq!(out.names, ["growth"]);
        assert_eq!(out.results[1].as_ref().unwrap().drivers[0].name, 0);
    }
}
