//! The `wkg:host` services (`wit/host.wit`) as a sandboxed component can
//! give them: composed into `wkg.wasm` by `host/build.rs`, so that the
//! component runs under any runtime (`wasmtime run`), while the native
//! `wkg` and the `wkg-host` library provide the same interface natively.

#![allow(unsafe_code)] // the export glue wit-bindgen generates

wit_bindgen::generate!({
    world: "wkg:host/provider",
    path: "../wit",
    generate_all,
});

use exports::wkg::host::credentials::{Credential, Guest, HelperError};

struct Provider;

impl Guest for Provider {
    /// No program can start inside a component.
    fn get(_server: String) -> Result<Option<Credential>, HelperError> {
        Err(HelperError::Unavailable(
            "which a component cannot run (the native `wkg` runs it)".into(),
        ))
    }
}

export!(Provider);
