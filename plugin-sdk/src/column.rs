//! Contract 0.2's number columns (`f64-column` in `wit/0.2/types.wit`):
//! little-endian IEEE-754 binary64 values, 8 bytes each, read in place.
//! They cross as bytes because componentize-py lifts a `list<f64>` into one
//! Python object per element, a `list<u8>` into one `bytes`; for Rust both
//! arrive as one block, so reading the bytes costs nothing more.

use std::fmt;

/// Bytes per value.
const WIDTH: usize = 8;

/// A number column checked to hold whole values: row `r` is bytes
/// `8r .. 8r + 8`; NaN is blank.
#[derive(Clone, Copy, Debug, Default)]
pub struct Numbers<'a>(&'a [u8]);

impl<'a> Numbers<'a> {
    /// The column `bytes`, named `column` in the error when its length is
    /// not a multiple of 8.
    pub fn new(bytes: &'a [u8], column: impl FnOnce() -> String) -> Result<Self, ColumnError> {
        if bytes.len().is_multiple_of(WIDTH) {
            Ok(Numbers(bytes))
        } else {
            Err(ColumnError {
                column: column(),
                bytes: bytes.len(),
            })
        }
    }

    /// Rows in the column (0 when it was not sent).
    pub fn len(&self) -> usize {
        self.0.len() / WIDTH
    }

    /// Whether the column is empty (not sent).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Row `row`'s value: `None` when blank (NaN) or past the end.
    pub fn get(&self, row: usize) -> Option<f64> {
        let from = row.checked_mul(WIDTH)?;
        let bytes: [u8; WIDTH] = self.0.get(from..from + WIDTH)?.try_into().ok()?;
        Some(f64::from_le_bytes(bytes)).filter(|v| !v.is_nan())
    }
}

/// The bytes of a number column holding `values` (the host's encoding; the
/// test harness builds batches with it).
pub fn encode(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values.into_iter().flat_map(f64::to_le_bytes).collect()
}

/// A number column whose length is not a whole number of 8-byte values:
/// the batch is malformed, and the call fails naming the column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnError {
    /// The column, as the WIT names it (for example `history.rows.fields[2] (logins)`).
    pub column: String,
    /// Its length in bytes.
    pub bytes: usize,
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch column {}: {} bytes, not a whole number of 8-byte values",
            self.column, self.bytes
        )
    }
}

impl std::error::Error for ColumnError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_nan_is_blank() {
        let bytes = encode([1.5, f64::NAN, -0.0]);
        let column = Numbers::new(&bytes, String::new).unwrap();
        assert_eq!(column.len(), 3);
        assert_eq!(column.get(0), Some(1.5));
        assert_eq!(column.get(1), None, "NaN is blank");
        assert_eq!(column.get(2), Some(-0.0));
        assert_eq!(column.get(3), None, "past the end");
        assert_eq!(column.get(usize::MAX), None, "no overflow");
    }

    #[test]
    fn the_bytes_are_little_endian() {
        assert_eq!(encode([1.0]), [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    }

    #[test]
    fn a_partial_value_names_the_column() {
        let err = Numbers::new(&[0; 13], || "current.fields[1] (logins)".into()).unwrap_err();
        assert_eq!(err.bytes, 13);
        assert_eq!(
            err.to_string(),
            "batch column current.fields[1] (logins): 13 bytes, not a whole number of 8-byte values"
        );
    }
}
