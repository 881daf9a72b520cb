// Exercise 10-4: Listing 10-5's loop, fixed by keeping one read alive across
// the turns of the loop until its frame is complete.
extern crate futures;

use futures::channel::mpsc;
use futures::io::{AsyncRead, AsyncReadExt};
use futures::stream::{StreamExt, TryStreamExt};
use futures::{FutureExt, select_biased};
use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Waker};

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

/// Plays the executor, by hand: polls `serve` once, then for each moment
/// sends what arrives in it and polls once more. Returns what arrived and
/// what `serve` saw, line by line.
pub fn play(moments: &[&[Arrival]]) -> Vec<String> {
    let (bytes_tx, bytes_rx) = mpsc::unbounded::<Vec<u8>>();
    let bytes = bytes_rx.map(Ok::<_, io::Error>).into_async_read();
    let (messages_tx, messages_rx) = mpsc::unbounded();
    let seen = RefCell::new(Vec::new());
    let mut task = pin!(serve(bytes, messages_rx, &seen));
    let mut cx = Context::from_waker(Waker::noop());
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
        assert!(task.as_mut().poll(&mut cx).is_pending(), "serve returned");
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

    #[test]
    fn a_message_in_the_middle_of_a_frame_costs_nothing() {
        const SENT: &str = "PINGPONG";
        for cut in 0..=SENT.len() {
            let lines = play(&[
                &[Bytes(&SENT[..cut])],
                &[Message("status?")],
                &[Bytes(&SENT[cut..])],
            ]);
            let got: Vec<&str> = lines
                .iter()
                .filter_map(|l| l.strip_prefix("  got "))
                .filter(|l| l.starts_with("frame"))
                .collect();
            assert_eq!(got, ["frame \"PING\"", "frame \"PONG\""], "cut {cut}");
            assert!(lines.contains(&"  got message \"status?\"".into()));
        }
    }

    #[test]
    fn a_frame_in_many_pieces_with_a_message_between_each() {
        let lines = play(&[
            &[Bytes("P")],
            &[Message("1")],
            &[Bytes("I")],
            &[Message("2")],
            &[Bytes("N")],
            &[Message("3")],
            &[Bytes("G")],
        ]);
        let got: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("  got "))
            .collect();
        let expected = [
            "message \"1\"",
            "message \"2\"",
            "message \"3\"",
            "frame \"PING\"",
        ];
        assert_eq!(got, expected);
    }
}
