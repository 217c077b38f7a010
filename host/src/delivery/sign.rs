//! Standard Webhooks signatures, made by the specification's own crate
//! (`standardwebhooks`): `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`
//! under each secret that signs (two during a rotation window), and the
//! secrets themselves: `whsec_` + base64 of 24 to 64 random bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The prefix every secret carries.
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of a generated secret (the specification asks for 24 to 64).
const GENERATED_BYTES: usize = 32;

/// A new secret from the operating system's random source.
pub fn generate_secret() -> Result<String, String> {
    let mut bytes = [0u8; GENERATED_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes for a secret: {e}"))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// Checks a secret a tenant gave: `whsec_` + base64 of 24 to 64 bytes.
pub fn check_secret(secret: &str) -> Result<(), String> {
    let Some(encoded) = secret.strip_prefix(SECRET_PREFIX) else {
        return Err(
            "the secret must start with whsec_ (whsec_ + base64 of 24 to 64 random bytes)".into(),
        );
    };
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the secret after whsec_ is not base64: {e}"))?;
    if !(24..=64).contains(&bytes.len()) {
        return Err(format!(
            "the secret holds {} bytes; it must hold 24 to 64 (whsec_ + base64)",
            bytes.len()
        ));
    }
    Ok(())
}

/// The `webhook-signature` header: one `v1,SIG` per secret, space-separated.
pub fn signature_header(
    secrets: &[&str],
    webhook_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let signer = standardwebhooks::Webhook::new(secret)
            .map_err(|e| format!("a stored webhook secret is unusable: {e}"))?;
        signatures.push(
            signer
                .sign(webhook_id, timestamp, body)
                .map_err(|e| format!("signing delivery {webhook_id}: {e}"))?,
        );
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use standardwebhooks::Webhook;

    fn headers(id: &str, ts: i64, signature: &str) -> reqwest::header::HeaderMap {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", signature.parse().unwrap());
        h
    }

    fn now() -> i64 {
        (crate::store::now_ms() / 1000) as i64
    }

    #[test]
    fn the_crate_verifies_what_we_sign_and_a_changed_body_fails() {
        let secret = generate_secret().unwrap();
        check_secret(&secret).unwrap();
        let body = br#"{"type":"band-changed","to":"red"}"#;
        let ts = now();
        let sig = signature_header(&[&secret], "msg_1", ts, body).unwrap();
        assert!(sig.starts_with("v1,"), "{sig}");
        let receiver = Webhook::new(&secret).unwrap();
        receiver.verify(body, &headers("msg_1", ts, &sig)).unwrap();
        assert!(
            receiver
                .verify(
                    br#"{"type":"band-changed","to":"green"}"#,
                    &headers("msg_1", ts, &sig)
                )
                .is_err()
        );
        assert!(receiver.verify(body, &headers("msg_2", ts, &sig)).is_err());
    }

    #[test]
    fn during_a_rotation_both_secrets_sign_and_each_receiver_verifies() {
        let (old, new) = (generate_secret().unwrap(), generate_secret().unwrap());
        assert_ne!(old, new);
        let body = b"{}";
        let ts = now();
        let sig = signature_header(&[&new, &old], "msg_9", ts, body).unwrap();
        assert_eq!(sig.split(' ').count(), 2, "{sig}");
        for secret in [&old, &new] {
            Webhook::new(secret)
                .unwrap()
                .verify(body, &headers("msg_9", ts, &sig))
                .unwrap();
        }
        let stranger = generate_secret().unwrap();
        assert!(
            Webhook::new(&stranger)
                .unwrap()
                .verify(body, &headers("msg_9", ts, &sig))
                .is_err()
        );
    }

    #[test]
    fn given_secrets_are_checked_with_a_clear_error() {
        assert!(check_secret("abc").unwrap_err().contains("whsec_"));
        assert!(
            check_secret("whsec_!!!")
                .unwrap_err()
                .contains("not base64")
        );
        let short = format!("whsec_{}", STANDARD.encode([7u8; 16]));
        assert!(check_secret(&short).unwrap_err().contains("16 bytes"));
        let long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        assert!(check_secret(&long).unwrap_err().contains("65 bytes"));
        check_secret(&format!("whsec_{}", STANDARD.encode([7u8; 24]))).unwrap();
        check_secret(&format!("whsec_{}", STANDARD.encode([7u8; 64]))).unwrap();
    }
}
