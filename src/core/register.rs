//! The register (DESIGN.md, "Eligibility"): members as a membership office exports them, and the
//! per-contest rules that decide who may vote where. Groundwork for `teller register import`
//! (issue "The ballot server"): parsing is all-or-nothing and reports every bad row by line and
//! column; eligibility is a pure function of a member's row and the contest's rule.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::fmt;

use super::csv_file::{CsvText, record_line};

/// A calendar date (proleptic Gregorian), written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl Date {
    /// The date, if it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = text.get(range)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        Self::new(
            number(0..4)?,
            u8::try_from(number(5..7)?).ok()?,
            u8::try_from(number(8..10)?).ok()?,
        )
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub fn age_on(self, on: Date) -> u16 {
        let years = on.year.saturating_sub(self.year);
        if (on.month, on.day) < (self.month, self.day) {
            years.saturating_sub(1)
        } else {
            years
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One member as the register records them. Names and addresses are not kept: eligibility does
/// not need them, and what is not stored cannot leak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The membership number, unique in the register.
    pub number: String,
    /// When they joined.
    pub joined: Date,
    /// In good standing (not suspended).
    pub good_standing: bool,
    /// Behind with their dues.
    pub in_arrears: bool,
    /// Date of birth.
    pub born: Date,
    /// Region of their address, as the register spells it (e.g. `Wales`).
    pub region: String,
    /// Self-declared disability.
    pub disability: bool,
}

impl Member {
    /// The member's row of a register file in the order of [`COLUMNS`], without a line ending:
    /// RFC 4180, a field quoted only when it holds a comma, a quote or a line break, and written
    /// verbatim (a register is data Teller reads back, see [`crate::core::csv_file`]).
    pub fn to_csv_row(&self) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let (joined, born) = (self.joined.to_string(), self.born.to_string());
        let fields = [
            self.number.as_str(),
            joined.as_str(),
            yes_no(self.good_standing),
            yes_no(self.in_arrears),
            born.as_str(),
            self.region.as_str(),
            yes_no(self.disability),
        ];
        let mut text = CsvText::new(csv::QuoteStyle::Necessary, csv::Terminator::Any(b'\n'));
        text.record(fields);
        let mut row = text.finish();
        row.pop(); // the `\n` that ends the record
        row
    }
}

/// A register: members by membership number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Register {
    members: BTreeMap<String, Member>,
    /// From the optional [`EMAIL_COLUMN`]: where the console mails invitations. Apart from the
    /// members, as it has nothing to do with eligibility (and is not in the rosters).
    emails: BTreeMap<String, String>,
}

/// The optional column of a register with each member's email, for invitations by email.
pub const EMAIL_COLUMN: &str = "email";

/// Whether `text` has the shape of an email address (one `@`, a dot in the domain, no spaces):
/// the mail server is the judge of the rest.
pub fn looks_like_email(text: &str) -> bool {
    text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && text.matches('@').count() == 1
        && text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
        })
}

/// The header of the invitations file `teller invitations export` writes and the load generator
/// reads: a member's number and their invitation code, for a mail merge.
pub const INVITATION_COLUMNS: [&str; 2] = ["member_number", "invitation_code"];

/// The columns a register export must have (any order, any case; other columns are ignored).
pub const COLUMNS: [&str; 7] = [
    "member_number",
    "joined",
    "good_standing",
    "arrears",
    "date_of_birth",
    "region",
    "disability",
];

/// One problem in a register file: line (1-based, the header is line 1), column and what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {problem}")]
pub struct RowError {
    /// The line.
    pub line: usize,
    /// The column's name.
    pub column: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The CSV's records that are not blank, each with the line it starts on, and any record the
/// reader could not read.
fn csv_rows(text: &str) -> (Vec<(usize, csv::StringRecord)>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record_line(text, record.position());
                if record.iter().any(|f| !f.trim().is_empty()) {
                    rows.push((line, record));
                }
            }
            // A `&str` is UTF-8 and reading it cannot fail; kept so that nothing is dropped.
            Err(error) => errors.push(RowError {
                line: record_line(text, error.position()),
                column: String::new(),
                problem: error.to_string(),
            }),
        }
    }
    (rows, errors)
}

/// Where each of [`COLUMNS`] is in the header (any order, any case, a byte-order mark allowed);
/// every missing column is an error.
fn column_positions(line: usize, header: &csv::StringRecord) -> Result<[usize; 7], Vec<RowError>> {
    let header: Vec<String> = header
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let mut at = [0usize; 7];
    let mut errors = Vec::new();
    for (slot, name) in at.iter_mut().zip(COLUMNS) {
        match header.iter().position(|c| c == name) {
            Some(i) => *slot = i,
            None => errors.push(RowError {
                line,
                column: name.into(),
                problem: format!(
                    "the header has no {name} column (needed: {})",
                    COLUMNS.join(", ")
                ),
            }),
        }
    }
    if errors.is_empty() {
        Ok(at)
    } else {
        Err(errors)
    }
}

/// One register row as a member, or `None` with every bad field reported in `errors`.
fn member_row(
    line: usize,
    fields: &csv::StringRecord,
    at: &[usize; 7],
    errors: &mut Vec<RowError>,
) -> Option<Member> {
    let field = |i: usize| fields.get(at[i]).map(str::trim).unwrap_or("");
    let mut bad = |column: usize, problem: String| {
        errors.push(RowError {
            line,
            column: COLUMNS[column].into(),
            problem,
        })
    };
    let number = field(0).to_owned();
    if number.is_empty() {
        bad(0, "the membership number is empty".into());
    }
    let date = |i: usize, bad: &mut dyn FnMut(usize, String)| {
        Date::parse(field(i)).or_else(|| {
            bad(i, format!("{:?} is not a date YYYY-MM-DD", field(i)));
            None
        })
    };
    let joined = date(1, &mut bad);
    let born = date(4, &mut bad);
    let flag = |i: usize, bad: &mut dyn FnMut(usize, String)| {
        yes_no(field(i)).or_else(|| {
            bad(i, format!("{:?} is not yes or no", field(i)));
            None
        })
    };
    let good_standing = flag(2, &mut bad);
    let in_arrears = flag(3, &mut bad);
    let disability = flag(6, &mut bad);
    if number.is_empty() {
        return None;
    }
    Some(Member {
        number,
        joined: joined?,
        good_standing: good_standing?,
        in_arrears: in_arrears?,
        born: born?,
        region: field(5).to_owned(),
        disability: disability?,
    })
}

impl Register {
    /// Parses a register export (CSV, RFC 4180: a quoted field may hold commas, doubled quotes
    /// and line breaks). All or nothing: every bad row is reported, and one bad row means no
    /// register. Fields are read verbatim (no spreadsheet-formula rule, see
    /// [`crate::core::csv_file`]), less the spaces around them; lines with nothing but
    /// spaces are skipped. A row's line is the line it starts on.
    pub fn parse(text: &str) -> Result<Self, Vec<RowError>> {
        let (rows, mut errors) = csv_rows(text);
        let mut rows = rows.into_iter();
        let Some((header_line, header)) = rows.next() else {
            errors.push(RowError {
                line: 1,
                column: String::new(),
                problem: "the file is empty; expected a header line".into(),
            });
            return Err(errors);
        };
        let at = match column_positions(header_line, &header) {
            Ok(at) if errors.is_empty() => at,
            Ok(_) => return Err(errors),
            Err(mut missing) => {
                errors.append(&mut missing);
                return Err(errors);
            }
        };
        let email_at = header.iter().position(|c| {
            c.trim_start_matches('\u{feff}')
                .trim()
                .eq_ignore_ascii_case(EMAIL_COLUMN)
        });
        let mut members = BTreeMap::new();
        let mut emails = BTreeMap::new();
        for (line, fields) in rows {
            let email = email_at
                .and_then(|i| fields.get(i))
                .map(str::trim)
                .filter(|e| !e.is_empty());
            let Some(member) = member_row(line, &fields, &at, &mut errors) else {
                continue;
            };
            let number = member.number.clone();
            if let Some(email) = email {
                match looks_like_email(email) {
                    true => {
                        emails.insert(number.clone(), email.to_lowercase());
                    }
                    false => errors.push(RowError {
                        line,
                        column: EMAIL_COLUMN.into(),
                        problem: format!(
                            "{email:?} is not an email address (leave it empty for a member \
                             without one)"
                        ),
                    }),
                }
            }
            if members.insert(number.clone(), member).is_some() {
                errors.push(RowError {
                    line,
                    column: COLUMNS[0].into(),
                    problem: format!("membership number {number} appears twice"),
                });
            }
        }
        if errors.is_empty() {
            Ok(Self { members, emails })
        } else {
            Err(errors)
        }
    }

    /// The member's email from the register's optional `email` column (lower-cased).
    pub fn email(&self, number: &str) -> Option<&str> {
        self.emails.get(number).map(String::as_str)
    }

    /// A register of these members; fails with the first membership number given twice.
    pub fn from_members(members: impl IntoIterator<Item = Member>) -> Result<Self, String> {
        let mut register = Self::default();
        for member in members {
            let number = member.number.clone();
            if register.members.insert(number.clone(), member).is_some() {
                return Err(number);
            }
        }
        Ok(register)
    }

    /// The register as CSV with the [`COLUMNS`] (what [`Register::parse`] reads back): a
    /// header line, then [`Member::to_csv_row`] for each member in membership-number order, each
    /// line ending in `\n`.
    pub fn to_csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        out.push('\n');
        for m in self.members.values() {
            out.push_str(&m.to_csv_row());
            out.push('\n');
        }
        out
    }

    /// The members in membership-number order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// The member with this number.
    pub fn member(&self, number: &str) -> Option<&Member> {
        self.members.get(number)
    }

    /// What changed from `self` (an earlier import) to `newer`: shown before a re-import is
    /// accepted.
    pub fn diff(&self, newer: &Register) -> RegisterDiff {
        let mut diff = RegisterDiff::default();
        for (number, member) in &newer.members {
            match self.members.get(number) {
                None => diff.added.push(number.clone()),
                Some(old) if old != member => diff.changed.push(number.clone()),
                Some(_) => {}
            }
        }
        diff.removed = self
            .members
            .keys()
            .filter(|n| !newer.members.contains_key(*n))
            .cloned()
            .collect();
        diff
    }
}

/// Members added, removed and changed between two imports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterDiff {
    /// New membership numbers.
    pub added: Vec<String>,
    /// Numbers no longer in the register.
    pub removed: Vec<String>,
    /// Numbers whose row changed.
    pub changed: Vec<String>,
}

/// A contest's eligibility rule, applied when the register is frozen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EligibilityRule {
    /// Members must have joined before this date.
    pub freeze: Date,
    /// Members in arrears may not vote (usual in party ballots).
    pub exclude_arrears: bool,
    /// Only members younger than this on the freeze date (a youth post: 27).
    pub under_age: Option<u16>,
    /// Only members in this region (compared ignoring case).
    pub region: Option<String>,
    /// Only members who declared a disability.
    pub disability: bool,
}

impl EligibilityRule {
    /// Whether `member` may vote in the contest. A member not in good standing never may.
    pub fn admits(&self, member: &Member) -> bool {
        member.good_standing
            && member.joined < self.freeze
            && !(self.exclude_arrears && member.in_arrears)
            && self
                .under_age
                .is_none_or(|limit| member.born.age_on(self.freeze) < limit)
            && self
                .region
                .as_ref()
                .is_none_or(|r| r.eq_ignore_ascii_case(&member.region))
            && (!self.disability || member.disability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "member_number,name,joined,good_standing,arrears,date_of_birth,region,disability";

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn member() -> Member {
        Member {
            number: "M1".into(),
            joined: date("2020-01-01"),
            good_standing: true,
            in_arrears: false,
            born: date("2000-06-15"),
            region: "Wales".into(),
            disability: false,
        }
    }

    fn rule() -> EligibilityRule {
        EligibilityRule {
            freeze: date("2026-06-15"),
            exclude_arrears: true,
            under_age: None,
            region: None,
            disability: false,
        }
    }

    #[test]
    fn dates_exist_or_are_refused() {
        assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-04-31",
            "2026-1-01",
            "26-01-01",
            "2026-01-0x",
            "+026-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert!(Date::parse("2000-02-29").is_some());
    }

    #[test]
    fn age_counts_whole_years_to_the_freeze_date() {
        let born = date("2000-06-15");
        assert_eq!(born.age_on(date("2026-06-14")), 25);
        assert_eq!(born.age_on(date("2026-06-15")), 26);
        assert_eq!(born.age_on(date("2027-06-15")), 27);
    }

    #[test]
    fn eligibility_follows_each_rule_of_the_domain() {
        let base = rule();
        assert!(base.admits(&member()));
        assert!(!base.admits(&Member {
            good_standing: false,
            ..member()
        }));
        assert!(!base.admits(&Member {
            in_arrears: true,
            ..member()
        }));
        assert!(
            EligibilityRule {
                exclude_arrears: false,
                ..rule()
            }
            .admits(&Member {
                in_arrears: true,
                ..member()
            })
        );
        assert!(
            !base.admits(&Member {
                joined: date("2026-06-15"),
                ..member()
            }),
            "joined on the freeze date"
        );
        assert!(base.admits(&Member {
            joined: date("2026-06-14"),
            ..member()
        }));
        // Youth: under 27 on the freeze date; born 2000-06-15 is 26 on 2026-06-15.
        let youth = EligibilityRule {
            under_age: Some(27),
            ..rule()
        };
        assert!(youth.admits(&member()));
        assert!(!youth.admits(&Member {
            born: date("1999-06-15"),
            ..member()
        }));
        assert!(youth.admits(&Member {
            born: date("1999-06-16"),
            ..member()
        }));
        let wales = EligibilityRule {
            region: Some("wales".into()),
            ..rule()
        };
        assert!(wales.admits(&member()));
        assert!(!wales.admits(&Member {
            region: "Scotland".into(),
            ..member()
        }));
        let disabled = EligibilityRule {
            disability: true,
            ..rule()
        };
        assert!(!disabled.admits(&member()));
        assert!(disabled.admits(&Member {
            disability: true,
            ..member()
        }));
    }

    #[test]
    fn parses_an_export_with_extra_columns_in_any_order() {
        let text = format!(
            "{HEADER}\nM1,\"Jones, Ann\",2020-01-01,yes,no,2000-06-15,Wales,no\n\nM2,Bo,2021-03-04,Y,1,1990-01-01,London,true\n"
        );
        let register = Register::parse(&text).unwrap();
        assert_eq!(register.members().count(), 2);
        assert_eq!(register.member("M1"), Some(&member()));
        assert!(register.member("M2").unwrap().in_arrears);
    }

    #[test]
    fn reads_the_optional_email_column_and_refuses_a_bad_address() {
        let text = "member_number,joined,good_standing,arrears,date_of_birth,region,disability,Email\n\
                    M1,2020-01-01,yes,no,1990-01-01,Wales,no,  Ann@Example.ORG \n\
                    M2,2020-01-01,yes,no,1990-01-01,Wales,no,\n";
        let register = Register::parse(text).unwrap();
        assert_eq!(register.email("M1"), Some("ann@example.org"));
        assert_eq!(register.email("M2"), None);
        let without = text
            .replace(",Email", "")
            .replace(",  Ann@Example.ORG ", "");
        let without = without.replace("no,\n", "no\n");
        assert_eq!(Register::parse(&without).unwrap().email("M1"), None);
        let bad = text.replace("Ann@Example.ORG", "ann at example");
        let errors = Register::parse(&bad).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (2, "email"));
        for (address, ok) in [
            ("a@b.org", true),
            ("a@b", false),
            ("@b.org", false),
            ("a@@b.org", false),
            ("a b@c.org", false),
            ("a@b.org.", false),
        ] {
            assert_eq!(looks_like_email(address), ok, "{address}");
        }
    }

    #[test]
    fn reports_every_bad_row_by_line_and_column_and_keeps_nothing() {
        let text = format!(
            "{HEADER}\nM1,A,2020-01-01,yes,no,2000-06-15,Wales,no\n,B,2020-01-01,yes,no,2000-06-15,Wales,no\nM3,C,2020-02-30,maybe,no,2000-06-15,Wales,no\nM1,D,2020-01-01,yes,no,2000-06-15,Wales,no\n"
        );
        let errors = Register::parse(&text).unwrap_err();
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            found,
            [
                (3, "member_number"),
                (4, "joined"),
                (4, "good_standing"),
                (5, "member_number")
            ]
        );
        assert!(errors[3].problem.contains("appears twice"));
        assert!(errors[1].to_string().starts_with("line 4, column joined:"));
    }

    #[test]
    fn names_the_line_a_bad_row_is_on_after_blank_lines() {
        let text = format!(
            "{HEADER}\n\nM1,A,2020-01-01,yes,no,2000-06-15,Wales,no\r\n\r\n\r\nM2,B,2020-13-01,yes,no,2000-06-15,Wales,no\n"
        );
        let errors = Register::parse(&text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (6, "joined"));
    }

    #[test]
    fn refuses_a_header_without_the_needed_columns() {
        let errors = Register::parse("member_number,joined\nM1,2020-01-01\n").unwrap_err();
        assert_eq!(errors.len(), 5);
        assert!(errors.iter().all(|e| e.line == 1));
        assert!(Register::parse("").is_err());
    }

    #[test]
    fn csv_round_trips() {
        let mut odd = member();
        odd.number = "M\"2".into();
        odd.region = "North, West".into();
        let register = Register::from_members([member(), odd]).unwrap();
        assert_eq!(Register::parse(&register.to_csv()).unwrap(), register);
        assert_eq!(
            Register::from_members([member(), member()]),
            Err("M1".to_owned())
        );
    }

    #[test]
    fn diff_names_added_removed_and_changed_members() {
        let old = Register::parse(&format!(
            "{HEADER}\nM1,A,2020-01-01,yes,no,2000-06-15,Wales,no\nM2,B,2020-01-01,yes,no,2000-06-15,Wales,no\n"
        ))
        .unwrap();
        let new = Register::parse(&format!(
            "{HEADER}\nM1,A,2020-01-01,yes,yes,2000-06-15,Wales,no\nM3,C,2020-01-01,yes,no,2000-06-15,Wales,no\n"
        ))
        .unwrap();
        let diff = old.diff(&new);
        assert_eq!(diff.added, ["M3"]);
        assert_eq!(diff.removed, ["M2"]);
        assert_eq!(diff.changed, ["M1"]);
        assert_eq!(new.diff(&new), RegisterDiff::default());
    }
}
