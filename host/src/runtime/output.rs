//! The output of a call checked against the contract: its size, and each
//! account's result within the ranges the WIT documents.

use crate::contract::Output;
use crate::contract::PluginError;

/// Approximate bytes of strings and records in one account's result.
pub fn output_size(r: &Result<Output, PluginError>) -> u64 {
    let n = match r {
        Ok(Output::Health(h)) => {
            16 + h
                .factors
                .iter()
                .map(|f| 40 + f.name.len() + f.group.len())
                .sum::<usize>()
        }
        Ok(Output::Segments { segments }) => segments
            .iter()
            .map(|s| 8 + s.name.len() + s.reason.len())
            .sum(),
        Ok(Output::Propensity(p)) => 8 + p.drivers.iter().map(|d| 24 + d.name.len()).sum::<usize>(),
        Ok(Output::Forecast(f)) => 48 + f.basis.len(),
        Err(PluginError::InvalidConfig(m) | PluginError::Returned { message: m, .. }) => {
            8 + m.len()
        }
        // The host's own errors (a bad name index): the guest wrote no text.
        Err(_) => 8,
    };
    n as u64
}

/// How far the factors' points (a propensity's contributions) may sum from
/// the score, in points of the 0-100 scale: the WIT says they add up to the
/// score; half a point lets a plugin round each factor for display, and no
/// more (points of -1e308 on a score of 50 are a lie, not a rounding).
pub const SUM_TOLERANCE_POINTS: f64 = 0.5;

/// A number for an error message: huge and tiny ones in exponent form
/// (`-1e308`, not 309 digits).
fn num(v: f64) -> String {
    if v == 0.0 {
        // An empty sum is -0.
        "0".into()
    } else if v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Checks one output against the ranges and sums the WIT documents; the
/// error names the field (`factors[2] (logins).weight`). Field names are
/// made only for an error: formatting them for every factor of every
/// account cost about 2 us an account (`vitals-bench layouts`).
pub fn check_output(out: Output) -> Result<Output, PluginError> {
    let bad = |what: String| Err(PluginError::BadOutput(what));
    let finite = |name: &dyn Fn() -> String, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(PluginError::BadOutput(format!("{} is {}", name(), num(v))))
        }
    };
    let within = |name: &dyn Fn() -> String, v: f64, lo: f64, hi: f64| {
        finite(name, v)?;
        if (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(PluginError::BadOutput(format!(
                "{} {} is outside {lo}-{hi}",
                name(),
                num(v)
            )))
        }
    };
    let named = |name: &'static str| move || name.to_string();
    // The parts of a score (factors' points, drivers' contributions) add up
    // to it, on a scale of `scale` (100 for health, 1 for propensity).
    let adds_up = |parts: &str, sum: f64, score: f64, scale: f64| {
        let tolerance = SUM_TOLERANCE_POINTS * scale / 100.0;
        if sum.is_finite() && (sum - score).abs() <= tolerance {
            Ok(())
        } else {
            Err(PluginError::BadOutput(format!(
                "{parts} add up to {}, not to the score {} (the contract: they add up to the score, within {tolerance})",
                num(sum),
                num(score)
            )))
        }
    };
    match &out {
        Output::Health(h) => {
            within(&named("score"), h.score, 0.0, 100.0)?;
            for (i, f) in h.factors.iter().enumerate() {
                let field = |what: &str| format!("factors[{i}] ({}).{what}", f.name);
                within(&|| field("weight"), f.weight, 0.0, 1.0)?;
                finite(&|| field("points"), f.points)?;
                if let Some(v) = f.value {
                    finite(&|| field("value"), v)?;
                }
            }
            let points: f64 = h.factors.iter().map(|f| f.points).sum();
            adds_up("factors' points", points, h.score, 100.0)?;
        }
        Output::Segments { segments } => {
            if let Some(s) = segments.iter().find(|s| s.name.is_empty()) {
                return bad(format!(
                    "a segment has an empty name (reason {:?})",
                    s.reason
                ));
            }
        }
        Output::Propensity(p) => {
            within(&named("propensity score"), p.score, 0.0, 1.0)?;
            for (i, d) in p.drivers.iter().enumerate() {
                let field = |what: &str| format!("drivers[{i}] ({}).{what}", d.name);
                finite(&|| field("value"), d.value)?;
                finite(&|| field("contribution"), d.contribution)?;
            }
            let sum: f64 = p.drivers.iter().map(|d| d.contribution).sum();
            adds_up("drivers' contributions", sum, p.score, 1.0)?;
        }
        Output::Forecast(f) => {
            within(
                &named("renewal-probability"),
                f.renewal_probability,
                0.0,
                1.0,
            )?;
            for (name, v) in [
                ("expected-renewal-arr", f.expected_renewal_arr),
                ("expected-expansion-arr", f.expected_expansion_arr),
                ("expected-contraction-arr", f.expected_contraction_arr),
            ] {
                finite(&named(name), v)?;
                if v < 0.0 {
                    return bad(format!("{name} {} is negative", num(v)));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::{Band, Driver, Factor, Health, Propensity};

    fn factor(weight: f64, points: f64) -> Factor {
        Factor {
            name: "logins".into(),
            group: "usage".into(),
            value: Some(3.0),
            weight,
            points,
        }
    }

    fn health(score: f64, factors: Vec<Factor>) -> Output {
        Output::Health(Health {
            score,
            band: Band::Yellow,
            factors,
        })
    }

    fn error(out: Output) -> String {
        match check_output(out) {
            Err(PluginError::BadOutput(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn factor_weights_outside_0_1_are_bad_output_naming_the_factor() {
        let m = error(health(50.0, vec![factor(7.0, 50.0)]));
        assert_eq!(m, "factors[0] (logins).weight 7 is outside 0-1");
        let m = error(health(50.0, vec![factor(-0.1, 50.0)]));
        assert!(m.starts_with("factors[0] (logins).weight -0.1"), "{m}");
        let m = error(health(50.0, vec![factor(f64::NAN, 50.0)]));
        assert_eq!(m, "factors[0] (logins).weight is NaN");
    }

    #[test]
    fn points_must_add_up_to_the_score() {
        let m = error(health(50.0, vec![factor(1.0, -1e308)]));
        assert!(m.starts_with("factors' points add up to -1e308"), "{m}");
        let m = error(health(
            50.0,
            vec![factor(0.5, f64::MAX), factor(0.5, f64::MAX)],
        ));
        assert!(m.contains("add up to inf"), "{m}");
        assert!(error(health(50.0, vec![])).contains("add up to 0"));
        // Rounding for display stays within the tolerance.
        check_output(health(50.0, vec![factor(0.5, 25.2), factor(0.5, 24.9)])).unwrap();
        check_output(health(0.0, vec![])).unwrap();
    }

    #[test]
    fn drivers_must_add_up_to_the_propensity() {
        let p = |score: f64, contributions: &[f64]| {
            Output::Propensity(Propensity {
                score,
                drivers: contributions
                    .iter()
                    .map(|&c| Driver {
                        name: "seats".into(),
                        value: 1.0,
                        contribution: c,
                    })
                    .collect(),
            })
        };
        check_output(p(0.6, &[0.2, 0.4])).unwrap();
        let m = error(p(0.6, &[0.2, 40.0]));
        assert!(
            m.starts_with("drivers' contributions add up to 40.2"),
            "{m}"
        );
        let m = error(p(0.6, &[f64::INFINITY]));
        assert_eq!(m, "drivers[0] (seats).contribution is inf");
    }
}
