//! Reading a file whole and replacing it atomically: a temporary file in the same folder,
//! synced, renamed over the original, the folder synced, so that a crash at any instant
//! leaves the old file or the new one.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

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
    Ok(read_file(path)?.map(|r| r.bytes))
}

pub(crate) fn read_file(path: &Path) -> Result<Option<FileRead>> {
    read_file_with(path, 0)
}

/// Reads a file that is tokenctl's own (the usage file), never through a symbolic link: a
/// link planted there would have tokenctl read, and copy into the folder, a file it leads to.
pub(crate) fn read_own_file(path: &Path) -> Result<Option<FileRead>> {
    read_file_with(path, libc::O_NOFOLLOW).map_err(|e| match e {
        Error::Io { source, .. } if source.raw_os_error() == Some(libc::ELOOP) => Error::Invalid {
            path: path.to_path_buf(),
            message: "is a symbolic link; tokenctl writes this file itself and never follows a link there (remove the link)".into(),
        },
        other => other,
    })
}

fn read_file_with(path: &Path, flags: i32) -> Result<Option<FileRead>> {
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | flags)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "reading", e)),
    };
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
    Ok(Some(FileRead {
        bytes,
        links: meta.nlink(),
    }))
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

/// Creates the missing folders above a new file, each 0700.
pub(crate) fn create_parent(path: &Path) -> Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .map_err(|e| {
            // "File exists" alone does not say which part of the path is in the way.
            match parent.ancestors().find(|a| a.exists() && !a.is_dir()) {
                Some(file) => Error::Invalid {
                    path: file.to_path_buf(),
                    message: "is a file, not a folder; security.yml cannot be created under it"
                        .into(),
                },
                None => Error::io(parent, "creating the folder", e),
            }
        })
}

const TEMP_MARK: &str = ".tokenctl-tmp.";

/// Replaces `path` with `bytes` so that a crash leaves the old file or the new one. The
/// caller holds the file's lock.
/// Replaces `path` atomically with `bytes`, for a file that may not exist yet: a new one gets the owner and group of
/// `owner_of` (where we may), so that root recording first does not lock its owner out.
pub(crate) fn write_atomic_owned(path: &Path, bytes: &[u8], owner_of: &Path) -> Result<()> {
    let new = fs::symlink_metadata(path).is_err();
    let staged = Staged::write(path, bytes)?;
    if new {
        if let Ok(o) = fs::metadata(owner_of) {
            let _ = std::os::unix::fs::chown(&staged.tmp, Some(o.uid()), Some(o.gid()));
        }
    }
    staged.commit()
}

/// A temporary file holding the new bytes, synced, beside the file it will replace. Nothing
/// anyone else can see has changed until [`Staged::commit`] renames it into place; dropped
/// uncommitted, it is removed.
pub(crate) struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staged {
    /// Writes and syncs the temporary file. The caller holds the lock of `path` (a real
    /// file, links followed), so any earlier temp file of ours beside it is a crash's
    /// leftover, and removing it cannot take another writer's.
    pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<Staged> {
        create_parent(path)?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_stale_temps(dir, &file_name);
        let old = fs::metadata(path).ok();
        let mut suffix = [0u8; 6];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut suffix)
            .map_err(|e| Error::Other(e.to_string()))?;
        let staged = Staged {
            tmp: dir.join(format!(".{file_name}{TEMP_MARK}{}", hex::encode(suffix))),
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            committed: false,
        };
        let tmp = &staged.tmp;
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(tmp)
            .map_err(|e| Error::io(tmp, "creating a temporary file", e))?;
        if let Some(old) = &old {
            // Keep the original's mode and (where we may) owner.
            let _ = std::os::unix::fs::fchown(&f, Some(old.uid()), Some(old.gid()));
            f.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777))
                .map_err(|e| Error::io(tmp, "setting permissions", e))?;
        }
        f.write_all(bytes)
            .map_err(|e| Error::io(path, "writing", e))?;
        f.sync_all().map_err(|e| Error::io(path, "syncing", e))?;
        Ok(staged)
    }

    /// Renames the temporary file over the original and syncs the folder.
    pub(crate) fn commit(mut self) -> Result<()> {
        fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, "replacing", e))?;
        self.committed = true;
        if let Ok(d) = File::open(&self.dir) {
            d.sync_all()
                .map_err(|e| Error::io(&self.dir, "syncing the folder", e))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}{TEMP_MARK}");
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}
