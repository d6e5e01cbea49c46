//! The booth's pages and assets, embedded in the binary (docs/design/booth.md): one HTML shell
//! for `/` and `/e/{election}/`, and content-addressed assets under `/assets/` served
//! `immutable`, each referenced with Subresource Integrity, under a CSP that allows nothing from
//! another origin and no inline script or style.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use base64ct::{Base64, Encoding as _};
use sha2::{Digest as _, Sha256};

const SHELL: &str = include_str!("../../booth/index.html");
const SCRIPT: &[u8] = include_bytes!("../../booth/booth.js");
const STYLE: &[u8] = include_bytes!("../../booth/booth.css");
const TEXT: &[u8] = include_bytes!("../../booth/text.json");
const PUBLIC_STYLE: &[u8] = include_bytes!("../../booth/public.css");
const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/teller_booth.wasm"));
const VERIFIER_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/teller_verifier.wasm"));
const VERIFY_SCRIPT: &[u8] = include_bytes!("../../booth/verify.js");
const VERIFY_WORKER: &[u8] = include_bytes!("../../booth/verify-worker.js");
const CONSOLE_SCRIPT: &[u8] = include_bytes!("../../booth/console.js");

/// The verifier page's module's name among the assets.
pub const VERIFIER_WASM_SOURCE: &str = "wasm (teller_verifier.wasm)";

/// The verifier's worker runs the module: its policy (a worker's own, from its script's answer)
/// allows WebAssembly and nothing else.
const WORKER_CSP: &str = "default-src 'none'; script-src 'wasm-unsafe-eval'";

/// The pages' policy: our own scripts, styles and WebAssembly, fetches to ourselves, nothing else.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; \
    frame-ancestors 'none'";

/// One embedded file.
pub struct Asset {
    /// Its name in the source tree (`booth/…`, or the built module).
    pub source: &'static str,
    /// Its URL, named by its hash.
    pub url: String,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
    /// SHA-256, hex.
    pub sha256: String,
    /// The `integrity` attribute's value.
    pub integrity: String,
    /// The bytes gzipped once, at start (most browsers ask for gzip).
    pub gzipped: Vec<u8>,
    /// Its own `Content-Security-Policy`, for a worker script (a worker's policy comes from its
    /// script's answer); `None` leaves the server's default.
    csp: Option<&'static str>,
}

impl Asset {
    fn new(
        source: &'static str,
        stem: &str,
        ext: &str,
        content_type: &'static str,
        bytes: &'static [u8],
    ) -> Self {
        let digest = Sha256::digest(bytes);
        let sha256 = base16ct::lower::encode_string(&digest);
        Self {
            source,
            url: format!("/assets/{stem}.{}.{ext}", &sha256[..16]),
            content_type,
            bytes,
            integrity: format!("sha256-{}", Base64::encode_string(&digest)),
            sha256,
            gzipped: gzip(bytes),
            csp: None,
        }
    }

    fn with_csp(self, csp: &'static str) -> Self {
        Self {
            csp: Some(csp),
            ..self
        }
    }
}

/// The booth: its assets, the shell that names them, and the hash of the whole.
pub struct Booth {
    /// Script, style, text catalogue, WebAssembly.
    pub assets: Vec<Asset>,
    /// The shell page with every asset's URL and integrity filled in.
    shell: String,
    /// SHA-256 over the listing of every file's SHA-256 (see [`Booth::listing`]).
    pub code_hash: String,
}

impl Booth {
    /// The booth built into this binary.
    pub fn get() -> &'static Booth {
        static BOOTH: OnceLock<Booth> = OnceLock::new();
        BOOTH.get_or_init(Booth::build)
    }

    fn build() -> Booth {
        let assets = vec![
            Asset::new(
                "booth/booth.js",
                "booth",
                "js",
                "text/javascript; charset=utf-8",
                SCRIPT,
            ),
            Asset::new(
                "booth/booth.css",
                "booth",
                "css",
                "text/css; charset=utf-8",
                STYLE,
            ),
            Asset::new("booth/text.json", "text", "json", "application/json", TEXT),
            Asset::new(
                "wasm (teller_booth.wasm)",
                "teller_booth",
                "wasm",
                "application/wasm",
                WASM,
            ),
            // The public pages' stylesheets (server/pages.rs): the count report's, and theirs.
            Asset::new(
                "render/report.css",
                "report",
                "css",
                "text/css; charset=utf-8",
                crate::core::count::render::STYLESHEET.as_bytes(),
            ),
            Asset::new(
                "booth/public.css",
                "public",
                "css",
                "text/css; charset=utf-8",
                PUBLIC_STYLE,
            ),
            // The verifier page (server/pages.rs), its worker and its module.
            Asset::new(
                "booth/verify.js",
                "verify",
                "js",
                "text/javascript; charset=utf-8",
                VERIFY_SCRIPT,
            ),
            Asset::new(
                "booth/verify-worker.js",
                "verify-worker",
                "js",
                "text/javascript; charset=utf-8",
                VERIFY_WORKER,
            )
            .with_csp(WORKER_CSP),
            // The officers' console's passkeys (server/console).
            Asset::new(
                "booth/console.js",
                "console",
                "js",
                "text/javascript; charset=utf-8",
                CONSOLE_SCRIPT,
            ),
            Asset::new(
                VERIFIER_WASM_SOURCE,
                "teller_verifier",
                "wasm",
                "application/wasm",
                VERIFIER_WASM,
            ),
        ];
        let text: serde_json::Value = serde_json::from_slice(TEXT).unwrap_or_default();
        let say = |lang: &str, key: &str| {
            escape(
                text[lang][key]
                    .as_str()
                    .or(text["en"][key].as_str())
                    .unwrap_or(""),
            )
        };
        let listing = listing_of(&assets, SHELL);
        let code_hash = base16ct::lower::encode_string(&Sha256::digest(listing.as_bytes()));
        let mut shell = SHELL.to_owned();
        for (name, asset) in ["js", "css", "text", "wasm"].iter().zip(&assets) {
            shell = shell
                .replace(&format!("{{{{{name}}}}}"), &asset.url)
                .replace(&format!("{{{{{name}_integrity}}}}"), &asset.integrity);
        }
        shell = shell
            .replace("{{code_hash}}", &code_hash)
            .replace("{{skip}}", &say("en", "skip"))
            .replace("{{loading}}", &say("en", "loading"))
            .replace("{{noscript_en}}", &say("en", "noscript"))
            .replace("{{noscript_cy}}", &say("cy", "noscript"));
        Booth {
            assets,
            shell,
            code_hash,
        }
    }

    /// `sha256  file` lines for the shell and every asset; [`Booth::code_hash`] is its SHA-256.
    /// `teller booth-hash` prints it, for a scrutineer to compare with their own build.
    pub fn listing(&self) -> String {
        listing_of(&self.assets, SHELL)
    }
}

fn listing_of(assets: &[Asset], shell: &str) -> String {
    let shell_hash = base16ct::lower::encode_string(&Sha256::digest(shell.as_bytes()));
    let mut listing = format!("{shell_hash}  booth/index.html\n");
    for asset in assets {
        listing.push_str(&format!("{}  {}\n", asset.sha256, asset.source));
    }
    listing
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail; an empty result would only mean serving it uncompressed.
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Registers the pages and assets.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(shell))
        .route("/e/{id}", web::get().to(to_slash))
        .route("/e/{id}/", web::get().to(shell))
        .route("/assets/{file}", web::get().to(asset))
        .route("/favicon.ico", web::get().to(HttpResponse::NoContent));
}

async fn shell() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(Booth::get().shell.clone())
}

async fn to_slash(request: HttpRequest) -> HttpResponse {
    let query = request.query_string();
    let location = if query.is_empty() {
        format!("{}/", request.path())
    } else {
        format!("{}/?{query}", request.path())
    };
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn asset(request: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let url = format!("/assets/{file}");
    let gzip_ok = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    match Booth::get().assets.iter().find(|a| a.url == url) {
        Some(asset) => {
            let mut response = HttpResponse::Ok();
            response
                .content_type(asset.content_type)
                .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
                .insert_header((header::VARY, "Accept-Encoding"));
            if let Some(csp) = asset.csp {
                response.insert_header((header::CONTENT_SECURITY_POLICY, csp));
            }
            if gzip_ok && !asset.gzipped.is_empty() {
                response
                    .insert_header((header::CONTENT_ENCODING, "gzip"))
                    .body(asset.gzipped.clone())
            } else {
                response.body(asset.bytes)
            }
        }
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such asset (the booth may have been updated: reload the page)\n"),
    }
}
