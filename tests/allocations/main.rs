//! The accept path of a pinned `verify_server_cert` performs no heap allocation.
//!
//! A counting global allocator tallies allocations per thread, so tests running in parallel
//! do not disturb each other's counts. It sees Rust's global allocator only: memory that a C
//! crypto library (aws-lc) obtains from `malloc` directly is not counted.
//!
//! A binary of its own: the allocator is global to the process. The tests that verify run once
//! per crypto provider compiled in (`with_aws_lc_rs`, `with_ring`), as in `tests/suite/`.

// Each provider module includes the same file.
#![allow(clippy::duplicate_mod)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct CountingAllocator;

fn count_one() {
    // `try_with`: never panic inside the allocator, even during thread teardown.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is bumping a thread-local counter, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `f` and returns its result with the number of allocations it made on this thread.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = allocations();
    let result = f();
    let after = allocations();
    (result, after - before)
}

#[test]
fn counter_sees_allocations_on_this_thread() {
    let (vector, count) = counted(|| vec![1u8; 64]);
    assert_eq!(vector.len(), 64);
    assert_eq!(count, 1);
}

#[cfg(feature = "aws-lc-rs")]
#[path = "."]
mod with_aws_lc_rs {
    rustls_pinning_test_support::define_provider!(aws_lc_rs);

    mod verify_server_cert;
}

#[cfg(feature = "ring")]
#[path = "."]
mod with_ring {
    rustls_pinning_test_support::define_provider!(ring);

    mod verify_server_cert;
}
