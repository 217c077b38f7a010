//! `vitals webhook add|list|remove|rotate-secret|enable` (issue #19): a
//! tenant's webhook endpoints, on the local store or a server (`--server`).
//! A secret is printed once, by the command that made it.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, outln, print_json};
use crate::service::{
    AddWebhook, DeliveryQuery, DeliveryView, ReplayRequest, RotateSecret, WebhookSecret,
    WebhookView,
};
use crate::store::DeliveryStatus;

/// A tenant's webhook endpoints and their deliveries.
#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint: trigger events are POSTed to it, signed (Standard
    /// Webhooks). The secret is generated and shown once unless given.
    Add {
        /// Its name (lowercase letters, digits and -).
        name: String,
        /// Where deliveries go (http or https, within the operator's destinations).
        #[arg(long)]
        url: String,
        /// The signing secret (`whsec_` + base64 of 24 to 64 bytes).
        #[arg(long)]
        secret: Option<String>,
    },
    /// The tenant's endpoints (never their secrets).
    List,
    /// Remove an endpoint; its deliveries still due go dead (replayable).
    Remove {
        /// The endpoint.
        name: String,
    },
    /// Give an endpoint a new secret (shown once); the old one keeps
    /// signing beside it for 24 hours, so receivers switch without loss.
    RotateSecret {
        /// The endpoint.
        name: String,
        /// The new secret (default: generated).
        #[arg(long)]
        secret: Option<String>,
    },
    /// Deliver to a disabled or flagged endpoint again.
    Enable {
        /// The endpoint.
        name: String,
    },
    /// Deliver what is due now from the local store (passes until nothing
    /// is due; `vitals serve` delivers continuously).
    Deliver,
    /// Send deliveries again with the same webhook-id: the dead ones, or
    /// those of a run or an event.
    Replay {
        /// Only dead deliveries (the default when no run or event is named).
        #[arg(long)]
        dead: bool,
        /// Only to this endpoint.
        #[arg(long)]
        endpoint: Option<String>,
        /// Only of this run.
        #[arg(long)]
        run: Option<u64>,
        /// Only of this event id (a webhook-id).
        #[arg(long)]
        event: Option<String>,
    },
}

/// `vitals deliveries`: the tenant's deliveries.
#[derive(Debug, clap::Args)]
pub struct DeliveriesArgs {
    /// Only in this state.
    #[arg(long, value_parser = ["pending", "delivered", "dead"])]
    status: Option<String>,
    /// Only to this endpoint.
    #[arg(long)]
    endpoint: Option<String>,
    /// Only of this run.
    #[arg(long)]
    run: Option<u64>,
    /// At most this many (newest runs first).
    #[arg(long)]
    limit: Option<usize>,
}

/// Runs a webhook command.
pub fn run(ctx: &Ctx, cmd: WebhookCommand) -> Result<(), CliError> {
    if let WebhookCommand::Deliver = cmd {
        return deliver(ctx);
    }
    let api = ctx.webhook_api()?;
    let tenant = &ctx.tenant;
    match cmd {
        WebhookCommand::Add { name, url, secret } => {
            let made = api.add_webhook(tenant, &AddWebhook { name, url, secret })?;
            print_secret(ctx, &made, "added");
        }
        WebhookCommand::List => {
            let list = api.webhooks(tenant)?;
            if ctx.format == Format::Json {
                print_json(&list);
                return Ok(());
            }
            let mut t = Table::new(vec!["name", "url", "status", "secrets"]);
            for w in &list {
                t.row(vec![
                    w.name.clone(),
                    w.url.clone(),
                    status(w),
                    match w.previous_secret_until_ms {
                        Some(until) => format!("2 (previous until {})", instant(until)),
                        None => "1".into(),
                    },
                ]);
            }
            t.print(ctx.format);
        }
        WebhookCommand::Remove { name } => {
            let removed = api.remove_webhook(tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(&removed);
            } else {
                outln!("removed webhook {} ({})", removed.name, removed.url);
            }
        }
        WebhookCommand::RotateSecret { name, secret } => {
            let made = api.rotate_webhook_secret(tenant, &name, &RotateSecret { secret })?;
            print_secret(ctx, &made, "new secret for");
            if ctx.format != Format::Json {
                outln!("the previous secret keeps signing beside it for 24 hours");
            }
        }
        WebhookCommand::Enable { name } => {
            let view = api.enable_webhook(tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(&view);
            } else {
                outln!("webhook {} enabled ({})", view.name, view.url);
            }
        }
        WebhookCommand::Replay {
            dead,
            endpoint,
            run,
            event,
        } => {
            let replayed = api.replay(
                tenant,
                &ReplayRequest {
                    dead,
                    endpoint,
                    run,
                    event,
                },
            )?;
            if ctx.format == Format::Json {
                print_json(&replayed);
            } else {
                outln!(
                    "{} deliveries pending again (same webhook-id each)",
                    replayed.count
                );
            }
        }
        WebhookCommand::Deliver => unreachable!("handled above"),
    }
    Ok(())
}

/// `vitals webhook deliver`: passes over the local store until nothing is due now.
fn deliver(ctx: &Ctx) -> Result<(), CliError> {
    ctx.local_only("webhook deliver")?;
    let worker = ctx
        .service()?
        .delivery_worker()
        .map_err(CliError::internal)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("webhook deliver: {e}")))?;
    let report = runtime.block_on(worker.drain())?;
    if ctx.format == Format::Json {
        print_json(&report);
    } else {
        outln!(
            "{} attempts: {} delivered, {} to retry, {} dead ({} events fanned out)",
            report.attempted,
            report.delivered,
            report.retrying,
            report.dead,
            report.fanned_out
        );
    }
    Ok(())
}

/// `vitals deliveries`.
pub fn deliveries(ctx: &Ctx, args: DeliveriesArgs) -> Result<(), CliError> {
    let status = match args.status.as_deref() {
        Some("pending") => Some(DeliveryStatus::Pending),
        Some("delivered") => Some(DeliveryStatus::Delivered),
        Some("dead") => Some(DeliveryStatus::Dead),
        _ => None,
    };
    let list = ctx.webhook_api()?.deliveries(
        &ctx.tenant,
        &DeliveryQuery {
            status,
            endpoint: args.endpoint,
            run: args.run,
            event: None,
            limit: args.limit,
        },
    )?;
    if ctx.format == Format::Json {
        print_json(&list);
        return Ok(());
    }
    let mut t = Table::new(vec![
        "endpoint",
        "event",
        "account",
        "run",
        "rule",
        "status",
        "attempts",
        "code",
        "latency_ms",
        "webhook_id",
        "note",
    ]);
    for d in list {
        t.row(delivery_row(d));
    }
    t.print(ctx.format);
    Ok(())
}

fn delivery_row(d: DeliveryView) -> Vec<String> {
    let last = d.last.as_ref();
    let note = match (
        &d.dead_reason,
        last.and_then(|l| l.error.clone()),
        d.next_at_ms,
    ) {
        (Some(why), _, _) => why.clone(),
        (None, Some(error), _) => error,
        (None, None, Some(next)) if d.status == DeliveryStatus::Pending => {
            format!("next at {}", instant(next))
        }
        _ => String::new(),
    };
    vec![
        d.endpoint,
        d.event,
        d.account,
        d.run.to_string(),
        d.rule,
        d.status.as_str().to_string(),
        d.attempts.to_string(),
        last.and_then(|l| l.code)
            .map_or("-".into(), |c| c.to_string()),
        last.map_or("-".into(), |l| l.latency_ms.to_string()),
        d.webhook_id,
        note,
    ]
}

fn print_secret(ctx: &Ctx, made: &WebhookSecret, what: &str) {
    if ctx.format == Format::Json {
        print_json(made);
        return;
    }
    outln!(
        "{what} webhook {} ({})",
        made.webhook.name,
        made.webhook.url
    );
    if made.generated {
        outln!("secret {}", made.secret);
        outln!("(shown this once: give it to the receiver, which verifies every delivery with it)");
    }
}

/// An endpoint's state in a word or a few.
pub fn status(w: &WebhookView) -> String {
    match (&w.disabled, &w.flagged, w.failing_since_ms) {
        (Some(d), _, _) => format!("disabled: {}", d.reason),
        (None, Some(flag), _) => format!("flagged: {flag}"),
        (None, None, Some(since)) => format!("failing since {}", instant(since)),
        (None, None, None) => "ok".into(),
    }
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn instant(ms: u64) -> String {
    let secs = ms / 1000;
    let day = (secs / 86_400) as i32;
    let s = secs % 86_400;
    format!(
        "{} {:02}:{:02}:{:02}",
        vitals_plugin_sdk::date::format(day),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
