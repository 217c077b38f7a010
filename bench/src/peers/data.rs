//! The files every peer reads: the generated accounts as JSON (for the Rust
//! workers and the Extism host, in the Extism wire's form) and as a
//! CSV of snapshots in Vitals' canonical ingest columns (for the store run,
//! which ingests it, and for the Python script).

use std::fmt::Write as _;
use std::path::Path;
use vitals::runtime::types::{Account, Confidence, Snapshot};
use vitals_plugin_sdk::date;

/// Writes `accounts` as a JSON array in the Extism wire's form
/// (`bench/peers/extism-wire`: dates as days since 1970-01-01, enums by
/// their Rust names, as the WIT contract's own types are), which the host's
/// types read too (they take a date as a day number or as ISO text).
pub fn write_json(path: &Path, accounts: &[Account]) -> Result<(), String> {
    let wire: Vec<serde_json::Value> = accounts.iter().map(wire_account).collect();
    let bytes = serde_json::to_vec(&wire).map_err(|e| format!("accounts JSON: {e}"))?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn wire_account(a: &Account) -> serde_json::Value {
    let at = &a.attributes;
    serde_json::json!({
        "id": a.id,
        "attributes": {
            "name": at.name,
            "owner": at.owner,
            "tier": at.tier,
            "plan": at.plan,
            "start_date": at.start_date,
            "renewal_date": at.renewal_date,
            "contract_arr": at.contract_arr,
            "renewal_confidence": at.renewal_confidence.map(|c| format!("{c:?}")),
            "labels": at.labels.iter().map(|l| serde_json::json!({"name": l.name, "value": l.value})).collect::<Vec<_>>(),
        },
        "current": wire_snapshot(&a.current),
        "history": a.history.iter().map(wire_snapshot).collect::<Vec<_>>(),
        "health": a.health.iter().map(|h| serde_json::json!({
            "as_of": h.as_of,
            "score": h.score,
            "band": format!("{:?}", h.band),
        })).collect::<Vec<_>>(),
    })
}

fn wire_snapshot(s: &Snapshot) -> serde_json::Value {
    serde_json::json!({
        "as_of": s.as_of,
        "seats_purchased": s.seats_purchased,
        "seats_active": s.seats_active,
        "logins": s.logins,
        "features_used": s.features_used,
        "features_available": s.features_available,
        "tickets_open": s.tickets_open,
        "tickets_high_severity": s.tickets_high_severity,
        "nps": s.nps,
        "csat": s.csat,
        "arr": s.arr,
        "champion_left": s.champion_left,
        "late_payments": s.late_payments,
        "metrics": s.metrics.iter().map(|m| serde_json::json!({"name": m.name, "value": m.value})).collect::<Vec<_>>(),
    })
}

const SNAPSHOT_COLUMNS: &str = "account_id,as_of,name,owner,tier,plan,start_date,renewal_date,contract_arr,renewal_confidence,seats_purchased,seats_active,logins,features_used,features_available,tickets_open,tickets_high_severity,nps,csat,arr,champion_left,late_payments";

/// Writes one CSV row per snapshot (history, then current), attributes on
/// every row, one column per free-form metric (snake_case, as a CRM export
/// names them; ingest and the Python script both kebab-case them back).
pub fn write_csv(path: &Path, accounts: &[Account]) -> Result<(), String> {
    let mut metrics: Vec<String> = Vec::new();
    for a in accounts {
        if !a.attributes.labels.is_empty() {
            return Err(format!(
                "account {}: labels are not written to the peers' CSV",
                a.id
            ));
        }
        for s in a.history.iter().chain([&a.current]) {
            for m in &s.metrics {
                if !metrics.contains(&m.name) {
                    metrics.push(m.name.clone());
                }
            }
        }
    }
    let mut out = String::from(SNAPSHOT_COLUMNS);
    for m in &metrics {
        out.push(',');
        out.push_str(&m.replace('-', "_"));
    }
    out.push('\n');
    for a in accounts {
        for s in a.history.iter().chain([&a.current]) {
            row(&mut out, a, s, &metrics);
        }
    }
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}

fn row(out: &mut String, a: &Account, s: &Snapshot, metrics: &[String]) {
    let at = &a.attributes;
    let text = |v: &Option<String>| v.as_deref().map(quoted).unwrap_or_default();
    let day = |v: Option<i32>| v.map(date::format).unwrap_or_default();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let count = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
    let confidence = at.renewal_confidence.map(|c| match c {
        Confidence::Commit => "commit",
        Confidence::BestCase => "best-case",
        Confidence::Pipeline => "pipeline",
        Confidence::Omitted => "omitted",
    });
    let _ = write!(
        out,
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        quoted(&a.id),
        date::format(s.as_of),
        text(&at.name),
        text(&at.owner),
        text(&at.tier),
        text(&at.plan),
        day(at.start_date),
        day(at.renewal_date),
        num(at.contract_arr),
        confidence.unwrap_or_default(),
        count(s.seats_purchased),
        count(s.seats_active),
        count(s.logins),
        count(s.features_used),
        count(s.features_available),
        count(s.tickets_open),
        count(s.tickets_high_severity),
        s.nps.map(|x| x.to_string()).unwrap_or_default(),
        num(s.csat),
        num(s.arr),
        s.champion_left.map(|b| b.to_string()).unwrap_or_default(),
        count(s.late_payments),
    );
    for name in metrics {
        out.push(',');
        if let Some(m) = s.metrics.iter().find(|m| &m.name == name) {
            let _ = write!(out, "{}", m.value);
        }
    }
    out.push('\n');
}

/// RFC 4180 quoting where a cell needs it.
fn quoted(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitals::ingest::{Format, parse};

    #[test]
    fn the_csv_ingests_back_into_the_same_snapshots() {
        let accounts = vitals::demo::generate(50, 20_454, 3);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        write_csv(&path, &accounts).unwrap();
        let parsed = parse(&std::fs::read(&path).unwrap(), Format::Csv, None);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
        let snapshots: usize = accounts.iter().map(|a| a.history.len() + 1).sum();
        assert_eq!(parsed.rows.len(), snapshots);
        let last = parsed
            .rows
            .iter()
            .rfind(|r| r.account_id == accounts[7].id)
            .unwrap();
        assert_eq!(last.snapshot.as_ref(), Some(&accounts[7].current));
        assert_eq!(last.attributes, accounts[7].attributes);
    }

    #[test]
    fn cells_with_commas_or_quotes_are_quoted() {
        assert_eq!(quoted("Acme, Inc"), "\"Acme, Inc\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("plain"), "plain");
    }
}
