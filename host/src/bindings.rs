//! Typed bindings of `wit/client.wit`: the host services `wkg.wasm`
//! imports (`wit/host.wit`, provided natively by this crate) and the
//! registry operations it exports beside `wasi:cli/run`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "client",
    imports: { default: async },
    with: { "wkg:host/sha256.hasher": crate::services::Hasher },
    exports: { default: async },
});
