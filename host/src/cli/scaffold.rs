//! `vitals plugin new --lang rust|python|js KIND NAME`: a working plugin of
//! any kind in a new folder: the rules in one file, their unit tests, the
//! configuration schema, the WIT contract (written out from the binary, so
//! the folder builds anywhere), a `vitals-plugin.toml` that `vitals plugin
//! build` / `test` read, and a README with the next commands.
//!
//! A Rust plugin depends on the SDK by path: the `plugin-sdk/` of the Vitals
//! checkout this binary was built from, or `--sdk DIR` (the SDK is not
//! published to a registry).

use super::context::CliError;
use super::output::outln;
use std::path::{Path, PathBuf};
use vitals_polyglot_build::{KINDS, Lang, MANIFEST};

/// The WIT contract (vitals:plugin@0.2.0), written into every scaffold.
const WIT: [(&str, &str); 3] = [
    ("types.wit", include_str!("../../../wit/0.2/types.wit")),
    ("host.wit", include_str!("../../../wit/0.2/host.wit")),
    ("worlds.wit", include_str!("../../../wit/0.2/worlds.wit")),
];

/// (path in the plugin folder, template) for every language and kind.
fn templates(lang: Lang, kind: &str) -> Vec<(&'static str, &'static str)> {
    macro_rules! per_kind {
        ($lang:literal, $file:literal) => {
            match kind {
                "health-model" => {
                    include_str!(concat!("../../templates/", $lang, "/health-model/", $file))
                }
                "segmenter" => {
                    include_str!(concat!("../../templates/", $lang, "/segmenter/", $file))
                }
                "propensity-model" => {
                    include_str!(concat!(
                        "../../templates/",
                        $lang,
                        "/propensity-model/",
                        $file
                    ))
                }
                _ => include_str!(concat!("../../templates/", $lang, "/forecaster/", $file)),
            }
        };
    }
    match lang {
        Lang::Python => vec![
            ("src/app.py", include_str!("../../templates/python/app.py")),
            (
                "src/common.py",
                include_str!("../../templates/python/common.py"),
            ),
            (
                "src/vitals_sdk.py",
                include_str!("../../templates/python/vitals_sdk.py"),
            ),
            ("src/rules.py", per_kind!("python", "rules.py")),
            ("tests/__init__.py", ""),
            (
                "tests/fixtures.py",
                include_str!("../../templates/python/fixtures.py"),
            ),
            ("tests/test_rules.py", per_kind!("python", "test_rules.py")),
        ],
        Lang::Js => vec![
            (
                "package.json",
                include_str!("../../templates/js/package.json"),
            ),
            (
                "src/plugin.js",
                include_str!("../../templates/js/plugin.js"),
            ),
            (
                "src/common.js",
                include_str!("../../templates/js/common.js"),
            ),
            (
                "src/vitals.js",
                include_str!("../../templates/js/vitals.js"),
            ),
            ("src/rules.js", per_kind!("js", "rules.js")),
            (
                "test/fixtures.js",
                include_str!("../../templates/js/fixtures.js"),
            ),
            ("test/rules.test.js", per_kind!("js", "rules.test.js")),
        ],
        Lang::Rust => vec![
            (
                "Cargo.toml",
                include_str!("../../templates/rust/Cargo.toml"),
            ),
            (
                "rust-toolchain.toml",
                include_str!("../../templates/rust/rust-toolchain.toml"),
            ),
            (
                "src/lib.rs",
                match kind {
                    "health-model" => include_str!("../../templates/rust/health-model.rs"),
                    "segmenter" => include_str!("../../templates/rust/segmenter.rs"),
                    "propensity-model" => include_str!("../../templates/rust/propensity-model.rs"),
                    _ => include_str!("../../templates/rust/forecaster.rs"),
                },
            ),
        ],
    }
}

/// What differs by kind in the entry points: (WIT interface, Python class,
/// batch function, Python enum case).
fn kind_names(kind: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        "health-model" => ("health", "Health", "score", "HEALTH_MODEL"),
        "segmenter" => ("segments", "Segments", "assign", "SEGMENTER"),
        "propensity-model" => ("propensity", "Propensity", "score", "PROPENSITY_MODEL"),
        _ => ("forecast", "Forecast", "predict", "FORECASTER"),
    }
}

/// Options of `vitals plugin new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The language: rust, python or js.
    #[arg(long)]
    lang: String,
    /// The kind: health-model, segmenter, propensity-model or forecaster.
    kind: String,
    /// The plugin's name, kebab-case (for example `my-health`).
    name: String,
    /// The folder to create (default: ./NAME).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Rust: the vitals-plugin-sdk folder to depend on (default: the one of
    /// the checkout this binary was built from).
    #[arg(long)]
    sdk: Option<PathBuf>,
}

fn kebab(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub fn new(args: NewArgs) -> Result<(), CliError> {
    let lang = Lang::parse(&args.lang).map_err(|e| CliError::bad(e.message))?;
    if !KINDS.contains(&args.kind.as_str()) {
        return Err(CliError::bad(format!(
            "unknown kind {:?}: use {}",
            args.kind,
            KINDS.join(", ")
        )));
    }
    if !kebab(&args.name) {
        return Err(CliError::bad(format!(
            "plugin name {:?} must be kebab-case (a-z, 0-9 and -, starting with a letter)",
            args.name
        )));
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        return Err(
            CliError::bad(format!("{} exists and is not empty", dir.display()))
                .hint("choose another name or --dir"),
        );
    }
    let sdk = match lang {
        Lang::Rust => Some(sdk_path(args.sdk)?),
        _ => None,
    };
    let (iface, class, func, kind_case) = kind_names(&args.kind);
    let fill = |text: &str| {
        text.replace("{{name}}", &args.name)
            .replace("{{kind}}", &args.kind)
            .replace("{{iface}}", iface)
            .replace("{{Class}}", class)
            .replace("{{func}}", func)
            .replace("{{KIND}}", kind_case)
            .replace(
                "{{sdk}}",
                &sdk.as_deref()
                    .map(|p| p.display().to_string().replace('\\', "/"))
                    .unwrap_or_default(),
            )
    };
    let mut files: Vec<(String, String)> = templates(lang, &args.kind)
        .into_iter()
        .map(|(path, text)| (path.to_string(), fill(text)))
        .collect();
    files.extend(WIT.iter().map(|(f, t)| (format!("wit/{f}"), t.to_string())));
    files.push((MANIFEST.into(), manifest(lang, &args.name, &args.kind)));
    files.push(("README.md".into(), readme(lang, &args.name, &args.kind)));
    files.push((
        ".gitignore".into(),
        "build/\ntarget/\nnode_modules/\n__pycache__/\n".into(),
    ));
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)
            .map_err(|e| CliError::bad(format!("{}: {e}", path.display())))?;
    }
    outln!(
        "created {} ({} {}, {} files) in {}",
        args.name,
        lang.name(),
        args.kind,
        files.len(),
        dir.display()
    );
    outln!("next: edit {}, then", rules_file(lang));
    outln!(
        "  vitals plugin test {0}\n  vitals plugin build {0}\n  vitals plugin add {0}/build/{1}.wasm --activate",
        dir.display(),
        args.name.replace('-', "_")
    );
    Ok(())
}

fn sdk_path(given: Option<PathBuf>) -> Result<PathBuf, CliError> {
    let path = given.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk"));
    let path = std::fs::canonicalize(&path).map_err(|e| {
        CliError::bad(format!("the Rust SDK folder {}: {e}", path.display()))
            .hint("pass --sdk with the plugin-sdk folder of a Vitals checkout")
    })?;
    if !path.join("Cargo.toml").exists() {
        return Err(CliError::bad(format!(
            "{} is not the vitals-plugin-sdk crate (no Cargo.toml)",
            path.display()
        )));
    }
    Ok(path)
}

fn rules_file(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "src/lib.rs",
        Lang::Python => "src/rules.py",
        Lang::Js => "src/rules.js",
    }
}

fn manifest(lang: Lang, name: &str, kind: &str) -> String {
    let entry = match lang {
        Lang::Rust => String::new(),
        Lang::Python => "# The module defining the export class, in `source`.\nentry = \"app\"\nsource = \"src\"\n".into(),
        Lang::Js => "# The module exporting the plugin; `engine` may be quickjs (default) or starlingmonkey.\nentry = \"src/plugin.js\"\nengine = \"quickjs\"\n".into(),
    };
    format!(
        "# How `vitals plugin build` and `vitals plugin test` handle this plugin.\nname = \"{name}\"\nkind = \"{kind}\"\nlang = \"{}\"\n{entry}wit = \"wit\"\n",
        lang.name()
    )
}

fn readme(lang: Lang, name: &str, kind: &str) -> String {
    let (language, notes) = match lang {
        Lang::Rust => (
            "Rust",
            "The rules and their tests are in `src/lib.rs` (the SDK's `testing` module builds accounts).",
        ),
        Lang::Python => (
            "Python",
            "The rules are in `src/rules.py`, their tests in `tests/test_rules.py`; `src/app.py` \
             connects them to the contract through `src/vitals_sdk.py`, which presents each \
             account as an object (`account.current.seats_active`, None when blank) and sends \
             only what `READS` declares. Only the standard library is available. Python's \
             string hashes are seeded when the component is built: do not let results depend \
             on the order of a `set` or on `hash()`.",
        ),
        Lang::Js => (
            "JavaScript",
            "The rules are in `src/rules.js`, their tests in `test/rules.test.js`; `src/plugin.js` \
             connects them to the contract through `src/vitals.js`, which presents each account \
             as an object with camelCase fields (`account.current.seatsActive`, undefined when \
             blank), enums as strings, and sends only what `READS` declares. There is no \
             `console` under QuickJS: use the `log` import as `src/plugin.js` does.",
        ),
    };
    let file = name.replace('-', "_");
    format!(
        "# {name}\n\nA Vitals {kind} in {language}, made by `vitals plugin new`. {notes}\n\n\
         Clocks read the run's as-of date and randomness is seeded: the same accounts always \
         give the same results.\n\n\
         ```\n\
         vitals plugin test                     # the unit tests, natively\n\
         vitals plugin build                    # -> build/{file}.wasm\n\
         vitals plugin add build/{file}.wasm --activate\n\
         vitals run --plugin {name}\n\
         vitals results --run RUN\n\
         ```\n\n\
         Bump `VERSION` (or the package version) before adding a changed build: versions are immutable.\n"
    )
}
