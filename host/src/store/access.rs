//! API keys: the operator's and each tenant's, stored by id with only the
//! hash of their secret (the secret is shown once, when issued).

use super::{Store, StoreError, codec};
use serde::{Deserialize, Serialize};

/// What a tenant key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Ingest, add, configure and activate plugins, run; and everything a viewer may.
    Admin,
    /// Read: plugins, runs, results, summaries, accounts.
    Viewer,
}

/// A stored key: never its secret, only the secret's sha-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public id (the part of the key before its secret).
    pub id: String,
    /// The tenant it belongs to; `None` for an operator key.
    pub tenant: Option<String>,
    /// Its role within the tenant (`None` for an operator key).
    pub role: Option<Role>,
    /// sha-256 of the secret, hex.
    pub secret_sha256: String,
    /// A label given when issued (who or what uses it).
    pub label: String,
    /// When issued (unix ms).
    pub created_ms: u64,
}

impl Store {
    /// Stores a new key record (ids are random; an existing id is refused).
    pub fn insert_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        let value = codec::encode_json(record);
        let previous = self.access.compare_and_swap(
            record.id.as_bytes(),
            None as Option<&[u8]>,
            Some(value),
        )?;
        if previous.is_err() {
            return Err(StoreError::Conflict(format!(
                "key id {} already exists",
                record.id
            )));
        }
        self.flush()
    }

    /// One key by id.
    pub fn key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        match self.access.get(id.as_bytes())? {
            Some(v) => Ok(Some(codec::decode("api key", &v)?)),
            None => Ok(None),
        }
    }

    /// The keys of a tenant (`None`: the operator keys), oldest first.
    pub fn keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut out = Vec::new();
        for kv in self.access.iter() {
            let (_, v) = kv?;
            let record: ApiKeyRecord = codec::decode("api key", &v)?;
            if record.tenant.as_deref() == tenant {
                out.push(record);
            }
        }
        out.sort_by_key(|k| k.created_ms);
        Ok(out)
    }

    /// Removes a key; `false` if there was none with this id for this tenant.
    pub fn revoke_key(&self, tenant: Option<&str>, id: &str) -> Result<bool, StoreError> {
        match self.key(id)? {
            Some(k) if k.tenant.as_deref() == tenant => {
                self.access.remove(id.as_bytes())?;
                self.flush()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, tenant: Option<&str>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: id.into(),
            tenant: tenant.map(String::from),
            role: tenant.map(|_| Role::Viewer),
            secret_sha256: "ab".repeat(32),
            label: "test".into(),
            created_ms: 1,
        }
    }

    #[test]
    fn keys_are_kept_per_tenant_and_revoked_only_by_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.insert_key(&record("op1", None)).unwrap();
        store.insert_key(&record("t1", Some("acme"))).unwrap();
        assert!(store.insert_key(&record("t1", Some("acme"))).is_err());
        assert_eq!(store.keys(None).unwrap().len(), 1);
        assert_eq!(store.keys(Some("acme")).unwrap()[0].id, "t1");
        assert!(store.keys(Some("other")).unwrap().is_empty());
        assert!(!store.revoke_key(Some("other"), "t1").unwrap());
        assert!(store.revoke_key(Some("acme"), "t1").unwrap());
        assert!(store.key("t1").unwrap().is_none());
    }
}
