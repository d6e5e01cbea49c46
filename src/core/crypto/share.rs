//! Trustee shares of the election secret key (docs/PROTOCOL.md §11): Shamir's t-of-n secret
//! sharing over the scalar field of Curve25519 (integers modulo ℓ = 2²⁵² + 2774…3ed), each share
//! committed in the manifest so a wrong share is caught before it can spoil the key reveal.
//!
//! The dealer (the `election create` step) draws the secret, hands each trustee its share, and
//! never stores the secret: only shares exist until t trustees bring theirs to the tally.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use curve25519_dalek::Scalar;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::hash::{Domain, Transcript};
use super::seal::{ElectionSecretKey, KeyOrigin};

/// Most trustees an election may have (share indices are one byte, 1..=255).
pub const MAX_TRUSTEES: u8 = 255;

/// Why sharing or reconstruction failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShareError {
    /// Threshold and trustee count out of range.
    #[error("need 1 <= threshold ({threshold}) <= trustees ({trustees}) <= {MAX_TRUSTEES}")]
    BadThreshold {
        /// t.
        threshold: usize,
        /// n.
        trustees: usize,
    },
    /// A share's value is not a canonical scalar (32 bytes, less than ℓ).
    #[error("share {index} is not a canonical scalar")]
    NotCanonical {
        /// The share's index.
        index: u8,
    },
    /// A share's index is 0 or beyond the trustee count.
    #[error("share index {index} is not between 1 and {trustees}")]
    BadIndex {
        /// The index found.
        index: u8,
        /// n.
        trustees: usize,
    },
    /// Two shares with one index.
    #[error("share {index} appears twice")]
    Duplicate {
        /// The repeated index.
        index: u8,
    },
    /// A share does not match the commitment the manifest published for its index.
    #[error("share {index} does not match its commitment in the manifest")]
    WrongShare {
        /// The share's index.
        index: u8,
    },
    /// Fewer shares than the threshold.
    #[error("{found} share(s) given, the threshold is {threshold}")]
    TooFew {
        /// Shares given.
        found: usize,
        /// t.
        threshold: usize,
    },
}

/// One trustee's share: its index (1..=n) and the value of the sharing polynomial there.
/// Redacted in `Debug`, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Share {
    index: u8,
    value: [u8; 32],
}

/// Constant time in the share's value.
impl PartialEq for Share {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                &self.value[..],
                &other.value[..],
            ))
    }
}

impl Eq for Share {}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Share({}, redacted)", self.index)
    }
}

impl Share {
    /// A share from its parts; the value must be a canonical scalar.
    pub fn new(index: u8, value: [u8; 32]) -> Result<Self, ShareError> {
        if index == 0 {
            return Err(ShareError::BadIndex { index, trustees: 0 });
        }
        if Option::<Scalar>::from(Scalar::from_canonical_bytes(value)).is_none() {
            return Err(ShareError::NotCanonical { index });
        }
        Ok(Self { index, value })
    }

    /// The share's index, 1..=n.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The share's value (published at the key reveal).
    pub fn value(&self) -> [u8; 32] {
        self.value
    }

    /// What the manifest publishes for this share: for a dealt key `SHA-256(tag ‖ index ‖
    /// value)`; for a key from the ceremony the verifying share `value·B` (compressed Edwards).
    pub fn commitment_for(&self, origin: KeyOrigin) -> [u8; 32] {
        match origin {
            KeyOrigin::Dealer => self.commitment(),
            KeyOrigin::Ceremony => curve25519_dalek::EdwardsPoint::mul_base(&self.scalar())
                .compress()
                .to_bytes(),
        }
    }

    /// `SHA-256(tag ‖ index ‖ value)`: what the manifest publishes for a dealt share.
    pub fn commitment(&self) -> [u8; 32] {
        Transcript::new(Domain::ShareCommitment)
            .fixed(&[self.index])
            .fixed(&self.value)
            .hash()
    }

    fn scalar(&self) -> Scalar {
        // Checked canonical in `new`; a non-canonical value cannot be constructed.
        Scalar::from_bytes_mod_order(self.value)
    }
}

/// A fresh election secret key and its `trustees` shares, any `threshold` of which rebuild it.
pub fn deal(
    threshold: usize,
    trustees: usize,
    rng: &mut impl rand::CryptoRng,
) -> Result<(ElectionSecretKey, Vec<Share>), ShareError> {
    if threshold == 0 || threshold > trustees || trustees > usize::from(MAX_TRUSTEES) {
        return Err(ShareError::BadThreshold {
            threshold,
            trustees,
        });
    }
    let mut coefficients: Vec<Scalar> = (0..threshold)
        .map(|_| {
            let mut wide = [0u8; 64];
            rng.fill_bytes(&mut wide);
            let scalar = Scalar::from_bytes_mod_order_wide(&wide);
            wide.zeroize();
            scalar
        })
        .collect();
    let secret = ElectionSecretKey::from_bytes(coefficients[0].to_bytes());
    let shares = (1..=trustees)
        .map(|i| {
            let x = Scalar::from(i as u64);
            // Horner's rule, highest coefficient first.
            let y = coefficients
                .iter()
                .rev()
                .fold(Scalar::ZERO, |acc, c| acc * x + c);
            Share {
                index: i as u8,
                value: y.to_bytes(),
            }
        })
        .collect();
    coefficients.zeroize();
    Ok((secret, shares))
}

/// Checks each share against its commitment (`commitments[index − 1]`, of the kind `origin`
/// makes) and rebuilds the secret key from at least `threshold` of them by Lagrange
/// interpolation at 0.
pub fn reconstruct(
    shares: &[Share],
    commitments: &[[u8; 32]],
    threshold: usize,
    origin: KeyOrigin,
) -> Result<ElectionSecretKey, ShareError> {
    let mut seen = [false; 256];
    for share in shares {
        let index = share.index;
        if index == 0 || usize::from(index) > commitments.len() {
            return Err(ShareError::BadIndex {
                index,
                trustees: commitments.len(),
            });
        }
        if std::mem::replace(&mut seen[usize::from(index)], true) {
            return Err(ShareError::Duplicate { index });
        }
        if share.commitment_for(origin) != commitments[usize::from(index) - 1] {
            return Err(ShareError::WrongShare { index });
        }
    }
    if shares.len() < threshold || threshold == 0 {
        return Err(ShareError::TooFew {
            found: shares.len(),
            threshold,
        });
    }
    let mut secret = Scalar::ZERO;
    for share in shares {
        let xi = Scalar::from(u64::from(share.index));
        let mut numerator = Scalar::ONE;
        let mut denominator = Scalar::ONE;
        for other in shares.iter().filter(|o| o.index != share.index) {
            let xj = Scalar::from(u64::from(other.index));
            numerator *= xj;
            denominator *= xj - xi;
        }
        // Indices are distinct and non-zero, so the denominator is invertible.
        secret += share.scalar() * numerator * denominator.invert();
    }
    let key = ElectionSecretKey::new(secret.to_bytes(), origin);
    secret.zeroize();
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand::rngs::ChaCha20Rng;

    fn dealt(t: usize, n: usize) -> (ElectionSecretKey, Vec<Share>, Vec<[u8; 32]>) {
        let (secret, shares) = deal(t, n, &mut ChaCha20Rng::from_seed([5; 32])).unwrap();
        let commitments = shares.iter().map(Share::commitment).collect();
        (secret, shares, commitments)
    }

    #[test]
    fn any_t_of_n_shares_rebuild_the_key() {
        let (secret, shares, commitments) = dealt(3, 5);
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let some = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                    assert_eq!(
                        reconstruct(&some, &commitments, 3, KeyOrigin::Dealer).unwrap(),
                        secret
                    );
                }
            }
        }
        assert_eq!(
            reconstruct(&shares, &commitments, 3, KeyOrigin::Dealer).unwrap(),
            secret
        );
    }

    #[test]
    fn known_answer_two_of_three() {
        // f(x) = 7 + 5x over the scalar field: f(1) = 12, f(2) = 17, f(3) = 22.
        let share = |i: u8, v: u8| {
            let mut value = [0u8; 32];
            value[0] = v;
            Share::new(i, value).unwrap()
        };
        let shares = [share(1, 12), share(3, 22)];
        let commitments = [12u8, 17, 22].map(|v| share(0x01, v).value).to_vec();
        let commitments: Vec<[u8; 32]> = commitments
            .iter()
            .zip(1u8..)
            .map(|(v, i)| Share::new(i, *v).unwrap().commitment())
            .collect();
        let mut seven = [0u8; 32];
        seven[0] = 7;
        assert_eq!(
            reconstruct(&shares, &commitments, 2, KeyOrigin::Dealer)
                .unwrap()
                .to_bytes(),
            seven
        );
    }

    #[test]
    fn t_minus_one_shares_cannot_rebuild() {
        let (_, shares, commitments) = dealt(3, 5);
        assert_eq!(
            reconstruct(&shares[..2], &commitments, 3, KeyOrigin::Dealer),
            Err(ShareError::TooFew {
                found: 2,
                threshold: 3
            })
        );
    }

    #[test]
    fn rejects_wrong_duplicate_and_out_of_range_shares() {
        let (_, shares, commitments) = dealt(2, 3);
        let mut wrong = shares[1].value;
        wrong[0] ^= 1;
        let bad = [shares[0].clone(), Share::new(2, wrong).unwrap()];
        assert_eq!(
            reconstruct(&bad, &commitments, 2, KeyOrigin::Dealer),
            Err(ShareError::WrongShare { index: 2 })
        );
        let twice = [shares[0].clone(), shares[0].clone()];
        assert_eq!(
            reconstruct(&twice, &commitments, 2, KeyOrigin::Dealer),
            Err(ShareError::Duplicate { index: 1 })
        );
        let moved = [shares[0].clone(), Share::new(4, shares[1].value).unwrap()];
        assert!(matches!(
            reconstruct(&moved, &commitments, 2, KeyOrigin::Dealer),
            Err(ShareError::BadIndex { index: 4, .. })
        ));
        // A share presented under another trustee's index fails that index's commitment.
        let swapped = [shares[0].clone(), Share::new(3, shares[1].value).unwrap()];
        assert_eq!(
            reconstruct(&swapped, &commitments, 2, KeyOrigin::Dealer),
            Err(ShareError::WrongShare { index: 3 })
        );
    }

    #[test]
    fn rejects_non_canonical_scalars_and_index_zero() {
        assert_eq!(
            Share::new(1, [0xff; 32]),
            Err(ShareError::NotCanonical { index: 1 })
        );
        assert!(Share::new(0, [0; 32]).is_err());
        assert!(deal(0, 3, &mut ChaCha20Rng::from_seed([0; 32])).is_err());
        assert!(deal(4, 3, &mut ChaCha20Rng::from_seed([0; 32])).is_err());
    }

    #[test]
    fn rebuilt_key_opens_what_was_sealed_to_its_public_key() {
        let (secret, shares, commitments) = dealt(2, 3);
        let public = secret.public_key().unwrap();
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let sealed =
            super::super::seal::seal(&public, &[0; 32], "c", &[1; 32], b"hi", &mut rng).unwrap();
        let rebuilt = reconstruct(&shares[1..], &commitments, 2, KeyOrigin::Dealer).unwrap();
        let plain = super::super::seal::open(&rebuilt, &[0; 32], "c", &[1; 32], &sealed).unwrap();
        assert_eq!(plain, b"hi");
    }
}
