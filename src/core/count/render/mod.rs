//! Renderers: the report as text, canonical JSON, CSV and HTML. Each reads a [`Report`] and
//! recomputes nothing; the slate voting beside it ([`SlateVoting`]) is read from the ballots.
//!
//! [`Report`]: super::Report

mod csv;
mod html;
mod json;
mod loyalty;
mod slate;
mod text;
mod words;

pub use csv::csv;
pub use html::{STYLESHEET, html, html_sections};
pub use json::{json, value as json_value};
pub use loyalty::{SlateVoters, SlateVoting, slate_voting};
pub use slate::{FlowSource, SlateFlow, SlateGroup, SlateSummary, slate_summary};
pub use text::{slate_voting_text, text};
