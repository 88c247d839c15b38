//! (in progress: RFC 6962 inclusion proofs)

use super::Error;

/// SHA-256 of `0x00 || data`.
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// (in progress)
pub fn verify_inclusion(
    _leaf: &[u8; 32],
    _index: u64,
    _tree_size: u64,
    _proof: &[[u8; 32]],
    _root: &[u8; 32],
) -> Result<(), Error> {
    Err(Error::Rejected(
        "inclusion proofs are not verified yet".into(),
    ))
}
