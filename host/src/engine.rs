// The engine settings of the host, shared with `build.rs` (which
// `include!`s this file to precompile `wkg.wasm` at build time): code
// compiled with other settings would not load.

/// The wasmtime configuration every [`Engine`](wasmtime::Engine) of the
/// host is made with; `target` is a target triple to compile for (the build
/// script's cross builds), `None` for this machine.
///
/// # Errors
/// A target triple wasmtime does not know.
pub fn engine_config(target: Option<&str>) -> wasmtime::Result<wasmtime::Config> {
    let mut config = wasmtime::Config::new();
    // Loading cached code registers no unwind tables with the system
    // unwinder (wasmtime's own backtraces do not need them): faster starts.
    config.native_unwind_info(false);
    if let Some(target) = target {
        config.target(target)?;
    }
    Ok(config)
}
