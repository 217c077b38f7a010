//! Compiled components on disk, keyed by the engine's compatibility hash and
//! the component's content hash: a restart loads native code with a memory
//! map instead of recompiling (milliseconds instead of tens of them).

use crate::contract::PluginError;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components live.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

/// How a component was obtained, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// Compiled from the component bytes now.
    Compiled,
    /// Loaded precompiled from the disk cache.
    FromCache,
}

impl CompileCache {
    /// A cache under `root`, in a folder for this engine's settings: code
    /// compiled by another wasmtime version or configuration is never loaded.
    pub fn new(root: &Path, engine: &Engine) -> std::io::Result<Self> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let dir = root.join(format!("{:016x}", hasher.finish()));
        std::fs::create_dir_all(&dir)?;
        Ok(CompileCache { dir })
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}.cwasm"))
    }

    /// The compiled component for `bytes` (whose sha-256 is `hash`).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        hash: &str,
        bytes: &[u8],
    ) -> Result<(Component, Loaded), PluginError> {
        let path = self.path(hash);
        // A damaged or foreign file fails to load: compile again and overwrite it.
        if path.exists()
            && let Ok(component) = deserialize(engine, &path)
        {
            return Ok((component, Loaded::FromCache));
        }
        let compiled = engine
            .precompile_component(bytes)
            .map_err(|e| PluginError::InvalidComponent(format!("{e:#}")))?;
        // A name no other writer uses, in this process or another: two
        // writers of one temporary file would truncate it under a reader's
        // memory map (SIGBUS), as two threads loading one plugin once did.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let tmp = path.with_extension(format!(
            "tmp{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::write(&tmp, &compiled).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        let component = deserialize(engine, &path)
            .or_else(|_| deserialize_bytes(engine, &compiled))
            .map_err(|e| PluginError::Host(format!("loading compiled component: {e:#}")))?;
        Ok((component, Loaded::Compiled))
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the file be a trusted artifact of
    // `precompile_component`. Files in this folder are written only by this
    // module (atomically, via rename), in a folder keyed by the engine's
    // compatibility hash; wasmtime still checks the header and version.
    unsafe { Component::deserialize_file(engine, path) }
}

#[allow(unsafe_code)]
fn deserialize_bytes(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: the bytes come straight from `precompile_component` above.
    unsafe { Component::deserialize(engine, bytes) }
}
