//! Renderers: the report as text, canonical JSON, CSV and HTML. Each reads a [`Report`] and
//! recomputes nothing.

mod json;

pub use json::json;
