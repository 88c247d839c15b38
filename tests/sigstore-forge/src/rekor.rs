//! The transparency log, as Rekor v1 runs it: canonical entry bodies
//! (`hashedrekord` and `dsse` 0.0.1), the signed entry timestamp that
//! promises an entry's inclusion, and an inclusion proof in an RFC 6962
//! Merkle tree ending at a checkpoint the log signs as a C2SP signed note.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::SigningKey;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::ca::{sign, spki_der};

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The body Rekor records for a `hashedrekord` 0.0.1 entry: the
/// artifact's SHA-256 (hex), the signature and the signer's PEM
/// certificate (both base64). Keys are written in sorted order, no
/// spaces, as Rekor canonicalizes them.
pub(crate) fn hashedrekord(digest: &[u8; 32], signature: &[u8], certificate_pem: &str) -> Vec<u8> {
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(digest)}},
            "signature": {
                "content": STANDARD.encode(signature),
                "publicKey": {"content": STANDARD.encode(certificate_pem)},
            },
        },
    })
    .to_string()
    .into_bytes()
}

/// The body Rekor records for a `dsse` 0.0.1 entry: the SHA-256 (hex) of
/// the envelope as submitted (`envelope_json`) and of its payload, and
/// each signature with its signer's PEM certificate (both base64).
pub(crate) fn dsse(
    envelope_json: &str,
    payload: &[u8],
    signature: &[u8],
    certificate_pem: &str,
) -> Vec<u8> {
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex(&Sha256::digest(envelope_json))},
            "payloadHash": {"algorithm": "sha256", "value": hex(&Sha256::digest(payload))},
            "signatures": [{
                "signature": STANDARD.encode(signature),
                "verifier": STANDARD.encode(certificate_pem),
            }],
        },
    })
    .to_string()
    .into_bytes()
}

/// A Rekor v1 log: its key, its tree id, its base URL.
#[derive(Debug)]
pub(crate) struct Log<'a> {
    pub key: &'a SigningKey,
    pub tree_id: u64,
}

/// The log's base URL; its host is the name it signs checkpoints under.
pub const BASE_URL: &str = "https://rekor.forge.invalid";
const NAME: &str = "rekor.forge.invalid";

/// An entry as the log returns it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub body: Vec<u8>,
    pub log_index: u64,
    pub log_id: [u8; 32],
    pub integrated_time: u64,
    /// The signed entry timestamp (DER).
    pub set: Vec<u8>,
    pub proof: Proof,
}

/// An inclusion proof and the checkpoint it ends at.
#[derive(Debug, Clone)]
pub(crate) struct Proof {
    pub tree_size: u64,
    pub root_hash: [u8; 32],
    /// Leaf to root.
    pub hashes: Vec<[u8; 32]>,
    pub checkpoint: String,
}

/// Entries logged after ours in each tree, so the proof climbs on both
/// sides.
const LATER_ENTRIES: u64 = 3;

impl Log<'_> {
    /// The log id: SHA-256 of the key's DER `SubjectPublicKeyInfo`.
    pub fn id(&self) -> [u8; 32] {
        Sha256::digest(spki_der(self.key)).into()
    }

    /// Logs `body` as entry `log_index` at `integrated_time`, in a tree of
    /// `log_index + 4` entries (the others are filler), and returns it
    /// with its signed entry timestamp and inclusion proof. With
    /// `tamper_checkpoint`, the checkpoint's signature is over other text.
    /// Hashes `O(n log n)` leaves: keep `log_index` small.
    pub fn append(
        &self,
        body: Vec<u8>,
        log_index: u64,
        integrated_time: u64,
        tamper_checkpoint: bool,
    ) -> Entry {
        let log_id = self.id();
        let encoded = STANDARD.encode(&body);
        // The canonical JSON of `{body, integratedTime, logID, logIndex}`.
        let promised = format!(
            "{{\"body\":\"{encoded}\",\"integratedTime\":{integrated_time},\"logID\":\"{}\",\"logIndex\":{log_index}}}",
            hex(&log_id)
        );
        let set = sign(self.key, promised.as_bytes());

        let tree_size = log_index + 1 + LATER_ENTRIES;
        let leaves: Vec<[u8; 32]> = (0..tree_size)
            .map(|i| {
                if i == log_index {
                    leaf_hash(&body)
                } else {
                    leaf_hash(format!("sigstore-forge filler entry {i}").as_bytes())
                }
            })
            .collect();
        let index = usize::try_from(log_index).expect("a log index that fits in memory");
        let root_hash = tree_hash(&leaves);
        let hashes = audit_path(index, &leaves);
        let checkpoint = self.checkpoint(tree_size, &root_hash, tamper_checkpoint);
        Entry {
            body,
            log_index,
            log_id,
            integrated_time,
            set,
            proof: Proof {
                tree_size,
                root_hash,
                hashes,
                checkpoint,
            },
        }
    }

    /// The signed checkpoint of a tree: origin `<host> - <tree id>`, size,
    /// base64 root hash, a blank line, then `— <host> base64(key hint ||
    /// signature)` where the key hint is the first four bytes of the log
    /// id.
    fn checkpoint(&self, size: u64, root: &[u8; 32], tamper: bool) -> String {
        let text = format!(
            "{NAME} - {}\n{size}\n{}\n",
            self.tree_id,
            STANDARD.encode(root)
        );
        let signed = if tamper {
            format!("{text}tampered\n")
        } else {
            text.clone()
        };
        let mut line = self.id()[..4].to_vec();
        line.extend_from_slice(&sign(self.key, signed.as_bytes()));
        format!("{text}\n\u{2014} {NAME} {}\n", STANDARD.encode(line))
    }
}

/// `SHA-256(0x00 || data)` (RFC 6962 §2.1).
fn leaf_hash(data: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0])
        .chain_update(data)
        .finalize()
        .into()
}

/// `SHA-256(0x01 || left || right)`.
fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([1])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The largest power of two below `n` (`n > 1`).
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH of RFC 6962 §2.1 over leaf hashes (at least one).
fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    if let [leaf] = leaves {
        return *leaf;
    }
    let k = split(leaves.len());
    node_hash(&tree_hash(&leaves[..k]), &tree_hash(&leaves[k..]))
}

/// PATH(m, D[n]) of RFC 6962 §2.1.1, leaf to root.
fn audit_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    let (mut path, sibling) = if m < k {
        (audit_path(m, &leaves[..k]), tree_hash(&leaves[k..]))
    } else {
        (audit_path(m - k, &leaves[k..]), tree_hash(&leaves[..k]))
    };
    path.push(sibling);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_the_largest_power_of_two_below() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8)];
        for (n, k) in cases {
            assert_eq!(split(n), k, "{n}");
        }
    }

    #[test]
    fn a_path_recomputes_the_root() {
        let leaves: Vec<[u8; 32]> = (0u8..7).map(|i| leaf_hash(&[i])).collect();
        let root = tree_hash(&leaves);
        // Entry 4 of 7: its sibling 5, then 6, then the left subtree 0..4.
        let path = audit_path(4, &leaves);
        assert_eq!(path.len(), 3);
        let up = node_hash(&node_hash(&leaves[4], &path[0]), &path[1]);
        assert_eq!(node_hash(&path[2], &up), root);
    }
}
