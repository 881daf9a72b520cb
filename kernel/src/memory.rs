//! Where things lie in memory. The boot code maps the first GiB one to one (virtual address =
//! physical address), leaving out the null page and the page below the boot stack; `linker.ld`
//! places the boot stack and the heap. This module turns the linker's symbols into addresses.

use core::ops::Range;

unsafe extern "C" {
    static __stack_guard: u8;
    static __boot_stack_top: u8;
    static __heap_start: u8;
    static __heap_end: u8;
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
