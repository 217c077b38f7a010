//! The mapping file: how a non-canonical input's columns become canonical
//! columns, metrics and labels (format documented on [`Mapping`] and in the
//! module docs of [`crate::ingest`]).

use super::fields::{self, FIELD_COUNT, Field, Kind, Val};
use super::targets::{Target, parse_target};
pub use super::targets::{TargetSpec, Targets};
use serde::{Deserialize, Serialize};
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
    /// `metric:NAME`, `label:NAME` or `ignore`; written as an object
    /// `{"target": ..., "values": {...}}` it has replacements of its own.
    /// Every source column named must be in the input.
    #[serde(default)]
    pub columns: BTreeMap<String, Targets>,
    /// Source column -> {raw value -> replacement text}, applied to the
    /// trimmed cell before conversion, for every target of the column
    /// that has no `values` of its own. Values not listed pass through; a
    /// replacement may be `""` (blank).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Cell texts that mean "no value" in every column (`["?", "NA"]`),
    /// compared with the trimmed cell as written (letter case counts);
    /// a column's or target's `values` entry for the same text wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
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
    /// As `months_before_as_of`, in years: the date is `as_of` minus
    /// 12 x that many months (`1.5` is 18 months; the count must come to a
    /// whole number of months).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub years_before_as_of: BTreeMap<String, String>,
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
    /// canonical column name, nor a `months_before_as_of` or
    /// `years_before_as_of` source.
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
    /// The file is refused, naming every such column.
    Error,
}

/// The unit of a count of time before `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    Months,
    Years,
}

impl Span {
    /// The key of the mapping that names it.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Span::Months => "months_before_as_of",
            Span::Years => "years_before_as_of",
        }
    }

    /// The number of months a cell gives.
    pub(crate) fn months(self, text: &str) -> Result<i32, String> {
        match self {
            Span::Months => fields::parse_months(text),
            Span::Years => fields::parse_years(text),
        }
    }
}

/// A constant's converted value.
#[derive(Debug, Clone)]
pub(crate) enum Constant {
    Field(Field, Val),
    Metric(String, f64),
    Label(String, String),
}

/// Replacements of raw cell text (a mapping's `values`).
pub(crate) type Replacements = BTreeMap<String, String>;

/// A validated mapping, ready for a parse.
#[derive(Debug, Clone)]
pub(crate) struct Compiled<'m> {
    /// Source column -> targets, each with its own replacements if it has
    /// any (never contains `Ignore` alongside others).
    pub columns: HashMap<&'m str, Vec<(Target, Option<&'m Replacements>)>>,
    pub values: Option<&'m BTreeMap<String, Replacements>>,
    /// Cell texts that are blanks in every column.
    pub missing: Vec<&'m str>,
    pub field_scale: [f64; FIELD_COUNT],
    pub metric_scale: HashMap<&'m str, f64>,
    pub constants: Vec<Constant>,
    /// (date column, source column of the count, its unit).
    pub spans: Vec<(Field, &'m str, Span)>,
    /// (to, from).
    pub copies: Vec<(Field, Field)>,
    pub offset_days: i32,
    pub churn_from_arr: bool,
    pub unmapped: Unmapped,
    /// Every source column the mapping names, with the key that names it:
    /// each must be in the input, or the mapping would be skipped silently.
    pub sources: Vec<(&'m str, &'static str)>,
}

impl Compiled<'_> {
    /// The canonical reading: no mapping.
    pub(crate) fn canonical() -> Self {
        Compiled {
            columns: HashMap::new(),
            values: None,
            missing: Vec::new(),
            field_scale: [1.0; FIELD_COUNT],
            metric_scale: HashMap::new(),
            constants: Vec::new(),
            spans: Vec::new(),
            copies: Vec::new(),
            offset_days: 0,
            churn_from_arr: false,
            unmapped: Unmapped::Auto,
            sources: Vec::new(),
        }
    }

    /// Whether a source column is the count of a `*_before_as_of` date.
    pub(crate) fn is_span_source(&self, source: &str) -> bool {
        self.spans.iter().any(|(_, s, _)| *s == source)
    }
}

fn field_named(key: &str, what: &str) -> Result<Field, String> {
    Field::from_name(key).ok_or_else(|| format!("{what}: {key:?} is not a canonical column"))
}

impl Mapping {
    /// Reads and checks a mapping; the error names the key at fault
    /// (`scale.arr: invalid type: ...`, `unknown field ...`).
    pub fn from_json(text: &str) -> Result<Mapping, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        let m: Mapping = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            match path.as_str() {
                "." | "" => e.into_inner().to_string(),
                _ => format!("{path}: {}", e.into_inner()),
            }
        })?;
        de.end().map_err(|e| e.to_string())?;
        m.compile()?;
        Ok(m)
    }

    /// The names of the mappings built into the binary.
    pub const BUILT_IN: &'static [&'static str] = &["telco"];

    /// A built-in mapping by name.
    pub fn built_in(name: &str) -> Option<Mapping> {
        match name {
            "telco" => Some(Mapping::telco()),
            _ => None,
        }
    }

    /// The built-in mapping whose name is closest to `name`, if one is
    /// close (`telco` for `telcoo`).
    pub fn closest_built_in(name: &str) -> Option<&'static str> {
        super::suggest::closest(name, Mapping::BUILT_IN.iter().copied())
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
            for spec in &targets.0 {
                let t = parse_target(&spec.target).map_err(|e| format!("columns.{source}: {e}"))?;
                if t == Target::Ignore && !spec.values.is_empty() {
                    return Err(format!("columns.{source}: \"ignore\" takes no values"));
                }
                let own = (!spec.values.is_empty()).then_some(&spec.values);
                parsed.push((t, own));
            }
            if parsed.is_empty() {
                return Err(format!("columns.{source}: no target (use \"ignore\")"));
            }
            if parsed.len() > 1 && parsed.iter().any(|(t, _)| *t == Target::Ignore) {
                return Err(format!("columns.{source}: \"ignore\" cannot be combined"));
            }
            c.columns.insert(source.as_str(), parsed);
            c.sources.push((source.as_str(), "columns"));
        }
        if !self.values.is_empty() {
            c.values = Some(&self.values);
            c.sources
                .extend(self.values.keys().map(|k| (k.as_str(), "values")));
        }
        for (i, text) in self.missing.iter().enumerate() {
            if text.trim().is_empty() {
                return Err(format!(
                    "missing[{i}]: is blank (a blank cell is missing already)"
                ));
            }
            c.missing.push(text.trim());
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
        for (span, map) in [
            (Span::Months, &self.months_before_as_of),
            (Span::Years, &self.years_before_as_of),
        ] {
            for (key, source) in map {
                let what = span.key();
                let f = field_named(key, what)?;
                if f.kind() != Kind::Date || f == Field::AsOf {
                    return Err(format!(
                        "{what}.{key}: must be start_date, renewal_date or outcome_date"
                    ));
                }
                if let Some((_, _, other)) = c.spans.iter().find(|(g, _, _)| *g == f) {
                    return Err(format!(
                        "{what}.{key}: {} sets {} already",
                        other.key(),
                        f.name()
                    ));
                }
                c.spans.push((f, source.as_str(), span));
                c.sources.push((source.as_str(), what));
            }
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
