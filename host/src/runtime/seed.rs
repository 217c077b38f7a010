//! The seed of a call's randomness. A result may depend only on the plugin,
//! the tenant's configuration, the as-of and the accounts it scores; so the
//! random numbers a call draws come from those too, never from which
//! instance, worker, batch order or retry happens to serve it. Each call
//! runs in a fresh instance seeded so: a call on one account (an on-demand
//! score, a retry) always draws the same numbers for that account.

use super::types::Account;
use sha2::{Digest, Sha256};

/// The seed of a call of plugin `plugin_hash` with `config` at `as_of` on
/// `accounts` (their ids, in call order).
pub fn call_seed(plugin_hash: &str, config: &str, as_of: i32, accounts: &[Account]) -> u64 {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different inputs hash the same bytes.
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(b"vitals call seed v1");
    field(plugin_hash.as_bytes());
    field(config.as_bytes());
    field(&as_of.to_le_bytes());
    for a in accounts {
        field(a.id.as_bytes());
    }
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("sha-256 has 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::{Attributes, Snapshot};

    fn account(id: &str) -> Account {
        Account {
            id: id.into(),
            attributes: Attributes::empty(),
            current: Snapshot::empty(20_000),
            history: vec![],
            health: vec![],
        }
    }

    #[test]
    fn the_seed_changes_with_each_input_and_only_with_them() {
        let a = [account("a")];
        let base = call_seed("h1", "{}", 20_000, &a);
        assert_eq!(base, call_seed("h1", "{}", 20_000, &a));
        assert_ne!(base, call_seed("h2", "{}", 20_000, &a));
        assert_ne!(base, call_seed("h1", "{ }", 20_000, &a));
        assert_ne!(base, call_seed("h1", "{}", 20_001, &a));
        assert_ne!(base, call_seed("h1", "{}", 20_000, &[account("b")]));
        // Field boundaries count: ("ab", "c") is not ("a", "bc").
        assert_ne!(
            call_seed("h1", "{}", 1, &[account("ab"), account("c")]),
            call_seed("h1", "{}", 1, &[account("a"), account("bc")])
        );
    }
}
