//! Handing freed memory back to the system.
//!
//! glibc's `malloc` serves blocks under its mmap threshold (which rises to the size of freed
//! mapped blocks, up to 32 MiB) from heaps, and a freed heap block stays resident. A load frees its
//! per-block column builders (16 Ki rows each: 128-256 KiB a column) while the finished columns
//! are allocated, so without help the builders and the table stay resident side by side: a
//! 1 M-line syslog load peaked at 7.5x its file. [`release_free_memory`] gives the freed pages back.
//!
//! A fixed low mmap threshold (`mallopt`) gave about the same peaks, but then every large block
//! costs a fresh mapping and its page faults, which brushing (masks and counts allocated per click)
//! would pay on every click; trimming only where a load has just freed a lot costs nothing there.

/// Returns free heap pages to the system (glibc: `malloc_trim`, every arena). It walks the free
/// lists: call it after a large free (a finished column), not per row. A no-op where the allocator
/// has no such call.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases pages the allocator holds as free; it takes the arenas'
    // own locks, so other threads may allocate meanwhile.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_heap_blocks_leave_the_resident_set() {
        // Blocks below the mmap threshold come from a heap; a big block freed first raises the
        // threshold as a finished load does.
        drop(vec![1u8; 8 << 20]);
        // The resident set is the whole process's, and other test threads allocate meanwhile (a
        // CI run once saw 11.4 of the 12 MiB asked for): a few tries, and one clear drop passes.
        let mut seen = Vec::new();
        for _ in 0..4 {
            let blocks: Vec<Vec<u8>> = (0..512).map(|_| vec![1u8; 96 * 1024]).collect();
            let held = rss_kib();
            // Free every other block, so the freed ones are holes, not the heap's top.
            let kept: Vec<Vec<u8>> = blocks.into_iter().step_by(2).collect();
            release_free_memory();
            let after = rss_kib();
            assert_eq!(kept.len(), 256);
            // 256 x 96 KiB = 24 MiB freed; ask for half.
            if held.saturating_sub(after) >= 12 * 1024 {
                return;
            }
            seen.push((held, after));
        }
        panic!("rss (before, after) KiB in each try: {seen:?}");
    }
}
