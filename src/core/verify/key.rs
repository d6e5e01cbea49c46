//! The key (§14 checks `key-shares`, `election-key`): the revealed shares match the manifest's
//! commitments and are at least the threshold, the key they rebuild is the revealed key, and the
//! revealed key is the secret half of the manifest's election key. Without such a key nothing can
//! be opened, and the recount's checks say so.

use super::{ELECTION_KEY, KEY_SHARES, Verifier};
use crate::core::crypto::{ElectionSecretKey, Share, decode, reconstruct};
use crate::core::manifest::Manifest;
use crate::core::record::{Reveal, layout};

impl Verifier<'_> {
    pub(super) fn reveal(&mut self, manifest: &Manifest) -> Option<ElectionSecretKey> {
        let bytes = self.required(KEY_SHARES, layout::REVEAL)?;
        let reveal: Reveal = match decode(bytes) {
            Ok(reveal) => reveal,
            Err(e) => {
                self.fail(KEY_SHARES, format!("{}: {e}", layout::REVEAL));
                self.not_checked(&[ELECTION_KEY], "the key reveal cannot be read");
                return None;
            }
        };
        let key = ElectionSecretKey::new(reveal.key.array(), manifest.key_origin());
        let shares: Result<Vec<Share>, String> = reveal
            .shares
            .iter()
            .map(|s| {
                let index =
                    u8::try_from(s.index).map_err(|_| format!("share index {}", s.index))?;
                Share::new(index, s.value.array()).map_err(|e| e.to_string())
            })
            .collect();
        match shares.and_then(|shares| {
            reconstruct(
                &shares,
                &manifest.share_commitments(),
                manifest.threshold(),
                manifest.key_origin(),
            )
            .map_err(|e| e.to_string())
        }) {
            Ok(rebuilt) => {
                if rebuilt != key {
                    self.fail(
                        ELECTION_KEY,
                        "the key rebuilt from the shares is not the revealed key",
                    );
                }
            }
            Err(e) => self.fail(KEY_SHARES, e),
        }
        match key.public_key() {
            Ok(public) if public == manifest.election_key() => Some(key),
            _ => {
                self.fail(
                    ELECTION_KEY,
                    "the revealed key does not match the manifest's election public key",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, failures, fixture};
    use super::*;
    use crate::core::record::reveal_file;
    use crate::core::verify::Record;

    /// The fixture with its reveal edited, and what the key checks make of it.
    fn reveal_edited(
        edit: impl FnOnce(&mut Reveal),
    ) -> (Record, Option<ElectionSecretKey>, Vec<String>, Vec<String>) {
        let mut record = fixture();
        let mut reveal: Reveal = decode(&record.files[layout::REVEAL]).unwrap();
        edit(&mut reveal);
        record
            .files
            .insert(layout::REVEAL.into(), reveal_file(&reveal).unwrap());
        let manifest = Manifest::parse(&record.files[layout::MANIFEST]).unwrap();
        let mut verifier = Verifier::new(&record, &OPTIONS);
        let key = verifier.reveal(&manifest);
        let shares = failures(&verifier, KEY_SHARES).to_vec();
        let election_key = failures(&verifier, ELECTION_KEY).to_vec();
        (record, key, shares, election_key)
    }

    #[test]
    fn the_fixture_reveal_gives_the_manifests_key() {
        let (_, key, shares, election_key) = reveal_edited(|_| {});
        assert!(key.is_some());
        assert!(
            shares.is_empty() && election_key.is_empty(),
            "{shares:?} {election_key:?}"
        );
    }

    #[test]
    fn a_revealed_key_with_a_flipped_bit_is_neither_the_shares_nor_the_manifests() {
        let (_, key, shares, election_key) = reveal_edited(|r| r.key.0[1] ^= 1);
        assert!(key.is_none());
        assert!(shares.is_empty());
        assert_eq!(
            election_key,
            [
                "the key rebuilt from the shares is not the revealed key",
                "the revealed key does not match the manifest's election public key"
            ]
        );
    }

    /// X25519 clamps the secret key (RFC 7748 §5), so a flipped low bit gives the same public key
    /// and opens the same ballots: only the shares can tell, and they do.
    #[test]
    fn a_revealed_key_with_a_flipped_clamped_bit_fails_against_the_shares() {
        let (_, key, shares, election_key) = reveal_edited(|r| r.key.0[0] ^= 1);
        assert!(key.is_some(), "the public key cannot see a clamped bit");
        assert!(shares.is_empty());
        assert_eq!(
            election_key,
            ["the key rebuilt from the shares is not the revealed key"]
        );
    }

    #[test]
    fn a_wrong_share_and_too_few_shares_fail_the_shares() {
        let (_, key, shares, _) = reveal_edited(|r| r.shares[1].value.0[5] ^= 1);
        // The revealed key is still the manifest's: it opens the ballots, but the shares are wrong.
        assert!(key.is_some());
        assert!(shares[0].contains('2'), "{shares:?}");
        let (_, _, shares, _) = reveal_edited(|r| {
            r.shares.pop();
        });
        assert_eq!(shares.len(), 1, "{shares:?}");
        let (_, _, shares, _) = reveal_edited(|r| r.shares[1].index = 300);
        assert_eq!(shares, ["share index 300"]);
    }
}
