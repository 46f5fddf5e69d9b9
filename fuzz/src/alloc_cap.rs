//! Memory per input is bounded: a counting global allocator measures the heap one input
//! makes a target allocate at its peak, and the driver checks it against [`cap`].
//!
//! The counters are per thread (a `const`-initialised thread-local `Cell`, which never
//! allocates), so the tests can run targets on parallel threads: each measures only what its
//! own thread allocates. The parsers under test are single-threaded.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting each thread's live bytes and their peak.
pub struct CountingAllocator;

thread_local! {
    /// Bytes this thread allocated minus bytes it freed (may go negative when it frees
    /// another thread's blocks).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The highest `LIVE` since the last [`measure`] started.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    // `try_with`: a thread being torn down may still allocate.
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(bytes as isize);
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

fn shrank(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes as isize)));
}

// SAFETY: every call is forwarded to `System` unchanged; only the counters are updated,
// and updating them never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            // Counted as the new block arriving before the old one leaves: a moving
            // realloc holds both.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the most heap it held at once beyond what was live
/// before it (bytes allocated by this thread).
///
/// ```
/// let (_, peak) = kinesis_fuzz::alloc_cap::measure(|| vec![0u8; 10_000].len());
/// assert!(peak >= 10_000);
/// ```
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, (peak - before).max(0) as usize)
}

/// Runs `f` without counting its peak in the [`measure`] around it (for a target's own
/// checks, such as re-encoding what a parser returned); what `f` leaves allocated still
/// counts.
pub fn unmeasured<R>(f: impl FnOnce() -> R) -> R {
    let peak = PEAK.with(Cell::get);
    let r = f();
    let live = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(peak.max(live)));
    r
}

/// What one input may make a target allocate at its peak: 128 bytes per input byte plus
/// 1 MiB, the bound `kinesis-formats/tests/decode_memory.rs` holds the decoders to (a
/// decoded value is 48 bytes and a growing `Vec` briefly holds one and a half times its
/// items).
///
/// ```
/// assert_eq!(kinesis_fuzz::alloc_cap::cap(0), 1 << 20);
/// ```
pub fn cap(input_len: usize) -> usize {
    input_len.saturating_mul(128).saturating_add(1 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_per_call_and_per_thread() {
        let keep = vec![1u8; 4096];
        let (_, peak) = measure(|| {
            let a = vec![0u8; 50_000];
            drop(a);
            let b = vec![0u8; 20_000];
            b.len()
        });
        assert!((50_000..60_000).contains(&peak), "{peak}");
        // Another thread's allocation does not count here.
        let (_, peak) = measure(|| {
            std::thread::scope(|s| {
                s.spawn(|| vec![0u8; 1 << 22].len()).join().unwrap();
            })
        });
        assert!(peak < 1 << 20, "{peak}");
        assert_eq!(keep.len(), 4096);
        // Checks run unmeasured do not count.
        let (_, peak) = measure(|| unmeasured(|| vec![0u8; 1 << 22].len()));
        assert!(peak < 1 << 20, "{peak}");
    }
}
