//! A mapping's targets: what one source column feeds (`"arr"`, a list of
//! targets, or `{"target": ..., "values": {...}}` with the target's own
//! replacements), and the parsed [`Target`].

use super::fields::{self, Field};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;

/// One target of a source column: a target name, and optionally the
/// replacements for cells converted into this target only (instead of the
/// column's `values`), so one column can be a label as written and a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// A canonical column, `metric:NAME`, `label:NAME` or `ignore`.
    pub target: String,
    /// Raw value -> replacement, for this target (as the mapping's `values`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

impl From<&str> for TargetSpec {
    fn from(target: &str) -> Self {
        TargetSpec {
            target: target.to_owned(),
            values: BTreeMap::new(),
        }
    }
}

/// One or more targets of a source column: `"arr"`, `["arr", "metric:x"]`,
/// or with a target's own values, `{"target": "metric:x", "values": {...}}`
/// (alone or in the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<TargetSpec>);

impl Serialize for Targets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// A target without values is written as its name.
        struct One<'a>(&'a TargetSpec);
        impl Serialize for One<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if self.0.values.is_empty() {
                    s.serialize_str(&self.0.target)
                } else {
                    self.0.serialize(s)
                }
            }
        }
        match self.0.as_slice() {
            [one] => One(one).serialize(s),
            many => s.collect_seq(many.iter().map(One)),
        }
    }
}

const EXPECTED: &str = "a target (\"arr\", \"metric:NAME\", \"label:NAME\", \"ignore\"), \
     an object {\"target\": ..., \"values\": {...}}, or a list of them";

/// A target name or a `{target, values}` object.
struct OneVisitor;

impl<'de> Visitor<'de> for OneVisitor {
    type Value = TargetSpec;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(EXPECTED)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TargetSpec, E> {
        Ok(TargetSpec::from(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<TargetSpec, A::Error> {
        TargetSpec::deserialize(de::value::MapAccessDeserializer::new(a))
    }
}

struct OneTarget(TargetSpec);

impl<'de> Deserialize<'de> for OneTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneVisitor).map(OneTarget)
    }
}

impl<'de> Deserialize<'de> for Targets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Targets;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Targets, E> {
                Ok(Targets(vec![TargetSpec::from(v)]))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Targets, A::Error> {
                OneVisitor.visit_map(a).map(|t| Targets(vec![t]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Targets, A::Error> {
                let mut out = Vec::new();
                while let Some(OneTarget(t)) = a.next_element()? {
                    out.push(t);
                }
                Ok(Targets(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A parsed target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Field(Field),
    Metric(String),
    Label(String),
    Ignore,
}

/// Parses `account_id`, `metric:NAME`, `label:NAME` or `ignore`.
pub(crate) fn parse_target(text: &str) -> Result<Target, String> {
    let named = |prefix: &str| -> Option<Result<String, String>> {
        let name = text.strip_prefix(prefix)?.trim();
        Some(if name.is_empty() {
            Err(format!("target {text:?} has no name after {prefix:?}"))
        } else if name.len() > fields::MAX_ACCOUNT_ID_BYTES {
            Err(format!("target {text:?} is too long"))
        } else {
            Ok(name.to_owned())
        })
    };
    if let Some(r) = named("metric:") {
        return r.map(Target::Metric);
    }
    if let Some(r) = named("label:") {
        return r.map(Target::Label);
    }
    if text.trim() == "ignore" {
        return Ok(Target::Ignore);
    }
    Field::from_name(text).map(Target::Field).ok_or_else(|| {
        let names = fields::FIELDS.iter().map(|f| f.name());
        format!(
            "unknown target {text:?} (a canonical column, metric:NAME, label:NAME or ignore){}",
            super::suggest::did_you_mean(text, names)
        )
    })
}
