//! The programmable interval timer (PIT, channel 0 on IRQ 0): a periodic tick that counts time,
//! wakes whatever waits for the next tick, and (in `threads`) preempts the running thread. It
//! can also fire once, after a given delay, which is how the tests aim interrupts at races.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use core::task::{Context, Poll};
use futures_util::task::AtomicWaker;
use x86_64::instructions::interrupts;
use x86_64::instructions::port::Port;

/// The PIT counts down at this rate (Hz), whatever the rate of its interrupts.
pub const PIT_FREQUENCY: u32 = 1_193_182;

static TICKS: AtomicU64 = AtomicU64::new(0);
static TICK_HZ: AtomicU32 = AtomicU32::new(0);
static TICK_WAKER: AtomicWaker = AtomicWaker::new();

const CHANNEL_0: u16 = 0x40;
const COMMAND: u16 = 0x43;

fn program(mode: u8, count: u16) {
    interrupts::without_interrupts(|| {
        // SAFETY: ports 0x40 and 0x43 are the PIT's; only this module programs it.
        unsafe {
            // Channel 0, low byte then high byte, the given mode.
            Port::<u8>::new(COMMAND).write(0x30 | mode << 1);
            let mut data = Port::<u8>::new(CHANNEL_0);
            data.write(count as u8);
            data.write((count >> 8) as u8);
        }
    });
}

/// Makes the timer interrupt `hz` times a second (19 to about 1.19 million).
pub fn set_frequency(hz: u32) {
    let count = (PIT_FREQUENCY / hz).clamp(1, u16::MAX as u32) as u16;
    TICK_HZ.store(PIT_FREQUENCY / count as u32, Ordering::Relaxed);
    program(2, count); // mode 2: rate generator
}

/// Makes the timer interrupt once, `count` PIT periods (of about 0.84 µs) from now, and no more.
pub fn fire_once_after(count: u16) {
    TICK_HZ.store(0, Ordering::Relaxed);
    program(0, count.max(1)); // mode 0: interrupt on terminal count
}

/// The rate of the periodic tick, in Hz (0 when the timer is set to fire once).
pub fn frequency() -> u32 {
    TICK_HZ.load(Ordering::Relaxed)
}

/// Timer interrupts so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Acquire)
}

// ANCHOR: tick
/// Called from the timer interrupt: counts the tick and wakes the task waiting for it.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Release);
    TICK_WAKER.wake();
}
// ANCHOR_END: tick

/// A future that is ready once the tick count has passed `after`. Only one task waits for ticks
/// at a time (the sleep driver of `task::sleep`, or a test).
pub struct NextTick {
    after: u64,
}

/// Waits until the timer has ticked at least once after the count `after`.
pub fn tick_after(after: u64) -> NextTick {
    NextTick { after }
}

// ANCHOR: next_tick
impl Future for NextTick {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context) -> Poll<u64> {
        if ticks() > self.after {
            return Poll::Ready(ticks());
        }
        TICK_WAKER.register(cx.waker());
        // The tick may have come between the check above and the registration.
        match ticks() {
            now if now > self.after => Poll::Ready(now),
            _ => Poll::Pending,
        }
    }
}
// ANCHOR_END: next_tick

/// The CPU's time-stamp counter. Under QEMU's TCG (no KVM), `rdtsc` reads the host's own
/// counter: the figures are host time, emulation included, not the cycles of real hardware.
pub fn cycles() -> u64 {
    // SAFETY: reading the time-stamp counter has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}
