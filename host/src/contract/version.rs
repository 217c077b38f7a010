//! Which version of the contract a component implements, told by the
//! world it exports (`vitals:plugin/health@0.2.0`, say). The runtime asks
//! it of a compiled component when it validates one; the store asks it of
//! a stored component's bytes for plugin records written before hosts
//! recorded the version (components never change, so the answer holds).

use super::PluginKind;
use serde::{Deserialize, Serialize};

/// The versions of the contract (`vitals:plugin`) a component may
/// implement; the host binds both and shows their results alike. Written
/// as the WIT package's version, `0.1.0` or `0.2.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ContractVersion {
    /// `vitals:plugin@0.1.0` (`wit/`): whole accounts as records.
    #[serde(rename = "0.1.0", alias = "0.1")]
    V0_1,
    /// `vitals:plugin@0.2.0` (`wit/0.2`): columnar batches, projections,
    /// names once per call.
    #[serde(rename = "0.2.0", alias = "0.2")]
    V0_2,
}

impl std::fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ContractVersion::V0_1 => "0.1.0",
            ContractVersion::V0_2 => "0.2.0",
        })
    }
}

/// The export interface of each world, without its version.
const WORLD_EXPORTS: [(&str, PluginKind); 4] = [
    ("vitals:plugin/health", PluginKind::HealthModel),
    ("vitals:plugin/segments", PluginKind::Segmenter),
    ("vitals:plugin/propensity", PluginKind::PropensityModel),
    ("vitals:plugin/forecast", PluginKind::Forecaster),
];

/// What an export name says of the world a component implements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldExport<'a> {
    /// Not a plugin world's interface.
    Other,
    /// A world's interface at a contract version this host binds.
    Known(PluginKind, ContractVersion),
    /// A world's interface at a version this host does not bind.
    UnknownVersion(&'a str),
}

impl ContractVersion {
    /// The version an export's `@version` belongs to, when this host binds
    /// it: any 0.1.x is 0.1, any 0.2.x is 0.2.
    pub fn of_export_version(version: &str) -> Option<Self> {
        let minor = |prefix: &str| {
            version
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
        };
        if minor("0.1") {
            Some(ContractVersion::V0_1)
        } else if minor("0.2") {
            Some(ContractVersion::V0_2)
        } else {
            None
        }
    }

    /// The version of a component, from the plugin world among its own
    /// (top-level) exports; `None` when the bytes are no component or
    /// export no one plugin world of a version this host binds. Cheap: the
    /// nested modules and components, the bulk of the bytes, are skipped.
    pub fn of_component(bytes: &[u8]) -> Option<Self> {
        let mut found = None;
        for name in top_level_exports(bytes)? {
            match world_export(name) {
                WorldExport::Known(_, version) if found.is_none() => found = Some(version),
                // Several worlds, or one at a version not bound: the
                // runtime would refuse it, so it has no version to show.
                WorldExport::Known(..) | WorldExport::UnknownVersion(_) => return None,
                WorldExport::Other => {}
            }
        }
        found
    }
}

/// What an export name (`vitals:plugin/health@0.2.0`) says of the world.
pub fn world_export(name: &str) -> WorldExport<'_> {
    let (interface, version) = name.split_once('@').unwrap_or((name, ""));
    match WORLD_EXPORTS.iter().find(|(n, _)| *n == interface) {
        None => WorldExport::Other,
        Some((_, kind)) => match ContractVersion::of_export_version(version) {
            Some(contract) => WorldExport::Known(*kind, contract),
            None => WorldExport::UnknownVersion(version),
        },
    }
}

/// The names a component exports itself (not those of the modules and
/// components nested in it); `None` when the bytes are no component.
fn top_level_exports(bytes: &[u8]) -> Option<Vec<&str>> {
    use wasmparser::{Chunk, Parser, Payload};
    let mut parser = Parser::new(0);
    let mut at = 0;
    let mut names = Vec::new();
    loop {
        let Chunk::Parsed { consumed, payload } = parser.parse(&bytes[at..], true).ok()? else {
            return None;
        };
        at += consumed;
        match payload {
            Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Component => {
                return None;
            }
            Payload::ComponentExportSection(exports) => {
                for export in exports {
                    names.push(export.ok()?.name.name);
                }
            }
            // The parent parser goes on after the nested item's bytes.
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                if unchecked_range.end > bytes.len() {
                    return None;
                }
                at = unchecked_range.end;
            }
            Payload::End(_) => return Some(names),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component exporting these instance names (empty instances: only
    /// the names matter here), with a nested component exporting a world.
    fn component(exports: &[&str]) -> Vec<u8> {
        let exports: String = exports
            .iter()
            .map(|name| format!("(export \"{name}\" (instance $empty))"))
            .collect();
        wat::parse_str(format!(
            "(component
               (component $nested (instance $i) (export \"vitals:plugin/forecast@0.1.0\" (instance $i)))
               (core module $m (func (export \"f\")))
               (instance $empty)
               {exports})"
        ))
        .unwrap()
    }

    #[test]
    fn a_component_s_version_is_the_world_it_exports_itself() {
        use ContractVersion::{V0_1, V0_2};
        let of = |exports: &[&str]| ContractVersion::of_component(&component(exports));
        assert_eq!(of(&["vitals:plugin/health@0.1.0"]), Some(V0_1));
        assert_eq!(of(&["vitals:plugin/health@0.2.0"]), Some(V0_2));
        assert_eq!(of(&["x:y/z", "vitals:plugin/segments@0.1.3"]), Some(V0_1));
        // The nested component's export is not the component's.
        assert_eq!(of(&["x:y/z"]), None);
        assert_eq!(of(&["vitals:plugin/health@0.3.0"]), None);
        assert_eq!(
            of(&["vitals:plugin/health@0.2.0", "vitals:plugin/forecast@0.2.0"]),
            None
        );
        assert_eq!(ContractVersion::of_component(b"not wasm"), None);
        let module = wat::parse_str("(module)").unwrap();
        assert_eq!(ContractVersion::of_component(&module), None);
    }

    #[test]
    fn an_export_version_is_bound_by_its_minor() {
        let of = ContractVersion::of_export_version;
        assert_eq!(of("0.1.0"), Some(ContractVersion::V0_1));
        assert_eq!(of("0.1.7"), Some(ContractVersion::V0_1));
        assert_eq!(of("0.2.0"), Some(ContractVersion::V0_2));
        for unbound in ["0.3.0", "0.10.0", "0.20.0", ""] {
            assert_eq!(of(unbound), None, "{unbound}");
        }
    }

    #[test]
    fn a_version_reads_as_its_package_version_and_in_the_short_form() {
        assert_eq!(ContractVersion::V0_2.to_string(), "0.2.0");
        assert_eq!(
            serde_json::to_value(ContractVersion::V0_1).unwrap(),
            "0.1.0"
        );
        for (text, version) in [
            ("\"0.1.0\"", ContractVersion::V0_1),
            ("\"0.1\"", ContractVersion::V0_1),
            ("\"0.2.0\"", ContractVersion::V0_2),
        ] {
            assert_eq!(
                serde_json::from_str::<ContractVersion>(text).unwrap(),
                version
            );
        }
        assert_eq!(
            world_export("vitals:plugin/propensity@0.2.1"),
            WorldExport::Known(PluginKind::PropensityModel, ContractVersion::V0_2)
        );
        assert_eq!(
            world_export("vitals:plugin/health@1.0.0"),
            WorldExport::UnknownVersion("1.0.0")
        );
        assert_eq!(world_export("wasi:cli/run@0.2.0"), WorldExport::Other);
    }
}
