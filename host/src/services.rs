//! The native `wkg:host/sha256` and `wkg:host/network` (`wit/host.wit`);
//! `wkg:host/credentials` is in [`crate::helpers`].

use sha2::{Digest as _, Sha256};
use wasmtime::component::Resource;

use crate::State;
use crate::bindings::wkg::host::{network, sha256};

/// A running SHA-256, in the run's resource table.
#[derive(Debug)]
pub struct Hasher(Sha256);

impl sha256::Host for State {}

impl sha256::HostHasher for State {
    async fn new(&mut self) -> Resource<Hasher> {
        self.table
            .push(Hasher(Sha256::new()))
            .expect("the resource table has room")
    }

    async fn update(&mut self, hasher: Resource<Hasher>, bytes: Vec<u8>) {
        if let Ok(h) = self.table.get_mut(&hasher) {
            // The CPU's SHA instructions, where it has them (sha2 detects).
            h.0.update(&bytes);
        }
    }

    async fn finish(&mut self, hasher: Resource<Hasher>) -> Vec<u8> {
        match self.table.get(&hasher) {
            Ok(h) => h.0.clone().finalize().to_vec(),
            Err(_) => Vec::new(),
        }
    }

    async fn drop(&mut self, hasher: Resource<Hasher>) -> wasmtime::Result<()> {
        self.table.delete(hasher)?;
        Ok(())
    }
}

impl network::Host for State {
    async fn trusts_configured_roots(&mut self) -> bool {
        true
    }
}
