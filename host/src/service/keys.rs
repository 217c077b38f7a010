//! API keys: `vk_<id>_<secret>`, a 64-bit random id
//! and 256 bits of secret from the OS. Only the secret's sha-256 is stored;
//! a presented key is found by id and its hash compared in constant time.

use super::{ApiError, ApiResult, IssuedKey, KeyInfo};
use crate::store::{ApiKeyRecord, Role, Store};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who a valid key speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The platform operator: tenants, limits, keys.
    Operator,
    /// A tenant's key with its role.
    Tenant {
        /// The tenant.
        tenant: String,
        /// Its role.
        role: Role,
    },
}

fn random_hex(bytes: usize) -> ApiResult<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| ApiError::internal(format!("OS randomness failed: {e}")))?;
    Ok(hex::encode(buf))
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Issues a key: an operator key (`tenant` `None`) or a tenant key with a role.
pub fn issue(
    store: &Store,
    tenant: Option<&str>,
    role: Option<Role>,
    label: &str,
) -> ApiResult<IssuedKey> {
    if let Some(t) = tenant {
        store.require_tenant_exists(t)?;
    }
    crate::store::check_free_text("label", label, 200).map_err(ApiError::bad_request)?;
    let id = random_hex(8)?;
    let secret = random_hex(32)?;
    store.insert_key(&ApiKeyRecord {
        id: id.clone(),
        tenant: tenant.map(String::from),
        role,
        secret_sha256: secret_hash(&secret),
        label: label.to_string(),
        created_ms: crate::store::now_ms(),
    })?;
    Ok(IssuedKey {
        key: format!("vk_{id}_{secret}"),
        id,
        tenant: tenant.map(String::from),
        role,
        label: label.to_string(),
    })
}

/// The public id of a presented key (`vk_ID_SECRET`), whether or not the
/// key is valid: what an audit record names.
pub fn key_id(presented: &str) -> Option<&str> {
    presented
        .strip_prefix("vk_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(id, _)| id)
}

/// The principal of a presented key, or `None` if it is not a valid key.
pub fn verify(store: &Store, presented: &str) -> ApiResult<Option<Principal>> {
    let Some((id, secret)) = presented
        .strip_prefix("vk_")
        .and_then(|rest| rest.split_once('_'))
    else {
        return Ok(None);
    };
    if id.len() != 16 || secret.len() != 64 {
        return Ok(None);
    }
    let Some(record) = store.key(id)? else {
        return Ok(None);
    };
    let presented_hash = secret_hash(secret);
    if !bool::from(
        presented_hash
            .as_bytes()
            .ct_eq(record.secret_sha256.as_bytes()),
    ) {
        return Ok(None);
    }
    Ok(Some(match (record.tenant, record.role) {
        (None, _) => Principal::Operator,
        (Some(tenant), Some(role)) => Principal::Tenant { tenant, role },
        (Some(_), None) => return Ok(None),
    }))
}

/// Keys of a tenant (`None`: operator keys), without secrets.
pub fn list(store: &Store, tenant: Option<&str>) -> ApiResult<Vec<KeyInfo>> {
    if let Some(t) = tenant {
        store.require_tenant_exists(t)?;
    }
    Ok(store
        .keys(tenant)?
        .into_iter()
        .map(|k| KeyInfo {
            id: k.id,
            tenant: k.tenant,
            role: k.role,
            label: k.label,
            created_ms: k.created_ms,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_verify_and_tampered_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_tenant("acme", "Acme").unwrap();
        let op = issue(&store, None, None, "ops").unwrap();
        let admin = issue(&store, Some("acme"), Some(Role::Admin), "crm").unwrap();
        assert_eq!(verify(&store, &op.key).unwrap(), Some(Principal::Operator));
        assert_eq!(
            verify(&store, &admin.key).unwrap(),
            Some(Principal::Tenant {
                tenant: "acme".into(),
                role: Role::Admin
            })
        );
        let mut tampered = admin.key.clone();
        tampered.pop();
        tampered.push(if admin.key.ends_with('0') { '1' } else { '0' });
        assert_eq!(verify(&store, &tampered).unwrap(), None);
        assert_eq!(verify(&store, "vk_nothing").unwrap(), None);
        assert_eq!(verify(&store, "").unwrap(), None);
        // Only the hash is stored.
        let stored = store.key(&admin.id).unwrap().unwrap();
        assert!(!stored.secret_sha256.is_empty());
        assert!(!admin.key.contains(&stored.secret_sha256));
        assert!(issue(&store, Some("nobody"), Some(Role::Viewer), "x").is_err());
        assert_eq!(list(&store, Some("acme")).unwrap().len(), 1);
    }
}
