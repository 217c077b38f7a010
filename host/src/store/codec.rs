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
/// Format byte of a tenant data record stamped with the ingest that wrote
/// it: `[STAMPED][generation: u64 big-endian][flags][inner value]`, where
/// the inner value is a whole postcard or JSON value. Readers use the
/// generation to see an ingest whole or not at all (`store::view`).
const STAMPED: u8 = 3;
/// Length of the stamp before the inner value.
const STAMP_LEN: usize = 10;
/// Flag: the write replaced an earlier value, kept in the undo log.
const REPLACED: u8 = 1;
/// Format byte of a tombstone: the inner value of a record an erasure
/// removed (`store::erase`), stamped with the erasure's generation and
/// `replaced`, so that a reader from before the erasure still finds the
/// value in its undo log and a reader after it finds nothing. Removed with
/// the undo log once no reader from before the erasure is left.
const ERASED: u8 = 4;

/// The stamp of a data record: which ingest wrote it, and whether it
/// replaced an earlier value (kept in that ingest's undo log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The tenant's ingest generation that wrote it (0: before stamps).
    pub generation: u64,
    /// Whether an earlier value of the key is in that generation's undo log.
    pub replaced: bool,
}

/// Wraps an encoded value in a stamp.
pub fn stamp(stamp: Stamp, inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(STAMP_LEN + inner.len());
    out.push(STAMPED);
    out.extend_from_slice(&stamp.generation.to_be_bytes());
    out.push(if stamp.replaced { REPLACED } else { 0 });
    out.extend_from_slice(inner);
    out
}

/// The stamp of a stored value and its inner value; a value written before
/// stamps existed (schema 1) counts as generation 0, always visible.
pub fn unstamp(bytes: &[u8]) -> (Stamp, &[u8]) {
    match bytes {
        [STAMPED, rest @ ..] if rest.len() >= STAMP_LEN - 1 => {
            let generation = u64::from_be_bytes(rest[..8].try_into().expect("eight bytes"));
            let replaced = rest[8] & REPLACED != 0;
            (
                Stamp {
                    generation,
                    replaced,
                },
                &rest[9..],
            )
        }
        _ => (
            Stamp {
                generation: 0,
                replaced: false,
            },
            bytes,
        ),
    }
}

/// A tombstone stamped with an erasure's generation (see [`ERASED`]).
pub fn tombstone(generation: u64) -> Vec<u8> {
    stamp(
        Stamp {
            generation,
            replaced: true,
        },
        &[ERASED],
    )
}

/// Whether a stored value is a tombstone (see [`ERASED`]).
pub fn is_tombstone(bytes: &[u8]) -> bool {
    unstamp(bytes).1 == [ERASED]
}

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

/// Encodes a hot record behind a stamp in one buffer: the bytes of
/// `stamp(s, &encode(value))` without the copies in between (an ingest
/// encodes every record it writes this way).
pub fn encode_stamped<T: Serialize>(s: Stamp, value: &T) -> Vec<u8> {
    // Most records (a snapshot with a few metrics) fit without growing.
    let mut out = Vec::with_capacity(128);
    out.push(STAMPED);
    out.extend_from_slice(&s.generation.to_be_bytes());
    out.push(if s.replaced { REPLACED } else { 0 });
    out.push(POSTCARD_V1);
    postcard::to_extend(value, out).expect("in-memory postcard encoding cannot fail")
}

/// Encodes a cold record as JSON (readable with any tool).
pub fn encode_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![JSON_V1];
    serde_json::to_writer(&mut out, value).expect("in-memory JSON encoding cannot fail");
    out
}

/// Decodes either format, stamped or not.
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    let err = |reason: String| CodecError { what, reason };
    let (_, bytes) = unstamp(bytes);
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
    use crate::contract::{Metric, Snapshot};

    #[test]
    fn a_value_encoded_stamped_is_the_stamp_of_its_encoding() {
        let s = Stamp {
            generation: 7,
            replaced: true,
        };
        assert_eq!(encode_stamped(s, &snap()), stamp(s, &encode(&snap())));
        let stamped = encode_stamped(s, &snap());
        assert_eq!(unstamp(&stamped), (s, &encode(&snap())[..]));
        assert_eq!(decode::<Snapshot>("snapshot", &stamped).unwrap(), snap());
    }

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
    fn a_stamped_value_decodes_as_its_inner_value_and_keeps_its_stamp() {
        let s = snap();
        let inner = encode(&s);
        let at = Stamp {
            generation: 7,
            replaced: true,
        };
        let stamped = stamp(at, &inner);
        assert_eq!(unstamp(&stamped), (at, &inner[..]));
        assert_eq!(decode::<Snapshot>("snapshot", &stamped).unwrap(), s);
        assert_eq!(unstamp(&inner).0.generation, 0, "unstamped: generation 0");
        assert!(decode::<Snapshot>("snapshot", &[STAMPED, 0, 0]).is_err());
    }

    #[test]
    fn a_tombstone_is_recognised_by_its_inner_value_and_keeps_its_stamp() {
        let t = tombstone(9);
        assert!(is_tombstone(&t));
        assert_eq!(
            unstamp(&t).0,
            Stamp {
                generation: 9,
                replaced: true
            }
        );
        assert!(!is_tombstone(&encode(&snap())));
        assert!(!is_tombstone(&stamp(unstamp(&t).0, &encode(&snap()))));
        assert!(decode::<Snapshot>("snapshot", &t).is_err(), "never decoded");
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        assert!(decode::<Snapshot>("snapshot", &[]).is_err());
        assert!(decode::<Snapshot>("snapshot", &[9, 1, 2]).is_err());
        assert!(decode::<Snapshot>("snapshot", &[POSTCARD_V1, 1]).is_err());
    }
}
