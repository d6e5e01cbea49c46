//! Renderers: the report as text, canonical JSON, CSV and HTML. Each reads a [`Report`] and
//! recomputes nothing.
//!
//! [`Report`]: super::Report

mod csv;
mod html;
mod json;
mod slate;
mod text;
mod words;

pub use csv::csv;
pub use html::html;
pub use json::{json, value as json_value};
pub use slate::{FlowSource, SlateFlow, SlateGroup, SlateSummary, slate_summary};
pub use text::text;
