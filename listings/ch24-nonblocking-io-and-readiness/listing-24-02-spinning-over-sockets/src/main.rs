//! Waiting for whichever of three non-blocking sockets gets data first, by
//! trying each in turn: busy-waiting, one failed system call after another.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Three connected pairs on loopback: (the sockets we read, the peers).
fn three_connections() -> io::Result<(Vec<TcpStream>, Vec<TcpStream>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let (mut ours, mut peers) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        peers.push(TcpStream::connect(listener.local_addr()?)?);
        ours.push(listener.accept()?.0);
    }
    Ok((ours, peers))
}

// ANCHOR: main
fn main() -> io::Result<()> {
    let (mut sockets, mut peers) = three_connections()?;
    for socket in &sockets {
        socket.set_nonblocking(true)?;
    }
    // In 50 ms, the peer of socket 1 sends something.
    let mut peer = peers.remove(1);
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        peer.write_all(b"ping").unwrap();
    });

    // Try every socket, again and again, until one has data.
    let mut found_nothing: u64 = 0;
    let mut buf = [0; 16];
    let (index, n) = 'spin: loop {
        for (index, socket) in sockets.iter_mut().enumerate() {
            match socket.read(&mut buf) {
                Ok(n) => break 'spin (index, n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    found_nothing += 1;
                }
                Err(e) => return Err(e),
            }
        }
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    println!("socket {index} had data: {text:?}");
    if found_nothing > 1000 {
        println!("reads that found nothing before it came: over 1000");
    } else {
        println!("reads that found nothing before it came: {found_nothing}");
    }
    sender.join().unwrap();
    Ok(())
}
// ANCHOR_END: main
