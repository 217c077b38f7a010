//! The way back: health results with factor names as strings (0.1), as
//! indices into a table sent once per call, or as columns. The SDK interns
//! each factor's (name, group) as the author returns it.

use crate::bindings::exports::vitals::layout_probe::outputs::{
    Factor as IndexedFactor, FactorName, HealthColumns, IndexedBatch, IndexedHealth,
};
use crate::score::{FactorRef, HealthRef};
use vitals_plugin_sdk_v01::{Band, Health, PluginError};

/// A call's table of (name, group) pairs.
#[derive(Default)]
pub struct FactorTable<'c> {
    entries: Vec<(&'c str, &'c str)>,
}

impl<'c> FactorTable<'c> {
    /// The index of (name, group), added when new. Factors come from the
    /// configuration, so the table stays as short as its measure list.
    pub fn intern(&mut self, name: &'c str, group: &'c str) -> u32 {
        if let Some(i) = self
            .entries
            .iter()
            .position(|(n, g)| *n == name && *g == group)
        {
            return i as u32;
        }
        self.entries.push((name, group));
        (self.entries.len() - 1) as u32
    }

    /// The table as the WIT returns it.
    pub fn names(&self) -> Vec<FactorName> {
        self.entries
            .iter()
            .map(|(n, g)| FactorName {
                name: n.to_string(),
                group: g.to_string(),
            })
            .collect()
    }
}

/// One result with its factors interned.
pub fn indexed<'c>(h: &HealthRef<'c>, table: &mut FactorTable<'c>) -> IndexedHealth {
    IndexedHealth {
        score: h.score,
        band: h.band,
        factors: h
            .factors
            .iter()
            .map(|f| IndexedFactor {
                factor: table.intern(f.name, f.group),
                value: f.value,
                weight: f.weight,
                points: f.points,
            })
            .collect(),
    }
}

/// The twelve default measures of weighted-health with their groups.
const TYPICAL: [(&str, &str); 12] = [
    ("licence-utilisation", "usage"),
    ("logins-per-seat", "usage"),
    ("feature-breadth", "usage"),
    ("webinars-attended", "engagement"),
    ("community-posts", "engagement"),
    ("tickets-open", "support"),
    ("tickets-high-severity", "support"),
    ("nps", "feedback"),
    ("csat", "feedback"),
    ("champion-left", "account-changes"),
    ("late-payments", "account-changes"),
    ("arr-change-90d", "account-changes"),
];

/// A typical result: twelve factors, one of them blank, varied by `i`.
fn typical(i: u32) -> HealthRef<'static> {
    let factors = TYPICAL
        .iter()
        .enumerate()
        .map(|(k, (name, group))| FactorRef {
            name,
            group,
            value: (k != 7).then(|| f64::from(i % 10 + k as u32)),
            weight: 1.0 / 11.0,
            points: f64::from((i + k as u32) % 9),
        })
        .collect();
    HealthRef {
        score: f64::from(i % 100),
        band: Band::Yellow,
        factors,
    }
}

/// `n` typical results, factor names as strings.
pub fn emit_strings(n: u32) -> Vec<Result<Health, PluginError>> {
    (0..n).map(|i| Ok(typical(i).owned())).collect()
}

/// `n` typical results, factor names once.
pub fn emit_indexed(n: u32) -> IndexedBatch {
    let mut table = FactorTable::default();
    let results = (0..n)
        .map(|i| Ok(indexed(&typical(i), &mut table)))
        .collect();
    IndexedBatch {
        factors: table.names(),
        results,
    }
}

/// Results as columns.
pub fn columns<'c>(
    results: impl Iterator<Item = Result<HealthRef<'c>, PluginError>>,
) -> HealthColumns {
    let mut table = FactorTable::default();
    let mut out = HealthColumns {
        factors: Vec::new(),
        score: Vec::new(),
        band: Vec::new(),
        factor_start: vec![0],
        factor_id: Vec::new(),
        factor_value: Vec::new(),
        factor_weight: Vec::new(),
        factor_points: Vec::new(),
        errors: Vec::new(),
    };
    for (i, r) in results.enumerate() {
        match r {
            Ok(h) => {
                out.score.push(h.score);
                out.band.push(h.band as u8);
                for f in &h.factors {
                    out.factor_id.push(table.intern(f.name, f.group));
                    out.factor_value.push(f.value.unwrap_or(f64::NAN));
                    out.factor_weight.push(f.weight);
                    out.factor_points.push(f.points);
                }
            }
            Err(e) => {
                out.score.push(f64::NAN);
                out.band.push(255);
                out.errors.push((i as u32, e));
            }
        }
        out.factor_start.push(out.factor_id.len() as u32);
    }
    out.factors = table.names();
    out
}

/// `n` typical results as columns.
pub fn emit_columns(n: u32) -> HealthColumns {
    columns((0..n).map(|i| Ok(typical(i))))
}
