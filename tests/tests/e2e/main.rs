//! End-to-end tests, one binary: real components built from source, the real
//! runtime (and, in later modules, the real store, binary and server).

mod abuse;
mod backtest;
mod bad_input;
mod browser;
mod cli;
mod common;
mod contract;
mod crash;
mod dashboard;
mod erase;
mod erase_crash;
mod first_hour;
mod fuzz;
mod http;
mod integrity;
mod load;
mod polyglot;
mod safe_output;
mod sandbox;
mod scaffold;
mod served;
