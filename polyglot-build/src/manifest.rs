//! `vitals-plugin.toml`: the one file that tells the tooling how to build and
//! test a plugin, whatever its language.

use crate::Error;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The manifest's file name, at the root of a plugin's folder.
pub const MANIFEST: &str = "vitals-plugin.toml";

/// The language a plugin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Rust with `vitals-plugin-sdk`, built by cargo for `wasm32-wasip2`.
    Rust,
    /// Python, built by componentize-py.
    Python,
    /// JavaScript, built by componentize-qjs or componentize-js.
    Js,
}

impl Lang {
    /// Parses `rust`, `python` or `js` (also `py`, `javascript`).
    pub fn parse(s: &str) -> Result<Lang, Error> {
        match s {
            "rust" | "rs" => Ok(Lang::Rust),
            "python" | "py" => Ok(Lang::Python),
            "js" | "javascript" => Ok(Lang::Js),
            _ => Err(Error::new(format!(
                "unknown language {s:?}: use rust, python or js"
            ))),
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

/// The JavaScript engine a JS plugin is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum JsEngine {
    /// QuickJS through componentize-qjs: small components (about 1.6 MB)
    /// that compile in about a second. The default (BENCHMARKS.md).
    #[default]
    Quickjs,
    /// SpiderMonkey through componentize-js (StarlingMonkey): about 12 MB.
    Starlingmonkey,
}

impl JsEngine {
    /// The name the build script takes.
    pub fn name(self) -> &'static str {
        match self {
            JsEngine::Quickjs => "quickjs",
            JsEngine::Starlingmonkey => "starlingmonkey",
        }
    }

    /// Parses `quickjs` or `starlingmonkey`.
    pub fn parse(s: &str) -> Result<JsEngine, Error> {
        match s {
            "quickjs" | "qjs" => Ok(JsEngine::Quickjs),
            "starlingmonkey" | "sm" => Ok(JsEngine::Starlingmonkey),
            _ => Err(Error::new(format!(
                "unknown JavaScript engine {s:?}: use quickjs or starlingmonkey"
            ))),
        }
    }
}

/// A plugin's `vitals-plugin.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The plugin's name (kebab-case; what its `metadata` reports).
    pub name: String,
    /// `health-model`, `segmenter`, `propensity-model` or `forecaster`: the
    /// WIT world the plugin implements.
    pub kind: String,
    /// `rust`, `python` or `js`.
    pub lang: Lang,
    /// Python: the module that defines the export class (`app`); JS: the
    /// entry file (`src/plugin.js`); Rust: unused.
    #[serde(default)]
    pub entry: String,
    /// Python: the folder holding the modules (`src`).
    #[serde(default = "default_source")]
    pub source: String,
    /// The WIT folder, relative to the plugin (`wit`).
    #[serde(default = "default_wit")]
    pub wit: String,
    /// More folders of modules outside the plugin, relative to it (a test
    /// guest using the SDK shipped with the templates instead of a copy of
    /// it). Python: searched after `source`. JavaScript on QuickJS: a link
    /// in the source reaches into them, and the root its modules must lie
    /// under widens to hold them (StarlingMonkey's bundler refuses a link
    /// out of the plugin, so a plugin built with both engines keeps a copy).
    #[serde(default)]
    pub modules: Vec<String>,
    /// JS: the engine (`quickjs`, the default, or `starlingmonkey`).
    #[serde(default)]
    pub engine: JsEngine,
    /// The plugin's folder (set when read).
    #[serde(skip)]
    pub dir: PathBuf,
}

fn default_source() -> String {
    "src".into()
}

fn default_wit() -> String {
    "wit".into()
}

/// The plugin kinds, each the name of its WIT world.
pub const KINDS: [&str; 4] = [
    "health-model",
    "segmenter",
    "propensity-model",
    "forecaster",
];

impl Manifest {
    /// Reads and checks `dir/vitals-plugin.toml`.
    pub fn read(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::new(format!("{}: {e}", path.display()))
                .hint("run it in a plugin folder made by `vitals plugin new`, or pass the folder")
        })?;
        let mut m: Manifest =
            toml::from_str(&text).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        if !KINDS.contains(&m.kind.as_str()) {
            return Err(Error::new(format!(
                "{}: kind {:?} is not one of {}",
                path.display(),
                m.kind,
                KINDS.join(", ")
            )));
        }
        if m.lang != Lang::Rust && m.entry.is_empty() {
            return Err(Error::new(format!(
                "{}: `entry` is missing (the Python module or the JavaScript file the plugin starts from)",
                path.display()
            )));
        }
        // Absolute: the tools run in other working directories.
        m.dir = std::fs::canonicalize(dir)
            .map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
        Ok(m)
    }

    /// The WIT folder.
    pub fn wit_dir(&self) -> PathBuf {
        self.dir.join(&self.wit)
    }

    /// The file name of the component `vitals plugin build` writes.
    pub fn component_file_name(&self) -> String {
        format!("{}.wasm", self.name.replace('-', "_"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) {
        std::fs::write(dir.join(MANIFEST), text).unwrap();
    }

    #[test]
    fn a_manifest_reads_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "name = \"my-seg\"\nkind = \"segmenter\"\nlang = \"js\"\nentry = \"src/plugin.js\"\n",
        );
        let m = Manifest::read(dir.path()).unwrap();
        assert_eq!((m.lang, m.engine), (Lang::Js, JsEngine::Quickjs));
        assert_eq!(m.wit_dir(), dir.path().canonicalize().unwrap().join("wit"));
        assert_eq!(m.component_file_name(), "my_seg.wasm");
    }

    #[test]
    fn bad_manifests_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(err.to_string().contains(MANIFEST), "{err}");
        write(
            dir.path(),
            "name = \"x\"\nkind = \"scorer\"\nlang = \"python\"\nentry = \"app\"\n",
        );
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("\"scorer\""), "{err}");
        write(
            dir.path(),
            "name = \"x\"\nkind = \"segmenter\"\nlang = \"cobol\"\n",
        );
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("cobol"), "{err}");
        write(
            dir.path(),
            "name = \"x\"\nkind = \"segmenter\"\nlang = \"python\"\n",
        );
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("entry"), "{err}");
    }
}
