//! Merkle tree hashes and inclusion proofs with SHA-256, as RFC 6962 §2.1
//! defines them and RFC 9162 §2.1.3.2 verifies them: the hash of a leaf is
//! `SHA-256(0x00 || data)`, of an inner node `SHA-256(0x01 || left ||
//! right)`.

use sha2::{Digest as _, Sha256};

use super::Error;

/// The hash of a leaf holding `data`: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an inner node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// How many hashes the inclusion proof of `index` in a tree of `tree_size`
/// leaves holds (`index < tree_size`): one per level below the point where
/// the paths to `index` and to the last leaf part, plus one per left
/// sibling above it.
fn proof_len(index: u64, tree_size: u64) -> u32 {
    let inner = u64::BITS - (index ^ (tree_size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    inner + border
}

/// Checks that `proof` proves the leaf whose hash is `leaf` to be entry
/// `index` (from 0) of the tree of `tree_size` leaves whose root hash is
/// `root`, by the algorithm of RFC 9162 §2.1.3.2.
///
/// # Errors
/// [`Error::Rejected`] for an index outside the tree, a proof of the wrong
/// length, or a proof that gives another root hash.
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: u64,
    tree_size: u64,
    proof: &[[u8; 32]],
    root: &[u8; 32],
) -> Result<(), Error> {
    if index >= tree_size {
        return Err(Error::Rejected(format!(
            "the inclusion proof is for entry {index} of a tree of {tree_size} entries, \
             which has no such entry"
        )));
    }
    let wrong_length = || {
        Error::Rejected(format!(
            "the inclusion proof for entry {index} of {tree_size} has {} hashes, not {}",
            proof.len(),
            proof_len(index, tree_size)
        ))
    };
    let mut f_n = index;
    let mut s_n = tree_size - 1;
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(wrong_length());
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(wrong_length());
    }
    if r != *root {
        return Err(Error::Rejected(format!(
            "the inclusion proof for entry {index} of {tree_size} gives root hash {}, \
             not the checkpoint's {}",
            hex(&r),
            hex(root)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962 §2.1: the largest power of two smaller than `n` (`n > 1`).
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[n]) of RFC 6962 §2.1, by its recursive definition.
    fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// PATH(m, D[n]) of RFC 6962 §2.1.1, by its recursive definition.
    fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<[u8; 32]> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// The leaves of the RFC 6962 test tree (certificate-transparency and
    /// transparency-dev/merkle test data).
    fn test_leaves() -> Vec<Vec<u8>> {
        vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            (0x50..0x58).collect(),
            (0x60..0x70).collect(),
            vec![0x70, 0x71],
        ]
    }

    #[test]
    fn hashes_of_leaves_and_nodes() {
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        // SHA-256(0x01 || 32 zero bytes || 32 zero bytes).
        let expected: [u8; 32] = Sha256::digest([[1u8].as_slice(), &[0u8; 64]].concat()).into();
        assert_eq!(node_hash(&[0; 32], &[0; 32]), expected);
    }

    #[test]
    fn roots_of_the_rfc6962_test_tree() {
        // The published roots of the first 1..=8 leaves.
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = test_leaves();
        for (n, root) in (1..).zip(roots) {
            assert_eq!(hex(&mth(&leaves[..n])), root, "size {n}");
        }
    }

    #[test]
    fn every_entry_of_trees_of_1_to_9_leaves() {
        let all = test_leaves();
        for n in 1..=9usize {
            let leaves = &all[..n];
            let root = mth(leaves);
            let size = n as u64;
            for m in 0..n {
                let leaf = leaf_hash(&leaves[m]);
                let index = m as u64;
                let proof = path(m, leaves);
                assert_eq!(proof.len() as u32, proof_len(index, size), "{m} of {n}");
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &proof, &root),
                    Ok(()),
                    "{m} of {n}"
                );
                // Another leaf, index, root or size.
                let other = leaf_hash(b"not in the tree");
                assert!(verify_inclusion(&other, index, size, &proof, &root).is_err());
                let mut bad_root = root;
                bad_root[0] ^= 1;
                assert!(verify_inclusion(&leaf, index, size, &proof, &bad_root).is_err());
                for wrong in 0..n {
                    if wrong != m {
                        assert!(
                            verify_inclusion(&leaf, wrong as u64, size, &proof, &root).is_err(),
                            "{m} as {wrong} of {n}"
                        );
                    }
                }
                // Another size: a proof of the same length can give the
                // same root (entry 0 of 3 and of 4), which is why the
                // checkpoint signs the size; one of another length fails.
                for wrong_size in 1..=10u64 {
                    if index < wrong_size && proof_len(index, wrong_size) as usize != proof.len() {
                        assert!(
                            verify_inclusion(&leaf, index, wrong_size, &proof, &root).is_err(),
                            "{m} of {n} as of {wrong_size}"
                        );
                    }
                }
                // Each hash flipped, one hash too many or too few.
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i][31] ^= 0x80;
                    assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
                }
                let mut longer = proof.clone();
                longer.push([0; 32]);
                assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
                if !proof.is_empty() {
                    let shorter = &proof[..proof.len() - 1];
                    assert!(verify_inclusion(&leaf, index, size, shorter, &root).is_err());
                }
                // Out of the tree.
                assert!(verify_inclusion(&leaf, size, size, &proof, &root).is_err());
            }
        }
    }

    #[test]
    fn table() {
        let leaves = test_leaves();
        let root8 = mth(&leaves[..8]);
        let leaf = |i: usize| leaf_hash(&leaves[i]);
        type Case<'a> = (
            &'a str,
            [u8; 32],
            u64,
            u64,
            Vec<[u8; 32]>,
            [u8; 32],
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            ("single leaf", leaf(0), 0, 1, vec![], leaf(0), None),
            (
                "single leaf, a proof hash too many",
                leaf(0),
                0,
                1,
                vec![leaf(1)],
                leaf(0),
                Some("the inclusion proof for entry 0 of 1 has 1 hashes, not 0"),
            ),
            (
                "empty tree",
                leaf(0),
                0,
                0,
                vec![],
                mth(&[]),
                Some(
                    "the inclusion proof is for entry 0 of a tree of 0 entries, which has no such entry",
                ),
            ),
            (
                "index past the end",
                leaf(0),
                8,
                8,
                path(0, &leaves[..8]),
                root8,
                Some(
                    "the inclusion proof is for entry 8 of a tree of 8 entries, which has no such entry",
                ),
            ),
            (
                "entry 5 of 8",
                leaf(5),
                5,
                8,
                path(5, &leaves[..8]),
                root8,
                None,
            ),
            (
                "entry 5 of 8, a hash missing",
                leaf(5),
                5,
                8,
                path(5, &leaves[..8])[..2].to_vec(),
                root8,
                Some("the inclusion proof for entry 5 of 8 has 2 hashes, not 3"),
            ),
            (
                "entry 5 of 8, against the root of 7",
                leaf(5),
                5,
                8,
                path(5, &leaves[..8]),
                mth(&leaves[..7]),
                Some(
                    "the inclusion proof for entry 5 of 8 gives root hash \
                     5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328, not the \
                     checkpoint's ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                ),
            ),
            (
                "last of 7",
                leaf(6),
                6,
                7,
                path(6, &leaves[..7]),
                mth(&leaves[..7]),
                None,
            ),
            (
                "u64::MAX entries",
                leaf(0),
                u64::MAX - 1,
                u64::MAX,
                vec![],
                leaf(0),
                Some(
                    "the inclusion proof for entry 18446744073709551614 of 18446744073709551615 has 0 hashes, not 63",
                ),
            ),
        ];
        for (name, leaf, index, size, proof, root, want) in cases {
            let got = verify_inclusion(&leaf, index, size, &proof, &root);
            match want {
                None => assert_eq!(got, Ok(()), "{name}"),
                Some(message) => assert_eq!(got, Err(Error::Rejected(message.into())), "{name}"),
            }
        }
    }
}
