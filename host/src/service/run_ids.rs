//! The runs a request names, typed at the edges: the CLI's repeated `--run`
//! and the server's `runs=3,5` both become [`RunIds`] before the service
//! sees them, so the service never parses a list of ids back out of text.
//! A run id is the tenant's own (each tenant numbers its runs 1, 2, 3...):
//! the service reads the ids in the tenant of the request, and an id that
//! is another tenant's is simply no run of this one.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Run ids of one tenant, each named once, in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunIds(Vec<u64>);

/// Why a list of run ids is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunIdsError {
    /// An item is no run id.
    #[error("{0:?} is not a run id (runs are numbered 1, 2, 3...; `vitals results` lists them)")]
    NotAnId(String),
    /// The same run twice: one run is read once.
    #[error("run {0} is named twice")]
    Twice(u64),
}

impl RunIds {
    /// The ids, refused if one comes twice.
    pub fn new(ids: Vec<u64>) -> Result<Self, RunIdsError> {
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return Err(RunIdsError::Twice(*id));
            }
        }
        Ok(RunIds(ids))
    }

    /// The ids, in the order asked.
    pub fn ids(&self) -> &[u64] {
        &self.0
    }

    /// Whether no run is named.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the query form, `3,5`: items are trimmed, and empty items are
/// skipped, as they always were (`runs=` and `runs=3,` stay valid).
impl FromStr for RunIds {
    type Err = RunIdsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ids = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<u64>()
                    .map_err(|_| RunIdsError::NotAnId(item.to_string()))
            })
            .collect::<Result<Vec<u64>, _>>()?;
        RunIds::new(ids)
    }
}

/// Writes the query form, `3,5`.
impl fmt::Display for RunIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

impl Serialize for RunIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RunIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(RunIdsVisitor)
    }
}

struct RunIdsVisitor;

impl Visitor<'_> for RunIdsVisitor {
    type Value = RunIds;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("comma-separated run ids, such as 3,5")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<RunIds, E> {
        text.parse().map_err(E::custom)
    }

    /// A single id, as `runs=3` reads in a format that types numbers.
    fn visit_u64<E: de::Error>(self, id: u64) -> Result<RunIds, E> {
        Ok(RunIds(vec![id]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_form_reads_and_writes_back() {
        let ids: RunIds = "3, 5".parse().unwrap();
        assert_eq!(ids.ids(), &[3, 5]);
        assert_eq!(ids.to_string(), "3,5");
        assert_eq!("3,".parse::<RunIds>().unwrap().ids(), &[3]);
        assert!("".parse::<RunIds>().unwrap().is_empty());
    }

    #[test]
    fn a_bad_item_or_a_run_named_twice_is_refused_by_name() {
        assert_eq!(
            "3,x5".parse::<RunIds>(),
            Err(RunIdsError::NotAnId("x5".into()))
        );
        assert_eq!(
            "-1".parse::<RunIds>(),
            Err(RunIdsError::NotAnId("-1".into()))
        );
        assert_eq!("3,5,3".parse::<RunIds>(), Err(RunIdsError::Twice(3)));
        assert_eq!(RunIds::new(vec![2, 2]), Err(RunIdsError::Twice(2)));
        assert!(
            RunIdsError::NotAnId("x5".into())
                .to_string()
                .starts_with("\"x5\" is not a run id")
        );
    }
}
