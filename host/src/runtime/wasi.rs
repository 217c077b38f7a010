//! What a plugin's imports are linked to: our `log`, the WASI 0.2 interfaces
//! language runtimes need to start (served by the locked-down context of
//! `sandbox`), and trapping stubs for the interfaces that must exist but never
//! work. Python's runtime imports the sockets interfaces, a StarlingMonkey
//! component built with `fetch` imports `wasi:http`: they link, and the first
//! call into any of them traps with a message naming it.
//!
//! Stubs are defined per component, under the exact names it imports, for
//! whole interfaces the base linker lacks. `Linker::define_unknown_imports_as_traps`
//! is not used: it would also stub a real WASI function whenever the guest
//! imports a newer 0.2.x version than the one linked (the linker matches
//! those by semver, the stubber by exact name), shadowing it.

use super::sandbox::{self, CallState};
use crate::contract::PluginError;
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasData, Linker, ResourceTable, ResourceType};
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
use wasmtime_wasi::p2::bindings as p2;
use wasmtime_wasi::random::{WasiRandom, WasiRandomView};
use wasmtime_wasi::{WasiView, p2::bindings::sync as p2_sync};

/// Interfaces linked to trapping stubs (prefixes, without version).
pub const STUBBED: [&str; 2] = ["wasi:sockets/", "wasi:http/"];

/// The linker every component starts from: `log` and the real, locked-down
/// WASI 0.2 interfaces (cli, clocks, filesystem, io, random), no sockets.
pub fn base_linker(engine: &Engine) -> wasmtime::Result<Linker<CallState>> {
    let mut l = Linker::new(engine);
    sandbox::add_log_to_linker(&mut l)?;
    p2::clocks::wall_clock::add_to_linker::<_, WasiClocks>(&mut l, CallState::clocks)?;
    // The frozen monotonic clock instead of wasmtime-wasi's, whose waits
    // sleep in real time (see `sandbox::FrozenClocks`).
    p2::clocks::monotonic_clock::add_to_linker::<_, sandbox::HasFrozenClocks>(
        &mut l,
        sandbox::frozen_clocks,
    )?;
    p2::filesystem::preopens::add_to_linker::<_, WasiFilesystem>(&mut l, CallState::filesystem)?;
    p2_sync::filesystem::types::add_to_linker::<_, WasiFilesystem>(&mut l, CallState::filesystem)?;
    p2::random::random::add_to_linker::<_, WasiRandom>(&mut l, CallState::random)?;
    p2::random::insecure::add_to_linker::<_, WasiRandom>(&mut l, CallState::random)?;
    p2::random::insecure_seed::add_to_linker::<_, WasiRandom>(&mut l, CallState::random)?;
    p2::cli::exit::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::environment::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::stdin::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::stdout::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::stderr::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::terminal_input::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::terminal_output::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::terminal_stdin::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::terminal_stdout::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    p2::cli::terminal_stderr::add_to_linker::<_, WasiCli>(&mut l, CallState::cli)?;
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<_, HasTable>(&mut l, table)?;
    p2_sync::io::poll::add_to_linker::<_, HasTable>(&mut l, table)?;
    p2_sync::io::streams::add_to_linker::<_, HasTable>(&mut l, table)?;
    Ok(l)
}

struct HasTable;

impl HasData for HasTable {
    type Data<'a> = &'a mut ResourceTable;
}

fn table(s: &mut CallState) -> &mut ResourceTable {
    s.ctx().table
}

/// Whether an import (`wasi:sockets/tcp@0.2.9`) is served by stubs.
pub fn is_stubbed(import: &str) -> bool {
    STUBBED.iter().any(|p| import.starts_with(p))
}

/// `base` plus trapping stubs for the component's stubbed imports.
pub fn linker_for(
    base: &Linker<CallState>,
    engine: &Engine,
    component: &Component,
) -> Result<Linker<CallState>, PluginError> {
    let ty = component.component_type();
    if !ty.imports(engine).any(|(name, _)| is_stubbed(name)) {
        return Ok(base.clone());
    }
    let mut linker = base.clone();
    let host = |e: wasmtime::Error| PluginError::Host(format!("linking stubs: {e:#}"));
    // Resources already introduced by an earlier import (a stubbed
    // interface's `use wasi:io/streams.{input-stream}`, say) are aliases:
    // only the interface that owns a resource defines it.
    let mut seen: Vec<ResourceType> = Vec::new();
    for (import, item) in ty.imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let stub = is_stubbed(import);
        let mut inst = if stub {
            Some(linker.instance(import).map_err(host)?)
        } else {
            None
        };
        for (name, export) in instance.exports(engine) {
            match export.ty {
                ComponentItem::Resource(r) if !seen.contains(&r) => {
                    seen.push(r);
                    if let Some(inst) = inst.as_mut() {
                        inst.resource(name, ResourceType::host::<()>(), |_, _| Ok(()))
                            .map_err(host)?;
                    }
                }
                ComponentItem::ComponentFunc(_) if stub => {
                    let what = format!("{import}#{name}");
                    if let Some(inst) = inst.as_mut() {
                        inst.func_new(name, move |_, _, _, _| {
                            Err(wasmtime::Error::msg(format!(
                                "{what} is not available to plugins: the sandbox has no network"
                            )))
                        })
                        .map_err(host)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(linker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Limits;

    /// A component that imports a resource and a function from `import` and
    /// exports `run`, which calls that function.
    fn caller_of(import: &str) -> String {
        format!(
            r#"(component
                (import "{import}" (instance $i
                    (export "thing" (type (sub resource)))
                    (export "handle" (func (result u32)))))
                (core func $handle (canon lower (func $i "handle")))
                (core module $m
                    (import "" "handle" (func $handle (result i32)))
                    (func (export "run") (result i32) call $handle))
                (core instance $c (instantiate $m (with "" (instance (export "handle" (func $handle))))))
                (func (export "run") (result u32) (canon lift (core func $c "run"))))"#
        )
    }

    fn call_run(wat: &str) -> Result<u32, String> {
        let engine = Engine::default();
        let component = Component::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let linker = linker_for(&base_linker(&engine).unwrap(), &engine, &component).unwrap();
        let mut store = wasmtime::Store::new(&engine, CallState::new(&Limits::default(), 0, 0));
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(|e| format!("instantiate: {e:#}"))?;
        let run = instance
            .get_typed_func::<(), (u32,)>(&mut store, "run")
            .unwrap();
        run.call(&mut store, ())
            .map(|(n,)| n)
            .map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn stubbed_interfaces_link_and_trap_naming_the_call() {
        for import in ["wasi:http/outgoing-handler@0.2.0", "wasi:sockets/tcp@0.2.9"] {
            let err = call_run(&caller_of(import)).unwrap_err();
            assert!(
                err.contains(&format!("{import}#handle is not available to plugins")),
                "{err}"
            );
        }
    }

    #[test]
    fn other_unknown_interfaces_are_not_stubbed() {
        let err = call_run(&caller_of("acme:vault/secrets@1.0.0")).unwrap_err();
        assert!(err.starts_with("instantiate:"), "{err}");
        assert!(is_stubbed("wasi:sockets/network@0.2.0"));
        assert!(!is_stubbed("wasi:cli/environment@0.2.0"));
    }
}
