//! Differential tests: Teller's log primitives against independent implementations from
//! crates.io, built and run side by side on the same inputs (issue 11, item 14).
//!
//! - `merkle`: RFC 6962 tree heads, inclusion and consistency proofs against `ct-merkle`
//!   (array-based trees, RFC 9420 indexing) and `tlog_tiles` (a port of Go's
//!   golang.org/x/mod/sumdb/tlog, stored-hash indexing). Proofs go both ways: each side's proofs
//!   are checked by the other sides' verifiers.
//! - `note`: C2SP signed notes and checkpoints against `signed_note` and `tlog_tiles` (Cloudflare's
//!   azul): keys, key IDs, signatures byte for byte, checkpoint bodies with and without extension
//!   lines, and refusals.
//!
//! Neither crate shares code with Teller; both are dev-dependencies only. A disagreement is a
//! finding to report, not a reason to change either side to match.

mod merkle;
mod note;
