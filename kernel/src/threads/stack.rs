//! A thread's stack: memory from the heap, painted so that one can tell afterwards how deep the
//! thread went, with a canary at the bottom that the scheduler checks at every switch (these
//! stacks have no guard page).

use alloc::alloc::{Layout, alloc, dealloc};
use core::ptr::NonNull;

/// Written at the lowest address of every thread stack; a thread that overwrites it has
/// overflowed its stack.
const CANARY: u64 = 0x5afe_57ac_c0de_f00d;
/// Fills the rest of a new stack, so that one can tell afterwards how deep the thread went.
const PAINT: u8 = 0x5a;

// ANCHOR: stack
/// A thread's stack, on the heap.
pub struct Stack {
    bottom: NonNull<u8>,
    pub size: usize,
}

// SAFETY: a stack is plain memory owned by one thread record.
unsafe impl Send for Stack {}

impl Stack {
    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 16).expect("a valid stack size")
    }

    pub fn new(size: usize) -> Stack {
        assert!(size >= 4096 && size.is_multiple_of(16), "stack size {size}");
        // SAFETY: the layout has a nonzero size.
        let bottom = NonNull::new(unsafe { alloc(Self::layout(size)) })
            .expect("out of memory for a thread stack");
        // SAFETY: the block was just allocated with `size` bytes and 16-byte alignment.
        unsafe {
            bottom.as_ptr().write_bytes(PAINT, size);
            bottom.cast::<u64>().write(CANARY);
        }
        Stack { bottom, size }
    }

    pub fn top(&self) -> usize {
        self.bottom.as_ptr() as usize + self.size
    }

    pub fn canary_intact(&self) -> bool {
        // SAFETY: the stack's first word, written in `new`.
        unsafe { self.bottom.cast::<u64>().read_volatile() == CANARY }
    }

    /// How many bytes from the top the thread ever touched (the paint it overwrote).
    pub fn bytes_used(&self) -> usize {
        // SAFETY: reading this stack's own bytes, after its thread has finished.
        let bytes = unsafe { core::slice::from_raw_parts(self.bottom.as_ptr(), self.size) };
        let untouched = bytes[8..].iter().take_while(|&&b| b == PAINT).count();
        self.size - 8 - untouched
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this very layout.
        unsafe { dealloc(self.bottom.as_ptr(), Self::layout(self.size)) };
    }
}
// ANCHOR_END: stack
