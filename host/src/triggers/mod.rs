//! Trigger rules (issue #19): the transitions a completed run reveals
//! (a band changed, a score dropped, a segment entered or left, a
//! propensity or a measure crossed a threshold, a renewal at risk), turned
//! into events that the host delivers to the tenant's webhook endpoints.
//!
//! - [`rule`]: the rule a tenant writes (JSON, checked against the
//!   published schema);
//! - [`transition`]: whether a transition happened between an account's
//!   previous result and this one (pure);
//! - [`measure`]: the snapshot measures a rule can watch;
//! - [`event`]: the event as stored in the outbox and sent.
//!
//! Knows the contract and the store's records, never the sandbox or HTTP.

pub mod event;
pub mod measure;
pub mod rule;
pub mod transition;

pub use event::{AccountRef, Event, EventRun, Explanation, RuleRef, event_id};
pub use rule::{Condition, Direction, Filters, Rule};
