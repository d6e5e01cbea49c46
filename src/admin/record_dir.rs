//! An election record on disk (docs/PROTOCOL.md §13): a directory, or its archive
//! (`core::archive`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::core::archive::{self, MAX_RECORD_BYTES};
use crate::core::count::{Election, Report};
use crate::core::verify::Record;

/// Reads a record from `path`: an archive (a file), or every file under a directory, keyed by
/// `/`-separated relative path.
pub fn read_record(path: &Path) -> Result<Record> {
    if path.is_file() {
        let file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let (_, files) = archive::read(std::io::BufReader::new(file))
            .with_context(|| format!("reading the record archive {}", path.display()))?;
        return Ok(Record { files });
    }
    read_record_dir(path)
}

fn read_record_dir(dir: &Path) -> Result<Record> {
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        let listing =
            fs::read_dir(&at).with_context(|| format!("reading directory {}", at.display()))?;
        for item in listing {
            let item = item.with_context(|| format!("reading directory {}", at.display()))?;
            let path = item.path();
            let kind = item
                .file_type()
                .with_context(|| format!("reading {}", path.display()))?;
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() {
                bail!("{} is neither a file nor a directory", path.display());
            }
            let relative = path
                .strip_prefix(dir)
                .with_context(|| format!("{} is outside the record", path.display()))?;
            let Some(name) = relative.to_str() else {
                bail!("{} is not a UTF-8 path", path.display());
            };
            let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            total += bytes.len() as u64;
            if total > MAX_RECORD_BYTES {
                bail!("the record under {} is larger than 16 GiB", dir.display());
            }
            files.insert(name.replace(std::path::MAIN_SEPARATOR, "/"), bytes);
        }
    }
    Ok(Record { files })
}

/// Writes `record` of `election` as a new archive `path`: first into a sibling temporary file,
/// then renamed into place, so a crash never leaves half a record under the final name. Returns
/// the archive's SHA-256 (hex), the name the record is published under.
#[cfg(feature = "server")]
pub fn write_record_archive(path: &Path, election: &str, record: &Record) -> Result<String> {
    use std::io::Write as _;
    if path.exists() {
        bail!(
            "{} already exists; give a new file for the record",
            path.display()
        );
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} has no usable file name", path.display()))?;
    let temporary = path.with_file_name(format!(".{name}.partial"));
    let mut file = fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    let (bytes, sha256) = archive::publish(election, &record.files);
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    fs::rename(&temporary, path)
        .with_context(|| format!("moving {} to {}", temporary.display(), path.display()))?;
    Ok(sha256)
}

/// Writes `record` as a new directory `dir`: first into a sibling temporary directory, then
/// renamed into place, so a crash never leaves half a record under the final name.
#[cfg(feature = "server")]
pub fn write_record(dir: &Path, record: &Record) -> Result<()> {
    if dir.exists() {
        bail!(
            "{} already exists; give a new directory for the record",
            dir.display()
        );
    }
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} has no usable directory name", dir.display()))?;
    let temporary = dir.with_file_name(format!(".{name}.partial"));
    if temporary.exists() {
        fs::remove_dir_all(&temporary)
            .with_context(|| format!("removing leftover {}", temporary.display()))?;
    }
    for (path, bytes) in &record.files {
        let target = temporary.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))?;
        fs::File::open(&target)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", target.display()))?;
    }
    fs::rename(&temporary, dir)
        .with_context(|| format!("moving {} to {}", temporary.display(), dir.display()))?;
    Ok(())
}

/// One contest's round-by-round count from a record that verified, and its ballots
/// (`core::record::recount`).
pub fn count_from_record(record: &Record, contest_id: &str) -> Result<(Report, Election)> {
    Ok(crate::core::record::recount(&record.files, contest_id)?)
}
