//! Invitations by email (issue 15): each member with an address of their own on the register
//! gets a mail with their member number, a fresh invitation code, the booth's link with the
//! number filled in (never the code: a link is seen by whatever handles it) and the election's
//! fingerprint; in English and Welsh, as plain text and HTML. Sent over SMTP configured by URL,
//! in batches: a batch's codes are hashed and stored first, then mailed, then each member's
//! outcome recorded — a crash leaves at worst codes that were never mailed, which a re-send
//! replaces.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};
use maud::html;

use super::office::{invitations_csv, new_codes};
use crate::core::crypto::InvitationCode;
use crate::core::manifest::{Manifest, format_instant};
use crate::core::verify::Progress;
use crate::store::{ElectionState, MemberRow, Store};

/// Members hashed, stored and mailed together.
const BATCH: usize = 25;

/// Where and how invitations are mailed.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold a password: not shown.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// What became of one member's mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The mail server took it.
    Sent,
    /// The mail server refused the address for good (5xx).
    Bounced(String),
    /// It could not be handed over now (no connection, 4xx): send again later.
    Failed(String),
}

impl Mailer {
    /// A mailer for `smtp_url` (`smtps://user:pass@host:465`, `smtp://host:587?tls=required`,
    /// or `smtp://127.0.0.1:25` for a relay on this machine), sending as `from`; the booth links
    /// start with `public_url` (the address members reach this server at).
    pub fn new(smtp_url: &str, from: &str, public_url: &str) -> Result<Self> {
        let transport = SmtpTransport::from_url(smtp_url)
            .map_err(|e| anyhow!("--smtp: {e} (e.g. smtps://user:password@mail.example.org)"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow!("--mail-from {from:?}: {e}"))?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        anyhow::ensure!(
            public_url.starts_with("https://") || public_url.starts_with("http://"),
            "--public-url {public_url:?}: give the address members reach this server at, e.g. \
             https://vote.example.org"
        );
        Ok(Self {
            transport,
            from,
            public_url,
        })
    }

    /// The booth's link for `member` (the number filled in; the code is typed or pasted).
    pub fn booth_link(&self, election: &str, member: &str) -> String {
        let member: String = member
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("{}/e/{election}/?member={member}", self.public_url)
    }

    /// The invitation mail for one member.
    pub fn invitation(
        &self,
        manifest: &Manifest,
        member: &str,
        to: &str,
        code: &InvitationCode,
        closes: i64,
    ) -> Result<Message> {
        let draft = manifest.draft();
        let link = self.booth_link(&draft.election, member);
        let code = code.display();
        let fingerprint = manifest.fingerprint_hex();
        let closes = format_instant(closes);
        let title = &draft.title;
        let plain = format!(
            "{title}\n\n\
             You are invited to vote.\n\
             Fe'ch gwahoddir i bleidleisio.\n\n\
             Member number / Rhif aelodaeth: {member}\n\
             Invitation code / Cod gwahoddiad: {code}\n\n\
             Vote here / Pleidleisiwch yma:\n{link}\n\n\
             Voting closes / Mae'r pleidleisio'n cau: {closes}\n\n\
             Type or paste the code in the booth: it is not in the link, so that nobody who \
             sees the link can use it.\n\
             Teipiwch neu gludwch y cod yn y bwth: nid yw yn y ddolen, fel na all neb sy'n \
             gweld y ddolen ei ddefnyddio.\n\n\
             Before you vote, check that the booth shows this fingerprint:\n\
             Cyn pleidleisio, gwiriwch fod y bwth yn dangos yr ôl bys hwn:\n{fingerprint}\n\n\
             If another invitation reaches you later, only the newest code works.\n\
             Os daw gwahoddiad arall atoch yn nes ymlaen, dim ond y cod mwyaf newydd sy'n \
             gweithio.\n"
        );
        let html = html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { (title) } }
                body {
                    h1 { (title) }
                    p { "You are invited to vote." }
                    p lang="cy" { "Fe'ch gwahoddir i bleidleisio." }
                    table {
                        tr { th scope="row" { "Member number / " span lang="cy" { "Rhif aelodaeth" } } td { code { (member) } } }
                        tr { th scope="row" { "Invitation code / " span lang="cy" { "Cod gwahoddiad" } } td { code { (code) } } }
                        tr { th scope="row" { "Voting closes / " span lang="cy" { "Mae'r pleidleisio'n cau" } } td { (closes) } }
                    }
                    p { a href=(link) { "Vote here" } " / " a href=(link) lang="cy" { "Pleidleisiwch yma" } }
                    p { "Type or paste the code in the booth: it is not in the link, so that nobody who sees the link can use it." }
                    p lang="cy" { "Teipiwch neu gludwch y cod yn y bwth: nid yw yn y ddolen, fel na all neb sy'n gweld y ddolen ei ddefnyddio." }
                    p { "Before you vote, check that the booth shows this fingerprint:" }
                    p lang="cy" { "Cyn pleidleisio, gwiriwch fod y bwth yn dangos yr ôl bys hwn:" }
                    p { code { (fingerprint) } }
                    p { "If another invitation reaches you later, only the newest code works." }
                    p lang="cy" { "Os daw gwahoddiad arall atoch yn nes ymlaen, dim ond y cod mwyaf newydd sy'n gweithio." }
                }
            }
        };
        Message::builder()
            .from(self.from.clone())
            .to(to
                .parse()
                .map_err(|e| anyhow!("{to:?} is not an address: {e}"))?)
            .subject(format!(
                "Your invitation to vote: {title} / Eich gwahoddiad i bleidleisio"
            ))
            .multipart(MultiPart::alternative_plain_html(plain, html.into_string()))
            .context("writing the invitation mail")
    }

    /// Hands one mail to the SMTP server.
    pub fn send(&self, message: &Message) -> Delivery {
        match self.transport.send(message) {
            Ok(_) => Delivery::Sent,
            Err(e) if e.is_permanent() => Delivery::Bounced(e.to_string()),
            Err(e) => Delivery::Failed(e.to_string()),
        }
    }
}

/// Who can be mailed: members with an address no other member on the register shares.
#[derive(Debug, Default)]
pub struct Reach {
    /// Member number → their own address.
    pub by_email: BTreeMap<String, String>,
    /// Members sharing an address with another member: a letter each instead (a shared inbox
    /// would let one member read another's code).
    pub shared: Vec<String>,
    /// Members without an address: a letter each.
    pub without: Vec<String>,
}

/// Sorts the register's members into those mailed and those sent letters; members removed after
/// opening are in neither.
pub fn reach(members: &[MemberRow]) -> Reach {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for email in members.iter().filter_map(|m| m.email.as_deref()) {
        *uses.entry(email).or_default() += 1;
    }
    let mut reach = Reach::default();
    for member in members.iter().filter(|m| !m.removed) {
        match member.email.as_deref() {
            Some(email) if uses.get(email) == Some(&1) => {
                reach
                    .by_email
                    .insert(member.number.clone(), email.to_owned());
            }
            Some(_) => reach.shared.push(member.number.clone()),
            None => reach.without.push(member.number.clone()),
        }
    }
    reach
}

/// What a round of mailing did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mailed {
    /// Mails the server took.
    pub sent: usize,
    /// Addresses refused for good.
    pub bounced: usize,
    /// Mails that could not be handed over now.
    pub failed: usize,
}

/// Mails invitations to `targets` (member numbers, each with an address of their own): each
/// gets a new code, replacing any earlier one (`resend`: the status says `re-sent`). `progress`
/// is told after each mail.
pub fn mail_invitations(
    store: &Store,
    mailer: &Mailer,
    election: &str,
    targets: &[String],
    resend: bool,
    threads: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Mailed> {
    let row = store.election(election)?;
    anyhow::ensure!(
        row.is(ElectionState::Created) || row.is(ElectionState::Open),
        "election {election:?} is {}: invitations are for an election not yet closed",
        row.state
    );
    let manifest = row.manifest()?;
    let closes = row.window(&manifest).closes;
    let members = store.members(election)?;
    let reach = reach(&members);
    let mut addressed = Vec::with_capacity(targets.len());
    for number in targets {
        let email = reach.by_email.get(number).ok_or_else(|| {
            anyhow!("member {number} has no email address of their own on the register")
        })?;
        addressed.push((number.as_str(), email.as_str()));
    }
    let total = addressed.len();
    let mut mailed = Mailed::default();
    let kind = match resend {
        true => "invitations re-sent by email",
        false => "invitations emailed",
    };
    for batch in addressed.chunks(BATCH) {
        let numbers: Vec<&str> = batch.iter().map(|(n, _)| *n).collect();
        let made = new_codes(&numbers, threads, &|_| {})?;
        // Stored before mailing: no member holds a code the server does not know.
        let hashes: Vec<(String, String)> = made
            .iter()
            .map(|(n, _, h)| (n.clone(), h.clone()))
            .collect();
        store.set_codes_as(election, &hashes, kind)?;
        for ((number, email), (_, code, _)) in batch.iter().zip(&made) {
            let delivery = match mailer.invitation(&manifest, number, email, code, closes) {
                Ok(message) => mailer.send(&message),
                Err(e) => Delivery::Bounced(format!("{e:#}")),
            };
            let (status, detail) = match &delivery {
                Delivery::Sent if resend => ("re-sent", ""),
                Delivery::Sent => ("sent", ""),
                Delivery::Bounced(why) => ("bounced", why.as_str()),
                Delivery::Failed(why) => ("failed", why.as_str()),
            };
            match delivery {
                Delivery::Sent => mailed.sent += 1,
                Delivery::Bounced(_) => mailed.bounced += 1,
                Delivery::Failed(_) => mailed.failed += 1,
            }
            store.set_mail_status(election, number, status, detail)?;
            progress(Progress {
                stage: "mailing invitations",
                done: mailed.sent + mailed.bounced + mailed.failed,
                total,
            });
        }
    }
    Ok(mailed)
}

/// Letters for the members who cannot be mailed (no address, or one shared with another member)
/// and have no code yet: new codes, stored, and the invitations file (CSV for a mail merge) with
/// them. Returns the file and how many it holds.
pub fn letter_invitations(
    store: &Store,
    election: &str,
    threads: usize,
) -> Result<(String, usize)> {
    let row = store.election(election)?;
    anyhow::ensure!(
        row.is(ElectionState::Created) || row.is(ElectionState::Open),
        "election {election:?} is {}: invitations are for an election not yet closed",
        row.state
    );
    let members = store.members(election)?;
    let reach = reach(&members);
    let numbers: Vec<&str> = members
        .iter()
        .filter(|m| m.code_hash.is_none() && !m.removed && !reach.by_email.contains_key(&m.number))
        .map(|m| m.number.as_str())
        .collect();
    anyhow::ensure!(
        !numbers.is_empty(),
        "every member without an address of their own has a code already (a new one for a \
         member: `teller invitations export --reissue MEMBER`)"
    );
    let made = new_codes(&numbers, threads, &|_| {})?;
    let hashes: Vec<(String, String)> = made
        .iter()
        .map(|(n, _, h)| (n.clone(), h.clone()))
        .collect();
    store.set_codes_as(election, &hashes, "invitation letters exported")?;
    Ok((invitations_csv(&made), made.len()))
}
