//! A blocking read holds its thread until data comes; the same read on a
//! non-blocking socket returns `WouldBlock` at once.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// A connected pair of TCP sockets on loopback, on a port the OS picks.
fn connected_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

// ANCHOR: main
fn main() -> io::Result<()> {
    let (mut client, mut server) = connected_pair()?;

    // A blocking read, on a thread of its own: nothing has been sent.
    let (done, done_rx) = mpsc::channel();
    let mut reader = server.try_clone()?;
    let blocked = thread::spawn(move || {
        let mut buf = [0; 16];
        let n = reader.read(&mut buf).unwrap();
        done.send(n).unwrap();
    });
    let wait = Duration::from_millis(100);
    if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(wait) {
        println!("blocking read: still in read after {wait:?}");
    }
    client.write_all(b"hello")?;
    let n = done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    println!("blocking read: returned {n} bytes once the peer wrote");
    blocked.join().unwrap();

    // The same socket, now non-blocking: no data means an error, at once.
    server.set_nonblocking(true)?;
    let mut buf = [0; 16];
    match server.read(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            println!("non-blocking read: {:?} ({e})", e.kind());
        }
        other => println!("non-blocking read: unexpected {other:?}"),
    }
    Ok(())
}
// ANCHOR_END: main
