use super::*;

/// The manifest of the committed fixture record (tests/data/record).
fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/record/manifest.json"
    ))
    .expect("the fixture manifest")
}

fn edited(edit: impl FnOnce(&mut ManifestDraft)) -> Result<Manifest, ManifestError> {
    let mut draft: ManifestDraft = decode(&fixture()).expect("the fixture decodes");
    edit(&mut draft);
    Manifest::new(draft)
}

#[test]
fn the_fixture_parses_and_its_fingerprint_is_the_sha256_of_the_file() {
    let manifest = Manifest::parse(&fixture()).unwrap();
    let digest: [u8; 32] = Sha256::digest(fixture()).into();
    assert_eq!(manifest.fingerprint(), digest);
    assert_eq!(
        manifest.contest("youth").unwrap().eligibility().under_age,
        Some(27)
    );
}

#[test]
fn refuses_names_and_titles_that_are_not_one_line() {
    for (edit, field) in [
        (
            Box::new(|d: &mut ManifestDraft| d.title = "NEC\n2026".into())
                as Box<dyn FnOnce(&mut ManifestDraft)>,
            "title",
        ),
        (
            Box::new(|d: &mut ManifestDraft| d.contests[0].title = "Chair\r".into()),
            "title",
        ),
        (
            Box::new(|d: &mut ManifestDraft| d.contests[0].candidates[2].name = "Ada\nBo".into()),
            "candidate 3 name",
        ),
        (
            Box::new(|d: &mut ManifestDraft| {
                d.contests[0].candidates[0].name = "Ada\u{2028}".into()
            }),
            "candidate 1 name",
        ),
        (
            Box::new(|d: &mut ManifestDraft| {
                d.contests[0].candidates[0].slate = Some("L\teft".into())
            }),
            "candidate 1 slate",
        ),
        (
            Box::new(|d: &mut ManifestDraft| d.contests[0].candidates[1].name = " ".into()),
            "candidate 2 name",
        ),
        (
            Box::new(|d: &mut ManifestDraft| {
                d.contests[0].candidates[1].statement = Some("A\u{7}".into())
            }),
            "candidate 2 statement",
        ),
    ] {
        match edited(edit) {
            Err(ManifestError::BadText { field: got, .. }) => {
                assert!(got.ends_with(field), "{got} should name {field}")
            }
            other => panic!("{field}: expected BadText, got {other:?}"),
        }
    }
    // A statement may have paragraphs; names may hold quotes and accents.
    edited(|d| {
        d.contests[0].candidates[0].statement = Some("One.\n\nTwo.".into());
        d.contests[0].candidates[0].name = "Siân \"Ada\" O'Brien".into();
    })
    .unwrap();
}

#[test]
fn the_window_is_two_rfc3339_instants_in_order() {
    let window = |opens: &str, closes: &str| {
        edited(|d| {
            d.window.opens = opens.into();
            d.window.closes = closes.into();
        })
        .map(|m| m.window())
    };
    let parsed = window("2026-11-01T09:00:00Z", "2026-11-21T18:00:00+01:00").unwrap();
    assert_eq!(parsed.opens, 1_793_523_600);
    assert_eq!(parsed.closes - parsed.opens, 20 * 86_400 + 8 * 3_600);
    assert!(parsed.contains(parsed.opens) && !parsed.contains(parsed.closes));
    assert_eq!(format_instant(parsed.opens), "2026-11-01T09:00:00Z");
    for (opens, closes, says) in [
        (
            "1 November 2026",
            "2026-11-21T17:00:00Z",
            "opens: \"1 November 2026\" is not an RFC 3339",
        ),
        (
            "2026-11-01T09:00:00Z",
            "2026-11-21",
            "closes: \"2026-11-21\" is not an RFC 3339",
        ),
        (
            "2026-11-01T09:00:00Z",
            "2026-11-01T09:00:00Z",
            "closes (2026-11-01T09:00:00Z) before",
        ),
        (
            "2026-11-21T17:00:00Z",
            "2026-11-01T09:00:00Z",
            "closes (2026-11-01T09:00:00Z) before",
        ),
    ] {
        let refused = window(opens, closes).unwrap_err().to_string();
        assert!(
            refused.starts_with("window: ") && refused.contains(says),
            "{refused}"
        );
    }
}

#[test]
fn refuses_a_second_spelling_of_the_same_manifest() {
    let text = String::from_utf8(fixture()).unwrap();
    // `"minimum":null` is canonical JSON and decodes to the same draft, but is not the
    // manifest's encoding, so its SHA-256 would not be the fingerprint.
    let spelled = text.replacen(
        "\"method\":\"irv\"",
        "\"method\":\"irv\",\"minimum\":null",
        1,
    );
    assert_eq!(
        Manifest::parse(spelled.as_bytes()).unwrap_err(),
        ManifestError::NotTheEncoding
    );
}

#[test]
fn refuses_each_kind_of_bad_contest_with_its_reason() {
    let contest_problem = |r: Result<Manifest, ManifestError>| match r {
        Err(ManifestError::Contest { problem, .. }) => problem,
        other => panic!("expected a contest problem, got {other:?}"),
    };
    let p = contest_problem(edited(|d| d.contests[0].seats = 19));
    assert!(p.contains("seats 19"), "{p}");
    let p = contest_problem(edited(|d| d.contests[1].seats = 2));
    assert!(p.contains("irv fills exactly one seat"), "{p}");
    let p = contest_problem(edited(|d| d.contests[0].method = "borda".into()));
    assert!(p.contains("borda"), "{p}");
    let p = contest_problem(edited(|d| {
        d.contests[0].minimum.as_mut().unwrap().seats = 10;
    }));
    assert!(p.contains("cannot be met"), "{p}");
    let p = contest_problem(edited(|d| {
        d.contests[0].eligibility.freeze = "2026-02-30".into()
    }));
    assert!(p.contains("eligibility.freeze"), "{p}");
    let p = contest_problem(edited(|d| d.contests[1].eligibility.under_age = Some(0)));
    assert!(p.contains("under_age"), "{p}");
    let p = contest_problem(edited(|d| {
        let name = d.contests[0].candidates[0].name.clone();
        d.contests[0].candidates[1].name = name;
    }));
    assert!(!p.is_empty());
}

/// Issue 9: with one key for every contest, a member eligible for one contest could blind a
/// pass message for another and the issuer, who cannot see it, would sign it.
#[test]
fn refuses_issuer_keys_that_are_not_one_per_contest() {
    let shared = edited(|d| {
        let nec = d.keys.issuers["nec"].clone();
        d.keys.issuers.insert("youth".into(), nec);
    });
    assert!(
        matches!(&shared, Err(ManifestError::SharedIssuerKey { first, second })
            if [first.as_str(), second.as_str()] == ["nec", "youth"]),
        "{shared:?}"
    );
    let missing = edited(|d| {
        d.keys.issuers.remove("wales");
    });
    assert_eq!(
        missing.unwrap_err(),
        ManifestError::IssuerKeysNotTheContests {
            missing: vec!["wales".into()],
            unknown: vec![]
        }
    );
    let unknown = edited(|d| {
        let nec = d.keys.issuers["nec"].clone();
        d.keys.issuers.insert("treasurer".into(), nec);
    });
    assert_eq!(
        unknown.unwrap_err(),
        ManifestError::IssuerKeysNotTheContests {
            missing: vec![],
            unknown: vec!["treasurer".into()]
        }
    );
}

#[test]
fn a_reissue_is_allowed_only_under_the_limit_and_for_officer_with_a_grant() {
    let member = |limit| Reissue {
        by: ReissueBy::Member,
        limit,
    };
    let officer = |limit| Reissue {
        by: ReissueBy::Officer,
        limit,
    };
    assert_eq!(member(0).allows(0, true), Err(ReissueRefused::NoneAllowed));
    assert_eq!(member(1).allows(0, false), Ok(()));
    assert_eq!(
        member(1).allows(1, false),
        Err(ReissueRefused::LimitReached { limit: 1 })
    );
    assert_eq!(officer(2).allows(0, false), Err(ReissueRefused::NotGranted));
    assert_eq!(officer(2).allows(1, true), Ok(()));
    assert_eq!(
        officer(2).allows(2, true),
        Err(ReissueRefused::LimitReached { limit: 2 })
    );
}

#[test]
fn refuses_bad_ids_keys_and_trustees() {
    assert!(matches!(
        edited(|d| d.contests[1].id = "nec".into()),
        Err(ManifestError::DuplicateContest(_))
    ));
    assert!(matches!(
        edited(|d| d.contests[0].id = "NEC".into()),
        Err(ManifestError::BadId { .. })
    ));
    assert!(matches!(
        edited(|d| d.trustees.threshold = 4),
        Err(ManifestError::BadTrustees { .. })
    ));
    assert!(matches!(
        edited(|d| d.keys.issuers.get_mut("nec").unwrap().0.truncate(100)),
        Err(ManifestError::BadKey { key: "issuers", .. })
    ));
    assert!(matches!(
        edited(|d| d.keys.ballot_log = "not a key".into()),
        Err(ManifestError::BadKey {
            key: "ballot_log",
            ..
        })
    ));
    assert!(matches!(
        edited(|d| d.reissue.limit = 10),
        Err(ManifestError::BadReissueLimit(10))
    ));
    assert!(matches!(
        edited(|d| d.reissue.limit = -1),
        Err(ManifestError::BadReissueLimit(-1))
    ));
    assert!(edited(|d| d.reissue.limit = 0).is_ok());
    assert!(edited(|d| d.reissue.limit = MAX_REISSUES).is_ok());
    assert!(matches!(
        edited(|d| d.version = 2),
        Err(ManifestError::Version(2))
    ));
    assert!(matches!(
        edited(|d| d.contests.clear()),
        Err(ManifestError::NoContests)
    ));
}

fn witness_key(name: &str, seed: u8) -> String {
    crate::core::log::Witness::from_seed(name, &[seed; 32])
        .unwrap()
        .public()
        .encode()
}

#[test]
fn witnesses_are_optional_and_named_with_a_quorum_in_range() {
    // Absent: the fixture's bytes (and fingerprint) are unchanged, and the quorum is 0.
    let plain = Manifest::parse(&fixture()).unwrap();
    assert!(plain.witnesses().is_empty());
    assert_eq!(plain.witness_quorum(), 0);
    let (a, b) = (witness_key("w.example/a", 2), witness_key("w.example/b", 3));
    let named = edited(|d| {
        d.witnesses = Some(Witnesses {
            keys: vec![a.clone(), b.clone()],
            quorum: 2,
        })
    })
    .unwrap();
    assert_eq!(named.witness_quorum(), 2);
    assert_eq!(named.witnesses()[1].encode(), b);
    let again = Manifest::parse(named.bytes()).unwrap();
    assert_eq!(again.fingerprint(), named.fingerprint());
    assert_ne!(named.fingerprint(), plain.fingerprint());
    let refused = |keys: Vec<String>, quorum| match edited(|d| {
        d.witnesses = Some(Witnesses { keys, quorum })
    }) {
        Err(ManifestError::BadWitnesses(why)) => why,
        other => panic!("accepted or other error: {other:?}"),
    };
    assert!(refused(vec![a.clone(), b.clone()], 3).contains("quorum 3"));
    assert!(refused(vec![a.clone()], 0).contains("quorum 0"));
    assert!(refused(vec![], 1).contains("not 0"));
    assert!(refused(vec![a.clone(), witness_key("w.example/a", 4)], 1).contains("named twice"));
    assert!(refused(vec![a.replace("+", "-")], 1).contains("key 1"));
    // A log's signed-note key is not a witness key.
    let note_key = crate::core::log::NoteSigner::from_seed("w.example/n", &[5; 32])
        .unwrap()
        .verifier()
        .encode();
    assert!(refused(vec![note_key], 1).contains("key 1"));
}
