//! Chapter 26's tokio echo server: a task for each connection, on tokio's
//! current-thread runtime or on its multi-threaded one.

extern crate tokio;

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Builder;

/// How many bytes a connection reads at a time. Every server of chapter 26
/// uses the same size.
pub const ECHO_BUFFER: usize = 1024;

// ANCHOR: server
/// Accepts connections forever, and spawns a task for each one.
async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _address)) => {
                tokio::spawn(echo(stream));
            }
            Err(error) => {
                // Out of file descriptors, say: pause, then try again.
                eprintln!("accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Sends back whatever arrives, until the client closes the connection.
async fn echo(mut stream: TcpStream) {
    let mut buffer = [0u8; ECHO_BUFFER]; // in the task's future
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
// ANCHOR_END: server

// ANCHOR: runtimes
/// Serves forever on a runtime that runs every task on this thread.
pub fn serve_echo_current_thread(listener: std::net::TcpListener) {
    serve_on(Builder::new_current_thread(), listener);
}

/// Serves forever on a runtime with `multi_thread_workers()` worker threads.
pub fn serve_echo_multi_thread(listener: std::net::TcpListener) {
    let mut runtime = Builder::new_multi_thread();
    runtime.worker_threads(multi_thread_workers());
    serve_on(runtime, listener);
}

/// A worker thread per core. Set here rather than left to tokio, which
/// would also obey the environment variable `TOKIO_WORKER_THREADS`.
pub fn multi_thread_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get())
}

fn serve_on(mut runtime: Builder, listener: std::net::TcpListener) {
    let runtime = runtime.enable_all().build().expect("cannot start tokio");
    listener
        .set_nonblocking(true)
        .expect("cannot make the listener non-blocking");
    runtime.block_on(async {
        let listener = TcpListener::from_std(listener)
            .expect("cannot register the listener with tokio");
        serve(listener).await;
    });
}
// ANCHOR_END: runtimes

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::SocketAddr;

    fn start(serve_echo: fn(std::net::TcpListener)) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || serve_echo(listener));
        address
    }

    /// Two clients, the first one idle while the second is served; each
    /// sends more than a buffer full. Sockets time out instead of hanging.
    fn check_echoes(address: SocketAddr) {
        let connect = || {
            let stream = std::net::TcpStream::connect(address).unwrap();
            let limit = Some(Duration::from_secs(10));
            stream.set_read_timeout(limit).unwrap();
            stream.set_write_timeout(limit).unwrap();
            stream
        };
        let message: Vec<u8> =
            (0..3 * ECHO_BUFFER + 7).map(|i| (i % 251) as u8).collect();
        let (mut idle, mut busy) = (connect(), connect());
        for client in [&mut busy, &mut idle] {
            client.write_all(&message).unwrap();
            let mut echoed = vec![0; message.len()];
            client.read_exact(&mut echoed).unwrap();
            assert_eq!(echoed, message);
        }
    }

    #[test]
    fn the_current_thread_runtime_echoes() {
        check_echoes(start(serve_echo_current_thread));
    }

    #[test]
    fn the_multi_thread_runtime_echoes() {
        check_echoes(start(serve_echo_multi_thread));
    }
}
