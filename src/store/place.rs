//! Where a file is, as a handle: the folder that holds the real file, opened once, and the
//! file's name in it. Every later step (the lock, the read, the temporary file, the rename,
//! the folder's fsync, the usage file and its lock) goes through that folder's descriptor,
//! never through a path again, so a folder swapped or a link planted after the check cannot
//! send a write anywhere else.
//!
//! With `--tenant`, the root is opened, then the tenant folder beneath it, then the links of
//! the tenant's own file are followed beneath the tenant folder's handle: with `openat2`'s
//! `RESOLVE_BENEATH` where the kernel has it, else by a walk of one `openat(O_NOFOLLOW)` per
//! component that follows links itself and never climbs above the handle. A link that leads
//! out of the tenant folder (to another tenant, or anywhere else) is refused.

use crate::error::{Error, Result};
use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

/// Most links followed on the way to one file, as the kernel's own limit.
const MAX_LINKS: usize = 40;

/// Which file: the operator's own path (`--file`), or a tenant's under a root.
#[derive(Debug, Clone)]
pub enum Target {
    File(PathBuf),
    Tenant { root: PathBuf, tenant: String },
}

/// The folder that holds the real file, open, and the file's name in it.
#[derive(Debug)]
pub struct Place {
    dir: OwnedFd,
    name: OsString,
    /// The file's path, for messages: the last link followed, its folder as the links
    /// name it.
    shown: PathBuf,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

impl Place {
    /// Opens the folder of `target`'s real file. With `create`, missing folders on the way
    /// are made (0700); without, a missing folder gives `None` (the file does not exist).
    pub fn open(target: &Target, create: bool) -> Result<Option<Place>> {
        match target {
            Target::File(path) => open_file(path, create),
            Target::Tenant { root, tenant } => open_tenant(root, tenant, create),
        }
    }

    /// The folder's descriptor.
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    pub fn name(&self) -> &OsStr {
        &self.name
    }

    /// The real file's path, for messages.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Another file in the same folder (the usage file, a lock): the same handle.
    pub fn sibling(&self, name: OsString) -> Result<Place> {
        let dir = self
            .dir
            .try_clone()
            .map_err(|e| Error::io(&self.shown, "opening the folder of", e))?;
        Ok(Place {
            dir,
            shown: self.shown.with_file_name(&name),
            name,
        })
    }

    /// The usage file beside this one: `security.usage.yml` for `security.yml`.
    pub fn usage(&self) -> Result<Place> {
        self.sibling(usage_name(&self.name))
    }

    /// Opens a file of this folder by name, never through a link: `ELOOP` if it is one.
    pub fn open_file(&self, name: &OsStr, flags: OFlags, mode: Mode) -> std::io::Result<File> {
        let fd = rustix::fs::openat(
            &self.dir,
            name,
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            mode,
        )?;
        Ok(File::from(fd))
    }

    /// The file's status, without following a link; `None` when it does not exist.
    pub fn stat(&self) -> std::io::Result<Option<rustix::fs::Stat>> {
        self.stat_of(&self.name)
    }

    pub fn stat_of(&self, name: &OsStr) -> std::io::Result<Option<rustix::fs::Stat>> {
        match rustix::fs::statat(&self.dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) => Ok(Some(s)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The usage file's name for a security file's: `x.yml` -> `x.usage.yml`.
pub fn usage_name(name: &OsStr) -> OsString {
    let name = name.to_string_lossy();
    let stem = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
        .unwrap_or(&name);
    OsString::from(format!("{stem}.usage.yml"))
}

/// `--file`: the operator's own path, anywhere, its links followed (as the kernel's
/// `protected_symlinks` would), checked once; then its folder is opened and used from there.
fn open_file(path: &Path, create: bool) -> Result<Option<Place>> {
    let real = super::locate::real_path(path)?;
    let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "is not the path of a file".into(),
        });
    };
    if create {
        create_parent(&real)?;
    }
    let dir = match rustix::fs::openat(rustix::fs::CWD, parent, DIR_FLAGS, Mode::empty()) {
        Ok(d) => d,
        Err(Errno::NOENT) if !create => return Ok(None),
        Err(Errno::NOTDIR) => {
            return Err(Error::Invalid {
                path: parent.to_path_buf(),
                message: "is a file, not a folder; security.yml cannot be created under it".into(),
            });
        }
        Err(e) => return Err(Error::io(parent, "opening the folder", e.into())),
    };
    Ok(Some(Place {
        dir,
        name: name.to_os_string(),
        shown: real.clone(),
    }))
}

/// `--tenant`: the root (the operator's path), the tenant folder beneath it, the file's links
/// beneath the tenant folder.
fn open_tenant(root: &Path, tenant: &str, create: bool) -> Result<Option<Place>> {
    crate::names::validate("tenant", tenant)?;
    let tenant_path = root.join(tenant);
    let file_path = tenant_path.join("security.yml");
    if create && !root.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| Error::io(root, "creating the folder", e))?;
    }
    let root_fd = match rustix::fs::openat(rustix::fs::CWD, root, DIR_FLAGS, Mode::empty()) {
        Ok(d) => d,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(Error::io(root, "opening the folder", e.into())),
    };
    // The tenant folder may be a link the operator made in the root, as long as it stays
    // beneath the root.
    let outside_root = |to: &Path| Error::Invalid {
        path: tenant_path.clone(),
        message: format!(
            "leads outside --root {} (to {}) through a symbolic link; refusing to follow it (use --file to name a file outside the root)",
            root.display(),
            to.display()
        ),
    };
    let tenant_fd = match open_dir_beneath(root_fd.as_fd(), Path::new(tenant), create) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::XDEV) => {
            let to = std::fs::read_link(&tenant_path).unwrap_or_default();
            return Err(outside_root(&root.join(to)));
        }
        Err(e) => {
            return Err(Error::io(
                &tenant_path,
                "opening the tenant folder",
                e.into(),
            ));
        }
    };
    refuse_link_to_another_tenant(root_fd.as_fd(), root, tenant)?;
    // The file's own links, followed beneath the tenant folder.
    let mut rel = PathBuf::from("security.yml");
    let mut links = 0;
    loop {
        let (dir_part, name) = split(&rel).ok_or_else(|| Error::Invalid {
            path: file_path.clone(),
            message: format!(
                "leads to {}, which is not a file name; refusing to follow it",
                tenant_path.join(&rel).display()
            ),
        })?;
        let dir = if dir_part.as_os_str().is_empty() {
            tenant_fd
                .try_clone()
                .map_err(|e| Error::io(&tenant_path, "opening the tenant folder", e))?
        } else {
            match open_dir_beneath(tenant_fd.as_fd(), &dir_part, create) {
                Ok(d) => d,
                Err(Errno::NOENT) => return Ok(None),
                Err(Errno::XDEV) => {
                    return Err(outside_tenant(
                        &file_path,
                        &tenant_path,
                        &tenant_path.join(&rel),
                    ));
                }
                Err(Errno::LOOP) => return Err(too_many_links(&file_path)),
                Err(Errno::NOTDIR) => {
                    return Err(Error::Invalid {
                        path: tenant_path.join(&dir_part),
                        message: "is not a folder; security.yml cannot be under it".into(),
                    });
                }
                Err(e) => {
                    return Err(Error::io(
                        tenant_path.join(&dir_part),
                        "opening the folder",
                        e.into(),
                    ));
                }
            }
        };
        match rustix::fs::readlinkat(&dir, &name, Vec::new()) {
            Ok(dest) => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(too_many_links(&file_path));
                }
                let dest = PathBuf::from(OsStr::from_bytes(dest.as_bytes()));
                if dest.is_absolute() {
                    return Err(outside_tenant(&file_path, &tenant_path, &dest));
                }
                rel = dir_part.join(dest);
            }
            Err(Errno::INVAL) | Err(Errno::NOENT) => {
                return Ok(Some(Place {
                    dir,
                    shown: normal(&tenant_path.join(&dir_part)).join(&name),
                    name,
                }));
            }
            Err(e) => {
                return Err(Error::io(
                    tenant_path.join(&rel),
                    "reading the link",
                    e.into(),
                ));
            }
        }
    }
}

/// A tenant folder may be a link within the root, but not into another tenant's folder (a
/// folder of the root holding a security.yml): the two tenants would share one file, so a key
/// made for one would be a key of the other, and offboarding one would wipe the other.
fn refuse_link_to_another_tenant(root_fd: BorrowedFd<'_>, root: &Path, tenant: &str) -> Result<()> {
    let Ok(dest) = rustix::fs::readlinkat(root_fd, tenant, Vec::new()) else {
        return Ok(()); // not a link
    };
    let dest = PathBuf::from(std::ffi::OsStr::from_bytes(dest.as_bytes()));
    let first = dest.components().find_map(|c| match c {
        std::path::Component::Normal(n) => Some(n.to_os_string()),
        _ => None,
    });
    let Some(other) = first.filter(|o| o != tenant) else {
        return Ok(());
    };
    let holds_file = rustix::fs::statat(
        root_fd,
        Path::new(&other).join("security.yml"),
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .is_ok();
    if holds_file {
        return Err(Error::Invalid {
            path: root.join(tenant),
            message: format!(
                "is a link into the folder of tenant '{}' ({}); two tenants would share one file, so a key of one would be a key of the other: refusing it (give each tenant its own folder)",
                other.to_string_lossy(),
                dest.display()
            ),
        });
    }
    Ok(())
}

fn outside_tenant(link: &Path, tenant: &Path, to: &Path) -> Error {
    Error::Invalid {
        path: link.to_path_buf(),
        message: format!(
            "leads outside its tenant folder {} (to {}) through a symbolic link; a tenant's file must lie in its own folder: refusing to follow it (use --file to name a file elsewhere)",
            tenant.display(),
            normal(to).display()
        ),
    }
}

fn too_many_links(path: &Path) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: format!(
            "more than {MAX_LINKS} symbolic links lead to it; refusing to follow them"
        ),
    }
}

/// `a/b/../c` -> `a/c`, for messages only (the kernel resolves the real thing).
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The folder part and the file name of a relative path; `None` when it does not end in a
/// name (`..`, `.`).
fn split(rel: &Path) -> Option<(PathBuf, OsString)> {
    match rel.components().next_back()? {
        Component::Normal(name) => {
            let name = name.to_os_string();
            let dir = rel.parent().map(Path::to_path_buf).unwrap_or_default();
            Some((dir, name))
        }
        _ => None,
    }
}

/// Opens the folder `rel` beneath `base`, its links followed but never above `base`
/// (`EXDEV` if one leads there, or is absolute). With `create`, missing folders are made,
/// 0700, each beneath `base` in turn.
pub fn open_dir_beneath(
    base: BorrowedFd<'_>,
    rel: &Path,
    create: bool,
) -> rustix::io::Result<OwnedFd> {
    match beneath(base, rel) {
        Err(Errno::NOENT) if create => {}
        other => return other,
    }
    let parts: Vec<Component> = rel.components().collect();
    for i in 1..=parts.len() {
        let prefix: PathBuf = parts[..i].iter().collect();
        match beneath(base, &prefix) {
            Ok(_) => continue,
            Err(Errno::NOENT) => {
                let parent: PathBuf = parts[..i - 1].iter().collect();
                let parent_fd = if parent.as_os_str().is_empty() {
                    None
                } else {
                    Some(beneath(base, &parent)?)
                };
                let at = parent_fd.as_ref().map_or(base, |f| f.as_fd());
                match rustix::fs::mkdirat(at, parts[i - 1].as_os_str(), Mode::from_raw_mode(0o700))
                {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    beneath(base, rel)
}

fn beneath(base: BorrowedFd<'_>, rel: &Path) -> rustix::io::Result<OwnedFd> {
    if use_openat2() {
        for _ in 0..16 {
            match rustix::fs::openat2(
                base,
                rel,
                DIR_FLAGS,
                Mode::empty(),
                ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
            ) {
                // A rename elsewhere on the file system while resolving: try again.
                Err(Errno::AGAIN) => continue,
                // No openat2 (an old kernel), or a seccomp profile that refuses it (ENOSYS,
                // or EPERM in older container runtimes): the walk gives the same answer.
                Err(Errno::NOSYS | Errno::PERM) => {
                    NO_OPENAT2.store(true, std::sync::atomic::Ordering::Relaxed);
                    return walk(base, rel);
                }
                other => return other,
            }
        }
    }
    walk(base, rel)
}

static NO_OPENAT2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn use_openat2() -> bool {
    #[cfg(debug_assertions)]
    if std::env::var_os("TOKENCTL_TEST_NO_OPENAT2").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    !NO_OPENAT2.load(std::sync::atomic::Ordering::Relaxed)
}

/// What `openat2(RESOLVE_BENEATH)` does, for kernels (or seccomp profiles) without it: one
/// component at a time, each opened with `O_NOFOLLOW`, links read and followed by hand, `..`
/// taking back the last folder opened and never going above `base`.
fn walk(base: BorrowedFd<'_>, rel: &Path) -> rustix::io::Result<OwnedFd> {
    let mut todo: VecDeque<OsString> = VecDeque::new();
    push_front(&mut todo, rel)?;
    let mut opened: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    while let Some(part) = todo.pop_front() {
        if part == ".." {
            if opened.pop().is_none() {
                return Err(Errno::XDEV);
            }
            continue;
        }
        let here = opened.last().map_or(base, |f| f.as_fd());
        match rustix::fs::readlinkat(here, &part, Vec::new()) {
            Ok(dest) => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Errno::LOOP);
                }
                push_front(&mut todo, Path::new(OsStr::from_bytes(dest.as_bytes())))?;
                continue;
            }
            Err(Errno::INVAL) => {}
            Err(e) => return Err(e),
        }
        // Swapped for a link since: O_NOFOLLOW refuses it.
        let fd = rustix::fs::openat(here, &part, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())?;
        opened.push(fd);
    }
    match opened.pop() {
        Some(fd) => Ok(fd),
        None => rustix::fs::openat(base, ".", DIR_FLAGS, Mode::empty()),
    }
}

/// Puts the components of `path` in front of `todo`; an absolute path leaves `base`.
fn push_front(todo: &mut VecDeque<OsString>, path: &Path) -> rustix::io::Result<()> {
    for c in path.components().rev() {
        match c {
            Component::Normal(n) => todo.push_front(n.to_os_string()),
            Component::ParentDir => todo.push_front("..".into()),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(Errno::XDEV),
        }
    }
    Ok(())
}

/// The owner and group a new file of tokenctl's (a temporary file replacing a file, a lock
/// file, a usage file) takes: those of the first of `like` that exists in `dir` (the file it
/// replaces, guards or records), else of the folder. Given with `fchown` on the open file,
/// where we may (root may; others can only keep their own), never by name afterwards.
pub fn inherit_owner(file: &File, dir: BorrowedFd<'_>, like: &[&OsStr]) {
    let from = like
        .iter()
        .find_map(|n| rustix::fs::statat(dir, *n, AtFlags::SYMLINK_NOFOLLOW).ok())
        .or_else(|| rustix::fs::fstat(dir).ok());
    let (Some(from), Ok(now)) = (from, rustix::fs::fstat(file)) else {
        return;
    };
    if from.st_uid != now.st_uid || from.st_gid != now.st_gid {
        let _ = rustix::fs::fchown(
            file,
            Some(rustix::fs::Uid::from_raw(from.st_uid)),
            Some(rustix::fs::Gid::from_raw(from.st_gid)),
        );
    }
}

/// A test build's pause between reading a file and replacing it, so that a test can change
/// the folders at the worst moment: with `TOKENCTL_TEST_PAUSE=DIR`, writes `DIR/paused` and
/// waits (up to a minute) for `DIR/resume`, then removes both.
pub fn test_pause() {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("TOKENCTL_TEST_PAUSE").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        let _ = std::fs::write(dir.join("paused"), std::process::id().to_string());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !dir.join("resume").exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = std::fs::remove_file(dir.join("resume"));
        let _ = std::fs::remove_file(dir.join("paused"));
    }
}

/// Creates the missing folders above a new file, each 0700.
pub(crate) fn create_parent(path: &Path) -> Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn open(dir: &Path) -> OwnedFd {
        rustix::fs::openat(rustix::fs::CWD, dir, DIR_FLAGS, Mode::empty()).unwrap()
    }

    fn same(a: &OwnedFd, b: &Path) -> bool {
        let (a, b) = (rustix::fs::fstat(a).unwrap(), fs::metadata(b).unwrap());
        use std::os::unix::fs::MetadataExt;
        a.st_ino == b.ino() && a.st_dev == b.dev()
    }

    /// The kernel's `openat2(RESOLVE_BENEATH)` and the walk that stands in for it agree:
    /// links inside are followed (`..` included), links out are `EXDEV`.
    #[test]
    fn openat2_and_the_walk_keep_beneath_the_handle() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("tenant");
        fs::create_dir_all(t.join("..2026_12_06/deep")).unwrap();
        fs::create_dir_all(dir.path().join("other")).unwrap();
        symlink("..2026_12_06", t.join("..data")).unwrap();
        symlink("../..data/deep", t.join("..2026_12_06/up")).unwrap();
        symlink("../other", t.join("out")).unwrap();
        symlink(dir.path().join("other"), t.join("abs")).unwrap();
        symlink("loop", t.join("loop")).unwrap();
        let base = open(&t);
        type Open = fn(BorrowedFd<'_>, &Path) -> rustix::io::Result<OwnedFd>;
        let openat2: Open = |b, p| {
            rustix::fs::openat2(
                b,
                p,
                DIR_FLAGS,
                Mode::empty(),
                ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
            )
        };
        for (which, f) in [("openat2", openat2), ("walk", walk as Open)] {
            let ok = |p: &str, want: &Path| {
                let fd =
                    f(base.as_fd(), Path::new(p)).unwrap_or_else(|e| panic!("{which} {p}: {e}"));
                assert!(same(&fd, want), "{which} {p}");
            };
            ok("..data", &t.join("..2026_12_06"));
            ok("..data/up", &t.join("..2026_12_06/deep"));
            ok("..data/deep/../deep", &t.join("..2026_12_06/deep"));
            ok("..data/..", &t);
            for p in [
                "out",
                "abs",
                "..",
                "..data/../..",
                "..data/up/../../../other",
            ] {
                assert_eq!(
                    f(base.as_fd(), Path::new(p)).unwrap_err(),
                    Errno::XDEV,
                    "{which} {p}"
                );
            }
            assert_eq!(
                f(base.as_fd(), Path::new("loop")).unwrap_err(),
                Errno::LOOP,
                "{which}"
            );
            assert_eq!(
                f(base.as_fd(), Path::new("nope")).unwrap_err(),
                Errno::NOENT,
                "{which}"
            );
        }
    }

    #[test]
    fn a_tenants_file_stays_in_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("acme/..2026_12_06")).unwrap();
        fs::create_dir_all(root.join("beta")).unwrap();
        fs::write(root.join("acme/..2026_12_06/security.yml"), "").unwrap();
        symlink("..2026_12_06", root.join("acme/..data")).unwrap();
        symlink("..data/security.yml", root.join("acme/security.yml")).unwrap();
        let target = |t: &str| Target::Tenant {
            root: root.clone(),
            tenant: t.into(),
        };
        let place = Place::open(&target("acme"), false).unwrap().unwrap();
        assert_eq!(place.shown(), root.join("acme/..data/security.yml"));
        assert_eq!(place.name(), "security.yml");
        assert!(place.stat().unwrap().is_some());
        // Another tenant's file, or anywhere out of the folder: refused, naming both.
        symlink("../acme/security.yml", root.join("beta/security.yml")).unwrap();
        let e = Place::open(&target("beta"), false).unwrap_err().to_string();
        assert!(e.contains("leads outside its tenant folder"), "{e}");
        assert!(
            e.contains(&root.join("beta/security.yml").display().to_string()),
            "{e}"
        );
        assert!(
            e.contains(&root.join("acme/security.yml").display().to_string()),
            "{e}"
        );
        // A dangling link inside is where a write creates the file, folders and all.
        fs::remove_file(root.join("beta/security.yml")).unwrap();
        symlink("new/deep/security.yml", root.join("beta/security.yml")).unwrap();
        assert!(Place::open(&target("beta"), false).unwrap().is_none());
        let place = Place::open(&target("beta"), true).unwrap().unwrap();
        assert_eq!(place.shown(), root.join("beta/new/deep/security.yml"));
        assert!(root.join("beta/new/deep").is_dir());
    }
}
