//! A bump allocator for components. The host replaces an instance once its
//! memory has grown past half the memory limit (and retries a batch that
//! failed on a reused instance on a fresh one), so memory freed during a call
//! need not be reused: bumping a pointer (and rewinding it when the newest
//! block is freed) replaces dlmalloc's bookkeeping on the hot path, where the
//! host asks the guest to allocate every string and list of every account it
//! passes in. Memory grows in steps that double from one page (64 KiB) up to
//! 1 MiB: a call on a few accounts grows memory by a page or two, and every
//! page grown costs the host a change of protection when the instance is made
//! and again when its slot is reset (`vitals-bench runtime`, batch 1). The
//! host's memory limit still applies (a refused growth is an allocation failure, reported as the
//! memory limit).
//!
//! The export macros install it on `wasm32` only; native tests use the
//! system allocator.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;

#[cfg(target_arch = "wasm32")]
const PAGE: usize = 65_536;
/// The most pages added per growth (1 MiB); the first growth adds one page
/// and each later one as many as were added before, up to this.
#[cfg(target_arch = "wasm32")]
const MAX_STEP_PAGES: usize = 16;

/// The allocator. Components are single-threaded, so plain cells suffice.
pub struct Bump {
    next: Cell<usize>,
    end: Cell<usize>,
    // Read by `grow`, which only wasm32 has.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    grown_pages: Cell<usize>,
}

// SAFETY: wasm32 components run one thread; the allocator is never shared
// across threads there, and on other targets it is never installed.
unsafe impl Sync for Bump {}

impl Bump {
    /// An allocator that starts at the end of the memory the module was given.
    pub const fn new() -> Self {
        Bump {
            next: Cell::new(0),
            end: Cell::new(0),
            grown_pages: Cell::new(0),
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn grow(&self, needed_end: usize) -> bool {
        if self.end.get() == 0 {
            let start = core::arch::wasm32::memory_size(0) * PAGE;
            self.next.set(start);
            self.end.set(start);
        }
        if needed_end <= self.end.get() {
            return true;
        }
        let exact = (needed_end - self.end.get()).div_ceil(PAGE);
        // A doubling step when the limit allows it, else exactly what is needed.
        let step = self.grown_pages.get().clamp(1, MAX_STEP_PAGES);
        for pages in [exact.max(step), exact] {
            let previous = core::arch::wasm32::memory_grow(0, pages);
            if previous == usize::MAX {
                continue;
            }
            self.grown_pages.set(self.grown_pages.get() + pages);
            if previous * PAGE != self.end.get() {
                // Someone else (wasi-libc's own malloc) grew memory since our
                // last step: what lies between is theirs; start after it.
                // The caller recomputes its block in the new region.
                let start = previous * PAGE;
                self.next.set(start);
                self.end.set(start + pages * PAGE);
                return true;
            }
            self.end.set(self.end.get() + pages * PAGE);
            return true;
        }
        false
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn grow(&self, _needed_end: usize) -> bool {
        false
    }
}

impl Default for Bump {
    fn default() -> Self {
        Self::new()
    }
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.end.get() == 0 && !self.grow(0) {
            return core::ptr::null_mut();
        }
        // Growing can move the free region (see `grow`), so the block is
        // placed again after each growth.
        for _ in 0..3 {
            let start = (self.next.get() + layout.align() - 1) & !(layout.align() - 1);
            let Some(end) = start.checked_add(layout.size()) else {
                return core::ptr::null_mut();
            };
            if end <= self.end.get() {
                self.next.set(end);
                return start as *mut u8;
            }
            if !self.grow(end) {
                return core::ptr::null_mut();
            }
        }
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Only the newest block can be given back.
        if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The newest block grows (or shrinks) in place while the region has
        // room; past it, a new block and a copy (growth may move the region).
        if ptr as usize + layout.size() == self.next.get() {
            let end = ptr as usize + new_size;
            if end <= self.end.get() {
                self.next.set(end);
                return ptr;
            }
        }
        // SAFETY: the caller upholds GlobalAlloc::realloc's contract.
        unsafe {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            }
            new
        }
    }
}
