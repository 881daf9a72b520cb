//! Chapter 26's first echo server: blocking sockets from `std::net`, and a
//! thread for each connection.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

// ANCHOR: server
/// How many bytes a connection reads at a time. Every server of chapter 26
/// uses the same size.
pub const ECHO_BUFFER: usize = 1024;

/// Accepts connections forever, and gives each one a thread of its own.
pub fn serve_echo(listener: TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let thread = thread::Builder::new().spawn(|| echo(stream));
                if let Err(error) = thread {
                    // The closure, and the stream in it, are dropped:
                    // the client sees its connection closed.
                    eprintln!("no thread for a connection: {error}");
                }
            }
            Err(error) => accept_failed(&error),
        }
    }
}

/// Sends back whatever arrives, until the client closes the connection.
fn echo(mut stream: TcpStream) {
    let mut buffer = [0u8; ECHO_BUFFER]; // on this thread's stack
    loop {
        let received = match stream.read(&mut buffer) {
            Ok(0) => return, // the client has closed its end
            Ok(received) => received,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        if stream.write_all(&buffer[..received]).is_err() {
            return;
        }
    }
}
// ANCHOR_END: server

/// `accept` fails when the process is out of file descriptors, for one;
/// trying again at once would fail again, so the loop pauses first.
fn accept_failed(error: &io::Error) {
    eprintln!("accept failed: {error}");
    thread::sleep(Duration::from_millis(10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn start_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || serve_echo(listener));
        address
    }

    /// A client that gives up after ten seconds instead of hanging.
    fn connect(address: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect(address).unwrap();
        let limit = Some(Duration::from_secs(10));
        stream.set_read_timeout(limit).unwrap();
        stream.set_write_timeout(limit).unwrap();
        stream
    }

    fn round_trip(stream: &mut TcpStream, message: &[u8]) {
        stream.write_all(message).unwrap();
        let mut echoed = vec![0; message.len()];
        stream.read_exact(&mut echoed).unwrap();
        assert_eq!(echoed, message);
    }

    #[test]
    fn echoes_more_than_one_buffer_full() {
        let mut client = connect(start_server());
        let message: Vec<u8> =
            (0..3 * ECHO_BUFFER + 7).map(|i| (i % 251) as u8).collect();
        round_trip(&mut client, &message);
    }

    #[test]
    fn an_idle_connection_does_not_hold_up_the_next() {
        let address = start_server();
        let mut idle = connect(address);
        let mut busy = connect(address);
        round_trip(&mut busy, b"hello");
        round_trip(&mut idle, b"still here");
    }
}
