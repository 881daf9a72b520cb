//! Exercise 26-1: an echo task that holds no buffer while it waits.

extern crate tokio;

use std::io::ErrorKind;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const ECHO_BUFFER: usize = 1024;

// ANCHOR: solution
/// Echoes like Listing 26-2's `echo`, but the buffer lives only between a
/// readiness event and the write that follows it, with no `.await` in
/// between: a task that waits holds no buffer.
pub async fn echo(mut stream: TcpStream) {
    loop {
        if stream.readable().await.is_err() {
            return;
        }
        let unsent = {
            let mut buffer = [0u8; ECHO_BUFFER]; // not in the future
            let received = match stream.try_read(&mut buffer) {
                Ok(0) => return,
                Ok(received) => received,
                // Readiness can be stale: wait for the next event.
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(_) => return,
            };
            match stream.try_write(&buffer[..received]) {
                Ok(sent) => buffer[sent..received].to_vec(),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    buffer[..received].to_vec()
                }
                Err(_) => return,
            }
        };
        // Only what the socket could not take at once waits, on the heap.
        if !unsent.is_empty() && stream.write_all(&unsent).await.is_err() {
            return;
        }
    }
}
// ANCHOR_END: solution

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// A runtime on a thread of its own, serving one connection with
    /// `echo`, and the client's end of that connection.
    fn served_connection() -> std::net::TcpStream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client =
            std::net::TcpStream::connect(listener.local_addr().unwrap())
                .unwrap();
        let (server_end, _) = listener.accept().unwrap();
        server_end.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                echo(TcpStream::from_std(server_end).unwrap()).await
            });
        });
        let limit = Some(Duration::from_secs(10));
        client.set_read_timeout(limit).unwrap();
        client.set_write_timeout(limit).unwrap();
        client
    }

    #[test]
    fn the_waiting_task_is_smaller_than_its_buffer() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener =
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let stream = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let task = echo(stream);
            let size = size_of_val(&task);
            assert!(size < ECHO_BUFFER / 4, "the future takes {size} bytes");
        });
    }

    #[test]
    fn echoes_a_megabyte_sent_while_it_is_read_back() {
        // More than the sockets' buffers hold, so some writes would block.
        let message: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        let mut client = served_connection();
        let mut writer = client.try_clone().unwrap();
        let sent = message.clone();
        let sender = std::thread::spawn(move || writer.write_all(&sent));
        let mut echoed = vec![0; message.len()];
        client.read_exact(&mut echoed).unwrap();
        sender.join().unwrap().unwrap();
        assert!(echoed == message, "the echo differs from the message");
    }
}
