//! The global descriptor table: the kernel's code and data segments, and the task-state segment
//! whose interrupt stack table gives the double-fault handler a stack of its own.
//! The design is that of the "Double Faults" post of Philipp Oppermann's "Writing an OS in Rust"
//! (code MIT/Apache-2.0).

use spin::LazyLock;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;

// ANCHOR: double_fault_stack
/// The interrupt-stack-table slot of the double-fault handler.
pub const DOUBLE_FAULT_IST_INDEX: u16 = 0;

const DOUBLE_FAULT_STACK_SIZE: usize = 16 * 1024;

/// A stack used by nothing else: when a stack overflow faults, the CPU switches to it before it
/// pushes anything, so the handler can still run.
/// (`u128` makes it 16-byte aligned, as a stack should be.)
static mut DOUBLE_FAULT_STACK: [u128; DOUBLE_FAULT_STACK_SIZE / 16] =
    [0; DOUBLE_FAULT_STACK_SIZE / 16];

static TSS: LazyLock<TaskStateSegment> = LazyLock::new(|| {
    let mut tss = TaskStateSegment::new();
    let bottom = VirtAddr::from_ptr(&raw const DOUBLE_FAULT_STACK);
    tss.interrupt_stack_table[DOUBLE_FAULT_IST_INDEX as usize] =
        bottom + DOUBLE_FAULT_STACK_SIZE as u64;
    tss
});
// ANCHOR_END: double_fault_stack

struct Gdt {
    table: GlobalDescriptorTable,
    code: SegmentSelector,
    data: SegmentSelector,
    tss: SegmentSelector,
}

static GDT: LazyLock<Gdt> = LazyLock::new(|| {
    let mut table = GlobalDescriptorTable::new();
    let code = table.append(Descriptor::kernel_code_segment());
    let data = table.append(Descriptor::kernel_data_segment());
    let tss = table.append(Descriptor::tss_segment(&TSS));
    Gdt {
        table,
        code,
        data,
        tss,
    }
});

/// Replaces the boot code's provisional table with this one and loads the TSS.
pub fn init() {
    GDT.table.load();
    // SAFETY: the selectors name the segments just loaded, which are valid 64-bit ring-0 ones.
    unsafe {
        CS::set_reg(GDT.code);
        DS::set_reg(GDT.data);
        ES::set_reg(GDT.data);
        SS::set_reg(GDT.data);
        load_tss(GDT.tss);
    }
}
