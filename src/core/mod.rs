//! Pure logic: no I/O, no clock, no network, no database. Everything here builds without the
//! server's dependencies (`cargo build --no-default-features`), so a scrutineer can audit it alone.

pub mod archive;
pub mod ballot;
pub mod booth;
pub mod ceremony;
pub mod count;
pub mod crypto;
pub mod csv_file;
pub mod events;
pub mod log;
pub mod manifest;
pub mod record;
pub mod register;
pub mod verify;
pub mod wire;
