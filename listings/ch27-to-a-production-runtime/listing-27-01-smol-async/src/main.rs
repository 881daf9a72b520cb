//! Listing 27-1: smol's `Async<T>` is chapter 25's pattern: try the
//! non-blocking call, and on `WouldBlock` wait for the reactor's readiness.

extern crate smol;

use smol::Async;
use smol::io::AsyncWriteExt;
use std::io::{self, ErrorKind, Read};
use std::net::{TcpListener, TcpStream};

// ANCHOR: read_some
/// Reads what the socket holds; while it holds nothing, waits for epoll
/// to report it readable. `first_would_block` runs once, at the first
/// `WouldBlock`.
async fn read_some(
    stream: &Async<TcpStream>,
    buffer: &mut [u8],
    mut first_would_block: impl FnMut(),
) -> io::Result<usize> {
    let mut waited = false;
    loop {
        // `Read` is implemented for `&TcpStream`: a plain, non-blocking read.
        match stream.get_ref().read(buffer) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !waited {
                    first_would_block();
                    waited = true;
                }
                // Registers this task's waker with the reactor, for the
                // socket's file descriptor, and is ready once epoll says so.
                stream.readable().await?;
            }
            result => return result,
        }
    }
}
// ANCHOR_END: read_some

// ANCHOR: exchange
/// A server and a client on loopback. The client writes only once the
/// server has met `WouldBlock`, so the server has to wait for readiness.
fn exchange() -> io::Result<Vec<String>> {
    smol::block_on(async {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0))?;
        let address = listener.get_ref().local_addr()?;
        let (server_waits, client_hears) = smol::channel::bounded(1);
        let server = async {
            let (stream, _) = listener.accept().await?;
            let mut log = Vec::new();
            let mut buffer = [0; 64];
            let n = read_some(&stream, &mut buffer, || {
                log.push("server: read says WouldBlock".to_string());
                server_waits.try_send(()).unwrap();
            })
            .await?;
            let text = String::from_utf8_lossy(&buffer[..n]);
            log.push(format!("server: readable, read {text:?}"));
            io::Result::Ok(log)
        };
        let client = async {
            let mut stream = Async::<TcpStream>::connect(address).await?;
            client_hears.recv().await.unwrap();
            stream.write_all(b"hello").await
        };
        let (log, sent) = smol::future::zip(server, client).await;
        sent?;
        log
    })
}

fn main() -> io::Result<()> {
    for line in exchange()? {
        println!("{line}");
    }
    Ok(())
}
// ANCHOR_END: exchange

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::Duration;
    use std::{panic, thread};

    /// Runs `exchange` on a thread of its own, so that a wake-up that never
    /// comes fails the test after ten seconds instead of hanging it. A
    /// panic on that thread is passed on, as itself.
    fn exchange_within_ten_seconds() -> io::Result<Vec<String>> {
        let (done, finished) = mpsc::channel();
        let runner = thread::spawn(move || {
            let _ = done.send(exchange());
        });
        match finished.recv_timeout(Duration::from_secs(10)) {
            Ok(log) => log,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the exchange still runs after 10 s: no wake-up came")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(runner.join().unwrap_err())
            }
        }
    }

    #[test]
    fn the_server_waits_for_readiness_then_reads() {
        let log = exchange_within_ten_seconds().unwrap();
        assert_eq!(
            log,
            [
                "server: read says WouldBlock",
                "server: readable, read \"hello\"",
            ]
        );
    }
}
