//! Vitals host.
