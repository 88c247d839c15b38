//! SHA-256 of the content the component moves: by the host when it offers
//! a native hasher (`wkg:host/sha256`, `wit/host.wit`: the native `wkg`,
//! with the CPU's SHA instructions, on another thread), else here in wasm
//! (the standalone `wkg.wasm`). Small JSON documents (manifests, configs)
//! are hashed in place by the core.

use std::path::Path;

use wkg_core::digest::{Digest, Verifier};

use crate::bindings::wkg::host::sha256::{Hasher, native_hasher};

/// A running SHA-256 and byte count.
#[derive(Debug)]
pub enum Sha256 {
    Host { hasher: Hasher, bytes: u64 },
    Here(Verifier),
}

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

impl Sha256 {
    pub fn new() -> Sha256 {
        match native_hasher() {
            Some(hasher) => Sha256::Host { hasher, bytes: 0 },
            None => Sha256::Here(Verifier::new()),
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Sha256::Host { hasher, bytes } => {
                hasher.update(data);
                *bytes += data.len() as u64;
            }
            Sha256::Here(verifier) => verifier.update(data),
        }
    }

    /// The digest and byte count of everything added.
    pub fn finish(self) -> (Digest, u64) {
        match self {
            Sha256::Host { hasher, bytes } => {
                let out = hasher.finish();
                let digest: [u8; 32] = out
                    .try_into()
                    .unwrap_or_else(|out: Vec<u8>| panic!("a SHA-256 of {} bytes", out.len()));
                (Digest::from_sha256_bytes(&digest), bytes)
            }
            Sha256::Here(verifier) => verifier.finish(),
        }
    }
}

/// The digest and size of the file at `path`.
///
/// # Errors
/// The file cannot be opened or read.
pub fn file(path: &Path) -> std::io::Result<(Digest, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(sha.finish()),
            Ok(n) => sha.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
