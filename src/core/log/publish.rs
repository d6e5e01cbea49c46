//! The order in which the issuer publishes issuances (docs/PROTOCOL.md §10): in batches, shuffled,
//! so that the issuance log's order does not time an issuance, and with a member's re-issue after
//! their first issuance. The server's store and `teller simulate` both publish this way.

use rand::RngExt as _;

/// Issuances published together in the issuance log, shuffled. At close, whatever is pending is
/// published however few.
pub const ISSUANCE_BATCH: usize = 64;

/// Puts a batch in publication order: shuffled (Durstenfeld's Fisher–Yates with `rng`), then
/// stably sorted by `issue` (a member's first issuance 0, re-issues after), so a batch's first
/// issuances come before its re-issues, which tells nothing the entries' `reissue` flags do not.
///
/// Written out rather than `rand`'s `shuffle`: the fixture record and its vectors were made with
/// these draws, and `rand`'s shuffle draws differently.
pub fn publication_order<T>(batch: &mut [T], rng: &mut impl rand::Rng, issue: impl Fn(&T) -> i64) {
    for i in (1..batch.len()).rev() {
        batch.swap(i, rng.random_range(0..=i));
    }
    batch.sort_by_key(issue);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn a_batch_is_shuffled_with_first_issuances_first() {
        let mut rng = rand::rngs::ChaCha20Rng::from_seed([1; 32]);
        let mut batch: Vec<(u32, i64)> = (0..40).map(|i| (i, i64::from(i % 5 == 0))).collect();
        publication_order(&mut batch, &mut rng, |&(_, issue)| issue);
        let firsts = batch.iter().take_while(|(_, issue)| *issue == 0).count();
        assert_eq!(firsts, 32);
        assert!(batch[firsts..].iter().all(|(_, issue)| *issue == 1));
        let order: Vec<u32> = batch.iter().map(|(i, _)| *i).collect();
        assert_ne!(
            order[..firsts],
            (0..40).filter(|i| i % 5 != 0).collect::<Vec<_>>()[..]
        );
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..40).collect::<Vec<_>>());
    }
}
