//! `vitals audit`: a tenant's audit log (accounts erased, runs discarded)
//! or, with `--operator`, the operator's (tenants created and deleted).

use super::context::{CliError, Ctx};
use super::output::{Format, Table, print_json};

/// Options of `vitals audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The operator's log (tenants created and deleted) instead of the
    /// tenant's; on a server it needs the operator key.
    #[arg(long)]
    operator: bool,
}

pub fn run(ctx: &Ctx, args: AuditArgs) -> Result<(), CliError> {
    let api = ctx.api()?;
    let records = if args.operator {
        api.operator_audit()?
    } else {
        api.audit(&ctx.tenant)?
    };
    if ctx.format == Format::Json {
        print_json(&records);
        return Ok(());
    }
    let mut t = Table::new(vec!["at", "by", "action", "subject", "detail"]);
    for r in records {
        t.row(vec![
            r.at,
            r.by,
            r.action.as_str().to_string(),
            r.subject,
            r.detail,
        ]);
    }
    t.print(ctx.format);
    Ok(())
}

/// Asks for the confirmation of something that cannot be undone: `--yes`,
/// or the id typed back on a terminal. Without either, refused (exit 2)
/// and nothing is done.
pub fn confirm(yes: bool, what: &str, id: &str, erases: &str) -> Result<(), CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    if yes {
        return Ok(());
    }
    let refused = || {
        CliError::bad(format!(
            "{what} {id:?} was not deleted: it cannot be undone and needs a confirmation"
        ))
    };
    if !std::io::stdin().is_terminal() {
        return Err(refused().hint("pass --yes to confirm"));
    }
    eprint!(
        "This deletes {what} {}: {erases}. It cannot be undone.\nType its id to confirm: ",
        super::output::terminal_safe(&format!("{id:?}"))
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim_end_matches(['\r', '\n']) == id {
        Ok(())
    } else {
        Err(refused().hint("type the id exactly, or pass --yes"))
    }
}
