//! Keyboard input as a stream: the PS/2 keyboard's interrupt pushes scancodes into a lock-free
//! queue, `ScancodeStream` hands them to a task, and `echo_keys` decodes them and echoes the text.
//! Bytes typed on the serial console (`cargo xtask kernel run`) take the same road.
//!
//! Credit: scancodes pushed by the interrupt into a lock-free queue and decoded by `pc-keyboard`
//! in a task follow Philipp Oppermann's "Writing an OS in Rust" post "Async/Await" (code
//! MIT/Apache-2.0). Ours: the merged serial road, the stalls the tests use, and the report of
//! drops (in `interrupt_queue`).

use crate::interrupt_queue::{Counted, InterruptQueue};
use crate::{print, println, qemu};
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_util::future;
use futures_util::stream::{self, Stream, StreamExt};
use pc_keyboard::{DecodedKey, HandleControl, PS2Keyboard, ScancodeSet1, layouts};
use x86_64::instructions::port::Port;

// ANCHOR: interrupt
static SCANCODES: InterruptQueue<u8> = InterruptQueue::new("keyboard", ("scancode", "scancodes"));

/// Called by the keyboard interrupt: one scancode is waiting in the controller's data port.
pub fn on_interrupt() {
    // SAFETY: port 0x60 is the PS/2 controller's data port; reading it takes the scancode.
    let scancode = unsafe { Port::<u8>::new(0x60).read() };
    SCANCODES.push(scancode);
}
// ANCHOR_END: interrupt

static SERIAL_BYTES: InterruptQueue<u8> = InterruptQueue::new("serial", ("byte", "bytes"));

/// Called by the serial interrupt for each byte typed on the serial console (or pasted into it).
pub fn push_serial_byte(byte: u8) {
    SERIAL_BYTES.push(byte);
}

// ANCHOR: stream
/// The scancodes of the PS/2 keyboard, as they arrive. Make only one.
pub struct ScancodeStream(());

impl ScancodeStream {
    /// Starts keeping scancodes, up to `capacity` of them until a task takes them.
    pub fn new(capacity: usize) -> Self {
        SCANCODES.init(capacity);
        ScancodeStream(())
    }
}

impl Stream for ScancodeStream {
    type Item = u8;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context) -> Poll<Option<u8>> {
        SCANCODES.poll_pop(cx).map(Some)
    }
}
// ANCHOR_END: stream

/// The bytes typed on the serial console.
struct SerialStream;

impl Stream for SerialStream {
    type Item = u8;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context) -> Poll<Option<u8>> {
        SERIAL_BYTES.poll_pop(cx).map(Some)
    }
}

/// How many scancodes the queue holds in normal use; a test asks for fewer.
pub const QUEUE_CAPACITY: usize = 128;

/// A key, whichever road it came by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Char(char),
    Backspace,
    Quit,
}

// ANCHOR: keys
/// The keys of the PS/2 keyboard (decoded with a US layout) and of the serial console, merged.
fn keys(scancodes: ScancodeStream) -> impl Stream<Item = Key> + Unpin {
    let mut keyboard = PS2Keyboard::new(
        ScancodeSet1::new(),
        layouts::Us104Key,
        HandleControl::Ignore,
    );
    let from_keyboard = scancodes.filter_map(move |scancode| {
        let key = match keyboard.add_byte(scancode) {
            Ok(Some(event)) => match keyboard.process_keyevent(event) {
                Some(DecodedKey::Unicode('\u{1b}')) => Some(Key::Quit),
                Some(DecodedKey::Unicode('\u{8}')) => Some(Key::Backspace),
                Some(DecodedKey::Unicode(c)) => Some(Key::Char(c)),
                Some(DecodedKey::RawKey(_)) | None => None,
            },
            Ok(None) | Err(_) => None,
        };
        future::ready(key)
    });
    let from_serial = SerialStream.filter_map(|byte| {
        future::ready(match byte {
            b'\r' | b'\n' => Some(Key::Char('\n')),
            0x08 | 0x7f => Some(Key::Backspace),
            0x04 => Some(Key::Quit), // Ctrl-D
            b' '..=b'~' => Some(Key::Char(byte as char)),
            _ => None,
        })
    });
    stream::select(from_keyboard, from_serial)
}
// ANCHOR_END: keys

// ANCHOR: echo
/// Which queue, if any, the echo task leaves undrained until it has overflowed (the host-side
/// tests use this to check that a full queue drops input without harm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stall {
    Nothing,
    Keyboard,
    Serial,
}

/// Echoes every key typed until Esc (or Ctrl-D on the serial console), then ends the QEMU run.
pub async fn echo_keys(scancodes: ScancodeStream, stall: Stall) {
    SERIAL_BYTES.init(QUEUE_CAPACITY);
    let stalled = match stall {
        Stall::Nothing => None,
        Stall::Keyboard => Some(&SCANCODES),
        Stall::Serial => Some(&SERIAL_BYTES),
    };
    if let Some(queue) = stalled {
        println!(
            "[{}] stalled: not reading input until the queue overflows",
            queue.name()
        );
        future::poll_fn(|cx| queue.poll_overflowed(cx)).await;
    }
    println!("[keyboard] ready: type, and the kernel echoes each key (Esc or Ctrl-D quits)");
    let mut keys = keys(scancodes);
    while let Some(key) = keys.next().await {
        match key {
            Key::Char(c) => print!("{c}"),
            Key::Backspace => print!("\u{8} \u{8}"),
            Key::Quit => break,
        }
    }
    println!(
        "\n[keyboard] bye: {} and {} dropped",
        Counted(SCANCODES.dropped(), ("scancode", "scancodes")),
        Counted(SERIAL_BYTES.dropped(), ("serial byte", "serial bytes"))
    );
    qemu::exit(qemu::ExitCode::Success);
}
// ANCHOR_END: echo
