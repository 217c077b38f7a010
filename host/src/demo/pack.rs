//! The reference plugins as a vendor pack (issue #18): built from the
//! embedded components with the vendor's own builder, signed with a key
//! made for the demo (trusted on the store, its secret never kept), read
//! back and verified as an installer reads a `.vpack`, and installed on
//! the demo tenant switched on whole.

use crate::contract::PluginMetadata;
use crate::pack::{self, BuildTools, PackArchive, PackError, PackLimits, PublicKey};
use crate::runtime::Runtime;
use crate::store::{PackComponent, PackRelease, Store};
use std::collections::BTreeMap;
use std::path::Path;

/// The reference pack's name.
pub const REFERENCE_PACK: &str = "vitals-reference";
/// The name the demo's signing keys are trusted under.
pub const DEMO_KEY_NAME: &str = "Vitals demo (made by `vitals demo`)";

/// Validates as `vitals plugin add` does: a component the runtime loads,
/// defaults its schema accepts. The reference components have no sources
/// to build here.
struct Embedded<'a>(&'a Runtime);

impl BuildTools for Embedded<'_> {
    fn build_source(&mut self, dir: &Path) -> Result<Vec<u8>, String> {
        Err(format!(
            "{}: the reference pack is built from embedded components",
            dir.display()
        ))
    }

    fn validate(
        &mut self,
        component: &[u8],
        defaults: &serde_json::Value,
    ) -> Result<PluginMetadata, String> {
        let (plugin, _) =
            self.0
                .load_with_defaults(component, &defaults.to_string(), crate::service::today())?;
        Ok(plugin.metadata.clone())
    }
}

/// The reference pack, unsigned: every embedded reference component with
/// empty defaults (each plugin's built-in configuration), at the host's
/// version. The same binary always builds the same bytes.
pub fn reference_pack(rt: &Runtime) -> Result<PackArchive, PackError> {
    let dir = tempfile::tempdir()?;
    let mut toml = format!(
        "[pack]\nname = \"{REFERENCE_PACK}\"\nversion = \"{}\"\nvendor = \"Vitals\"\n\
         description = \"The reference plugins: weighted health, lifecycle segments, seat expansion, renewal forecast\"\n",
        env!("CARGO_PKG_VERSION")
    );
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        std::fs::write(dir.path().join(format!("{name}.wasm")), bytes)?;
        toml.push_str(&format!("\n[[plugins]]\nwasm = \"{name}.wasm\"\n"));
    }
    std::fs::write(dir.path().join(pack::PACK_TOML), toml)?;
    pack::build(dir.path(), &mut Embedded(rt))
}

/// Installs the reference pack on `tenant` and switches it on (the health
/// model replaces any other the tenant had). The first time on a store,
/// the pack is signed with a new key trusted under [`DEMO_KEY_NAME`].
pub fn install_reference_pack(store: &Store, rt: &Runtime, tenant: &str) -> Result<(), String> {
    let mut archive = reference_pack(rt).map_err(|e| e.to_string())?;
    let version = archive.manifest.pack.version.clone();
    let key_id = match store.pack_release(tenant, REFERENCE_PACK, &version) {
        Ok(installed) => installed.key_id,
        Err(_) => {
            let key = pack::keygen("vitals demo").map_err(|e| e.to_string())?;
            pack::sign(&mut archive, &key.secret, None).map_err(|e| e.to_string())?;
            let public = PublicKey::parse(&key.public).map_err(|e| e.to_string())?;
            store
                .trust_key(&public.key_id, &public.text, DEMO_KEY_NAME)
                .map_err(|e| e.to_string())?;
            // Read back and verified as any installer does.
            let bytes = archive.to_bytes();
            archive = PackArchive::read(bytes.as_slice(), &PackLimits::default())
                .map_err(|e| e.to_string())?;
            Some(pack::verify(&archive, &[public]).map_err(|e| e.to_string())?)
        }
    };
    let release: PackRelease =
        crate::service::release_of(&archive, key_id).map_err(|e| e.to_string())?;
    let mut loaded = Vec::new();
    for p in &release.plugins {
        let bytes = archive.component(&p.name).expect("built with it");
        loaded.push((
            rt.load(bytes).map_err(|e| format!("{}: {e}", p.name))?,
            bytes,
        ));
    }
    let components: Vec<PackComponent<'_>> = release
        .plugins
        .iter()
        .zip(&loaded)
        .map(|(p, (plugin, bytes))| PackComponent {
            hash: &p.hash,
            bytes,
            metadata: &plugin.metadata,
            contract: plugin.contract,
        })
        .collect();
    // A demo run again keeps the tuning the tenant gave it since.
    let patches = store
        .pack_state(tenant, REFERENCE_PACK)
        .map(|s| s.patches)
        .unwrap_or_default();
    let configs: BTreeMap<String, String> = release
        .plugins
        .iter()
        .map(|p| {
            let effective = crate::tuning::effective(&p.defaults, patches.get(&p.name));
            (p.name.clone(), effective.to_string())
        })
        .collect();
    store
        .install_pack(tenant, &release, &components, Some(&configs))
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::RuntimeConfig;

    #[test]
    fn the_demo_installs_the_reference_pack_signed_and_again_without_a_second_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let rt = Runtime::new(RuntimeConfig {
            pooling: false,
            ..Default::default()
        })
        .unwrap();
        // The same binary builds the same bytes.
        assert_eq!(
            reference_pack(&rt).unwrap().manifest_bytes,
            reference_pack(&rt).unwrap().manifest_bytes
        );
        store.create_tenant("t", "T").unwrap();
        install_reference_pack(&store, &rt, "t").unwrap();
        install_reference_pack(&store, &rt, "t").unwrap();
        let keys = store.trusted_keys().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].name, DEMO_KEY_NAME);
        let releases = store.pack_releases("t").unwrap();
        assert_eq!(releases.len(), 1);
        assert_eq!(releases[0].key_id.as_deref(), Some(keys[0].key_id.as_str()));
        assert!(releases[0].signature.is_some());
        let active: Vec<String> = store
            .active_plugins("t")
            .unwrap()
            .into_iter()
            .map(|a| a.plugin.name)
            .collect();
        assert_eq!(active.len(), 4, "{active:?}");
        let p = store.plugin("t", "weighted-health", None).unwrap();
        let run = store.start_run("t", &p, "{}", 100).unwrap();
        assert_eq!(run.pack.unwrap().name, REFERENCE_PACK);
    }
}
