//! Before anything is timed, every peer scores the same accounts once and
//! its scores are compared with the native scores: a peer that computes
//! something else is not a benchmark.

use std::collections::HashMap;
use vitals::runtime::Account;

/// An account's score and band, or that it failed.
type Scored = Result<(f64, String), ()>;

/// Scores may differ by float rounding only (the Python peer sums the same
/// terms in the same order, but through numpy).
const TOLERANCE: f64 = 1e-9;

/// The reference: weighted-health compiled into the bench, default configuration.
pub fn reference(accounts: &[Account], as_of: i32) -> HashMap<String, Scored> {
    let config = weighted_health::Config::default();
    accounts
        .iter()
        .map(|a| {
            let r = weighted_health::score_account(&config, as_of, &crate::native::account(a));
            (
                a.id.clone(),
                r.map(|h| (h.score, h.band.to_string())).map_err(|_| ()),
            )
        })
        .collect()
}

/// Reads `id,score,band` (or `id,error,...`) lines, as the Rust workers
/// and the Extism runner write them.
pub fn read_lines(text: &str) -> Result<HashMap<String, Scored>, String> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells = l.splitn(3, ',');
            let (Some(id), Some(score), Some(band)) = (cells.next(), cells.next(), cells.next())
            else {
                return Err(format!("line {}: {l:?} is not id,score,band", i + 1));
            };
            let scored = if score == "error" {
                Err(())
            } else {
                let s: f64 = score
                    .parse()
                    .map_err(|_| format!("line {}: score {score:?} is not a number", i + 1))?;
                Ok((s, band.to_string()))
            };
            Ok((id.to_string(), scored))
        })
        .collect()
}

/// Reads the Python peer's output CSV (`account_id,score,band,...,error`).
pub fn read_python_csv(text: &str) -> Result<HashMap<String, Scored>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty output")?.split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("no {name} column in {header:?}"))
    };
    let (id, score, band, error) = (
        column("account_id")?,
        column("score")?,
        column("band")?,
        column("error")?,
    );
    lines
        .enumerate()
        .map(|(i, l)| {
            let cells: Vec<&str> = l.split(',').collect();
            if cells.len() != header.len() {
                return Err(format!(
                    "line {}: {} cells, expected {}",
                    i + 2,
                    cells.len(),
                    header.len()
                ));
            }
            let scored = if !cells[error].is_empty() {
                Err(())
            } else {
                let s: f64 = cells[score].parse().map_err(|_| {
                    format!("line {}: score {:?} is not a number", i + 2, cells[score])
                })?;
                Ok((s, cells[band].to_string()))
            };
            Ok((cells[id].to_string(), scored))
        })
        .collect()
}

/// Compares a peer's scores with the reference; returns the largest score
/// difference, or the first disagreement.
pub fn compare(
    peer: &str,
    reference: &HashMap<String, Scored>,
    got: &HashMap<String, Scored>,
) -> Result<f64, String> {
    if got.len() != reference.len() {
        return Err(format!(
            "{peer} scored {} accounts, the reference {}",
            got.len(),
            reference.len()
        ));
    }
    let mut worst: f64 = 0.0;
    for (id, want) in reference {
        let have = got
            .get(id)
            .ok_or_else(|| format!("{peer} has no score for {id}"))?;
        match (want, have) {
            (Ok((ws, wb)), Ok((hs, hb))) => {
                let diff = (ws - hs).abs();
                if diff > TOLERANCE * ws.abs().max(1.0) || wb != hb {
                    return Err(format!(
                        "{peer} scores {id} {hs} ({hb}), the reference {ws} ({wb})"
                    ));
                }
                worst = worst.max(diff);
            }
            (Err(()), Err(())) => {}
            _ => {
                return Err(format!(
                    "{peer} and the reference disagree on whether {id} can be scored ({have:?} vs {want:?})"
                ));
            }
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(id: &str, s: Scored) -> HashMap<String, Scored> {
        HashMap::from([(id.to_string(), s)])
    }

    #[test]
    fn equal_scores_pass_and_the_largest_difference_is_reported() {
        let want = one("a", Ok((70.0, "yellow".into())));
        let got = read_lines("a,70.0000000000001,yellow\n").unwrap();
        let worst = compare("p", &want, &got).unwrap();
        assert!(worst > 0.0 && worst < 1e-12);
    }

    #[test]
    fn a_different_score_band_or_account_fails() {
        let want = one("a", Ok((70.0, "yellow".into())));
        for text in [
            "a,71,yellow\n",
            "a,70,green\n",
            "b,70,yellow\n",
            "a,error,x\n",
        ] {
            let got = read_lines(text).unwrap();
            assert!(compare("p", &want, &got).is_err(), "{text}");
        }
    }

    #[test]
    fn the_python_csv_is_read_by_column_name() {
        let text = "account_id,score,band,nps,onboarding,error\nx,55.5,yellow,1.0,0.0,\ny,,,0.0,0.0,no data\n";
        let got = read_python_csv(text).unwrap();
        assert_eq!(got["x"], Ok((55.5, "yellow".to_string())));
        assert_eq!(got["y"], Err(()));
    }
}
