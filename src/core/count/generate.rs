//! Synthetic elections for tests and benchmarks (`teller gen`): not yet written.

/// What to generate.
#[derive(Clone, Debug)]
pub struct GeneratorOptions {
    /// Number of ballots.
    pub ballots: u64,
    /// Number of candidates.
    pub candidates: usize,
    /// Seats.
    pub seats: usize,
    /// Seed: the same options give the same file.
    pub seed: u64,
}

/// Writes a synthetic election as BLT text.
pub fn generate(_options: &GeneratorOptions) -> String {
    todo!("generator")
}
