//! The `wkg:host` services (`wit/host.wit`) as a sandboxed component can
//! give them: composed into `wkg.wasm` by `host/build.rs`, so that the
//! component runs under any runtime (`wasmtime run`), while the native
//! `wkg` and the `wkg-host` library provide the same interfaces natively.

#![allow(unsafe_code)] // the export glue wit-bindgen generates

wit_bindgen::generate!({
    world: "wkg:host/provider",
    path: "../wit",
    generate_all,
});

use std::cell::RefCell;

use exports::wkg::host::credentials::{Credential, HelperError};
use exports::wkg::host::sha256::GuestHasher;
use sha2::Digest;

struct Provider;

impl exports::wkg::host::credentials::Guest for Provider {
    /// No program can start inside a component.
    fn get(_server: String) -> Result<Option<Credential>, HelperError> {
        Err(HelperError::Unavailable(
            "which a component cannot run (the native `wkg` runs it)".into(),
        ))
    }
}

/// No native hasher: in wasm the component hashes fastest in its own
/// memory, without handing its bytes over.
impl exports::wkg::host::sha256::Guest for Provider {
    type Hasher = Hasher;

    fn native_hasher() -> Option<exports::wkg::host::sha256::Hasher> {
        None
    }
}

/// Never handed out (see `native_hasher`); hashes in wasm all the same.
struct Hasher(RefCell<sha2::Sha256>);

impl GuestHasher for Hasher {
    fn update(&self, bytes: Vec<u8>) {
        self.0.borrow_mut().update(&bytes);
    }

    fn finish(&self) -> Vec<u8> {
        self.0.borrow().clone().finalize().to_vec()
    }
}

/// wasi:http as a runtime offers it trusts only the public roots.
impl exports::wkg::host::network::Guest for Provider {
    fn trusts_configured_roots() -> bool {
        false
    }
}

/// No native arithmetic here: the component checks signatures itself.
impl exports::wkg::host::signatures::Guest for Provider {
    fn verify_ecdsa(
        _curve: exports::wkg::host::signatures::Curve,
        _hash: exports::wkg::host::signatures::Hash,
        _point: Vec<u8>,
        _signed: exports::wkg::host::signatures::Signed,
        _signature: Vec<u8>,
    ) -> Option<bool> {
        None
    }
}

export!(Provider);
