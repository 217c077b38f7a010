//! The marks a plugin's configuration schema puts on the fields that name
//! something of the tenant's accounts, and where a configuration fills them.
//!
//! - `"x-vitals-measure": "number"` on a string field: its value names a
//!   numeric measure, a free-form metric of the snapshots or one the plugin
//!   computes itself (see below);
//! - `"x-vitals-measure": "label"`: its value names a free-form text label
//!   of the accounts;
//! - `"x-vitals-built-in": {"NAME": ["FIELD", ...]}` beside it: the names the
//!   plugin computes itself, each with the built-in snapshot fields or
//!   attributes (WIT names, as `seats-active` or `start-date`) it reads; an
//!   empty list reads none.
//!
//! JSON Schema ignores keywords it does not know, so a marked schema
//! validates configurations as before, in every language's validator.

use crate::model::{ATTRIBUTE_FIELDS, SNAPSHOT_FIELDS};
use serde_json::Value;
use std::collections::BTreeMap;

/// The keyword marking a field that names a measure or a label.
pub const MEASURE_KEYWORD: &str = "x-vitals-measure";
/// The keyword listing the names a plugin computes itself.
pub const BUILT_IN_KEYWORD: &str = "x-vitals-built-in";

/// How deep the schema is followed (`$ref` cycles stop here).
const MAX_DEPTH: usize = 64;

/// What a marked field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expects {
    /// A numeric measure (`"number"`).
    Number,
    /// A text label (`"label"`).
    Label,
}

impl Expects {
    fn parse(v: &Value) -> Option<Expects> {
        match v.as_str()? {
            "number" => Some(Expects::Number),
            "label" => Some(Expects::Label),
            _ => None,
        }
    }
}

/// A marked field a configuration fills.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedField {
    /// Where in the configuration, as `measures[3].measure`.
    pub path: String,
    /// The name it gives.
    pub name: String,
    /// What it should name.
    pub expects: Expects,
    /// The plugin's own names for this field and the fields each reads.
    pub built_in: BTreeMap<String, Vec<String>>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The target of a local `$ref` (`#/$defs/X`), if it resolves.
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        Some(root)
    } else {
        root.pointer(pointer)
    }
}

fn built_ins(node: &Value) -> BTreeMap<String, Vec<String>> {
    node.get(BUILT_IN_KEYWORD)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(name, fields)| {
                    let fields = fields
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|f| f.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.clone(), fields)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn walk(
    root: &Value,
    node: &Value,
    value: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<NamedField>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(schema) = node.as_object() else {
        return;
    };
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(root, r))
    {
        walk(root, target, value, path, depth + 1, out);
    }
    if let (Some(expects), Some(name)) = (
        schema.get(MEASURE_KEYWORD).and_then(Expects::parse),
        value.as_str(),
    ) {
        out.push(NamedField {
            path: path.to_string(),
            name: name.to_string(),
            expects,
            built_in: built_ins(node),
        });
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(object) = value.as_object() {
        for (key, v) in object {
            let sub = properties
                .and_then(|p| p.get(key))
                .or_else(|| schema.get("additionalProperties"));
            if let Some(sub) = sub {
                walk(root, sub, v, &join(path, key), depth + 1, out);
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            walk(root, items, v, &format!("{path}[{i}]"), depth + 1, out);
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for sub in schema
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(root, sub, value, path, depth + 1, out);
        }
    }
}

/// The marked fields `config` fills, in the configuration's order, each
/// once (a field reached through several `anyOf` branches is one field).
pub fn named_fields(schema: &Value, config: &Value) -> Vec<NamedField> {
    let mut out = Vec::new();
    walk(schema, schema, config, "", 0, &mut out);
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert(f.path.clone()));
    out
}

/// Checks the marks of a schema (at upload): a mark's value is `number` or
/// `label`; built-in names sit beside a mark and list known fields.
pub fn check_markers(schema: &Value) -> Result<(), String> {
    fn visit(node: &Value, at: &str) -> Result<(), String> {
        match node {
            Value::Object(map) => {
                if let Some(mark) = map.get(MEASURE_KEYWORD)
                    && Expects::parse(mark).is_none()
                {
                    return Err(format!(
                        "{at}: {MEASURE_KEYWORD} is {mark}; use \"number\" (the field names a numeric measure) or \"label\" (a text label)"
                    ));
                }
                if let Some(built_in) = map.get(BUILT_IN_KEYWORD) {
                    if !map.contains_key(MEASURE_KEYWORD) {
                        return Err(format!(
                            "{at}: {BUILT_IN_KEYWORD} without {MEASURE_KEYWORD} beside it"
                        ));
                    }
                    let Some(names) = built_in.as_object() else {
                        return Err(format!(
                            "{at}: {BUILT_IN_KEYWORD} must be an object of name -> list of the fields it reads"
                        ));
                    };
                    for (name, fields) in names {
                        let Some(fields) = fields.as_array() else {
                            return Err(format!(
                                "{at}: {BUILT_IN_KEYWORD}.{name} must be a list of field names"
                            ));
                        };
                        for f in fields {
                            let known = f.as_str().is_some_and(|f| {
                                SNAPSHOT_FIELDS.contains(&f) || ATTRIBUTE_FIELDS.contains(&f)
                            });
                            if !known {
                                return Err(format!(
                                    "{at}: {BUILT_IN_KEYWORD}.{name} reads {f}, which is no built-in snapshot field or attribute ({}, {})",
                                    SNAPSHOT_FIELDS.join(", "),
                                    ATTRIBUTE_FIELDS.join(", ")
                                ));
                            }
                        }
                    }
                }
                for (k, v) in map {
                    visit(v, &format!("{at}/{k}"))?;
                }
                Ok(())
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| visit(v, &format!("{at}/{i}"))),
            _ => Ok(()),
        }
    }
    visit(schema, "#")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shape schemars derives: `$defs`, `$ref`, an optional field as
    /// `anyOf`, a map as `additionalProperties`.
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "measures": {"type": "array", "items": {"$ref": "#/$defs/Rule"}},
                "onboarding_metric": {"type": "string", "x-vitals-measure": "number"},
                "segment_by": {"anyOf": [{"$ref": "#/$defs/Label"}, {"type": "null"}]},
                "by_tier": {"type": "object", "additionalProperties": {"$ref": "#/$defs/Rule"}},
                "plain": {"type": "string"}
            },
            "$defs": {
                "Rule": {"type": "object", "properties": {
                    "measure": {"type": "string", "x-vitals-measure": "number",
                        "x-vitals-built-in": {"nps": ["nps"], "tenure-days": ["start-date"]}},
                    "group": {"type": "string"}
                }},
                "Label": {"type": "string", "x-vitals-measure": "label"}
            }
        })
    }

    #[test]
    fn marked_fields_are_found_through_refs_lists_maps_and_any_of() {
        let config = json!({
            "measures": [{"measure": "tenure-month", "group": "g"}, {"measure": "nps", "group": "g"}],
            "onboarding_metric": "onboarding",
            "segment_by": "region",
            "by_tier": {"smb": {"measure": "logins"}},
            "plain": "not a measure"
        });
        let found = named_fields(&schema(), &config);
        // In the configuration's key order, which serde_json may keep or sort.
        let mut got: Vec<(&str, &str, Expects)> = found
            .iter()
            .map(|f| (f.path.as_str(), f.name.as_str(), f.expects))
            .collect();
        got.sort_by_key(|g| g.0);
        assert_eq!(
            got,
            [
                ("by_tier.smb.measure", "logins", Expects::Number),
                ("measures[0].measure", "tenure-month", Expects::Number),
                ("measures[1].measure", "nps", Expects::Number),
                ("onboarding_metric", "onboarding", Expects::Number),
                ("segment_by", "region", Expects::Label),
            ]
        );
        let nps = found.iter().find(|f| f.name == "nps").unwrap();
        assert_eq!(nps.built_in["tenure-days"], ["start-date"]);
        // A configuration that does not fill them names nothing.
        assert!(named_fields(&schema(), &json!({})).is_empty());
        assert!(named_fields(&json!(true), &json!({"measure": "x"})).is_empty());
    }

    #[test]
    fn a_ref_cycle_ends() {
        let cyclic = json!({"$ref": "#", "x-vitals-measure": "number"});
        assert_eq!(named_fields(&cyclic, &json!("m")).len(), 1);
    }

    #[test]
    fn marks_are_checked_at_upload() {
        check_markers(&schema()).unwrap();
        let bad = json!({"properties": {"m": {"x-vitals-measure": "metric"}}});
        assert!(
            check_markers(&bad)
                .unwrap_err()
                .contains("#/properties/m: x-vitals-measure is \"metric\"")
        );
        let unknown_field =
            json!({"x-vitals-measure": "number", "x-vitals-built-in": {"seats": ["seats"]}});
        let err = check_markers(&unknown_field).unwrap_err();
        assert!(err.contains("reads \"seats\""), "{err}");
        let alone = json!({"x-vitals-built-in": {}});
        assert!(check_markers(&alone).unwrap_err().contains("without"));
    }
}
