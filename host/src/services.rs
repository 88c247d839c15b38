//! The native `wkg:host/sha256`, `wkg:host/network` and
//! `wkg:host/signatures` (`wit/host.wit`);
//! `wkg:host/credentials` is in [`crate::helpers`].

use sha2::{Digest as _, Sha256};
use wasmtime::component::Resource;

use crate::State;
use crate::bindings::wkg::host::{network, sha256, signatures};

/// A running SHA-256, in the run's resource table. The bytes are hashed on
/// a thread of their own, so the component goes on with its transfer while
/// they are (the lowered bytes are moved there, not copied).
#[derive(Debug)]
pub struct Hasher {
    /// Where `update` sends the bytes; `None` once finished.
    bytes: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    worker: Option<std::thread::JoinHandle<[u8; 32]>>,
    digest: Option<[u8; 32]>,
}

impl Hasher {
    fn new() -> Hasher {
        // A few chunks in flight at most: a transfer faster than the hashing
        // waits for it rather than queueing its bytes in memory.
        let (bytes, received) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let worker = std::thread::Builder::new()
            .name("wkg-sha256".into())
            .spawn(move || {
                let mut sha = Sha256::new();
                for chunk in received {
                    // The CPU's SHA instructions, where it has them (sha2 detects).
                    sha.update(&chunk);
                }
                sha.finalize().into()
            })
            .ok();
        Hasher {
            bytes: worker.is_some().then_some(bytes),
            worker,
            digest: None,
        }
    }

    fn finish(&mut self) -> [u8; 32] {
        if let Some(digest) = self.digest {
            return digest;
        }
        drop(self.bytes.take());
        let digest = self
            .worker
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_default();
        self.digest = Some(digest);
        digest
    }
}

impl sha256::Host for State {
    async fn native_hasher(&mut self) -> Option<Resource<Hasher>> {
        self.table.push(Hasher::new()).ok()
    }
}

impl sha256::HostHasher for State {
    async fn update(&mut self, hasher: Resource<Hasher>, bytes: Vec<u8>) {
        if let Ok(Some(tx)) = self.table.get(&hasher).map(|h| h.bytes.as_ref()) {
            let _ = tx.send(bytes);
        }
    }

    async fn finish(&mut self, hasher: Resource<Hasher>) -> Vec<u8> {
        match self.table.get_mut(&hasher) {
            Ok(h) => h.finish().to_vec(),
            Err(_) => Vec::new(),
        }
    }

    async fn drop(&mut self, hasher: Resource<Hasher>) -> wasmtime::Result<()> {
        // Dropping the sender ends the worker.
        self.table.delete(hasher)?;
        Ok(())
    }
}

impl network::Host for State {
    async fn trusts_configured_roots(&mut self) -> bool {
        true
    }
}

/// ECDSA checks natively: a signed message with ring where it has the
/// curve and hash (several times faster than the component's own
/// arithmetic compiled natively); a prehash, or a message ring refuses,
/// with the component's own check ([`wkg_core::sigstore::crypto::verify_ecdsa`]),
/// so that the verdict is always the component's.
impl signatures::Host for State {
    async fn verify_ecdsa(
        &mut self,
        curve: signatures::Curve,
        hash: signatures::Hash,
        point: Vec<u8>,
        signed: signatures::Signed,
        signature: Vec<u8>,
    ) -> Option<bool> {
        use wkg_core::sigstore::crypto::{Curve, Hash, verify_ecdsa};
        let hash = match hash {
            signatures::Hash::Sha256 => Hash::Sha256,
            signatures::Hash::Sha384 => Hash::Sha384,
            signatures::Hash::Sha512 => Hash::Sha512,
        };
        let curve = match curve {
            signatures::Curve::P256 => Curve::P256,
            signatures::Curve::P384 => Curve::P384,
        };
        let digest = match signed {
            signatures::Signed::Message(message) => {
                if let Some(algorithm) = ring_ecdsa(curve, hash) {
                    let key = ring::signature::UnparsedPublicKey::new(algorithm, &point);
                    if key.verify(&message, &signature).is_ok() {
                        return Some(true);
                    }
                }
                hash.digest(&message)
            }
            signatures::Signed::Digest(digest) => digest,
        };
        Some(verify_ecdsa(curve, &point, &digest, &signature))
    }
}

/// ring's algorithm for ECDSA on `curve` over `hash`, DER signatures.
fn ring_ecdsa(
    curve: wkg_core::sigstore::crypto::Curve,
    hash: wkg_core::sigstore::crypto::Hash,
) -> Option<&'static ring::signature::EcdsaVerificationAlgorithm> {
    use ring::signature::{
        ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA384_ASN1, ECDSA_P384_SHA256_ASN1,
        ECDSA_P384_SHA384_ASN1,
    };
    use wkg_core::sigstore::crypto::{Curve, Hash};
    match (curve, hash) {
        (Curve::P256, Hash::Sha256) => Some(&ECDSA_P256_SHA256_ASN1),
        (Curve::P256, Hash::Sha384) => Some(&ECDSA_P256_SHA384_ASN1),
        (Curve::P384, Hash::Sha256) => Some(&ECDSA_P384_SHA256_ASN1),
        (Curve::P384, Hash::Sha384) => Some(&ECDSA_P384_SHA384_ASN1),
        (_, Hash::Sha512) => None,
    }
}
