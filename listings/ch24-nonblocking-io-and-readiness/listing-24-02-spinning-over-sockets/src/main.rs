//! Waiting for whichever of three non-blocking sockets gets data first, by
//! trying each in turn: busy-waiting, one failed system call after another.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
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
    // Reads that found nothing, counted where the sender can see them.
    static FOUND_NOTHING: AtomicU64 = AtomicU64::new(0);
    // In 50 ms, the peer of socket 1 sends something. (It also waits for
    // the thousandth empty read, so that the output holds under load.)
    let mut peer = peers.remove(1);
    let mut sender = Some(thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        while FOUND_NOTHING.load(Relaxed) <= 1000 {
            thread::sleep(Duration::from_millis(1));
        }
        peer.write_all(b"ping").unwrap();
    }));

    // Try every socket, again and again, until one has data.
    let mut buf = [0; 16];
    let (index, n) = 'spin: loop {
        for (index, socket) in sockets.iter_mut().enumerate() {
            match socket.read(&mut buf) {
                Ok(n) => break 'spin (index, n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    FOUND_NOTHING.fetch_add(1, Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        // A sender that panicked would leave this loop spinning forever.
        if let Some(done) = sender.take_if(|s| s.is_finished()) {
            done.join().expect("the sender panicked");
        }
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    println!("socket {index} had data: {text:?}");
    let found_nothing = FOUND_NOTHING.load(Relaxed);
    if found_nothing > 1000 {
        println!("reads that found nothing before it came: over 1000");
    } else {
        println!("reads that found nothing before it came: {found_nothing}");
    }
    if let Some(sender) = sender {
        sender.join().expect("the sender panicked");
    }
    Ok(())
}
// ANCHOR_END: main
