//! A realistic generated tenant for the demo: accounts across tiers with
//! quarterly snapshots over two years that follow one of the lifecycle
//! stories (onboarding, adoption, decline, expansion, churn). Deterministic
//! for a seed, so the demo prints the same figures every time.

mod install;
mod pack;

pub use install::{DEFAULT_TENANT, DemoError, Installed, claim_tenant, install};
pub use pack::{DEMO_KEY_NAME, REFERENCE_PACK, install_reference_pack, reference_pack};

use crate::model::{IngestRow, Outcome, OutcomeKind};
use crate::runtime::types::{Account, Attributes, Confidence, Metric, Snapshot};

/// SplitMix64: tiny, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// The lifecycle story an account follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Story {
    Onboarding,
    Adopting,
    Expanding,
    Declining,
    Churned,
}

const OWNERS: [&str; 6] = ["ana", "ben", "chloe", "dev", "eli", "fatima"];
const QUARTER: i32 = 91;

/// `n` accounts as of `as_of`, each with up to 8 quarterly snapshots of history.
pub fn generate(n: usize, as_of: i32, seed: u64) -> Vec<Account> {
    let mut rng = Rng(seed);
    (0..n).map(|i| account(&mut rng, i, as_of)).collect()
}

fn account(rng: &mut Rng, i: usize, as_of: i32) -> Account {
    let story = match rng.unit() {
        x if x < 0.08 => Story::Onboarding,
        x if x < 0.55 => Story::Adopting,
        x if x < 0.75 => Story::Expanding,
        x if x < 0.94 => Story::Declining,
        _ => Story::Churned,
    };
    let tier = rng.pick(&[
        "smb",
        "smb",
        "smb",
        "mid-market",
        "mid-market",
        "enterprise",
    ]);
    let seats: u32 = match tier {
        "smb" => rng.range(5.0, 40.0) as u32,
        "mid-market" => rng.range(40.0, 250.0) as u32,
        _ => rng.range(250.0, 2000.0) as u32,
    };
    let price_per_seat = rng.range(300.0, 900.0).round();
    let contract_arr = f64::from(seats) * price_per_seat;
    let tenure = if story == Story::Onboarding {
        rng.range(10.0, 85.0)
    } else {
        rng.range(200.0, 1500.0)
    } as i32;
    let start = as_of - tenure;
    let renewal = as_of + rng.range(5.0, 365.0) as i32;
    let quarters = ((tenure / QUARTER) + 1).min(9);
    let mut snaps: Vec<Snapshot> = (0..quarters)
        .rev()
        .map(|q| {
            snapshot(
                rng,
                story,
                seats,
                contract_arr,
                as_of - q * QUARTER,
                q,
                tenure - q * QUARTER,
            )
        })
        .collect();
    let current = snaps.pop().expect("at least one snapshot");
    let confidence = match rng.unit() {
        x if x < 0.15 => Some(Confidence::Commit),
        x if x < 0.18 => Some(Confidence::Omitted),
        _ => None,
    };
    Account {
        id: format!("acct-{i:06}"),
        attributes: Attributes {
            name: Some(format!(
                "{} {}",
                rng.pick(&[
                    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"
                ]),
                i
            )),
            owner: Some(OWNERS[i % OWNERS.len()].to_string()),
            tier: Some(tier.to_string()),
            plan: Some(rng.pick(&["starter", "growth", "scale"]).to_string()),
            start_date: Some(start),
            renewal_date: Some(renewal),
            contract_arr: Some(contract_arr),
            renewal_confidence: confidence,
            labels: vec![],
        },
        current,
        history: snaps,
        health: vec![],
    }
}

/// One quarterly snapshot; `q` quarters before as-of, `age` days into the relationship.
fn snapshot(
    rng: &mut Rng,
    story: Story,
    seats: u32,
    arr: f64,
    as_of: i32,
    q: i32,
    age: i32,
) -> Snapshot {
    // Utilisation path by story, from two years ago (q = 8) to now (q = 0).
    let t = 1.0 - f64::from(q) / 8.0;
    let utilisation = match story {
        Story::Onboarding => 0.2 + 0.4 * t,
        Story::Adopting => 0.55 + 0.15 * t,
        Story::Expanding => 0.65 + 0.4 * t,
        Story::Declining => 0.85 - 0.6 * t,
        Story::Churned => 0.5 - 0.45 * t,
    } + rng.range(-0.08, 0.08);
    let utilisation = utilisation.clamp(0.0, 1.3);
    let active = (f64::from(seats) * utilisation).round() as u32;
    let tickets = match story {
        Story::Declining | Story::Churned => rng.range(2.0, 12.0),
        _ => rng.range(0.0, 4.0),
    } as u32;
    let nps = match story {
        Story::Expanding => rng.range(7.0, 10.99),
        Story::Declining | Story::Churned => rng.range(0.0, 7.0),
        _ => rng.range(4.0, 10.0),
    } as u8;
    let churned_now = story == Story::Churned && q == 0;
    let mut metrics = vec![
        Metric {
            name: "webinars-attended".into(),
            value: rng.range(0.0, 4.0).floor(),
        },
        Metric {
            name: "community-posts".into(),
            value: rng.range(0.0, 7.0).floor(),
        },
    ];
    if age < 90 {
        metrics.push(Metric {
            name: "onboarding-progress".into(),
            value: (f64::from(age.max(0)) / 90.0 * 100.0 * rng.range(0.5, 1.1))
                .clamp(0.0, 100.0)
                .round(),
        });
    }
    Snapshot {
        as_of,
        seats_purchased: Some(seats),
        seats_active: Some(if churned_now { 0 } else { active }),
        logins: Some((f64::from(active) * rng.range(4.0, 20.0)) as u32),
        features_used: Some((utilisation * 14.0 + rng.range(0.0, 4.0)).min(20.0) as u32),
        features_available: Some(20),
        tickets_open: Some(tickets),
        tickets_high_severity: Some(tickets / 3),
        nps: if rng.unit() < 0.7 {
            Some(nps.min(10))
        } else {
            None
        },
        csat: Some(rng.range(50.0, 99.0).round()),
        arr: Some(if churned_now {
            0.0
        } else {
            arr * (1.0
                + if story == Story::Expanding {
                    0.1 * t
                } else {
                    0.0
                })
        }),
        champion_left: Some(matches!(story, Story::Declining | Story::Churned) && rng.unit() < 0.3),
        late_payments: Some(if matches!(story, Story::Declining | Story::Churned) {
            rng.range(0.0, 4.0) as u32
        } else {
            0
        }),
        metrics,
    }
}

/// The generated accounts as ingest rows: one row per snapshot (attributes
/// on each), plus outcomes: churned accounts churned at their last
/// snapshot, accounts over a year old renewed on their first anniversary,
/// expanding accounts expanded then.
pub fn rows(accounts: &[Account]) -> Vec<IngestRow> {
    let mut out = Vec::new();
    for a in accounts {
        for s in a.history.iter().chain(std::iter::once(&a.current)) {
            out.push(IngestRow {
                line: out.len() + 1,
                account_id: a.id.clone(),
                attributes: a.attributes.clone(),
                snapshot: Some(s.clone()),
                outcome: None,
            });
        }
        let contract = a.attributes.contract_arr.unwrap_or(0.0);
        let outcome = if a.current.arr == Some(0.0) {
            Some(Outcome {
                date: a.current.as_of,
                kind: OutcomeKind::Churned,
                arr_change: -contract,
            })
        } else {
            a.attributes
                .start_date
                .filter(|s| a.current.as_of - s > 365)
                .map(|s| {
                    let grew = a.current.arr.unwrap_or(contract) > contract * 1.05;
                    if grew {
                        Outcome {
                            date: s + 365,
                            kind: OutcomeKind::Expanded,
                            arr_change: a.current.arr.unwrap_or(contract) - contract,
                        }
                    } else {
                        Outcome {
                            date: s + 365,
                            kind: OutcomeKind::Renewed,
                            arr_change: 0.0,
                        }
                    }
                })
        };
        if let Some(o) = outcome {
            out.push(IngestRow {
                line: out.len() + 1,
                account_id: a.id.clone(),
                attributes: a.attributes.clone(),
                snapshot: None,
                outcome: Some(o),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_history_is_sorted() {
        let a = generate(200, 20_454, 7);
        let b = generate(200, 20_454, 7);
        assert_eq!(a, b);
        for acct in &a {
            let dates: Vec<i32> = acct
                .history
                .iter()
                .map(|s| s.as_of)
                .chain([acct.current.as_of])
                .collect();
            assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
            assert_eq!(acct.current.as_of, 20_454);
        }
    }
}
