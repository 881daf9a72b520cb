//! Cancellation safety: in a `select` loop, a dropped `read_exact` loses the
//! bytes it had read, and a dropped `next()` on a channel loses nothing.
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

// ANCHOR: serve
/// Takes 4-byte frames from `bytes` and messages from `messages`, whichever
/// comes first, until one side closes, and notes each in `seen`.
async fn serve(
    mut bytes: impl AsyncRead + Unpin,
    mut messages: mpsc::UnboundedReceiver<String>,
    seen: &RefCell<Vec<String>>,
) {
    let mut frame = [0; 4];
    loop {
        // Each turn makes two new futures; the branch that loses is dropped.
        select_biased! {
            read = bytes.read_exact(&mut frame).fuse() => {
                if read.is_err() {
                    return; // the connection closed
                }
                let text = String::from_utf8_lossy(&frame);
                seen.borrow_mut().push(format!("frame {text:?}"));
            }
            message = messages.next() => {
                let Some(message) = message else { return };
                seen.borrow_mut().push(format!("message {message:?}"));
            }
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: play
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
// ANCHOR_END: play

// ANCHOR: main
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
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::Arrival::{Bytes, Message};
    use super::*;

    /// What `serve` got, without the lines saying what arrived.
    fn got(lines: Vec<String>) -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| l.starts_with("  got"))
            .collect()
    }

    #[test]
    fn a_message_in_the_middle_of_a_frame_costs_the_bytes_read_so_far() {
        const SENT: &str = "PINGPONG";
        for cut in 0..=SENT.len() {
            let lines = got(play(&[
                &[Bytes(&SENT[..cut])],
                &[Message("status?")],
                &[Bytes(&SENT[cut..])],
            ]));
            // The `read_exact` running when the message came had taken the
            // `cut % 4` bytes of its frame that had arrived. It was dropped,
            // and they were lost with it: what remains is cut into frames.
            let kept = format!("{}{}", &SENT[..cut - cut % 4], &SENT[cut..]);
            let expected: Vec<String> = kept
                .as_bytes()
                .chunks_exact(4)
                .map(|f| {
                    format!("  got frame {:?}", String::from_utf8_lossy(f))
                })
                .collect();
            let frames: Vec<String> = lines
                .iter()
                .filter(|l| l.contains("frame"))
                .cloned()
                .collect();
            assert_eq!(frames, expected, "cut after {cut} bytes");
            let message = "  got message \"status?\"".to_string();
            assert!(lines.contains(&message), "cut {cut}");
        }
    }

    #[test]
    fn a_next_that_loses_the_race_leaves_its_message_in_the_channel() {
        // In each moment after the first, a frame and a message arrive
        // together; `select_biased!` takes the frame first, so the `next()`
        // that was waiting since the moment before is dropped while a message
        // is there for it. Then a message alone, and a frame after it.
        let lines = got(play(&[
            &[Message("one")],
            &[Bytes("AAAA"), Message("two")],
            &[Bytes("BBBB"), Message("three")],
            &[Message("four")],
            &[Bytes("CCCC")],
        ]));
        let expected = [
            "message \"one\"",
            "frame \"AAAA\"",
            "message \"two\"",
            "frame \"BBBB\"",
            "message \"three\"",
            "message \"four\"",
            "frame \"CCCC\"",
        ];
        assert_eq!(lines, expected.map(|e| format!("  got {e}")));
    }

    #[test]
    fn a_message_in_the_same_moment_as_part_of_a_frame_costs_that_part() {
        let lines = got(play(&[
            &[Bytes("PI"), Message("m")],
            &[Bytes("NG")],
            &[Bytes("PONG")],
        ]));
        let expected = ["message \"m\"", "frame \"NGPO\""];
        assert_eq!(lines, expected.map(|e| format!("  got {e}")));
    }

    #[test]
    fn tokio_read_exact_loses_its_bytes_the_same_way() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let seen = runtime.block_on(async {
            let (mut writer, mut reader) = tokio::io::duplex(64);
            let (messages, mut inbox) = tokio::sync::mpsc::unbounded_channel();
            let (done_tx, mut done) = tokio::sync::mpsc::unbounded_channel();
            // Listing 10-5's loop, written with tokio's `read_exact` and
            // `select!`, polling the read first.
            let serve = tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut frame = [0; 4];
                loop {
                    tokio::select! {
                        biased;
                        read = reader.read_exact(&mut frame) => {
                            if read.is_err() {
                                return seen; // the connection closed
                            }
                            let text = String::from_utf8_lossy(&frame);
                            seen.push(format!("frame {text:?}"));
                        }
                        Some(message) = inbox.recv() => {
                            seen.push(format!("message {message:?}"));
                            done_tx.send(()).expect("the test is waiting");
                        }
                    }
                }
            });
            // Both arrive before `serve` first runs: on this one thread,
            // the spawned task runs only when this block waits.
            writer.write_all(b"PI").await.expect("room in the pipe");
            messages.send("m").expect("serve is alive");
            done.recv().await.expect("serve took the message");
            writer.write_all(b"NGPONG").await.expect("room in the pipe");
            drop(writer);
            serve.await.expect("serve did not panic")
        });
        assert_eq!(seen, ["message \"m\"", "frame \"NGPO\""]);
    }

    // ANCHOR: take_then_wait
    #[test]
    fn a_receive_that_waits_after_taking_loses_the_message_when_dropped() {
        let (tx, mut rx) = mpsc::unbounded();
        tx.unbounded_send("one").expect("the receiver is alive");
        let mut cx = Context::from_waker(Waker::noop());
        {
            // Takes the message, then waits once more before handing it on.
            let mut receive = pin!(async {
                let message = rx.next().await;
                futures::pending!();
                message
            });
            assert!(receive.as_mut().poll(&mut cx).is_pending());
        } // dropped here, holding "one"
        tx.unbounded_send("two").expect("the receiver is alive");
        assert_eq!(
            rx.try_recv().ok(),
            Some("two"),
            "\"one\" should have been lost with the future"
        );
    }
    // ANCHOR_END: take_then_wait
}
