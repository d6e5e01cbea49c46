//! The renderers (text, CSV, HTML) over real counts: they show exactly the report's numbers, the
//! CSV reproduces the official Scottish stage reports, and the HTML is well formed and escaped.
//!
//! Evidence from outside our code: tests/data/stv/scottish-official/*.official_stages.csv are the
//! councils' published stage reports (see that folder's README). The hand-made elections below are
//! small enough to count on paper; their expected decisions are worked out in the comments.

use std::fs;
use std::path::Path;

use teller::core::count::render::{
    csv, html, slate_summary, slate_voting, slate_voting_text, text,
};
use teller::core::count::{
    CandidateAttributes, CandidateIndex, Constraint, CountOptions, Election, Method, Report, count,
    format_units, parse_blt,
};

const OFFICIAL: &str = "tests/data/stv/scottish-official";

fn scottish(election: &Election, seed: Option<Vec<u8>>, constraint: Option<Constraint>) -> Report {
    let options = CountOptions {
        method: Method::Scottish,
        seed,
        constraint,
    };
    count(election, &options).expect("the election counts")
}

fn load(name: &str) -> Election {
    let bytes = fs::read(Path::new(OFFICIAL).join(format!("{name}.blt"))).expect("ballot file");
    parse_blt(&bytes).expect("valid BLT").election
}

fn blt(text: &str) -> Election {
    parse_blt(text.as_bytes()).expect("valid BLT").election
}

/// Splits one CSV line (RFC 4180 quoting, no embedded line breaks), unquoting fields.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

fn table(text: &str, separator: &str) -> Vec<Vec<String>> {
    text.split(separator)
        .filter(|l| !l.is_empty())
        .map(fields)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// CSV against the official stage reports
// ---------------------------------------------------------------------------------------------

fn csv_matches_official(ward: &str) {
    // Arrange
    let report = scottish(&load(ward), None, None);
    let official_text =
        fs::read_to_string(Path::new(OFFICIAL).join(format!("{ward}.official_stages.csv")))
            .expect("official CSV");
    let official = table(&official_text, "\n");

    // Act
    let ours_text = csv(&report);
    let ours = table(&ours_text, "\r\n");

    // Assert: every line ends in CRLF (RFC 4180) and there is one row per stage.
    assert!(ours_text.ends_with("\r\n"));
    assert_eq!(
        ours_text.matches('\n').count(),
        ours_text.matches("\r\n").count()
    );
    assert_eq!(
        ours.len(),
        official.len(),
        "one header and one row per stage"
    );
    let candidates = report.candidates.len();
    let (our_head, official_head) = (&ours[0], &official[0]);
    assert_eq!(
        our_head[..2 + candidates],
        official_head[..2 + candidates],
        "candidate columns"
    );
    assert_eq!(
        our_head[2 + candidates..2 + candidates + 4],
        [
            "non_transferable",
            "exhausted",
            "rounding",
            "elected_this_stage"
        ]
    );
    let column = |head: &[String], name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (our_nt, official_nt) = (
        column(our_head, "non_transferable"),
        column(official_head, "non_transferable"),
    );
    let (our_elected, official_elected) = (
        column(our_head, "elected_this_stage"),
        column(official_head, "elected_this_stage"),
    );
    for (ours, official) in ours[1..].iter().zip(&official[1..]) {
        let stage = &official[0];
        assert_eq!(ours[0], *stage);
        assert_eq!(
            ours[2..2 + candidates],
            official[2..2 + candidates],
            "votes at stage {stage}"
        );
        assert_eq!(
            ours[our_nt], official[official_nt],
            "non-transferable at stage {stage}"
        );
        // The official reports spell names without the party and with their own capitals
        // ("John McKenzie" for the ballot file's "John Mckenzie (Lab)"), and list candidates
        // elected together in their own order: compare as sets of name prefixes.
        let mut elected: Vec<String> = ours[our_elected]
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
            .collect();
        let mut expected: Vec<String> = official[official_elected]
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
            .collect();
        elected.sort();
        expected.sort();
        assert_eq!(elected.len(), expected.len(), "elected at stage {stage}");
        for (ours, theirs) in elected.iter().zip(&expected) {
            assert!(
                ours.starts_with(theirs.as_str()),
                "stage {stage}: {ours} is not {theirs}"
            );
        }
        // Exhausted + rounding = non-transferable, in our own columns too.
        let exhausted = ours[column(our_head, "exhausted")].as_str();
        let rounding = ours[column(our_head, "rounding")].as_str();
        let units = |s: &str| teller::core::count::parse_units(s, 5).expect("a 5-place number");
        assert_eq!(units(exhausted) + units(rounding), units(&ours[our_nt]));
    }
}

#[test]
fn csv_equals_official_stages_dundee_2022_ward5() {
    csv_matches_official("dundee_2022_ward5");
}

#[test]
fn csv_equals_official_stages_glasgow_2007_linn() {
    csv_matches_official("glasgow_2007_linn");
}

#[test]
fn csv_equals_official_stages_of_every_official_ward() {
    for ward in [
        "dundee_2022_ward1",
        "dundee_2022_ward3",
        "dundee_2022_ward4",
        "dundee_2022_ward6",
        "dundee_2022_ward7",
    ] {
        csv_matches_official(ward);
    }
}

#[test]
fn csv_quotes_names_with_commas_and_quotes() {
    let election = blt("2 1\n3 1 0\n2 2 0\n0\n\"Smith, \"\"Jo\"\"\"\n\"=cmd()\"\n\"Quotes\"\n");
    let report = scottish(&election, None, None);

    let out = csv(&report);
    let head = fields(out.split("\r\n").next().expect("a header"));

    assert_eq!(head[2], "Smith, \"Jo\"");
    assert_eq!(
        head[3], "'=cmd()",
        "a formula-like name is defused for spreadsheets"
    );
    assert!(out.contains("\"Smith, \"\"Jo\"\"\""));
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

#[test]
fn text_shows_every_name_and_every_figure_of_the_report() {
    for ward in ["dundee_2022_ward5", "glasgow_2007_linn"] {
        let report = scottish(&load(ward), None, None);

        let out = text(&report);

        for candidate in &report.candidates {
            assert!(out.contains(&candidate.name), "{ward}: {}", candidate.name);
        }
        for round in &report.rounds {
            assert!(out.contains(&format!("Stage {}", round.number)));
            for (i, votes) in round.votes.iter().enumerate() {
                let figure = format_units(*votes, report.decimals);
                assert!(
                    out.contains(&figure),
                    "{ward} stage {}: candidate {i} {figure}",
                    round.number
                );
                let transfer = round.transfers[i];
                if round.number > 1 && transfer != 0 {
                    let signed = format_units(transfer, report.decimals);
                    let signed = if transfer > 0 {
                        format!("+{signed}")
                    } else {
                        signed
                    };
                    assert!(
                        out.contains(&signed),
                        "{ward} stage {}: transfer {signed}",
                        round.number
                    );
                }
            }
            assert!(out.contains(&format_units(round.exhausted, report.decimals)));
            assert!(out.contains(&format_units(round.rounding, report.decimals)));
        }
        for name in report.elected_names() {
            assert!(out.contains(name));
        }
    }
}

#[test]
fn text_stage_table_fits_120_columns_for_a_wide_count() {
    // Linn: 11 candidates, 10 stages.
    let report = scottish(&load("glasgow_2007_linn"), None, None);

    let out = text(&report);

    let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 120, "widest line is {widest} characters");
    assert!(
        out.contains("Votes, stages 1-"),
        "the table is split into blocks"
    );
    assert!(
        out.contains("TV 0.06314"),
        "the surplus column shows its transfer value"
    );
    assert!(out.contains("Surplus of David Ritchie (SNP) (transfer value 0.06314)"));
    // Stage 10 elects both remaining candidates after Alan Stewart's exclusion (official report).
    assert!(
        out.contains("Alan Stewart (Lab) excluded: fewest votes (1111.65708 votes at stage 9)")
    );
    assert!(out.contains(
        "John Mckenzie (Lab) elected: reached the quota (2174.90506 votes; quota 1914.00000)"
    ));
}

#[test]
fn text_truncates_long_names_in_the_table_but_not_in_decisions() {
    let long = "Alexandra Bartholomew-Featherstonehaugh of the Very Long Party Name";
    // Quota floor(9/2)+1 = 5: the long-named candidate (2 votes) is excluded at stage 2.
    let election = blt(&format!(
        "3 1\n4 1 0\n3 2 0\n2 3 2 0\n0\n\"Ann\"\n\"Bob\"\n\"{long}\"\n\"Names\"\n"
    ));
    let report = scottish(&election, None, None);

    let out = text(&report);

    let table_row = out
        .lines()
        .find(|l| l.starts_with("Alexandra") && l.contains("2.00000"))
        .expect("a table row for the long name");
    assert!(table_row.contains('…'), "{table_row}");
    assert!(!table_row.contains(long));
    assert!(out.contains(&format!(
        "{long} excluded: fewest votes (2.00000 votes at stage 1)"
    )));
}

/// Four candidates, one seat, 11 ballots, quota floor(11/2)+1 = 6.
/// Stage 1: A 5, B 3, C 2, D 1. Stage 2: D excluded, its ballot goes to C: B 3, C 3.
/// Stage 3: B and C tie for exclusion; at stage 2 they are equal, at stage 1 C had fewer (rule 51:
/// the most recent stage at which they differed), so C is excluded; C's papers go to B.
const LOOKBACK_TIE: &str =
    "4 1\n5 1 0\n3 2 0\n2 3 2 0\n1 4 3 2 0\n0\n\"Ann\"\n\"Bob\"\n\"Cat\"\n\"Dan\"\n\"Lookback\"\n";

#[test]
fn text_explains_a_tie_broken_by_an_earlier_stage() {
    let report = scottish(&blt(LOOKBACK_TIE), None, None);

    let out = text(&report);

    assert!(
        out.contains("tie for exclusion between Bob and Cat, broken by votes at stage 1: Cat chosen for exclusion"),
        "{out}"
    );
    assert!(out.contains("Cat excluded: fewest votes (3.00000 votes at stage 2)"));
}

#[test]
fn text_explains_a_tie_broken_by_lot_with_its_seed() {
    // Quota floor(4/2)+1 = 3, nobody reaches it; Bob and Cat tie at 1 vote from the first
    // stage: there is no earlier stage, so lot decides.
    let election = blt("3 1\n2 1 0\n1 2 0\n1 3 0\n0\n\"Ann\"\n\"Bob\"\n\"Cat\"\n\"Lot\"\n");
    let report = scottish(&election, Some(vec![0xab, 0xcd]), None);

    let out = text(&report);

    assert!(
        out.contains(
            "tie for exclusion between Bob and Cat, broken by lot (seed abcd; drawn order "
        ),
        "{out}"
    );
}

/// Two seats; Ann and Bob are men, Cat and Dee women; at least one seat for gender W.
/// 12 ballots, quota floor(12/3)+1 = 5. Stage 1: Ann 5 reaches the quota and is elected; one seat
/// is left and the group still needs one, so Bob (a man) is doomed at stage 2.
fn constrained() -> (Election, Constraint) {
    let mut election = blt(
        "4 2\n5 1 0\n4 2 0\n2 3 0\n1 4 0\n0\n\"Ann\"\n\"Bob\"\n\"Cat\"\n\"Dee\"\n\"Constraint\"\n",
    );
    for (i, (gender, slate)) in [("M", "Red"), ("M", "Blue"), ("W", "Red"), ("W", "Blue")]
        .iter()
        .enumerate()
    {
        election.set_attributes(
            CandidateIndex::new(i as u16),
            CandidateAttributes {
                gender: Some((*gender).into()),
                slate: Some((*slate).into()),
            },
        );
    }
    (election, "gender=W:1".parse().expect("a constraint"))
}

#[test]
fn text_explains_a_constraint_exclusion() {
    let (election, constraint) = constrained();
    let report = scottish(&election, None, Some(constraint));

    let out = text(&report);

    assert!(out.contains("Constraint: at least 1 seats for gender W"));
    assert!(
        out.contains("Bob excluded: the constraint needs the last remaining seat for gender W"),
        "{out}"
    );
    assert!(out.contains("slate Red, gender M"));
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

/// Checks that every element opened is closed, in order (void and self-closed elements aside),
/// and returns how many of each element were opened.
fn balanced(page: &str) -> std::collections::HashMap<String, usize> {
    const VOID: [&str; 3] = ["meta", "br", "!doctype"];
    let mut stack: Vec<String> = Vec::new();
    let mut opened = std::collections::HashMap::new();
    let mut rest = page;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map(|e| start + e)
            .expect("every tag is closed by >");
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
            continue;
        }
        let name = tag.split([' ', '\n']).next().unwrap_or("").to_lowercase();
        *opened.entry(name.clone()).or_insert(0) += 1;
        if VOID.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if name == "style" {
            // CSS holds no '<'; skip to its end tag.
            let close = rest.find("</style>").expect("style is closed");
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        stack.push(name);
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    opened
}

#[test]
fn html_is_well_formed_for_an_official_ward() {
    let report = scottish(&load("dundee_2022_ward5"), None, None);

    let page = html(&report, None);

    let opened = balanced(&page);
    // One chart per stage, the legend's quota swatch, and a flow chart of each stage after the
    // first that moved votes.
    let moved = (report.rounds.iter().skip(1))
        .filter(|r| r.transfers.iter().any(|&t| t < 0))
        .count();
    assert!(moved > 0);
    assert_eq!(opened.get("svg"), Some(&(report.rounds.len() + 1 + moved)));
    assert!(page.contains("<title id=\"flow-2-t\">Where the votes moved at stage 2</title>"));
    assert!(opened.get("table").copied().unwrap_or(0) >= 1 + report.rounds.len() - 1);
    assert!(page.contains("<th scope=\"col\">Stage 7"));
    assert!(page.contains("<th scope=\"row\">Georgia CRUICKSHANK (Scottish Labour Party)</th>"));
    assert!(page.contains("<title id=\"chart-1-t\">Votes at the end of stage 1</title>"));
    assert!(!page.contains("<script"), "no scripts");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
    for round in &report.rounds {
        for votes in &round.votes {
            assert!(page.contains(&format_units(*votes, 5)));
        }
    }
    assert!(
        !page.contains("id=\"slates\""),
        "no slate section without slates"
    );
}

#[test]
fn html_escapes_names_from_the_ballot_file() {
    let election = blt(
        "3 1\n4 1 0\n3 2 0\n2 3 2 0\n0\n\"<script>alert(1)</script>\"\n\"Bob & Co\"\n\"\"\"Cat\"\" <b>\"\n\"<i>Title</i>\"\n",
    );
    let report = scottish(&election, None, None);

    let page = html(&report, None);

    balanced(&page);
    assert!(!page.contains("<script"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("Bob &amp; Co"));
    assert!(page.contains("&quot;Cat&quot; &lt;b&gt;"));
    assert!(page.contains("<h1>&lt;i&gt;Title&lt;/i&gt;</h1>"));
}

#[test]
fn html_shows_slate_sections_only_when_slates_exist() {
    let (election, constraint) = constrained();
    let with = scottish(&election, None, Some(constraint));
    let plain_report = scottish(&blt(LOOKBACK_TIE), None, None);

    let page = html(&with, None);
    let no_slates = html(&plain_report, None);

    balanced(&page);
    assert!(page.contains("<h3>First preferences by slate</h3>"));
    assert!(page.contains("<h3>Where each slate's transfers went</h3>"));
    assert!(page.contains("Transfers from slate to slate"));
    // First preferences: Red = Ann 5 + Cat 2 = 7 of 12 (58.3%), Blue = Bob 4 + Dee 1 = 5 (41.7%).
    assert!(
        page.contains("7.00000</td><td class=\"num\">58.3%"),
        "{page}"
    );
    assert!(page.contains("5.00000</td><td class=\"num\">41.7%"));
    assert!(!no_slates.contains("id=\"slates\""));
    assert!(!no_slates.contains("First preferences by slate"));
    assert!(slate_summary(&plain_report).is_none());
}

#[test]
fn slate_flows_account_for_every_transferred_vote() {
    let mut election = load("dundee_2022_ward5");
    // Slates by party, from the names in the ballot file.
    let parties = [
        "Labour",
        "LibDem",
        "Sovereignty",
        "Alba",
        "SNP",
        "Conservative",
        "SNP",
        "Green",
    ];
    for (i, party) in parties.iter().enumerate() {
        election.set_attributes(
            CandidateIndex::new(i as u16),
            CandidateAttributes {
                gender: None,
                slate: Some((*party).into()),
            },
        );
    }
    let report = scottish(&election, None, None);

    let summary = slate_summary(&report).expect("slates are set");

    // SNP = LYNN 1037 + SHORT 960 first preferences (official stage 1).
    let snp = summary
        .groups
        .iter()
        .position(|g| g.label() == "SNP")
        .expect("SNP group");
    assert_eq!(
        summary.first_preferences.as_ref().map(|f| f[snp]),
        Some(1997_00000)
    );
    let total_out: i64 = summary.flows.iter().map(|f| f.out).sum();
    let transferred: i64 = report
        .rounds
        .iter()
        .skip(1)
        .flat_map(|r| r.transfers.iter().filter(|t| **t < 0))
        .map(|t| -t)
        .sum();
    assert_eq!(total_out, transferred);
    for flow in &summary.flows {
        assert_eq!(
            flow.out,
            flow.to.iter().sum::<i64>() + flow.exhausted + flow.rounding
        );
    }
}

/// Two slates of two (A: a1 a2; B: b1 b2) and one candidate with no slate (c), 2 seats; the
/// ballots of `core::count::render::loyalty`'s hand-worked test.
fn slated() -> Election {
    let mut election = blt(
        "5 2\n5 1 2 3 0\n3 1 3 0\n2 2 5 0\n4 1 0\n1 2 1 0\n2 3 4 1 0\n1 4 0\n3 5 1 0\n0\n\"a1\" \"a2\" \"b1\" \"b2\" \"c\"\n\"Slates\"\n",
    );
    for (i, slate) in ["A", "A", "B", "B"].iter().enumerate() {
        election.set_attributes(
            CandidateIndex::new(i as u16),
            CandidateAttributes {
                gender: None,
                slate: Some((*slate).into()),
            },
        );
    }
    election
}

#[test]
fn slate_voting_from_the_ballots_is_the_same_under_meek_and_scottish() {
    let election = slated();
    let voting = slate_voting(&election).unwrap();
    let meek = count(
        &election,
        &CountOptions {
            method: Method::Meek,
            seed: Some(vec![1]),
            constraint: None,
        },
    )
    .unwrap();
    let scottish = scottish(&election, Some(vec![1]), None);
    let meek_page = html(&meek, Some(&voting));
    let scottish_page = html(&scottish, Some(&voting));
    balanced(&meek_page);
    balanced(&scottish_page);
    // Worked by hand: 21 ballots with a first preference; A's 15 voters: 6 ranked the whole slate
    // first (40.0%), 5 split (3 to B, 2 to c), 4 stopped; B's 3: 2 whole slate, 1 stopped.
    for page in [&meek_page, &scottish_page] {
        assert!(page.contains("Read from all 21 ballots with a first preference"));
        assert!(page.contains(
            "<tr><th scope=\"row\">A</th><td class=\"num\">2</td><td class=\"num\">15<span class=\"change\">71.4%</span></td><td class=\"num\">6<span class=\"change\">40.0%</span></td><td class=\"num\">5<span class=\"change\">33.3%</span></td><td class=\"num\">4<span class=\"change\">26.7%</span></td></tr>"
        ), "{page}");
        assert!(page.contains("Where each slate's voters went next</title>"));
    }
    // The text renderer prints the same figures for `teller count --format text`.
    let text = slate_voting_text(&voting);
    let row = |slate: &str| {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.first() == Some(&slate))
            .unwrap_or_default()
    };
    assert_eq!(
        row("A"),
        ["A", "15", "71.4%", "6", "40.0%", "5", "33.3%", "4", "26.7%"]
    );
    // Where A's voters went next: B 8 of 15, no slate 2, no other slate 5.
    assert!(
        (text.lines().filter(|l| l.trim_start().starts_with("A ")))
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["A", "-", "8", "53.3%", "2", "13.3%", "5", "33.3%"]),
        "{text}"
    );
    // Meek's rounds move every elected candidate's surplus at once: the page says so instead of
    // claiming nothing moved, and shows what each slate held at each stage.
    assert!(meek.rounds.len() > 1);
    assert!(!meek_page.contains("No votes were transferred"));
    assert!(meek_page.contains("under Meek's method each stage moves the surplus"));
    assert!(meek_page.contains("<h3>Votes by slate at each stage</h3>"));
    // A's first preferences, 15 ballots, are its candidates' votes at stage 1 under both rules.
    assert!(meek_page.contains("<tr><th scope=\"row\">A</th><td class=\"num\">15.000000000</td>"));
    assert!(scottish_page.contains("<tr><th scope=\"row\">A</th><td class=\"num\">15.00000</td>"));
}
