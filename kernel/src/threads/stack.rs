//! A thread's stack: memory from the heap with an unmapped guard page below it, so that a thread
//! that runs past the end of its stack faults at once instead of overwriting the heap; painted,
//! so that one can tell afterwards how deep the thread went.

use crate::memory::{self, PAGE_SIZE};
use alloc::alloc::{Layout, alloc, dealloc};
use core::ops::Range;
use core::ptr::NonNull;

/// Fills a new stack, so that one can tell afterwards how deep the thread went.
const PAINT: u8 = 0x5a;

// ANCHOR: stack
/// A thread's stack, on the heap: a block of one guard page and then `size` bytes of stack.
pub struct Stack {
    block: NonNull<u8>,
    pub size: usize,
}

// SAFETY: a stack is plain memory owned by one thread record.
unsafe impl Send for Stack {}

impl Stack {
    fn layout(size: usize) -> Layout {
        Layout::from_size_align(PAGE_SIZE + size, PAGE_SIZE).expect("a valid stack size")
    }

    pub fn new(size: usize) -> Stack {
        assert!(
            size >= PAGE_SIZE && size.is_multiple_of(PAGE_SIZE),
            "stack size {size}"
        );
        // SAFETY: the layout has a nonzero size.
        let block = NonNull::new(unsafe { alloc(Self::layout(size)) })
            .expect("out of memory for a thread stack");
        let stack = Stack { block, size };
        // SAFETY: the stack lies inside the block just allocated.
        unsafe { (stack.bottom() as *mut u8).write_bytes(PAINT, size) };
        memory::set_guard_page(stack.guard_page().start, true);
        stack
    }

    /// The unmapped page just below the stack.
    pub fn guard_page(&self) -> Range<usize> {
        let start = self.block.as_ptr() as usize;
        start..start + PAGE_SIZE
    }

    fn bottom(&self) -> usize {
        self.guard_page().end
    }

    pub fn top(&self) -> usize {
        self.bottom() + self.size
    }

    /// How many bytes from the top the thread ever touched (the paint it overwrote).
    pub fn bytes_used(&self) -> usize {
        // SAFETY: reading this stack's own bytes, after its thread has finished.
        let bytes = unsafe { core::slice::from_raw_parts(self.bottom() as *const u8, self.size) };
        let untouched = bytes.iter().take_while(|&&b| b == PAINT).count();
        self.size - untouched
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // The heap will write its own records into the block: map the guard page again first.
        memory::set_guard_page(self.guard_page().start, false);
        // SAFETY: allocated in `new` with this very layout.
        unsafe { dealloc(self.block.as_ptr(), Self::layout(self.size)) };
    }
}
// ANCHOR_END: stack
