//! The heap: a linked-list allocator over the region `linker.ld` reserves. Its lock is taken with
//! interrupts off, so that neither an interrupt handler nor a thread switch can find it held.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;
use spin::Mutex;
use x86_64::instructions::interrupts;

// ANCHOR: global_alloc
struct KernelHeap(Mutex<Heap>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(Mutex::new(Heap::empty()));

// SAFETY: `Heap` hands out blocks of the requested layout that do not overlap until freed.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        interrupts::without_interrupts(|| {
            self.0
                .lock()
                .allocate_first_fit(layout)
                .map_or(ptr::null_mut(), NonNull::as_ptr)
        })
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        interrupts::without_interrupts(|| {
            // SAFETY: the caller passes a block this allocator returned, with its layout.
            unsafe {
                self.0
                    .lock()
                    .deallocate(NonNull::new_unchecked(block), layout)
            }
        });
    }
}
// ANCHOR_END: global_alloc

/// Hands the heap region to the allocator. Call once, before the first allocation.
pub fn init() {
    let region = crate::memory::heap_region();
    interrupts::without_interrupts(|| {
        let mut heap = HEAP.0.lock();
        assert!(heap.size() == 0, "the heap is initialised twice");
        // SAFETY: the linker reserved this region for the heap and nothing else uses it.
        unsafe { heap.init(region.start as *mut u8, region.len()) };
    });
}

/// Bytes handed out and not yet freed (including the allocator's rounding).
pub fn used() -> usize {
    interrupts::without_interrupts(|| HEAP.0.lock().used())
}

/// The size of the whole heap, in bytes.
pub fn size() -> usize {
    interrupts::without_interrupts(|| HEAP.0.lock().size())
}
