//! HTTP/1.1 with hyper: one request per connection, one deadline for reading the whole request
//! (headers and body; a client that sends a byte a second is cut off all the same), a body limit,
//! strict framing (hyper rejects a malformed or conflicting Content-Length; a repeated one is
//! refused here too), and a bound on connections open at once. What a request means is
//! `service`'s. SIGTERM, SIGINT and SIGHUP stop the server; `main` then ends every job.

use crate::service::{self, Request, Response, Service};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, HOST, ORIGIN};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// A request must arrive in full, headers and body, within this long after its connection.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request body read at all; the code-size limit gives the friendlier message.
const MAX_BODY: usize = 1 << 20;
/// Connections open at once; more are closed at once. Each costs a small task, not a thread,
/// and none stays longer than `REQUEST_DEADLINE` unless its request is being answered.
const MAX_CONNECTIONS: usize = 1024;

/// Serves until a signal asks it to stop. `longest_answer` bounds a whole exchange (a job's
/// wait for its turn, compiling, running, and writing the answer).
pub async fn serve(
    listener: std::net::TcpListener,
    service: Arc<Service>,
    longest_answer: Duration,
) -> Result<(), String> {
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot make the listener non-blocking: {e}"))?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut signals = Vec::new();
    for kind in [
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::hangup(),
    ] {
        signals.push(signal(kind).map_err(|e| format!("cannot handle signals: {e}"))?);
    }
    let [terminate, interrupt, hangup] = &mut signals[..] else {
        unreachable!("three signals")
    };
    println!("listening on http://127.0.0.1:{port}");
    let _ = std::io::stdout().flush();
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
                    continue; // dropping the stream closes it
                };
                let service = Arc::clone(&service);
                tokio::spawn(async move {
                    let deadline = Instant::now() + REQUEST_DEADLINE;
                    let answer = service_fn(move |request| {
                        handle(request, Arc::clone(&service), deadline)
                    });
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(REQUEST_DEADLINE)
                        .keep_alive(false)
                        .max_buf_size(64 * 1024)
                        .serve_connection(TokioIo::new(stream), answer);
                    let _ = tokio::time::timeout(REQUEST_DEADLINE + longest_answer, connection).await;
                    drop(permit);
                });
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => break,
        }
    }
    eprintln!("runner: stopping; ending every job");
    Ok(())
}

async fn handle(
    request: hyper::Request<Incoming>,
    service: Arc<Service>,
    deadline: Instant,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let line = format!(
        "{} {} from {}",
        request.method(),
        request.uri().path(),
        request
            .headers()
            .get(ORIGIN)
            .and_then(|o| o.to_str().ok())
            .unwrap_or("no origin")
    );
    let response = match read(request, deadline).await {
        Ok(request) => tokio::task::spawn_blocking(move || service.respond(&request))
            .await
            .unwrap_or_else(|_| service::refusal(500, "the runner failed to answer.")),
        Err(refusal) => refusal,
    };
    // Runs say how they went themselves; of the rest, only refusals are news.
    if response.status >= 400 {
        eprintln!(
            "runner: {line} -> {} ({:.2} s): {}",
            response.status,
            started.elapsed().as_secs_f64(),
            String::from_utf8_lossy(&response.body)
        );
    }
    let mut answer = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        answer = answer.header(*name, value);
    }
    let answer = answer
        .header("Cache-Control", "no-store")
        .body(Full::new(Bytes::from(response.body)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())));
    Ok(answer)
}

/// The whole request, read before `deadline`, or the refusal to send instead.
async fn read(request: hyper::Request<Incoming>, deadline: Instant) -> Result<Request, Response> {
    let headers = request.headers();
    let lengths: Vec<_> = headers.get_all(CONTENT_LENGTH).iter().collect();
    if lengths.len() > 1 {
        return Err(service::refusal(
            400,
            "the request has more than one Content-Length.",
        ));
    }
    let declared = lengths
        .first()
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.parse::<u64>().ok());
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut request_out = Request {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        host: text(HOST),
        origin: text(ORIGIN),
        private_network: headers.contains_key("access-control-request-private-network"),
        body: Vec::new(),
    };
    let body = request.into_body();
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        // Read (and drop) what the client is still sending, within the deadline, so that it
        // gets to read the answer rather than a reset connection.
        let _ =
            tokio::time::timeout_at(deadline, Limited::new(body, 16 * MAX_BODY).collect()).await;
        return Err(too_large(declared.unwrap_or_default()));
    }
    match tokio::time::timeout_at(deadline, Limited::new(body, MAX_BODY).collect()).await {
        Err(_) => Err(service::refusal(
            408,
            &format!(
                "the request did not arrive in full within {} s.",
                REQUEST_DEADLINE.as_secs()
            ),
        )),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(too_large(MAX_BODY as u64 + 1))
        }
        Ok(Err(error)) => Err(service::refusal(
            400,
            &format!("the request's body could not be read ({error})."),
        )),
        Ok(Ok(collected)) => {
            request_out.body = collected.to_bytes().to_vec();
            Ok(request_out)
        }
    }
}

fn too_large(length: u64) -> Response {
    service::refusal(
        413,
        &format!("the request is {length} bytes; the runner reads at most {MAX_BODY}."),
    )
}
