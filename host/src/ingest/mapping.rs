//! The mapping file: how a non-canonical input's columns become canonical
//! columns, metrics and labels (format documented on [`Mapping`] and in the
//! module docs of [`crate::ingest`]).

use super::fields::{self, FIELD_COUNT, Field, Kind, Val};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};

/// How an input's columns map onto Vitals' canonical columns. Read from JSON
/// ([`Mapping::from_json`]); unknown keys are refused. Every key is optional.
/// See the [module docs](crate::ingest) for an example.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Free text for people: what the mapping is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Source column -> target, or a list of targets (one cell feeding
    /// several). A target is a canonical column (`arr`, `as-of`, ...),
    /// `metric:NAME`, `label:NAME` or `ignore`.
    #[serde(default)]
    pub columns: BTreeMap<String, Targets>,
    /// Source column -> {raw value -> replacement text}, applied to the
    /// trimmed cell before conversion, for every target of the column.
    /// Values not listed pass through; a replacement may be `""` (blank).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Canonical numeric column or `metric:NAME` -> multiplier applied to
    /// numbers converted from cells into it (unit conversion).
    #[serde(default)]
    pub scale: BTreeMap<String, f64>,
    /// Target (as in `columns`) -> fixed value for every row, written as a
    /// cell would be (`"2026-01-01"`, `12`, `true`). Not scaled. A column may
    /// not set a target that has a constant.
    #[serde(default)]
    pub constants: BTreeMap<String, serde_json::Value>,
    /// Canonical date column -> source column holding a whole number of
    /// months before the row's `as_of` (tenure): `start_date` =
    /// `as_of` minus that many calendar months. Negative counts go forward.
    #[serde(default)]
    pub months_before_as_of: BTreeMap<String, String>,
    /// Canonical column -> canonical column whose converted (scaled) value
    /// fills it when the row left it blank (`contract_arr` from `arr`).
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
    /// Days after `as_of` an outcome is dated when the row gives no
    /// `outcome_date` (default 0: the outcome is dated `as_of`).
    #[serde(default)]
    pub outcome_offset_days: i32,
    /// When true, a `churned` outcome without an `arr_change` gets
    /// `-(arr)` (the row's snapshot ARR, else its `contract_arr`).
    #[serde(default)]
    pub churn_arr_change_from_arr: bool,
    /// What to do with a source column that is neither in `columns`, a
    /// canonical column name, nor a `months_before_as_of` source.
    #[serde(default)]
    pub unmapped: Unmapped,
}

/// Policy for columns a mapping does not mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unmapped {
    /// Numeric cells become metrics, others labels (the canonical rule).
    #[default]
    Auto,
    /// Dropped.
    Ignore,
    /// The file is refused, naming the column.
    Error,
}

/// One or more targets of a source column: `"arr"` or `["arr", "metric:x"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<String>);

impl Serialize for Targets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Targets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Targets;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a target string or a list of target strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Targets, E> {
                Ok(Targets(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Targets, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = a.next_element::<String>()? {
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
        format!("unknown target {text:?} (a canonical column, metric:NAME, label:NAME or ignore)")
    })
}

/// A constant's converted value.
#[derive(Debug, Clone)]
pub(crate) enum Constant {
    Field(Field, Val),
    Metric(String, f64),
    Label(String, String),
}

/// A validated mapping, ready for a parse.
#[derive(Debug, Clone)]
pub(crate) struct Compiled<'m> {
    /// Source column -> targets (never contains `Ignore` alongside others).
    pub columns: HashMap<&'m str, Vec<Target>>,
    pub values: Option<&'m BTreeMap<String, BTreeMap<String, String>>>,
    pub field_scale: [f64; FIELD_COUNT],
    pub metric_scale: HashMap<&'m str, f64>,
    pub constants: Vec<Constant>,
    /// (date column, source column of months).
    pub months: Vec<(Field, &'m str)>,
    /// (to, from).
    pub copies: Vec<(Field, Field)>,
    pub offset_days: i32,
    pub churn_from_arr: bool,
    pub unmapped: Unmapped,
}

impl Compiled<'_> {
    /// The canonical reading: no mapping.
    pub(crate) fn canonical() -> Self {
        Compiled {
            columns: HashMap::new(),
            values: None,
            field_scale: [1.0; FIELD_COUNT],
            metric_scale: HashMap::new(),
            constants: Vec::new(),
            months: Vec::new(),
            copies: Vec::new(),
            offset_days: 0,
            churn_from_arr: false,
            unmapped: Unmapped::Auto,
        }
    }
}

fn field_named(key: &str, what: &str) -> Result<Field, String> {
    Field::from_name(key).ok_or_else(|| format!("{what}: {key:?} is not a canonical column"))
}

impl Mapping {
    /// Reads and checks a mapping; the error names the key at fault.
    pub fn from_json(text: &str) -> Result<Mapping, String> {
        let m: Mapping = serde_json::from_str(text).map_err(|e| format!("mapping: {e}"))?;
        m.compile()?;
        Ok(m)
    }

    /// The built-in mapping for IBM's "Telco Customer Churn" sample, a copy
    /// of `examples/mappings/telco.json` (explained in
    /// `examples/mappings/README.md`).
    pub fn telco() -> Mapping {
        Mapping::from_json(include_str!("../../../examples/mappings/telco.json"))
            .expect("the built-in Telco mapping is valid (tested)")
    }

    /// Checks every key and converts constants, once per parse.
    pub(crate) fn compile(&self) -> Result<Compiled<'_>, String> {
        let mut c = Compiled::canonical();
        for (source, targets) in &self.columns {
            let mut parsed = Vec::new();
            for t in &targets.0 {
                parsed.push(parse_target(t).map_err(|e| format!("columns.{source}: {e}"))?);
            }
            if parsed.is_empty() {
                return Err(format!("columns.{source}: no target (use \"ignore\")"));
            }
            if parsed.len() > 1 && parsed.contains(&Target::Ignore) {
                return Err(format!("columns.{source}: \"ignore\" cannot be combined"));
            }
            c.columns.insert(source.as_str(), parsed);
        }
        if !self.values.is_empty() {
            c.values = Some(&self.values);
        }
        for (key, &factor) in &self.scale {
            if !factor.is_finite() {
                return Err(format!("scale.{key}: {factor} is not a finite number"));
            }
            match parse_target(key).map_err(|e| format!("scale.{key}: {e}"))? {
                Target::Field(f) if f.is_numeric() => c.field_scale[f as usize] = factor,
                Target::Metric(_) => {
                    let name = key["metric:".len()..].trim();
                    c.metric_scale.insert(name, factor);
                }
                _ => return Err(format!("scale.{key}: not a numeric column or metric:NAME")),
            }
        }
        for (key, value) in &self.constants {
            let text = match value {
                serde_json::Value::String(s) => s.trim().to_owned(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(format!(
                        "constants.{key}: must be a string, number or boolean"
                    ));
                }
            };
            let err = |e: String| format!("constants.{key}: {e}");
            if text.is_empty() {
                return Err(err("is blank".to_owned()));
            }
            c.constants.push(match parse_target(key).map_err(err)? {
                Target::Field(f) => {
                    Constant::Field(f, fields::convert(f, &text, 1.0).map_err(err)?)
                }
                Target::Metric(n) => Constant::Metric(n, fields::parse_number(&text).map_err(err)?),
                Target::Label(n) => Constant::Label(n, text),
                Target::Ignore => return Err(err("cannot be ignore".to_owned())),
            });
        }
        for (key, source) in &self.months_before_as_of {
            let f = field_named(key, "months_before_as_of")?;
            if f.kind() != Kind::Date || f == Field::AsOf {
                return Err(format!(
                    "months_before_as_of.{key}: must be start_date, renewal_date or outcome_date"
                ));
            }
            c.months.push((f, source.as_str()));
        }
        for (to, from) in &self.copy {
            let (t, f) = (field_named(to, "copy")?, field_named(from, "copy")?);
            if matches!(t, Field::AccountId | Field::AsOf) || t == f {
                return Err(format!("copy.{to}: cannot be copied into"));
            }
            if !fields::copy_compatible(f, t) {
                return Err(format!("copy.{to}: {from} holds a different kind of value"));
            }
            c.copies.push((t, f));
        }
        for (to, from) in &c.copies {
            if c.copies.iter().any(|(t, _)| t == from) {
                return Err(format!(
                    "copy.{}: {} is itself a copy target (no chains)",
                    to.name(),
                    from.name()
                ));
            }
        }
        if self.outcome_offset_days.unsigned_abs() > 36_600 {
            return Err("outcome_offset_days: at most 36600 days either way".to_owned());
        }
        c.offset_days = self.outcome_offset_days;
        c.churn_from_arr = self.churn_arr_change_from_arr;
        c.unmapped = self.unmapped;
        Ok(c)
    }
}
