//! Memory the server frees after loading a tenant's file, handed back to the system.

/// Hands memory that is free but still held by the allocators back to the system: after a
/// large file is loaded, or refused, mimalloc (the binary's allocator, linked with the `cli`
/// feature) keeps the freed pages of the thread that did it until that thread allocates
/// again, and glibc keeps its arenas as large as they grew. Call it on the thread that freed
/// the memory.
pub(super) fn release_free_memory() {
    // Links mimalloc's library wherever this is, the library's own test binary too (it has
    // no `#[global_allocator]` to pull it in, and would fail to link for want of mi_collect).
    #[cfg(feature = "cli")]
    use mimalloc as _;
    #[cfg(feature = "cli")]
    #[allow(unsafe_code)]
    // SAFETY: mi_collect (in the mimalloc library linked through the `mimalloc` dependency)
    // only returns free pages of mimalloc's heaps; it touches no memory in use.
    unsafe {
        unsafe extern "C" {
            fn mi_collect(force: bool);
        }
        mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only returns free pages of glibc's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
