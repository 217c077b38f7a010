//! `vitals demo`: a generated tenant scored by the reference pack.

use crate::demo::{as_it_was, generate};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::scoring::{Pack, Summary, run_pack, summarise};
use anyhow::Context;
use std::time::Instant;

/// Options of `vitals demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Accounts to generate.
    #[arg(long, default_value_t = 5000)]
    accounts: usize,
    /// Seed of the generator (the same seed gives the same tenant).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The run's as-of date (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-24")]
    as_of: String,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let as_of = vitals_plugin_sdk::date::parse(&args.as_of)
        .with_context(|| format!("--as-of {:?} is not a date (YYYY-MM-DD)", args.as_of))?;
    let started = Instant::now();
    let rt = Runtime::new(RuntimeConfig::default())?;
    let load = |name: &str| -> anyhow::Result<_> {
        let bytes = vitals_reference_pack::component(name)
            .with_context(|| format!("{name} missing from the pack"))?;
        Ok(rt.load(bytes)?)
    };
    let (health, segmenter, propensity, forecaster) = (
        load("weighted-health")?,
        load("lifecycle-segments")?,
        load("seat-expansion")?,
        load("renewal-forecast")?,
    );
    let pack = Pack {
        health: &health,
        segmenter: &segmenter,
        propensity: &propensity,
        forecaster: &forecaster,
    };
    let loaded = started.elapsed();

    let mut accounts = generate(args.accounts, as_of, args.seed);
    let quarter_ago = as_of - 91;
    let mut before: Vec<_> = accounts
        .iter()
        .filter_map(|a| as_it_was(a, quarter_ago))
        .collect();
    // Score a quarter ago first so that health history is there now.
    let ids_before: std::collections::HashMap<String, usize> = before
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.clone(), i))
        .collect();
    let scored_before = run_pack(&rt, &pack, &mut before, quarter_ago)?;
    for a in &mut accounts {
        if let Some(&i) = ids_before.get(&a.id) {
            a.health = before[i].health.clone();
        }
    }
    let run_started = Instant::now();
    let scored_now = run_pack(&rt, &pack, &mut accounts, as_of)?;
    let run_time = run_started.elapsed();
    // Align the earlier results with today's accounts (new accounts had none).
    let aligned_before = crate::scoring::PackResults {
        health: align(&accounts, &ids_before, &scored_before.health),
        segments: align(&accounts, &ids_before, &scored_before.segments),
        propensity: align(&accounts, &ids_before, &scored_before.propensity),
        forecast: align(&accounts, &ids_before, &scored_before.forecast),
    };
    let summary = summarise(&accounts, &scored_now, &aligned_before, as_of, 90);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary, &args.as_of);
        println!(
            "\n{} accounts x 4 plugins scored in {:.0} ms ({:.0} ms to load the pack), all in the wasm sandbox.",
            accounts.len(),
            run_time.as_secs_f64() * 1000.0,
            loaded.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

fn align(
    accounts: &[crate::runtime::Account],
    ids: &std::collections::HashMap<String, usize>,
    results: &[Result<crate::runtime::Output, crate::runtime::PluginError>],
) -> Vec<Result<crate::runtime::Output, crate::runtime::PluginError>> {
    accounts
        .iter()
        .map(|a| match ids.get(&a.id) {
            Some(&i) => results[i].clone(),
            None => Err(crate::runtime::PluginError::Returned {
                code: "missing-data".into(),
                message: "not a customer yet".into(),
            }),
        })
        .collect()
}

fn print_summary(s: &Summary, as_of: &str) {
    let delta = |now: usize, before: usize| format!("{:+}", now as i64 - before as i64);
    println!(
        "Vitals demo tenant: {} accounts, as of {as_of}\n",
        s.accounts
    );
    println!("Health (weighted-health)      now   vs last quarter");
    println!(
        "  Green                   {:>8}   {:>6}",
        s.bands.green,
        delta(s.bands.green, s.bands_before.green)
    );
    println!(
        "  Yellow                  {:>8}   {:>6}",
        s.bands.yellow,
        delta(s.bands.yellow, s.bands_before.yellow)
    );
    println!(
        "  Red                     {:>8}   {:>6}",
        s.bands.red,
        delta(s.bands.red, s.bands_before.red)
    );
    let sample: Vec<&str> = s.turned_red.iter().take(5).map(String::as_str).collect();
    println!(
        "  Turned Red this quarter: {} (e.g. {})\n",
        s.turned_red.len(),
        sample.join(", ")
    );
    println!("Segments (lifecycle-segments)  size  entered  left");
    for (name, (size, entered, left)) in &s.segments {
        println!("  {name:<24} {size:>7} {entered:>8} {left:>5}");
    }
    println!("\nTop expansion candidates (seat-expansion)");
    for (id, p, arr) in &s.expansion {
        println!("  {id:<14} propensity {p:.2}   contract ARR {arr:>12.0}");
    }
    let f = &s.forecast;
    println!("\nRenewals in the next {} days (renewal-forecast)", f.days);
    println!("  due {:>6}   ARR due {:>14.0}", f.renewals_due, f.arr_due);
    println!("  expected renewal ARR  {:>14.0}", f.expected_renewal_arr);
    println!("  expected churn ARR    {:>14.0}", f.expected_churn_arr);
    println!("  expected expansion    {:>14.0}", f.expected_expansion_arr);
    println!(
        "  expected contraction  {:>14.0}",
        f.expected_contraction_arr
    );
    println!(
        "  GRR {:>5.1} %   NRR {:>5.1} %",
        f.grr * 100.0,
        f.nrr * 100.0
    );
    if !s.errors.is_empty() {
        println!("\nPer-account errors (typed, by plugin): {:?}", s.errors);
    }
}
