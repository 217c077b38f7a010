//! Conditions that leave accounts out of a backtest (`--where`): `=` and
//! `!=` on a text attribute (`tier`, `plan`, `owner`, `name`,
//! `renewal-confidence`) or a label (`label:NAME`), all of them to hold. An
//! account without the attribute or label equals nothing: `=` leaves it
//! out, `!=` keeps it.

use crate::names::nearest;
use crate::runtime::types::{Attributes, Confidence};
use crate::store::Catalog;
use serde::{Deserialize, Serialize};

/// The attributes a condition may compare, by their contract names.
pub const ATTRIBUTES: [&str; 5] = ["tier", "plan", "owner", "name", "renewal-confidence"];

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionOp {
    /// `=`: the value is exactly this.
    Is,
    /// `!=`: the value is not this (or there is none).
    IsNot,
}

/// One condition an account must meet to be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `tier`, `plan`, `owner`, `name`, `renewal-confidence`, or `label:NAME`.
    pub field: String,
    /// `is` (`=`) or `is-not` (`!=`).
    pub op: ConditionOp,
    /// The value compared, exactly (case matters).
    pub value: String,
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            ConditionOp::Is => "=",
            ConditionOp::IsNot => "!=",
        };
        write!(f, "{}{op}{}", self.field, self.value)
    }
}

fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Commit => "commit",
        Confidence::BestCase => "best-case",
        Confidence::Pipeline => "pipeline",
        Confidence::Omitted => "omitted",
    }
}

impl Condition {
    /// Reads `FIELD=VALUE` or `FIELD!=VALUE`; the error says what is wrong
    /// and shows the form.
    pub fn parse(text: &str) -> Result<Condition, String> {
        let form = "write FIELD=VALUE or FIELD!=VALUE, as label:customer-status!=Joined or tier=enterprise";
        let (at, op, len) = match (text.find("!="), text.find('=')) {
            (Some(i), Some(j)) if i < j => (i, ConditionOp::IsNot, 2),
            (_, Some(j)) => (j, ConditionOp::Is, 1),
            _ => return Err(format!("{text:?} has no = or !=: {form}")),
        };
        let field = text[..at].trim();
        if field.is_empty() {
            return Err(format!(
                "{text:?} names no field before the operator: {form}"
            ));
        }
        Ok(Condition {
            field: field.to_string(),
            op,
            value: text[at + len..].to_string(),
        })
    }

    /// Fails, naming the nearest fields the tenant has, unless the field is
    /// a known attribute or a label some account of the tenant carries.
    pub fn check(&self, tenant: &str, catalog: &Catalog) -> Result<(), String> {
        let labels: Vec<String> = catalog
            .labels
            .iter()
            .map(|l| format!("label:{l}"))
            .collect();
        let fields: Vec<String> = ATTRIBUTES.iter().map(|a| a.to_string()).collect();
        let hint = |near: Vec<String>| {
            if near.is_empty() {
                String::new()
            } else {
                format!("; nearest: {}", near.join(", "))
            }
        };
        if let Some(label) = self.field.strip_prefix("label:") {
            if catalog.labels.contains(label) {
                return Ok(());
            }
            return Err(format!(
                "no account of tenant {tenant:?} has a label {label:?}{}",
                hint(nearest(&self.field, &labels))
            ));
        }
        if !ATTRIBUTES.contains(&self.field.as_str()) {
            return Err(format!(
                "{:?} is no field to filter on: use {} or label:NAME{}",
                self.field,
                ATTRIBUTES.join(", "),
                hint(nearest(&self.field, fields.iter().chain(&labels)))
            ));
        }
        if !catalog.fields.contains(&self.field) {
            return Err(format!(
                "no account of tenant {tenant:?} has a {}",
                self.field
            ));
        }
        Ok(())
    }

    /// Whether an account with these attributes meets the condition.
    pub fn holds(&self, a: &Attributes) -> bool {
        let value: Option<&str> = match self.field.as_str() {
            "tier" => a.tier.as_deref(),
            "plan" => a.plan.as_deref(),
            "owner" => a.owner.as_deref(),
            "name" => a.name.as_deref(),
            "renewal-confidence" => a.renewal_confidence.map(confidence_name),
            field => field.strip_prefix("label:").and_then(|l| {
                a.labels
                    .iter()
                    .find(|x| x.name == l)
                    .map(|x| x.value.as_str())
            }),
        };
        let equal = value == Some(self.value.as_str());
        match self.op {
            ConditionOp::Is => equal,
            ConditionOp::IsNot => !equal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::Label;

    fn catalog() -> Catalog {
        Catalog {
            labels: ["customer-status".to_string()].into(),
            fields: ["tier".to_string()].into(),
            ..Catalog::default()
        }
    }

    #[test]
    fn conditions_parse_from_their_text() {
        let c = Condition::parse("label:customer-status!=Joined").unwrap();
        assert_eq!(
            (c.field.as_str(), c.op, c.value.as_str()),
            ("label:customer-status", ConditionOp::IsNot, "Joined")
        );
        assert_eq!(c.to_string(), "label:customer-status!=Joined");
        let c = Condition::parse("tier=a=b").unwrap();
        assert_eq!((c.op, c.value.as_str()), (ConditionOp::Is, "a=b"));
        assert_eq!(Condition::parse("plan=").unwrap().value, "");
        assert!(Condition::parse("tier").unwrap_err().contains("no = or !="));
        assert!(
            Condition::parse("=x")
                .unwrap_err()
                .contains("names no field")
        );
    }

    #[test]
    fn unknown_fields_are_refused_with_the_nearest_names() {
        let tenant = "acme";
        Condition::parse("label:customer-status=Joined")
            .unwrap()
            .check(tenant, &catalog())
            .unwrap();
        let err = Condition::parse("label:customer-staus=Joined")
            .unwrap()
            .check(tenant, &catalog())
            .unwrap_err();
        assert!(err.contains("nearest: label:customer-status"), "{err}");
        let err = Condition::parse("customer-status=Joined")
            .unwrap()
            .check(tenant, &catalog())
            .unwrap_err();
        assert!(
            err.contains("is no field to filter on") && err.contains("label:customer-status"),
            "{err}"
        );
        let err = Condition::parse("plan=pro")
            .unwrap()
            .check(tenant, &catalog())
            .unwrap_err();
        assert!(err.contains("has a plan"), "{err}");
    }

    #[test]
    fn an_account_without_the_field_equals_nothing() {
        let mut a = Attributes::empty();
        let joined = Condition::parse("label:status=Joined").unwrap();
        let not_joined = Condition::parse("label:status!=Joined").unwrap();
        assert!(!joined.holds(&a) && not_joined.holds(&a));
        a.labels.push(Label {
            name: "status".into(),
            value: "Joined".into(),
        });
        assert!(joined.holds(&a) && !not_joined.holds(&a));
        a.renewal_confidence = Some(Confidence::BestCase);
        assert!(
            Condition::parse("renewal-confidence=best-case")
                .unwrap()
                .holds(&a)
        );
    }
}
