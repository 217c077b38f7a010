//! When a failed delivery is tried again: the operator's schedule, each
//! wait moved by a random fraction (jitter) so that a receiver coming back
//! is not hit by every retry at once.

use std::time::Duration;

/// When the next attempt is due (unix ms) after `attempts` failed ones,
/// or `None` when the schedule is spent (the delivery is dead). `random`
/// is any `u64` (uniform): it picks the jitter.
pub fn next_attempt_ms(
    schedule: &[Duration],
    jitter: f64,
    attempts: u32,
    now_ms: u64,
    random: u64,
) -> Option<u64> {
    let index = (attempts as usize).checked_sub(1)?;
    let wait = schedule.get(index)?.as_millis() as f64;
    // A uniform fraction in [-1, 1).
    let unit = (random >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
    let jittered = (wait * (1.0 + jitter * unit)).max(0.0);
    Some(now_ms + jittered.round() as u64)
}

/// A random `u64` for [`next_attempt_ms`] (0 if the source fails: no jitter).
pub fn random_u64() -> u64 {
    getrandom::u64().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIDDLE: u64 = 1 << 63;

    #[test]
    fn each_failure_waits_the_next_step_then_the_delivery_is_dead() {
        let schedule = [Duration::from_secs(5), Duration::from_secs(300)];
        assert_eq!(
            next_attempt_ms(&schedule, 0.2, 1, 1_000, MIDDLE),
            Some(6_000)
        );
        assert_eq!(
            next_attempt_ms(&schedule, 0.2, 2, 1_000, MIDDLE),
            Some(301_000)
        );
        assert_eq!(next_attempt_ms(&schedule, 0.2, 3, 1_000, MIDDLE), None);
        assert_eq!(next_attempt_ms(&[], 0.2, 1, 1_000, MIDDLE), None);
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let schedule = [Duration::from_secs(100)];
        let low = next_attempt_ms(&schedule, 0.2, 1, 0, 0).unwrap();
        let high = next_attempt_ms(&schedule, 0.2, 1, 0, u64::MAX).unwrap();
        assert_eq!(low, 80_000);
        assert!((119_990..=120_000).contains(&high), "{high}");
        assert_eq!(
            next_attempt_ms(&schedule, 0.0, 1, 0, u64::MAX),
            Some(100_000)
        );
    }
}
