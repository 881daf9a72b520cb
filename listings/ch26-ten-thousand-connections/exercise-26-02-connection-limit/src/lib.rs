//! Exercise 26-2: an echo server that serves at most a given number of
//! connections at once; the others wait in the listener's queue.

extern crate tokio;

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

const ECHO_BUFFER: usize = 1024;

// ANCHOR: solution
/// Serves at most `limit` connections at once. The accept loop takes a
/// permit before it accepts; a connection's task gives it back when the
/// connection ends. Meanwhile, new connections wait in the kernel's queue.
pub async fn serve_at_most(listener: TcpListener, limit: usize) {
    let permits = Arc::new(Semaphore::new(limit));
    loop {
        let permit = Arc::clone(&permits).acquire_owned().await;
        let permit = permit.expect("nobody closes the semaphore");
        match listener.accept().await {
            Ok((stream, _address)) => {
                tokio::spawn(async move {
                    echo(stream).await;
                    drop(permit);
                });
            }
            Err(error) => {
                eprintln!("accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
// ANCHOR_END: solution

/// Listing 26-2's `echo`, repeated so that this file stands alone.
async fn echo(mut stream: TcpStream) {
    let mut buffer = [0u8; ECHO_BUFFER];
    loop {
        let received = match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(received) => received,
        };
        if stream.write_all(&buffer[..received]).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Read, Write};
    use std::net::SocketAddr;

    fn start(limit: usize) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let listener = TcpListener::from_std(listener).unwrap();
                serve_at_most(listener, limit).await
            });
        });
        address
    }

    fn connect(address: SocketAddr) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }

    /// Sends `message` and reads the echo, waiting no longer than `patience`.
    fn round_trip(
        stream: &mut std::net::TcpStream,
        message: &[u8],
        patience: Duration,
    ) -> std::io::Result<()> {
        stream.set_read_timeout(Some(patience))?;
        stream.write_all(message)?;
        let mut echoed = vec![0; message.len()];
        stream.read_exact(&mut echoed)?;
        assert_eq!(echoed, message);
        Ok(())
    }

    #[test]
    fn the_connection_over_the_limit_waits_for_a_free_place() {
        let address = start(2);
        let long = Duration::from_secs(10);
        let mut first = connect(address);
        let mut second = connect(address);
        round_trip(&mut first, b"one", long).unwrap();
        round_trip(&mut second, b"two", long).unwrap();

        // The third connection is made (by the kernel), but not served.
        let mut third = connect(address);
        let unserved =
            round_trip(&mut third, b"three", Duration::from_millis(300));
        let error = unserved.expect_err("served beyond the limit");
        assert!(
            matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "not a timeout: {error}"
        );

        // Once the first one ends, the third one is served: what it sent
        // while it waited comes back, then the rest.
        drop(first);
        let mut echoed = [0; 5];
        third.set_read_timeout(Some(long)).unwrap();
        third.read_exact(&mut echoed).unwrap();
        assert_eq!(&echoed, b"three");
        round_trip(&mut third, b"again", long).unwrap();
        round_trip(&mut second, b"still", long).unwrap();
    }
}
