//! Randomness from the operating system, for what is made outside the booth: keys, invitation
//! codes, salts, the issuer's shuffle. The booth's randomness comes from the page instead.

/// The operating system's randomness is not available.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's randomness failed: {0}")]
pub struct NoRandomness(getrandom::Error);

/// A ChaCha20 generator seeded from the operating system.
pub fn os_rng() -> Result<rand::rngs::ChaCha20Rng, NoRandomness> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(NoRandomness)?;
    Ok(<rand::rngs::ChaCha20Rng as rand::SeedableRng>::from_seed(
        *seed,
    ))
}
