//! The Merkle tree of RFC 6962 §2.1 (RFC 9162 §2.1): tree heads, inclusion proofs and consistency
//! proofs, generated from leaf hashes and verified against a root.
//!
//! Hashes: `leaf = SHA-256(0x00 ‖ data)`, `node = SHA-256(0x01 ‖ left ‖ right)`; the empty tree's
//! root is `SHA-256("")`. The 0x00/0x01 prefixes are RFC 6962's own domain separation, so a leaf
//! can never be passed off as an interior node (the second-preimage attack on plain Merkle trees).
//! Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, and rejects a proof with a
//! hash too many or too few.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use base16ct::lower::encode_string as hex;
use sha2::{Digest, Sha256};

/// A SHA-256 value: a leaf hash, an interior node or a tree head.
pub type Hash = [u8; 32];

/// Why a proof does not verify. Each variant says which check failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index claimed.
        index: u64,
        /// The tree size claimed.
        size: u64,
    },
    /// The sizes of a consistency proof are out of order.
    #[error("a consistency proof needs 0 < old size ({old}) <= new size ({new})")]
    BadSizes {
        /// The older tree's size.
        old: u64,
        /// The newer tree's size.
        new: u64,
    },
    /// The proof has more hashes than its tree sizes call for.
    #[error("the proof has {found} hashes, more than these tree sizes call for")]
    TooManyHashes {
        /// Hashes given.
        found: usize,
    },
    /// The proof ends before reaching the root its tree sizes call for.
    #[error("the proof has {found} hashes, fewer than these tree sizes call for")]
    TooFewHashes {
        /// Hashes given.
        found: usize,
    },
    /// The recomputed root differs from the claimed one.
    #[error("the proof leads to root {computed}, not the claimed {claimed}")]
    RootMismatch {
        /// The root the proof computes, hex.
        computed: String,
        /// The root claimed, hex.
        claimed: String,
    },
}

/// The leaf hash of `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The interior node over `left` and `right`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two strictly less than `n` (`n` ≥ 2): where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The tree head (MTH) over these leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => Sha256::digest(b"").into(),
        [leaf] => *leaf,
        _ => {
            let k = split(leaves.len());
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path (RFC 6962 §2.1.1 PATH) for leaf `index` in the tree over `leaves`, leaf side
/// first.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Result<Vec<Hash>, ProofError> {
    inclusion_proof_with(leaves.len() as u64, index as u64, &mut |a, b| {
        Ok(root(&leaves[a as usize..b as usize]))
    })
}

/// The consistency proof (RFC 6962 §2.1.2 PROOF) that the tree over the first `old_size` leaves is
/// a prefix of the tree over all `leaves`.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Result<Vec<Hash>, ProofError> {
    consistency_proof_with(old_size as u64, leaves.len() as u64, &mut |a, b| {
        Ok(root(&leaves[a as usize..b as usize]))
    })
}

/// [`inclusion_proof`] for a tree of `size` leaves held elsewhere (a database): `subtree(a, b)`
/// gives the head of the tree over leaves `a..b`, and is only asked for ranges RFC 6962's
/// recursion produces (see [`subtree_from_nodes`]).
pub fn inclusion_proof_with<E: From<ProofError>>(
    size: u64,
    index: u64,
    subtree: &mut impl FnMut(u64, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size }.into());
    }
    let mut proof = Vec::new();
    path(0, size, index, subtree, &mut proof)?;
    Ok(proof)
}

/// [`consistency_proof`] for trees held elsewhere, as [`inclusion_proof_with`].
pub fn consistency_proof_with<E: From<ProofError>>(
    old_size: u64,
    size: u64,
    subtree: &mut impl FnMut(u64, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    if old_size == 0 || old_size > size {
        return Err(ProofError::BadSizes {
            old: old_size,
            new: size,
        }
        .into());
    }
    let mut proof = Vec::new();
    subproof(old_size, 0, size, true, subtree, &mut proof)?;
    Ok(proof)
}

fn path<E>(
    start: u64,
    end: u64,
    index: u64,
    subtree: &mut impl FnMut(u64, u64) -> Result<Hash, E>,
    proof: &mut Vec<Hash>,
) -> Result<(), E> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n as usize) as u64;
    if index < k {
        path(start, start + k, index, subtree, proof)?;
        proof.push(subtree(start + k, end)?);
    } else {
        path(start + k, end, index - k, subtree, proof)?;
        proof.push(subtree(start, start + k)?);
    }
    Ok(())
}

fn subproof<E>(
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    subtree: &mut impl FnMut(u64, u64) -> Result<Hash, E>,
    proof: &mut Vec<Hash>,
) -> Result<(), E> {
    let n = end - start;
    if m == n {
        if !complete {
            proof.push(subtree(start, end)?);
        }
        return Ok(());
    }
    let k = split(n as usize) as u64;
    if m <= k {
        subproof(m, start, start + k, complete, subtree, proof)?;
        proof.push(subtree(start + k, end)?);
    } else {
        subproof(m - k, start + k, end, false, subtree, proof)?;
        proof.push(subtree(start, start + k)?);
    }
    Ok(())
}

/// The head of the tree over leaves `start..end` from stored complete subtrees: `node(level, i)`
/// is the head of the `2^level` leaves from `i · 2^level`, stored once that subtree is complete
/// (what [`Frontier::push`] reports). Ranges from RFC 6962's recursion start on a multiple of
/// their left part's size, so every lookup is of a complete, aligned subtree.
pub fn subtree_from_nodes<E>(
    start: u64,
    end: u64,
    node: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Hash, E> {
    let n = end - start;
    if n == 0 {
        return Ok(Sha256::digest(b"").into());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let level = n.trailing_zeros();
        return node(level, start >> level);
    }
    let k = split(n as usize) as u64;
    let left = subtree_from_nodes(start, start + k, node)?;
    let right = subtree_from_nodes(start + k, end, node)?;
    Ok(node_hash(&left, &right))
}

/// The right edge of a growing tree: the heads of its complete subtrees, largest first (one per
/// set bit of the size). Enough to append a leaf and to compute the tree head without the leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    subtrees: Vec<Hash>,
}

impl Frontier {
    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns the subtrees this completes as `(level, index, head)`, the
    /// leaf itself (level 0) first.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let mut completed = Vec::new();
        self.push_with(leaf, |level, index, head| {
            completed.push((level, index, head))
        });
        completed
    }

    /// Appends a leaf hash, keeping only the right edge (no allocation: the verifier's pass over
    /// every leaf).
    pub fn append(&mut self, leaf: Hash) {
        self.push_with(leaf, |_, _, _| {});
    }

    fn push_with(&mut self, leaf: Hash, mut completed: impl FnMut(u32, u64, Hash)) {
        completed(0, self.size, leaf);
        let mut head = leaf;
        let mut index = self.size;
        let mut level = 0;
        while index & 1 == 1 {
            let left = self.subtrees.pop().unwrap_or_default();
            head = node_hash(&left, &head);
            index >>= 1;
            level += 1;
            completed(level, index, head);
        }
        self.subtrees.push(head);
        self.size += 1;
    }

    /// The tree head (MTH) of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(last) = subtrees.next() else {
            return Sha256::digest(b"").into();
        };
        subtrees.fold(*last, |right, left| node_hash(left, &right))
    }

    /// The stored form: the size (8 bytes, big-endian) and the subtree heads.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.size.to_be_bytes().to_vec();
        for head in &self.subtrees {
            out.extend_from_slice(head);
        }
        out
    }

    /// Reads [`Frontier::to_bytes`]; `None` if the bytes do not describe a frontier.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (size, rest) = bytes.split_first_chunk::<8>()?;
        let size = u64::from_be_bytes(*size);
        let (heads, tail) = rest.as_chunks::<32>();
        if !tail.is_empty() || heads.len() != size.count_ones() as usize {
            return None;
        }
        Some(Self {
            size,
            subtrees: heads.to_vec(),
        })
    }
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves whose head is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::TooManyHashes { found: proof.len() });
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
        return Err(ProofError::TooFewHashes { found: proof.len() });
    }
    if &r != root {
        return Err(ProofError::RootMismatch {
            computed: hex(&r),
            claimed: hex(root),
        });
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with head `old_root` is a prefix of the tree of
/// `new_size` leaves with head `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old_size == 0 || old_size > new_size {
        return Err(ProofError::BadSizes {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::TooManyHashes { found: proof.len() });
        }
        if old_root != new_root {
            return Err(ProofError::RootMismatch {
                computed: hex(old_root),
                claimed: hex(new_root),
            });
        }
        return Ok(());
    }
    // Step 2: if the old size is a power of two, the old root is the first hash.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::TooFewHashes { found: 0 });
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::TooManyHashes { found: proof.len() });
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::TooFewHashes { found: proof.len() });
    }
    if &fr != old_root {
        return Err(ProofError::RootMismatch {
            computed: hex(&fr),
            claimed: hex(old_root),
        });
    }
    if &sr != new_root {
        return Err(ProofError::RootMismatch {
            computed: hex(&sr),
            claimed: hex(new_root),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's way — a frontier, stored complete subtrees, proofs from them — agrees with
    /// the in-memory tree on every size and index up to 70 leaves.
    #[test]
    fn frontier_and_stored_nodes_give_the_same_heads_and_proofs() {
        let leaves: Vec<Hash> = (0u8..70).map(|i| leaf_hash(&[i])).collect();
        let mut frontier = Frontier::default();
        let mut nodes = std::collections::HashMap::new();
        for (n, leaf) in leaves.iter().enumerate() {
            for (level, index, head) in frontier.push(*leaf) {
                assert!(nodes.insert((level, index), head).is_none());
            }
            let size = n + 1;
            assert_eq!(frontier.root(), root(&leaves[..size]), "size {size}");
            assert_eq!(
                Frontier::from_bytes(&frontier.to_bytes()),
                Some(frontier.clone())
            );
            let mut node = |level: u32, index: u64| {
                nodes
                    .get(&(level, index))
                    .copied()
                    .ok_or(ProofError::IndexOutOfRange { index, size: 0 })
            };
            let mut subtree = |a, b| subtree_from_nodes(a, b, &mut node);
            for index in 0..size {
                assert_eq!(
                    inclusion_proof_with(size as u64, index as u64, &mut subtree).unwrap(),
                    inclusion_proof(&leaves[..size], index).unwrap()
                );
            }
            for old in 1..=size {
                assert_eq!(
                    consistency_proof_with(old as u64, size as u64, &mut subtree).unwrap(),
                    consistency_proof(&leaves[..size], old).unwrap()
                );
            }
        }
        assert_eq!(Frontier::from_bytes(&[0; 9]), None);
        assert_eq!(Frontier::from_bytes(&[0, 0, 0, 0, 0, 0, 0, 1]), None);
    }
    use proptest::prelude::*;

    /// The eight leaves of the RFC 6962 test tree used by certificate-transparency and Trillian.
    fn test_leaves() -> Vec<Hash> {
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        data.iter().map(|d| leaf_hash(d)).collect()
    }

    fn unhex(text: &str) -> Hash {
        base16ct::lower::decode_vec(text)
            .unwrap()
            .try_into()
            .unwrap()
    }

    /// Tree heads of the first 1..=8 test leaves, as published with the certificate-transparency
    /// test vectors (and recomputed independently with Python's hashlib).
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn tree_heads_match_the_published_vectors() {
        let leaves = test_leaves();
        for (size, expected) in ROOTS.iter().enumerate() {
            assert_eq!(root(&leaves[..=size]), unhex(expected), "size {}", size + 1);
        }
        assert_eq!(
            root(&[]),
            unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    #[test]
    fn inclusion_proof_of_leaf_0_in_8_matches_the_published_path() {
        let proof = inclusion_proof(&test_leaves(), 0).unwrap();
        let expected = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(proof, expected.map(unhex).to_vec());
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_inclusion_and_consistency_proof_verifies_up_to_33_leaves() {
        for size in 1..=33usize {
            let all = leaves(size);
            let head = root(&all);
            for index in 0..size {
                let proof = inclusion_proof(&all, index).unwrap();
                verify_inclusion(&all[index], index as u64, size as u64, &proof, &head).unwrap();
            }
            for old in 1..=size {
                let proof = consistency_proof(&all, old).unwrap();
                let old_head = root(&all[..old]);
                verify_consistency(old as u64, size as u64, &proof, &old_head, &head).unwrap();
            }
        }
    }

    #[test]
    fn rejects_a_flipped_bit_in_any_proof_hash() {
        let all = leaves(13);
        let head = root(&all);
        let proof = inclusion_proof(&all, 5).unwrap();
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][7] ^= 0x10;
            let err = verify_inclusion(&all[5], 5, 13, &bad, &head).unwrap_err();
            assert!(matches!(err, ProofError::RootMismatch { .. }), "{err}");
        }
        let proof = consistency_proof(&all, 6).unwrap();
        let old_head = root(&all[..6]);
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][0] ^= 1;
            assert!(verify_consistency(6, 13, &bad, &old_head, &head).is_err());
        }
    }

    #[test]
    fn rejects_truncated_and_extended_proofs() {
        let all = leaves(13);
        let head = root(&all);
        let proof = inclusion_proof(&all, 5).unwrap();
        let short = &proof[..proof.len() - 1];
        assert_eq!(
            verify_inclusion(&all[5], 5, 13, short, &head),
            Err(ProofError::TooFewHashes {
                found: proof.len() - 1
            })
        );
        let mut long = proof.clone();
        long.push(head);
        assert_eq!(
            verify_inclusion(&all[5], 5, 13, &long, &head),
            Err(ProofError::TooManyHashes { found: long.len() })
        );
        let proof = consistency_proof(&all, 6).unwrap();
        let old_head = root(&all[..6]);
        assert!(matches!(
            verify_consistency(6, 13, &proof[..proof.len() - 1], &old_head, &head),
            Err(ProofError::TooFewHashes { .. })
        ));
    }

    #[test]
    fn rejects_the_wrong_leaf_index_size_or_root() {
        let all = leaves(8);
        let head = root(&all);
        let proof = inclusion_proof(&all, 3).unwrap();
        assert!(verify_inclusion(&all[3], 2, 8, &proof, &head).is_err());
        // (A wrong tree size alone can leave the path's shape unchanged, e.g. index 3 in 5..=8
        // leaves; the size is bound to the root by the signed checkpoint, not by this proof.)
        assert!(verify_inclusion(&all[4], 3, 8, &proof, &head).is_err());
        assert!(verify_inclusion(&all[3], 3, 8, &proof, &root(&all[..7])).is_err());
        assert_eq!(
            verify_inclusion(&all[3], 8, 8, &proof, &head),
            Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
        );
        assert_eq!(
            inclusion_proof(&all, 8),
            Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
        );
    }

    #[test]
    fn rejects_a_forked_log() {
        // A second log that rewrites leaf 3, inside the older tree heads checked below.
        let honest = leaves(9);
        let mut forked = honest.clone();
        forked[3] = leaf_hash(b"forged");
        let proof = consistency_proof(&forked, 6).unwrap();
        let err = verify_consistency(6, 9, &proof, &root(&honest[..6]), &root(&forked));
        assert!(
            matches!(err, Err(ProofError::RootMismatch { .. })),
            "{err:?}"
        );
        let err = verify_consistency(
            7,
            9,
            &consistency_proof(&forked, 7).unwrap(),
            &root(&honest[..7]),
            &root(&forked),
        );
        assert!(
            matches!(err, Err(ProofError::RootMismatch { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_consistency_sizes_out_of_order() {
        let head = root(&leaves(4));
        assert_eq!(
            verify_consistency(0, 4, &[], &head, &head),
            Err(ProofError::BadSizes { old: 0, new: 4 })
        );
        assert_eq!(
            verify_consistency(5, 4, &[], &head, &head),
            Err(ProofError::BadSizes { old: 5, new: 4 })
        );
        assert_eq!(
            verify_consistency(4, 4, &[head], &head, &head),
            Err(ProofError::TooManyHashes { found: 1 })
        );
        assert_eq!(
            consistency_proof(&leaves(4), 0),
            Err(ProofError::BadSizes { old: 0, new: 4 })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Boundary sizes (255, 256, 257 leaves) and random ones: a proof exists and verifies for
        /// every index and tree size drawn.
        #[test]
        fn proofs_verify_at_boundary_and_random_sizes(
            size in prop_oneof![Just(1usize), Just(255usize), Just(256usize), Just(257usize), 2usize..600],
            at in any::<prop::sample::Index>(),
            old in any::<prop::sample::Index>(),
        ) {
            let all = leaves(size);
            let head = root(&all);
            let index = at.index(size);
            let proof = inclusion_proof(&all, index).unwrap();
            prop_assert!(verify_inclusion(&all[index], index as u64, size as u64, &proof, &head).is_ok());
            let old = old.index(size) + 1;
            let proof = consistency_proof(&all, old).unwrap();
            prop_assert!(verify_consistency(old as u64, size as u64, &proof, &root(&all[..old]), &head).is_ok());
        }
    }
}
