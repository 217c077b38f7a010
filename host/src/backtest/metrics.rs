//! How well scores predicted outcomes: ROC-AUC (ties by average ranks),
//! PR-AUC (average precision, tied scores taken as one threshold), outcome
//! rates per group with the lift of Red over Green, and a calibration table
//! with the Brier score for probabilities. Pure functions over
//! (score, outcome) pairs, so each figure can be checked by hand.

use serde::{Deserialize, Serialize};

/// Why a figure cannot be computed from the accounts given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricError {
    /// No accounts at all.
    #[error("no accounts to measure")]
    Empty,
    /// Every account had the outcome, or none did: a ranking cannot be judged.
    #[error(
        "all {accounts} accounts {}: ROC-AUC and PR-AUC need accounts with and without the outcome",
        if *positives == 0 { "are without the outcome" } else { "have the outcome" }
    )]
    SingleClass {
        /// Accounts measured.
        accounts: usize,
        /// How many had the outcome (0 or all of them).
        positives: usize,
    },
    /// A score was NaN or infinite.
    #[error("score {0} is not a finite number")]
    NotFinite(f64),
}

/// One account: its score (higher means the outcome is more likely) and
/// whether the outcome happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The score.
    pub score: f64,
    /// Whether the outcome happened.
    pub positive: bool,
}

fn check(items: &[Scored]) -> Result<(usize, usize), MetricError> {
    if items.is_empty() {
        return Err(MetricError::Empty);
    }
    if let Some(bad) = items.iter().find(|s| !s.score.is_finite()) {
        return Err(MetricError::NotFinite(bad.score));
    }
    let positives = items.iter().filter(|s| s.positive).count();
    if positives == 0 || positives == items.len() {
        return Err(MetricError::SingleClass {
            accounts: items.len(),
            positives,
        });
    }
    Ok((positives, items.len() - positives))
}

/// Area under the ROC curve: the probability that a random account with the
/// outcome scores above a random one without, ties counting one half. Made
/// from the Mann-Whitney U statistic with average ranks for tied scores.
pub fn roc_auc(items: &[Scored]) -> Result<f64, MetricError> {
    let (positives, negatives) = check(items)?;
    let mut sorted: Vec<Scored> = items.to_vec();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score));
    let mut positive_rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].score == sorted[i].score {
            j += 1;
        }
        // Ranks i+1 ..= j+1 are tied: each gets their mean.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let tied_positives = sorted[i..=j].iter().filter(|s| s.positive).count();
        positive_rank_sum += rank * tied_positives as f64;
        i = j + 1;
    }
    let p = positives as f64;
    Ok((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Area under the precision-recall curve as average precision: the mean of
/// the precision at each threshold weighted by the recall it adds, highest
/// scores first; accounts with tied scores are one threshold (no order is
/// invented among them). A random score earns about the outcome rate.
pub fn average_precision(items: &[Scored]) -> Result<f64, MetricError> {
    let (positives, _) = check(items)?;
    let mut sorted: Vec<Scored> = items.to_vec();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    let (mut true_pos, mut seen, mut ap) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].score == sorted[i].score {
            j += 1;
        }
        let new_pos = sorted[i..=j].iter().filter(|s| s.positive).count();
        true_pos += new_pos;
        seen += j - i + 1;
        ap += new_pos as f64 / positives as f64 * (true_pos as f64 / seen as f64);
        i = j + 1;
    }
    Ok(ap)
}

/// Accounts of one group (a band, a confidence tier) and their outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupRate {
    /// The group.
    pub group: String,
    /// Accounts in it.
    pub accounts: usize,
    /// Of which had the outcome.
    pub with_outcome: usize,
    /// `with_outcome / accounts`.
    pub rate: f64,
    /// ARR of its accounts at the cut-off.
    pub arr: f64,
    /// ARR (at the cut-off) of its accounts that then had the outcome.
    pub arr_with_outcome: f64,
}

/// One account for [`group_rates`]: its group, outcome and ARR.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouped<'a> {
    /// The group it is in.
    pub group: &'a str,
    /// Whether the outcome happened.
    pub positive: bool,
    /// Its ARR at the cut-off.
    pub arr: f64,
}

/// Outcome rate and ARR per group, in the order of `order` (groups with no
/// accounts are left out; groups not in `order` follow, sorted).
pub fn group_rates(items: &[Grouped<'_>], order: &[&str]) -> Vec<GroupRate> {
    let mut groups: Vec<GroupRate> = Vec::new();
    for it in items {
        let g = match groups.iter_mut().find(|g| g.group == it.group) {
            Some(g) => g,
            None => {
                groups.push(GroupRate {
                    group: it.group.to_string(),
                    accounts: 0,
                    with_outcome: 0,
                    rate: 0.0,
                    arr: 0.0,
                    arr_with_outcome: 0.0,
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.accounts += 1;
        g.arr += it.arr;
        if it.positive {
            g.with_outcome += 1;
            g.arr_with_outcome += it.arr;
        }
    }
    for g in &mut groups {
        g.rate = g.with_outcome as f64 / g.accounts as f64;
    }
    let position = |name: &str| order.iter().position(|o| *o == name).unwrap_or(order.len());
    groups.sort_by(|a, b| {
        position(&a.group)
            .cmp(&position(&b.group))
            .then_with(|| a.group.cmp(&b.group))
    });
    groups
}

/// How many times more often the outcome came in group `high` than in group
/// `low` (Red over Green). `None` when either group is empty or `low` never
/// had the outcome (the ratio has no finite value).
pub fn lift(rates: &[GroupRate], high: &str, low: &str) -> Option<f64> {
    let h = rates.iter().find(|g| g.group == high)?;
    let l = rates.iter().find(|g| g.group == low)?;
    (l.rate > 0.0).then(|| h.rate / l.rate)
}

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalibrationBin {
    /// Lower edge of the predicted probability (inclusive).
    pub from: f64,
    /// Upper edge (exclusive, inclusive for the last bin).
    pub to: f64,
    /// Accounts predicted in the bin.
    pub accounts: usize,
    /// Their mean predicted probability.
    pub mean_predicted: f64,
    /// The share of them that had the outcome.
    pub observed_rate: f64,
}

/// Predicted probabilities against what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Calibration {
    /// Equal-width bins over 0-1; empty bins are left out.
    pub bins: Vec<CalibrationBin>,
    /// Mean squared difference between probability and outcome (0 or 1):
    /// 0 is perfect; lower is better.
    pub brier: f64,
    /// The Brier score of predicting the observed outcome rate for every
    /// account (`rate x (1 - rate)`): a forecast worth having scores below it.
    pub brier_baseline: f64,
    /// Mean gap between predicted and observed rate over the bins, weighted
    /// by accounts (expected calibration error).
    pub calibration_error: f64,
}

/// The calibration table (`bins` equal-width bins) and Brier score of
/// probabilities in 0-1. Errors as for [`roc_auc`] when a probability is not
/// finite; a probability outside 0-1 is clamped into its edge bin.
pub fn calibration(items: &[Scored], bins: usize) -> Result<Calibration, MetricError> {
    if items.is_empty() {
        return Err(MetricError::Empty);
    }
    if let Some(bad) = items.iter().find(|s| !s.score.is_finite()) {
        return Err(MetricError::NotFinite(bad.score));
    }
    let bins = bins.max(1);
    let n = items.len() as f64;
    let mut sums = vec![(0usize, 0.0f64, 0usize); bins];
    let mut brier = 0.0;
    for it in items {
        let p = it.score.clamp(0.0, 1.0);
        let y = if it.positive { 1.0 } else { 0.0 };
        brier += (p - y) * (p - y);
        let b = ((p * bins as f64) as usize).min(bins - 1);
        sums[b].0 += 1;
        sums[b].1 += p;
        sums[b].2 += usize::from(it.positive);
    }
    let rate = items.iter().filter(|s| s.positive).count() as f64 / n;
    let mut out = Calibration {
        bins: Vec::new(),
        brier: brier / n,
        brier_baseline: rate * (1.0 - rate),
        calibration_error: 0.0,
    };
    for (b, (count, p_sum, pos)) in sums.into_iter().enumerate() {
        if count == 0 {
            continue;
        }
        let bin = CalibrationBin {
            from: b as f64 / bins as f64,
            to: (b + 1) as f64 / bins as f64,
            accounts: count,
            mean_predicted: p_sum / count as f64,
            observed_rate: pos as f64 / count as f64,
        };
        out.calibration_error += (bin.mean_predicted - bin.observed_rate).abs() * count as f64 / n;
        out.bins.push(bin);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(pairs: &[(f64, bool)]) -> Vec<Scored> {
        pairs
            .iter()
            .map(|&(score, positive)| Scored { score, positive })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn roc_auc_counts_ordered_pairs() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1. Pairs (pos > neg):
        // 0.9>0.5, 0.9>0.1, 0.4>0.1 = 3 of 4.
        let s = scored(&[(0.9, true), (0.4, true), (0.5, false), (0.1, false)]);
        assert!(close(roc_auc(&s).unwrap(), 0.75));
        // Perfect and inverted rankings.
        let s = scored(&[(2.0, true), (1.0, false)]);
        assert!(close(roc_auc(&s).unwrap(), 1.0));
        let s = scored(&[(1.0, true), (2.0, false)]);
        assert!(close(roc_auc(&s).unwrap(), 0.0));
    }

    #[test]
    fn roc_auc_counts_ties_as_halves() {
        // Positives 0.8, 0.5; negatives 0.5, 0.5, 0.2.
        // 0.8 beats all three (3); 0.5 ties two (1) and beats 0.2 (1): 5 of 6.
        let s = scored(&[
            (0.8, true),
            (0.5, true),
            (0.5, false),
            (0.5, false),
            (0.2, false),
        ]);
        assert!(close(roc_auc(&s).unwrap(), 5.0 / 6.0));
        // Every score tied: a coin toss.
        let s = scored(&[(3.0, true), (3.0, false), (3.0, false), (3.0, true)]);
        assert!(close(roc_auc(&s).unwrap(), 0.5));
    }

    #[test]
    fn a_single_class_is_an_error_not_a_number() {
        let none = scored(&[(0.1, false), (0.7, false)]);
        let err = roc_auc(&none).unwrap_err();
        assert_eq!(
            err,
            MetricError::SingleClass {
                accounts: 2,
                positives: 0
            }
        );
        assert!(err.to_string().contains("with and without"), "{err}");
        let all = scored(&[(0.1, true), (0.7, true)]);
        assert!(matches!(
            average_precision(&all),
            Err(MetricError::SingleClass { positives: 2, .. })
        ));
        assert_eq!(roc_auc(&[]), Err(MetricError::Empty));
        assert!(matches!(
            roc_auc(&scored(&[(f64::NAN, true), (1.0, false)])),
            Err(MetricError::NotFinite(_))
        ));
    }

    #[test]
    fn average_precision_by_hand() {
        // Descending: 0.9 P, 0.8 N, 0.7 P, 0.1 N. Precision at each positive:
        // 1/1 and 2/3; AP = (1 + 2/3) / 2.
        let s = scored(&[(0.9, true), (0.8, false), (0.7, true), (0.1, false)]);
        assert!(close(
            average_precision(&s).unwrap(),
            (1.0 + 2.0 / 3.0) / 2.0
        ));
        // A tie at the top: {0.9 P, 0.9 N} is one threshold with precision
        // 1/2 and recall 1/2; then 0.5 P at precision 2/3. AP = 1/4 + 1/3.
        let s = scored(&[(0.9, true), (0.9, false), (0.5, true), (0.2, false)]);
        assert!(close(average_precision(&s).unwrap(), 0.25 + 1.0 / 3.0));
        // All tied: the outcome rate.
        let s = scored(&[(1.0, true), (1.0, false), (1.0, false), (1.0, false)]);
        assert!(close(average_precision(&s).unwrap(), 0.25));
    }

    #[test]
    fn group_rates_lift_and_arr_by_hand() {
        let items = [
            Grouped {
                group: "green",
                positive: false,
                arr: 100.0,
            },
            Grouped {
                group: "green",
                positive: false,
                arr: 100.0,
            },
            Grouped {
                group: "green",
                positive: false,
                arr: 100.0,
            },
            Grouped {
                group: "green",
                positive: true,
                arr: 50.0,
            },
            Grouped {
                group: "red",
                positive: true,
                arr: 20.0,
            },
            Grouped {
                group: "red",
                positive: false,
                arr: 30.0,
            },
            Grouped {
                group: "yellow",
                positive: false,
                arr: 10.0,
            },
        ];
        let rates = group_rates(&items, &["red", "yellow", "green"]);
        let names: Vec<&str> = rates.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["red", "yellow", "green"]);
        assert_eq!((rates[0].accounts, rates[0].with_outcome), (2, 1));
        assert!(close(rates[0].rate, 0.5));
        assert!(close(rates[0].arr_with_outcome, 20.0));
        assert!(close(rates[2].rate, 0.25));
        assert!(close(rates[2].arr, 350.0));
        assert!(close(rates[2].arr_with_outcome, 50.0));
        // 0.5 / 0.25.
        assert!(close(lift(&rates, "red", "green").unwrap(), 2.0));
        // Yellow never had the outcome: no finite lift over it.
        assert_eq!(lift(&rates, "red", "yellow"), None);
        assert_eq!(lift(&rates, "red", "blue"), None);
    }

    #[test]
    fn calibration_and_brier_by_hand() {
        // Four accounts at 0.2 (one positive) and two at 0.9 (both positive).
        let s = scored(&[
            (0.2, true),
            (0.2, false),
            (0.2, false),
            (0.2, false),
            (0.9, true),
            (0.9, true),
        ]);
        let c = calibration(&s, 10).unwrap();
        // Brier: (0.64 + 3 x 0.04 + 2 x 0.01) / 6.
        assert!(close(c.brier, (0.64 + 0.12 + 0.02) / 6.0));
        // Outcome rate 1/2: baseline 1/4.
        assert!(close(c.brier_baseline, 0.25));
        assert_eq!(c.bins.len(), 2);
        assert!(close(c.bins[0].from, 0.2) && close(c.bins[0].to, 0.3));
        assert_eq!(c.bins[0].accounts, 4);
        assert!(close(c.bins[0].mean_predicted, 0.2));
        assert!(close(c.bins[0].observed_rate, 0.25));
        assert!(close(c.bins[1].observed_rate, 1.0));
        // |0.2 - 0.25| x 4/6 + |0.9 - 1| x 2/6.
        assert!(close(
            c.calibration_error,
            0.05 * 4.0 / 6.0 + 0.1 * 2.0 / 6.0
        ));
        // Probability 1.0 falls in the last bin, not past it.
        let c = calibration(&scored(&[(1.0, true)]), 10).unwrap();
        assert!(close(c.bins[0].from, 0.9));
        assert!(close(c.brier, 0.0));
    }
}
