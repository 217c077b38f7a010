//! Plugins as an analyst with only the `vitals` binary meets them (#16):
//! the reference plugins added by name and any stored component exported
//! back, switching plugins off with one health model active at a time,
//! clear messages for files that are no component or too large, `plugin
//! build`'s real time, and `demo` on its own tenants only. Each through the
//! real binary, over a local store and over a real server.

mod activation;
mod contract_version;
mod demo;
mod messages;
mod reference;

use crate::served::{Out, vitals};
use std::path::{Path, PathBuf};

/// Three accounts (thriving, middling, struggling) as of 2026-01-01.
const FIXTURE: &str = "\
account_id,as_of,name,owner,start_date,renewal_date,contract_arr,seats_purchased,seats_active,logins,features_used,features_available,tickets_open,tickets_high_severity,nps,csat,champion_left,late_payments,webinars_attended,community_posts
thriving,2026-01-01,Thriving Co,ana,2023-01-01,2026-02-01,100000,100,110,2000,15,20,0,0,10,98,false,0,4,6
middling,2026-01-01,Middling Co,ben,2023-01-01,2026-02-15,50000,100,60,,,,,,7,,,,,
struggling,2026-01-01,Struggling Co,ben,2023-01-01,2026-03-01,20000,100,10,5,1,20,10,4,1,20,true,3,0,0
";

/// A temporary folder with a store in `data/`, and the CLI over it.
struct Local {
    dir: tempfile::TempDir,
}

impl Local {
    fn new() -> Local {
        Local {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn data(&self) -> PathBuf {
        self.path("data")
    }

    /// Writes a file in the folder; its path as text.
    fn write(&self, name: &str, content: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p.display().to_string()
    }

    /// `vitals --tenant TENANT ARGS` in the folder.
    fn run_as(&self, tenant: &str, args: &[&str]) -> Out {
        Out::of(
            vitals(&self.data())
                .current_dir(self.dir.path())
                .args(["--tenant", tenant])
                .args(args),
        )
    }

    fn ok_as(&self, tenant: &str, args: &[&str]) -> Out {
        self.run_as(tenant, args).success(args)
    }

    /// A tenant with the fixture accounts.
    fn tenant_with_accounts(&self, tenant: &str) {
        self.ok_as(tenant, &["init"]);
        let csv = self.write("fixture.csv", FIXTURE.as_bytes());
        self.ok_as(tenant, &["ingest", &csv]);
    }
}

/// `vitals ARGS` on a server with `key` (no local store is touched).
fn on_server(url: &str, key: &str, args: &[&str]) -> Out {
    let unused = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugins-unused-store");
    Out::of(
        vitals(&unused)
            .args(["--server", url])
            .env("VITALS_KEY", key)
            .args(args),
    )
}

/// Fails unless `out` is bad input (exit 2) whose stderr holds every needle.
fn refused(out: &Out, needles: &[&str]) {
    assert_eq!(
        out.code, 2,
        "expected exit 2:\n{}\n{}",
        out.stdout, out.stderr
    );
    for n in needles {
        assert!(out.stderr.contains(n), "{n:?} not in:\n{}", out.stderr);
    }
}
