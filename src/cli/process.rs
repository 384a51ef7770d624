//! What the process does to itself before anything else: files it creates (the SQLite
//! database and its -wal and -shm, the log) are readable by its own account only, and it
//! leaves no core dump (which would hold whatever codes were on screen).

/// Sets the umask to 077 and turns core dumps off. Called first thing in `main`.
pub fn keep_private() {
    // SAFETY: umask only changes this process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: a valid rlimit for RLIMIT_CORE; lowering a limit needs no privilege. A
    // failure leaves the limit as it was, which is no worse than before.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE with 0 takes no pointers. It also keeps other processes of
    // the same account from attaching a debugger or reading this one's memory.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: a plain integer setting of glibc's allocator. A fixed threshold keeps each
    // argon2 working block (19 MiB) in its own mapping, returned to the system when the
    // hash is done, instead of glibc raising the threshold and keeping the blocks in its
    // heaps: an agent's process stays small after generating codes.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_keeps_no_core_and_creates_private_files() {
        super::keep_private();
        let mut limit = libc::rlimit { rlim_cur: 1, rlim_max: 1 };
        // SAFETY: reads the limit into a valid struct.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!((limit.rlim_cur, limit.rlim_max), (0, 0));
        #[cfg(target_os = "linux")]
        // SAFETY: PR_GET_DUMPABLE takes no pointers.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
        // SAFETY: umask returns the old mask; it is set back to the same value.
        let mask = unsafe { libc::umask(0o077) };
        assert_eq!(mask, 0o077);
    }
}
