//! Building a pack from a vendor's folder holding `pack.toml`: each plugin
//! from a built component (`wasm = "x.wasm"`) or a plugin folder of any
//! language (`source = "dir"`), validated with its default configuration
//! before the manifest is written. Errors name the `pack.toml` key.

use super::manifest::{
    DESCRIPTION_MAX, FORMAT, VENDOR_MAX, check_host_requirement, check_name, check_text,
    check_version,
};
use super::{Manifest, PackArchive, PackError, PackFile, PackInfo, PackPlugin, sha256_hex};
use crate::contract::{ContractVersion, PluginMetadata};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The vendor's file in the pack folder.
pub const PACK_TOML: &str = "pack.toml";
/// The host requirement when `pack.toml` gives none.
const DEFAULT_HOST: &str = ">=0.1.0";

/// What building a pack needs from the host: building plugin folders and
/// validating components. The CLI implements it with `vitals plugin
/// build` and the runtime; tests with fakes.
pub trait BuildTools {
    /// Builds a plugin folder (any language) into a component, as `vitals plugin build` does.
    fn build_source(&mut self, dir: &Path) -> Result<Vec<u8>, String>;
    /// Validates a component as `vitals plugin add` does and its default configuration against its
    /// schema (and the plugin's own check); returns its metadata.
    fn validate(
        &mut self,
        component: &[u8],
        defaults: &serde_json::Value,
    ) -> Result<PluginMetadata, String>;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackToml {
    pack: PackTable,
    #[serde(default)]
    plugins: Vec<PluginEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackTable {
    name: String,
    version: String,
    vendor: String,
    #[serde(default)]
    description: String,
    contract: Option<String>,
    host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginEntry {
    wasm: Option<PathBuf>,
    source: Option<PathBuf>,
    config: Option<PathBuf>,
    readme: Option<PathBuf>,
}

/// One plugin, built and validated, with its files' bytes.
struct BuiltPlugin {
    metadata: PluginMetadata,
    component: Vec<u8>,
    defaults: Option<Vec<u8>>,
    readme: Option<Vec<u8>>,
}

/// Builds an unsigned pack from `dir/pack.toml`.
pub fn build(dir: &Path, tools: &mut dyn BuildTools) -> Result<PackArchive, PackError> {
    let toml_path = dir.join(PACK_TOML);
    let text = std::fs::read_to_string(&toml_path)
        .map_err(|e| PackError::pack_toml("(file)", format!("{}: {e}", toml_path.display())))?;
    let spec: PackToml = toml::from_str(&text)
        .map_err(|e| PackError::pack_toml("(document)", e.to_string().trim_end().to_string()))?;
    let info = check_pack_table(&spec.pack)?;
    if spec.plugins.is_empty() {
        return Err(PackError::pack_toml(
            "plugins",
            "a pack needs at least one [[plugins]] entry",
        ));
    }
    let mut built: Vec<BuiltPlugin> = Vec::new();
    for (i, entry) in spec.plugins.iter().enumerate() {
        let plugin = build_plugin(dir, i, entry, tools)?;
        if let Some(j) = built
            .iter()
            .position(|b| b.metadata.name == plugin.metadata.name)
        {
            return Err(PackError::pack_toml(
                format!("plugins[{i}]"),
                format!(
                    "plugin {} is already in the pack (plugins[{j}])",
                    plugin.metadata.name
                ),
            ));
        }
        built.push(plugin);
    }
    let contract = contract_version(spec.pack.contract.as_deref(), &built)?;
    assemble(
        info,
        contract,
        spec.pack.host.unwrap_or_else(|| DEFAULT_HOST.into()),
        built,
    )
}

/// The `[pack]` table, each field checked as the manifest will be.
fn check_pack_table(t: &PackTable) -> Result<PackInfo, PackError> {
    fn at(key: &str) -> impl Fn(String) -> PackError + '_ {
        move |reason| PackError::pack_toml(format!("pack.{key}"), reason)
    }
    check_name(&t.name).map_err(at("name"))?;
    check_version(&t.version).map_err(at("version"))?;
    check_text(&t.vendor, VENDOR_MAX, false).map_err(at("vendor"))?;
    check_text(&t.description, DESCRIPTION_MAX, true).map_err(at("description"))?;
    if let Some(c) = &t.contract {
        check_version(c).map_err(at("contract"))?;
    }
    if let Some(h) = &t.host {
        check_host_requirement(h).map_err(at("host"))?;
    }
    Ok(PackInfo {
        name: t.name.clone(),
        version: t.version.clone(),
        vendor: t.vendor.clone(),
        description: t.description.clone(),
    })
}

/// Reads a file named by a `pack.toml` key, relative to the folder.
fn read_named(dir: &Path, key: &str, path: &Path) -> Result<Vec<u8>, PackError> {
    std::fs::read(dir.join(path)).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => format!("no such file {}", path.display()),
            _ => format!("{}: {e}", path.display()),
        };
        PackError::pack_toml(key, why)
    })
}

fn build_plugin(
    dir: &Path,
    i: usize,
    entry: &PluginEntry,
    tools: &mut dyn BuildTools,
) -> Result<BuiltPlugin, PackError> {
    let key = |field: &str| format!("plugins[{i}].{field}");
    let component = match (&entry.wasm, &entry.source) {
        (Some(wasm), None) => read_named(dir, &key("wasm"), wasm)?,
        (None, Some(source)) => {
            let folder = dir.join(source);
            if !folder.is_dir() {
                return Err(PackError::pack_toml(
                    key("source"),
                    format!("no such folder {}", source.display()),
                ));
            }
            tools
                .build_source(&folder)
                .map_err(|reason| PackError::Build {
                    plugin: key("source"),
                    reason,
                })?
        }
        _ => {
            return Err(PackError::pack_toml(
                format!("plugins[{i}]"),
                "give exactly one of wasm (a built component) or source (a plugin folder)",
            ));
        }
    };
    let defaults = match &entry.config {
        Some(path) => Some(read_named(dir, &key("config"), path)?),
        None => None,
    };
    let defaults_value: serde_json::Value = match &defaults {
        Some(bytes) => serde_json::from_slice(bytes)
            .map_err(|e| PackError::pack_toml(key("config"), format!("not valid JSON: {e}")))?,
        None => serde_json::json!({}),
    };
    let readme = match (&entry.readme, &entry.source) {
        (Some(path), _) => Some(read_named(dir, &key("readme"), path)?),
        // A plugin folder's own README, when it has one.
        (None, Some(source)) => std::fs::read(dir.join(source).join("README.md")).ok(),
        (None, None) => None,
    };
    if let Some(bytes) = &readme
        && std::str::from_utf8(bytes).is_err()
    {
        return Err(PackError::pack_toml(key("readme"), "not UTF-8 text"));
    }
    let what = entry
        .wasm
        .as_ref()
        .map(|_| key("wasm"))
        .unwrap_or_else(|| key("source"));
    let metadata = tools
        .validate(&component, &defaults_value)
        .map_err(|reason| PackError::Build {
            plugin: what.clone(),
            reason,
        })?;
    check_name(&metadata.name).map_err(|reason| PackError::Build {
        plugin: what.clone(),
        reason: format!("its name cannot be a pack plugin's: {reason}"),
    })?;
    check_version(&metadata.version).map_err(|reason| PackError::Build {
        plugin: metadata.name.clone(),
        reason,
    })?;
    Ok(BuiltPlugin {
        metadata,
        component,
        defaults,
        readme,
    })
}

/// The contract version the pack needs: the highest its components
/// implement (0.2.0 when none says); one given in `pack.toml` may not be
/// lower than that.
fn contract_version(given: Option<&str>, built: &[BuiltPlugin]) -> Result<String, PackError> {
    let parse = |v: &str| semver::Version::parse(v).expect("checked or known");
    let needed = built
        .iter()
        .filter_map(|b| Some((b, ContractVersion::of_component(&b.component)?.to_string())))
        .max_by_key(|(_, v)| parse(v));
    match (given, needed) {
        (Some(given), Some((b, needed))) if parse(given) < parse(&needed) => {
            Err(PackError::pack_toml(
                "pack.contract",
                format!(
                    "is {given}, but plugin {} implements contract {needed}",
                    b.metadata.name
                ),
            ))
        }
        (Some(given), _) => Ok(given.to_string()),
        (None, Some((_, needed))) => Ok(needed),
        (None, None) => Ok(ContractVersion::V0_2.to_string()),
    }
}

/// Lays the plugins' files out, writes the manifest once, and checks the
/// result as a reader would.
fn assemble(
    pack: PackInfo,
    contract: String,
    host: String,
    built: Vec<BuiltPlugin>,
) -> Result<PackArchive, PackError> {
    let mut plugins = Vec::new();
    let mut listed = Vec::new();
    let mut files = BTreeMap::new();
    let mut add = |path: String, bytes: Vec<u8>| {
        listed.push(PackFile {
            path: path.clone(),
            sha256: sha256_hex(&bytes),
            size: bytes.len() as u64,
        });
        files.insert(path.clone(), bytes);
        path
    };
    for b in built {
        let name = b.metadata.name.clone();
        let component = add(PackPlugin::component_path(&name), b.component);
        let defaults = b.defaults.map(|d| add(PackPlugin::defaults_path(&name), d));
        let readme = b.readme.map(|r| add(PackPlugin::readme_path(&name), r));
        plugins.push(PackPlugin {
            name,
            version: b.metadata.version,
            kind: b.metadata.kind,
            component,
            defaults,
            readme,
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        pack,
        contract,
        host,
        plugins,
        files: listed,
    };
    let manifest_bytes = manifest.to_bytes();
    Ok(PackArchive {
        manifest: Manifest::parse(&manifest_bytes)?,
        manifest_bytes,
        signature: None,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{FakeTools, fake_component, vendor_folder};
    use super::*;

    fn edit_toml(dir: &Path, from: &str, to: &str) {
        let path = dir.join(PACK_TOML);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    fn refused(dir: &Path) -> PackError {
        build(dir, &mut FakeTools).unwrap_err()
    }

    #[test]
    fn a_folder_builds_into_a_manifest_listing_every_file() {
        let dir = vendor_folder();
        let pack = build(dir.path(), &mut FakeTools).unwrap();
        let m = &pack.manifest;
        assert_eq!(m.pack.name, "acme-health");
        assert_eq!(m.host, ">=0.1.0");
        assert_eq!(m.contract, "0.2.0", "no component says: the default");
        let names: Vec<_> = m.plugins.iter().map(|p| (&*p.name, &*p.version)).collect();
        assert_eq!(names, [("acme-score", "1.0.0"), ("acme-segments", "0.3.1")]);
        assert_eq!(m.files.len(), 5);
        for f in &m.files {
            assert_eq!(f.sha256, sha256_hex(&pack.files[&f.path]));
        }
        assert!(pack.signature.is_none());
    }

    #[test]
    fn errors_name_the_pack_toml_key() {
        let dir = vendor_folder();
        edit_toml(dir.path(), "build/acme_score.wasm", "build/missing.wasm");
        let err = refused(dir.path()).to_string();
        assert_eq!(
            err,
            "pack.toml: plugins[0].wasm: no such file build/missing.wasm"
        );

        let dir = vendor_folder();
        edit_toml(dir.path(), "version = \"1.2.0\"", "version = \"1.2\"");
        assert!(
            refused(dir.path())
                .to_string()
                .starts_with("pack.toml: pack.version:")
        );

        let dir = vendor_folder();
        edit_toml(dir.path(), "source = \"acme-segments\"", "");
        assert!(
            refused(dir.path())
                .to_string()
                .starts_with("pack.toml: plugins[1]: give exactly one of wasm")
        );

        let dir = vendor_folder();
        edit_toml(dir.path(), "[pack]", "[pack]\nhomepage = \"x\"");
        assert!(
            refused(dir.path())
                .to_string()
                .contains("unknown field `homepage`")
        );

        let dir = vendor_folder();
        std::fs::write(dir.path().join("acme-score.defaults.json"), "{oops").unwrap();
        assert!(
            refused(dir.path())
                .to_string()
                .starts_with("pack.toml: plugins[0].config: not valid JSON")
        );
    }

    #[test]
    fn a_default_configuration_the_plugin_refuses_fails_the_build() {
        let dir = vendor_folder();
        std::fs::write(
            dir.path().join("acme-score.defaults.json"),
            r#"{"bad": true}"#,
        )
        .unwrap();
        match refused(dir.path()) {
            PackError::Build { plugin, reason } => {
                assert_eq!(plugin, "plugins[0].wasm");
                assert!(reason.contains("bad: is not allowed"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_plugins_with_one_name_are_refused() {
        let dir = vendor_folder();
        std::fs::write(
            dir.path().join("acme-segments/component.txt"),
            fake_component("acme-score", "2.0.0"),
        )
        .unwrap();
        let err = refused(dir.path()).to_string();
        assert_eq!(
            err,
            "pack.toml: plugins[1]: plugin acme-score is already in the pack (plugins[0])"
        );
    }

    #[test]
    fn a_contract_below_a_component_s_is_refused() {
        // A component exporting the 0.2 health world (an empty instance:
        // only the export's name matters to the version).
        let wasm = wat::parse_str(
            r#"(component (instance $i) (export "vitals:plugin/health@0.2.0" (instance $i)))"#,
        )
        .unwrap();
        let contract = |given: Option<&str>| {
            let built = [BuiltPlugin {
                metadata: FakeTools
                    .validate(&fake_component("x", "1.0.0"), &serde_json::json!({}))
                    .unwrap(),
                component: wasm.clone(),
                defaults: None,
                readme: None,
            }];
            contract_version(given, &built)
        };
        assert_eq!(contract(None).unwrap(), "0.2.0");
        assert_eq!(contract(Some("0.3.0")).unwrap(), "0.3.0");
        let err = contract(Some("0.1.0")).unwrap_err().to_string();
        assert!(err.contains("plugin x implements contract 0.2.0"), "{err}");
    }
}
