//! Names in plugin configurations: the fields a plugin's configuration
//! schema marks as naming a measure or a label of the tenant's accounts
//! ([`markers`]), checked against the names the tenant's accounts have, its
//! catalog kept by ingest ([`check`]). How a plugin author marks a field is
//! in [`markers`] and the SDK's `config` module.

pub mod check;
pub mod markers;

pub use check::{NameProblem, NameWarning, check_names, nearest};
pub use markers::{BUILT_IN_KEYWORD, Expects, MEASURE_KEYWORD, NamedField, check_markers};
