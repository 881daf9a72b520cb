//! Exercise 10-4: Listing 10-5's loop, fixed by keeping one read alive across
//! the turns of the loop until its frame is complete.
extern crate futures;

use futures::channel::mpsc;
use futures::io::{AsyncRead, AsyncReadExt};
use futures::stream::{StreamExt, TryStreamExt};
use futures::{FutureExt, select_biased};
use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};

// ANCHOR: solution
/// Reads one frame. It owns the reader, and gives it back with the frame, so
/// that the loop can start the next read with it.
async fn read_frame<R: AsyncRead + Unpin>(
    mut bytes: R,
) -> (R, io::Result<[u8; 4]>) {
    let mut frame = [0; 4];
    let read = bytes.read_exact(&mut frame).await;
    (bytes, read.map(|()| frame))
}

async fn serve(
    bytes: impl AsyncRead + Unpin,
    mut messages: mpsc::UnboundedReceiver<String>,
    seen: &RefCell<Vec<String>>,
) {
    // Made once, outside the loop: a turn that a message wins leaves it
    // where it is, with whatever part of its frame it has read.
    let mut read = pin!(read_frame(bytes).fuse());
    loop {
        select_biased! {
            (bytes, frame) = read => {
                let Ok(frame) = frame else { return };
                let text = String::from_utf8_lossy(&frame);
                seen.borrow_mut().push(format!("frame {text:?}"));
                read.set(read_frame(bytes).fuse()); // only now, the next frame
            }
            message = messages.next() => {
                let Some(message) = message else { return };
                seen.borrow_mut().push(format!("message {message:?}"));
            }
        }
    }
}
// ANCHOR_END: solution

/// Something that arrives: bytes on the connection, or a message.
#[derive(Clone, Copy)]
pub enum Arrival {
    Bytes(&'static str),
    Message(&'static str),
}

/// A waker that only notes that it was woken.
#[derive(Default)]
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Plays the executor, by hand: polls `serve` once, then for each moment
/// sends what arrives in it and, like an executor, polls `serve` again for as
/// long as it was woken. Returns what arrived and what `serve` saw, line by
/// line.
pub fn play(moments: &[&[Arrival]]) -> Vec<String> {
    let (bytes_tx, bytes_rx) = mpsc::unbounded::<Vec<u8>>();
    let bytes = bytes_rx.map(Ok::<_, io::Error>).into_async_read();
    let (messages_tx, messages_rx) = mpsc::unbounded();
    let seen = RefCell::new(Vec::new());
    let mut task = pin!(serve(bytes, messages_rx, &seen));
    let woken = Arc::new(Woken::default());
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let mut lines = Vec::new();
    assert!(
        task.as_mut().poll(&mut cx).is_pending(),
        "nothing arrived yet"
    );
    for moment in moments {
        let mut arrived = Vec::new();
        for arrival in moment.iter() {
            let sent = match *arrival {
                Arrival::Bytes(b) => bytes_tx.unbounded_send(b.into()).is_ok(),
                Arrival::Message(m) => {
                    messages_tx.unbounded_send(m.into()).is_ok()
                }
            };
            assert!(sent, "serve stopped listening");
            arrived.push(match *arrival {
                Arrival::Bytes(b) => format!("bytes {b:?}"),
                Arrival::Message(m) => format!("message {m:?}"),
            });
        }
        lines.push(format!("arrive: {}", arrived.join(", ")));
        let mut polls = 0;
        while woken.0.swap(false, Ordering::SeqCst) {
            polls += 1;
            assert!(polls <= 100, "serve woke itself 100 times in a row");
            assert!(task.as_mut().poll(&mut cx).is_pending(), "serve returned");
        }
        lines.extend(seen.borrow_mut().drain(..).map(|e| format!("  got {e}")));
    }
    lines
}

fn main() {
    use Arrival::{Bytes, Message};
    let lines = play(&[
        &[Bytes("PI")],
        &[Message("status?")],
        &[Bytes("NG"), Bytes("PONG"), Message("quit")],
    ]);
    for line in lines {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::Arrival::{Bytes, Message};
    use super::*;

    /// Plays `moments` and returns what `serve` got, in order.
    fn got(moments: &[&[Arrival]]) -> Vec<String> {
        play(moments)
            .into_iter()
            .filter_map(|l| l.strip_prefix("  got ").map(String::from))
            .collect()
    }

    #[test]
    fn a_message_in_the_middle_of_a_frame_costs_nothing() {
        const SENT: &str = "PINGPONG";
        for cut in 0..=SENT.len() {
            let got = got(&[
                &[Bytes(&SENT[..cut])],
                &[Message("status?")],
                &[Bytes(&SENT[cut..])],
            ]);
            let frames: Vec<&String> =
                got.iter().filter(|l| l.starts_with("frame")).collect();
            assert_eq!(
                frames,
                ["frame \"PING\"", "frame \"PONG\""],
                "cut {cut}"
            );
            let message = "message \"status?\"".to_string();
            assert!(got.contains(&message), "cut {cut}");
        }
    }

    #[test]
    fn a_message_in_the_same_moment_as_part_of_a_frame_costs_nothing() {
        // The read takes `PI` and the message is there in the same poll:
        // the read is dropped right after it took the bytes.
        let got = got(&[
            &[Bytes("PI"), Message("m")],
            &[Bytes("NG")],
            &[Bytes("PONG")],
        ]);
        assert_eq!(got, ["message \"m\"", "frame \"PING\"", "frame \"PONG\""]);
    }

    #[test]
    fn a_frame_in_many_pieces_with_a_message_between_each() {
        let got = got(&[
            &[Bytes("P")],
            &[Message("1")],
            &[Bytes("I")],
            &[Message("2")],
            &[Bytes("N")],
            &[Message("3")],
            &[Bytes("G")],
        ]);
        let expected = [
            "message \"1\"",
            "message \"2\"",
            "message \"3\"",
            "frame \"PING\"",
        ];
        assert_eq!(got, expected);
    }
}
