//! Where security.yml is (docs/FORMAT.md, "Where the file is"): `--file`, or `--tenant` under
//! `--root`, and the real file behind any symbolic links, which the lock, the temporary
//! files and the usage file live beside, so that every path to one file shares them.

use crate::error::{Error, Result};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// How to find the file (docs/FORMAT.md, "Where the file is").
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub file: Option<PathBuf>,
    pub tenant: Option<String>,
    pub root: Option<PathBuf>,
}

/// Most links followed on the way to one file, as the kernel's own limit.
const MAX_LINKS: usize = 40;

impl Location {
    /// The path of security.yml as the user named it. Names are checked before anything is
    /// touched; with `--tenant`, a path that leads outside the root is refused.
    pub fn resolve(&self) -> Result<PathBuf> {
        if let Some(file) = &self.file {
            if file.as_os_str().is_empty() {
                return Err(Error::Usage(
                    "--file is empty; give the path of a security.yml".into(),
                ));
            }
            return Ok(file.clone());
        }
        let Some(tenant) = &self.tenant else {
            return Err(Error::Usage(
                "no file given: use --file PATH (or TOKENCTL_FILE), or --tenant NAME (or TOKENCTL_TENANT) under --root DIR".into(),
            ));
        };
        crate::names::validate("tenant", tenant)?;
        // Where its links may lead is checked when the file is opened (see
        // [`super::place`]), beneath the tenant folder's handle.
        Ok(self.root_dir().join(tenant).join("security.yml"))
    }

    /// The root folder of tenants.
    pub fn root_dir(&self) -> PathBuf {
        self.root
            .clone()
            .unwrap_or_else(|| PathBuf::from("tenants"))
    }

    /// How the file was chosen, for messages: `--file x.yml`, `--tenant acme under --root
    /// tenants`.
    pub fn describe(&self) -> String {
        match (&self.file, &self.tenant) {
            (Some(f), _) => format!("--file {}", f.display()),
            (None, Some(t)) => format!("--tenant {t} under --root {}", self.root_dir().display()),
            (None, None) => "no --file or --tenant".into(),
        }
    }
}

/// The real file behind `path`: every symbolic link on the way followed, in its folders and
/// as its last component, even where a link dangles (then: where a write would create the
/// file). Links are followed as the kernel's `protected_symlinks` would: a link in a folder
/// others may write to is not followed unless it belongs to us or to root.
pub fn real_path(path: &Path) -> Result<PathBuf> {
    let mut todo: std::collections::VecDeque<std::ffi::OsString> = absolute(path)?
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut out = PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = todo.pop_front() {
        if part == ".." {
            out.pop();
            continue;
        }
        let candidate = out.join(&part);
        match fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Error::Invalid {
                        path: path.to_path_buf(),
                        message: format!(
                            "more than {MAX_LINKS} symbolic links lead to it; refusing to follow them"
                        ),
                    });
                }
                check_link_owner(&candidate, &meta, &out)?;
                let dest = fs::read_link(&candidate)
                    .map_err(|e| Error::io(&candidate, "reading the link", e))?;
                if dest.is_absolute() {
                    out = PathBuf::from("/");
                }
                for c in dest.components().rev() {
                    match c {
                        Component::Normal(n) => todo.push_front(n.to_os_string()),
                        Component::ParentDir => todo.push_front("..".into()),
                        _ => {}
                    }
                }
            }
            _ => out = candidate,
        }
    }
    Ok(out)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io(path, "finding the current folder", e))?
            .join(path)
    })
}

/// A link in a folder that others may write to (sticky like /tmp, or group- or
/// world-writable) could have been planted there: follow it only when it belongs to us or to
/// root, as the kernel's `protected_symlinks` does. Root follows no other user's link at all:
/// a tenant who owns its folder could point its `security.yml` at any file, and root would
/// write it (and give it `--file-owner`).
fn check_link_owner(link: &Path, meta: &fs::Metadata, dir: &Path) -> Result<()> {
    let mode = fs::metadata(dir).map_or(0, |m| m.permissions().mode());
    let others_may_write = mode & 0o022 != 0;
    let me = rustix::process::geteuid().as_raw();
    if others_may_write && meta.uid() != me && meta.uid() != 0 {
        return Err(Error::Invalid {
            path: link.to_path_buf(),
            message: format!(
                "is a symbolic link owned by user {} in a folder others can write to ({}, mode {:o}); refusing to follow it (as the kernel's protected_symlinks does)",
                meta.uid(),
                dir.display(),
                mode & 0o7777
            ),
        });
    }
    if me == 0 && meta.uid() != 0 {
        return Err(Error::Invalid {
            path: link.to_path_buf(),
            message: format!(
                "is a symbolic link owned by user {}, and tokenctl runs as root: refusing to follow another user's link with --file, where it could lead anywhere; use --tenant NAME under --root (which keeps to the tenant's folder), or name the real file",
                meta.uid()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_followed_to_the_real_file_even_when_they_dangle() {
        let dir = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(real.join("data")).unwrap();
        fs::write(real.join("data/security.yml"), "").unwrap();
        symlink("data/security.yml", real.join("link.yml")).unwrap();
        symlink("missing/x.yml", real.join("dangling.yml")).unwrap();
        symlink("link.yml", real.join("chain.yml")).unwrap();
        assert_eq!(
            real_path(&real.join("link.yml")).unwrap(),
            real.join("data/security.yml")
        );
        assert_eq!(
            real_path(&real.join("chain.yml")).unwrap(),
            real.join("data/security.yml")
        );
        assert_eq!(
            real_path(&real.join("dangling.yml")).unwrap(),
            real.join("missing/x.yml")
        );
        symlink("loop.yml", real.join("loop.yml")).unwrap();
        assert!(real_path(&real.join("loop.yml")).is_err());
    }
}
