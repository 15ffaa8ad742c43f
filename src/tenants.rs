//! Every tenant under a root, for `--all-tenants`: the folders of `<root>` holding a
//! `security.yml`, in name order, and a loader that reads them on every core and hands the
//! results back in that order, each tenant's error its own.

use crate::error::{Error, Result};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One tenant: its name and the path of its security.yml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tenant {
    pub name: String,
    pub path: PathBuf,
    root: PathBuf,
}

impl Tenant {
    /// The store of its file: opened beneath the root, then beneath the tenant's folder
    /// (a link to another tenant's file, or out of the folder, is refused).
    pub(crate) fn store(&self, lock_timeout: Duration) -> Store {
        Store::tenant(&self.root, &self.name, lock_timeout)
    }
}

/// The tenants under `root`, and the folders that hold a security.yml but are not tenants
/// (a name tokenctl cannot address, a link leading out of the root), with why.
#[derive(Debug, Default)]
pub(crate) struct Tenants {
    pub tenants: Vec<Tenant>,
    pub skipped: Vec<(PathBuf, String)>,
}

/// Lists `<root>/<tenant>/security.yml` in name order (bytewise). Folders without a
/// security.yml are not tenants and are passed over silently.
pub(crate) fn discover(root: &Path) -> Result<Tenants> {
    let entries = std::fs::read_dir(root).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Invalid {
                path: root.to_path_buf(),
                message: "no such folder; --all-tenants reads every <root>/<tenant>/security.yml: give the root with --root DIR (or TOKENCTL_ROOT)".into(),
            }
        } else {
            Error::io(root, "listing the tenants in", e)
        }
    })?;
    let mut found = Tenants::default();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(root, "listing the tenants in", e))?;
        let dir = entry.path();
        let file = dir.join("security.yml");
        // A dangling link is still a tenant: loading it says what is wrong.
        if !dir.is_dir() || std::fs::symlink_metadata(&file).is_err() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            found.skipped.push((
                dir,
                "its name is not UTF-8, so it is not a tenant name".into(),
            ));
            continue;
        };
        if let Some(problem) = crate::names::problem(&name) {
            found
                .skipped
                .push((dir, format!("{problem}, so it is not a tenant name")));
            continue;
        }
        let store = Store::tenant(root, &name, Duration::ZERO);
        match store.place() {
            Ok(_) => found.tenants.push(Tenant {
                path: store.path().to_path_buf(),
                name,
                root: root.to_path_buf(),
            }),
            Err(e) => found.skipped.push((dir, e.to_string())),
        }
    }
    found.tenants.sort_by(|a, b| a.name.cmp(&b.name));
    found.skipped.sort();
    Ok(found)
}

/// [`discover`], failing when the root holds no tenant at all: a mistyped `--root` must not
/// list nothing and pass, green (issue "Operators and scripts", no silent no-op).
pub(crate) fn discover_some(root: &Path) -> Result<Tenants> {
    let found = discover(root)?;
    if found.tenants.is_empty() && found.skipped.is_empty() {
        return Err(Error::Invalid {
            path: root.to_path_buf(),
            message: "holds no tenant (no <root>/<tenant>/security.yml); give the root with --root DIR (or TOKENCTL_ROOT), or create a tenant's first key with `tokenctl --tenant NAME create ...`".into(),
        });
    }
    Ok(found)
}

/// Runs `load` on every tenant, on as many threads as there are cores, and returns the
/// results in the tenants' order.
pub(crate) fn load_each<T: Send>(
    tenants: &[Tenant],
    load: impl Fn(&Tenant) -> Result<T> + Sync,
) -> Vec<Result<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(tenants.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<T>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = tenants.get(i) else { break };
                        done.push((i, load(t)));
                    }
                    done
                })
            })
            .collect();
        let mut slots: Vec<Option<Result<T>>> = (0..tenants.len()).map(|_| None).collect();
        for w in workers {
            for (i, r) in w.join().expect("a loading thread panicked") {
                slots[i] = Some(r);
            }
        }
        slots
    });
    slots
        .iter_mut()
        .map(|s| s.take().expect("every tenant is loaded"))
        .collect()
}

/// The tenants under `root`: its folders that hold a security.yml, sorted.
pub(crate) fn tenants_under(root: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("security.yml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| crate::names::problem(n).is_none())
        .collect();
    names.sort();
    names
}

/// The `.yml` and `.yaml` files in `dir`, for "did you mean" on a mistyped --file.
pub(crate) fn yaml_files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .filter(|n| !n.contains(".usage."))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_the_folders_with_a_security_file_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in ["beta", "Alpha", "alpha", "empty", "has space"] {
            std::fs::create_dir(root.join(name)).unwrap();
            if name != "empty" {
                std::fs::write(root.join(name).join("security.yml"), "apiKeys: {}\n").unwrap();
            }
        }
        std::fs::write(root.join("notes.txt"), "").unwrap();
        let found = discover(root).unwrap();
        let names: Vec<_> = found.tenants.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "alpha", "beta"]);
        assert_eq!(found.tenants[0].path, root.join("Alpha/security.yml"));
        assert_eq!(found.skipped.len(), 1);
        assert!(found.skipped[0].1.contains("not a tenant name"));
        let loaded = load_each(&found.tenants, |t| {
            if t.name == "beta" {
                Err(Error::Other("broken".into()))
            } else {
                Ok(t.name.len())
            }
        });
        assert!(matches!(loaded[..], [Ok(5), Ok(5), Err(_)]));
        assert!(matches!(
            discover(&root.join("nowhere")),
            Err(Error::Invalid { .. })
        ));
    }
}
