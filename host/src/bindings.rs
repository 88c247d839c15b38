//! Typed bindings of `wit/client.wit`, the interface `wkg.wasm` exports
//! beside `wasi:cli/run`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "client",
    exports: { default: async },
});
