//! The BLT parser and writer through the public API (`parse_blt`, `write_blt`).
//!
//! One test per feature the module doc of src/core/count/blt.rs promises, one negative test per
//! `BltErrorKind` (and per `ElectionError` the parser can report) asserting the exact line, a
//! round-trip property on random elections, and every reference file under tests/data/stv.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use teller::core::count::{
    BltError, BltErrorKind, Candidate, CandidateAttributes, CandidateIndex, Election,
    ElectionBuilder, ElectionError, MAX_CANDIDATES, MAX_TOTAL_WEIGHT, ParsedBlt, parse_blt,
    write_blt,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stv");

fn parse(text: &str) -> ParsedBlt {
    match parse_blt(text.as_bytes()) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{e}\n---\n{text}"),
    }
}

fn parse_file(relative: &str) -> ParsedBlt {
    let path = Path::new(DATA).join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_blt(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fails(text: &str) -> BltError {
    match parse_blt(text.as_bytes()) {
        Ok(_) => panic!("parsed, but should not:\n{text}"),
        Err(e) => e,
    }
}

/// Each ballot as (weight, ranks), a rank being the 1-based candidate numbers ranked equally.
fn ballots(election: &Election) -> Vec<(u64, Vec<Vec<usize>>)> {
    election
        .ballots()
        .iter()
        .map(|b| {
            let ranks = b
                .ranks()
                .map(|rank| rank.iter().map(|p| p.candidate().get() + 1).collect())
                .collect();
            (b.weight(), ranks)
        })
        .collect()
}

fn names(election: &Election) -> Vec<&str> {
    election
        .candidates()
        .iter()
        .map(|c| c.name.as_str())
        .collect()
}

fn r(ranks: &[&[usize]]) -> Vec<Vec<usize>> {
    ranks.iter().map(|rank| rank.to_vec()).collect()
}

// --- Features ------------------------------------------------------------------------------------

#[test]
fn reads_header_weights_names_and_title() {
    let parsed = parse("3 2\n4 1 2 0\n3 2 0\n2 3 2 0\n0\n\"Ann\"\n\"Bob\"\n\"Cat\"\n\"Example\"\n");
    let e = &parsed.election;
    assert_eq!(e.seats(), 2);
    assert_eq!(names(e), ["Ann", "Bob", "Cat"]);
    assert_eq!(e.title(), "Example");
    assert_eq!(
        ballots(e),
        [
            (4, r(&[&[1], &[2]])),
            (3, r(&[&[2]])),
            (2, r(&[&[3], &[2]]))
        ]
    );
    assert_eq!(e.total_weight(), 9);
    assert!(parsed.notes.is_empty());
    assert!(e.tie_order().is_none());
}

#[test]
fn merges_identical_ballot_lines_adding_weights() {
    let e = parse("2 1\n1 1 2 0\n5 2 0\n1 1 2 0\n0\n\"A\"\n\"B\"\n\"T\"\n").election;
    assert_eq!(ballots(&e), [(2, r(&[&[1], &[2]])), (5, r(&[&[2]]))]);
}

#[test]
fn accepts_ballot_lines_without_the_closing_zero_and_says_so() {
    // As in tests/data/stv/ers97/ers97.loomio-original.blt: `35 1 2` and `20 1 4 0` side by side.
    let parsed = parse("3 1\n35 1 2\n20 1 3 0\n7 2\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n");
    assert_eq!(
        ballots(&parsed.election),
        [
            (35, r(&[&[1], &[2]])),
            (20, r(&[&[1], &[3]])),
            (7, r(&[&[2]]))
        ]
    );
    assert_eq!(parsed.notes.len(), 1);
    assert!(
        parsed.notes[0].starts_with("2 ballot lines"),
        "{:?}",
        parsed.notes
    );
}

#[test]
fn loomio_ers97_without_terminators_reads_as_the_normalised_ers97() {
    // The same ballots, once with comments and missing `0`s, once normalised (ers97/README.md).
    let original = parse_file("ers97/ers97.loomio-original.blt");
    let normalised = parse_file("ers97/ers97.blt");
    assert_eq!(original.election, normalised.election);
    assert_eq!(original.election.total_weight(), 753);
    assert!(!original.notes.is_empty());
    assert!(normalised.notes.is_empty());
}

#[test]
fn withdrawn_candidates_from_minus_lines_are_marked_and_skipped_on_ballots() {
    let e =
        parse("4 1\n-2 -4\n3 2 1 4 3 0\n1 4 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"T\"\n").election;
    let withdrawn: Vec<bool> = e.candidates().iter().map(|c| c.withdrawn).collect();
    assert_eq!(withdrawn, [false, true, false, true]);
    // Withdrawn candidates vanish from the ranking; a ballot for only them is empty.
    assert_eq!(ballots(&e), [(3, r(&[&[1], &[3]])), (1, vec![])]);
}

#[test]
fn withdrawn_option_line_is_the_same_as_minus_lines() {
    let minus = parse("4 1\n-2\n-4\n3 2 1 4 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"T\"\n").election;
    let option =
        parse("4 1\n[withdrawn 2 4]\n3 2 1 4 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"T\"\n").election;
    assert_eq!(minus, option);
}

#[test]
fn droop_withdrawn_file_marks_its_candidate() {
    // droop-tests/blt/SCwopt.blt: `[withdrawn 4]`, candidate 4 is Pat LaMarche.
    let e = parse_file("droop-tests/blt/SCwopt.blt").election;
    let withdrawn: Vec<&str> = e
        .candidates()
        .iter()
        .filter(|c| c.withdrawn)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(withdrawn, ["Pat LaMarche"]);
    assert!(
        e.ballots()
            .iter()
            .flat_map(|b| b.preferences())
            .all(|p| p.candidate().get() != 3)
    );
}

#[test]
fn equal_ranks_are_kept_as_one_rank() {
    let e = parse("4 1\n1 1=2 3 0\n2 4 2=3=1 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"T\"\n").election;
    assert_eq!(
        ballots(&e),
        [(1, r(&[&[1, 2], &[3]])), (2, r(&[&[4], &[2, 3, 1]]))]
    );
    let flags: Vec<bool> = e.ballots()[1]
        .preferences()
        .iter()
        .map(|p| p.equal_to_previous())
        .collect();
    assert_eq!(flags, [false, false, true, true]);
}

#[test]
fn nick_line_names_candidates_in_ballots() {
    // droop-tests/blt/meek/eq1.blt, inline.
    let e = parse("3 2\n[nick a b c]\n5 a b 0\n1 b=c 0\n3 c 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n")
        .election;
    let nicks: Vec<Option<&str>> = e.candidates().iter().map(|c| c.nick.as_deref()).collect();
    assert_eq!(nicks, [Some("a"), Some("b"), Some("c")]);
    assert_eq!(
        ballots(&e),
        [(5, r(&[&[1], &[2]])), (1, r(&[&[2, 3]])), (3, r(&[&[3]]))]
    );
    let file = parse_file("droop-tests/blt/meek/eq1.blt").election;
    assert_eq!(ballots(&file), ballots(&e));
    assert_eq!(file.candidates(), e.candidates());
}

#[test]
fn numbers_still_work_beside_nicknames() {
    let e = parse("3 1\n[nick x y z]\n2 1 y 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n").election;
    assert_eq!(ballots(&e), [(2, r(&[&[1], &[2], &[3]]))]);
}

#[test]
fn tie_line_gives_the_tie_order() {
    // droop-tests/blt/42t.blt: `[tie 3 2 1 ]`.
    let e = parse_file("droop-tests/blt/42t.blt").election;
    let order: Vec<usize> = e
        .tie_order()
        .expect("[tie] read")
        .iter()
        .map(|c| c.get() + 1)
        .collect();
    assert_eq!(order, [3, 2, 1]);
}

#[test]
fn tie_line_after_the_ballots_is_accepted_and_may_use_nicknames() {
    let e =
        parse("3 1\n[nick a b c]\n1 a 0\n0\n[tie c a b]\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n").election;
    let order: Vec<usize> = e.tie_order().unwrap().iter().map(|c| c.get()).collect();
    assert_eq!(order, [2, 0, 1]);
}

#[test]
fn comments_are_ignored_anywhere_but_inside_quotes() {
    let text = "# before the header\n2 1 # seats\n3 1 2 0 # a ballot\n# between\n0\n\"A # not a comment\" # a comment\n\"B\"\n\"T\"\n";
    let e = parse(text).election;
    assert_eq!(names(&e), ["A # not a comment", "B"]);
    assert_eq!(ballots(&e), [(3, r(&[&[1], &[2]]))]);
}

#[test]
fn doubled_quotes_inside_a_name_are_one_quote() {
    // As the scot-elex sources write `"""Name"" ""Party"""`.
    let e = parse("2 1\n1 1 0\n0\n\"\"\"Ann\"\" \"\"Lab\"\"\"\n\"Bob \"\"B\"\" Smith\"\n\"T\"\n")
        .election;
    assert_eq!(names(&e), ["\"Ann\" \"Lab\"", "Bob \"B\" Smith"]);
}

#[test]
fn utf8_names_are_read_exactly() {
    let e = parse_file("droop-tests/blt/42u.blt").election;
    assert_eq!(names(&e), ["Cåstor", "Pøllüx", "Hélen"]);
    assert_eq!(e.title(), "Pøllüx and Hélen should tie");
}

#[test]
fn byte_order_mark_is_skipped() {
    // 42ubom.blt is 42u.blt with a UTF-8 BOM before the header.
    let bom = std::fs::read(Path::new(DATA).join("droop-tests/blt/42ubom.blt")).unwrap();
    assert!(bom.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(
        parse_file("droop-tests/blt/42ubom.blt").election,
        parse_file("droop-tests/blt/42u.blt").election
    );
}

#[test]
fn commas_separate_like_spaces() {
    let commas = parse("3,1\n2,1,2,0\n0\n\"A\",\"B\"\n\"C\"\n\"T\"\n").election;
    let spaces = parse("3 1\n2 1 2 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n").election;
    assert_eq!(commas, spaces);
}

#[test]
fn blank_lines_and_crlf_are_ignored() {
    let crlf =
        parse("\r\n3 1\r\n\r\n2 1 2 0\r\n\r\n0\r\n\"A\"\r\n\r\n\"B\"\r\n\"C\"\r\n\"T\"\r\n\r\n")
            .election;
    let plain = parse("3 1\n2 1 2 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n").election;
    assert_eq!(crlf, plain);
}

#[test]
fn a_skipped_preference_ends_the_ballot() {
    // `-` marks a skipped preference: a break, nothing after it counts.
    let e = parse("3 1\n4 1 - 2 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n").election;
    assert_eq!(ballots(&e), [(4, r(&[&[1]]))]);
}

#[test]
fn a_leading_ballot_label_is_ignored() {
    let e = parse("3 1\n(b17) 2 3 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n").election;
    assert_eq!(ballots(&e), [(2, r(&[&[3], &[1]]))]);
}

#[test]
fn bare_name_lines_and_several_names_on_a_line_are_accepted() {
    let e = parse("3 1\n1 1 0\n0\n\"A\" \"B\"\nCarol Jones (Ind)\nA bare title\n").election;
    assert_eq!(names(&e), ["A", "B", "Carol Jones (Ind)"]);
    assert_eq!(e.title(), "A bare title");
}

#[test]
fn text_after_the_title_is_ignored_with_a_note() {
    // droop-tests/blt/M135.blt ends with a source, a comment and first-preference tallies after the
    // title. Droop's own report (ref/report/M135-cfer-fixed-p5-d5.txt) calls the election
    // "M135: Gen v1.1 1 3 45" and shows the next two strings as source and comment.
    let parsed = parse_file("droop-tests/blt/M135.blt");
    assert_eq!(parsed.election.title(), "M135: Gen v1.1 1 3 45");
    assert_eq!(parsed.election.candidates().len(), 25);
    assert_eq!(
        parsed.notes,
        ["5 lines of text after the title were ignored"]
    );
    let inline = parse("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n\"T\" \"more\"\nAB: 332\n");
    assert_eq!(inline.election.title(), "T");
    assert_eq!(
        inline.notes,
        ["2 lines of text after the title were ignored"]
    );
}

#[test]
fn a_missing_title_is_empty() {
    let e = parse("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n").election;
    assert_eq!(e.title(), "");
}

#[test]
fn zero_weight_and_empty_ballots_are_allowed() {
    let e = parse("2 1\n0 1 0\n3 0\n1 2 0\n0\n\"A\"\n\"B\"\n\"T\"\n").election;
    assert_eq!(ballots(&e), [(3, vec![]), (1, r(&[&[2]]))]);
}

// --- Errors: one per variant, with the exact line ------------------------------------------------

fn assert_error(text: &str, line: usize, kind: BltErrorKind) {
    assert_eq!(fails(text), BltError { line, kind }, "input:\n{text}");
}

#[test]
fn rejects_bytes_that_are_not_utf8_naming_their_line() {
    assert_eq!(
        parse_blt(b"2 1\n1 1 0\n0\n\"A\xff\"\n\"B\"\n").unwrap_err(),
        BltError {
            line: 4,
            kind: BltErrorKind::NotUtf8
        }
    );
}

#[test]
fn rejects_an_empty_file() {
    assert_error("", 1, BltErrorKind::MissingHeader);
    assert_error("# only a comment\n\n", 1, BltErrorKind::MissingHeader);
}

#[test]
fn rejects_a_header_that_is_not_two_numbers() {
    assert_error(
        "# c\n3 1 7\n",
        2,
        BltErrorKind::BadHeader {
            found: "3 1 7".into(),
        },
    );
    assert_error("3\n", 1, BltErrorKind::BadHeader { found: "3".into() });
}

#[test]
fn rejects_words_where_numbers_belong() {
    assert_error(
        "x 1\n",
        1,
        BltErrorKind::NotANumber {
            what: "the number of candidates",
            found: "x".into(),
        },
    );
    assert_error(
        "3 -1\n",
        1,
        BltErrorKind::NotANumber {
            what: "the number of seats",
            found: "-1".into(),
        },
    );
    assert_error(
        "3 1\n1 1 0\nw 2 0\n0\n",
        3,
        BltErrorKind::NotANumber {
            what: "the ballot weight",
            found: "w".into(),
        },
    );
    assert_error(
        "3 1\n-1 2\n",
        2,
        BltErrorKind::NotANumber {
            what: "a withdrawn candidate (-N)",
            found: "2".into(),
        },
    );
    assert_error(
        "3 1\n1 1 0 2\n0\n",
        2,
        BltErrorKind::NotANumber {
            what: "nothing after the closing 0; found",
            found: "2".into(),
        },
    );
}

#[test]
fn rejects_candidate_numbers_out_of_range() {
    for (ballot, found) in [("1 4 0", "4"), ("1 2 0=1", "0"), ("1 2=4 0", "4")] {
        assert_error(
            &format!("3 1\n\n{ballot}\n0\n"),
            3,
            BltErrorKind::NoSuchCandidate {
                found: found.into(),
                candidates: 3,
            },
        );
    }
    assert_error(
        "3 1\n-9\n1 1 0\n0\n",
        2,
        BltErrorKind::NoSuchCandidate {
            found: "9".into(),
            candidates: 3,
        },
    );
}

#[test]
fn rejects_unknown_nicknames() {
    assert_error(
        "2 1\n[nick a b]\n1 a c 0\n0\n",
        3,
        BltErrorKind::UnknownNickname { found: "c".into() },
    );
    // Without a [nick] line every word is unknown.
    assert_error(
        "2 1\n1 a 0\n0\n",
        2,
        BltErrorKind::UnknownNickname { found: "a".into() },
    );
}

#[test]
fn rejects_a_candidate_ranked_twice() {
    for ballot in ["1 1 2 1 0", "1 2=1 1 0", "1 1 2 1"] {
        assert_error(
            &format!("2 1\n{ballot}\n0\n"),
            2,
            BltErrorKind::RepeatedCandidate { candidate: 1 },
        );
    }
    assert_error(
        "2 1\n[nick a b]\n1 b 2 0\n0\n",
        3,
        BltErrorKind::RepeatedCandidate { candidate: 2 },
    );
}

#[test]
fn rejects_option_lines_it_does_not_understand() {
    assert_error(
        "2 1\n[frobnicate 1]\n",
        2,
        BltErrorKind::BadOption {
            found: "[frobnicate 1]".into(),
        },
    );
    assert_error(
        "2 1\n[nick a b\n",
        2,
        BltErrorKind::BadOption {
            found: "[nick a b".into(),
        },
    );
    // [withdrawn] after the ballots would change ballots already read.
    assert_error(
        "2 1\n1 1 0\n0\n[withdrawn 2]\n\"A\"\n\"B\"\n",
        4,
        BltErrorKind::BadOption {
            found: "[withdrawn] must come before the ballots".into(),
        },
    );
}

#[test]
fn rejects_a_nick_line_of_the_wrong_length() {
    assert_error(
        "3 1\n\n[nick a b]\n",
        3,
        BltErrorKind::NickCount {
            found: 2,
            candidates: 3,
        },
    );
}

#[test]
fn rejects_a_tie_line_that_is_not_a_permutation() {
    for tie in ["[tie 1 2]", "[tie 1 2 2]", "[tie 3 2 1 1]"] {
        assert_error(&format!("3 1\n{tie}\n"), 2, BltErrorKind::BadTieOrder);
    }
}

#[test]
fn rejects_a_file_that_ends_inside_the_ballots() {
    assert_error(
        "2 1\n1 1 0\n2 2 0\n\n# end\n",
        3,
        BltErrorKind::MissingBallotTerminator,
    );
    assert_error("2 1\n", 1, BltErrorKind::MissingBallotTerminator);
}

#[test]
fn rejects_too_few_names() {
    assert_error(
        "3 1\n1 1 0\n0\n\"A\"\n\"B\"\n\n",
        5,
        BltErrorKind::MissingNames {
            found: 2,
            candidates: 3,
        },
    );
}

#[test]
fn rejects_an_unterminated_quote() {
    assert_error(
        "2 1\n1 1 0\n0\n\"A\"\n\"B\n\"T\"\n",
        5,
        BltErrorKind::UnterminatedQuote,
    );
}

#[test]
fn rejects_text_after_a_quoted_name_on_its_line() {
    assert_error(
        "2 1\n1 1 0\n0\n\"A\" junk\n\"B\"\n\"T\"\n",
        4,
        BltErrorKind::TrailingText {
            found: "junk".into(),
        },
    );
}

#[test]
fn rejects_elections_that_cannot_be_counted() {
    let cases: [(&str, usize, ElectionError); 7] = [
        ("0 1\n", 1, ElectionError::NoCandidates),
        (
            &format!("{} 1\n", MAX_CANDIDATES + 1),
            1,
            ElectionError::TooManyCandidates {
                found: MAX_CANDIDATES + 1,
            },
        ),
        ("2 0\n1 1 0\n0\n\"A\"\n\"B\"\n", 1, ElectionError::NoSeats),
        (
            "2 3\n1 1 0\n0\n\"A\"\n\"B\"\n",
            1,
            ElectionError::MoreSeatsThanCandidates {
                seats: 3,
                standing: 2,
            },
        ),
        (
            "2 2\n-2\n1 1 0\n0\n\"A\"\n\"B\"\n",
            1,
            ElectionError::MoreSeatsThanCandidates {
                seats: 2,
                standing: 1,
            },
        ),
        (
            &format!("2 1\n{} 1 0\n1 2 0\n0\n", MAX_TOTAL_WEIGHT),
            3,
            ElectionError::TooManyBallots,
        ),
        (
            "2 1\n1 1 0\n0\n\n\"A\"\n\"A\"\n",
            5,
            ElectionError::DuplicateName { name: "A".into() },
        ),
    ];
    for (text, line, error) in cases {
        assert_error(text, line, BltErrorKind::Election(error));
    }
}

#[test]
fn error_messages_name_the_line() {
    let e = fails("2 1\n1 1 0\n1 3 0\n0\n");
    assert_eq!(
        e.to_string(),
        "line 3: candidate 3 does not exist; candidates are numbered 1 to 2"
    );
}

// --- Writing -------------------------------------------------------------------------------------

#[test]
fn writes_strict_blt_with_every_feature() {
    // Expected text written by hand from the format description, not by running the writer.
    let text = "4 2\n-3\n[nick a b c d]\n[tie 4 3 2 1]\n2 1=2 4\n1 4\n0\n\"Ann \"\"A\"\"\"\n\"Bø\"\n\"C\"\n\"D # d\"\n\"Title\"\n";
    let e = parse(text).election;
    assert_eq!(
        write_blt(&e),
        "4 2\n-3\n[nick a b c d]\n[tie 4 3 2 1]\n2 1=2 4 0\n1 4 0\n0\n\"Ann \"\"A\"\"\"\n\"Bø\"\n\"C\"\n\"D # d\"\n\"Title\"\n"
    );
}

/// The fenced block after `marker` in docs/COUNTING.md, every line ending in LF.
fn counting_md_block(marker: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/COUNTING.md");
    let doc = std::fs::read_to_string(path).expect("docs/COUNTING.md is in the repository");
    let after = doc
        .split_once(&format!("{marker}\n```\n"))
        .unwrap_or_else(|| panic!("docs/COUNTING.md has no {marker} block"))
        .1;
    let (block, _) = after.split_once("```\n").expect("the block is closed");
    block.to_owned()
}

#[test]
fn write_blt_writes_the_example_in_counting_md() {
    // docs/COUNTING.md §1 "What Teller writes": the worked example, built as the tally builds a
    // contest's election (manifest order, weight 1 per counted ballot, in log order).
    let names = [
        "Ada \"Red\" Achterberg",
        "Siân Evans",
        "Carys Cadwallader #2",
    ];
    let candidates = names
        .iter()
        .map(|name| Candidate {
            name: (*name).to_owned(),
            nick: None,
            withdrawn: false,
            attributes: CandidateAttributes::default(),
        })
        .collect();
    let mut builder = ElectionBuilder::new(candidates).unwrap();
    let log: [&[u16]; 6] = [&[1, 0], &[0], &[1, 0], &[2], &[0], &[1, 0, 2]];
    for ranking in log {
        let ranking: Vec<CandidateIndex> =
            ranking.iter().map(|&c| CandidateIndex::new(c)).collect();
        builder
            .add(1, ranking.iter().map(std::slice::from_ref))
            .unwrap();
    }
    let election = builder
        .build("Chair, North & \"West\"".to_owned(), 1, None)
        .unwrap();

    let written = write_blt(&election);

    assert_eq!(written, counting_md_block("<!-- blt-example -->"));
    assert_eq!(parse(&written).election, election, "it reads back");
}

#[test]
fn write_blt_of_no_ballots_is_header_zero_names_title() {
    // docs/COUNTING.md §1: "With no valid ballot the file is the header, `0`, the names and the
    // title" (a contest whose count reports no valid ballots still has its BLT file).
    let candidates = ["A", "B"]
        .iter()
        .map(|name| Candidate {
            name: (*name).to_owned(),
            nick: None,
            withdrawn: false,
            attributes: CandidateAttributes::default(),
        })
        .collect();
    let election = ElectionBuilder::new(candidates)
        .unwrap()
        .build("T".to_owned(), 1, None)
        .unwrap();
    assert_eq!(write_blt(&election), "2 1\n0\n\"A\"\n\"B\"\n\"T\"\n");
}

#[test]
fn write_keeps_nicknames_fuzz_crash_4e58bdc4() {
    // Regression: fuzz/README.md, crash-4e58bdc49c8360d823849a522ffefdc4f3823c27 (the fuzzer's
    // first input, from stv-rs's vegetables files). write_blt dropped the [nick] line, so the
    // re-parsed election had no nicknames and was not equal to the original.
    let text = "3 2\n[nick apple banana cherry]\n3 apple 0\n0\n\"Apple\"\n\"Banana\"\n\"Cherry\"\n\"Vegetable contest\"\n";
    let e = parse(text).election;
    assert_eq!(parse(&write_blt(&e)).election, e);
}

#[test]
fn every_reference_file_round_trips() {
    // Every 7th of the ~1,170 files (all folders are represented) keeps this under a second in a
    // debug build; `every_reference_ballot_file_parses` reads them all.
    for path in reference_files().into_iter().step_by(7) {
        let e = parse_blt(&std::fs::read(&path).unwrap()).unwrap().election;
        let again = parse(&write_blt(&e)).election;
        assert_eq!(again, e, "{}", path.display());
    }
}

fn arb_election() -> impl Strategy<Value = Election> {
    (1usize..7)
        .prop_flat_map(|n| {
            let candidates = (
                proptest::collection::vec("[^\n\"]{0,8}|[ -~]{0,6}|\"?[ a-zé#]{0,4}\"?", n),
                proptest::option::of(proptest::collection::vec("[a-z][a-z0-9]{0,3}", n)),
                proptest::collection::vec(proptest::bool::weighted(0.2), n),
            );
            let ballot = (
                0u64..50,
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                proptest::collection::vec(proptest::bool::ANY, n),
                0..=n,
            );
            (
                Just(n),
                candidates,
                proptest::collection::vec(ballot, 0..12),
                proptest::option::of(Just((0..n).collect::<Vec<_>>()).prop_shuffle()),
                "[^\n]{0,12}",
                1usize..=n,
            )
        })
        .prop_filter_map(
            "a countable election",
            |(n, (names, nicks, withdrawn), ballots, tie, title, seats)| {
                let candidates: Vec<Candidate> = (0..n)
                    .map(|i| Candidate {
                        // Numbered so names are unique; the rest is arbitrary text.
                        name: format!("{i}{}", names[i]),
                        nick: nicks.as_ref().map(|v| v[i].clone()),
                        withdrawn: withdrawn[i],
                        attributes: CandidateAttributes::default(),
                    })
                    .collect();
                let mut builder = ElectionBuilder::new(candidates).ok()?;
                for (weight, order, equal, length) in ballots {
                    let mut ranks: Vec<Vec<CandidateIndex>> = Vec::new();
                    for (k, &c) in order[..length].iter().enumerate() {
                        let c = CandidateIndex::new(c as u16);
                        match ranks.last_mut() {
                            Some(rank) if equal[k] => rank.push(c),
                            _ => ranks.push(vec![c]),
                        }
                    }
                    builder.add(weight, ranks.iter().map(Vec::as_slice)).ok()?;
                }
                let tie = tie.map(|t| {
                    t.into_iter()
                        .map(|c| CandidateIndex::new(c as u16))
                        .collect()
                });
                builder.build(title, seats, tie).ok()
            },
        )
}

proptest! {
    #[test]
    fn parse_of_write_is_the_identity(election in arb_election()) {
        let text = write_blt(&election);
        let parsed = parse_blt(text.as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}\n---\n{}", parsed.err(), text);
        let parsed = parsed.unwrap();
        prop_assert_eq!(&parsed.election, &election, "\n---\n{}", text);
        prop_assert!(parsed.notes.is_empty());
    }

    #[test]
    fn never_panics_on_arbitrary_text(text in "([0-9 =\\-\n#\"\\[\\]a-z,]|nick|tie|withdrawn){0,80}") {
        let _ = parse_blt(text.as_bytes());
    }
}

// --- The reference corpus ------------------------------------------------------------------------

fn reference_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "blt") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(DATA), &mut files);
    files
}

/// Reference files the parser refuses, and why. Each is refused on purpose, not by accident.
const MALFORMED: &[(&str, &str)] = &[
    (
        "droop-tests/blt/mpls/loser.blt",
        "`[droop prexision=5]`: a droop setting, misspelled on purpose to test droop's error report",
    ),
    (
        "droop-tests/blt/mpls/tie.blt",
        "`[droop precision=5]`: an arithmetic setting for droop, not election data",
    ),
    (
        "droop-tests/blt/mpls/undeclared.blt",
        "`[undeclared 4]`: Minneapolis undeclared write-ins, a droop extension we do not support",
    ),
    (
        "stv-rs-testdata/ballots/bigint/ballot_count_overflows.blt",
        "a ballot weight of 18,446,744,074 (made to overflow i64 arithmetic) exceeds MAX_TOTAL_WEIGHT",
    ),
    (
        "stv-rs-testdata/ballots/bigint/ballot_sum_overflows.blt",
        "total weight made to overflow i64 arithmetic exceeds MAX_TOTAL_WEIGHT",
    ),
];

#[test]
fn every_reference_ballot_file_parses() {
    let files = reference_files();
    assert!(files.len() > 1_100, "found only {} .blt files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(DATA)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let result = parse_blt(&std::fs::read(path).unwrap());
        let expected_bad = MALFORMED.iter().any(|(name, _)| *name == relative);
        match (result, expected_bad) {
            (Ok(_), false) => {}
            (Err(e), true) => {
                // Refused for the documented reason, not some other.
                let why = e.to_string();
                let reason_fits = why.contains("[droop")
                    || why.contains("[undeclared")
                    || why.contains("total weight");
                if !reason_fits {
                    failures.push(format!(
                        "{relative}: refused, but for another reason: {why}"
                    ));
                }
            }
            (Ok(_), true) => failures.push(format!("{relative}: listed as malformed but parses")),
            (Err(e), false) => failures.push(format!("{relative}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
