//! Invariants every method keeps on random elections (STYLE.md §5, property tests):
//! votes are conserved in every round, the result does not depend on the order of ballots in the
//! file, the right number of candidates is elected, and a count never panics.

use proptest::prelude::*;
use teller::core::count::{CountError, CountOptions, Method, count, parse_blt, render};

/// A random election as BLT text: candidates, seats, and ballot lines (weight, ranking).
fn election() -> impl Strategy<Value = (usize, usize, Vec<(u64, Vec<usize>)>)> {
    (2usize..7).prop_flat_map(|candidates| {
        let ballot = (
            1u64..20,
            proptest::sample::subsequence((1..=candidates).collect::<Vec<_>>(), 0..=candidates),
        )
            .prop_shuffle_ranking();
        (
            Just(candidates),
            1..candidates,
            proptest::collection::vec(ballot, 1..40),
        )
    })
}

trait ShuffleRanking {
    fn prop_shuffle_ranking(self) -> BoxedStrategy<(u64, Vec<usize>)>;
}

impl<S: Strategy<Value = (u64, Vec<usize>)> + 'static> ShuffleRanking for S {
    fn prop_shuffle_ranking(self) -> BoxedStrategy<(u64, Vec<usize>)> {
        self.prop_flat_map(|(weight, ranking)| (Just(weight), Just(ranking).prop_shuffle()))
            .boxed()
    }
}

fn blt(candidates: usize, seats: usize, ballots: &[(u64, Vec<usize>)]) -> String {
    let mut text = format!("{candidates} {seats}\n");
    for (weight, ranking) in ballots {
        let prefs: Vec<String> = ranking.iter().map(usize::to_string).collect();
        text.push_str(&format!("{weight} {} 0\n", prefs.join(" ")));
    }
    text.push_str("0\n");
    for c in 0..candidates {
        text.push_str(&format!("\"C{c}\"\n"));
    }
    text.push_str("\"random\"\n");
    text
}

fn json(text: &str, method: Method) -> Result<String, CountError> {
    let election = parse_blt(text.as_bytes())
        .expect("generated BLT parses")
        .election;
    let options = CountOptions {
        method,
        seed: Some(vec![7]),
        constraint: None,
    };
    count(&election, &options).map(|report| render::json(&report))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_method_conserves_votes_and_fills_the_seats((candidates, seats, ballots) in election()) {
        let election = parse_blt(blt(candidates, seats, &ballots).as_bytes()).unwrap().election;
        for method in Method::ALL {
            let seats = if method == Method::Irv { 1 } else { seats };
            let election = election.clone().with_seats(seats).unwrap();
            let options = CountOptions { method, seed: Some(vec![7]), constraint: None };
            match count(&election, &options) {
                Ok(report) => {
                    prop_assert_eq!(report.elected.len(), seats, "{}", method);
                    let valid = report.ballots.valid as i64 * 10i64.pow(report.decimals);
                    if method != Method::Block {
                        for round in &report.rounds {
                            prop_assert_eq!(round.accounted(), valid, "{} round {}", method, round.number);
                        }
                    }
                }
                Err(CountError::NoValidBallots) => {
                    prop_assert!(election.ballots().iter().all(|b| b.preferences().is_empty()));
                }
                Err(other) => prop_assert!(false, "{}: {}", method, other),
            }
        }
    }

    #[test]
    fn the_result_does_not_depend_on_ballot_order(
        (candidates, seats, ballots) in election(),
        rotation in 0usize..40,
    ) {
        let mut reordered = ballots.clone();
        reordered.reverse();
        let len = reordered.len();
        reordered.rotate_left(rotation % len);
        for method in [Method::Scottish, Method::Meek, Method::Ers97, Method::Block] {
            let first = json(&blt(candidates, seats, &ballots), method);
            let second = json(&blt(candidates, seats, &reordered), method);
            prop_assert_eq!(first, second, "{}", method);
        }
    }
}
