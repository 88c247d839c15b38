//! SHA-256 through the host (`wkg:host/sha256`, `wit/host.wit`): with the
//! CPU's SHA instructions under the native host, in wasm in the standalone
//! `wkg.wasm` (its provider). Every digest of content the component checks
//! or publishes is computed here; small JSON documents (manifests, configs)
//! are hashed in place by the core.

use std::path::Path;

use wkg_core::digest::Digest;

use crate::bindings::wkg::host::sha256::Hasher;

/// A running SHA-256 and byte count.
#[derive(Debug)]
pub struct Sha256 {
    hasher: Hasher,
    bytes: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

impl Sha256 {
    pub fn new() -> Sha256 {
        Sha256 {
            hasher: Hasher::new(),
            bytes: 0,
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
    }

    /// The digest and byte count of everything added.
    pub fn finish(self) -> (Digest, u64) {
        let out = self.hasher.finish();
        let bytes: [u8; 32] = out
            .try_into()
            .unwrap_or_else(|out: Vec<u8>| panic!("a SHA-256 of {} bytes", out.len()));
        (Digest::from_sha256_bytes(&bytes), self.bytes)
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
