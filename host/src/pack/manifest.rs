//! `manifest.json`: what a pack holds, and the checks every manifest passes
//! before anything it lists is trusted (names, versions, the exact layout of
//! each plugin's files, every file listed once with its SHA-256).

use super::PackError;
use crate::contract::PluginKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The manifest format this host reads and writes.
pub const FORMAT: u32 = 1;
/// The longest pack or plugin name.
pub const NAME_MAX: usize = 64;
/// Longest vendor name and description: a manifest is read whole, and both
/// are shown on one screen.
pub(crate) const VENDOR_MAX: usize = 200;
pub(crate) const DESCRIPTION_MAX: usize = 4096;

/// A pack's manifest, as `manifest.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The manifest format (1).
    pub format: u32,
    /// Who made the pack and which version it is.
    pub pack: PackInfo,
    /// The minimum plugin-contract version its components need (`0.2.0`).
    pub contract: String,
    /// A semver requirement on the host's version (`>=0.1.0`).
    pub host: String,
    /// Its plugins, with the files each one has.
    pub plugins: Vec<PackPlugin>,
    /// Every file in the archive but the manifest and its signature.
    pub files: Vec<PackFile>,
}

/// The pack itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackInfo {
    /// Lowercase `[a-z0-9][a-z0-9-]*`, at most 64 characters.
    pub name: String,
    /// Semantic version (`1.2.0`).
    pub version: String,
    /// Who publishes it.
    pub vendor: String,
    /// One paragraph for people.
    pub description: String,
}

/// One plugin of a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackPlugin {
    /// The name its metadata reports.
    pub name: String,
    /// The version its metadata reports.
    pub version: String,
    /// The world its component implements.
    pub kind: PluginKind,
    /// `plugins/NAME/component.wasm`.
    pub component: String,
    /// `plugins/NAME/defaults.json`: the vendor's default configuration.
    pub defaults: Option<String>,
    /// `plugins/NAME/README.md`.
    pub readme: Option<String>,
}

/// A file of the archive, with its SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    /// Its path in the archive.
    pub path: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

impl PackPlugin {
    /// Where a plugin's component lives in a pack.
    pub fn component_path(plugin: &str) -> String {
        format!("plugins/{plugin}/component.wasm")
    }
    /// Where a plugin's default configuration lives in a pack.
    pub fn defaults_path(plugin: &str) -> String {
        format!("plugins/{plugin}/defaults.json")
    }
    /// Where a plugin's README lives in a pack.
    pub fn readme_path(plugin: &str) -> String {
        format!("plugins/{plugin}/README.md")
    }
}

impl Manifest {
    /// Parses and checks manifest bytes. The format is read first, so that a
    /// newer format is named as such rather than as an unknown field.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, PackError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| PackError::manifest("(document)", format!("not valid JSON: {e}")))?;
        match value.get("format").and_then(serde_json::Value::as_u64) {
            Some(f) if f == u64::from(FORMAT) => {}
            Some(f) => {
                return Err(PackError::manifest(
                    "format",
                    format!("format {f} is not supported (this host reads format {FORMAT})"),
                ));
            }
            None => return Err(PackError::manifest("format", "missing or not a number")),
        }
        let manifest: Manifest = serde_path_to_error::deserialize(value)
            .map_err(|e| PackError::manifest(e.path().to_string(), e.inner().to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The manifest's bytes as the builder writes them, once: pretty JSON
    /// and a final newline, so a vendor can read it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        bytes.push(b'\n');
        bytes
    }

    /// The listed file at `path`.
    pub fn file(&self, path: &str) -> Option<&PackFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The plugin named `name`.
    pub fn plugin(&self, name: &str) -> Option<&PackPlugin> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// Every rule a manifest keeps; the first broken one is named.
    pub fn check(&self) -> Result<(), PackError> {
        fn m(field: impl Into<String>, reason: impl Into<String>) -> PackError {
            PackError::manifest(field, reason)
        }
        check_name(&self.pack.name).map_err(|r| m("pack.name", r))?;
        check_version(&self.pack.version).map_err(|r| m("pack.version", r))?;
        check_text(&self.pack.vendor, VENDOR_MAX, false).map_err(|r| m("pack.vendor", r))?;
        check_text(&self.pack.description, DESCRIPTION_MAX, true)
            .map_err(|r| m("pack.description", r))?;
        check_version(&self.contract).map_err(|r| m("contract", r))?;
        check_host_requirement(&self.host).map_err(|r| m("host", r))?;
        if self.plugins.is_empty() {
            return Err(m("plugins", "a pack holds at least one plugin"));
        }
        // Which plugin slot each listed file must fill: every file is
        // referenced exactly once and every reference is listed.
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        for (i, p) in self.plugins.iter().enumerate() {
            let field = |f: &str| format!("plugins[{i}].{f}");
            check_name(&p.name).map_err(|r| m(field("name"), r))?;
            check_version(&p.version).map_err(|r| m(field("version"), r))?;
            if self.plugins[..i].iter().any(|q| q.name == p.name) {
                return Err(m(
                    field("name"),
                    format!("plugin {} is listed twice", p.name),
                ));
            }
            let slots = [
                (
                    "component",
                    Some(&p.component),
                    PackPlugin::component_path(&p.name),
                ),
                (
                    "defaults",
                    p.defaults.as_ref(),
                    PackPlugin::defaults_path(&p.name),
                ),
                (
                    "readme",
                    p.readme.as_ref(),
                    PackPlugin::readme_path(&p.name),
                ),
            ];
            for (slot, path, wanted) in slots {
                let Some(path) = path else { continue };
                if *path != wanted {
                    return Err(m(
                        field(slot),
                        format!("is {path:?}; it must be {wanted:?}"),
                    ));
                }
                if self.file(path).is_none() {
                    return Err(m(field(slot), format!("{path} is not listed in files")));
                }
                expected.insert(path.clone(), field(slot));
            }
        }
        for (i, f) in self.files.iter().enumerate() {
            let field = |f: &str| format!("files[{i}].{f}");
            check_path(&f.path).map_err(|r| m(field("path"), r))?;
            if self.files[..i].iter().any(|g| g.path == f.path) {
                return Err(m(field("path"), format!("{} is listed twice", f.path)));
            }
            if !expected.contains_key(&f.path) {
                return Err(m(
                    field("path"),
                    format!("{} is no plugin's component, defaults or readme", f.path),
                ));
            }
            let hex_digest = f.sha256.len() == 64
                && f.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_digest {
                return Err(m(field("sha256"), "not 64 lowercase hex digits"));
            }
        }
        Ok(())
    }
}

/// Pack and plugin names: lowercase `[a-z0-9][a-z0-9-]*`, at most 64
/// characters (they become paths and store keys).
pub fn check_name(name: &str) -> Result<(), String> {
    let first_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !first_ok || !rest_ok {
        return Err(format!(
            "{name:?} is not a name: lowercase letters, digits and '-', starting with a letter or digit"
        ));
    }
    if name.len() > NAME_MAX {
        return Err(format!("{name:?} is longer than {NAME_MAX} characters"));
    }
    Ok(())
}

/// A semantic version (`1.2.0`).
pub fn check_version(version: &str) -> Result<(), String> {
    semver::Version::parse(version)
        .map(drop)
        .map_err(|e| format!("{version:?} is not a semantic version (like 1.2.0): {e}"))
}

/// A semver requirement on the host version (`>=0.1.0`).
pub fn check_host_requirement(requirement: &str) -> Result<(), String> {
    semver::VersionReq::parse(requirement)
        .map(drop)
        .map_err(|e| format!("{requirement:?} is not a version requirement (like >=0.1.0): {e}"))
}

/// Text shown to people: not empty unless allowed, bounded, and free of
/// control characters (a vendor name must not reprogram a terminal).
pub fn check_text(text: &str, max: usize, may_be_empty: bool) -> Result<(), String> {
    if text.trim().is_empty() && !may_be_empty {
        return Err("is empty".into());
    }
    if text.len() > max {
        return Err(format!("is {} bytes, over {max}", text.len()));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err("holds control characters".into());
    }
    Ok(())
}

/// An archive path: relative, `/`-separated, each part a plain name (no
/// `..`, `.`, empty parts, backslashes or control characters).
pub fn check_path(path: &str) -> Result<(), String> {
    let plain = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && !part.chars().any(|c| c == '\\' || c.is_control())
    };
    if path.starts_with('/') || !path.split('/').all(plain) {
        return Err(format!("{path:?} is not a plain relative path"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT,
            pack: PackInfo {
                name: "acme-health".into(),
                version: "1.2.0".into(),
                vendor: "Acme Analytics".into(),
                description: "Health for SaaS".into(),
            },
            contract: "0.2.0".into(),
            host: ">=0.1.0".into(),
            plugins: vec![PackPlugin {
                name: "weighted-health".into(),
                version: "0.2.0".into(),
                kind: PluginKind::HealthModel,
                component: "plugins/weighted-health/component.wasm".into(),
                defaults: None,
                readme: None,
            }],
            files: vec![PackFile {
                path: "plugins/weighted-health/component.wasm".into(),
                sha256: "ab".repeat(32),
                size: 10,
            }],
        }
    }

    fn refused(m: &Manifest) -> (String, String) {
        match Manifest::parse(&m.to_bytes()) {
            Err(PackError::Manifest { field, reason }) => (field, reason),
            other => panic!("expected a manifest error, got {other:?}"),
        }
    }

    #[test]
    fn a_good_manifest_round_trips_through_its_bytes() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.to_bytes()).unwrap(), m);
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let mut m = sample();
        m.pack.name = "Acme".into();
        assert_eq!(refused(&m).0, "pack.name");
        let mut m = sample();
        m.pack.version = "1.2".into();
        assert_eq!(refused(&m).0, "pack.version");
        let mut m = sample();
        m.host = "whatever".into();
        assert_eq!(refused(&m).0, "host");
        let mut m = sample();
        m.plugins[0].component = "../component.wasm".into();
        assert_eq!(refused(&m).0, "plugins[0].component");
        let mut m = sample();
        m.plugins[0].defaults = Some("plugins/weighted-health/defaults.json".into());
        let (field, reason) = refused(&m);
        assert_eq!(field, "plugins[0].defaults");
        assert!(reason.contains("not listed in files"), "{reason}");
        let mut m = sample();
        m.files.push(m.files[0].clone());
        assert_eq!(refused(&m).0, "files[1].path");
        let mut m = sample();
        m.files[0].sha256 = "AB".repeat(32);
        assert_eq!(refused(&m).0, "files[0].sha256");
        let mut m = sample();
        m.pack.vendor = "Acme\u{1b}]0;owned\u{7}".into();
        assert_eq!(refused(&m).0, "pack.vendor");
        let mut m = sample();
        m.pack.name = "a".repeat(65);
        assert!(refused(&m).1.contains("longer than 64"));
    }

    #[test]
    fn a_newer_format_and_unknown_fields_are_named() {
        let mut m = sample();
        m.format = 2;
        let (field, reason) = refused(&m);
        assert_eq!(field, "format");
        assert!(reason.contains("format 2 is not supported"), "{reason}");
        let mut v = serde_json::to_value(sample()).unwrap();
        v["pack"]["homepage"] = "x".into();
        let err = Manifest::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `homepage`"),
            "{err}"
        );
        let err = Manifest::parse(b"{not json").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }

    #[test]
    fn paths_must_be_plain_and_relative() {
        for bad in ["/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", ""] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_path("plugins/x/component.wasm").is_ok());
    }
}
