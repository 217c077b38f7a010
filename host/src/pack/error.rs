//! Why a pack was refused: each error names the problem and the file,
//! manifest field or `pack.toml` key at fault, and has a stable code for
//! JSON error bodies.

/// A pack refused, or a pack operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The bytes are not a well-formed pack archive (not gzip, not tar,
    /// truncated, trailing bytes, too many entries).
    #[error("not a Vitals pack: {0}")]
    Archive(String),
    /// An entry's path is absolute, climbs with `..`, or is otherwise not a
    /// plain relative path.
    #[error("entry {0} escapes the pack (only plain relative paths are allowed)")]
    UnsafePath(String),
    /// An entry that is not a regular file: a link, a directory, a device.
    #[error("entry {0} is not a regular file (links, directories and devices are refused)")]
    NotAFile(String),
    /// The same path twice in the archive.
    #[error("entry {0} appears twice in the archive")]
    Duplicate(String),
    /// An entry larger than the limit, refused from its header before any
    /// of it is read (or the archive's total past its limit).
    #[error("entry {path} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    /// A file in the archive that the manifest does not list.
    #[error("file {0} is in the archive but not listed in the manifest")]
    Unlisted(String),
    /// A file the manifest lists that the archive does not hold.
    #[error("file {0} is listed in the manifest but missing from the archive")]
    Missing(String),
    /// A file whose bytes are not those the manifest lists.
    #[error(
        "file {path} does not match the manifest: its SHA-256 is {actual}, the manifest says {expected}"
    )]
    HashMismatch {
        path: String,
        expected: String,
        actual: String,
    },
    /// `manifest.json` missing, misplaced or wrong; `field` names where.
    #[error("manifest.json: {field}: {reason}")]
    Manifest { field: String, reason: String },
    /// A listed file whose content is unusable (defaults that are not
    /// JSON, a README that is not UTF-8).
    #[error("file {path}: {reason}")]
    BadFile { path: String, reason: String },
    /// `manifest.json.minisig` is not a minisign signature.
    #[error("manifest.json.minisig is not a minisign signature: {0}")]
    MalformedSignature(String),
    /// Verification was asked of a pack that carries no signature.
    #[error("the pack is not signed (it has no manifest.json.minisig)")]
    MissingSignature,
    /// Signed by a key that is not among the trusted ones.
    #[error("the pack is signed by key {0}, which is not trusted")]
    UntrustedKey(String),
    /// The signature does not verify under its (trusted) key.
    #[error(
        "the manifest does not match its signature (key {key_id}): the pack was changed after signing"
    )]
    BadSignature { key_id: String },
    /// A key that cannot be read or used (bad text, wrong password).
    #[error("key: {0}")]
    Key(String),
    /// A `pack.toml` key that is missing, wrong, or names a missing file.
    #[error("pack.toml: {key}: {reason}")]
    PackToml { key: String, reason: String },
    /// A plugin that could not be built or did not pass validation.
    #[error("plugin {plugin}: {reason}")]
    Build { plugin: String, reason: String },
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl PackError {
    /// A stable kebab-case code for JSON error bodies (`hash-mismatch`).
    pub fn code(&self) -> &'static str {
        match self {
            PackError::Archive(_) => "not-a-pack",
            PackError::UnsafePath(_) => "unsafe-path",
            PackError::NotAFile(_) => "not-a-file",
            PackError::Duplicate(_) => "duplicate-entry",
            PackError::TooLarge { .. } => "too-large",
            PackError::Unlisted(_) => "unlisted-file",
            PackError::Missing(_) => "missing-file",
            PackError::HashMismatch { .. } => "hash-mismatch",
            PackError::Manifest { .. } => "bad-manifest",
            PackError::BadFile { .. } => "bad-file",
            PackError::MalformedSignature(_) => "malformed-signature",
            PackError::MissingSignature => "missing-signature",
            PackError::UntrustedKey(_) => "untrusted-key",
            PackError::BadSignature { .. } => "bad-signature",
            PackError::Key(_) => "bad-key",
            PackError::PackToml { .. } => "bad-pack-toml",
            PackError::Build { .. } => "build-failed",
            PackError::Io(_) => "io",
        }
    }

    /// A manifest error at `field`.
    pub(crate) fn manifest(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PackError::Manifest {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A `pack.toml` error at `key`.
    pub(crate) fn pack_toml(key: impl Into<String>, reason: impl Into<String>) -> Self {
        PackError::PackToml {
            key: key.into(),
            reason: reason.into(),
        }
    }
}
