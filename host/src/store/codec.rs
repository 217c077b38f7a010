//! Record encoding. Hot records (snapshots, results) use postcard, a compact
//! binary serde format: measured against JSON in `vitals-bench -- ingest`
//! (BENCHMARKS.md). Every value starts with a format byte so that a later
//! encoding can be read beside this one (the migration path).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Format byte of postcard-encoded values.
const POSTCARD_V1: u8 = 1;
/// Format byte of JSON-encoded values (cold records: tenants, plugins, runs).
const JSON_V1: u8 = 2;

/// Encoding or decoding failed: the store is damaged or from a newer version.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode a stored {what}: {reason}")]
pub struct CodecError {
    pub what: &'static str,
    pub reason: String,
}

/// Encodes a hot record compactly.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![POSTCARD_V1];
    out.extend(postcard::to_allocvec(value).expect("in-memory postcard encoding cannot fail"));
    out
}

/// Encodes a cold record as JSON (readable with any tool).
pub fn encode_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![JSON_V1];
    serde_json::to_writer(&mut out, value).expect("in-memory JSON encoding cannot fail");
    out
}

/// Decodes either format.
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    let err = |reason: String| CodecError { what, reason };
    match bytes.split_first() {
        Some((&POSTCARD_V1, rest)) => postcard::from_bytes(rest).map_err(|e| err(e.to_string())),
        Some((&JSON_V1, rest)) => serde_json::from_slice(rest).map_err(|e| err(e.to_string())),
        Some((other, _)) => Err(err(format!("unknown format byte {other}"))),
        None => Err(err("empty value".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::{Metric, Snapshot};

    fn snap() -> Snapshot {
        Snapshot {
            as_of: 20_454,
            seats_purchased: Some(10),
            seats_active: Some(9),
            logins: None,
            features_used: Some(3),
            features_available: Some(20),
            tickets_open: Some(0),
            tickets_high_severity: None,
            nps: Some(9),
            csat: Some(88.5),
            arr: Some(12_000.0),
            champion_left: Some(false),
            late_payments: None,
            metrics: vec![Metric {
                name: "webinars".into(),
                value: 2.0,
            }],
        }
    }

    #[test]
    fn both_formats_round_trip_and_postcard_is_smaller() {
        let s = snap();
        let compact = encode(&s);
        let json = encode_json(&s);
        assert_eq!(decode::<Snapshot>("snapshot", &compact).unwrap(), s);
        assert_eq!(decode::<Snapshot>("snapshot", &json).unwrap(), s);
        assert!(
            compact.len() * 3 < json.len(),
            "{} vs {}",
            compact.len(),
            json.len()
        );
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        assert!(decode::<Snapshot>("snapshot", &[]).is_err());
        assert!(decode::<Snapshot>("snapshot", &[9, 1, 2]).is_err());
        assert!(decode::<Snapshot>("snapshot", &[POSTCARD_V1, 1]).is_err());
    }
}
