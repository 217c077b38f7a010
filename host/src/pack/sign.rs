//! Signing packs in minisign's format (Ed25519 over the exact bytes of
//! `manifest.json`), so a vendor can check one with the standard tool:
//! `tar xzf p.vpack manifest.json manifest.json.minisig && minisign -Vm
//! manifest.json -p vendor.pub`. Keys are minisign key files; a key id is
//! minisign's, 16 uppercase hex digits.

use super::{PackArchive, PackError};
use std::io::Cursor;

/// A new key pair as the text of minisign's `.pub` and `.key` files.
#[derive(Debug, Clone)]
pub struct KeyPairText {
    /// The `.pub` file: an untrusted comment naming the key id, and the key.
    pub public: String,
    /// The `.key` file, unencrypted: whoever can read it can sign.
    pub secret: String,
    /// The key id, as minisign prints it.
    pub key_id: String,
}

/// A vendor key trusted to sign packs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The key id (16 uppercase hex digits).
    pub key_id: String,
    /// The `.pub` file text (or bare key line) as given.
    pub text: String,
}

/// Makes a key pair; `comment` is the secret key file's untrusted comment.
/// The secret key is not encrypted (the CLI writes it 0600); a key made by
/// `minisign -G` with a password signs as well.
pub fn keygen(comment: &str) -> Result<KeyPairText, PackError> {
    let key_error = |e: minisign::PError| PackError::Key(e.to_string());
    let pair = minisign::KeyPair::generate_unencrypted_keypair().map_err(key_error)?;
    let key_id = key_id_of(pair.pk.keynum());
    Ok(KeyPairText {
        public: pair.pk.to_box().map_err(key_error)?.into_string(),
        secret: pair
            .sk
            .to_box(Some(comment))
            .map_err(key_error)?
            .into_string(),
        key_id,
    })
}

impl PublicKey {
    /// Reads a public key: minisign's two-line `.pub` file, or its bare
    /// base64 line.
    pub fn parse(text: &str) -> Result<PublicKey, PackError> {
        let key = parse_public_key(text)?;
        Ok(PublicKey {
            key_id: key_id_of(key.keynum()),
            text: text.to_string(),
        })
    }
}

/// The key in a `.pub` file's text (the first line that is no comment).
fn parse_public_key(text: &str) -> Result<minisign::PublicKey, PackError> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .ok_or_else(|| PackError::Key("no public key in the text".into()))?;
    minisign::PublicKey::from_base64(line)
        .map_err(|e| PackError::Key(format!("not a minisign public key: {e}")))
}

/// Signs the archive's manifest bytes (unchanged) with a minisign secret
/// key; `password` opens an encrypted one. The trusted comment says
/// `vitals pack NAME VERSION`.
pub fn sign(
    archive: &mut PackArchive,
    secret_key_text: &str,
    password: Option<&str>,
) -> Result<(), PackError> {
    let secret = secret_key(secret_key_text, password)?;
    let public =
        minisign::PublicKey::from_secret_key(&secret).map_err(|e| PackError::Key(e.to_string()))?;
    let key_id = key_id_of(public.keynum());
    let trusted = format!(
        "vitals pack {} {}",
        archive.manifest.pack.name, archive.manifest.pack.version
    );
    let untrusted = format!("signature from vitals pack key {key_id}");
    let signature = minisign::sign(
        Some(&public),
        &secret,
        Cursor::new(&archive.manifest_bytes),
        Some(&trusted),
        Some(&untrusted),
    )
    .map_err(|e| PackError::Key(format!("signing failed: {e}")))?;
    archive.signature = Some(signature.into_string());
    Ok(())
}

/// Opens a secret key box without ever prompting: an encrypted key needs
/// `password`.
fn secret_key(text: &str, password: Option<&str>) -> Result<minisign::SecretKey, PackError> {
    let boxed = || minisign::SecretKeyBox::from_string(text.trim_start());
    let key_box = boxed().map_err(|e| PackError::Key(e.to_string()))?;
    match minisign::SecretKey::from_unencrypted_box(key_box) {
        Ok(key) => Ok(key),
        // minisign says "Key might be encrypted" for a key with a KDF.
        Err(e) if e.to_string().contains("encrypted") => {
            let Some(password) = password else {
                return Err(PackError::Key(
                    "the secret key is encrypted: give its password".into(),
                ));
            };
            let key_box = boxed().map_err(|e| PackError::Key(e.to_string()))?;
            minisign::SecretKey::from_box(key_box, Some(password.to_string()))
                .map_err(|e| PackError::Key(format!("cannot open the secret key: {e}")))
        }
        Err(e) => Err(PackError::Key(format!("not a minisign secret key: {e}"))),
    }
}

/// The id of the key that made a `.minisig` signature.
pub fn signature_key_id(signature: &str) -> Result<String, PackError> {
    let parsed = minisign::SignatureBox::from_string(signature)
        .map_err(|e| PackError::MalformedSignature(e.to_string()))?;
    Ok(key_id_of(parsed.keynum()))
}

/// Checks the signature against trusted keys; returns the signing key's id.
/// An unsigned pack, a key not trusted, or a manifest changed after signing
/// is refused.
pub fn verify(archive: &PackArchive, trusted: &[PublicKey]) -> Result<String, PackError> {
    let text = archive
        .signature
        .as_deref()
        .ok_or(PackError::MissingSignature)?;
    let signature = minisign::SignatureBox::from_string(text)
        .map_err(|e| PackError::MalformedSignature(e.to_string()))?;
    let key_id = key_id_of(signature.keynum());
    let trusted_key = trusted
        .iter()
        .find(|k| k.key_id == key_id)
        .ok_or_else(|| PackError::UntrustedKey(key_id.clone()))?;
    // Legacy (not prehashed) signatures are still Ed25519 over the same
    // bytes: accepted, so that any minisign version's signature checks.
    minisign::verify(
        &parse_public_key(&trusted_key.text)?,
        &signature,
        Cursor::new(&archive.manifest_bytes),
        true,
        false,
        true,
    )
    .map_err(|_| PackError::BadSignature {
        key_id: key_id.clone(),
    })?;
    Ok(key_id)
}

/// Minisign prints a key id as the 8 key-number bytes read little-endian,
/// in uppercase hex.
fn key_id_of(keynum: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample_pack;
    use super::super::{PackArchive, PackLimits};
    use super::*;

    #[test]
    fn a_signed_pack_verifies_after_a_round_trip_and_names_its_key() {
        let keys = keygen("vendor").unwrap();
        assert_eq!(keys.key_id.len(), 16);
        assert!(keys.public.contains(&keys.key_id), "{}", keys.public);
        let mut pack = sample_pack();
        let manifest = pack.manifest_bytes.clone();
        sign(&mut pack, &keys.secret, None).unwrap();
        assert_eq!(
            pack.manifest_bytes, manifest,
            "signing leaves the manifest as it was"
        );
        let signature = pack.signature.clone().unwrap();
        assert!(
            signature.contains("trusted comment: vitals pack acme-health 1.2.0"),
            "{signature}"
        );
        assert_eq!(signature_key_id(&signature).unwrap(), keys.key_id);
        let read = PackArchive::read(&pack.to_bytes()[..], &PackLimits::default()).unwrap();
        let other = PublicKey::parse(&keygen("other").unwrap().public).unwrap();
        let trusted = [other, PublicKey::parse(&keys.public).unwrap()];
        assert_eq!(verify(&read, &trusted).unwrap(), keys.key_id);
    }

    #[test]
    fn a_public_key_is_read_from_its_file_or_its_bare_line() {
        let keys = keygen("vendor").unwrap();
        let bare = keys.public.lines().nth(1).unwrap();
        assert_eq!(PublicKey::parse(bare).unwrap().key_id, keys.key_id);
        assert_eq!(PublicKey::parse(&keys.public).unwrap().key_id, keys.key_id);
        assert!(matches!(PublicKey::parse("hello"), Err(PackError::Key(_))));
        assert!(matches!(PublicKey::parse(""), Err(PackError::Key(_))));
    }

    #[test]
    fn an_encrypted_key_signs_with_its_password_and_never_prompts() {
        let pair = minisign::KeyPair::generate_encrypted_keypair(Some("s3cret".into())).unwrap();
        let secret = pair.sk.to_box(None).unwrap().into_string();
        let mut pack = sample_pack();
        match sign(&mut pack, &secret, None) {
            Err(PackError::Key(m)) => assert!(m.contains("encrypted"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            sign(&mut pack, &secret, Some("wrong")),
            Err(PackError::Key(_))
        ));
        sign(&mut pack, &secret, Some("s3cret")).unwrap();
        let public = PublicKey::parse(&pair.pk.to_box().unwrap().into_string()).unwrap();
        verify(&pack, &[public]).unwrap();
        assert!(matches!(
            sign(&mut pack, "not a key", None),
            Err(PackError::Key(_))
        ));
    }

    #[test]
    fn a_malformed_signature_is_named_as_such() {
        let mut pack = sample_pack();
        pack.signature = Some("untrusted comment: x\nnot base64\n".into());
        assert!(matches!(
            verify(&pack, &[]),
            Err(PackError::MalformedSignature(_))
        ));
        assert_eq!(
            PackArchive::read(&pack.to_bytes()[..], &PackLimits::default())
                .unwrap_err()
                .code(),
            "malformed-signature"
        );
    }
}
