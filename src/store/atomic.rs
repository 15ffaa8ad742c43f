//! Reading a file whole and replacing it atomically: a temporary file in the same folder,
//! synced, renamed over the original, the folder synced, so that a crash at any instant
//! leaves the old file or the new one.

use super::place::Place;
use crate::error::{Error, Result};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Files larger than this are refused: a security.yml of 100,000 keys is about 22 MB.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// A file's bytes and what it is.
pub(crate) struct FileRead {
    pub bytes: Vec<u8>,
    /// How many names the file has (more than one: a write through one name splits them).
    pub links: u64,
}

/// Reads a file's bytes; `None` when it does not exist. Refuses anything that is not a
/// regular file before reading from it (a FIFO would block forever), and oversized files.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "reading", e)),
    };
    Ok(Some(read_open(file, path)?.bytes))
}

impl Place {
    /// The file's bytes, read in the folder's handle, never through a link; `None` when it
    /// does not exist.
    pub fn read(&self) -> Result<Option<Vec<u8>>> {
        Ok(read_at(self)?.map(|f| f.bytes))
    }
}

/// Reads the file `place` names, opened in its folder's handle and never through a link;
/// `None` when it does not exist.
pub(crate) fn read_at(place: &Place) -> Result<Option<FileRead>> {
    let path = place.shown();
    let file = match place.open_file(
        place.name(),
        OFlags::RDONLY | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: "is a symbolic link where tokenctl found a file, or a file it writes itself; refusing to follow it (remove the link)".into(),
            });
        }
        Err(e) => return Err(Error::io(path, "reading", e)),
    };
    read_open(file, path).map(Some)
}

/// Reads an open file whole, after `fstat` proved it a regular file of a sane size (a FIFO
/// would block forever).
fn read_open(mut file: File, path: &Path) -> Result<FileRead> {
    let meta = file.metadata().map_err(|e| Error::io(path, "reading", e))?;
    if meta.is_dir() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "is a folder, not a file".into(),
        });
    }
    if !meta.is_file() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "is not a regular file (a FIFO, socket or device); refusing to read it".into(),
        });
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_big(path));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "reading", e))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_big(path));
    }
    Ok(FileRead {
        bytes,
        links: meta.nlink(),
    })
}

fn too_big(path: &Path) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: format!(
            "file is larger than {} MiB; refusing to read it",
            MAX_FILE_SIZE / (1024 * 1024)
        ),
    }
}

/// Checks a file's bytes are text YAML can hold, pointing at the first bad byte.
pub fn into_text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let position = |at: usize, bytes: &[u8]| {
        let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() + 1;
        let col = at - memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1) + 1;
        (line, col)
    };
    if let Some(at) = memchr::memchr(0, &bytes) {
        let (line, column) = position(at, &bytes);
        return Err(Error::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file contains a NUL byte; it is not a YAML text file".into(),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = position(at, e.as_bytes());
        Error::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not valid UTF-8".into(),
        }
    })
}

const TEMP_MARK: &str = ".tokenctl-tmp.";

/// Owner, group and mode asked for the file written (`--file-owner`, `--file-group`,
/// `--file-mode`), given to the temporary file before it is renamed into place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileAttrs {
    pub owner: Option<u32>,
    pub group: Option<u32>,
    pub mode: Option<u32>,
}

/// One attribute of the file that `--file-owner`, `--file-group` or `--file-mode` changes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttrChange {
    /// `owner`, `group` or `mode`.
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

impl FileAttrs {
    pub fn is_empty(&self) -> bool {
        *self == FileAttrs::default()
    }

    /// What these attributes change of a file of status `now`.
    pub fn changes(&self, now: &rustix::fs::Stat) -> Vec<AttrChange> {
        let mut out = Vec::new();
        if let Some(o) = self.owner.filter(|o| *o != now.st_uid) {
            out.push(AttrChange {
                field: "owner",
                old: now.st_uid.to_string(),
                new: o.to_string(),
            });
        }
        if let Some(g) = self.group.filter(|g| *g != now.st_gid) {
            out.push(AttrChange {
                field: "group",
                old: now.st_gid.to_string(),
                new: g.to_string(),
            });
        }
        if let Some(m) = self.mode.filter(|m| *m != now.st_mode & 0o7777) {
            out.push(AttrChange {
                field: "mode",
                old: format!("{:04o}", now.st_mode & 0o7777),
                new: format!("{m:04o}"),
            });
        }
        out
    }
}

/// A temporary file holding the new bytes, synced, in the folder of the file it will
/// replace (through the folder's handle). Nothing anyone else can see has changed until
/// [`Staged::commit`] renames it into place; dropped uncommitted, it is removed.
pub(crate) struct Staged<'a> {
    place: &'a Place,
    tmp: OsString,
    committed: bool,
}

impl<'a> Staged<'a> {
    /// Writes `pieces`, one after the other, to the temporary file and syncs it. The caller holds the file's lock, so any
    /// earlier temp file of ours beside it is a crash's leftover, and removing it cannot
    /// take another writer's. The new file keeps the mode of the one it replaces (0600 when
    /// there is none) and takes the owner and group of the one it replaces, else of the
    /// first of `like` (the file it records), else of the folder; then `attrs`.
    pub(crate) fn write(
        place: &'a Place,
        pieces: &[&[u8]],
        like: &[&OsStr],
        attrs: FileAttrs,
    ) -> Result<Staged<'a>> {
        let path = place.shown();
        let file_name = place.name().to_string_lossy().into_owned();
        remove_stale_temps(place, &file_name);
        let old = place
            .stat()
            .map_err(|e| Error::io(path, "reading the status of", e))?
            .filter(|s| FileType::from_raw_mode(s.st_mode) == FileType::RegularFile);
        let mut suffix = [0u8; 6];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut suffix)
            .map_err(|e| Error::Other(e.to_string()))?;
        let staged = Staged {
            place,
            tmp: OsString::from(format!(".{file_name}{TEMP_MARK}{}", hex::encode(suffix))),
            committed: false,
        };
        let tmp_path = path.with_file_name(&staged.tmp);
        let mut f = place
            .open_file(
                &staged.tmp,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
                Mode::from_raw_mode(0o600),
            )
            .map_err(|e| Error::io(&tmp_path, "creating a temporary file", e))?;
        let mut names: Vec<&OsStr> = vec![place.name()];
        names.extend_from_slice(like);
        super::place::inherit_owner(&f, place.dir(), &names);
        if attrs.owner.is_some() || attrs.group.is_some() {
            rustix::fs::fchown(
                &f,
                attrs.owner.map(rustix::fs::Uid::from_raw),
                attrs.group.map(rustix::fs::Gid::from_raw),
            )
            .map_err(|e| Error::io(path, "setting the owner of", e.into()))?;
        }
        let mode = attrs
            .mode
            .or_else(|| old.as_ref().map(|o| o.st_mode & 0o7777));
        if let Some(mode) = mode {
            // After fchown, which clears the set-id bits.
            f.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(&tmp_path, "setting permissions", e))?;
        }
        for bytes in pieces {
            f.write_all(bytes)
                .map_err(|e| Error::io(path, "writing", e))?;
        }
        f.sync_all().map_err(|e| Error::io(path, "syncing", e))?;
        Ok(staged)
    }

    /// Renames the temporary file over the original (`renameat` in the folder's handle)
    /// and syncs the folder.
    pub(crate) fn commit(mut self) -> Result<()> {
        let path = self.place.shown();
        let dir = self.place.dir();
        rustix::fs::renameat(dir, &self.tmp, dir, self.place.name())
            .map_err(|e| Error::io(path, "replacing", e.into()))?;
        self.committed = true;
        rustix::fs::fsync(dir).map_err(|e| {
            Error::io(
                path.parent().unwrap_or(Path::new(".")),
                "syncing the folder",
                e.into(),
            )
        })?;
        Ok(())
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = rustix::fs::unlinkat(self.place.dir(), &self.tmp, AtFlags::empty());
        }
    }
}

fn remove_stale_temps(place: &Place, file_name: &str) {
    let prefix = format!(".{file_name}{TEMP_MARK}");
    let Ok(mut dir) = rustix::fs::Dir::read_from(place.dir()) else {
        return;
    };
    while let Some(Ok(entry)) = dir.read() {
        let name = entry.file_name().to_bytes();
        if name.starts_with(prefix.as_bytes()) {
            let _ = rustix::fs::unlinkat(place.dir(), OsStr::from_bytes(name), AtFlags::empty());
        }
    }
}
