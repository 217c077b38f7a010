//! The names a configuration gives, checked against what the tenant's
//! accounts have (its catalog): a name no account has, or a text label named
//! where a number is read, makes a plugin drop the measure without a word;
//! here it makes a warning that names the field and the nearest names the
//! tenant does have. Warnings, not refusals: the accounts may come later.

use super::markers::{Expects, NamedField, named_fields};
use crate::store::Catalog;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Nearest names offered at most.
const NEAREST: usize = 3;
/// Similarity (normalised Damerau-Levenshtein, 0-1) below which a name is
/// not offered as a likely meaning.
const ALIKE: f64 = 0.5;

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NameProblem {
    /// No account has a metric or label of that name.
    Unknown,
    /// A text label, named where the plugin reads a number.
    TextLabel,
    /// A numeric metric, named where the plugin reads a text label.
    NotALabel,
    /// One of the plugin's own measures, computed from fields no account has.
    NoValues,
    /// The tenant has no named data yet: nothing could be checked.
    Unchecked,
}

/// A name in a configuration that no account of the tenant can fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NameWarning {
    /// The configuration field, as `measures[3].measure`.
    pub field: String,
    /// The name it gives.
    pub name: String,
    /// What is wrong.
    pub problem: NameProblem,
    /// The tenant's names closest to it, closest first.
    pub nearest: Vec<String>,
    /// The warning in words.
    pub message: String,
}

/// Up to [`NEAREST`] of `candidates` alike to `name`, closest first.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut scored: Vec<(f64, &String)> = candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
        .filter(|(s, _)| *s >= ALIKE)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(NEAREST)
        .map(|(_, c)| c.clone())
        .collect()
}

fn suggestion(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; nearest: {}", nearest.join(", "))
    }
}

fn warn_one(plugin: &str, tenant: &str, f: &NamedField, catalog: &Catalog) -> Option<NameWarning> {
    let warning = |problem, nearest: Vec<String>, message: String| NameWarning {
        field: f.path.clone(),
        name: f.name.clone(),
        problem,
        nearest,
        message: format!("{} {:?}: {message}", f.path, f.name),
    };
    if let Some(reads) = f.built_in.get(&f.name) {
        let missing: Vec<&str> = reads
            .iter()
            .map(String::as_str)
            .filter(|r| !catalog.fields.contains(*r))
            .collect();
        return (!missing.is_empty()).then(|| {
            warning(
                NameProblem::NoValues,
                vec![],
                format!(
                    "{plugin} computes it from {}, which no account of tenant {tenant:?} has, so it has no value for any account",
                    missing.join(" and ")
                ),
            )
        });
    }
    // The plugin's own names worth offering: those the tenant has the fields for.
    let own: Vec<String> = f
        .built_in
        .iter()
        .filter(|(_, reads)| reads.iter().all(|r| catalog.fields.contains(r)))
        .map(|(name, _)| name.clone())
        .collect();
    match f.expects {
        Expects::Number if catalog.metrics.contains(&f.name) => None,
        Expects::Label if catalog.labels.contains(&f.name) => None,
        Expects::Number if catalog.labels.contains(&f.name) => {
            let near = nearest(&f.name, catalog.metrics.iter().chain(&own));
            Some(warning(
                NameProblem::TextLabel,
                near.clone(),
                format!(
                    "a text label of tenant {tenant:?}'s accounts, not a number: {plugin} reads numbers, so it has no value for any account; turn it into a numeric metric at ingest (a mapping's `values`), or name a metric{}",
                    suggestion(&near)
                ),
            ))
        }
        Expects::Label if catalog.metrics.contains(&f.name) => {
            let near = nearest(&f.name, catalog.labels.iter().chain(&own));
            Some(warning(
                NameProblem::NotALabel,
                near.clone(),
                format!(
                    "a numeric metric of tenant {tenant:?}'s accounts, not a text label{}",
                    suggestion(&near)
                ),
            ))
        }
        expects => {
            let (what, pool) = match expects {
                Expects::Number => ("metric", &catalog.metrics),
                Expects::Label => ("label", &catalog.labels),
            };
            let near = nearest(&f.name, pool.iter().chain(&own));
            Some(warning(
                NameProblem::Unknown,
                near.clone(),
                format!(
                    "no account of tenant {tenant:?} has a {what} of that name, so it has no value for any account{}",
                    suggestion(&near)
                ),
            ))
        }
    }
}

/// Warnings for each name `config` gives in a field `schema` marks (see
/// `names::markers`) that no account of the tenant can fill. `plugin` is
/// the plugin's name, for the messages.
pub fn check_names(
    plugin: &str,
    tenant: &str,
    schema: &str,
    config: &Value,
    catalog: &Catalog,
) -> Vec<NameWarning> {
    let Ok(schema) = serde_json::from_str::<Value>(schema) else {
        return Vec::new();
    };
    let fields = named_fields(&schema, config);
    if fields.is_empty() {
        return Vec::new();
    }
    if catalog.is_empty() {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return vec![NameWarning {
            field: String::new(),
            name: String::new(),
            problem: NameProblem::Unchecked,
            nearest: vec![],
            message: format!(
                "tenant {tenant:?} has no account with metrics, labels or fields yet: the names this configuration gives ({}) are checked once there are some",
                names.join(", ")
            ),
        }];
    }
    fields
        .iter()
        .filter_map(|f| warn_one(plugin, tenant, f, catalog))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Catalog {
        let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        Catalog {
            metrics: set(&["tenure-months", "total-charges", "monthly-charges"]),
            labels: set(&["contract", "payment-method"]),
            fields: set(&["arr", "start-date", "plan"]),
        }
    }

    const SCHEMA: &str = r#"{"type": "object", "properties": {"measures": {"type": "array", "items": {"type": "object", "properties": {
        "measure": {"type": "string", "x-vitals-measure": "number",
            "x-vitals-built-in": {"nps": ["nps"], "tenure-days": ["start-date"]}}}}},
        "segment_by": {"type": "string", "x-vitals-measure": "label"}}}"#;

    fn warnings(config: Value) -> Vec<NameWarning> {
        check_names("weighted-health", "telco", SCHEMA, &config, &catalog())
    }

    #[test]
    fn a_typo_is_named_with_the_nearest_names() {
        let w = warnings(
            json!({"measures": [{"measure": "tenure-month"}, {"measure": "tenure-months"}]}),
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].problem, NameProblem::Unknown);
        assert_eq!(w[0].field, "measures[0].measure");
        assert_eq!(w[0].nearest[0], "tenure-months");
        assert!(
            w[0].message.starts_with(
                "measures[0].measure \"tenure-month\": no account of tenant \"telco\" has a metric of that name"
            ) && w[0].message.contains("; nearest: tenure-months, tenure-days"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn a_text_label_named_as_a_number_is_its_own_warning() {
        let w =
            warnings(json!({"measures": [{"measure": "contract"}], "segment_by": "tenure-months"}));
        assert_eq!(w[0].problem, NameProblem::TextLabel);
        assert!(w[0].message.contains("a text label"), "{}", w[0].message);
        assert_eq!(w[1].problem, NameProblem::NotALabel);
        assert!(warnings(json!({"segment_by": "contract"})).is_empty());
    }

    #[test]
    fn the_plugins_own_measures_need_their_fields() {
        let w = warnings(json!({"measures": [{"measure": "nps"}, {"measure": "tenure-days"}]}));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            (w[0].name.as_str(), w[0].problem),
            ("nps", NameProblem::NoValues)
        );
        assert!(
            w[0].message
                .contains("weighted-health computes it from nps, which no account"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn only_own_measures_the_tenant_can_fill_are_offered() {
        let mut c = catalog();
        c.fields.remove("start-date");
        let w = check_names(
            "weighted-health",
            "telco",
            SCHEMA,
            &json!({"measures": [{"measure": "tenure-day"}]}),
            &c,
        );
        assert_eq!(w[0].nearest, ["tenure-months"]);
    }

    #[test]
    fn nothing_to_check_against_is_one_warning() {
        let w = check_names(
            "p",
            "t",
            SCHEMA,
            &json!({"measures": [{"measure": "a"}]}),
            &Catalog::default(),
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].problem, NameProblem::Unchecked);
        assert!(check_names("p", "t", SCHEMA, &json!({}), &Catalog::default()).is_empty());
    }

    #[test]
    fn nearest_names_are_alike_and_few() {
        let pool: Vec<String> = ["tenure-months", "tenure", "total-charges", "zzz"]
            .map(String::from)
            .to_vec();
        assert_eq!(nearest("tenure-month", &pool), ["tenure-months", "tenure"]);
        assert!(nearest("qqqq", &pool).is_empty());
    }
}
