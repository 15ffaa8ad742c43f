//! Hardening of a process that holds a secret: no core dump, no ptrace or `/proc/<pid>/mem`
//! by other processes of the same user, and (for the clipboard helper) no descriptors of
//! the caller's kept open.
//!
//! `prctl` goes through rustix's safe wrapper. Closing descriptors we do not own is `unsafe`
//! (two calls of a line each): no crate can do it safely, since it is outside Rust's
//! I/O-safety model by nature.

/// Makes the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): no core file when it
/// crashes, and `/proc/<pid>/mem`, `environ` and ptrace (gdb, strace -p) are refused to other
/// processes of the same user; `/proc/<pid>/status` shows `Dumpable: 0`. Once set, it holds
/// until the process exits or execs. Does nothing where Linux's prctl does not exist.
pub fn forbid_dumps() {
    // Failure (an old or locked-down kernel) leaves the process as it was: nothing to undo.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// Closes every file descriptor above 2. For a process that outlives its caller (the
/// clipboard helper): a descriptor inherited from the caller's shell, such as the write end
/// of a pipe in `( tokenctl create k --copy 3>&1 ) | cat`, would otherwise keep the reader
/// waiting until the helper exits.
///
/// Call it first thing in `main`, before anything opened a descriptor that something owns.
pub(crate) fn close_inherited_fds() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: called before the program opened anything: every descriptor above 2 was
    // inherited, so no Rust object owns one and none is used after it is closed.
    // close_range(2) only closes descriptors and reads no memory.
    let closed = unsafe { libc::close_range(3, libc::c_uint::MAX, 0) } == 0;
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let closed = false;
    if !closed {
        close_listed_fds();
    }
}

/// For kernels without close_range (before Linux 5.9) and other Unixes: closes the
/// descriptors that `/proc/self/fd` (or `/dev/fd`) lists.
fn close_listed_fds() {
    #[cfg(unix)]
    {
        let list = std::fs::read_dir("/proc/self/fd").or_else(|_| std::fs::read_dir("/dev/fd"));
        let Ok(list) = list else { return };
        // Collected first: the listing's own descriptor is closed when `list` is dropped.
        let fds: Vec<i32> = list
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|fd| *fd > 2)
            .collect();
        for fd in fds {
            #[allow(unsafe_code)]
            // SAFETY: as in `close_inherited_fds`: nothing owns these inherited descriptors;
            // the listing's own, closed already, fails with EBADF and nothing else happens.
            unsafe {
                libc::close(fd);
            }
        }
    }
}
