//! Typed configuration: the tenant's JSON into the plugin's own struct, with
//! an error that names the field, and the JSON Schema derived from the struct.
//!
//! ## Fields that name a measure or a label
//!
//! A configuration that names a metric the tenant's accounts do not have (a
//! typo, `tenure-month` for `tenure-months`) reads nothing and the score
//! quietly gets worse. Mark such fields in the schema and the host checks
//! every name a tenant configures against the names its accounts have,
//! warning with the nearest ones (`vitals plugin config`, backtests):
//!
//! - `"x-vitals-measure": "number"`: the field's string names a numeric
//!   measure: a free-form metric of the snapshots, or one of the plugin's own;
//! - `"x-vitals-measure": "label"`: it names a free-form text label;
//! - `"x-vitals-built-in": {"NAME": ["FIELD", ...]}` beside the mark: the
//!   names the plugin computes itself, each with the built-in snapshot fields
//!   or attributes it reads (WIT names: `seats-active`, `nps`, `start-date`,
//!   ...), so the host can say when no account has them.
//!
//! JSON Schema validators ignore keywords they do not know, so any language
//! can add them to its schema by hand; the host refuses a plugin whose marks
//! are malformed. With schemars:
//!
//! ```
//! #[derive(serde::Deserialize, schemars::JsonSchema, Default)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct Config {
//!     /// The metric scored.
//!     #[schemars(extend("x-vitals-measure" = "number",
//!         "x-vitals-built-in" = {"licence-utilisation": ["seats-purchased", "seats-active"]}))]
//!     pub measure: String,
//!     /// Accounts are grouped by this label.
//!     #[schemars(extend("x-vitals-measure" = "label"))]
//!     pub group_by: String,
//! }
//! let schema = vitals_plugin_sdk::config::schema_json::<Config>();
//! assert!(schema.contains(r#""x-vitals-measure":"label""#));
//! ```
//!
//! What a schema cannot say (thresholds in order, a group that exists) goes
//! in [`crate::Plugin::check_config`]: when a tenant sets a configuration the
//! host asks the plugin's `project` (and calls it on an empty batch), both of
//! which check it, and refuses it with that message.

use crate::PluginError;
use serde::de::DeserializeOwned;

/// Parses a tenant configuration. Blank text or `null` means "all defaults".
/// An error names the path of the offending field, for example
/// `invalid configuration at weights.usage: invalid type: string "x", expected f64`.
pub fn parse<C: DeserializeOwned + Default>(json: &str) -> Result<C, PluginError> {
    let text = json.trim();
    if text.is_empty() || text == "null" {
        return Ok(C::default());
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, C>(&mut de) {
        Ok(config) => Ok(config),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let at = if path == "." {
                "top level".to_string()
            } else {
                path
            };
            Err(PluginError::InvalidConfig(format!(
                "invalid configuration at {at}: {inner}"
            )))
        }
    }
}

/// The JSON Schema (draft 2020-12) of a configuration type, as JSON text.
pub fn schema_json<C: schemars::JsonSchema>() -> String {
    let schema = schemars::schema_for!(C);
    serde_json::to_string(&schema).expect("a derived schema always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Sample {
        red_below: f64,
        weights: Weights,
    }
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Weights {
        usage: f64,
    }
    impl Default for Sample {
        fn default() -> Self {
            Sample {
                red_below: 50.0,
                weights: Weights::default(),
            }
        }
    }
    impl Default for Weights {
        fn default() -> Self {
            Weights { usage: 0.4 }
        }
    }

    #[test]
    fn blank_means_defaults() {
        assert_eq!(parse::<Sample>("").unwrap(), Sample::default());
        assert_eq!(parse::<Sample>(" null ").unwrap(), Sample::default());
        assert_eq!(parse::<Sample>("{}").unwrap(), Sample::default());
    }

    #[test]
    fn partial_config_keeps_other_defaults() {
        let s: Sample = parse(r#"{"weights":{"usage":0.7}}"#).unwrap();
        assert_eq!(s.red_below, 50.0);
        assert_eq!(s.weights.usage, 0.7);
    }

    #[test]
    fn error_names_the_field() {
        let err = parse::<Sample>(r#"{"weights":{"usage":"lots"}}"#).unwrap_err();
        let PluginError::InvalidConfig(msg) = err else {
            panic!("wrong kind: {err:?}")
        };
        assert!(msg.contains("weights.usage"), "{msg}");
        let err = parse::<Sample>(r#"{"red_bellow":3}"#).unwrap_err();
        let PluginError::InvalidConfig(msg) = err else {
            panic!("wrong kind: {err:?}")
        };
        assert!(msg.contains("red_bellow"), "{msg}");
    }

    #[test]
    fn schema_is_json_with_properties() {
        let schema: serde_json::Value = serde_json::from_str(&schema_json::<Sample>()).unwrap();
        assert!(schema["properties"]["red_below"].is_object(), "{schema}");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
}
