//! Handing the trustees their shares of an election created in dealer mode: the server wrote one
//! share file per trustee into the election's key directory (as `teller election create` does);
//! the officer shows each trustee's share once, the trustee copies it into a file of their own,
//! and the server deletes its copy at that moment. The events log records each hand-over (which
//! trustee, never the share).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::path::PathBuf;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::{Officer, Refusal, State, blocking, page};
use crate::store::Store;

/// The election's trustees and, for each, whether the server still holds their share.
struct Shares {
    title: String,
    dealer: bool,
    threshold: i64,
    key_dir: PathBuf,
    held: Vec<bool>,
}

fn share_file(key_dir: &std::path::Path, trustee: usize) -> PathBuf {
    key_dir.join(format!("trustee-{trustee}.share"))
}

async fn shares(state: &State, id: &str) -> Result<Shares, Refusal> {
    let (store, id) = (state.store.clone(), id.to_owned());
    blocking(move || {
        let row = store
            .find_election(&id)?
            .ok_or_else(|| Refusal::NotFound(format!("there is no election {id:?}")))?;
        let manifest = row.manifest()?;
        let key_dir = PathBuf::from(&row.key_dir);
        let count = manifest.draft().trustees.commitments.len();
        Ok(Shares {
            title: manifest.draft().title.clone(),
            dealer: manifest.ceremony().is_none(),
            threshold: manifest.threshold() as i64,
            held: (1..=count)
                .map(|i| share_file(&key_dir, i).exists())
                .collect(),
            key_dir,
        })
    })
    .await
}

pub(super) async fn list(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    let shares = shares(&state, &id).await?;
    Ok(page(
        "The trustees' shares",
        Some(&officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election" } }
            h1 { "The trustees' shares: " (shares.title) }
            @if !shares.dealer {
                p { "The trustees made this election's key in their ceremony: each already holds their share, and this server never did." }
            } @else {
                p { "This server made the election key and split it into one share per trustee. Give each trustee their share, one at a time, with the trustee beside you:" }
                ol {
                    li { "Show the trustee's share. It appears once, and this server deletes its copy at that moment." }
                    li { "The trustee copies the line into a file of their own (for example " code { "trustee-1.share" } ") and keeps it safe, away from this server, until the tally." }
                }
                p { "Nobody else should see a share: any " (shares.threshold) " trustees' shares together decrypt the ballots. The events log records each hand-over, never the share." }
                ul.links {
                    @for (i, held) in shares.held.iter().enumerate() {
                        li {
                            @if *held {
                                form method="post" action={ "/console/e/" (id) "/shares" } {
                                    (officer.csrf_field())
                                    input type="hidden" name="trustee" value=(i + 1);
                                    button type="submit" { "Show trustee " (i + 1) "'s share" }
                                }
                            } @else {
                                "Trustee " (i + 1) ": handed over (this server no longer holds it)"
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// Which trustee's share to show.
#[derive(Deserialize)]
pub(super) struct Hand {
    /// Missing is refused as a wrong token (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    // Missing is read as 0 (no trustee), so that who posts is judged before what they posted.
    #[serde(default)]
    trustee: usize,
}

pub(super) async fn hand_over(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<Hand>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let shares = shares(&state, &id).await?;
    let trustee = form.trustee;
    if trustee == 0 || trustee > shares.held.len() {
        return Err(Refusal::Bad(format!("there is no trustee {trustee}")));
    }
    let store = state.store.acting_as(&officer.email);
    let (election, path) = (id.clone(), share_file(&shares.key_dir, trustee));
    let line = blocking(move || take_share(&store, &election, trustee, &path)).await?;
    let mut response = page(
        "A trustee's share",
        Some(&officer),
        html! {
            p { a href={ "/console/e/" (id) "/shares" } { "Done: back to the trustees' shares" } }
            h1 { "Trustee " (trustee) "'s share" }
            p { "The trustee copies this line, whole, into a file of their own and keeps it until the tally. This server has deleted its copy: this page is the only place it is shown." }
            pre.share { (line.trim_end()) }
        },
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Reads trustee `trustee`'s share file, records the hand-over, and deletes the file.
fn take_share(
    store: &Store,
    election: &str,
    trustee: usize,
    path: &std::path::Path,
) -> Result<zeroize::Zeroizing<String>, Refusal> {
    let line = match std::fs::read_to_string(path) {
        Ok(line) => zeroize::Zeroizing::new(line),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Refusal::Bad(format!(
                "trustee {trustee}'s share was handed over already: this server no longer holds it"
            )));
        }
        Err(e) => {
            eprintln!("teller serve: console: reading {}: {e}", path.display());
            return Err(Refusal::Internal);
        }
    };
    store.record_event(election, "share handed over", &format!("trustee {trustee}"))?;
    std::fs::remove_file(path).map_err(|e| {
        eprintln!("teller serve: console: deleting {}: {e}", path.display());
        Refusal::Internal
    })?;
    Ok(line)
}
