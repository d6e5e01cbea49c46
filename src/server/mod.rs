//! `teller serve`: the JSON API of docs/API.md on actix-web — member login, pass issuance, casting
//! (no cookie, no identity), and the public logs — over the shared [`Store`].
//!
//! Casts go through one sequencer thread per process that appends whatever has queued up in one
//! transaction (group commit) and answers each cast only after that transaction is durable.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod booth;
pub mod console;
mod errors;
pub mod guard;
mod pages;
mod routes;
pub mod session;
pub mod throttle;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock, mpsc};

use actix_web::{App, HttpServer, middleware, web};
use anyhow::{Context, Result};

use crate::core::log::NoteSigner;
use crate::core::manifest::Manifest;
use crate::store::{CastOutcome, IssuerKeys, PendingCast, ServerKeys, Store, StoreError};
use session::SessionKey;

pub use errors::ApiError;

/// The largest request body accepted (a cast is about 1 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Casts appended in one transaction at most.
const MAX_BATCH: usize = 2048;

/// One election as the server holds it in memory.
pub struct LoadedElection {
    /// The checked manifest.
    pub manifest: Manifest,
    /// The secret keys of the roles this server holds for the election.
    keys: ServerKeys,
}

impl LoadedElection {
    /// The issuer's keys, or `not_found` where another operator is the issuer.
    fn issuer(&self) -> Result<&IssuerKeys, ApiError> {
        self.keys.issuer.as_ref().ok_or_else(|| ApiError::NotFound {
            what: "issuer for this election on this server (another operator runs it)".into(),
        })
    }

    /// The issuer's key for member session tokens.
    fn sessions(&self) -> Result<SessionKey, ApiError> {
        Ok(SessionKey::from_bytes(*self.issuer()?.session))
    }

    /// The ballot box's key, or `not_found` where another operator runs the ballot box.
    fn ballot_box(&self) -> Result<&NoteSigner, ApiError> {
        self.keys
            .ballot_log
            .as_ref()
            .ok_or_else(|| ApiError::NotFound {
                what: "ballot box for this election on this server (another operator runs it)"
                    .into(),
            })
    }
}

type Reply = tokio::sync::oneshot::Sender<Result<CastOutcome, StoreError>>;

/// Shared by every request handler.
pub struct AppState {
    store: Store,
    elections: RwLock<HashMap<String, Arc<LoadedElection>>>,
    archives: std::sync::Mutex<HashMap<String, Arc<PublishedArchive>>>,
    /// Held while an archive is built, so that first requests arriving together build it once
    /// (a national record is hundreds of megabytes).
    archive_building: std::sync::Mutex<()>,
    /// Rendered results pages: (election, contest, exact) → the page's sections.
    results: std::sync::Mutex<HashMap<(String, String, bool), Arc<pages::RenderedResults>>>,
    /// Which entries have each tracker, per election and log (the log page's search).
    trackers: std::sync::Mutex<HashMap<(String, crate::store::LogName), pages::TrackerIndex>>,
    /// The board's turnout figures and when they were counted, per election.
    turnout: std::sync::Mutex<HashMap<String, (std::time::Instant, pages::ContestTurnout)>>,
    sequencer: mpsc::Sender<(PendingCast, Reply)>,
    argon2: Hashers,
    in_flight: Arc<throttle::InFlight>,
    requests: Arc<throttle::InFlight>,
    request_timeout: std::time::Duration,
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Invitations by email from the console (`teller serve --smtp`).
    mailer: Option<Arc<console::Mailer>>,
    /// The console's long work (mailings, tallies) under way or last finished, by key.
    jobs: std::sync::Mutex<HashMap<String, Arc<console::Job>>>,
    /// Officers' passkey ceremonies under way.
    passkeys: console::Ceremonies,
    /// Where elections created from the console keep their keys: `<key_root>/<election>`.
    key_root: std::path::PathBuf,
}

/// A tallied election's record as one archive, as served.
pub struct PublishedArchive {
    /// The archive's bytes (shared with every response that sends them).
    pub bytes: actix_web::web::Bytes,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// The witness cosignatures stored when it was built.
    cosignatures: i64,
}

type HashJob = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

/// Logins queued per hashing thread before the next is answered `503 unavailable`: at tens of
/// milliseconds a hash, a member waits about a second at most, where an unbounded queue made
/// them wait behind a whole burst (2.6–15.6 s measured).
const QUEUED_PER_HASHER: usize = 16;

/// A fixed pool of threads for argon2id, each with its own 19 MiB of working memory: a login
/// burst queues here instead of exhausting memory, and no login maps fresh pages. One thread per
/// core: each takes the next login as soon as it finishes one. The queue is bounded.
pub struct Hashers {
    jobs: mpsc::Sender<HashJob>,
    queued: Arc<std::sync::atomic::AtomicUsize>,
    bound: usize,
}

impl Hashers {
    fn start(threads: usize) -> Result<Self> {
        let (jobs, queue) = mpsc::channel::<HashJob>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                })
                .context("starting the argon2 threads")?;
        }
        Ok(Self {
            jobs,
            queued: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            bound: threads.max(1) * QUEUED_PER_HASHER,
        })
    }

    /// Runs `f` on a hashing thread with its working memory.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<argon2::Block>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        use std::sync::atomic::Ordering;
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.bound {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::Unavailable { retry_after: 1 });
        }
        let queued = self.queued.clone();
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |memory| {
                let _ = reply.send(f(memory));
                queued.fetch_sub(1, Ordering::SeqCst);
            }))
            .map_err(|_| ApiError::internal("the argon2 threads have stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("an argon2 thread dropped a login"))?
    }
}

impl AppState {
    /// The state of a server on `store`: starts its sequencer and hashing threads.
    pub fn new(
        store: Store,
        request_timeout: std::time::Duration,
        trusted_proxies: Vec<ipnet::IpNet>,
    ) -> Result<Self> {
        let (sender, queue) = mpsc::channel();
        let sequencer_store = store.clone();
        std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || run_sequencer(sequencer_store, queue))
            .context("starting the sequencer")?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            store,
            elections: RwLock::new(HashMap::new()),
            archives: Default::default(),
            archive_building: Default::default(),
            results: Default::default(),
            turnout: Default::default(),
            trackers: Default::default(),
            sequencer: sender,
            argon2: Hashers::start(cores)?,
            in_flight: Default::default(),
            requests: Default::default(),
            request_timeout,
            trusted_proxies,
            mailer: None,
            jobs: Default::default(),
            passkeys: Default::default(),
            key_root: "keys".into(),
        })
    }

    /// The record of tallied election `id` as one archive (`core::archive`), built on first use
    /// and kept while no witness cosignature arrives (the tally fixes everything else; a witness
    /// may cosign the final checkpoints after it, which adds lines to the record's checkpoint
    /// files). `None` before the tally. Call off the async workers (it reads the whole record).
    fn archive(&self, id: &str) -> Result<Option<Arc<PublishedArchive>>, ApiError> {
        let poisoned = |_| ApiError::internal("archive cache poisoned");
        let cosignatures = self.store.cosignature_count(id)?;
        let cached = |archives: &HashMap<String, Arc<PublishedArchive>>| {
            (archives.get(id))
                .filter(|a| a.cosignatures == cosignatures)
                .cloned()
        };
        if let Some(archive) = cached(&*self.archives.lock().map_err(poisoned)?) {
            return Ok(Some(archive));
        }
        let _building = (self.archive_building.lock())
            .map_err(|_| ApiError::internal("archive builder poisoned"))?;
        // Another request may have built it while this one waited.
        if let Some(archive) = cached(&*self.archives.lock().map_err(poisoned)?) {
            return Ok(Some(archive));
        }
        let Some(files) = self.store.published_record(id)? else {
            return Ok(None);
        };
        let (bytes, sha256) = crate::core::archive::publish(id, &files);
        let archive = Arc::new(PublishedArchive {
            bytes: bytes.into(),
            sha256,
            cosignatures,
        });
        self.archives
            .lock()
            .map_err(poisoned)?
            .insert(id.to_owned(), archive.clone());
        Ok(Some(archive))
    }

    /// The election `id`, loaded (manifest and keys) on first use once it has opened.
    fn election(&self, id: &str) -> Result<Arc<LoadedElection>, ApiError> {
        if let Some(loaded) = self
            .elections
            .read()
            .map_err(|_| ApiError::internal("election cache poisoned"))?
            .get(id)
        {
            return Ok(loaded.clone());
        }
        // Only an election that is not in the database is `not_found`: a database that cannot
        // be reached is `unavailable` (it answered 404 before).
        let row = self
            .store
            .find_election(id)?
            .ok_or_else(|| ApiError::NotFound {
                what: format!("election {id:?}"),
            })?;
        let manifest = row.manifest()?;
        let keys = row.keys(&manifest)?;
        let loaded = Arc::new(LoadedElection { manifest, keys });
        // Until it opens an election can be edited (from any server on the database), so it is
        // read afresh each time; from the opening its manifest and keys never change.
        if row.is(crate::store::ElectionState::Created) {
            return Ok(loaded);
        }
        self.elections
            .write()
            .map_err(|_| ApiError::internal("election cache poisoned"))?
            .insert(id.to_owned(), loaded.clone());
        Ok(loaded)
    }
}

/// The sequencer: takes whatever casts have queued, appends them in one transaction, answers
/// each. Runs until every sender is gone.
fn run_sequencer(store: Store, queue: mpsc::Receiver<(PendingCast, Reply)>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (casts, replies): (Vec<PendingCast>, Vec<Reply>) = batch.into_iter().unzip();
        // Each cast its own answer: one election's failed transaction does not turn another's
        // durable ballots into errors.
        // A panic in one batch answers its casts `internal` (nothing of it was committed) and
        // leaves the sequencer running for the next.
        let count = casts.len();
        let outcomes =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.append_casts(casts)))
                .unwrap_or_else(|_| (0..count).map(|_| Err(StoreError::Panicked)).collect());
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

/// How often the closer looks for elections whose window has ended.
const CLOSER_PERIOD: std::time::Duration = std::time::Duration::from_secs(1);

/// Closes each open election of the database once its window (with any extension) has ended,
/// as `teller election close` would: a member's promise that voting ends at `closes` holds even
/// if nobody runs the command. Casts are refused from the closing time on by the box itself
/// (under its lock), so the second this takes to notice costs nothing. Another server on the same
/// database may close it first; that is not an error.
fn run_closer(store: Store) {
    let mut windows: HashMap<String, crate::core::manifest::Instants> = HashMap::new();
    loop {
        match store.elections() {
            Ok(rows) => {
                for row in rows
                    .iter()
                    .filter(|r| r.is(crate::store::ElectionState::Open))
                {
                    let manifest_window = match windows.get(&row.id) {
                        Some(window) => *window,
                        None => match row.manifest() {
                            Ok(manifest) => {
                                *windows.entry(row.id.clone()).or_insert(manifest.window())
                            }
                            Err(error) => {
                                eprintln!(
                                    "teller serve: reading {:?}'s manifest: {error:#}",
                                    row.id
                                );
                                continue;
                            }
                        },
                    };
                    let window = crate::store::effective(manifest_window, row.closes_extended);
                    if crate::store::now() < window.closes {
                        continue;
                    }
                    match store.close(&row.id) {
                        Ok(size) => eprintln!(
                            "teller serve: election {:?} closed at its closing time, {} ({size} log entries)",
                            row.id,
                            crate::core::manifest::format_instant(window.closes)
                        ),
                        Err(error) => match store.election(&row.id) {
                            Ok(now) if !now.is(crate::store::ElectionState::Open) => {}
                            _ => eprintln!(
                                "teller serve: closing {:?} at its closing time failed: {error:#}",
                                row.id
                            ),
                        },
                    }
                }
            }
            Err(error) => eprintln!("teller serve: looking for elections to close: {error:#}"),
        }
        std::thread::sleep(CLOSER_PERIOD);
    }
}

/// How `teller serve` runs.
pub struct ServeOptions {
    /// The address to listen on.
    pub bind: String,
    /// HTTP worker threads.
    pub workers: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a request may take to arrive and be answered (`--request-timeout`).
    pub request_timeout: std::time::Duration,
    /// The mail server for invitations from the console (`--smtp`), if any.
    pub mailer: Option<console::Mailer>,
    /// Where elections created from the console keep their keys (`--keys`).
    pub key_root: std::path::PathBuf,
}

/// Serves the API until the process is stopped; calls `ready` with the bound address once it
/// accepts connections.
pub fn serve(
    store: Store,
    options: ServeOptions,
    ready: impl FnOnce(SocketAddr) + Send + 'static,
) -> Result<()> {
    let ServeOptions {
        bind,
        workers,
        trusted_proxies,
        request_timeout,
        mailer,
        key_root,
    } = options;
    let bind = bind.as_str();
    let closer_store = store.clone();
    std::thread::Builder::new()
        .name("closer".into())
        .spawn(move || run_closer(closer_store))
        .context("starting the closer")?;
    let mut state = AppState::new(store, request_timeout, trusted_proxies)?;
    state.mailer = mailer.map(Arc::new);
    state.key_root = key_root;
    let state = web::Data::new(state);
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(MAX_BODY_BYTES)
                        .error_handler(|e, _| json_error(e).into()),
                )
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
                )
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
                )
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(middleware::from_fn(guard::guard))
                .wrap(security_headers())
                .configure(routes::routes)
                .configure(booth::routes)
                .configure(pages::routes)
                .configure(console::routes)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(ApiError::NotFound {
                        what: "this path".into(),
                    })
                }))
        })
        .workers(workers.max(1))
        // A client has this long to send a request's head; the guard bounds the whole request.
        .client_request_timeout(std::time::Duration::from_secs(5))
        .client_disconnect_timeout(std::time::Duration::from_secs(1))
        .keep_alive(std::time::Duration::from_secs(5))
        .backlog(4096)
        .max_connections(100_000)
        .bind(bind)
        .with_context(|| format!("listening on {bind}"))?;
        let address = server
            .addrs()
            .first()
            .copied()
            .context("the server has no address")?;
        let running = server.run();
        ready(address);
        running.await.context("serving")
    })
}

/// A body that is not the JSON a call takes, said in the API's words: no Rust type names, no
/// library wording (docs/API.md, `bad_request`).
fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    ApiError::BadRequest(match error {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => {
            format!("the body is over {} KiB", MAX_BODY_BYTES / 1024)
        }
        E::ContentType => "the body must be JSON, sent as Content-Type: application/json".into(),
        E::Deserialize(e) => {
            let at = format!("line {}, column {}", e.line(), e.column());
            match e.classify() {
                serde_json::error::Category::Data => {
                    // serde names the Rust type where a JSON object was expected.
                    let text = e.to_string();
                    let text = text.split(" at line ").next().unwrap_or(&text);
                    let words: Vec<&str> = text.split(' ').collect();
                    let mut said = Vec::with_capacity(words.len());
                    let mut skip = false;
                    for word in words {
                        if skip {
                            skip = false;
                            continue;
                        }
                        if word == "struct" || word == "enum" {
                            said.push("a JSON object of this call's fields");
                            skip = true;
                        } else {
                            said.push(word);
                        }
                    }
                    format!(
                        "the body is not this call's request: {} ({at})",
                        said.join(" ")
                    )
                }
                _ => format!("the body is not valid JSON ({at})"),
            }
        }
        _ => "the body could not be read".into(),
    })
}

/// The headers on every answer (the booth's pages set their own CSP and caching).
pub(crate) const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
];

fn security_headers() -> middleware::DefaultHeaders {
    SECURITY_HEADERS
        .into_iter()
        .fold(middleware::DefaultHeaders::new(), |headers, header| {
            headers.add(header)
        })
}
