//! The way back on the host: results whose factor names come once per call
//! (a table, or columns) turned into the host's own `Health`, names and all,
//! which is what the runtime hands the store today. A store that kept the
//! table would save the copies; this measures the conservative case.

use super::harness::probe::exports::vitals::layout_probe::outputs::{HealthColumns, IndexedBatch};
use vitals::runtime::types::{Band, Factor, Health, PluginError};

/// Results of a call, one per account, in order.
pub type Results = Vec<Result<Health, PluginError>>;

/// Indexed results with their names.
pub fn indexed(batch: IndexedBatch) -> Results {
    let table = batch.factors;
    batch
        .results
        .into_iter()
        .map(|r| {
            r.map(|h| Health {
                score: h.score,
                band: h.band,
                factors: h
                    .factors
                    .into_iter()
                    .map(|f| {
                        let n = &table[f.factor as usize];
                        Factor {
                            name: n.name.as_str().into(),
                            group: n.group.as_str().into(),
                            value: f.value,
                            weight: f.weight,
                            points: f.points,
                        }
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Columnar results as rows.
pub fn columns(c: HealthColumns) -> Results {
    let mut errors = c.errors.into_iter().peekable();
    (0..c.score.len())
        .map(|i| {
            if errors.peek().is_some_and(|(at, _)| *at as usize == i) {
                return Err(errors.next().expect("peeked").1);
            }
            let band = match c.band[i] {
                0 => Band::Green,
                1 => Band::Yellow,
                _ => Band::Red,
            };
            let range = c.factor_start[i] as usize..c.factor_start[i + 1] as usize;
            Ok(Health {
                score: c.score[i],
                band,
                factors: range
                    .map(|k| {
                        let n = &c.factors[c.factor_id[k] as usize];
                        let v = c.factor_value[k];
                        Factor {
                            name: n.name.as_str().into(),
                            group: n.group.as_str().into(),
                            value: (!v.is_nan()).then_some(v),
                            weight: c.factor_weight[k],
                            points: c.factor_points[k],
                        }
                    })
                    .collect(),
            })
        })
        .collect()
}
