//! Checks made when a component is added, before it ever runs for a tenant:
//! which world it implements, what it imports, what its metadata says.

use super::types::{PluginKind, PluginMetadata};
use crate::contract::{ContractVersion, PluginError, WorldExport, world_export};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The contract versions this host binds, as people read them.
pub const SUPPORTED_CONTRACT: &str = "0.1 and 0.2";

/// Interfaces a plugin may import (without version): our log, the WASI 0.2
/// interfaces language runtimes need to start, each one the linker serves
/// locked down (`wasi::base_linker`), and sockets and http (any interface:
/// stubs that trap when called, see `wasi`). Named one by one, not by
/// package: an interface of an allowed package that the host does not link
/// (`wasi:clocks/timezone`) is a forbidden import, not a world mismatch.
const ALLOWED_IMPORTS: [&str; 22] = [
    "vitals:plugin/types",
    "vitals:plugin/log",
    "wasi:cli/exit",
    "wasi:cli/environment",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

/// Packages whose every interface links to trapping stubs.
const STUBBED_PACKAGES: [&str; 2] = ["wasi:sockets/", "wasi:http/"];

/// The world a component implements, from its exports: exactly one known
/// world of a supported contract version.
pub fn world_of(
    engine: &Engine,
    component: &Component,
) -> Result<(PluginKind, ContractVersion), PluginError> {
    let ty = component.component_type();
    let mut found = Vec::new();
    let mut names = Vec::new();
    for (name, _) in ty.exports(engine) {
        names.push(name.to_string());
        match world_export(name) {
            WorldExport::Known(kind, contract) => found.push((kind, contract)),
            WorldExport::UnknownVersion(version) => {
                return Err(PluginError::UnknownWorld(format!(
                    "{name} is contract version {version}; this host supports {SUPPORTED_CONTRACT} (0.1.x, 0.2.x)"
                )));
            }
            WorldExport::Other => {}
        }
    }
    match found.as_slice() {
        [found] => Ok(*found),
        [] => Err(PluginError::UnknownWorld(format!(
            "exports no Vitals plugin interface (exports: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))),
        _ => Err(PluginError::UnknownWorld(format!(
            "exports several plugin worlds ({}); a component implements exactly one",
            names.join(", ")
        ))),
    }
}

/// Refuses any import outside the allow-list, naming it.
pub fn check_imports(engine: &Engine, component: &Component) -> Result<(), PluginError> {
    for (name, _) in component.component_type().imports(engine) {
        let iface = name.split_once('@').map_or(name, |(i, _)| i);
        let allowed = ALLOWED_IMPORTS.contains(&iface)
            || STUBBED_PACKAGES.iter().any(|p| iface.starts_with(p));
        let wasi_02 = !iface.starts_with("wasi:") || name.contains("@0.2.");
        if !allowed || !wasi_02 {
            return Err(PluginError::ForbiddenImport {
                import: name.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks what `metadata` said against the world and the contract.
pub fn check_metadata(kind: PluginKind, meta: &PluginMetadata) -> Result<(), PluginError> {
    if meta.kind != kind {
        return Err(PluginError::BadMetadata(format!(
            "metadata says kind {} but the component implements the {} world",
            meta.kind, kind
        )));
    }
    let kebab = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !kebab(&meta.name) {
        return Err(PluginError::BadMetadata(format!(
            "name {:?} must be kebab-case (a-z, 0-9, -), at most 64 characters",
            meta.name
        )));
    }
    semver::Version::parse(&meta.version).map_err(|e| {
        PluginError::BadMetadata(format!(
            "version {:?} is not a semantic version: {e}",
            meta.version
        ))
    })?;
    if meta.description.len() > 4096 {
        return Err(PluginError::BadMetadata(
            "description is over 4096 bytes".into(),
        ));
    }
    // Shown in tables and on terminals: line breaks are text, other
    // control characters and bidi overrides are not.
    let unprintable = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if let Some((at, c)) = meta
        .description
        .chars()
        .enumerate()
        .find(|(_, c)| unprintable(*c))
    {
        return Err(PluginError::BadMetadata(format!(
            "description: control character {} at character {}; only printable text and line breaks are allowed",
            c.escape_unicode(),
            at + 1
        )));
    }
    compile_schema(&meta.config_schema)
        .map_err(|e| PluginError::BadMetadata(format!("config-schema: {e}")))?;
    // The marks of fields naming a measure or a label (`names::markers`):
    // a malformed one would silently check nothing.
    let schema: serde_json::Value =
        serde_json::from_str(&meta.config_schema).expect("compiled above");
    crate::names::check_markers(&schema)
        .map_err(|e| PluginError::BadMetadata(format!("config-schema: {e}")))?;
    Ok(())
}

/// Parses and compiles a configuration JSON Schema.
pub fn compile_schema(schema: &str) -> Result<jsonschema::Validator, String> {
    let value: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| format!("not JSON: {e}"))?;
    jsonschema::meta::validate(&value).map_err(|e| format!("not a valid JSON Schema: {e}"))?;
    jsonschema::validator_for(&value).map_err(|e| format!("not a usable JSON Schema: {e}"))
}

/// Validates a tenant configuration against a plugin's schema. The error
/// names each failing field by its JSON pointer.
pub fn check_config(schema: &jsonschema::Validator, config: &str) -> Result<(), PluginError> {
    let value: serde_json::Value = serde_json::from_str(config)
        .map_err(|e| PluginError::InvalidConfig(format!("not JSON: {e}")))?;
    let problems: Vec<String> = schema
        .iter_errors(&value)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!(
                "{}: {e}",
                if at.is_empty() {
                    "(top level)".to_string()
                } else {
                    at
                }
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PluginError::InvalidConfig(problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_field() {
        let schema = compile_schema(
            r#"{"type":"object","properties":{"red_below":{"type":"number"}},"additionalProperties":false}"#,
        )
        .unwrap();
        check_config(&schema, r#"{"red_below": 40}"#).unwrap();
        let err = check_config(&schema, r#"{"red_below": "x"}"#).unwrap_err();
        assert!(err.to_string().contains("/red_below"), "{err}");
        let err = check_config(&schema, r#"{"bogus": 1}"#).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn a_description_with_control_characters_is_bad_metadata_naming_it() {
        let meta = |description: &str| PluginMetadata {
            name: "p".into(),
            version: "1.0.0".into(),
            kind: PluginKind::HealthModel,
            description: description.into(),
            config_schema: "{}".into(),
            reads: vec![],
        };
        check_metadata(PluginKind::HealthModel, &meta("Two lines:\nfine")).unwrap();
        for bad in ["\u{1b}]0;owned\u{7}", "evil\u{202e}txt", "tab\there"] {
            let err = check_metadata(PluginKind::HealthModel, &meta(bad)).unwrap_err();
            assert!(
                matches!(&err, PluginError::BadMetadata(m) if m.starts_with("description: control character")),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn a_schema_with_a_malformed_measure_mark_is_bad_metadata() {
        let meta = PluginMetadata {
            name: "p".into(),
            version: "1.0.0".into(),
            kind: PluginKind::HealthModel,
            description: String::new(),
            config_schema:
                r#"{"properties": {"m": {"type": "string", "x-vitals-measure": "metric"}}}"#.into(),
            reads: vec![],
        };
        let err = check_metadata(PluginKind::HealthModel, &meta).unwrap_err();
        assert!(
            err.to_string()
                .contains("config-schema: #/properties/m: x-vitals-measure is \"metric\""),
            "{err}"
        );
    }

    #[test]
    fn a_schema_that_is_not_a_schema_is_refused() {
        assert!(compile_schema("{").is_err());
        assert!(compile_schema(r#"{"type": 12}"#).is_err());
        assert!(compile_schema(r#"{"type": "object"}"#).is_ok());
    }
}
