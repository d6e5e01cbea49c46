//! Fuzz target for the election definition (`election.toml`, `teller::admin::
//! ElectionDefinition::parse`), which `teller election create` and `teller simulate --election`
//! read. The `manifest` target covers the JSON manifest only; this one covers the TOML the
//! returning officer writes, and the checks `Manifest::new` makes on what it holds.
//!
//! Properties: parsing never panics; a definition that parses, given the committed record's keys
//! (RSA key generation per input would be far too slow), is checked by `Manifest::new` without
//! panicking, and a manifest it accepts parses back from its own bytes to the same fingerprint.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use teller::admin::ElectionDefinition;
use teller::core::manifest::{Manifest, ManifestDraft};

const MANIFEST: &[u8] = include_bytes!("../../tests/data/record/manifest.json");

fn fixture() -> &'static ManifestDraft {
    static DRAFT: OnceLock<ManifestDraft> = OnceLock::new();
    DRAFT.get_or_init(|| {
        Manifest::parse(MANIFEST)
            .expect("the committed manifest parses")
            .draft()
            .clone()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(definition) = ElectionDefinition::parse(text) else {
        return;
    };
    let fixture = fixture();
    let keys: Vec<_> = fixture.keys.issuers.values().cloned().collect();
    let mut draft = fixture.clone();
    draft.election = definition.election.clone();
    draft.title = definition.title.clone();
    draft.window = definition.window.clone();
    draft.revote = definition.revote;
    draft.reissue = definition.reissue;
    draft.contests = definition.contests.clone();
    draft.witnesses = definition.witnesses.clone();
    draft.keys.issuers = definition
        .contests
        .iter()
        .zip(keys.iter().cycle())
        .map(|(contest, key)| (contest.id.clone(), key.clone()))
        .collect();
    if let Ok(manifest) = Manifest::new(draft) {
        let again = Manifest::parse(manifest.bytes()).expect("a checked manifest parses");
        assert_eq!(again.fingerprint(), manifest.fingerprint());
        for contest in manifest.contests() {
            let _ = contest.count_options(&[0; 32]);
        }
    }
});
