//! Which output each command gives. Every command prints for people by
//! default; `--json` and `--csv` are honoured where this table says so and
//! refused elsewhere (exit 2, saying what to use instead), never ignored:
//! a script that asked for CSV must not get a table it cannot read.

use super::context::CliError;
use super::output::Format;

/// What a command gives besides the text for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// `--json` gives its result as JSON.
    pub json: bool,
    /// `--csv` gives its one table as CSV.
    pub csv: bool,
    /// What to use instead of a refused format.
    pub instead: &'static str,
}

const fn gives(json: bool, csv: bool, instead: &'static str) -> Formats {
    Formats { json, csv, instead }
}

/// Every command, by its path of subcommands (`plugin show`). A unit test
/// holds it to the command tree, so that a new command must say what it
/// gives.
const COMMANDS: &[(&str, Formats)] = &[
    ("init", gives(true, false, "--json")),
    ("tenant create", gives(true, false, "--json")),
    ("tenant list", gives(true, true, "")),
    ("tenant limits", gives(true, false, "--json")),
    ("tenant delete", gives(true, false, "--json")),
    (
        "ingest",
        gives(
            true,
            false,
            "--json; `--rejects FILE` writes the bad rows as CSV",
        ),
    ),
    (
        "plugin new",
        gives(false, false, "no option: it writes a plugin folder"),
    ),
    ("plugin build", gives(true, false, "--json")),
    (
        "plugin test",
        gives(false, false, "no option: it runs the plugin's own tests"),
    ),
    ("plugin add", gives(true, false, "--json")),
    ("plugin list", gives(true, true, "")),
    ("plugin show", gives(true, false, "--json")),
    ("plugin activate", gives(true, false, "--json")),
    ("plugin rollback", gives(true, false, "--json")),
    ("plugin deactivate", gives(true, false, "--json")),
    ("plugin reference", gives(true, true, "")),
    ("plugin export", gives(true, false, "--json")),
    (
        "plugin shadow",
        gives(true, false, "--json (the report has several tables)"),
    ),
    ("plugin shadows", gives(true, true, "")),
    (
        "plugin config",
        gives(true, false, "--json (a configuration is JSON)"),
    ),
    ("pack build", gives(true, false, "--json")),
    ("pack keygen", gives(true, false, "--json")),
    ("pack sign", gives(true, false, "--json")),
    ("pack verify", gives(true, false, "--json")),
    ("pack install", gives(true, false, "--json")),
    ("pack upgrade", gives(true, false, "--json")),
    (
        "pack backtest",
        gives(true, false, "--json (the report has several tables)"),
    ),
    ("pack activate", gives(true, false, "--json")),
    ("pack rollback", gives(true, false, "--json")),
    (
        "pack tune",
        gives(true, false, "--json (a configuration is JSON)"),
    ),
    ("pack list", gives(true, true, "")),
    (
        "pack show",
        gives(true, false, "--json (a pack has several configurations)"),
    ),
    (
        "pack shadow",
        gives(true, false, "--json (the report has several tables)"),
    ),
    ("pack trust add", gives(true, false, "--json")),
    (
        "pack trust list",
        gives(true, false, "--json (keys and revoked versions)"),
    ),
    ("pack trust remove", gives(true, false, "--json")),
    ("pack trust allow-unsigned", gives(true, false, "--json")),
    ("pack revoke", gives(true, false, "--json")),
    ("run", gives(true, true, "")),
    ("run discard", gives(true, false, "--json")),
    ("results", gives(true, true, "")),
    (
        "summary",
        gives(
            true,
            false,
            "--json (a summary has several tables), or `vitals results --run N --csv` for one run's rows",
        ),
    ),
    ("forecast", gives(true, true, "")),
    ("account show", gives(true, true, "")),
    ("account score", gives(true, true, "")),
    ("account delete", gives(true, false, "--json")),
    ("audit", gives(true, true, "")),
    (
        "backtest",
        gives(
            true,
            false,
            "--json, or `--per-account FILE` for each account as CSV",
        ),
    ),
    ("demo", gives(true, false, "--json")),
    (
        "serve",
        gives(false, false, "no option: it serves until stopped"),
    ),
    ("key operator", gives(true, false, "--json")),
    ("key issue", gives(true, false, "--json")),
    ("key list", gives(true, true, "")),
    ("key revoke", gives(true, false, "--json")),
    ("webhook add", gives(true, false, "--json")),
    ("webhook list", gives(true, true, "")),
    ("webhook remove", gives(true, false, "--json")),
    ("webhook rotate-secret", gives(true, false, "--json")),
    ("webhook enable", gives(true, false, "--json")),
    ("trigger add", gives(true, false, "--json")),
    ("trigger list", gives(true, true, "")),
    ("trigger show", gives(true, false, "--json")),
    ("trigger remove", gives(true, false, "--json")),
    ("trigger test", gives(true, true, "")),
    (
        "trigger schema",
        gives(false, false, "no option: it prints the JSON Schema"),
    ),
    ("events", gives(true, true, "")),
    ("webhook deliver", gives(true, false, "--json")),
    ("webhook replay", gives(true, false, "--json")),
    ("deliveries", gives(true, true, "")),
];

/// What `path` gives (`None` for a path this table does not know).
pub fn of(path: &str) -> Option<Formats> {
    COMMANDS.iter().find(|(p, _)| *p == path).map(|(_, f)| *f)
}

/// The refusal of `format` for the command at `path`, if it does not give it.
pub fn check(path: &str, format: Format) -> Result<(), CliError> {
    let Some(f) = of(path) else {
        return Ok(());
    };
    let (flag, given) = match format {
        Format::Table => return Ok(()),
        Format::Json => ("--json", f.json),
        Format::Csv => ("--csv", f.csv),
    };
    if given {
        return Ok(());
    }
    Err(
        CliError::bad(format!("`vitals {path}` does not print {}", &flag[2..]))
            .hint(format!("drop {flag}; use {}", f.instead)),
    )
}

/// The path of subcommands the arguments chose (`plugin show`).
pub fn path(matches: &clap::ArgMatches) -> String {
    let mut names = Vec::new();
    let mut at = matches;
    while let Some((name, sub)) = at.subcommand() {
        names.push(name.to_string());
        at = sub;
    }
    names.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The leaf commands of the tree, by path.
    fn leaves(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .collect();
        // A command with subcommands that also runs alone (`run`) is a leaf too.
        if (subs.is_empty() || !cmd.is_subcommand_required_set()) && !prefix.is_empty() {
            out.push(prefix.to_string());
        }
        for sub in subs {
            let path = if prefix.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{prefix} {}", sub.get_name())
            };
            leaves(sub, &path, out);
        }
    }

    #[test]
    fn every_command_says_which_formats_it_gives() {
        let mut paths = Vec::new();
        leaves(&super::super::Cli::command(), "", &mut paths);
        let missing: Vec<&String> = paths.iter().filter(|p| of(p).is_none()).collect();
        assert!(missing.is_empty(), "commands without formats: {missing:?}");
        let stale: Vec<&str> = COMMANDS
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| !paths.iter().any(|q| q == p))
            .collect();
        assert!(
            stale.is_empty(),
            "formats of commands that do not exist: {stale:?}"
        );
    }

    #[test]
    fn a_refused_format_says_what_to_use() {
        let e = check("summary", Format::Csv).unwrap_err();
        assert!(e.bad_input);
        assert_eq!(e.message, "`vitals summary` does not print csv");
        assert!(e.hint.unwrap().contains("--json"));
        assert!(check("summary", Format::Json).is_ok());
        assert!(check("results", Format::Csv).is_ok());
        assert!(check("serve", Format::Json).is_err());
    }
}
