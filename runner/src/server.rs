//! HTTP/1.1 with hyper: one request per connection, one deadline for reading the whole request
//! (headers and body; a client that sends a byte a second is cut off all the same) and a shorter
//! one for its headers, a body limit, framing as strict as hyper's (see `read`), and a bound on connections
//! open at once, derived from the descriptors the runner may open. When that bound is reached, a
//! new connection evicts the oldest one still sending its request, so clients that send slowly
//! cannot keep others out. What a request means is `service`'s. SIGTERM, SIGINT and SIGHUP stop
//! the server; `main` then ends every job.

use crate::child::Abandoned;
use crate::service::{self, Request, Response, Service};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, HOST, ORIGIN};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// A request must arrive in full, headers and body, within this long after its connection.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Its headers within this long.
const HEADER_DEADLINE: Duration = Duration::from_secs(3);
/// The largest request body read at all; the code-size limit gives the friendlier message.
const MAX_BODY: usize = 1 << 20;
/// Connections open at once, at most (fewer if descriptors are scarcer, see `connection_cap`).
/// Each costs a small task, not a thread, and none stays longer than `REQUEST_DEADLINE` unless
/// its request is being answered.
const MAX_CONNECTIONS: usize = 1024;
/// Descriptors kept for everything but connections: the runner's own, and each running job's
/// (pipes to its sandbox, control-group files, a pidfd, removing its folder).
const FDS_FOR_RUNNER: u64 = 64;
const FDS_PER_JOB: u64 = 32;

/// How many connections may be open at once when the runner may open `fd_limit` descriptors
/// and runs up to `jobs` jobs at once.
pub fn connection_cap(fd_limit: u64, jobs: usize) -> usize {
    let spare = fd_limit.saturating_sub(FDS_FOR_RUNNER + FDS_PER_JOB * jobs as u64);
    (spare as usize).clamp(8, MAX_CONNECTIONS)
}

/// The connections still sending their request, oldest first: those a new connection may evict.
#[derive(Default)]
struct Reading {
    next: u64,
    open: BTreeMap<u64, AbortHandle>,
}

type SharedReading = Arc<Mutex<Reading>>;

fn lock(reading: &SharedReading) -> std::sync::MutexGuard<'_, Reading> {
    reading.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes connection `id` off the list of those that may be evicted (its request is in, or it is
/// gone).
fn done_reading(reading: &SharedReading, id: u64) {
    lock(reading).open.remove(&id);
}

/// Sets the flag of an `Abandoned` when the future answering a request is dropped: hyper drops
/// it when the client goes away (or the connection's deadline passes), and the job it asked for
/// then stops waiting for its turn, or is stopped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Serves until a signal asks it to stop. `longest_answer` bounds a whole exchange (a job's
/// wait for its turn, compiling, running, and writing the answer).
pub async fn serve(
    listener: std::net::TcpListener,
    service: Arc<Service>,
    longest_answer: Duration,
    max_connections: usize,
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
    let open = Arc::new(Semaphore::new(max_connections));
    let reading = SharedReading::default();
    let mut last_complaint: Option<Instant> = None;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of descriptors, most likely: say so (not more than every 10 s)
                        // and wait a moment rather than spin.
                        if last_complaint.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                            eprintln!("runner: cannot accept a connection: {error}");
                            last_complaint = Some(Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let permit = match Arc::clone(&open).try_acquire_owned() {
                    Ok(permit) => permit,
                    // Full: the oldest connection still sending its request makes room; if
                    // every connection is being answered, this one is closed.
                    Err(_) => {
                        let Some((_, oldest)) = lock(&reading).open.pop_first() else {
                            continue;
                        };
                        oldest.abort();
                        // The place is free once that task is dropped (at once, unless it is
                        // running right now). Waiting for it here, before accepting more, keeps
                        // the descriptors in use within the bound.
                        let freed = Arc::clone(&open).acquire_owned();
                        match tokio::time::timeout(Duration::from_secs(1), freed).await {
                            Ok(Ok(permit)) => permit,
                            _ => continue,
                        }
                    }
                };
                let connection = Connection {
                    service: Arc::clone(&service),
                    reading: Arc::clone(&reading),
                    longest_answer,
                };
                // Registered under the lock, so that the task cannot finish reading (and take
                // itself off the list) before it is on it.
                let mut list = lock(&reading);
                let id = list.next;
                list.next += 1;
                let task = tokio::spawn(connection.serve(stream, permit, id));
                list.open.insert(id, task.abort_handle());
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => break,
        }
    }
    eprintln!("runner: stopping; ending every job");
    Ok(())
}

struct Connection {
    service: Arc<Service>,
    reading: SharedReading,
    longest_answer: Duration,
}

/// Takes a connection off the list of those still reading when its task ends, however it ends.
struct Forget(SharedReading, u64);

impl Drop for Forget {
    fn drop(&mut self) {
        done_reading(&self.0, self.1);
    }
}

impl Connection {
    async fn serve(self, stream: tokio::net::TcpStream, permit: OwnedSemaphorePermit, id: u64) {
        let _forget = Forget(Arc::clone(&self.reading), id);
        let _permit = permit;
        let deadline = Instant::now() + REQUEST_DEADLINE;
        let Connection {
            service, reading, ..
        } = self;
        let answer = service_fn(move |request| {
            handle(
                request,
                Arc::clone(&service),
                deadline,
                Arc::clone(&reading),
                id,
            )
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_DEADLINE)
            .keep_alive(false)
            .max_buf_size(64 * 1024)
            .serve_connection(TokioIo::new(stream), answer);
        let _ = tokio::time::timeout(REQUEST_DEADLINE + self.longest_answer, connection).await;
    }
}

async fn handle(
    request: hyper::Request<Incoming>,
    service: Arc<Service>,
    deadline: Instant,
    reading: SharedReading,
    id: u64,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let flag = Arc::new(AtomicBool::new(false));
    let _set_on_drop = SetOnDrop(Arc::clone(&flag));
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
        Ok(request) => {
            done_reading(&reading, id);
            let abandoned = Abandoned(flag);
            tokio::task::spawn_blocking(move || service.respond(&request, &abandoned))
                .await
                .unwrap_or_else(|_| service::refusal(500, "the runner failed to answer."))
        }
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

/// The whole request, read before `deadline`, or the refusal to send instead. (Any body type,
/// so that the tests can hand it bodies that fail or never end; hyper's is `Incoming`.)
async fn read<B>(request: hyper::Request<B>, deadline: Instant) -> Result<Request, Response>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let headers = request.headers();
    // hyper refuses a malformed or signed Content-Length and two that differ. Two equal ones it
    // reads as one, and beside `Transfer-Encoding: chunked` it drops the Content-Length and
    // reads the chunks (RFC 9112, 6.3, allows both); either way it hands over at most one
    // Content-Length, so neither can be seen here, and as every connection carries one request
    // and is then closed, no second request can hide in a body. A Host or an Origin it takes
    // as often as it comes: a repeat is refused here (RFC 9112, 3.2, for Host), so that the
    // header checked is the only one.
    for name in [HOST, ORIGIN] {
        if headers.get_all(&name).iter().count() > 1 {
            return Err(service::refusal(
                400,
                &format!("the request has more than one {name} header."),
            ));
        }
    }
    let lengths: Vec<_> = headers.get_all(CONTENT_LENGTH).iter().collect();
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
        // A request in absolute form (`POST http://host/path`) names its host in the target,
        // which then counts, not the Host header (RFC 9112, 3.2.2).
        host: match request.uri().authority() {
            Some(authority) => Some(authority.to_string()),
            None => text(HOST),
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::body::Frame;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A body sent in `chunks`, then ending (or, with `endless`, never ending).
    struct Chunks {
        chunks: VecDeque<Result<Bytes, std::io::Error>>,
        endless: bool,
    }

    impl Chunks {
        fn new(chunks: impl IntoIterator<Item = Result<Bytes, std::io::Error>>) -> Self {
            Chunks {
                chunks: chunks.into_iter().collect(),
                endless: false,
            }
        }
    }

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            let this = self.get_mut();
            match this.chunks.pop_front() {
                Some(chunk) => Poll::Ready(Some(chunk.map(Frame::data))),
                // The deadline in the test has passed already, so no waker is needed.
                None if this.endless => Poll::Pending,
                None => Poll::Ready(None),
            }
        }
    }

    fn full(body: &str) -> Chunks {
        Chunks::new([Ok(Bytes::from(body.to_string()))])
    }

    /// A POST to /evaluate.json from the book, as a browser sends it, with `extra` headers.
    fn post<B>(target: &str, extra: &[(&str, &str)], body: B) -> hyper::Request<B> {
        let mut request = hyper::Request::post(target)
            .header(HOST, "127.0.0.1:3001")
            .header(ORIGIN, "http://127.0.0.1:3000");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request.body(body).unwrap()
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    async fn refusal_of<B>(request: hyper::Request<B>, deadline: Instant) -> (u16, String)
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match read(request, deadline).await {
            Ok(got) => panic!("accepted: {} {}", got.method, got.path),
            Err(refusal) => {
                let body: serde_json::Value = serde_json::from_slice(&refusal.body).unwrap();
                (refusal.status, body["result"].as_str().unwrap().to_string())
            }
        }
    }

    #[tokio::test]
    async fn a_whole_request_is_handed_over() {
        let body = r#"{"code": "fn main() {}"}"#;
        let request = post(
            "/evaluate.json?ignored=1",
            &[("Access-Control-Request-Private-Network", "true")],
            Chunks::new([&body[..5], &body[5..]].map(|part| Ok(Bytes::from(part.to_string())))),
        );
        let got = read(request, later()).await.ok().expect("refused");
        assert_eq!(
            (got.method.as_str(), got.path.as_str()),
            ("POST", "/evaluate.json")
        );
        assert_eq!(got.host.as_deref(), Some("127.0.0.1:3001"));
        assert_eq!(got.origin.as_deref(), Some("http://127.0.0.1:3000"));
        assert!(got.private_network);
        assert_eq!(got.body, body.as_bytes());
        // Without an Origin (GET / from curl) and without a body.
        let request = hyper::Request::get("/")
            .header(HOST, "localhost:3001")
            .body(full(""))
            .unwrap();
        let got = read(request, later()).await.ok().expect("refused");
        assert_eq!(
            (got.origin, got.private_network, got.body.len()),
            (None, false, 0)
        );
    }

    #[tokio::test]
    async fn a_target_in_absolute_form_is_the_host() {
        let request = post("http://evil.example:80/evaluate.json", &[], full("{}"));
        let got = read(request, later()).await.ok().expect("refused");
        assert_eq!(got.host.as_deref(), Some("evil.example:80"));
        assert_eq!(got.path, "/evaluate.json");
    }

    #[tokio::test]
    async fn a_repeated_host_or_origin_is_refused() {
        for (name, second) in [(HOST, "evil.example"), (ORIGIN, "http://evil.example")] {
            let mut request = post("/evaluate.json", &[], full("{}"));
            request.headers_mut().append(&name, second.parse().unwrap());
            let (status, why) = refusal_of(request, later()).await;
            assert_eq!(status, 400);
            assert_eq!(
                why,
                format!("local runner: the request has more than one {name} header.")
            );
        }
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        // Declared too long: refused for what it declares, whatever it sends.
        let declared = (MAX_BODY + 1).to_string();
        let request = post(
            "/evaluate.json",
            &[("Content-Length", declared.as_str())],
            full("{}"),
        );
        let (status, why) = refusal_of(request, later()).await;
        assert_eq!(status, 413);
        assert_eq!(
            why,
            format!(
                "local runner: the request is {declared} bytes; the runner reads at most {MAX_BODY}."
            )
        );
        // Undeclared (chunked) and too long: refused once the limit is passed.
        let chunk = Bytes::from(vec![b' '; 64 * 1024]);
        let chunks = (0..MAX_BODY / chunk.len() + 1).map(|_| Ok(chunk.clone()));
        let (status, why) =
            refusal_of(post("/evaluate.json", &[], Chunks::new(chunks)), later()).await;
        assert_eq!(status, 413);
        assert!(
            why.contains(&format!("the runner reads at most {MAX_BODY}")),
            "{why}"
        );
        // Exactly the limit is read.
        let chunks = (0..MAX_BODY / chunk.len()).map(|_| Ok(chunk.clone()));
        let got = read(post("/evaluate.json", &[], Chunks::new(chunks)), later())
            .await
            .ok()
            .expect("refused");
        assert_eq!(got.body.len(), MAX_BODY);
    }

    #[tokio::test]
    async fn a_body_that_breaks_off_is_refused() {
        let broken = Chunks::new([
            Ok(Bytes::from_static(b"{\"code\"")),
            Err(std::io::Error::other("connection reset")),
        ]);
        let (status, why) = refusal_of(post("/evaluate.json", &[], broken), later()).await;
        assert_eq!(status, 400);
        assert_eq!(
            why,
            "local runner: the request's body could not be read (connection reset)."
        );
    }

    #[tokio::test]
    async fn a_body_not_in_by_the_deadline_is_refused() {
        let mut endless = Chunks::new([Ok(Bytes::from_static(b"{"))]);
        endless.endless = true;
        // The deadline has passed already; had `read` no deadline, it would wait for ever, so
        // the test gives up after 30 s.
        let reading = refusal_of(post("/evaluate.json", &[], endless), Instant::now());
        let (status, why) = tokio::time::timeout(Duration::from_secs(30), reading)
            .await
            .expect("the body was awaited past its deadline");
        assert_eq!(status, 408);
        assert_eq!(
            why,
            format!(
                "local runner: the request did not arrive in full within {} s.",
                REQUEST_DEADLINE.as_secs()
            )
        );
    }
}
