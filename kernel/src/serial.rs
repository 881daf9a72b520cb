//! The serial port COM1: where the kernel prints (`println!`) and, in `cargo xtask kernel run`,
//! where the keys typed in the terminal come from.

use core::fmt::{self, Write};
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::spec::registers::IER;
use uart_16550::{Config, Uart16550};
use x86_64::instructions::interrupts;

const COM1: u16 = 0x3f8;

static PORT: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

/// Sets up COM1 and enables its "byte received" interrupt (IRQ 4).
pub fn init() {
    // SAFETY: 0x3f8 is COM1 on every PC and QEMU; only this module touches it.
    let mut port = unsafe { Uart16550::new_port(COM1) }.expect("COM1 is a valid port");
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

/// Prints to COM1. Interrupts stay off while the port is locked, so that an interrupt handler
/// that prints (or a thread switch) never finds the lock held by the code it interrupted.
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

/// Prints a panic message even if the panic struck while the port was locked.
pub fn print_panic(args: fmt::Arguments) {
    if PORT.is_locked() {
        // SAFETY: interrupts are off and the holder will never run again (the machine stops
        // after this message), so nothing else uses the port.
        unsafe { PORT.force_unlock() };
    }
    _print(args);
}

/// Called from the COM1 interrupt: hands every byte that arrived to `deliver`.
pub fn receive_bytes(mut deliver: impl FnMut(u8)) {
    if let Some(port) = PORT.lock().as_mut() {
        while let Ok(byte) = port.try_receive_byte() {
            deliver(byte);
        }
    }
}

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
