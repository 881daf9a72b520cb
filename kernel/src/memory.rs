//! Where things lie in memory, and which pages are mapped. The boot code maps the first GiB one
//! to one (virtual address = physical address); below `__small_pages_end` (see `linker.ld`) it
//! uses 4 KiB pages, so that single pages can be left unmapped: the null page, the guard page
//! below the boot stack, and the guard pages below thread stacks (`set_guard_page`).

use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::VirtAddr;
use x86_64::instructions::tlb;
use x86_64::structures::paging::PageTableFlags;

unsafe extern "C" {
    static __stack_guard: u8;
    static __boot_stack_top: u8;
    static __heap_start: u8;
    static __heap_end: u8;
    static __small_pages_end: u8;
    /// The entries of the boot code's 4 KiB page tables, one per page, from address 0 on.
    static __page_tables_4k: AtomicU64;
}

/// A page is 4 KiB.
pub const PAGE_SIZE: usize = 4096;

fn address_of(symbol: &u8) -> usize {
    symbol as *const u8 as usize
}

/// The unmapped page below the boot stack: touching it is a page fault, not silent corruption.
pub fn stack_guard_page() -> Range<usize> {
    // SAFETY: only the symbol's address is taken; the linker script defines it.
    let start = address_of(unsafe { &__stack_guard });
    start..start + PAGE_SIZE
}

/// The boot stack, on which `kernel_main` (and later the executor) runs.
pub fn boot_stack() -> Range<usize> {
    // SAFETY: as above.
    stack_guard_page().end..address_of(unsafe { &__boot_stack_top })
}

/// The memory the heap allocator hands out.
pub fn heap_region() -> Range<usize> {
    // SAFETY: as above.
    unsafe { address_of(&__heap_start)..address_of(&__heap_end) }
}

// ANCHOR: set_guard_page
/// Unmaps the 4 KiB page that starts at `page` (`guard` true), so that any access to it faults,
/// or maps it again. Only for pages below `__small_pages_end`, which the boot code mapped with
/// 4 KiB pages; the caller owns the page (a block of the heap, say) and nothing else uses it.
pub fn set_guard_page(page: usize, guard: bool) {
    // SAFETY: only the symbol's address is taken.
    let end = address_of(unsafe { &__small_pages_end });
    assert!(
        page.is_multiple_of(PAGE_SIZE) && page != 0 && page < end,
        "{page:#x} is not a 4 KiB page of its own"
    );
    // SAFETY: the boot code filled one entry per page below `__small_pages_end`, and entries
    // are only changed through atomics, here.
    let entry = unsafe { &*(&raw const __page_tables_4k).add(page / PAGE_SIZE) };
    let present = PageTableFlags::PRESENT.bits();
    if guard {
        entry.fetch_and(!present, Ordering::SeqCst);
    } else {
        entry.fetch_or(present, Ordering::SeqCst);
    }
    // The CPU may still hold the old entry in its TLB.
    tlb::flush(VirtAddr::new(page as u64));
}
// ANCHOR_END: set_guard_page
