//! Key layout. Keys sort by (tenant, kind, account, instant), so an
//! account's history and a tenant's accounts are each one range scan.
//! Parts are joined by a 0 byte, which ids may not contain; instants are
//! big-endian with the sign bit flipped so that byte order is time order.

/// Separator between key parts.
const SEP: u8 = 0;

/// Record kinds inside the tenant data tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Account = b'a' as isize,
    Snapshot = b's' as isize,
    Outcome = b'o' as isize,
    /// The tenant's catalog of metric, label and field names (`store::catalog`).
    Name = b'n' as isize,
}

/// A day (days since 1970-01-01) as 4 bytes that sort in time order.
pub fn day(d: i32) -> [u8; 4] {
    ((d as u32) ^ 0x8000_0000).to_be_bytes()
}

/// The inverse of [`day`].
pub fn day_from(bytes: &[u8]) -> i32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[..4]);
    (u32::from_be_bytes(b) ^ 0x8000_0000) as i32
}

/// `tenant 0 kind 0`: every record of a kind for a tenant.
pub fn kind_prefix(tenant: &str, kind: Kind) -> Vec<u8> {
    let mut k = Vec::with_capacity(tenant.len() + 3);
    k.extend_from_slice(tenant.as_bytes());
    k.push(SEP);
    k.push(kind as u8);
    k.push(SEP);
    k
}

/// `tenant 0 kind 0 account 0`: every record of a kind for one account.
pub fn account_prefix(tenant: &str, kind: Kind, account: &str) -> Vec<u8> {
    let mut k = kind_prefix(tenant, kind);
    k.extend_from_slice(account.as_bytes());
    k.push(SEP);
    k
}

/// The key of an account's attributes.
pub fn account(tenant: &str, account: &str) -> Vec<u8> {
    let mut k = kind_prefix(tenant, Kind::Account);
    k.extend_from_slice(account.as_bytes());
    k
}

/// The key of one snapshot.
pub fn snapshot(tenant: &str, account: &str, as_of: i32) -> Vec<u8> {
    let mut k = account_prefix(tenant, Kind::Snapshot, account);
    k.extend_from_slice(&day(as_of));
    k
}

/// The key of one outcome (one per account, day and kind).
pub fn outcome(tenant: &str, account: &str, date: i32, kind: u8) -> Vec<u8> {
    let mut k = account_prefix(tenant, Kind::Outcome, account);
    k.extend_from_slice(&day(date));
    k.push(kind);
    k
}

/// Splits a snapshot or outcome key after its kind prefix into (account, day).
pub fn split_account_day(rest: &[u8]) -> Option<(&str, i32)> {
    let sep = rest.iter().position(|b| *b == SEP)?;
    let account = std::str::from_utf8(&rest[..sep]).ok()?;
    let day_bytes = rest.get(sep + 1..sep + 5)?;
    Some((account, day_from(day_bytes)))
}

/// `tenant 0 name`: per-tenant keys of the plugin-state and runs trees.
pub fn tenant_key(tenant: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = tenant.as_bytes().to_vec();
    for p in parts {
        k.push(SEP);
        k.extend_from_slice(p);
    }
    k
}

/// Whether an id is usable in keys: non-empty, at most 256 bytes, no 0 byte
/// and no control characters.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && !id.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_sort_in_time_order() {
        let days = [-100_000, -1, 0, 1, 20_454, 100_000];
        for w in days.windows(2) {
            assert!(day(w[0]) < day(w[1]), "{w:?}");
        }
        for d in days {
            assert_eq!(day_from(&day(d)), d);
        }
    }

    #[test]
    fn history_of_one_account_is_one_prefix() {
        let a = snapshot("t", "acme", 10);
        let b = snapshot("t", "acme", 20);
        let other = snapshot("t", "acme-2", 5);
        let prefix = account_prefix("t", Kind::Snapshot, "acme");
        assert!(a.starts_with(&prefix) && b.starts_with(&prefix));
        assert!(!other.starts_with(&prefix));
        assert!(a < b);
        let rest = &a[kind_prefix("t", Kind::Snapshot).len()..];
        assert_eq!(split_account_day(rest), Some(("acme", 10)));
    }

    #[test]
    fn ids_with_separators_are_invalid() {
        assert!(valid_id("acct-1"));
        assert!(!valid_id(""));
        assert!(!valid_id("a\0b"));
        assert!(!valid_id(&"x".repeat(257)));
    }
}
