//! The output of a call checked against the contract: its size, and each
//! account's result within the ranges the WIT documents.

use super::error::PluginError;
use super::invoke::Output;

/// Approximate bytes of strings and records in one account's result.
pub fn output_size(r: &Result<Output, super::types::PluginError>) -> u64 {
    use super::types::PluginError as G;
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
        Err(G::InvalidConfig(m) | G::MissingData(m) | G::InvalidInput(m) | G::Internal(m)) => {
            8 + m.len()
        }
    };
    n as u64
}

/// Checks one output against the contract's ranges.
pub fn check_output(out: Output) -> Result<Output, PluginError> {
    let bad = |what: String| Err(PluginError::BadOutput(what));
    let finite = |name: &str, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(PluginError::BadOutput(format!("{name} is {v}")))
        }
    };
    match &out {
        Output::Health(h) => {
            finite("score", h.score)?;
            if !(0.0..=100.0).contains(&h.score) {
                return bad(format!("score {} is outside 0-100", h.score));
            }
            for f in &h.factors {
                finite(&format!("factor {} weight", f.name), f.weight)?;
                finite(&format!("factor {} points", f.name), f.points)?;
                if let Some(v) = f.value {
                    finite(&format!("factor {} value", f.name), v)?;
                }
            }
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
            finite("propensity", p.score)?;
            if !(0.0..=1.0).contains(&p.score) {
                return bad(format!("propensity {} is outside 0-1", p.score));
            }
            for d in &p.drivers {
                finite(&format!("driver {} value", d.name), d.value)?;
                finite(&format!("driver {} contribution", d.name), d.contribution)?;
            }
        }
        Output::Forecast(f) => {
            finite("renewal probability", f.renewal_probability)?;
            if !(0.0..=1.0).contains(&f.renewal_probability) {
                return bad(format!(
                    "renewal probability {} is outside 0-1",
                    f.renewal_probability
                ));
            }
            for (name, v) in [
                ("expected renewal ARR", f.expected_renewal_arr),
                ("expected expansion ARR", f.expected_expansion_arr),
                ("expected contraction ARR", f.expected_contraction_arr),
            ] {
                finite(name, v)?;
                if v < 0.0 {
                    return bad(format!("{name} {v} is negative"));
                }
            }
        }
    }
    Ok(out)
}
