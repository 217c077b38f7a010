//! End-to-end tests, one binary: real components built from source, the real
//! runtime (and, in later modules, the real store, binary and server).

mod abuse;
mod backtest;
mod backtest_checks;
mod bad_input;
mod browser;
mod cli;
mod common;
mod config_checks;
mod contract;
mod contract_v02;
mod crash;
mod dashboard;
mod erase;
mod erase_crash;
mod first_hour;
mod fuzz;
mod http;
mod ingest;
mod integrity;
mod load;
mod pack_file;
mod pack_tenant;
mod plugins;
mod polyglot;
mod receiver;
mod safe_output;
mod sandbox;
mod scaffold;
mod served;
mod triggers;
mod webhooks;
