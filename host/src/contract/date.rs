//! Dates in the contract are whole days since 1970-01-01 (`type date = s32`).
//! People and JSON read them as ISO `YYYY-MM-DD`; the compact store encoding
//! (postcard) keeps the number. Reading accepts both in JSON, so records
//! written before dates were ISO still load.

use serde::Serializer;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A `YYYY-MM-DD` date as a day number (`None` if it is no date).
pub fn parse(text: &str) -> Option<i32> {
    vitals_plugin_sdk::date::parse(text)
}

/// A day number as `YYYY-MM-DD`.
pub fn format(day: i32) -> String {
    vitals_plugin_sdk::date::format(day)
}

/// Serialises a day number as `YYYY-MM-DD` for human-readable formats.
pub fn serialize<S: Serializer>(day: &i32, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&vitals_plugin_sdk::date::format(*day))
    } else {
        s.serialize_i32(*day)
    }
}

/// Reads `YYYY-MM-DD` or a day number.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    if d.is_human_readable() {
        d.deserialize_any(DayVisitor)
    } else {
        <i32 as serde::Deserialize>::deserialize(d)
    }
}

struct DayVisitor;

impl Visitor<'_> for DayVisitor {
    type Value = i32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date YYYY-MM-DD")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i32, E> {
        vitals_plugin_sdk::date::parse(v)
            .ok_or_else(|| E::custom(format!("{v:?} is not a date YYYY-MM-DD")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
        i32::try_from(v).map_err(|_| E::custom(format!("{v} is not a day number")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
        i32::try_from(v).map_err(|_| E::custom(format!("{v} is not a day number")))
    }
}

/// The same for an optional date (`null` when absent).
pub mod option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Day(#[serde(with = "super")] i32);

    /// Serialises `Some(day)` as the date, `None` as null.
    pub fn serialize<S: Serializer>(day: &Option<i32>, s: S) -> Result<S::Ok, S::Error> {
        day.map(Day).serialize(s)
    }

    /// Reads a date, a day number or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        Ok(Option::<Day>::deserialize(d)?.map(|Day(day)| day))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Dated {
        #[serde(with = "super")]
        day: i32,
        #[serde(with = "super::option")]
        maybe: Option<i32>,
    }

    #[test]
    fn json_reads_and_writes_iso_and_still_reads_day_numbers() {
        let d = Dated {
            day: 20_454,
            maybe: Some(20_455),
        };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, r#"{"day":"2026-01-01","maybe":"2026-01-02"}"#);
        assert_eq!(serde_json::from_str::<Dated>(&json).unwrap(), d);
        let old: Dated = serde_json::from_str(r#"{"day":20454,"maybe":null}"#).unwrap();
        assert_eq!(
            old,
            Dated {
                day: 20_454,
                maybe: None
            }
        );
        let bad = serde_json::from_str::<Dated>(r#"{"day":"2026-13-01","maybe":null}"#);
        assert!(bad.unwrap_err().to_string().contains("not a date"));
    }

    #[test]
    fn the_compact_encoding_keeps_the_number() {
        let d = Dated {
            day: 20_454,
            maybe: None,
        };
        let bytes = postcard::to_allocvec(&d).unwrap();
        assert_eq!(
            bytes,
            postcard::to_allocvec(&(20_454_i32, None::<i32>)).unwrap()
        );
        assert_eq!(postcard::from_bytes::<Dated>(&bytes).unwrap(), d);
    }
}
