//! A tenant's trigger rules, every version kept (issue #19): `tenant 0 NAME
//! 0 VERSION` (8 bytes, big-endian) -> [`RuleVersion`]. A removal is a
//! version without a rule, so an event always names a version that can be
//! read back.

use super::keys::tenant_key;
use super::{Store, StoreError, codec, now_ms};
use crate::triggers::Rule;
use serde::{Deserialize, Serialize};

/// One version of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleVersion {
    /// The rule's name.
    pub name: String,
    /// 1, 2, ... per name.
    pub version: u64,
    /// The rule; `None`: removed at this version.
    pub rule: Option<Rule>,
    /// When (unix ms).
    pub at_ms: u64,
    /// Who: `local` or the API key's id.
    pub by: String,
}

fn version_key(tenant: &str, name: &str, version: u64) -> Vec<u8> {
    tenant_key(tenant, &[name.as_bytes(), &version.to_be_bytes()])
}

fn versions_prefix(tenant: &str, name: &str) -> Vec<u8> {
    tenant_key(tenant, &[name.as_bytes(), b""])
}

impl Store {
    /// Saves a rule as its next version (durable on return); the same rule
    /// as the latest version is not a new version.
    pub fn put_rule(&self, tenant: &str, rule: &Rule, by: &str) -> Result<RuleVersion, StoreError> {
        self.require_tenant(tenant)?;
        let _held = self.rule_writes.lock().unwrap_or_else(|e| e.into_inner());
        let latest = self.latest_rule_version(tenant, &rule.name)?;
        if let Some(l) = &latest
            && l.rule.as_ref() == Some(rule)
        {
            return Ok(l.clone());
        }
        let record = RuleVersion {
            name: rule.name.clone(),
            version: latest.map_or(1, |l| l.version + 1),
            rule: Some(rule.clone()),
            at_ms: now_ms(),
            by: by.to_string(),
        };
        self.triggers.insert(
            version_key(tenant, &rule.name, record.version),
            codec::encode_json(&record),
        )?;
        self.flush()?;
        Ok(record)
    }

    /// Removes a rule: a version without one (durable on return).
    pub fn remove_rule(
        &self,
        tenant: &str,
        name: &str,
        by: &str,
    ) -> Result<RuleVersion, StoreError> {
        self.require_tenant(tenant)?;
        let _held = self.rule_writes.lock().unwrap_or_else(|e| e.into_inner());
        let Some(latest) = self
            .latest_rule_version(tenant, name)?
            .filter(|l| l.rule.is_some())
        else {
            return Err(StoreError::NotFound {
                what: "trigger rule",
                id: name.to_string(),
            });
        };
        let record = RuleVersion {
            name: name.to_string(),
            version: latest.version + 1,
            rule: None,
            at_ms: now_ms(),
            by: by.to_string(),
        };
        self.triggers.insert(
            version_key(tenant, name, record.version),
            codec::encode_json(&record),
        )?;
        self.flush()?;
        Ok(record)
    }

    fn latest_rule_version(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<RuleVersion>, StoreError> {
        self.triggers
            .scan_prefix(versions_prefix(tenant, name))
            .next_back()
            .map(|kv| Ok(codec::decode("trigger rule", &kv?.1)?))
            .transpose()
    }

    /// A rule's versions, oldest first.
    pub fn rule_versions(&self, tenant: &str, name: &str) -> Result<Vec<RuleVersion>, StoreError> {
        self.require_tenant(tenant)?;
        self.triggers
            .scan_prefix(versions_prefix(tenant, name))
            .map(|kv| Ok(codec::decode("trigger rule", &kv?.1)?))
            .collect()
    }

    /// The tenant's rules as they stand (the latest version of each that
    /// is not removed), by name.
    pub fn rules(&self, tenant: &str) -> Result<Vec<RuleVersion>, StoreError> {
        self.require_tenant(tenant)?;
        let mut out: Vec<RuleVersion> = Vec::new();
        for kv in self.triggers.scan_prefix(tenant_key(tenant, &[b""])) {
            let v: RuleVersion = codec::decode("trigger rule", &kv?.1)?;
            match out.last_mut() {
                Some(last) if last.name == v.name => *last = v,
                _ => out.push(v),
            }
        }
        out.retain(|v| v.rule.is_some());
        Ok(out)
    }

    /// One rule as it stands.
    pub fn rule(&self, tenant: &str, name: &str) -> Result<RuleVersion, StoreError> {
        self.require_tenant(tenant)?;
        self.latest_rule_version(tenant, name)?
            .filter(|v| v.rule.is_some())
            .ok_or_else(|| StoreError::NotFound {
                what: "trigger rule",
                id: name.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, to: &str) -> Rule {
        Rule::parse(&format!(
            r#"{{"name":"{name}","event":{{"type":"band-changed","to":"{to}"}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn rules_are_versioned_and_removal_is_a_version() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("acme", "Acme").unwrap();
        s.create_tenant("other", "Other").unwrap();
        assert_eq!(
            s.put_rule("acme", &rule("turned-red", "red"), "local")
                .unwrap()
                .version,
            1
        );
        // The same rule again: no new version.
        assert_eq!(
            s.put_rule("acme", &rule("turned-red", "red"), "local")
                .unwrap()
                .version,
            1
        );
        assert_eq!(
            s.put_rule("acme", &rule("turned-red", "yellow"), "k1")
                .unwrap()
                .version,
            2
        );
        s.put_rule("acme", &rule("a-first", "green"), "local")
            .unwrap();
        s.put_rule("other", &rule("turned-red", "red"), "local")
            .unwrap();
        let names: Vec<_> = s
            .rules("acme")
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.version))
            .collect();
        assert_eq!(
            names,
            [("a-first".to_string(), 1), ("turned-red".to_string(), 2)]
        );
        let removed = s.remove_rule("acme", "turned-red", "local").unwrap();
        assert_eq!((removed.version, removed.rule), (3, None));
        assert_eq!(s.rules("acme").unwrap().len(), 1);
        assert!(matches!(
            s.rule("acme", "turned-red"),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.remove_rule("acme", "turned-red", "local"),
            Err(StoreError::NotFound { .. })
        ));
        // Every version stays readable; the other tenant's rule is its own.
        assert_eq!(s.rule_versions("acme", "turned-red").unwrap().len(), 3);
        assert_eq!(s.rule("other", "turned-red").unwrap().version, 1);
        // Adding it back continues the versions.
        assert_eq!(
            s.put_rule("acme", &rule("turned-red", "red"), "local")
                .unwrap()
                .version,
            4
        );
    }
}
