//! `vitals pack install|upgrade|activate|rollback|tune|list|show|shadow`
//! (a tenant's packs) and `vitals pack trust|revoke` (the operator's trust
//! in vendors), on the local store or a server (`--server`).

use super::context::{CliError, Ctx};
use super::output::{Format, Table, outln, print_json, warn};
use crate::service::{
    PackInstallQuery, PackTune, RevokeRequest, TrustKeyRequest, TrustList, TuneMode,
};
use crate::store::PackChange;
use std::path::PathBuf;

/// A tenant's packs, and the operator's trust.
#[derive(Debug, clap::Subcommand)]
pub enum PackTenantCommand {
    /// Install a signed pack: every component validated, all or nothing.
    Install {
        /// The pack file (NAME-VERSION.vpack).
        file: PathBuf,
        /// Switch every plugin of it on at once.
        #[arg(long)]
        activate: bool,
        /// Allow a version lower than the active one.
        #[arg(long)]
        allow_downgrade: bool,
    },
    /// Install a newer version of an installed pack: the vendor's new
    /// defaults under the tenant's tuning. Nothing goes live without
    /// --activate; --shadow first shows what it would change.
    Upgrade {
        /// The pack file.
        file: PathBuf,
        /// Switch it on at once.
        #[arg(long, conflicts_with = "shadow")]
        activate: bool,
        /// Run it beside the running version on the tenant's accounts and
        /// report (band moves, segments, ARR affected); nothing goes live.
        #[arg(long)]
        shadow: bool,
        /// Judge it beside the running health model on the tenant's
        /// outcomes (needs --cutoff); nothing goes live.
        #[arg(long, requires = "cutoff", conflicts_with = "activate")]
        backtest: bool,
        /// The backtest's cut-off day (YYYY-MM-DD).
        #[arg(long)]
        cutoff: Option<String>,
        /// Outcomes up to this many days after the cut-off count.
        #[arg(long, default_value_t = 180)]
        horizon: i32,
        /// Allow a version lower than the active one.
        #[arg(long)]
        allow_downgrade: bool,
    },
    /// Judge an installed version's health model (under the tenant's
    /// tuning) beside the running one on the tenant's outcomes.
    Backtest {
        /// The pack.
        name: String,
        /// The installed version to judge.
        version: String,
        /// Score as of this day (YYYY-MM-DD).
        #[arg(long)]
        cutoff: String,
        /// Outcomes up to this many days after the cut-off count.
        #[arg(long, default_value_t = 180)]
        horizon: i32,
    },
    /// Switch an installed version of a pack on (all its plugins at once).
    Activate {
        /// The pack.
        name: String,
        /// The version.
        version: String,
    },
    /// Go back to the version active before, with the same tuning.
    Rollback {
        /// The pack.
        name: String,
    },
    /// Tune a pack plugin: a JSON merge patch (RFC 7386) over the vendor's
    /// defaults, merged into the tenant's patch (`null` removes a key).
    Tune {
        /// The pack.
        pack: String,
        /// Its plugin.
        plugin: String,
        /// The patch, as JSON text.
        #[arg(long, conflicts_with_all = ["file", "reset"])]
        set: Option<String>,
        /// The patch, from a JSON file.
        #[arg(long, conflicts_with = "reset")]
        file: Option<PathBuf>,
        /// Replace the tenant's patch instead of merging into it.
        #[arg(long, conflicts_with = "reset")]
        replace: bool,
        /// Back to the vendor's defaults.
        #[arg(long)]
        reset: bool,
    },
    /// The tenant's packs: version, vendor, key, and whether revoked.
    List,
    /// One pack: each plugin's defaults, the tenant's patch and the
    /// effective configuration.
    Show {
        /// The pack.
        name: String,
        /// A version (default: the active one).
        #[arg(long)]
        version: Option<String>,
    },
    /// Shadow-run an installed version beside the running one (nothing goes live).
    Shadow {
        /// The pack.
        name: String,
        /// The installed version to try.
        version: String,
    },
    /// Which vendor keys this host trusts (operator).
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Revoke a vendor key or one version of a pack (operator): new
    /// installs refused, tenants running it flagged.
    Revoke {
        /// The key id to revoke.
        #[arg(long, conflicts_with_all = ["pubkey", "pack"])]
        key: Option<String>,
        /// A public key file to revoke (a key not trusted yet, say).
        #[arg(long, conflicts_with = "pack")]
        pubkey: Option<PathBuf>,
        /// A pack whose --version to revoke.
        #[arg(long, requires = "version")]
        pack: Option<String>,
        /// The version of --pack.
        #[arg(long, requires = "pack")]
        version: Option<String>,
        /// Why (shown to the tenants running it).
        #[arg(long)]
        reason: String,
    },
}

/// `vitals pack trust ...`.
#[derive(Debug, clap::Subcommand)]
pub enum TrustCommand {
    /// Trust a vendor's public key (a minisign .pub file).
    Add {
        /// The public key file.
        pubkey: PathBuf,
        /// Who it is (the vendor's name).
        #[arg(long)]
        name: String,
    },
    /// Every key (trusted and revoked) and revoked version.
    List,
    /// Stop trusting a key.
    Remove {
        /// The key id.
        key_id: String,
    },
    /// Allow (`on`) or refuse (`off`, the default) unsigned packs: for a
    /// vendor's own development store only.
    AllowUnsigned {
        /// `on` or `off`.
        #[arg(value_parser = ["on", "off"])]
        allow: String,
    },
}

/// Reads a pack file whole, after refusing one larger than any pack can
/// be (the archive's own limit on what it unpacks to, and a margin for
/// gzip's framing), so that a huge file is not read into memory first.
fn read_file(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    let at = |e: std::io::Error| CliError::bad(format!("{}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(at)?.len();
    let most = crate::pack::PackLimits::default().total_bytes + (1 << 20);
    if size > most {
        return Err(CliError::bad(format!(
            "{}: {size} bytes, more than a pack can hold ({most} bytes)",
            path.display()
        )));
    }
    std::fs::read(path).map_err(at)
}

fn read_text(path: &PathBuf) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::bad(format!("{}: {e}", path.display())))
}

/// Runs a tenant or trust command.
pub fn run(ctx: &Ctx, cmd: PackTenantCommand) -> Result<(), CliError> {
    let api = ctx.api()?;
    let tenant = &ctx.tenant;
    match cmd {
        PackTenantCommand::Install {
            file,
            activate,
            allow_downgrade,
        } => install(
            ctx,
            &*api,
            &file,
            PackInstallQuery {
                activate,
                upgrade: false,
                allow_downgrade,
            },
            true,
        )
        .map(|_| ()),
        PackTenantCommand::Upgrade {
            file,
            activate,
            shadow,
            backtest,
            cutoff,
            horizon,
            allow_downgrade,
        } => {
            if backtest {
                ctx.local_only("pack upgrade --backtest")?;
            }
            let json = ctx.format == Format::Json;
            let installed = install(
                ctx,
                &*api,
                &file,
                PackInstallQuery {
                    activate,
                    upgrade: true,
                    allow_downgrade,
                },
                !json,
            )?;
            let (name, version) = (&installed.pack.name, &installed.version);
            let reports = if shadow {
                api.shadow_pack(tenant, name, version)?
            } else {
                vec![]
            };
            // The backtest opens the local store itself: let it go first.
            drop(api);
            let report = match (backtest, cutoff) {
                (true, Some(cutoff)) => Some(backtest_pack(ctx, name, version, &cutoff, horizon)?),
                _ => None,
            };
            if json {
                // One document: the install, and what was asked beside it.
                print_json(&serde_json::json!({
                    "installed": installed,
                    "shadow": shadow.then_some(&reports),
                    "backtest": report,
                }));
                return Ok(());
            }
            if shadow {
                print_shadows(ctx, &reports);
            }
            if let Some(r) = &report {
                super::backtest_output::print_report(r);
            }
            Ok(())
        }
        PackTenantCommand::Backtest {
            name,
            version,
            cutoff,
            horizon,
        } => {
            ctx.local_only("pack backtest")?;
            drop(api);
            let report = backtest_pack(ctx, &name, &version, &cutoff, horizon)?;
            if ctx.format == Format::Json {
                print_json(&report);
            } else {
                super::backtest_output::print_report(&report);
            }
            Ok(())
        }
        PackTenantCommand::Activate { name, version } => {
            let change = api.activate_pack(tenant, &name, &version)?;
            print_change(ctx, &change);
            Ok(())
        }
        PackTenantCommand::Rollback { name } => {
            let change = api.rollback_pack(tenant, &name)?;
            print_change(ctx, &change);
            Ok(())
        }
        PackTenantCommand::Tune {
            pack,
            plugin,
            set,
            file,
            replace,
            reset,
        } => {
            let text = match (set, &file) {
                (Some(text), _) => Some(text),
                (None, Some(path)) => Some(read_text(path)?),
                (None, None) => None,
            };
            let patch = match (&text, reset) {
                (_, true) => serde_json::json!({}),
                (Some(t), false) => serde_json::from_str(t).map_err(|e| {
                    CliError::bad(format!("{pack} {plugin}: the patch is not JSON: {e}"))
                })?,
                (None, false) => {
                    return Err(CliError::bad(
                        "give the patch with --set JSON or --file FILE, or --reset",
                    ));
                }
            };
            let mode = if reset {
                TuneMode::Reset
            } else if replace {
                TuneMode::Replace
            } else {
                TuneMode::Merge
            };
            let tuned = api.tune_pack(tenant, &pack, &plugin, &PackTune { patch, mode })?;
            for w in &tuned.warnings {
                warn(&w.message);
            }
            if ctx.format == Format::Json {
                print_json(&tuned);
            } else {
                outln!("{pack} {}: patch {}", tuned.plugin.name, tuned.plugin.patch);
                outln!("effective  {}", tuned.plugin.effective);
                if !tuned.live {
                    outln!("(the pack is not active: it applies when it is)");
                }
            }
            Ok(())
        }
        PackTenantCommand::List => {
            let packs = api.packs(tenant)?;
            if ctx.format == Format::Json {
                print_json(&packs);
                return Ok(());
            }
            let mut t = Table::new(vec![
                "pack", "active", "versions", "vendor", "key", "status",
            ]);
            for p in packs {
                let key = match (&p.key_id, &p.key_name) {
                    (Some(id), Some(name)) => format!("{id} ({name})"),
                    (Some(id), None) => id.clone(),
                    (None, _) => "unsigned".into(),
                };
                let status = match (&p.flag, p.revoked) {
                    (Some(flag), true) => format!("REVOKED: {flag}"),
                    (Some(flag), false) => format!("flagged: {flag}"),
                    (None, _) => "ok".into(),
                };
                t.row(vec![
                    p.name,
                    p.active.unwrap_or_else(|| "-".into()),
                    p.versions.join(", "),
                    p.vendor,
                    key,
                    status,
                ]);
            }
            t.print(ctx.format);
            Ok(())
        }
        PackTenantCommand::Show { name, version } => {
            let d = api.pack(tenant, &name, version.as_deref())?;
            if ctx.format == Format::Json {
                print_json(&d);
                return Ok(());
            }
            let s = &d.summary;
            outln!(
                "{} {} by {}{}",
                s.name,
                d.version,
                s.vendor,
                if s.active.as_deref() == Some(d.version.as_str()) {
                    ", active"
                } else {
                    ""
                }
            );
            outln!("{}", s.description);
            outln!(
                "signed by  {}",
                s.key_id
                    .as_deref()
                    .map_or("(unsigned)".to_string(), |k| match &s.key_name {
                        Some(n) => format!("{k} ({n})"),
                        None => k.to_string(),
                    })
            );
            if let Some(flag) = &s.flag {
                outln!("{}  {flag}", if s.revoked { "REVOKED" } else { "flagged" });
            }
            outln!("versions   {}", s.versions.join(", "));
            for p in &d.plugins {
                outln!("");
                outln!(
                    "{} {} ({}, sha-256 {})",
                    p.name,
                    p.version,
                    p.kind,
                    &p.hash[..12]
                );
                outln!("  defaults   {}", p.defaults);
                outln!("  patch      {}", p.patch);
                outln!("  effective  {}", p.effective);
            }
            for n in &d.orphan_patches {
                outln!("");
                outln!("(a patch of {n} is kept: this version has no plugin {n})");
            }
            Ok(())
        }
        PackTenantCommand::Shadow { name, version } => {
            let reports = api.shadow_pack(tenant, &name, &version)?;
            print_shadows(ctx, &reports);
            Ok(())
        }
        PackTenantCommand::Trust(t) => trust(ctx, &*api, t),
        PackTenantCommand::Revoke {
            key,
            pubkey,
            pack,
            version,
            reason,
        } => {
            let public_key = pubkey.as_ref().map(read_text).transpose()?;
            if key.is_none() && public_key.is_none() && pack.is_none() {
                return Err(CliError::bad(
                    "name what to revoke: --key ID, --pubkey FILE, or --pack NAME --version V",
                ));
            }
            let list = api.revoke(&RevokeRequest {
                key_id: key,
                public_key,
                pack,
                version,
                reason,
            })?;
            print_trust(ctx, &list);
            Ok(())
        }
    }
}

/// Installs (or upgrades); returns the pack's name and version.
/// Installs (or upgrades) and, with `print`, says what it did.
fn install(
    ctx: &Ctx,
    api: &dyn crate::service::Api,
    file: &PathBuf,
    q: PackInstallQuery,
    print: bool,
) -> Result<crate::service::PackInstalled, CliError> {
    let bytes = read_file(file)?;
    let installed = api.install_pack(&ctx.tenant, bytes, &q).map_err(|e| {
        let mut err = CliError::from(e);
        err.message = format!("{}: {}", file.display(), err.message);
        err
    })?;
    for w in &installed.warnings {
        warn(w);
    }
    if !print {
        return Ok(installed);
    }
    if ctx.format == Format::Json {
        print_json(&installed);
    } else {
        let p = &installed.pack;
        outln!(
            "installed {} {} by {} ({}){}",
            p.name,
            installed.version,
            p.vendor,
            p.key_id
                .as_deref()
                .map_or("unsigned".to_string(), |k| format!("signed by {k}")),
            if p.active.as_deref() == Some(installed.version.as_str()) {
                ", active"
            } else {
                ""
            }
        );
        print_change_lines(&installed.change);
        if p.active.as_deref() != Some(installed.version.as_str()) {
            outln!(
                "not active: `vitals pack activate {} {}` switches it on",
                p.name,
                installed.version
            );
        }
    }
    Ok(installed)
}

/// Judges a release's health model beside the running one (local store).
fn backtest_pack(
    ctx: &Ctx,
    name: &str,
    version: &str,
    cutoff: &str,
    horizon: i32,
) -> Result<crate::backtest::BacktestReport, CliError> {
    let cutoff = super::context::date_arg("--cutoff", cutoff)?;
    Ok(ctx
        .service()?
        .backtest_pack(&ctx.tenant, name, version, cutoff, horizon)?)
}

fn print_change(ctx: &Ctx, change: &PackChange) {
    if ctx.format == Format::Json {
        print_json(change);
        return;
    }
    outln!(
        "{} {} is active",
        change.pack,
        change.active.as_deref().unwrap_or("-")
    );
    print_change_lines(change);
}

fn print_change_lines(change: &PackChange) {
    for p in &change.activated {
        outln!("  on   {} {} ({})", p.name, p.version, p.kind);
    }
    for p in &change.deactivated {
        outln!("  off  {} {} ({})", p.name, p.version, p.kind);
    }
    for pack in &change.packs_deactivated {
        outln!(
            "  pack {pack} is no longer active: this change took a plugin of it (`vitals pack rollback {pack}` brings it back)"
        );
    }
}

fn print_shadows(ctx: &Ctx, reports: &[crate::service::ShadowReport]) {
    if ctx.format == Format::Json {
        print_json(&reports);
        return;
    }
    if reports.is_empty() {
        outln!(
            "nothing to compare: each plugin of this version either runs unchanged already or has no running version beside it"
        );
    }
    for r in reports {
        super::plugin::print_shadow(r, ctx.format);
    }
}

fn trust(ctx: &Ctx, api: &dyn crate::service::Api, cmd: TrustCommand) -> Result<(), CliError> {
    match cmd {
        TrustCommand::Add { pubkey, name } => {
            let key = api.trust_key(&TrustKeyRequest {
                public_key: read_text(&pubkey)?,
                name,
            })?;
            if ctx.format == Format::Json {
                print_json(&key);
            } else {
                outln!("trusted key {} ({})", key.key_id, key.name);
            }
        }
        TrustCommand::List => print_trust(ctx, &api.trust_list()?),
        TrustCommand::Remove { key_id } => {
            let key = api.remove_trusted_key(&key_id)?;
            if ctx.format == Format::Json {
                print_json(&key);
            } else {
                outln!("key {} ({}) is no longer trusted", key.key_id, key.name);
            }
        }
        TrustCommand::AllowUnsigned { allow } => {
            print_trust(ctx, &api.set_allow_unsigned(allow == "on")?);
        }
    }
    Ok(())
}

fn print_trust(ctx: &Ctx, list: &TrustList) {
    if ctx.format == Format::Json {
        print_json(list);
        return;
    }
    let mut t = Table::new(vec!["key", "name", "status"]);
    for k in &list.keys {
        t.row(vec![
            k.key_id.clone(),
            k.name.clone(),
            match &k.revoked {
                Some(r) => format!("REVOKED: {}", r.reason),
                None => "trusted".into(),
            },
        ]);
    }
    t.print(ctx.format);
    for r in &list.revoked_releases {
        outln!("revoked {} {}: {}", r.pack, r.version, r.revocation.reason);
    }
    outln!(
        "unsigned packs: {}",
        if list.allow_unsigned {
            "allowed"
        } else {
            "refused"
        }
    );
}
