//! The operator's trust in vendors (issue #18): which signing keys a
//! tenant may install packs from, which keys and pack versions are
//! revoked, and whether unsigned packs are allowed (a vendor's own
//! development store). Store-wide, not per tenant: trust is the operator's
//! call. Kept in a tree of its own:
//!
//! - `k 0 KEYID` -> [`TrustedKey`] (a revoked key keeps its record, marked,
//!   so that tenants running a pack it signed are flagged and the key can
//!   never be trusted again by mistake);
//! - `r 0 PACK 0 VERSION` -> [`RevokedRelease`];
//! - `u` -> `1` while unsigned packs are allowed.

use super::keys::tenant_key;
use super::{Store, StoreError, codec, now_ms};
use serde::{Deserialize, Serialize};

/// A vendor's signing key the operator trusts (or trusted, then revoked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrustedKey {
    /// The key's id (minisign's: 16 uppercase hex digits).
    pub key_id: String,
    /// The public key as given (minisign's `.pub` text).
    pub public_key: String,
    /// Who the operator says it is (the vendor's name).
    pub name: String,
    /// When it was trusted (unix ms).
    pub added_ms: u64,
    /// Set once revoked: no new install from it, tenants running its
    /// packs flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

/// When and why something was revoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Revocation {
    /// When (unix ms).
    pub at_ms: u64,
    /// The operator's reason.
    pub reason: String,
}

/// A pack version the operator revoked (whoever signed it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevokedRelease {
    /// The pack's name.
    pub pack: String,
    /// The version revoked.
    pub version: String,
    /// When and why.
    #[serde(flatten)]
    pub revocation: Revocation,
}

/// What the operator's trust says of one pack release.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrustStanding {
    /// Why the release may no longer be installed, in words (a revoked
    /// key, a revoked version, a key no longer trusted); `None`: in good
    /// standing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Whether the release or its key is revoked (a removed key is not).
    #[serde(default)]
    pub revoked: bool,
    /// The signing key's name as the operator gave it, while known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
}

const UNSIGNED_KEY: &[u8] = b"u";

pub(super) fn key_key(key_id: &str) -> Vec<u8> {
    tenant_key("k", &[key_id.as_bytes()])
}

pub(super) fn release_key(pack: &str, version: &str) -> Vec<u8> {
    tenant_key("r", &[pack.as_bytes(), version.as_bytes()])
}

impl Store {
    /// Trusts a vendor key (durable on return). The same key again is a
    /// no-op that keeps its first record; another key text under the same
    /// id, or a revoked key, is refused: revoked stays revoked.
    pub fn trust_key(
        &self,
        key_id: &str,
        public_key: &str,
        name: &str,
    ) -> Result<TrustedKey, StoreError> {
        let _held = self.trust_writes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = self.trusted_key(key_id)? {
            if let Some(r) = &existing.revoked {
                return Err(StoreError::Conflict(format!(
                    "key {key_id} was revoked ({}); a revoked key cannot be trusted again: the vendor signs with a new key",
                    r.reason
                )));
            }
            if existing.public_key.trim() != public_key.trim() {
                return Err(StoreError::Conflict(format!(
                    "another key with id {key_id} is already trusted ({}); remove it first",
                    existing.name
                )));
            }
            return Ok(existing);
        }
        let record = TrustedKey {
            key_id: key_id.into(),
            public_key: public_key.into(),
            name: name.into(),
            added_ms: now_ms(),
            revoked: None,
        };
        self.trust
            .insert(key_key(key_id), codec::encode_json(&record))?;
        self.flush()?;
        Ok(record)
    }

    /// One key's record, trusted or revoked.
    pub fn trusted_key(&self, key_id: &str) -> Result<Option<TrustedKey>, StoreError> {
        self.trust
            .get(key_key(key_id))?
            .map(|v| codec::decode("trusted key", &v))
            .transpose()
            .map_err(Into::into)
    }

    /// Every key's record (trusted and revoked), by id.
    pub fn trusted_keys(&self) -> Result<Vec<TrustedKey>, StoreError> {
        self.trust
            .scan_prefix(tenant_key("k", &[b""]))
            .map(|kv| Ok(codec::decode("trusted key", &kv?.1)?))
            .collect()
    }

    /// Stops trusting a key (new installs from it are refused; tenants
    /// running its packs are flagged). A revoked key's record stays: it is
    /// how revoked stays revoked.
    pub fn remove_trusted_key(&self, key_id: &str) -> Result<TrustedKey, StoreError> {
        let _held = self.trust_writes.lock().unwrap_or_else(|e| e.into_inner());
        let record = self
            .trusted_key(key_id)?
            .ok_or_else(|| StoreError::NotFound {
                what: "trusted key",
                id: key_id.into(),
            })?;
        if record.revoked.is_some() {
            return Err(StoreError::Conflict(format!(
                "key {key_id} is revoked; its record stays so that it is never trusted again"
            )));
        }
        self.trust.remove(key_key(key_id))?;
        self.flush()?;
        Ok(record)
    }

    /// Revokes a key: kept, marked, never trusted again. A key never
    /// trusted is recorded as revoked too (the operator may revoke a leaked
    /// key before anyone trusts it), from its public key text.
    pub fn revoke_vendor_key(
        &self,
        key_id: &str,
        public_key: Option<&str>,
        reason: &str,
    ) -> Result<TrustedKey, StoreError> {
        let _held = self.trust_writes.lock().unwrap_or_else(|e| e.into_inner());
        let mut record = match self.trusted_key(key_id)? {
            Some(r) => r,
            None => TrustedKey {
                key_id: key_id.into(),
                public_key: public_key.unwrap_or_default().into(),
                name: String::new(),
                added_ms: now_ms(),
                revoked: None,
            },
        };
        if record.revoked.is_none() {
            record.revoked = Some(Revocation {
                at_ms: now_ms(),
                reason: reason.into(),
            });
            self.trust
                .insert(key_key(key_id), codec::encode_json(&record))?;
            self.flush()?;
        }
        Ok(record)
    }

    /// Revokes one version of a pack, whoever signed it.
    pub fn revoke_release(
        &self,
        pack: &str,
        version: &str,
        reason: &str,
    ) -> Result<RevokedRelease, StoreError> {
        let _held = self.trust_writes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = self.revoked_release(pack, version)? {
            return Ok(existing);
        }
        let record = RevokedRelease {
            pack: pack.into(),
            version: version.into(),
            revocation: Revocation {
                at_ms: now_ms(),
                reason: reason.into(),
            },
        };
        self.trust
            .insert(release_key(pack, version), codec::encode_json(&record))?;
        self.flush()?;
        Ok(record)
    }

    /// A revoked pack version's record, if revoked.
    pub fn revoked_release(
        &self,
        pack: &str,
        version: &str,
    ) -> Result<Option<RevokedRelease>, StoreError> {
        self.trust
            .get(release_key(pack, version))?
            .map(|v| codec::decode("revoked pack", &v))
            .transpose()
            .map_err(Into::into)
    }

    /// Every revoked pack version.
    pub fn revoked_releases(&self) -> Result<Vec<RevokedRelease>, StoreError> {
        self.trust
            .scan_prefix(tenant_key("r", &[b""]))
            .map(|kv| Ok(codec::decode("revoked pack", &kv?.1)?))
            .collect()
    }

    /// Allows (or again refuses) unsigned packs on this store.
    pub fn set_allow_unsigned(&self, allow: bool) -> Result<(), StoreError> {
        if allow {
            self.trust.insert(UNSIGNED_KEY, &b"1"[..])?;
        } else {
            self.trust.remove(UNSIGNED_KEY)?;
        }
        self.flush()
    }

    /// Whether unsigned packs are allowed (never, unless the operator said so).
    pub fn allow_unsigned(&self) -> Result<bool, StoreError> {
        Ok(self.trust.contains_key(UNSIGNED_KEY)?)
    }

    /// What trust says of a release signed by `key_id` (`None`: unsigned).
    pub fn standing(
        &self,
        pack: &str,
        version: &str,
        key_id: Option<&str>,
    ) -> Result<TrustStanding, StoreError> {
        if let Some(r) = self.revoked_release(pack, version)? {
            return Ok(TrustStanding {
                flag: Some(format!(
                    "{pack} {version} was revoked by the operator: {}",
                    r.revocation.reason
                )),
                revoked: true,
                key_name: self.key_name(key_id)?,
            });
        }
        let Some(key_id) = key_id else {
            return Ok(TrustStanding {
                flag: (!self.allow_unsigned()?)
                    .then(|| "unsigned, and unsigned packs are no longer allowed".to_string()),
                ..Default::default()
            });
        };
        Ok(match self.trusted_key(key_id)? {
            Some(TrustedKey {
                revoked: Some(r),
                name,
                ..
            }) => TrustStanding {
                flag: Some(format!("signing key {key_id} was revoked: {}", r.reason)),
                revoked: true,
                key_name: Some(name).filter(|n| !n.is_empty()),
            },
            Some(k) => TrustStanding {
                flag: None,
                revoked: false,
                key_name: Some(k.name),
            },
            None => TrustStanding {
                flag: Some(format!("signing key {key_id} is no longer trusted")),
                ..Default::default()
            },
        })
    }

    fn key_name(&self, key_id: Option<&str>) -> Result<Option<String>, StoreError> {
        Ok(match key_id {
            Some(id) => self
                .trusted_key(id)?
                .map(|k| k.name)
                .filter(|n| !n.is_empty()),
            None => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        (dir, s)
    }

    #[test]
    fn a_trusted_key_is_listed_removed_and_its_packs_flagged() {
        let (_d, s) = store();
        s.trust_key("AB12", "pub text", "Acme").unwrap();
        // The same key again keeps its first record; another under its id is refused.
        assert_eq!(
            s.trust_key("AB12", "pub text\n", "Other").unwrap().name,
            "Acme"
        );
        assert!(matches!(
            s.trust_key("AB12", "other text", "Other"),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.trusted_keys().unwrap().len(), 1);
        let good = s.standing("p", "1.0.0", Some("AB12")).unwrap();
        assert_eq!(good.flag, None);
        assert_eq!(good.key_name.as_deref(), Some("Acme"));
        s.remove_trusted_key("AB12").unwrap();
        assert!(s.trusted_keys().unwrap().is_empty());
        let flagged = s.standing("p", "1.0.0", Some("AB12")).unwrap();
        assert!(flagged.flag.unwrap().contains("no longer trusted"));
        assert!(!flagged.revoked);
    }

    #[test]
    fn revoked_stays_revoked() {
        let (_d, s) = store();
        s.trust_key("AB12", "pub", "Acme").unwrap();
        s.revoke_vendor_key("AB12", None, "leaked").unwrap();
        let err = s.trust_key("AB12", "pub", "Acme").unwrap_err().to_string();
        assert!(err.contains("revoked (leaked)"), "{err}");
        assert!(s.remove_trusted_key("AB12").is_err());
        let standing = s.standing("p", "1.0.0", Some("AB12")).unwrap();
        assert!(standing.revoked);
        assert!(standing.flag.unwrap().contains("leaked"));
        // A key never trusted can be revoked ahead.
        s.revoke_vendor_key("CD34", Some("pub2"), "stolen laptop")
            .unwrap();
        assert!(s.trust_key("CD34", "pub2", "x").is_err());
    }

    #[test]
    fn a_revoked_release_is_flagged_whoever_signed_it() {
        let (_d, s) = store();
        s.trust_key("AB12", "pub", "Acme").unwrap();
        s.revoke_release("p", "1.0.0", "scores churned accounts green")
            .unwrap();
        let standing = s.standing("p", "1.0.0", Some("AB12")).unwrap();
        assert!(standing.revoked);
        assert!(standing.flag.unwrap().contains("churned accounts green"));
        assert_eq!(s.standing("p", "1.0.1", Some("AB12")).unwrap().flag, None);
        assert_eq!(s.revoked_releases().unwrap().len(), 1);
    }

    #[test]
    fn unsigned_packs_are_refused_until_the_operator_allows_them() {
        let (_d, s) = store();
        assert!(!s.allow_unsigned().unwrap());
        assert!(s.standing("p", "1.0.0", None).unwrap().flag.is_some());
        s.set_allow_unsigned(true).unwrap();
        assert!(s.allow_unsigned().unwrap());
        assert_eq!(s.standing("p", "1.0.0", None).unwrap().flag, None);
        s.set_allow_unsigned(false).unwrap();
        assert!(!s.allow_unsigned().unwrap());
    }
}
