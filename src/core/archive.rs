//! The record as one file (docs/PROTOCOL.md §13): a POSIX ustar archive, written the same way
//! every time so that the same record gives the same bytes and one SHA-256 names it.
//!
//! Writing: one regular-file entry per record file, in byte order of its path, each named
//! `<top>/<path>`; mode 0644, owner and group 0 with empty names, modification time 0, no
//! directory entries. Reading accepts what `tar` tools make of an extracted record too
//! (directory entries, PAX headers), and refuses anything that is not a plain file under one
//! top directory. The `tar` crate does the format; this module only fixes the choices.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::io::Read;

use tar::{Builder, EntryType, Header};

/// Most bytes a record may hold (a national election is far below this).
pub const MAX_RECORD_BYTES: u64 = 16 << 30;

/// Why an archive is not a record.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The bytes are not a tar archive (or it is cut short).
    #[error("not a readable tar archive: {0}")]
    Tar(#[from] std::io::Error),
    /// An entry that is not a regular file or a directory.
    #[error("entry {path:?} is not a regular file")]
    NotAFile {
        /// The entry's name.
        path: String,
    },
    /// A name that is not `<top>/<path>` with plain components.
    #[error("entry {path:?} is not a file under the record's top directory")]
    BadName {
        /// The entry's name.
        path: String,
    },
    /// Two entries under different top directories.
    #[error("entry {path:?} is not under {top:?}, the directory of the first entry")]
    TwoTops {
        /// The entry's name.
        path: String,
        /// The first entry's top directory.
        top: String,
    },
    /// The same file twice.
    #[error("{path:?} is in the archive twice")]
    Duplicate {
        /// The file's path in the record.
        path: String,
    },
    /// Larger than [`MAX_RECORD_BYTES`].
    #[error("the record is larger than 16 GiB")]
    TooLarge,
    /// The archive ends before its end-of-archive blocks, or inside a file.
    #[error("the archive is cut short")]
    CutShort,
    /// No files at all.
    #[error("the archive holds no files")]
    Empty,
}

/// The top directory of `election`'s record archive.
pub fn top_directory(election: &str) -> String {
    format!("{election}-record")
}

/// `election`'s record as its archive, with the archive's SHA-256 in hex: the name the record is
/// published under (`GET …/record`, `teller record export ID NAME.tar`).
pub fn publish(election: &str, files: &BTreeMap<String, Vec<u8>>) -> (Vec<u8>, String) {
    use sha2::{Digest as _, Sha256};
    let bytes = write(&top_directory(election), files);
    let sha256 = base16ct::lower::encode_string(&Sha256::digest(&bytes));
    (bytes, sha256)
}

/// The archive of `files` under the top directory `top` (e.g. `nec-2026-record`).
pub fn write(top: &str, files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let size: usize = files.values().map(|b| b.len() + 1024).sum();
    let mut builder = Builder::new(Vec::with_capacity(size + 1024));
    for (path, bytes) in files {
        let mut header = Header::new_ustar();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(bytes.len() as u64);
        // Writing to a Vec cannot fail, and every record path fits ustar's 255-byte name (an
        // election id is at most 64 bytes, a contest id 32): an error here is a bug.
        if let Err(e) = builder.append_data(&mut header, format!("{top}/{path}"), bytes.as_slice())
        {
            unreachable!("archiving {path}: {e}");
        }
    }
    match builder.into_inner() {
        Ok(bytes) => bytes,
        Err(e) => unreachable!("finishing an archive in memory: {e}"),
    }
}

/// The record's files from an archive, keyed by their path under its top directory; and the top
/// directory's name.
pub fn read(source: impl Read) -> Result<(String, BTreeMap<String, Vec<u8>>), ArchiveError> {
    let mut archive = tar::Archive::new(source);
    let mut files = BTreeMap::new();
    let mut top: Option<String> = None;
    let mut total = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if kind.is_pax_global_extensions() {
            continue;
        }
        let (head, rest) = split_name(&name)?;
        match &top {
            None => top = Some(head.to_owned()),
            Some(t) if t != head => {
                return Err(ArchiveError::TwoTops {
                    path: name,
                    top: t.clone(),
                });
            }
            Some(_) => {}
        }
        if kind.is_dir() {
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) || rest.is_empty() {
            return Err(ArchiveError::NotAFile { path: name });
        }
        total = total.saturating_add(entry.size());
        if total > MAX_RECORD_BYTES {
            return Err(ArchiveError::TooLarge);
        }
        // The header's size is the sender's claim: reserve at most 1 MiB on its word (a 126-byte
        // archive claiming 2 GiB made the fuzzer's allocator give up), let the read grow the rest.
        let claimed = usize::try_from(entry.size()).unwrap_or(usize::MAX);
        let mut bytes = Vec::with_capacity(claimed.min(1 << 20));
        entry.read_to_end(&mut bytes)?;
        // The crate hands back what there is of a file cut short; a record must be whole.
        if bytes.len() as u64 != entry.size() {
            return Err(ArchiveError::CutShort);
        }
        if files.insert(rest.to_owned(), bytes).is_some() {
            return Err(ArchiveError::Duplicate {
                path: rest.to_owned(),
            });
        }
    }
    // The crate stops at the first of the two zero blocks that end an archive, or at the end of
    // the bytes: only the second zero block tells an archive cut at an entry's edge from a whole.
    let mut end = [0u8; 512];
    match archive.into_inner().read_exact(&mut end) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(ArchiveError::CutShort);
        }
        result => result?,
    }
    if end.iter().any(|&b| b != 0) {
        return Err(ArchiveError::CutShort);
    }
    match top {
        Some(top) if !files.is_empty() => Ok((top, files)),
        _ => Err(ArchiveError::Empty),
    }
}

/// `top/rest` with plain components (no `.`, `..`, empty or absolute parts); a directory entry's
/// trailing `/` is allowed.
fn split_name(name: &str) -> Result<(&str, &str), ArchiveError> {
    let bad = || ArchiveError::BadName {
        path: name.to_owned(),
    };
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    let plain =
        |part: &str| !(part.is_empty() || part == "." || part == ".." || part.contains('\\'));
    if !trimmed.split('/').all(plain) {
        return Err(bad());
    }
    Ok(trimmed.split_once('/').unwrap_or((trimmed, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            ("manifest.json".to_owned(), b"{}".to_vec()),
            ("log/entries.jsonl".to_owned(), b"a\nb\n".to_vec()),
            (
                "decryptions/a-contest-id-of-thirty-two-bytes.jsonl".to_owned(),
                vec![7; 1500],
            ),
        ])
    }

    #[test]
    fn the_same_record_gives_the_same_bytes_and_reads_back() {
        let top = "an-election-id-that-is-sixty-four-bytes-long-xxxxxxxxxxxxxxxxxxx-record";
        let one = write(top, &record());
        assert_eq!(one, write(top, &record()));
        assert_eq!(one.len() % 512, 0);
        let (read_top, files) = read(one.as_slice()).unwrap();
        assert_eq!(read_top, top);
        assert_eq!(files, record());
    }

    #[test]
    fn headers_carry_nothing_of_the_machine() {
        let bytes = write("r", &record());
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut names = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.mode().unwrap(), 0o644);
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            assert!(header.as_ustar().is_some());
            names.push(entry.path().unwrap().to_string_lossy().into_owned());
        }
        // Byte order of the paths.
        assert_eq!(
            names,
            [
                "r/decryptions/a-contest-id-of-thirty-two-bytes.jsonl",
                "r/log/entries.jsonl",
                "r/manifest.json"
            ]
        );
    }

    fn archive_of(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = Builder::new(Vec::new());
        for (name, kind, bytes) in entries {
            let mut header = Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(bytes.len() as u64);
            header.set_mode(0o755);
            // Bypass set_path's own checks: write the name field raw, as a hostile tool would.
            let field = &mut header.as_old_mut().name;
            field[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            builder.append(&header, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn directory_entries_from_tar_tools_are_accepted() {
        let bytes = archive_of(&[
            ("rec/", EntryType::Directory, b""),
            ("rec/log/", EntryType::Directory, b""),
            ("rec/log/entries.jsonl", EntryType::Regular, b"x"),
        ]);
        let (top, files) = read(bytes.as_slice()).unwrap();
        assert_eq!(top, "rec");
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn anything_but_plain_files_under_one_top_is_refused() {
        type Entries<'a> = &'a [(&'a str, EntryType, &'a [u8])];
        let cases: [(Entries, &str); 7] = [
            (
                &[("rec/../etc/passwd", EntryType::Regular, b"x")],
                "not a file under",
            ),
            (
                &[("/rec/manifest.json", EntryType::Regular, b"x")],
                "not a file under",
            ),
            (
                &[("manifest.json", EntryType::Regular, b"x")],
                "not a regular file",
            ),
            (
                &[("rec/link", EntryType::Symlink, b"")],
                "not a regular file",
            ),
            (
                &[
                    ("rec/manifest.json", EntryType::Regular, b"x"),
                    ("other/log/entries.jsonl", EntryType::Regular, b"x"),
                ],
                "not under \"rec\"",
            ),
            (
                &[
                    ("rec/manifest.json", EntryType::Regular, b"x"),
                    ("rec/manifest.json", EntryType::Regular, b"y"),
                ],
                "twice",
            ),
            (&[("rec/", EntryType::Directory, b"")], "no files"),
        ];
        for (entries, expected) in cases {
            let error = read(archive_of(entries).as_slice())
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{entries:?}: {error}");
        }
    }

    #[test]
    fn a_cut_or_flipped_archive_is_refused_not_misread() {
        let bytes = write("r", &record());
        // Cut inside the second entry's data.
        assert!(read(&bytes[..512 + 512 + 100]).is_err());
        // Cut at an entry's edge, or without the end-of-archive blocks.
        assert!(read(&bytes[..512 + 1536]).is_err());
        assert!(read(&bytes[..bytes.len() - 512]).is_err());
        assert!(read(&bytes[..bytes.len() - 1024]).is_err());
        assert!(read(bytes.as_slice()).is_ok());
        // A flipped bit in a header breaks its checksum.
        let mut flipped = bytes.clone();
        flipped[3] ^= 1;
        assert!(read(flipped.as_slice()).is_err());
        assert!(read(&b"not an archive at all"[..]).is_err());
    }

    /// Found by the `archive` fuzz target: a header whose size claims 2 GiB (checksum kept valid)
    /// in an archive of a few hundred bytes. The reader reserved the claim before reading; now it
    /// reports the archive cut short. (The allocation itself only fails where memory is limited.)
    #[test]
    fn a_header_claiming_gigabytes_is_read_as_cut_short() {
        let mut bytes = write("r", &record());
        // The first entry's size field (offset 124, 11 octal digits): 2^31 + its real size.
        let size = 1500u64 + (1 << 31);
        bytes[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        let checksum: u32 = (bytes[..512].iter().enumerate())
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        bytes[148..156].copy_from_slice(format!("{checksum:06o}\0 ").as_bytes());
        bytes.truncate(4096);
        assert!(matches!(
            read(bytes.as_slice()),
            Err(ArchiveError::CutShort)
        ));
    }
}
