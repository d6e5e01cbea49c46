//! Reference counts: our counter against results computed elsewhere (official count sheets,
//! Droop.py, OpenSTV, stv-rs). The data and its provenance are in tests/data/stv/*/README.md.

mod common;
mod droop_report;
mod ers97;
mod meek;
mod scottish;
mod synthetic;
