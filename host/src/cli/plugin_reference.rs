//! The reference plugins built into the binary, for an analyst who has the
//! `vitals` binary and no repository: `vitals plugin reference` lists them
//! and `vitals plugin add reference/NAME` adds one. Over `--server` the CLI
//! uploads the embedded bytes like any component: the server validates
//! them as it validates every upload, needs no route of its own, and what
//! is added is exactly what `plugin reference` listed on this binary.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, print_json};
use std::path::Path;

/// What names a reference plugin instead of a file: `reference/NAME`
/// (a file in a folder called `reference` is `./reference/FILE`).
pub const PREFIX: &str = "reference/";

/// The embedded component a `reference/NAME` argument names; `None` when
/// the argument is a file path. An unknown name is bad input naming the
/// known ones, closest first.
pub fn resolve(arg: &Path) -> Result<Option<(&'static str, &'static [u8])>, CliError> {
    let Some(name) = arg.to_str().and_then(|a| a.strip_prefix(PREFIX)) else {
        return Ok(None);
    };
    if let Some((known, bytes)) = vitals_reference_pack::COMPONENTS
        .iter()
        .find(|(n, _)| *n == name)
    {
        return Ok(Some((known, bytes)));
    }
    Err(CliError::bad(format!(
        "{PREFIX}{name}: no reference plugin of that name; the reference plugins are {}",
        closest_first(name).join(", ")
    ))
    .hint("`vitals plugin reference` lists them with what each does"))
}

/// The reference plugins' names, the closest to `name` first (edit
/// distance, `strsim`; ties by name).
fn closest_first(name: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = vitals_reference_pack::COMPONENTS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    names.sort_by_key(|n| (strsim::levenshtein(name, n), *n));
    names
}

/// One reference plugin as `vitals plugin reference` shows it.
#[derive(Debug, serde::Serialize)]
struct ReferencePlugin {
    name: String,
    kind: String,
    version: String,
    description: String,
    /// What to pass to `vitals plugin add`.
    add: String,
}

/// `vitals plugin reference`: name, kind, version and description of each
/// embedded plugin, read from the component itself (its metadata).
pub fn list(ctx: &Ctx) -> Result<(), CliError> {
    // No compile cache: listing must not create a data dir as it goes.
    let runtime = crate::runtime::Runtime::new(ctx.host_config()?.runtime_config(None))?;
    let mut plugins = Vec::new();
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let loaded = runtime
            .load(bytes)
            .map_err(|e| CliError::internal(format!("reference plugin {name}: {e}")))?;
        let m = &loaded.metadata;
        plugins.push(ReferencePlugin {
            name: m.name.clone(),
            kind: loaded.kind.to_string(),
            version: m.version.clone(),
            description: m.description.clone(),
            add: format!("{PREFIX}{name}"),
        });
    }
    if ctx.format == Format::Json {
        print_json(&plugins);
        return Ok(());
    }
    let mut t = Table::new(vec!["name", "kind", "version", "description"]);
    for p in plugins {
        t.row(vec![p.name, p.kind, p.version, p.description]);
    }
    t.print(ctx.format);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_lists_the_closest_name_first() {
        assert_eq!(closest_first("weighted-helth")[0], "weighted-health");
        assert_eq!(closest_first("renewal")[0], "renewal-forecast");
        assert_eq!(
            closest_first("x").len(),
            vitals_reference_pack::COMPONENTS.len()
        );
    }

    #[test]
    fn only_the_reference_prefix_names_an_embedded_plugin() {
        let (name, bytes) = resolve(Path::new("reference/seat-expansion"))
            .unwrap()
            .unwrap();
        assert_eq!(name, "seat-expansion");
        assert_eq!(
            Some(bytes),
            vitals_reference_pack::component("seat-expansion")
        );
        assert!(
            resolve(Path::new("./reference/seat-expansion"))
                .unwrap()
                .is_none()
        );
        assert!(resolve(Path::new("plugin.wasm")).unwrap().is_none());
        let err = resolve(Path::new("reference/weighted-helth")).unwrap_err();
        assert!(err.bad_input);
        assert!(
            err.message
                .contains("the reference plugins are weighted-health, "),
            "{}",
            err.message
        );
    }
}
