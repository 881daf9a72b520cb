//! The interrupt controller: the two chained 8259 PICs, the vectors their lines arrive on, and
//! the end-of-interrupt that lets the next one through. It calls nothing else in the kernel, so
//! the interrupt table (`interrupts`) and the context switch (`threads`), which both need it,
//! call down into it rather than into each other.

use pic8259::ChainedPics;

// Credit: the vectors 32 and 40 for the two PICs and an enum of the lines are the layout of the
// "Hardware Interrupts" post of Philipp Oppermann's "Writing an OS in Rust" (code
// MIT/Apache-2.0), and the usual one for two chained 8259s.

/// The PICs' interrupts start at vector 32, after the CPU's exceptions.
const PIC_1_OFFSET: u8 = 32;
const PIC_2_OFFSET: u8 = PIC_1_OFFSET + 8;

/// The hardware interrupt lines the kernel uses.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum Irq {
    Timer = 0,
    Keyboard = 1,
    Serial = 4,
}

impl Irq {
    /// The vector the CPU receives this line's interrupt on.
    pub fn vector(self) -> u8 {
        PIC_1_OFFSET + self as u8
    }
}

/// The first PIC raises line 7 when a request vanished before it was acknowledged.
pub const SPURIOUS_VECTOR: u8 = PIC_1_OFFSET + 7;

/// The two PICs. A `ChainedPics` holds only their port numbers and vector offsets, so each user
/// makes its own rather than sharing one behind a lock that handlers would have to take.
fn pics() -> ChainedPics {
    // SAFETY: the offsets do not overlap the CPU exceptions (0..32).
    unsafe { ChainedPics::new(PIC_1_OFFSET, PIC_2_OFFSET) }
}

/// Remaps the PICs to their vectors and unmasks only the kernel's lines. Interrupts stay
/// disabled; `crate::init` enables them last, after the interrupt table is loaded.
pub fn init() {
    let mut pics = pics();
    // SAFETY: the PICs are remapped to vectors the IDT handles; no one else programs them.
    unsafe {
        pics.initialize();
        let enabled = [Irq::Timer, Irq::Keyboard, Irq::Serial]
            .iter()
            .fold(0u8, |mask, &irq| mask | 1 << irq as u8);
        // Line 2 is where the second PIC cascades into the first; its own lines stay masked.
        pics.write_masks(!(enabled | 1 << 2), 0xff);
    }
}

/// Tells the PIC the handler of `irq` is done, so it may deliver the next one.
pub fn end_of_interrupt(irq: Irq) {
    // SAFETY: called once at the end of the handler of this very interrupt.
    unsafe { pics().notify_end_of_interrupt(irq.vector()) };
}
