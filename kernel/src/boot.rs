//! From QEMU's `-kernel` to Rust: the PVH note that tells QEMU where to start, the 32-bit code
//! that turns on 64-bit mode, and the start-info block QEMU hands over (with the command line).

use core::arch::global_asm;

// ANCHOR: pvh_note
// QEMU looks for this ELF note (type 18, XEN_ELFNOTE_PHYS32_ENTRY) and jumps to the address it
// holds in 32-bit protected mode, paging off, with the start-info block's address in `ebx`.
global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                 /* size of the name "Xen\0" */
    .long 8                 /* size of the description: one address */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_start32
    .balign 4
    "#
);
// ANCHOR_END: pvh_note

// ANCHOR: trampoline
global_asm!(
    r#"
    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    /* The PVH boot protocol leaves esp undefined: set a stack before anything is pushed. */
    mov esp, offset __boot_stack_top
    mov esi, ebx                    /* keep the start-info address for Rust */

    /* Zero .bss: Rust expects its zero-initialised statics to be zero. */
    mov edi, offset __bss_start
    mov ecx, offset __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb

    /* Identity-map the first GiB: one PML4 entry, one PDPT entry, a page directory. Below
       __small_pages_end it points to page tables of 4 KiB pages (so that the null page and
       guard pages can be left out), above it maps 2 MiB pages. */
    mov eax, offset boot_pdpt
    or eax, 3                       /* present, writable */
    mov [boot_pml4], eax
    mov eax, offset boot_pd
    or eax, 3
    mov [boot_pdpt], eax
    mov edx, offset __small_pages_end
    shr edx, 21                     /* how many page tables: one per 2 MiB */
    xor ecx, ecx
5:  mov eax, ecx
    shl eax, 12
    add eax, offset __page_tables_4k
    or eax, 3
    mov [boot_pd + ecx * 8], eax
    inc ecx
    cmp ecx, edx
    jne 5b
2:  mov eax, ecx
    shl eax, 21
    or eax, 0x83                    /* present, writable, 2 MiB page */
    mov [boot_pd + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jne 2b
    mov edx, offset __small_pages_end
    shr edx, 12                     /* how many 4 KiB pages */
    mov ecx, 1                      /* entry 0 stays empty: null pointers fault */
3:  mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [__page_tables_4k + ecx * 8], eax
    inc ecx
    cmp ecx, edx
    jne 3b
    mov eax, offset __stack_guard
    shr eax, 12
    mov dword ptr [__page_tables_4k + eax * 8], 0

    /* Long mode: PAE on, page tables in CR3, EFER.LME, then paging. */
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, offset boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax

    /* A far return into a 64-bit code segment leaves compatibility mode. */
    lgdt [boot_gdt_pointer]
    mov eax, offset long_mode_start
    push 0x08
    push eax
    retf

    .code64
long_mode_start:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, offset __boot_stack_top /* the same stack, emptied */
    mov edi, esi                    /* first argument: the start-info address */
    call {rust_start}
4:  hlt
    jmp 4b

    .section .rodata
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_pointer:
    .word boot_gdt_pointer - boot_gdt - 1
    .long boot_gdt

    .section .bss.boot_page_tables, "aw", @nobits
    .balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096
    "#,
    rust_start = sym rust_start,
);
// ANCHOR_END: trampoline

/// What QEMU told the kernel at boot.
#[derive(Debug)]
pub struct BootInfo {
    /// The text after `-append` on QEMU's command line (empty without it).
    pub command_line: &'static str,
}

impl BootInfo {
    /// Whether the command line holds `word` as one of its space-separated words.
    pub fn has_flag(&self, word: &str) -> bool {
        self.command_line.split(' ').any(|w| w == word)
    }
}

/// The start of the `hvm_start_info` block of the PVH boot protocol (the fields used here).
#[repr(C)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    module_count: u32,
    module_list: u64,
    command_line: u64,
}

const START_INFO_MAGIC: u32 = 0x336e_c578;

// The binary that links this library defines `kernel_main` with `entry_point!`.
unsafe extern "Rust" {
    fn kernel_main(boot_info: &'static BootInfo) -> !;
}

static BOOT_INFO: spin::Once<BootInfo> = spin::Once::new();

/// What QEMU told the kernel at boot (available once the kernel has started).
pub fn info() -> &'static BootInfo {
    BOOT_INFO.get().expect("the kernel has booted")
}

/// Called by the boot code on the boot stack, in 64-bit mode, interrupts off.
extern "C" fn rust_start(start_info: u32) -> ! {
    let boot_info = BOOT_INFO.call_once(|| {
        // SAFETY: QEMU passed the address of its start-info block, which the identity mapping
        // covers; nothing writes to it.
        let info = unsafe { &*(start_info as usize as *const StartInfo) };
        assert_eq!(info.magic, START_INFO_MAGIC, "not booted through PVH");
        let command_line = match info.command_line {
            0 => "",
            // SAFETY: a nonzero address points at the NUL-terminated command line.
            address => unsafe { core::ffi::CStr::from_ptr(address as usize as *const _) }
                .to_str()
                .unwrap_or(""),
        };
        BootInfo { command_line }
    });
    // SAFETY: `entry_point!` defined it with this signature.
    unsafe { kernel_main(boot_info) }
}

/// Declares the function a kernel binary starts in, with its signature checked.
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn kernel_main(boot_info: &'static $crate::boot::BootInfo) -> ! {
            let main: fn(&'static $crate::boot::BootInfo) -> ! = $main;
            main(boot_info)
        }
    };
}
