//! Webhook delivery (issue #19): an outer layer beside [`crate::service`]
//! that takes the deliveries the store's outbox makes due and POSTs them,
//! signed per the Standard Webhooks specification, to the tenants'
//! endpoints, within the operator's destination policy.
//!
//! - [`settings`]: the operator's `[webhooks]` configuration, checked.
//! - [`policy`]: which URLs and addresses a delivery may reach.
//! - [`sign`]: secrets and signatures.
//! - [`retry`]: when a failed delivery is tried again.
//! - [`attempt`]: one POST and how its answer counts.
//! - [`worker`]: delivery passes over the store's due deliveries.
//! - [`background`]: `vitals serve`'s loop of passes.

pub mod attempt;
pub mod background;
pub mod policy;
pub mod retry;
pub mod settings;
pub mod sign;
pub mod worker;

pub use settings::{DeliverySettings, WebhooksSection};
