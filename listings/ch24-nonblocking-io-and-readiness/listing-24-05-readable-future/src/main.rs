//! An async read over one socket, and a minimal loop that sleeps in
//! `epoll_wait` between polls: what a future must do after `WouldBlock`, and
//! how readiness is lost under edge triggering when it does not.

use std::future::{Future, poll_fn};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// The epoll declarations and the `Epoll` type of Listing 24-3, repeated so
// that this file stands alone.
// epoll is Linux's own; these declarations follow <sys/epoll.h>.
#[cfg(not(target_os = "linux"))]
compile_error!("this listing uses epoll, which only Linux has");

/// `struct epoll_event`: what happened (`events`) and the 64 bits the
/// program asked to get back with it (`data`). On x86, 32-bit and 64-bit,
/// the C header declares it `__attribute__((packed))`: `data` starts at
/// byte 4, and the kernel writes 12-byte entries. (32-bit x86 aligns a
/// `u64` to 4 bytes anyway; x86_64 packs the struct to match it.) On the
/// other common architectures (aarch64, 32-bit ARM, RISC-V), `data` starts
/// at byte 8 and each entry is 16 bytes.
#[cfg_attr(any(target_arch = "x86", target_arch = "x86_64"), repr(C, packed))]
#[cfg_attr(not(any(target_arch = "x86", target_arch = "x86_64")), repr(C))]
#[derive(Clone, Copy, Default)]
pub struct EpollEvent {
    events: u32,
    data: u64,
}

/// Readable: there is data to read, or the peer has closed its side.
pub const EPOLLIN: u32 = 0x001;
/// Edge-triggered: report a change once, not a state for as long as it lasts.
pub const EPOLLET: u32 = 1 << 31;
const EPOLL_CLOEXEC: i32 = 0o2_000_000;
const EPOLL_CTL_ADD: i32 = 1;

unsafe extern "C" {
    fn epoll_create1(flags: i32) -> i32;
    fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: *mut EpollEvent) -> i32;
    fn epoll_wait(
        epfd: i32,
        events: *mut EpollEvent,
        max_events: i32,
        timeout_ms: i32,
    ) -> i32;
}

/// An epoll instance: a set of file descriptors the kernel watches for us.
pub struct Epoll {
    /// Closed by `OwnedFd`'s `Drop`, which calls `close`.
    fd: OwnedFd,
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes flags only, and returns a new file
        // descriptor or -1.
        let fd = unsafe { epoll_create1(EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is open, and nothing else owns it.
        Ok(Epoll {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watch `source` for `interest` (`EPOLLIN`, maybe `| EPOLLET`);
    /// `wait` reports it with `token`.
    pub fn add(
        &self,
        source: &impl AsFd,
        interest: u32,
        token: u64,
    ) -> io::Result<()> {
        let mut event = EpollEvent {
            events: interest,
            data: token,
        };
        let fd = source.as_fd().as_raw_fd();
        // SAFETY: both descriptors are open (they are borrowed), and the
        // kernel only reads `event` during the call.
        let status = unsafe {
            epoll_ctl(self.fd.as_raw_fd(), EPOLL_CTL_ADD, fd, &mut event)
        };
        if status < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sleeps until something watched is ready, or `timeout` passes
    /// (`None`: no limit). Returns the events, at most `events.len()`.
    pub fn wait<'a>(
        &self,
        events: &'a mut [EpollEvent],
        timeout: Option<Duration>,
    ) -> io::Result<&'a [EpollEvent]> {
        // Whole milliseconds, rounded up: a 0.5 ms wait must not become
        // 0 ms, which would return at once and make the caller spin.
        let timeout_ms = match timeout {
            None => -1,
            Some(t) => {
                t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32
            }
        };
        let max = events.len().min(i32::MAX as usize) as i32;
        loop {
            // SAFETY: the kernel writes at most `max` entries into `events`,
            // whose layout matches its own.
            let n = unsafe {
                epoll_wait(
                    self.fd.as_raw_fd(),
                    events.as_mut_ptr(),
                    max,
                    timeout_ms,
                )
            };
            if n >= 0 {
                return Ok(&events[..n as usize]);
            }
            let error = io::Error::last_os_error();
            // A signal handler ran while we slept: wait again. (Simple, but
            // it restarts the timeout; good enough here.)
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

impl EpollEvent {
    pub fn token(&self) -> u64 {
        self.data // a copy: a packed field may not be borrowed
    }

    pub fn is_readable(&self) -> bool {
        self.events & EPOLLIN != 0
    }
}

// ANCHOR: readiness
/// What the loop knows about its one socket, shared with the futures that
/// read it. (Atomics and a mutex, so that a test on another thread may look.)
#[derive(Default)]
pub struct Readiness {
    /// An event has come since `Readable` last took it.
    ready: AtomicBool,
    /// The waker of the task waiting for the socket, if one is.
    waker: Mutex<Option<Waker>>,
    /// How many events the loop has handed over.
    events: AtomicUsize,
}

impl Readiness {
    /// A future calls this before it returns `Pending`.
    fn register(&self, waker: &Waker) {
        *self.waker.lock().unwrap() = Some(waker.clone());
    }

    /// The loop calls this for each event.
    fn deliver(&self) {
        self.events.fetch_add(1, SeqCst);
        self.ready.store(true, SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}
// ANCHOR_END: readiness

// ANCHOR: block_on
/// A waker that raises a flag: "poll the task again".
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

/// Runs `future` to the end on this thread. Polls it only after its waker
/// was called; in between, sleeps in `epoll_wait` and hands every event
/// to `readiness`.
pub fn block_on<F: Future>(
    epoll: &Epoll,
    readiness: &Readiness,
    future: F,
) -> io::Result<F::Output> {
    let flag = Arc::new(Flag(AtomicBool::new(true))); // the first poll
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut events = [EpollEvent::default(); 4];
    loop {
        if flag.0.swap(false, SeqCst)
            && let Poll::Ready(output) = future.as_mut().poll(&mut cx)
        {
            return Ok(output);
        }
        // Sleep, unless the task woke itself while it was polled.
        let timeout = flag.0.load(SeqCst).then_some(Duration::ZERO);
        for _ in epoll.wait(&mut events, timeout)? {
            readiness.deliver();
        }
    }
}
// ANCHOR_END: block_on

// ANCHOR: read
/// Reads into `buf`: the read first, and only if it would block, the
/// waker left with `readiness` and `Pending`.
pub async fn read(
    socket: &UnixStream,
    readiness: &Readiness,
    buf: &mut [u8],
) -> io::Result<usize> {
    poll_fn(|cx| match (&*socket).read(buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            readiness.register(cx.waker());
            Poll::Pending
        }
        result => Poll::Ready(result),
    })
    .await
}
// ANCHOR_END: read

// ANCHOR: forgetful
/// The same read, but it returns `Pending` without leaving its waker.
pub async fn read_forgetting_the_waker(
    socket: &UnixStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    poll_fn(|_cx| match (&*socket).read(buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        result => Poll::Ready(result),
    })
    .await
}
// ANCHOR_END: forgetful

// ANCHOR: readable
/// Resolves once an event has come for the socket (since the last
/// `Readable` resolved).
pub struct Readable<'a>(&'a Readiness);

impl Future for Readable<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.register(cx.waker());
        if self.0.ready.swap(false, SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
// ANCHOR_END: readable

// ANCHOR: readers
/// Waits for an event, reads one buffer, waits for the next event.
pub async fn read_one_chunk_per_event(
    socket: &UnixStream,
    readiness: &Readiness,
    len: usize,
) -> io::Result<Vec<u8>> {
    let (mut got, mut buf) = (Vec::new(), [0; 8]);
    while got.len() < len {
        Readable(readiness).await;
        match (&*socket).read(&mut buf) {
            Ok(0) => break, // the peer closed its side
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Waits for an event, then reads until the socket says `WouldBlock`.
pub async fn read_until_would_block(
    socket: &UnixStream,
    readiness: &Readiness,
    len: usize,
) -> io::Result<Vec<u8>> {
    let (mut got, mut buf) = (Vec::new(), [0; 8]);
    while got.len() < len {
        Readable(readiness).await;
        loop {
            match (&*socket).read(&mut buf) {
                Ok(0) => return Ok(got),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(got)
}
// ANCHOR_END: readers

/// Calls `read` until `len` bytes have come (or the peer has closed).
async fn read_len(
    len: usize,
    mut read: impl AsyncFnMut(&mut [u8]) -> io::Result<usize>,
) -> io::Result<Vec<u8>> {
    let (mut got, mut buf) = (Vec::new(), [0; 8]);
    while got.len() < len {
        match read(&mut buf).await? {
            0 => break,
            n => got.extend_from_slice(&buf[..n]),
        }
    }
    Ok(got)
}

// ANCHOR: harness
/// The readers of this listing.
#[derive(Clone, Copy, Debug)]
pub enum Reader {
    ReadFuture,
    ForgettingTheWaker,
    OneChunkPerEvent,
    UntilWouldBlock,
}

/// A reader at work in `block_on`, on a thread of its own, over one end
/// of a socket pair watched edge-triggered. We hold the other end.
pub struct Running {
    pub writer: UnixStream,
    /// Polls of the reader's future that have returned, and those of them
    /// that returned `Pending`.
    #[cfg_attr(not(test), expect(dead_code, reason = "the tests read it"))]
    polls: Arc<AtomicUsize>,
    pending: Arc<AtomicUsize>,
    readiness: Arc<Readiness>,
    /// The epoll instance the reader's loop sleeps in.
    epoll: Arc<Epoll>,
    finished: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<()>>,
}

/// How a reader's run ended, or that it has not.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// What it read, as text.
    Finished(String),
    StillWaiting,
    Panicked(String),
}

/// Every reader wants this many bytes.
pub const LEN: usize = 16;

/// Writes `sent` into a new socket pair, then starts `reader` on the other
/// end, wanting `LEN` bytes.
pub fn start(reader: Reader, sent: &[&[u8]]) -> io::Result<Running> {
    let (mut writer, socket) = UnixStream::pair()?;
    for chunk in sent {
        writer.write_all(chunk)?;
    }
    socket.set_nonblocking(true)?;
    let epoll = Arc::new(Epoll::new()?);
    epoll.add(&socket, EPOLLIN | EPOLLET, 0)?;
    let readiness = Arc::new(Readiness::default());
    let polls = Arc::new(AtomicUsize::new(0));
    let pending = Arc::new(AtomicUsize::new(0));
    let (done, finished) = mpsc::channel();
    let shared = (Arc::clone(&readiness), Arc::clone(&epoll));
    let counter = Counter(Arc::clone(&polls), Arc::clone(&pending));
    let thread = thread::spawn(move || {
        let (s, r, epoll) = (&socket, &*shared.0, &*shared.1);
        let got = match reader {
            Reader::ReadFuture => {
                let reader = read_len(LEN, async |buf| read(s, r, buf).await);
                run(epoll, r, &counter, reader)
            }
            Reader::ForgettingTheWaker => {
                let reader = read_len(LEN, async |buf| {
                    read_forgetting_the_waker(s, buf).await
                });
                run(epoll, r, &counter, reader)
            }
            Reader::OneChunkPerEvent => {
                run(epoll, r, &counter, read_one_chunk_per_event(s, r, LEN))
            }
            Reader::UntilWouldBlock => {
                run(epoll, r, &counter, read_until_would_block(s, r, LEN))
            }
        };
        done.send(got).unwrap();
    });
    Ok(Running {
        writer,
        polls,
        pending,
        readiness,
        epoll,
        finished,
        thread: Some(thread),
    })
}

/// Polls that have returned, and those that returned `Pending`.
struct Counter(Arc<AtomicUsize>, Arc<AtomicUsize>);

/// `block_on`, counting the polls of `future` that have returned.
fn run<F: Future<Output = io::Result<Vec<u8>>>>(
    epoll: &Epoll,
    readiness: &Readiness,
    counter: &Counter,
    future: F,
) -> Vec<u8> {
    let mut future = pin!(future);
    let counted = poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        if poll.is_pending() {
            counter.1.fetch_add(1, SeqCst);
        }
        counter.0.fetch_add(1, SeqCst); // last: the count says it all
        poll
    });
    block_on(epoll, readiness, counted).unwrap().unwrap()
}

impl Running {
    /// Waits until `n` polls of the reader have returned `Pending`. A
    /// reader that finishes first fails the wait, however long it took.
    pub fn wait_for_pending(&mut self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.pending.load(SeqCst) < n {
            match self.outcome(Duration::ZERO) {
                Outcome::StillWaiting => {}
                Outcome::Finished(got) => panic!(
                    "the reader finished with {got:?} where poll {n} should \
                     have returned `Pending`"
                ),
                Outcome::Panicked(message) => {
                    panic!("the reader's thread panicked: {message}")
                }
            }
            assert!(Instant::now() < deadline, "no poll {n} with `Pending`");
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Whether the reader's epoll instance would report the socket now
    /// (it asks without waiting). Under edge triggering, once the loop has
    /// taken the last edge, only new data puts the socket back.
    pub fn reported_now(&self) -> bool {
        let mut events = [EpollEvent::default(); 1];
        let ready = self.epoll.wait(&mut events, Some(Duration::ZERO));
        !ready.unwrap().is_empty()
    }

    /// Waits at most `patience` for the reader to finish.
    pub fn outcome(&mut self, patience: Duration) -> Outcome {
        match self.finished.recv_timeout(patience) {
            Ok(got) => {
                Outcome::Finished(String::from_utf8_lossy(&got).into_owned())
            }
            Err(RecvTimeoutError::Timeout) => Outcome::StillWaiting,
            // The thread is gone without sending: it panicked.
            Err(RecvTimeoutError::Disconnected) => {
                let joined = self.thread.take().map(JoinHandle::join);
                Outcome::Panicked(match joined {
                    Some(Err(payload)) => {
                        let text = payload.downcast_ref::<&str>().copied();
                        let string = payload.downcast_ref::<String>();
                        string
                            .cloned()
                            .or(text.map(String::from))
                            .unwrap_or_default()
                    }
                    // Not a panic, but no result either.
                    Some(Ok(())) => "(the thread ended without sending)".into(),
                    None => "(already reported)".into(),
                })
            }
        }
    }
}
// ANCHOR_END: harness

// ANCHOR: main
/// How long a reader that should finish at once gets before we call it stuck.
const PATIENCE: Duration = Duration::from_millis(200);
const LONG: Duration = Duration::from_secs(10);
const SENT: [&[u8]; 2] = [b"chunk-1|", b"chunk-2|"];

fn main() -> io::Result<()> {
    for reader in [Reader::ReadFuture, Reader::UntilWouldBlock] {
        let mut running = start(reader, &SENT)?;
        println!("{reader:?}: {:?}", running.outcome(LONG));
    }

    let mut running = start(Reader::OneChunkPerEvent, &SENT)?;
    running.wait_for_pending(2); // the first chunk read, and `Pending`
    let stuck = running.outcome(PATIENCE);
    let events = running.readiness.events.load(SeqCst);
    println!(
        "OneChunkPerEvent, {PATIENCE:?} later: {stuck:?}, events: {events}"
    );
    running.writer.write_all(b"!")?;
    println!(
        "OneChunkPerEvent, once one more byte came: {:?}",
        running.outcome(LONG)
    );
    Ok(())
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: tests
    #[test]
    fn stopping_before_would_block_under_edge_triggering_waits_forever() {
        let mut running = start(Reader::OneChunkPerEvent, &SENT).unwrap();
        // Poll 1: no event yet. Poll 2, after the one event: reads 8 of
        // the 16 bytes, then waits for another event.
        running.wait_for_pending(2);
        // The one event came and was taken, and no other is on its way,
        // though 8 bytes are unread. (With level triggering, the socket
        // would still be reported, or `events` would be 2 by now.)
        assert!(!running.reported_now(), "the socket is reported again");
        assert_eq!(running.readiness.events.load(SeqCst), 1);
        // A hang, not a panic (that would be `Panicked`), not an end.
        assert_eq!(
            running.outcome(PATIENCE),
            Outcome::StillWaiting,
            "the reader should wait for an edge that already came"
        );
        // The other 8 bytes were there all along: a new edge, and it reads
        // them (the new byte stays unread).
        running.writer.write_all(b"!").unwrap();
        let expected = "chunk-1|chunk-2|".to_string();
        assert_eq!(running.outcome(LONG), Outcome::Finished(expected));
    }

    #[test]
    fn reading_until_would_block_finishes_after_one_event() {
        let mut running = start(Reader::UntilWouldBlock, &SENT).unwrap();
        let expected = "chunk-1|chunk-2|".to_string();
        assert_eq!(running.outcome(LONG), Outcome::Finished(expected));
        assert_eq!(running.readiness.events.load(SeqCst), 1);
    }

    #[test]
    fn the_read_future_finishes_on_data_sent_before_and_after() {
        let mut running = start(Reader::ReadFuture, &[b"chunk-1|"]).unwrap();
        running.wait_for_pending(1); // read 8 bytes, then `WouldBlock`
        running.writer.write_all(b"chunk-2|").unwrap();
        let expected = "chunk-1|chunk-2|".to_string();
        assert_eq!(running.outcome(LONG), Outcome::Finished(expected));
    }

    #[test]
    fn a_future_that_forgets_its_waker_is_never_polled_again() {
        let mut running = start(Reader::ForgettingTheWaker, &[]).unwrap();
        running.wait_for_pending(1); // `WouldBlock`, and `Pending`
        let waker = running.readiness.waker.lock().unwrap().is_some();
        assert!(!waker, "the reader left its waker");
        running.writer.write_all(b"chunk-1|chunk-2|").unwrap();
        assert_eq!(
            running.outcome(PATIENCE),
            Outcome::StillWaiting,
            "the reader should wait, with nobody left to wake it"
        );
        // The event came, and the loop handed it over; with no waker to
        // call, it never polled the task again.
        let deadline = Instant::now() + LONG;
        while running.readiness.events.load(SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the event never came");
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(running.polls.load(SeqCst), 1);
        // Its thread sleeps in `epoll_wait` until the process ends.
    }
    // ANCHOR_END: tests

    /// One read per event is safe where readiness is cleared only by a
    /// read that says `WouldBlock`, as tokio does: `readable` resolves
    /// again at once while data is left. (A hang would time out.)
    #[test]
    fn tokio_readable_then_one_read_per_event_reads_everything() {
        let (mut writer, socket) = UnixStream::pair().unwrap();
        for chunk in SENT {
            writer.write_all(chunk).unwrap();
        }
        socket.set_nonblocking(true).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let got = runtime.block_on(async {
            let socket = tokio::net::UnixStream::from_std(socket).unwrap();
            let (mut got, mut buf) = (Vec::new(), [0; 8]);
            let one_read_per_event = async {
                while got.len() < LEN {
                    socket.readable().await.unwrap();
                    match socket.try_read(&mut buf) {
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            };
            let finished = tokio::time::timeout(LONG, one_read_per_event).await;
            finished.expect("the reader waits for an edge that already came");
            got
        });
        assert_eq!(String::from_utf8_lossy(&got), "chunk-1|chunk-2|");
    }

    /// The harness tells a panic from a hang.
    #[test]
    fn a_panicking_reader_is_reported_as_a_panic() {
        let (writer, _) = UnixStream::pair().unwrap();
        let (done, finished) = mpsc::channel::<Vec<u8>>();
        let thread = thread::spawn(move || {
            let _done = done; // dropped unsent when the panic unwinds
            panic!("the reader broke");
        });
        let mut running = Running {
            writer,
            polls: Arc::default(),
            pending: Arc::default(),
            readiness: Arc::default(),
            epoll: Arc::new(Epoll::new().unwrap()),
            finished,
            thread: Some(thread),
        };
        assert_eq!(
            running.outcome(LONG),
            Outcome::Panicked("the reader broke".into())
        );
    }

    /// A reader that finishes where it should have waited is reported as
    /// finished, with what it read, and not as a panic.
    #[test]
    #[should_panic(expected = "the reader finished with \"chunk-1|chunk-2|\"")]
    fn a_reader_that_finishes_early_fails_the_wait_as_finished() {
        let mut running = start(Reader::UntilWouldBlock, &SENT).unwrap();
        running.wait_for_pending(2);
    }
}
