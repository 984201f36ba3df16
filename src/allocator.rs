//! Tuning of glibc's allocator for a long-running server (the binary's only `unsafe`).
//!
//! Two things glibc does by default make a busy server's memory climb although nothing leaks
//! (tools/soak.py found both; docs/security.md, "Soak"):
//!
//! - A block of 128 KiB or more is mapped, and unmapped when freed; but after such a free glibc
//!   raises that threshold to the block's size, and from then on serves blocks that size from
//!   its per-thread pools (arenas), which keep the memory. Argon2's 19 MiB block, once per
//!   sign-in on whichever thread, made memory climb in steps of 19 MiB. A fixed threshold
//!   keeps large blocks mapped, and returned when freed.
//! - Memory freed inside an arena stays with the process: glibc gives back only the free space
//!   at an arena's top. Requests run on whichever blocking thread is free, and threads share
//!   up to eight arenas per core, so every arena in turn grows to the largest burst it has
//!   served, mostly free space (on PostgreSQL the soak found 67 MB held for 17 MB in use after
//!   nine minutes, and climbing). No more arenas than cores are kept (at most that many
//!   threads allocate at once), and a thread gives the free pages of every arena back every
//!   [`TRIM_INTERVAL`] (`malloc_trim`).
//!
//! `MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_` in the environment are left to glibc.

use std::time::{Duration, Instant};

/// How often the free pages of the allocator's arenas are given back to the system.
pub const TRIM_INTERVAL: Duration = Duration::from_secs(30);

/// Sets the allocator's parameters; called first thing in `main`, before any other thread.
#[allow(unsafe_code)]
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set = |param, value| {
            // SAFETY: mallopt only sets a tuning parameter of the allocator; it is called
            // before any other thread exists.
            unsafe { libc::mallopt(param, value) };
        };
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            set(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        }
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            set(libc::M_ARENA_MAX, arenas());
        }
    }
}

/// As many arenas as cores, and at least two.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn arenas() -> libc::c_int {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX)
}

/// Starts the thread that gives free memory back every [`TRIM_INTERVAL`], for the life of the
/// process (the server and the worker).
pub fn spawn_trimmer() -> std::io::Result<()> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(TRIM_INTERVAL);
                let started = Instant::now();
                let released = trim();
                tracing::debug!(released, took = ?started.elapsed(), "gave free memory back");
            }
        })
        .map(drop)
}

/// Gives the free pages of every arena back to the system; true when some were.
#[allow(unsafe_code)]
fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks, arena by arena, and may be called
    // from any thread at any time.
    unsafe {
        libc::malloc_trim(0) == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}
