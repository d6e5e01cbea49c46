//! The checks [`super::Manifest::new`] makes, once: ids, texts, keys, each contest's seats,
//! candidates, rule and constraint, the window.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use super::*;

pub(super) fn check_id(what: &'static str, id: &str, max: usize) -> Result<(), ManifestError> {
    let ok = !id.is_empty()
        && id.len() <= max
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ManifestError::BadId {
            what,
            id: id.to_owned(),
            max,
        })
    }
}

pub(super) fn check_issuer_key(
    contest: &str,
    der: &[u8],
) -> Result<IssuerPublicKey, ManifestError> {
    let bad = |problem: String| ManifestError::BadKey {
        key: "issuers",
        problem: format!("{contest}: {problem}"),
    };
    let issuer = IssuerPublicKey::from_der(der).map_err(|e| bad(e.to_string()))?;
    if issuer.components().n().len() * 8 != crate::core::crypto::ISSUER_KEY_BITS {
        return Err(bad(format!(
            "must be a {}-bit RSA key",
            crate::core::crypto::ISSUER_KEY_BITS
        )));
    }
    Ok(issuer)
}

/// Checks one contest; its id was checked with the others' (`Manifest::new`).
/// Every name and title is one line of text: the BLT file and the CSV reports put each on one
/// line, so a line break (or any other control character, which no printed name holds) would
/// make a record whose files cannot be read back. A statement may hold line breaks (it is only
/// shown), nothing else.
pub(super) fn check_texts(draft: &ManifestDraft) -> Result<(), ManifestError> {
    let check = |field: String, text: &str, required: bool, newlines: bool| {
        let bad = |problem| {
            Err(ManifestError::BadText {
                field: field.clone(),
                problem,
            })
        };
        if required && text.trim().is_empty() {
            return bad("must not be empty");
        }
        let line_break = |c: char| matches!(c, '\u{2028}' | '\u{2029}');
        if text
            .chars()
            .any(|c| (c.is_control() && !(newlines && c == '\n')) || line_break(c))
        {
            return bad(if newlines {
                "must not hold control characters other than line breaks (\\n)"
            } else {
                "must be one line: no line breaks, tabs or other control characters"
            });
        }
        Ok(())
    };
    check("title".into(), &draft.title, true, false)?;
    for contest in &draft.contests {
        let id = &contest.id;
        check(format!("contest {id}: title"), &contest.title, true, false)?;
        for (i, candidate) in contest.candidates.iter().enumerate() {
            let at = |what: &str| format!("contest {id}: candidate {} {what}", i + 1);
            check(at("name"), &candidate.name, true, false)?;
            for (what, value) in [("gender", &candidate.gender), ("slate", &candidate.slate)] {
                if let Some(value) = value {
                    check(at(what), value, true, false)?;
                }
            }
            if let Some(statement) = &candidate.statement {
                check(at("statement"), statement, false, true)?;
            }
        }
    }
    Ok(())
}

/// Checks one contest in the order its definition reads (id, title, seats, rule, candidates,
/// constraint, eligibility), each check with the message that says how to fix it.
pub(super) fn check_contest(
    draft: &ContestDraft,
    issuer: IssuerPublicKey,
) -> Result<Contest, ManifestError> {
    let problem = |problem: String| ManifestError::Contest {
        contest: draft.id.clone(),
        problem,
    };
    let method: Method = draft.method.parse().map_err(|e| problem(format!("{e}")))?;
    let candidates = draft.candidates.len();
    if candidates == 0 || candidates > MAX_CANDIDATES {
        return Err(problem(format!(
            "needs 1 to {MAX_CANDIDATES} candidates, has {candidates}"
        )));
    }
    if draft.seats < 1 || draft.seats as usize > candidates {
        return Err(problem(format!(
            "seats {} must be between 1 and the number of candidates ({candidates})",
            draft.seats
        )));
    }
    if method == Method::Irv && draft.seats != 1 {
        return Err(problem("irv fills exactly one seat".to_owned()));
    }
    // The count refuses duplicate names; catch them here, where the fix is.
    ElectionBuilder::new(super::count_candidates(draft)).map_err(|e| problem(e.to_string()))?;
    let constraint = match &draft.minimum {
        None => None,
        Some(minimum) => {
            let attribute = match minimum.attribute.as_str() {
                "gender" => Attribute::Gender,
                "slate" => Attribute::Slate,
                other => {
                    return Err(problem(format!(
                        "minimum.attribute {other:?} must be gender or slate"
                    )));
                }
            };
            let in_group = draft
                .candidates
                .iter()
                .filter(|c| {
                    let value = match attribute {
                        Attribute::Gender => &c.gender,
                        Attribute::Slate => &c.slate,
                    };
                    value.as_deref() == Some(minimum.value.as_str())
                })
                .count();
            if minimum.seats < 1 || minimum.seats > draft.seats || minimum.seats as usize > in_group
            {
                return Err(problem(format!(
                    "minimum of {} seats for {}={} cannot be met: {} seats, {in_group} such candidates",
                    minimum.seats, minimum.attribute, minimum.value, draft.seats
                )));
            }
            Some(Constraint {
                attribute,
                value: minimum.value.clone(),
                minimum: minimum.seats as usize,
            })
        }
    };
    let rule = &draft.eligibility;
    let freeze = Date::parse(&rule.freeze).ok_or_else(|| {
        problem(format!(
            "eligibility.freeze {:?} is not a date YYYY-MM-DD",
            rule.freeze
        ))
    })?;
    let under_age = rule
        .under_age
        .map(|age| {
            u16::try_from(age)
                .ok()
                .filter(|age| (1..=150).contains(age))
                .ok_or_else(|| problem(format!("eligibility.under_age {age} is not an age")))
        })
        .transpose()?;
    if rule.region.as_ref().is_some_and(|r| r.trim().is_empty()) {
        return Err(problem(
            "eligibility.region is empty; leave it out for every region".into(),
        ));
    }
    Ok(Contest {
        draft: draft.clone(),
        issuer,
        method,
        constraint,
        eligibility: EligibilityRule {
            freeze,
            exclude_arrears: rule.exclude_arrears,
            under_age,
            region: rule.region.clone(),
            disability: rule.disability,
        },
    })
}

pub(super) fn check_window(window: &Window) -> Result<Instants, ManifestError> {
    let opens = parse_instant(&window.opens)
        .map_err(|e| ManifestError::BadWindow(format!("opens: {e}")))?;
    let closes = parse_instant(&window.closes)
        .map_err(|e| ManifestError::BadWindow(format!("closes: {e}")))?;
    if opens >= closes {
        return Err(ManifestError::BadWindow(format!(
            "it closes ({}) before it opens ({})",
            window.closes, window.opens
        )));
    }
    Ok(Instants { opens, closes })
}
