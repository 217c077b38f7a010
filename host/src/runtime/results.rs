//! Contract 0.2's results and metadata, decoded into the contract's own
//! types: the same outputs a 0.1 plugin returns, so that results of both
//! versions are stored and shown alike. Names come once per call in a
//! table; an index outside it is that account's `bad-output`.

use super::bindings::v02::types as w;
use crate::contract::projection::{Attribute, Field, Names, Projection, Reads, Window};
use crate::contract::types::{
    self as c, Band, Confidence, Driver, Factor, Forecast, Health, Name, PluginKind,
    PluginMetadata, Propensity, Segment,
};
use crate::contract::{Output, PluginError};

/// One account's decoded result: the guest's own error, or the host's.
pub type Decoded = Result<Output, PluginError>;

impl From<w::PluginError> for c::PluginError {
    fn from(e: w::PluginError) -> Self {
        match e {
            w::PluginError::InvalidConfig(m) => c::PluginError::InvalidConfig(m),
            w::PluginError::MissingData(m) => c::PluginError::MissingData(m),
            w::PluginError::InvalidInput(m) => c::PluginError::InvalidInput(m),
            w::PluginError::Internal(m) => c::PluginError::Internal(m),
        }
    }
}

/// The guest's error as the host's typed error.
pub fn guest_error(e: w::PluginError) -> PluginError {
    PluginError::from(c::PluginError::from(e))
}

/// The call's name table, each name made once and shared by every result
/// that points at it.
fn table(names: Vec<String>) -> Vec<Name> {
    names.into_iter().map(Name::from).collect()
}

/// The name at `index` in the call's table, or a `bad-output` naming the field.
fn name(names: &[Name], index: u32, what: impl Fn() -> String) -> Result<Name, PluginError> {
    names.get(index as usize).cloned().ok_or_else(|| {
        PluginError::BadOutput(format!(
            "{} is name {index}, outside the call's {} names",
            what(),
            names.len()
        ))
    })
}

/// Refuses results whose names, once resolved, would be larger than the
/// output limit, before any is copied: a guest may point a thousand
/// factors at one long name in its table, which the host must not copy a
/// thousand times (`output_size` counts the same bytes afterwards).
fn within_budget(bytes: usize, limit_bytes: u64) -> Result<(), PluginError> {
    if bytes as u64 > limit_bytes {
        return Err(PluginError::OutputTooLarge {
            bytes: bytes as u64,
            limit_bytes,
        });
    }
    Ok(())
}

/// The length of the name at `index` (0 outside the table: that account
/// fails on its own).
fn len_of(names: &[Name], index: u32) -> usize {
    names.get(index as usize).map_or(0, |n| n.len())
}

/// Health scores, factors' names and groups resolved.
pub fn health(r: w::HealthResults, limit_bytes: u64) -> Result<Vec<Decoded>, PluginError> {
    let names = table(r.names);
    let bytes = r
        .results
        .iter()
        .flatten()
        .map(|h| {
            16 + h
                .factors
                .iter()
                .map(|f| 40 + len_of(&names, f.name) + len_of(&names, f.group))
                .sum::<usize>()
        })
        .sum();
    within_budget(bytes, limit_bytes)?;
    Ok(r.results
        .into_iter()
        .map(|r| {
            let h = r.map_err(guest_error)?;
            let factors = h
                .factors
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(Factor {
                        name: name(&names, f.name, || format!("factors[{i}].name"))?,
                        group: name(&names, f.group, || format!("factors[{i}].group"))?,
                        value: f.value,
                        weight: f.weight,
                        points: f.points,
                    })
                })
                .collect::<Result<_, PluginError>>()?;
            Ok(Output::Health(Health {
                score: h.score,
                band: match h.band {
                    w::Band::Green => Band::Green,
                    w::Band::Yellow => Band::Yellow,
                    w::Band::Red => Band::Red,
                },
                factors,
            }))
        })
        .collect())
}

/// Segments, names resolved.
pub fn segments(r: w::SegmentResults, limit_bytes: u64) -> Result<Vec<Decoded>, PluginError> {
    let names = table(r.names);
    let bytes = r
        .results
        .iter()
        .flatten()
        .flatten()
        .map(|s| 8 + len_of(&names, s.name) + s.reason.len())
        .sum();
    within_budget(bytes, limit_bytes)?;
    Ok(r.results
        .into_iter()
        .map(|r| {
            let segments = r
                .map_err(guest_error)?
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    Ok(Segment {
                        name: name(&names, s.name, || format!("segments[{i}].name"))?,
                        reason: s.reason,
                    })
                })
                .collect::<Result<_, PluginError>>()?;
            Ok(Output::Segments { segments })
        })
        .collect())
}

/// Propensities, drivers' names resolved.
pub fn propensities(
    r: w::PropensityResults,
    limit_bytes: u64,
) -> Result<Vec<Decoded>, PluginError> {
    let names = table(r.names);
    let bytes = r
        .results
        .iter()
        .flatten()
        .map(|p| {
            8 + p
                .drivers
                .iter()
                .map(|d| 24 + len_of(&names, d.name))
                .sum::<usize>()
        })
        .sum();
    within_budget(bytes, limit_bytes)?;
    Ok(r.results
        .into_iter()
        .map(|r| {
            let p = r.map_err(guest_error)?;
            let drivers = p
                .drivers
                .into_iter()
                .enumerate()
                .map(|(i, d)| {
                    Ok(Driver {
                        name: name(&names, d.name, || format!("drivers[{i}].name"))?,
                        value: d.value,
                        contribution: d.contribution,
                    })
                })
                .collect::<Result<_, PluginError>>()?;
            Ok(Output::Propensity(Propensity {
                score: p.score,
                drivers,
            }))
        })
        .collect())
}

/// Forecasts (no names to resolve; their size is checked after).
pub fn forecasts(r: w::ForecastResults, _limit_bytes: u64) -> Result<Vec<Decoded>, PluginError> {
    Ok(r.results
        .into_iter()
        .map(|r| {
            let f = r.map_err(guest_error)?;
            Ok(Output::Forecast(Forecast {
                renewal_probability: f.renewal_probability,
                confidence: match f.confidence {
                    w::Confidence::Commit => Confidence::Commit,
                    w::Confidence::BestCase => Confidence::BestCase,
                    w::Confidence::Pipeline => Confidence::Pipeline,
                    w::Confidence::Omitted => Confidence::Omitted,
                },
                basis: f.basis,
                renewal_date: f.renewal_date,
                expected_renewal_arr: f.expected_renewal_arr,
                expected_expansion_arr: f.expected_expansion_arr,
                expected_contraction_arr: f.expected_contraction_arr,
            }))
        })
        .collect())
}

fn field(f: w::Field) -> Field {
    match f {
        w::Field::SeatsPurchased => Field::SeatsPurchased,
        w::Field::SeatsActive => Field::SeatsActive,
        w::Field::Logins => Field::Logins,
        w::Field::FeaturesUsed => Field::FeaturesUsed,
        w::Field::FeaturesAvailable => Field::FeaturesAvailable,
        w::Field::TicketsOpen => Field::TicketsOpen,
        w::Field::TicketsHighSeverity => Field::TicketsHighSeverity,
        w::Field::Nps => Field::Nps,
        w::Field::Csat => Field::Csat,
        w::Field::Arr => Field::Arr,
        w::Field::ChampionLeft => Field::ChampionLeft,
        w::Field::LatePayments => Field::LatePayments,
    }
}

fn attribute(a: w::Attribute) -> Attribute {
    match a {
        w::Attribute::Name => Attribute::Name,
        w::Attribute::Owner => Attribute::Owner,
        w::Attribute::Tier => Attribute::Tier,
        w::Attribute::Plan => Attribute::Plan,
        w::Attribute::StartDate => Attribute::StartDate,
        w::Attribute::RenewalDate => Attribute::RenewalDate,
        w::Attribute::ContractArr => Attribute::ContractArr,
        w::Attribute::RenewalConfidence => Attribute::RenewalConfidence,
    }
}

fn names(n: w::Names) -> Names {
    match n {
        w::Names::All => Names::All,
        w::Names::Only(list) => Names::Only(list),
    }
}

fn window(x: w::Window) -> Window {
    match x {
        w::Window::None => Window::None,
        w::Window::Days(d) => Window::Days(d),
        w::Window::Latest(n) => Window::Latest(n),
        w::Window::All => Window::All,
    }
}

fn reads(r: w::Reads) -> Reads {
    let mut fields: Vec<Field> = r.fields.into_iter().map(field).collect();
    fields.sort();
    fields.dedup();
    Reads {
        fields,
        metrics: names(r.metrics),
    }
}

/// A projection as the host keeps it, checked against its bounds.
pub fn projection(p: w::Projection) -> Result<Projection, PluginError> {
    let mut attributes: Vec<Attribute> = p.attributes.into_iter().map(attribute).collect();
    attributes.sort();
    attributes.dedup();
    let projection = Projection {
        attributes,
        labels: names(p.labels),
        current: reads(p.current),
        history: window(p.history),
        history_reads: reads(p.history_reads),
        health: window(p.health),
    };
    projection
        .check()
        .map_err(|e| PluginError::BadMetadata(format!("projection: {e}")))?;
    Ok(projection)
}

/// 0.2 metadata as the host stores it (its projection described in
/// `reads`), and the projection itself.
pub fn metadata(m: w::PluginMetadata) -> Result<(PluginMetadata, Projection), PluginError> {
    let reads = projection(m.reads)?;
    let meta = PluginMetadata {
        name: m.name,
        version: m.version,
        kind: match m.kind {
            w::PluginKind::HealthModel => PluginKind::HealthModel,
            w::PluginKind::Segmenter => PluginKind::Segmenter,
            w::PluginKind::PropensityModel => PluginKind::PropensityModel,
            w::PluginKind::Forecaster => PluginKind::Forecaster,
        },
        description: m.description,
        config_schema: m.config_schema,
        reads: reads.describe(),
    };
    Ok((meta, reads))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(name: u32, group: u32) -> w::Factor {
        w::Factor {
            name,
            group,
            value: Some(0.5),
            weight: 1.0,
            points: 50.0,
        }
    }

    #[test]
    fn names_come_from_the_table_and_a_bad_index_fails_only_its_account() {
        let r = w::HealthResults {
            names: vec!["logins".into(), "usage".into()],
            results: vec![
                Ok(w::Health {
                    score: 50.0,
                    band: w::Band::Yellow,
                    factors: vec![factor(0, 1)],
                }),
                Ok(w::Health {
                    score: 50.0,
                    band: w::Band::Yellow,
                    factors: vec![factor(0, 7)],
                }),
                Err(w::PluginError::MissingData("no seats".into())),
            ],
        };
        let out = health(r, 1 << 20).unwrap();
        let Ok(Output::Health(h)) = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert_eq!(
            (&*h.factors[0].name, &*h.factors[0].group),
            ("logins", "usage")
        );
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), "bad-output");
        assert!(
            err.to_string().contains("factors[0].group is name 7"),
            "{err}"
        );
        assert_eq!(out[2].as_ref().unwrap_err().kind(), "returned");
    }

    #[test]
    fn many_factors_on_one_long_name_are_refused_before_it_is_copied() {
        let r = w::HealthResults {
            names: vec!["x".repeat(1 << 16)],
            results: vec![Ok(w::Health {
                score: 0.0,
                band: w::Band::Red,
                factors: (0..1000).map(|_| factor(0, 0)).collect(),
            })],
        };
        let err = health(r, 8 << 20).unwrap_err();
        assert_eq!(err.kind(), "output-too-large", "{err}");
    }

    #[test]
    fn a_projection_over_the_bounds_is_bad_metadata() {
        let p = w::Projection {
            attributes: vec![],
            labels: w::Names::All,
            current: w::Reads {
                fields: vec![w::Field::Arr, w::Field::Arr],
                metrics: w::Names::All,
            },
            history: w::Window::Latest(1_000_000),
            history_reads: w::Reads {
                fields: vec![],
                metrics: w::Names::All,
            },
            health: w::Window::None,
        };
        let err = projection(p).unwrap_err();
        assert_eq!(err.kind(), "bad-metadata");
        assert!(
            err.to_string().contains("history: latest(1000000)"),
            "{err}"
        );
    }
}
