//! The suggested configurations as files people review: thresholds first,
//! then groups, then one measure per line with its name first, so a diff
//! against the current configuration reads like the scorecard it is.

use super::Suggestion;
use serde_json::Value;

/// Keys in the order a reader wants them; others follow alphabetically.
const ORDER: &[&str] = &[
    "red_below",
    "yellow_below",
    "green",
    "yellow",
    "red",
    "unscored",
    "commit",
    "groups",
    "measures",
    "measure",
    "group",
    "weight",
    "worst",
    "best",
];

fn ordered(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
    entries.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then_with(|| a.0.cmp(b.0)));
    entries
}

/// A value on one line.
fn inline(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let parts: Vec<String> = ordered(map)
                .into_iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), inline(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// A configuration as readable JSON: one top-level key per line, the
/// entries of objects and lists below it one per line.
pub fn readable(config: &Value) -> String {
    let Value::Object(map) = config else {
        return inline(config) + "\n";
    };
    let mut lines = Vec::new();
    for (k, v) in ordered(map) {
        let key = Value::String(k.clone());
        let text = match v {
            Value::Object(inner) if !inner.is_empty() => {
                let rows: Vec<String> = ordered(inner)
                    .into_iter()
                    .map(|(k, v)| format!("    {}: {}", Value::String(k.clone()), inline(v)))
                    .collect();
                format!("  {key}: {{\n{}\n  }}", rows.join(",\n"))
            }
            Value::Array(items) if !items.is_empty() => {
                let rows: Vec<String> =
                    items.iter().map(|i| format!("    {}", inline(i))).collect();
                format!("  {key}: [\n{}\n  ]", rows.join(",\n"))
            }
            other => format!("  {key}: {}", inline(other)),
        };
        lines.push(text);
    }
    format!("{{\n{}\n}}\n", lines.join(",\n"))
}

impl Suggestion {
    /// The files to write for review: `weighted-health.json`, then
    /// `renewal-forecast.json` when there is one, each a configuration
    /// ready for `vitals plugin config NAME --file`.
    pub fn config_files(&self) -> Vec<(String, String)> {
        let mut files = vec![(
            format!("{}.json", self.weighted_health.plugin),
            readable(&self.weighted_health.config),
        )];
        if let Some(f) = &self.renewal_forecast {
            files.push((format!("{}.json", f.plugin), readable(&f.config)));
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readable_json_is_the_same_value_in_a_reading_order() {
        let config = json!({
            "tiers": {},
            "onboarding_days": 90,
            "measures": [{"worst": 1, "best": 72, "weight": 0.5, "measure": "tenure", "group": "g"}],
            "groups": {"g": 1.0, "a": 0.0},
            "yellow_below": 48.1,
            "red_below": 40.5,
        });
        let text = readable(&config);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), config);
        let expected = r#"{
  "red_below": 40.5,
  "yellow_below": 48.1,
  "groups": {
    "a": 0.0,
    "g": 1.0
  },
  "measures": [
    {"measure": "tenure", "group": "g", "weight": 0.5, "worst": 1, "best": 72}
  ],
  "onboarding_days": 90,
  "tiers": {}
}
"#;
        assert_eq!(text, expected);
        assert_eq!(readable(&json!([1, "a"])), "[1, \"a\"]\n");
    }
}
