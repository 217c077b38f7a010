//! The layouts suite's table and JSON.

use super::Case;
use serde_json::{Map, Value, json};

/// Medians of one run.
pub struct Figures {
    pub accounts: usize,
    pub rounds: usize,
    pub native_history: f64,
    pub native_current_only: f64,
    /// Each case with its median ns per account.
    pub cases: Vec<(Case, f64)>,
    pub projection: Value,
    /// Python and JavaScript (`polyglot`), us per account.
    pub languages: Value,
}

fn key(case: &Case) -> String {
    match (case.batch, case.history) {
        (b, true) => format!("batch_{b}"),
        (b, false) => format!("batch_{b}_no_history"),
    }
}

impl Figures {
    fn native(&self, history: bool) -> f64 {
        if history {
            self.native_history
        } else {
            self.native_current_only
        }
    }

    /// Labels in first-seen order, each with its figures by key.
    fn by_path(&self) -> Vec<(String, Map<String, Value>)> {
        let mut out: Vec<(String, Map<String, Value>)> = Vec::new();
        for (case, ns) in &self.cases {
            let label = case.path.label();
            let at = match out.iter().position(|(l, _)| *l == label) {
                Some(i) => i,
                None => {
                    out.push((label, Map::new()));
                    out.len() - 1
                }
            };
            let row = &mut out[at].1;
            row.insert(key(case), json!(ns));
            row.insert(
                format!("{}_over_native", key(case)),
                json!(ns / self.native(case.history)),
            );
        }
        out
    }

    pub fn json(&self) -> Value {
        let paths: Map<String, Value> = self
            .by_path()
            .into_iter()
            .map(|(l, m)| (l, Value::Object(m)))
            .collect();
        json!({
            "accounts": self.accounts,
            "rounds": self.rounds,
            "native_ns_per_account": {"history": self.native_history, "current_only": self.native_current_only},
            "paths": paths,
            "projection": self.projection,
            "languages": self.languages,
        })
    }

    pub fn print(&self) {
        println!(
            "vitals-bench layouts: weighted-health over {} generated accounts, median of {} alternating rounds, one thread",
            self.accounts, self.rounds
        );
        println!(
            "native (incl. input conversion): {:.0} ns/account with history, {:.0} without\n",
            self.native_history, self.native_current_only
        );
        println!(
            "{:<44}{:>9}{:>9}{:>9}{:>8}{:>12}{:>8}",
            "ns/account (x native)", "b1", "b100", "b1000", "x", "b1000 nohist", "x"
        );
        let get = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_f64);
        let cell = |v: Option<f64>, w: usize, d: usize| match v {
            Some(v) => format!("{v:>w$.d$}"),
            None => format!("{:>w$}", ""),
        };
        for (label, m) in self.by_path() {
            println!(
                "{:<44}{}{}{}{}{}{}",
                label,
                cell(get(&m, "batch_1"), 9, 0),
                cell(get(&m, "batch_100"), 9, 0),
                cell(get(&m, "batch_1000"), 9, 0),
                cell(get(&m, "batch_1000_over_native"), 8, 2),
                cell(get(&m, "batch_1000_no_history"), 12, 0),
                cell(get(&m, "batch_1000_no_history_over_native"), 8, 2),
            );
        }
        println!(
            "\nprojection for weighted-health's default configuration: {}",
            self.projection
        );
    }
}
