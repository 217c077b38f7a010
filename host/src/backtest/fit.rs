//! A regularised (L2, ridge) logistic regression fitted by Newton's method,
//! and the choice of its penalty by k-fold cross-validation. Small and exact
//! rather than general: a few dozen features, up to millions of rows, the
//! features already scaled to 0-1 by the caller.

/// Why a fit could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The rows do not match the outcomes, or there are no features.
    #[error("{0}")]
    Shape(String),
    /// Every row had the outcome, or none did.
    #[error("all {rows} training accounts {}: a fit needs both", if *positives == 0 { "are without the outcome" } else { "have the outcome" })]
    SingleClass {
        /// Rows.
        rows: usize,
        /// Rows with the outcome.
        positives: usize,
    },
    /// Newton's method did not settle (should not happen with a penalty).
    #[error("the fit did not converge in {0} iterations")]
    NoConvergence(usize),
}

/// A fitted model: `P(outcome) = 1 / (1 + exp(-(intercept + coefficients . x)))`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// The intercept (not penalised).
    pub intercept: f64,
    /// One coefficient per feature.
    pub coefficients: Vec<f64>,
    /// The L2 penalty used: `lambda / 2 x sum(coefficient^2)` is added to the
    /// negative log-likelihood summed over rows.
    pub lambda: f64,
    /// Newton iterations taken.
    pub iterations: usize,
}

impl LogisticFit {
    /// The linear predictor (log-odds) of one row.
    pub fn log_odds(&self, row: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(row)
                .map(|(c, x)| c * x)
                .sum::<f64>()
    }

    /// The predicted probability of one row.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(self.log_odds(row))
    }
}

/// The logistic function, without overflow for large arguments.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Rows of features, row-major: row `i` is `values[i * width .. (i + 1) * width]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    /// Features per row.
    pub width: usize,
    /// The values.
    pub values: Vec<f64>,
}

impl Rows {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const MAX_ITERATIONS: usize = 100;
/// Newton steps stop when no parameter moves more than this.
const TOLERANCE: f64 = 1e-9;

/// The penalised negative log-likelihood.
fn objective(x: &Rows, y: &[bool], w: &[f64], lambda: f64) -> f64 {
    let mut loss = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let z = w[0] + w[1..].iter().zip(x.row(i)).map(|(a, b)| a * b).sum::<f64>();
        // log(1 + e^z) - y z, computed stably.
        let softplus = if z > 0.0 {
            z + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        };
        loss += softplus - if yi { z } else { 0.0 };
    }
    loss + lambda / 2.0 * w[1..].iter().map(|c| c * c).sum::<f64>()
}

/// Fits the model to rows `x` and outcomes `y` with penalty `lambda` (>= 0;
/// with 0 and separable data the coefficients would run off, so callers
/// keep it positive).
pub fn fit_logistic(x: &Rows, y: &[bool], lambda: f64) -> Result<LogisticFit, FitError> {
    let (n, d) = (x.len(), x.width);
    if d == 0 || n != y.len() || x.values.len() != n * d {
        return Err(FitError::Shape(format!(
            "{n} rows of {d} features for {} outcomes",
            y.len()
        )));
    }
    let positives = y.iter().filter(|v| **v).count();
    if positives == 0 || positives == n {
        return Err(FitError::SingleClass { rows: n, positives });
    }
    // Start at the outcome rate with every coefficient 0.
    let rate = positives as f64 / n as f64;
    let mut w = vec![0.0; d + 1];
    w[0] = (rate / (1.0 - rate)).ln();
    let mut current = objective(x, y, &w, lambda);
    for iteration in 1..=MAX_ITERATIONS {
        let m = d + 1;
        let mut grad = vec![0.0; m];
        let mut hess = vec![0.0; m * m];
        let mut xi = vec![1.0; m];
        for (i, &yi) in y.iter().enumerate() {
            xi[1..].copy_from_slice(x.row(i));
            let p = sigmoid(w.iter().zip(&xi).map(|(a, b)| a * b).sum());
            let r = p - if yi { 1.0 } else { 0.0 };
            let v = p * (1.0 - p);
            for a in 0..m {
                grad[a] += r * xi[a];
                let va = v * xi[a];
                for b in 0..=a {
                    hess[a * m + b] += va * xi[b];
                }
            }
        }
        for a in 1..m {
            grad[a] += lambda * w[a];
            hess[a * m + a] += lambda;
        }
        // Keep the system solvable when every prediction saturates.
        for a in 0..m {
            hess[a * m + a] += 1e-10;
        }
        let step = solve_symmetric(&mut hess, &grad, m);
        // Halve the step until the objective does not get worse (Newton's
        // method on this convex objective rarely needs it).
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = w.iter().zip(&step).map(|(a, s)| a - scale * s).collect();
            let value = objective(x, y, &trial, lambda);
            if value <= current + 1e-12 * current.abs().max(1.0) {
                w = trial;
                current = value;
                accepted = true;
                break;
            }
            scale /= 2.0;
        }
        let moved = step.iter().map(|s| (s * scale).abs()).fold(0.0, f64::max);
        if !accepted || moved < TOLERANCE {
            return Ok(LogisticFit {
                intercept: w[0],
                coefficients: w[1..].to_vec(),
                lambda,
                iterations: iteration,
            });
        }
    }
    Err(FitError::NoConvergence(MAX_ITERATIONS))
}

/// Solves `A s = g` for a symmetric positive definite `A` whose lower
/// triangle is filled (row-major, `m x m`) by Cholesky factorisation in place.
fn solve_symmetric(a: &mut [f64], g: &[f64], m: usize) -> Vec<f64> {
    for j in 0..m {
        let mut diag = a[j * m + j];
        for k in 0..j {
            diag -= a[j * m + k] * a[j * m + k];
        }
        let diag = diag.max(1e-300).sqrt();
        a[j * m + j] = diag;
        for i in j + 1..m {
            let mut v = a[i * m + j];
            for k in 0..j {
                v -= a[i * m + k] * a[j * m + k];
            }
            a[i * m + j] = v / diag;
        }
    }
    // L z = g, then L^T s = z.
    let mut z = vec![0.0; m];
    for i in 0..m {
        let mut v = g[i];
        for k in 0..i {
            v -= a[i * m + k] * z[k];
        }
        z[i] = v / a[i * m + i];
    }
    let mut s = vec![0.0; m];
    for i in (0..m).rev() {
        let mut v = z[i];
        for k in i + 1..m {
            v -= a[k * m + i] * s[k];
        }
        s[i] = v / a[i * m + i];
    }
    s
}

/// Mean held-out deviance (2 x negative log-likelihood per row) of one
/// penalty in k-fold cross-validation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PenaltyScore {
    /// The penalty.
    pub lambda: f64,
    /// Mean held-out deviance per row over the folds: lower is better.
    pub deviance: f64,
}

/// Picks the penalty of `grid` with the lowest held-out deviance in
/// `folds`-fold cross-validation (row `i` is in fold `i % folds`), then fits
/// every row with it. Returns the fit and each penalty's score.
pub fn fit_cross_validated(
    x: &Rows,
    y: &[bool],
    grid: &[f64],
    folds: usize,
) -> Result<(LogisticFit, Vec<PenaltyScore>), FitError> {
    let folds = folds.max(2);
    let mut scores = Vec::new();
    for &lambda in grid {
        let mut deviance = 0.0;
        let mut counted = 0usize;
        for fold in 0..folds {
            let (mut train, mut train_y) = (Rows::default(), Vec::new());
            train.width = x.width;
            for i in (0..x.len()).filter(|i| i % folds != fold) {
                train.values.extend_from_slice(x.row(i));
                train_y.push(y[i]);
            }
            let fit = match fit_logistic(&train, &train_y, lambda) {
                Ok(f) => f,
                // A fold with one class teaches nothing; the others decide.
                Err(FitError::SingleClass { .. }) => continue,
                Err(e) => return Err(e),
            };
            for i in (0..x.len()).filter(|i| i % folds == fold) {
                let p = fit.probability(x.row(i)).clamp(1e-15, 1.0 - 1e-15);
                deviance -= 2.0 * if y[i] { p.ln() } else { (1.0 - p).ln() };
                counted += 1;
            }
        }
        scores.push(PenaltyScore {
            lambda,
            deviance: if counted == 0 {
                f64::INFINITY
            } else {
                deviance / counted as f64
            },
        });
    }
    let best = scores
        .iter()
        .min_by(|a, b| a.deviance.total_cmp(&b.deviance))
        .map_or(1.0, |s| s.lambda);
    Ok((fit_logistic(x, y, best)?, scores))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(width: usize, values: &[f64]) -> Rows {
        Rows {
            width,
            values: values.to_vec(),
        }
    }

    /// Rows of one binary feature: `n0` at x = 0 of which `p0` positive,
    /// `n1` at x = 1 of which `p1` positive.
    fn binary(n0: usize, p0: usize, n1: usize, p1: usize) -> (Rows, Vec<bool>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..n0 {
            x.push(0.0);
            y.push(i < p0);
        }
        for i in 0..n1 {
            x.push(1.0);
            y.push(i < p1);
        }
        (rows(1, &x), y)
    }

    #[test]
    fn without_penalty_a_binary_feature_gives_the_group_log_odds() {
        // x = 0: 2 of 10 positive (odds 1/4); x = 1: 6 of 10 (odds 3/2).
        let (x, y) = binary(10, 2, 10, 6);
        let fit = fit_logistic(&x, &y, 0.0).unwrap();
        assert!((fit.intercept - (0.25f64).ln()).abs() < 1e-8, "{fit:?}");
        assert!((fit.coefficients[0] - (1.5f64 / 0.25).ln()).abs() < 1e-8);
        assert!((fit.probability(&[1.0]) - 0.6).abs() < 1e-8);
    }

    #[test]
    fn the_penalty_shrinks_and_the_optimum_has_zero_gradient() {
        let (x, y) = binary(10, 2, 10, 6);
        let free = fit_logistic(&x, &y, 0.0).unwrap();
        let fit = fit_logistic(&x, &y, 5.0).unwrap();
        assert!(fit.coefficients[0] > 0.0 && fit.coefficients[0] < free.coefficients[0]);
        // At the optimum: sum(p - y) = 0 and sum((p - y) x) + lambda b = 0.
        let (mut g0, mut g1) = (0.0, 0.0);
        for (i, &yi) in y.iter().enumerate() {
            let r = fit.probability(x.row(i)) - f64::from(u8::from(yi));
            g0 += r;
            g1 += r * x.row(i)[0];
        }
        g1 += 5.0 * fit.coefficients[0];
        assert!(g0.abs() < 1e-8 && g1.abs() < 1e-8, "{g0} {g1}");
    }

    #[test]
    fn separable_data_stays_finite_with_a_penalty() {
        // x = 0: 5 negatives; x = 1: 5 positives. Zero gradient gives
        // b = -c/2 and c = 5 (1 - sigmoid(c/2)) with lambda 1: c is about 1.55.
        let (x, y) = binary(5, 0, 5, 5);
        let fit = fit_logistic(&x, &y, 1.0).unwrap();
        let c = fit.coefficients[0];
        assert!((fit.intercept + c / 2.0).abs() < 1e-8, "{fit:?}");
        assert!((c - 5.0 * (1.0 - sigmoid(c / 2.0))).abs() < 1e-8, "{fit:?}");
        assert!(c > 1.5 && c < 1.6);
    }

    #[test]
    fn a_single_class_and_a_bad_shape_are_errors() {
        let (x, y) = binary(4, 0, 4, 0);
        assert_eq!(
            fit_logistic(&x, &y, 1.0),
            Err(FitError::SingleClass {
                rows: 8,
                positives: 0
            })
        );
        assert!(matches!(
            fit_logistic(&rows(2, &[1.0, 2.0]), &[true, false], 1.0),
            Err(FitError::Shape(_))
        ));
    }

    #[test]
    fn cross_validation_prefers_little_penalty_on_a_real_signal() {
        // Two features: one predicts the outcome, one is noise.
        let mut values = Vec::new();
        let mut y = Vec::new();
        for i in 0..400u32 {
            let signal = f64::from(i % 10) / 9.0;
            let noise = f64::from((i * 7919) % 13) / 12.0;
            values.extend([signal, noise]);
            // Outcome when signal is high, with some exceptions.
            y.push((signal > 0.5) ^ (i % 17 == 0));
        }
        let x = rows(2, &values);
        let (fit, scores) = fit_cross_validated(&x, &y, &[0.1, 1000.0], 5).unwrap();
        assert_eq!(scores.len(), 2);
        assert!(scores[0].deviance < scores[1].deviance, "{scores:?}");
        assert_eq!(fit.lambda, 0.1);
        assert!(
            fit.coefficients[0] > 5.0 * fit.coefficients[1].abs(),
            "{fit:?}"
        );
    }
}
