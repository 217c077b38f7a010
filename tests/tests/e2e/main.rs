//! End-to-end tests, one binary: real components built from source, the real
//! runtime (and, in later modules, the real store, binary and server).

mod browser;
mod cli;
mod common;
mod contract;
mod dashboard;
mod http;
mod sandbox;
