//! The other placement: a reactor on a thread of its own. It waits in
//! `epoll_wait` and calls wakers; the executor is the parking executor of
//! chapter 18, unchanged, with its timer thread. Async `TcpListener` and
//! `TcpStream` as in Listing 25-1, but a readiness event can now arrive on
//! the reactor's thread while a task is between its failed try and the
//! registration of its waker.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::ffi::c_int;
use std::future::{Future, poll_fn};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

// ANCHOR: epoll
/// `struct epoll_event` of <sys/epoll.h>: 16 bytes on 64-bit architectures
/// other than x86_64; 32-bit x86 already lays it out in 12 bytes, which is
/// why x86_64 packs it to match.
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
#[derive(Clone, Copy)]
struct EpollEvent {
    events: u32,
    data: u64,
}

unsafe extern "C" {
    fn epoll_create1(flags: c_int) -> c_int;
    fn epoll_ctl(
        epfd: c_int,
        op: c_int,
        fd: c_int,
        event: *mut EpollEvent,
    ) -> c_int;
    fn epoll_wait(
        epfd: c_int,
        events: *mut EpollEvent,
        maxevents: c_int,
        timeout: c_int,
    ) -> c_int;
}

const EPOLL_CLOEXEC: c_int = 0o2000000;
const EPOLL_CTL_ADD: c_int = 1;
const EPOLL_CTL_DEL: c_int = 2;
const EPOLLIN: u32 = 0x001;
const EPOLLOUT: u32 = 0x004;
const EPOLLERR: u32 = 0x008;
const EPOLLHUP: u32 = 0x010;
const EPOLLRDHUP: u32 = 0x2000;
const EPOLLET: u32 = 1 << 31;

/// An epoll instance: a set of file descriptors the kernel watches for us.
struct Epoll {
    fd: OwnedFd,
}

/// Turns the -1 of a failed system call into the `errno` it set.
fn check(result: c_int) -> io::Result<c_int> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

impl Epoll {
    fn new() -> io::Result<Epoll> {
        let fd = check(unsafe { epoll_create1(EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Epoll { fd })
    }

    /// Watches `fd` for `events`; `epoll_wait` reports them with `token`.
    fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = EpollEvent {
            events,
            data: token,
        };
        let epfd = self.fd.as_raw_fd();
        check(unsafe { epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &mut event) })?;
        Ok(())
    }

    fn delete(&self, fd: RawFd) -> io::Result<()> {
        // Since Linux 2.6.9 the event argument of a delete may be null.
        let epfd = self.fd.as_raw_fd();
        let null = std::ptr::null_mut();
        check(unsafe { epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null) })?;
        Ok(())
    }

    /// Waits until an event comes or `timeout` has passed (`None`: no
    /// limit), and fills `events` with what came.
    fn wait(
        &self,
        events: &mut Vec<EpollEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        // Milliseconds, rounded up: waking before a deadline would only
        // mean waiting again.
        let ms = match timeout {
            None => -1,
            Some(t) => {
                t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as c_int
            }
        };
        events.clear();
        let epfd = self.fd.as_raw_fd();
        let max = events.capacity().min(i32::MAX as usize) as c_int;
        let n = unsafe { epoll_wait(epfd, events.as_mut_ptr(), max, ms) };
        match check(n) {
            // SAFETY: the kernel wrote `n` events.
            Ok(n) => unsafe { events.set_len(n as usize) },
            // A signal handler ran: no events, and the caller waits again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}
// ANCHOR_END: epoll
/// The direction a task waits in.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

/// The wakers waiting on one registered file descriptor.
#[derive(Default)]
struct Interest {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

// ANCHOR: reactor
/// The program's reactor: an epoll set, and the wakers registered per
/// source, shared between the tasks' threads and the reactor's own.
struct Reactor {
    epoll: Epoll,
    sources: Mutex<HashMap<u64, Interest>>,
    next_token: AtomicU64,
}

/// The one reactor of the program, and its thread, started on first use.
fn reactor() -> &'static Reactor {
    static REACTOR: OnceLock<Reactor> = OnceLock::new();
    REACTOR.get_or_init(|| {
        // The thread's own call to `reactor()` waits until this
        // initialisation has finished.
        thread::spawn(|| reactor().run());
        let epoll = Epoll::new()
            .unwrap_or_else(|e| panic!("cannot start the reactor: {e}"));
        Reactor {
            epoll,
            sources: Mutex::new(HashMap::new()),
            next_token: AtomicU64::new(0),
        }
    })
}

impl Reactor {
    /// The reactor thread: wait, call the wakers of what is ready, repeat.
    fn run(&self) {
        let mut events = Vec::with_capacity(256);
        loop {
            if let Err(e) = self.epoll.wait(&mut events, None) {
                panic!("epoll_wait: {e}");
            }
            let mut wake = Vec::new();
            let mut sources = self.sources.lock().unwrap();
            for event in &events {
                let (flags, token) = (event.events, event.data);
                let Some(interest) = sources.get_mut(&token) else {
                    continue; // deregistered since
                };
                if flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) != 0 {
                    wake.extend(interest.reader.take());
                }
                if flags & (EPOLLOUT | EPOLLHUP | EPOLLERR) != 0 {
                    wake.extend(interest.writer.take());
                }
            }
            drop(sources);
            // Each call queues an id and unparks the executor's thread.
            for waker in wake {
                waker.wake();
            }
        }
    }
    // ANCHOR_END: reactor

    fn register(&self, fd: RawFd) -> io::Result<u64> {
        let token = self.next_token.fetch_add(1, Relaxed);
        // Into the table first: an event may come the moment `add` returns.
        self.sources
            .lock()
            .unwrap()
            .insert(token, Interest::default());
        let events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        if let Err(e) = self.epoll.add(fd, events, token) {
            self.sources.lock().unwrap().remove(&token);
            return Err(e);
        }
        Ok(token)
    }

    fn set_waker(&self, token: u64, direction: Direction, waker: &Waker) {
        let mut sources = self.sources.lock().unwrap();
        let interest = sources.get_mut(&token).expect("a registered source");
        let slot = match direction {
            Direction::Read => &mut interest.reader,
            Direction::Write => &mut interest.writer,
        };
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    fn deregister(&self, token: u64, fd: RawFd) {
        self.sources.lock().unwrap().remove(&token);
        if let Err(e) = self.epoll.delete(fd) {
            panic!("epoll_ctl(EPOLL_CTL_DEL) of fd {fd}: {e}");
        }
    }
}

/// A file descriptor registered with the reactor, for as long as this
/// value lives.
struct Registration {
    token: u64,
    fd: RawFd,
}

impl Registration {
    fn new(fd: impl AsFd) -> io::Result<Registration> {
        let fd = fd.as_fd().as_raw_fd();
        let token = reactor().register(fd)?;
        Ok(Registration { token, fd })
    }

    // ANCHOR: poll_io
    /// Runs `operation`; if it would block, registers the task's waker for
    /// `direction`, then tries once more before returning `Pending`.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut operation: impl FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        match operation() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            done => return Poll::Ready(done),
        }
        preemption_point();
        reactor().set_waker(self.token, direction, cx.waker());
        // The event of data that came after the first try may have reached
        // the reactor thread before the waker did, and found none to call.
        // After this second try, any new event finds the waker.
        match operation() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            done => {
                tests_count_second_tries();
                Poll::Ready(done)
            }
        }
    }
    // ANCHOR_END: poll_io
}

impl Drop for Registration {
    fn drop(&mut self) {
        reactor().deregister(self.token, self.fd);
    }
}

/// Between the failed try and the registration: test builds hold the window
/// of the race open here until the test's client has sent its next byte.
fn preemption_point() {
    #[cfg(test)]
    tests::WINDOW.hold_open();
}

/// Test builds count the second tries that found what the first missed.
fn tests_count_second_tries() {
    #[cfg(test)]
    tests::SECOND_TRIES_THAT_WORKED.fetch_add(1, Relaxed);
}

/// A TCP listener whose `accept` is a future.
pub struct TcpListener {
    // Fields are dropped in order: the registration goes before the socket.
    registration: Registration,
    listener: std::net::TcpListener,
}

impl TcpListener {
    pub fn bind(address: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(std::net::TcpListener::bind(address)?)
    }

    /// Makes `listener` non-blocking and registers it with the reactor.
    pub fn from_std(
        listener: std::net::TcpListener,
    ) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        let registration = Registration::new(&listener)?;
        Ok(TcpListener {
            registration,
            listener,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Read, || self.listener.accept())
        })
        .await?;
        Ok((TcpStream::from_std(stream)?, peer))
    }
}

/// A TCP connection whose reads and writes are futures.
pub struct TcpStream {
    registration: Registration,
    stream: std::net::TcpStream,
}

impl TcpStream {
    /// Makes `stream` non-blocking and registers it with the reactor.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        let registration = Registration::new(&stream)?;
        Ok(TcpStream {
            registration,
            stream,
        })
    }

    /// Reads what has arrived, at most `buffer.len()` bytes; 0 at the end.
    pub async fn read(&self, buffer: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Read, || (&self.stream).read(buffer))
        })
        .await
    }

    /// Writes what the socket's send buffer takes, at least one byte.
    pub async fn write(&self, buffer: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Write, || (&self.stream).write(buffer))
        })
        .await
    }

    pub async fn write_all(&self, mut buffer: &[u8]) -> io::Result<()> {
        while !buffer.is_empty() {
            match self.write(buffer).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buffer = &buffer[n..],
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}

/// What the executor shares with the wakers of its tasks.
struct Shared {
    ready: Mutex<VecDeque<TaskId>>,
    /// The thread that runs the executor, to unpark when a task is woken.
    executor: Thread,
}

struct TaskWaker {
    id: TaskId,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // First the id, then the unpark: the executor must find the id
        // once it is awake.
        self.shared.ready.lock().unwrap().push_back(self.id);
        self.shared.executor.unpark();
    }
}

/// A single-threaded executor. It is not `Send` (its tasks need not be), so it
/// stays on the thread that created it: the thread its wakers unpark.
pub struct Executor {
    tasks: HashMap<TaskId, Task>,
    shared: Arc<Shared>,
    next_id: u64,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Executor {
    pub fn new() -> Self {
        let shared = Shared {
            ready: Mutex::new(VecDeque::new()),
            executor: thread::current(),
        };
        Executor {
            tasks: HashMap::new(),
            shared: Arc::new(shared),
            next_id: 0,
        }
    }

    /// Adds a task and queues it for its first poll. The handle
    /// resolves to its output.
    pub fn spawn<F>(&mut self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let (task_future, handle) = joinable(future);
        let shared = Arc::clone(&self.shared);
        let waker = Waker::from(Arc::new(TaskWaker { id, shared }));
        let task = Task {
            future: Box::pin(task_future),
            waker,
        };
        self.tasks.insert(id, task);
        self.shared.ready.lock().unwrap().push_back(id);
        handle
    }

    /// Polls ready tasks until every task has finished; parks the thread
    /// while none is ready.
    pub fn run(&mut self) {
        while !self.tasks.is_empty() {
            let next = self.shared.ready.lock().unwrap().pop_front();
            match next {
                Some(id) => self.poll_task(id),
                None => {
                    // A wake-up since the check above left a token: then
                    // `park` returns at once. It may also return for no
                    // reason; the loop checks again.
                    thread::park();
                }
            }
        }
    }

    fn poll_task(&mut self, id: TaskId) {
        // A task woken twice is queued twice, and may have finished in between.
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        let mut cx = Context::from_waker(&task.waker);
        if task.future.as_mut().poll(&mut cx).is_ready() {
            self.tasks.remove(&id);
        }
    }
}

/// What a task and its join handle share: the output, once there is one, and
/// the waker of the task that waits for it.
struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
}

/// A future that resolves to the output of a spawned task.
pub struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

/// Wraps `future` into a task that stores its output for the handle,
/// and wakes the waiter.
fn joinable<F: Future>(
    future: F,
) -> (impl Future<Output = ()>, JoinHandle<F::Output>) {
    let state = Rc::new(RefCell::new(JoinState {
        output: None,
        waiter: None,
    }));
    let handle = JoinHandle {
        state: Rc::clone(&state),
    };
    let task = async move {
        let output = future.await;
        let waiter = {
            let mut state = state.borrow_mut();
            state.output = Some(output);
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    };
    (task, handle)
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The timer: a heap of deadlines, earliest on top, and a thread that wakes
/// each sleeping task when its deadline has passed.
struct Timer {
    deadlines: Mutex<BinaryHeap<Reverse<Deadline>>>,
    changed: Condvar,
}

struct Deadline {
    at: Instant,
    waker: Waker,
}

/// The one timer of the program, started on first use.
fn timer() -> &'static Timer {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        // The thread's own call to `timer()` waits until
        // this initialisation has finished.
        thread::spawn(|| timer().run());
        Timer {
            deadlines: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }
    })
}

impl Timer {
    fn run(&self) {
        let mut deadlines = self.deadlines.lock().unwrap();
        loop {
            let now = Instant::now();
            while let Some(Reverse(first)) = deadlines.peek()
                && first.at <= now
            {
                let Reverse(due) = deadlines.pop().unwrap();
                due.waker.wake(); // queues an id, unparks: fine under the lock
            }
            // Sleep until the next deadline, or until `Sleep::poll`
            // adds an earlier one.
            let next = deadlines.peek().map(|Reverse(d)| d.at - now);
            deadlines = match next {
                Some(wait) => {
                    self.changed.wait_timeout(deadlines, wait).unwrap().0
                }
                None => self.changed.wait(deadlines).unwrap(),
            };
        }
    }
}

/// A future that is ready once `duration` has passed since `sleep` was called.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
    }
}

pub struct Sleep {
    deadline: Instant,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let timer = timer();
        let waker = cx.waker().clone();
        let deadline = Deadline {
            at: self.deadline,
            waker,
        };
        timer.deadlines.lock().unwrap().push(Reverse(deadline));
        timer.changed.notify_one();
        Poll::Pending
    }
}

// Deadlines are ordered by time alone.
impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Deadline {}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};

    /// How often, in test builds, the second try found what the first had
    /// missed.
    pub static SECOND_TRIES_THAT_WORKED: AtomicU64 = AtomicU64::new(0);

    /// The window between a failed try and the registration of the waker,
    /// which the task holds open and the client sends its byte into.
    pub static WINDOW: Window = Window {
        state: Mutex::new(Gap {
            open: false,
            sent: false,
        }),
        changed: Condvar::new(),
    };

    pub struct Window {
        state: Mutex<Gap>,
        changed: Condvar,
    }

    struct Gap {
        open: bool,
        sent: bool,
    }

    /// How long either side waits for the other before it goes on
    /// anyway: a round that misses the window is not counted below.
    const PATIENCE: Duration = Duration::from_secs(2);

    impl Window {
        /// The task's side: opens the window and waits for the client.
        pub fn hold_open(&self) {
            let mut gap = self.state.lock().unwrap();
            gap.open = true;
            self.changed.notify_all();
            let waiting = |gap: &mut Gap| !gap.sent;
            let (mut gap, _) = self
                .changed
                .wait_timeout_while(gap, PATIENCE, waiting)
                .unwrap();
            (gap.open, gap.sent) = (false, false);
        }

        /// The client's side: waits for the window to open, then runs
        /// `send`, then says it has sent.
        fn send_inside(&self, send: impl FnOnce()) {
            let gap = self.state.lock().unwrap();
            let closed = |gap: &mut Gap| !gap.open;
            let (gap, _) = self
                .changed
                .wait_timeout_while(gap, PATIENCE, closed)
                .unwrap();
            drop(gap);
            send();
            self.state.lock().unwrap().sent = true;
            self.changed.notify_all();
        }
    }

    /// Echoes what arrives on one accepted connection until it closes.
    async fn echo_one(listener: TcpListener) {
        let (stream, _) = listener.accept().await.unwrap();
        let mut buffer = [0; 1024];
        loop {
            match stream.read(&mut buffer).await.unwrap() {
                0 => return,
                n => stream.write_all(&buffer[..n]).await.unwrap(),
            }
        }
    }

    // ANCHOR: test
    /// The client: one byte as soon as the last came back, two thousand
    /// times, each sent inside the window; then the end of the stream.
    fn talk(address: SocketAddr) -> Result<(), String> {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        let patience = Some(Duration::from_secs(10));
        stream.set_read_timeout(patience).unwrap();
        for round in 0..2_000u32 {
            let mut byte = [round as u8];
            WINDOW.send_inside(|| stream.write_all(&byte).unwrap());
            if let Err(e) = stream.read_exact(&mut byte) {
                return Err(format!("round {round}: no echo within 10 s: {e}"));
            }
            assert_eq!(byte, [round as u8]);
        }
        WINDOW.send_inside(|| drop(stream));
        Ok(())
    }

    #[test]
    fn readiness_that_comes_before_the_waker_is_not_lost() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (done, finished) = mpsc::channel();
        let server = thread::spawn(move || {
            let listener = TcpListener::from_std(listener).unwrap();
            let mut executor = Executor::new();
            executor.spawn(echo_one(listener));
            executor.run();
            let _ = done.send(());
        });
        let talked = talk(address);
        // A server that panicked is the cause of whatever the client saw.
        let patience = if talked.is_ok() { 10 } else { 1 };
        let ended = finished.recv_timeout(Duration::from_secs(patience));
        if ended == Err(RecvTimeoutError::Disconnected) {
            panic::resume_unwind(server.join().unwrap_err());
        }
        talked.unwrap_or_else(|what| panic!("{what}"));
        assert!(
            ended.is_ok(),
            "the server went on after the end of the stream"
        );
        // The race was run, every round, and did no harm.
        let second_tries = SECOND_TRIES_THAT_WORKED.load(Relaxed);
        assert!(second_tries >= 1_000, "only {second_tries} second tries");
    }
    // ANCHOR_END: test
}
