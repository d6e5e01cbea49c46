//! RFC 6962 / RFC 9162 §2.1 Merkle trees: Teller's `core::log` against `ct-merkle` 0.3 and
//! `tlog_tiles` 0.2 (docs/PROTOCOL.md §3).
//!
//! Every tree size 0..=300 and, for each, every leaf index and every older size; then boundary and
//! large sizes (up to 2^17 + 3) with sampled indices. Leaves are varied-length byte strings.

use std::collections::HashMap;

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::Sha256;
use teller::core::log::{
    Frontier, Hash, ProofError, consistency_proof, consistency_proof_with, inclusion_proof,
    inclusion_proof_with, leaf_hash, root, subtree_from_nodes, verify_consistency,
    verify_inclusion,
};
use tlog_tiles::tlog;

/// Every size, index and size pair is covered exhaustively up to here.
const EXHAUSTIVE: usize = 300;

/// Larger sizes: both sides of each power of two up to 2^17, and a few irregular ones.
const LARGE: [usize; 20] = [
    511, 512, 513, 1000, 1023, 1024, 1025, 4095, 4096, 4097, 10_007, 16_383, 16_384, 16_385,
    65_535, 65_536, 65_537, 100_003, 131_072, 131_075,
];

/// Leaf `i`'s data: 0 to 40 bytes, so leaf hashes cover empty and multi-block-boundary inputs.
fn leaf_data(i: usize) -> Vec<u8> {
    let len = (i * 7) % 41;
    (0..len)
        .map(|j| (i.wrapping_mul(31) + j * 17) as u8)
        .collect()
}

/// The same log held three ways: Teller's leaf hashes, frontier and stored complete subtrees (as
/// the server keeps them); ct-merkle's in-memory tree; tlog_tiles' stored-hash array.
struct Logs {
    leaves: Vec<Hash>,
    frontier: Frontier,
    nodes: HashMap<(u32, u64), Hash>,
    ct: MemoryBackedTree<Sha256, Vec<u8>>,
    tlog: Vec<tlog::Hash>,
}

/// Why a proof from stored nodes could not be made.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the fields are read through Debug in panic messages"
)]
enum Lookup {
    MissingNode { level: u32, index: u64 },
    Proof(ProofError),
}

impl From<ProofError> for Lookup {
    fn from(error: ProofError) -> Self {
        Self::Proof(error)
    }
}

/// tlog_tiles reads stored hashes by index.
struct Stored<'a>(&'a [tlog::Hash]);

impl tlog::HashReader for Stored<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog::Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl Logs {
    fn new() -> Self {
        Self {
            leaves: Vec::new(),
            frontier: Frontier::default(),
            nodes: HashMap::new(),
            ct: MemoryBackedTree::new(),
            tlog: Vec::new(),
        }
    }

    fn size(&self) -> usize {
        self.leaves.len()
    }

    fn push(&mut self) {
        let data = leaf_data(self.size());
        let leaf = leaf_hash(&data);
        assert_eq!(
            leaf,
            tlog::record_hash(&data).0,
            "leaf hash of leaf {}",
            self.size()
        );
        self.leaves.push(leaf);
        for (level, index, head) in self.frontier.push(leaf) {
            self.nodes.insert((level, index), head);
        }
        let stored = tlog::stored_hashes(self.frontier.size() - 1, &data, &Stored(&self.tlog))
            .expect("tlog_tiles stores the new record's hashes");
        self.tlog.extend(stored);
        self.ct.push(data);
    }

    fn grow_to(&mut self, size: usize) {
        while self.size() < size {
            self.push();
        }
    }

    /// Teller's subtree head from stored nodes (the server's way).
    fn subtree(&self, a: u64, b: u64) -> Result<Hash, Lookup> {
        subtree_from_nodes(a, b, &mut |level, index| {
            self.nodes
                .get(&(level, index))
                .copied()
                .ok_or(Lookup::MissingNode { level, index })
        })
    }

    /// The head of the first `size` leaves, computed by all sides; panics unless they agree.
    fn head(&self, size: usize) -> Hash {
        let teller = root(&self.leaves[..size]);
        let stored = self.subtree(0, size as u64).expect("stored nodes");
        let tlog = tlog::tree_hash(size as u64, &Stored(&self.tlog)).expect("tlog tree hash");
        assert_eq!(teller, stored, "Teller root vs stored nodes at size {size}");
        assert_eq!(teller, tlog.0, "Teller vs tlog_tiles root at size {size}");
        teller
    }

    /// Checks the tree head of the current size with every implementation.
    fn check_head(&self) -> Hash {
        let size = self.size();
        let head = self.head(size);
        assert_eq!(self.frontier.root(), head, "frontier root at size {size}");
        let ct = self.ct.root();
        assert_eq!(ct.num_leaves(), size as u64);
        assert_eq!(
            ct.as_bytes().as_slice(),
            head,
            "Teller vs ct-merkle root at size {size}"
        );
        head
    }

    /// Inclusion of `index` in the current tree: all proofs equal, each verified by all sides.
    fn check_inclusion(&self, index: usize, head: &Hash) {
        let size = self.size();
        let at = || format!("leaf {index} of {size}");
        let teller = inclusion_proof(&self.leaves, index).expect("index in range");
        let stored =
            inclusion_proof_with(size as u64, index as u64, &mut |a, b| self.subtree(a, b))
                .expect("stored nodes");
        assert_eq!(teller, stored, "{}: from leaves vs stored nodes", at());
        let ct = self.ct.prove_inclusion(index);
        assert_eq!(
            ct.as_bytes(),
            teller.concat(),
            "{}: Teller vs ct-merkle",
            at()
        );
        let tlog = tlog::prove_record(size as u64, index as u64, &Stored(&self.tlog))
            .expect("tlog_tiles proves the record");
        let tlog: Vec<Hash> = tlog.iter().map(|h| h.0).collect();
        assert_eq!(tlog, teller, "{}: Teller vs tlog_tiles", at());

        // Teller's proof, verified by the other two; theirs (equal bytes, but parsed from their
        // own types) verified by Teller.
        let data = leaf_data(index);
        let ct_root = RootHash::<Sha256>::new((*head).into(), size as u64);
        let proof =
            InclusionProof::<Sha256>::try_from_bytes(teller.concat()).expect("32-byte hashes");
        ct_root
            .verify_inclusion(&data, index as u64, &proof)
            .unwrap_or_else(|e| panic!("{}: ct-merkle rejects Teller's proof: {e}", at()));
        let as_tlog: Vec<tlog::Hash> = teller.iter().map(|h| tlog::Hash(*h)).collect();
        tlog::check_record(
            &as_tlog,
            size as u64,
            tlog::Hash(*head),
            index as u64,
            tlog::record_hash(&data),
        )
        .unwrap_or_else(|e| panic!("{}: tlog_tiles rejects Teller's proof: {e}", at()));
        let from_ct: Vec<Hash> = ct
            .as_bytes()
            .chunks(32)
            .map(|c| c.try_into().expect("32-byte chunks"))
            .collect();
        verify_inclusion(
            &self.leaves[index],
            index as u64,
            size as u64,
            &from_ct,
            head,
        )
        .unwrap_or_else(|e| panic!("{}: Teller rejects ct-merkle's proof: {e}", at()));
    }

    /// Consistency of the first `old` leaves with the current tree, as `check_inclusion`.
    fn check_consistency(&self, old: usize, old_head: &Hash, head: &Hash) {
        let size = self.size();
        let at = || format!("{old} -> {size}");
        let teller = consistency_proof(&self.leaves, old).expect("sizes in order");
        let stored =
            consistency_proof_with(old as u64, size as u64, &mut |a, b| self.subtree(a, b))
                .expect("stored nodes");
        assert_eq!(teller, stored, "{}: from leaves vs stored nodes", at());
        let ct = self.ct.prove_consistency(size - old);
        assert_eq!(
            ct.as_bytes(),
            teller.concat(),
            "{}: Teller vs ct-merkle",
            at()
        );
        let tlog = tlog::prove_tree(size as u64, old as u64, &Stored(&self.tlog))
            .expect("tlog_tiles proves the tree");
        let tlog: Vec<Hash> = tlog.iter().map(|h| h.0).collect();
        assert_eq!(tlog, teller, "{}: Teller vs tlog_tiles", at());

        let ct_old = RootHash::<Sha256>::new((*old_head).into(), old as u64);
        let ct_new = RootHash::<Sha256>::new((*head).into(), size as u64);
        let proof =
            ConsistencyProof::<Sha256>::try_from_bytes(teller.concat()).expect("32-byte hashes");
        ct_new
            .verify_consistency(&ct_old, &proof)
            .unwrap_or_else(|e| panic!("{}: ct-merkle rejects Teller's proof: {e}", at()));
        let as_tlog: Vec<tlog::Hash> = teller.iter().map(|h| tlog::Hash(*h)).collect();
        tlog::check_tree(
            &as_tlog,
            size as u64,
            tlog::Hash(*head),
            old as u64,
            tlog::Hash(*old_head),
        )
        .unwrap_or_else(|e| panic!("{}: tlog_tiles rejects Teller's proof: {e}", at()));
        let from_ct: Vec<Hash> = ct
            .as_bytes()
            .chunks(32)
            .map(|c| c.try_into().expect("32-byte chunks"))
            .collect();
        verify_consistency(old as u64, size as u64, &from_ct, old_head, head)
            .unwrap_or_else(|e| panic!("{}: Teller rejects ct-merkle's proof: {e}", at()));
    }
}

/// Sizes 0..=300: every tree head, every inclusion proof, every consistency proof (45,150 of
/// each), identical across the three implementations and cross-verified.
#[test]
fn agrees_with_ct_merkle_and_tlog_tiles_on_every_proof_up_to_300_leaves() {
    let mut logs = Logs::new();
    let empty = logs.check_head();
    assert_eq!(empty, tlog::EMPTY_HASH.0, "empty tree");
    let mut heads = vec![empty];
    let (mut inclusions, mut consistencies) = (0, 0);
    for size in 1..=EXHAUSTIVE {
        logs.push();
        let head = logs.check_head();
        heads.push(head);
        for index in 0..size {
            logs.check_inclusion(index, &head);
            inclusions += 1;
        }
        for (old, old_head) in heads.iter().enumerate().skip(1) {
            logs.check_consistency(old, old_head, &head);
            consistencies += 1;
        }
    }
    assert_eq!((inclusions, consistencies), (45_150, 45_150));
}

/// Indices worth checking in a tree of `size`: the ends, both sides of every power of two, and a
/// spread of others from a fixed linear congruential sequence.
fn sample(size: usize) -> Vec<usize> {
    let mut out = vec![0, 1, size / 2, size - 2, size - 1];
    let mut p = 1;
    while p < size {
        out.extend([p - 1, p, p + 1]);
        p *= 2;
    }
    let mut x = size as u64;
    for _ in 0..24 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        out.push((x >> 33) as usize % size);
    }
    out.retain(|&i| i < size);
    out.sort_unstable();
    out.dedup();
    out
}

/// Boundary and large sizes (511 to 131,075 leaves): heads agree, and sampled inclusion proofs
/// and consistency proofs from sampled older sizes agree and cross-verify.
#[test]
fn agrees_with_ct_merkle_and_tlog_tiles_at_large_sizes() {
    let mut logs = Logs::new();
    let mut checked = 0;
    for size in LARGE {
        logs.grow_to(size);
        let head = logs.check_head();
        let indices = sample(size);
        for &index in &indices {
            logs.check_inclusion(index, &head);
        }
        for &old in &indices {
            let old = old + 1;
            logs.check_consistency(old, &logs.head(old), &head);
        }
        checked += indices.len();
    }
    assert!(checked > 600, "{checked} indices sampled");
}

/// Agreement on refusals: a proof with one bit flipped, one hash too few or one too many, or a
/// leaf under the wrong index, is refused by Teller and by both other verifiers.
#[test]
fn refuses_every_altered_proof_that_ct_merkle_and_tlog_tiles_refuse() {
    let mut logs = Logs::new();
    let mut heads = vec![logs.check_head()];
    for size in 1..=40usize {
        logs.push();
        let head = logs.check_head();
        heads.push(head);
        let ct_root = RootHash::<Sha256>::new(head.into(), size as u64);
        for index in 0..size {
            let good = inclusion_proof(&logs.leaves, index).expect("index in range");
            let data = leaf_data(index);
            let mut altered: Vec<Vec<Hash>> = Vec::new();
            for i in 0..good.len() {
                let mut bad = good.clone();
                bad[i][i % 32] ^= 1 << (i % 8);
                altered.push(bad);
            }
            if !good.is_empty() {
                altered.push(good[..good.len() - 1].to_vec());
            }
            let mut long = good.clone();
            long.push(head);
            altered.push(long);
            for bad in altered {
                let teller =
                    verify_inclusion(&logs.leaves[index], index as u64, size as u64, &bad, &head);
                let ct = InclusionProof::<Sha256>::try_from_bytes(bad.concat())
                    .map_err(|e| e.to_string())
                    .and_then(|p| {
                        ct_root
                            .verify_inclusion(&data, index as u64, &p)
                            .map_err(|e| e.to_string())
                    });
                let as_tlog: Vec<tlog::Hash> = bad.iter().map(|h| tlog::Hash(*h)).collect();
                let tl = tlog::check_record(
                    &as_tlog,
                    size as u64,
                    tlog::Hash(head),
                    index as u64,
                    tlog::record_hash(&data),
                );
                assert!(
                    teller.is_err() && ct.is_err() && tl.is_err(),
                    "leaf {index} of {size}: Teller {teller:?}, ct-merkle {ct:?}, tlog_tiles {tl:?}"
                );
            }
            if size > 1 {
                let wrong = (index + 1) % size;
                assert!(
                    verify_inclusion(&logs.leaves[index], wrong as u64, size as u64, &good, &head)
                        .is_err()
                );
                assert!(
                    ct_root
                        .verify_inclusion(
                            &data,
                            wrong as u64,
                            &InclusionProof::try_from_bytes(good.concat()).expect("hashes")
                        )
                        .is_err()
                );
            }
        }
        for (old, old_head) in heads.iter().enumerate().skip(1) {
            let good = consistency_proof(&logs.leaves, old).expect("sizes in order");
            let mut altered: Vec<Vec<Hash>> = Vec::new();
            for i in 0..good.len() {
                let mut bad = good.clone();
                bad[i][31 - i % 32] ^= 0x80 >> (i % 8);
                altered.push(bad);
            }
            if !good.is_empty() {
                altered.push(good[..good.len() - 1].to_vec());
            }
            let mut long = good.clone();
            long.push(*old_head);
            altered.push(long);
            let ct_old = RootHash::<Sha256>::new((*old_head).into(), old as u64);
            for bad in altered {
                let teller = verify_consistency(old as u64, size as u64, &bad, old_head, &head);
                let ct = ConsistencyProof::<Sha256>::try_from_bytes(bad.concat())
                    .map_err(|e| e.to_string())
                    .and_then(|p| {
                        ct_root
                            .verify_consistency(&ct_old, &p)
                            .map_err(|e| e.to_string())
                    });
                let as_tlog: Vec<tlog::Hash> = bad.iter().map(|h| tlog::Hash(*h)).collect();
                let tl = tlog::check_tree(
                    &as_tlog,
                    size as u64,
                    tlog::Hash(head),
                    old as u64,
                    tlog::Hash(*old_head),
                );
                assert!(
                    teller.is_err() && ct.is_err() && tl.is_err(),
                    "{old} -> {size}: Teller {teller:?}, ct-merkle {ct:?}, tlog_tiles {tl:?}"
                );
            }
        }
    }
}
