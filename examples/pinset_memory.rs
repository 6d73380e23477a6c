//! Heap bytes per entry of large `PinSet`s, measured with a counting allocator.
//!
//! Run with `cargo run --release --example pinset_memory`; it exits with an error if the
//! 100 000-entry set takes more than the target, so CI keeps the figure honest. The entries are the `pinset_size`
//! bench's: patterns cycling through exact, `*.` and `**.` names of 25 to 33 characters, two
//! SPKI pins each. Bytes are what the set asks the allocator for and keeps (the builder's
//! temporaries are freed by then); the allocator's own bookkeeping comes on top.

use rustls_pinning_test_support::bench::fleet;

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicIsize, Ordering};

use rustls_pinning::{Pin, PinEntry};

/// Live heap bytes of the whole process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is updating an atomic counter, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The target in BENCHMARKS.md.
const TARGET_BYTES_PER_ENTRY: f64 = 256.0;

fn main() -> ExitCode {
    println!("{:>8}  {:>12}  {:>9}", "entries", "heap bytes", "per entry");
    let mut at_largest = 0.0;
    for size in [1, 100, 10_000, 100_000] {
        let first = PinEntry::builder("api.bench.test".parse().expect("pattern"))
            .pin(Pin::spki_sha256([1; 32]))
            .pin(Pin::spki_sha256([2; 32]));
        let before = LIVE.load(Ordering::Relaxed);
        let set = fleet::pin_set(size, first);
        let bytes = LIVE.load(Ordering::Relaxed) - before + size_of_val(&set) as isize;
        let per_entry = bytes as f64 / size as f64;
        println!("{size:>8}  {bytes:>12}  {per_entry:>9.1}");
        assert_eq!(set.len(), size);
        drop(set);
        at_largest = per_entry;
    }
    let met = at_largest <= TARGET_BYTES_PER_ENTRY;
    let verdict = if met { "met" } else { "NOT met" };
    println!("target <= {TARGET_BYTES_PER_ENTRY} bytes per entry at 100 000 entries: {verdict}");
    if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
