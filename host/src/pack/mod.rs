//! # Vendor packs (`.vpack`)
//!
//! A vendor ships plugins as one file, `NAME-VERSION.vpack`: a
//! gzip-compressed ustar archive whose entries are, in this order,
//!
//! 1. `manifest.json`: `{"format":1, "pack":{"name","version","vendor",
//!    "description"}, "contract":"0.2.0", "host":">=0.1.0", "plugins":[{"name",
//!    "version","kind","component","defaults","readme"}], "files":[{"path",
//!    "sha256","size"}]}`, written once by the builder and never
//!    re-serialised: its exact bytes are what is signed and stored;
//! 2. `manifest.json.minisig`, when signed: a standard minisign signature of
//!    those bytes (trusted comment `vitals pack NAME VERSION`), checkable with
//!    `tar xzf p.vpack manifest.json manifest.json.minisig && minisign -Vm
//!    manifest.json -p vendor.pub`;
//! 3. each plugin's `plugins/NAME/component.wasm`, and optionally its
//!    `plugins/NAME/defaults.json` (the vendor's default configuration) and
//!    `plugins/NAME/README.md`.
//!
//! Every file but the manifest and its signature is listed in `files` with
//! its SHA-256 and size; the reader ([`PackArchive::read`]) refuses a pack
//! with a file unlisted, missing, changed or twice, an entry that is not a
//! regular file at a plain relative path, or an entry over the limits
//! ([`PackLimits`], judged from its header before it is read). Pack and
//! plugin names are lowercase `[a-z0-9][a-z0-9-]*`, at most 64 characters;
//! versions are semver; `contract` is the minimum plugin-contract version
//! the components need and `host` a semver requirement on the host.
//!
//! Signatures are checked only by [`verify`] (against trusted keys): the
//! reader accepts an unsigned pack, and whoever installs decides whether
//! unsigned is allowed.
//!
//! ```
//! let keys = vitals::pack::keygen("acme pack key").unwrap();
//! let trusted = vitals::pack::PublicKey::parse(&keys.public).unwrap();
//! assert_eq!(trusted.key_id, keys.key_id); // 16 hex digits, as minisign prints it
//! ```

mod archive;
mod build;
mod error;
mod manifest;
mod sign;

pub use archive::{MANIFEST, PackArchive, PackLimits, SIGNATURE, sha256_hex};
pub use build::{BuildTools, PACK_TOML, build};
pub use error::PackError;
pub use manifest::{Manifest, PackFile, PackInfo, PackPlugin, check_name};
pub use sign::{KeyPairText, PublicKey, keygen, sign, signature_key_id, verify};

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod test_support;
