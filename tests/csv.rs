//! Teller's CSV files (issue 11 item 16): the register, the invitations file and the count's stage
//! table are RFC 4180, so member numbers and names holding commas, quotes and line breaks come
//! back as they were; every file written for people defuses spreadsheet formulas; a bad row is
//! named by the line it starts on.

use teller::core::register::Register;

const HEADER: &str = "member_number,joined,good_standing,arrears,date_of_birth,region,disability";

/// Member numbers a register may hold and that a naive reader or writer gets wrong.
const ODD_NUMBERS: [&str; 7] = ["M,1", "M\"2\"", "M\n3", "-12", "=1+1", "'7", "@SUM(A1)"];

/// `value` as an RFC 4180 field: quoted, `"` doubled.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

fn row(number: &str, region: &str) -> String {
    format!(
        "{},2020-01-01,yes,no,2000-06-15,{},no\n",
        quoted(number),
        quoted(region)
    )
}

fn odd_register() -> String {
    let mut text = format!("{HEADER}\n");
    for number in ODD_NUMBERS {
        text.push_str(&row(number, "North,\nWest \"Coast\""));
    }
    text
}

#[test]
fn member_numbers_with_commas_quotes_and_line_breaks_are_read_as_written() {
    let register = Register::parse(&odd_register()).unwrap();

    let mut numbers: Vec<&str> = register.members().map(|m| m.number.as_str()).collect();
    numbers.sort_unstable();
    let mut want = ODD_NUMBERS.to_vec();
    want.sort_unstable();
    assert_eq!(numbers, want);
    for member in register.members() {
        assert_eq!(member.region, "North,\nWest \"Coast\"");
    }
}

#[test]
fn the_register_round_trips_through_its_own_csv() {
    let register = Register::parse(&odd_register()).unwrap();

    let written = register.to_csv();

    assert_eq!(Register::parse(&written).unwrap(), register);
    // Verbatim, not under the formula rule: the register is data Teller reads back.
    assert!(written.contains("\n-12,"), "{written}");
    assert!(written.contains("\n=1+1,"), "{written}");
    assert!(written.contains("\n\"M\n3\","), "{written}");
}

#[test]
fn a_bad_row_is_named_by_the_line_it_starts_on_after_a_quoted_line_break() {
    // Line 2 is one member over three lines; line 5 has a bad date.
    let text = format!(
        "{HEADER}\n{}M9,2020-02-30,yes,no,2000-06-15,Wales,no\n",
        row("M\n1\n", "Wales")
    );

    let errors = Register::parse(&text).unwrap_err();

    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column.as_str()), (5, "joined"));
    assert!(
        errors[0].to_string().starts_with("line 5, column joined:"),
        "{}",
        errors[0]
    );
}

#[test]
fn blank_lines_still_count_and_are_skipped() {
    let text = format!(
        "\n{HEADER}\n\n   \nM1,2020-01-01,yes,no,2000-06-15,Wales,no\nM2,2020-01-01,maybe,no,2000-06-15,Wales,no\n"
    );

    let errors = Register::parse(&text).unwrap_err();

    assert_eq!(
        errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect::<Vec<_>>(),
        [(6, "good_standing")]
    );
}

#[cfg(feature = "server")]
mod office {
    use std::path::PathBuf;

    use teller::admin::{
        EXAMPLE_ELECTION, KeyMaking, create_stored_election, export_invitations, import_register,
    };
    use teller::client::read_invitations;
    use teller::store::{Roles, Store};

    use super::{ODD_NUMBERS, odd_register, row};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("teller-csv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// import → invitations export → read back; then a re-import reads the stored rows again.
    #[test]
    fn odd_member_numbers_survive_import_export_and_reimport() {
        let dir = scratch("office");
        let store = Store::open(&dir.join("teller.db").to_string_lossy()).unwrap();
        let manifest = create_stored_election(
            &store,
            EXAMPLE_ELECTION,
            &KeyMaking::Dealer,
            &dir.join("keys"),
            Roles::Both,
        )
        .unwrap();
        let election = manifest.draft().election.clone();

        let report = import_register(&store, &election, &odd_register()).unwrap();
        assert_eq!(report.members, ODD_NUMBERS.len());
        let mut stored: Vec<String> = store
            .members(&election)
            .unwrap()
            .into_iter()
            .map(|m| m.number)
            .collect();
        stored.sort_unstable();
        let mut want: Vec<String> = ODD_NUMBERS.iter().map(|n| (*n).to_owned()).collect();
        want.sort_unstable();
        assert_eq!(stored, want);

        let out = dir.join("invitations.csv");
        export_invitations(&store, &election, &out, &[], 1, &|_| {}).unwrap();
        let written = std::fs::read_to_string(&out).unwrap();
        // For people (a mail merge): formulas defused, the escape escaped.
        for defused in ["'-12,", "'=1+1,", "'@SUM(A1),", "''7,"] {
            assert!(
                written.lines().any(|l| l.starts_with(defused)),
                "{defused} in {written}"
            );
        }
        assert!(!written.lines().any(|l| l.starts_with("-12,")), "{written}");
        let mut read: Vec<String> = read_invitations(&written)
            .unwrap()
            .into_iter()
            .map(|(member, code)| {
                assert_eq!(code.len(), 29, "{code:?}"); // 24 characters in groups of four
                member
            })
            .collect();
        read.sort_unstable();
        assert_eq!(read, want);

        // A re-import compares against the stored rows: only the changed member shows.
        let mut again = odd_register();
        again.push_str(&row("=2+2", "Wales"));
        let report = import_register(&store, &election, &again).unwrap();
        let diff = report.diff.expect("a second import has a diff");
        assert_eq!(diff.added, ["=2+2"]);
        assert!(diff.removed.is_empty(), "{diff:?}");
        assert!(diff.changed.is_empty(), "{diff:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_invitations_row_without_a_code_is_named_by_its_line() {
        let text = "member_number,invitation_code\nM1,ABCD-EFGH\n\"M\n2\",ABCD\nM3\n";

        let error = read_invitations(text).unwrap_err().to_string();

        assert_eq!(error, "line 5: expected `member,code`");
    }
}
