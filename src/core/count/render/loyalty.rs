//! Slate voting read from the ballots themselves, whatever the counting rule: how many voters
//! put each slate first, how loyal they were down their ballot, and where their preferences went
//! when they left it.
//!
//! In NEC-style elections the arguments are about slates (BOOTH.md, "The public pages"), and a
//! count's transfers answer them only in part: a Meek count moves votes from every elected
//! candidate in every round, and any rule transfers only the papers that a decision moved. The
//! ballots answer for every voter. Each valid ballot is read up to where the count reads it (its
//! counted prefix: up to an equal ranking), skipping withdrawn candidates; all figures are numbers
//! of ballots.

use super::super::election::Election;
use super::slate::{SlateGroup, SlateGroups};

/// Slate voting in one contest's ballots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlateVoting {
    /// The groups, as in the slate summary: named slates in candidate order, then
    /// [`SlateGroup::NoSlate`] when some standing candidate has none.
    pub groups: Vec<SlateGroup>,
    /// Standing candidates in each group.
    pub sizes: Vec<usize>,
    /// Ballots with a first preference (ballots that rank no standing candidate are left out).
    pub ballots: u64,
    /// One row per group, in group order: the voters who put one of its candidates first.
    pub rows: Vec<SlateVoters>,
}

/// What the voters who put one group first did next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlateVoters {
    /// Ballots whose first preference is in this group.
    pub first: u64,
    /// Ranked every standing candidate of the slate before any candidate of another group.
    /// `None` for [`SlateGroup::NoSlate`]: candidates without a slate are not a ticket.
    pub loyal: Option<u64>,
    /// Ranked a candidate of another group before the whole slate, by that group (the first
    /// one reached); the row's own entry is 0.
    pub split: Vec<u64>,
    /// Ranked only the slate's candidates, and not all of them.
    pub stopped: u64,
    /// The group of the first preference outside this group, by group (own entry 0), whether
    /// reached before or after the whole slate: the flow of preferences between slates.
    pub next: Vec<u64>,
    /// Ranked no candidate outside this group.
    pub stayed: u64,
}

impl SlateVoters {
    /// Whole slate first, split (to any group) and stopped, which add up to `first`; `None` for
    /// [`SlateGroup::NoSlate`].
    pub fn ticket(&self) -> Option<[u64; 3]> {
        (self.loyal).map(|loyal| [loyal, self.split.iter().sum(), self.stopped])
    }
}

/// The slate voting of `election`'s ballots, or `None` when no candidate has a slate.
pub fn slate_voting(election: &Election) -> Option<SlateVoting> {
    let candidates = election.candidates();
    if candidates.iter().all(|c| c.attributes.slate.is_none()) {
        return None;
    }
    let SlateGroups {
        groups,
        members,
        group_of,
    } = SlateGroups::new((candidates.iter()).map(|c| (c.withdrawn, c.attributes.slate.as_deref())));
    let n = groups.len();
    let sizes: Vec<usize> = members.iter().map(Vec::len).collect();
    let mut rows: Vec<SlateVoters> = (0..n)
        .map(|g| SlateVoters {
            first: 0,
            loyal: matches!(groups[g], SlateGroup::Named(_)).then_some(0),
            split: vec![0; n],
            stopped: 0,
            next: vec![0; n],
            stayed: 0,
        })
        .collect();
    let mut ballots = 0;
    let mut ranked: Vec<usize> = Vec::new();
    for ballot in election.ballots() {
        ranked.clear();
        ranked
            .extend((ballot.counted_prefix().iter()).filter_map(|p| group_of[p.candidate().get()]));
        let Some(&own) = ranked.first() else {
            continue;
        };
        let weight = ballot.weight();
        ballots += weight;
        let row = &mut rows[own];
        row.first += weight;
        // How many of the slate's candidates come before the first of another group.
        let leaves = ranked.iter().position(|&g| g != own);
        let before = leaves.unwrap_or(ranked.len());
        match leaves {
            Some(at) => row.next[ranked[at]] += weight,
            None => row.stayed += weight,
        }
        if let Some(loyal) = row.loyal.as_mut() {
            // Preferences are distinct candidates, so `before` of them from the slate are
            // `before` of its members.
            if before >= sizes[own] {
                *loyal += weight;
            } else if let Some(at) = leaves {
                row.split[ranked[at]] += weight;
            } else {
                row.stopped += weight;
            }
        }
    }
    Some(SlateVoting {
        groups,
        sizes,
        ballots,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::count::parse_blt;

    /// Two slates of two (A: a1 a2; B: b1 b2) and one candidate with no slate (c), with the
    /// numbers worked by hand in the comments.
    const BALLOTS: &str = "5 2
5 1 2 3 0
3 1 3 0
2 2 5 0
4 1 0
1 2 1 0
2 3 4 1 0
1 4 0
3 5 1 0
1 0
0
\"a1\" \"a2\" \"b1\" \"b2\" \"c\"
\"Slates\"
";

    /// The ballot file `text` with a1 and a2 on slate A, b1 and b2 on B, and c on none.
    fn election_of(text: &str) -> Election {
        let mut election = parse_blt(text.as_bytes()).unwrap().election;
        let slates = [Some("A"), Some("A"), Some("B"), Some("B"), None];
        for (c, slate) in election
            .candidate_indices()
            .collect::<Vec<_>>()
            .into_iter()
            .zip(slates)
        {
            let mut attributes = election.candidates()[c.get()].attributes.clone();
            attributes.slate = slate.map(str::to_owned);
            election.set_attributes(c, attributes);
        }
        election
    }

    fn election() -> Election {
        election_of(BALLOTS)
    }

    #[test]
    fn worked_by_hand() {
        let voting = slate_voting(&election()).unwrap();
        assert_eq!(
            voting.groups,
            [
                SlateGroup::Named("A".into()),
                SlateGroup::Named("B".into()),
                SlateGroup::NoSlate
            ]
        );
        assert_eq!(voting.sizes, [2, 2, 1]);
        // The blank ballot has no first preference.
        assert_eq!(voting.ballots, 21);
        // A: 5 (a1 a2 b1) + 3 (a1 b1) + 2 (a2 c) + 4 (a1) + 1 (a2 a1) = 15 put A first.
        // Loyal: 5 + 1 = 6. Split before the whole slate: 3 to B, 2 to no slate. Stopped: 4.
        // Next slate: B 5 + 3 = 8, no slate 2; stayed 4 + 1 = 5.
        let a = &voting.rows[0];
        assert_eq!(
            (a.first, a.loyal, a.split.clone(), a.stopped),
            (15, Some(6), vec![0, 3, 2], 4)
        );
        assert_eq!((a.next.clone(), a.stayed), (vec![0, 8, 2], 5));
        // B: 2 (b1 b2 a1) + 1 (b2) = 3; loyal 2, stopped 1; next A 2, stayed 1.
        let b = &voting.rows[1];
        assert_eq!(
            (b.first, b.loyal, b.split.clone(), b.stopped),
            (3, Some(2), vec![0, 0, 0], 1)
        );
        assert_eq!((b.next.clone(), b.stayed), (vec![2, 0, 0], 1));
        // No slate: 3 (c a1); no loyalty; next A 3.
        let c = &voting.rows[2];
        assert_eq!((c.first, c.loyal, c.next.clone()), (3, None, vec![3, 0, 0]));
        // Every row adds up.
        for row in &voting.rows {
            assert_eq!(row.next.iter().sum::<u64>() + row.stayed, row.first);
            if let Some(loyal) = row.loyal {
                assert_eq!(
                    loyal + row.split.iter().sum::<u64>() + row.stopped,
                    row.first
                );
            }
        }
    }

    #[test]
    fn a_withdrawn_candidate_neither_counts_for_the_slate_nor_breaks_it() {
        // a2 withdrawn: A is a slate of one, so every ballot with a1 first is loyal, and
        // "a2 c" becomes a first preference for no slate.
        let election = election_of(&BALLOTS.replacen("5 2\n", "5 2\n-2\n", 1));
        let voting = slate_voting(&election).unwrap();
        assert_eq!(voting.sizes, [1, 2, 1]);
        let a = &voting.rows[0];
        // 5 + 3 + 4 + 1 (a2 a1 is now a1).
        assert_eq!((a.first, a.loyal, a.stopped), (13, Some(13), 0));
        assert_eq!(voting.rows[2].first, 3 + 2);
    }

    #[test]
    fn no_slates_no_analysis() {
        assert!(slate_voting(&parse_blt(BALLOTS.as_bytes()).unwrap().election).is_none());
    }
}
