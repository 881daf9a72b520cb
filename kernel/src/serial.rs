//! The serial port COM1: where the kernel prints (`println!`) and, in `cargo xtask kernel run`,
//! where the keys typed in the terminal come from. Printing locks the port; the receive interrupt
//! and the panic path never take that lock.

use core::fmt::{self, Write};
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::spec::registers::IER;
use uart_16550::{Config, Uart16550};
use x86_64::instructions::interrupts;

const COM1: u16 = 0x3f8;

/// The port as `println!` uses it: one writer at a time, so lines do not mix.
static PORT: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

/// A handle of COM1 that shares nothing with `PORT`: a handle holds no state the hardware needs,
/// so the interrupt handler and the panic path each make their own instead of locking.
fn unlocked_handle() -> Uart16550<PioBackend> {
    // SAFETY: 0x3f8 is COM1 on every PC and QEMU; `init` has set it up (or nothing is printed).
    match unsafe { Uart16550::new_port(COM1) } {
        Ok(port) => port,
        Err(_) => unreachable!("0x3f8 is a valid base port"),
    }
}

/// Sets up COM1 and enables its "byte received" interrupt (IRQ 4).
pub fn init() {
    let mut port = unlocked_handle();
    let config = Config {
        interrupts: IER::DATA_READY,
        ..Config::default()
    };
    port.init(config).expect("COM1 is present");
    interrupts::without_interrupts(|| *PORT.lock() = Some(port));
}

struct Writer<'a>(&'a mut Uart16550<PioBackend>);

impl Write for Writer<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.send_bytes_exact(text.as_bytes());
        Ok(())
    }
}

// ANCHOR: print
/// Prints to COM1. Interrupts stay off while the port is locked, so that a thread switch never
/// finds the lock held by the thread it switched away from. No interrupt handler prints.
#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    interrupts::without_interrupts(|| {
        if let Some(port) = PORT.lock().as_mut() {
            Writer(port)
                .write_fmt(args)
                .expect("writing to COM1 cannot fail");
        }
    });
}

/// Prints a panic or fault report without the lock, which the failed code may hold (a stack
/// overflow inside a `println!` does). The machine stops after this message, so nothing else
/// writes to the port meanwhile; at worst the report lands in the middle of a line.
pub fn print_unlocked(args: fmt::Arguments) {
    interrupts::disable();
    let _ = Writer(&mut unlocked_handle()).write_fmt(args);
}
// ANCHOR_END: print

// ANCHOR: receive
/// How many bytes one interrupt takes at most: the size of the UART's receive FIFO.
const BYTES_PER_INTERRUPT: usize = 16;

/// Called from the COM1 interrupt: hands at most `BYTES_PER_INTERRUPT` received bytes to
/// `deliver`, without `PORT`'s lock (only this handler touches the receiving side). During a
/// paste the emulator refills the FIFO as fast as it is read, so the handler stops after one
/// FIFO's worth, and the timer and the tasks get their turn.
pub fn receive_bytes(mut deliver: impl FnMut(u8)) {
    let mut port = unlocked_handle();
    for _ in 0..BYTES_PER_INTERRUPT {
        match port.try_receive_byte() {
            Ok(byte) => deliver(byte),
            Err(_) => return, // the FIFO is empty
        }
    }
    if port.ready_to_receive().is_ok() {
        // Bytes are left. The PIC sees an edge only when the UART's interrupt line rises, and it
        // stays up while data waits: lower and raise it, so the next interrupt is not lost.
        port.disable_interrupts(IER::DATA_READY);
        port.enable_interrupts(IER::DATA_READY);
    }
}
// ANCHOR_END: receive

/// Prints to the serial port.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::serial::_print(format_args!($($arg)*)));
}

/// Prints to the serial port, with a newline.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::print!("{}\n", format_args!($($arg)*)));
}
