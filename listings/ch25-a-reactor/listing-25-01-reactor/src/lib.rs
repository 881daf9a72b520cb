//! The book's executor with a reactor at its idle point: where the parking
//! executor of chapter 18 parked, this one waits in `epoll_wait`, for the
//! sockets its tasks wait on, for the nearest timer, and for an eventfd that
//! wakers on other threads write to. Async `TcpListener` and `TcpStream` on
//! top, and an echo server.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ffi::{c_int, c_uint};
use std::fs::File;
use std::future::{Future, poll_fn};
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
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
    fn eventfd(initval: c_uint, flags: c_int) -> c_int;
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
const EFD_CLOEXEC: c_int = 0o2000000;
const EFD_NONBLOCK: c_int = 0o4000;

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
        count_waits_in_tests();
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

/// Test builds count the calls of `epoll_wait` made on each thread.
fn count_waits_in_tests() {
    #[cfg(test)]
    tests::EPOLL_WAITS.with(|waits| waits.set(waits.get() + 1));
}

// ANCHOR: notifier
/// An eventfd in the reactor's epoll set: a waker on another thread writes
/// to it, and `epoll_wait` returns.
struct Notifier {
    eventfd: File,
}

impl Notifier {
    fn new() -> io::Result<Notifier> {
        let fd = check(unsafe { eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) })?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Notifier {
            eventfd: File::from(fd),
        })
    }

    /// Adds one to the eventfd's counter, which makes it readable.
    fn notify(&self) {
        // It fails only if the counter would pass u64::MAX - 1 (then it
        // is readable anyway).
        let _ = (&self.eventfd).write(&1u64.to_ne_bytes());
    }

    /// Takes the counter back to zero, so that the eventfd is not
    /// readable until the next `notify`.
    fn clear(&self) {
        let _ = (&self.eventfd).read(&mut [0; 8]);
    }
}
// ANCHOR_END: notifier

// ANCHOR: reactor
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

/// A timer's key: its deadline first, so that the earliest comes first,
/// and a token, so that two timers never share a key.
type TimerKey = (Instant, u64);

/// One thread's reactor: its epoll set, the waker registered for each
/// source, and the wakers of its timers, by deadline.
struct Reactor {
    epoll: Epoll,
    sources: RefCell<HashMap<u64, Interest>>,
    next_token: Cell<u64>,
    timers: RefCell<BTreeMap<TimerKey, Waker>>,
    notifier: Arc<Notifier>,
    events: RefCell<Vec<EpollEvent>>,
}

/// The token of the notifier's eventfd; sources count up from zero.
const NOTIFIER: u64 = u64::MAX;

thread_local! {
    static REACTOR: Reactor = Reactor::new()
        .unwrap_or_else(|e| panic!("cannot start this thread's reactor: {e}"));
}
// ANCHOR_END: reactor

impl Reactor {
    fn new() -> io::Result<Reactor> {
        let epoll = Epoll::new()?;
        let notifier = Notifier::new()?;
        // Level-triggered: readable for as long as the counter is not zero.
        epoll.add(notifier.eventfd.as_raw_fd(), EPOLLIN, NOTIFIER)?;
        Ok(Reactor {
            epoll,
            sources: RefCell::new(HashMap::new()),
            next_token: Cell::new(0),
            timers: RefCell::new(BTreeMap::new()),
            notifier: Arc::new(notifier),
            events: RefCell::new(Vec::with_capacity(256)),
        })
    }

    // ANCHOR: register
    /// Watches `fd` from now until `deregister`, edge-triggered, in both
    /// directions: one `epoll_ctl` per source, not one per wait.
    fn register(&self, fd: RawFd) -> io::Result<u64> {
        let token = self.new_token();
        let events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        self.epoll.add(fd, events, token)?;
        self.sources.borrow_mut().insert(token, Interest::default());
        Ok(token)
    }

    /// A number never handed out before on this thread.
    fn new_token(&self) -> u64 {
        let token = self.next_token.get();
        self.next_token.set(token + 1);
        token
    }

    /// The waker to call when `token`'s source is ready in `direction`.
    fn set_waker(&self, token: u64, direction: Direction, waker: &Waker) {
        let mut sources = self.sources.borrow_mut();
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

    /// Must run before the descriptor is closed: a closed descriptor's
    /// number is soon someone else's.
    fn deregister(&self, token: u64, fd: RawFd) {
        self.sources.borrow_mut().remove(&token);
        if let Err(e) = self.epoll.delete(fd) {
            panic!("epoll_ctl(EPOLL_CTL_DEL) of fd {fd}: {e}");
        }
    }
    // ANCHOR_END: register

    // ANCHOR: turn
    /// Waits for I/O events (no longer than until the nearest deadline, and
    /// not at all unless `idle`), then calls the wakers of what is ready.
    fn turn(&self, idle: bool) {
        let timeout = if idle {
            self.timers
                .borrow()
                .first_key_value()
                .map(|((at, _), _)| at.duration_since(Instant::now()))
        } else {
            Some(Duration::ZERO)
        };
        let mut events = self.events.borrow_mut();
        if let Err(e) = self.epoll.wait(&mut events, timeout) {
            panic!("epoll_wait: {e}");
        }
        // Wakers are called once the borrows end: a waker may be anything,
        // even code that registers a source.
        let mut wake = Vec::new();
        let mut sources = self.sources.borrow_mut();
        for event in events.iter() {
            let (flags, token) = (event.events, event.data);
            if token == NOTIFIER {
                self.notifier.clear();
                continue;
            }
            // A source deregistered since: its events mean nothing now.
            let Some(interest) = sources.get_mut(&token) else {
                continue;
            };
            if flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) != 0 {
                wake.extend(interest.reader.take());
            }
            if flags & (EPOLLOUT | EPOLLHUP | EPOLLERR) != 0 {
                wake.extend(interest.writer.take());
            }
        }
        drop((sources, events));
        let now = Instant::now();
        let mut timers = self.timers.borrow_mut();
        while let Some(first) = timers.first_entry()
            && first.key().0 <= now
        {
            wake.push(first.remove());
        }
        drop(timers);
        for waker in wake {
            waker.wake();
        }
    }
    // ANCHOR_END: turn

    // ANCHOR: set_timer
    /// Leaves `waker` to be called at `at`. The first call makes an entry;
    /// later calls with its key only update the waker in it.
    fn set_timer(
        &self,
        key: Option<TimerKey>,
        at: Instant,
        waker: &Waker,
    ) -> TimerKey {
        let mut timers = self.timers.borrow_mut();
        if let Some(key) = key
            && let Some(old) = timers.get_mut(&key)
        {
            if !old.will_wake(waker) {
                *old = waker.clone();
            }
            return key;
        }
        let key = (at, self.new_token());
        timers.insert(key, waker.clone());
        key
    }
    // ANCHOR_END: set_timer
}

/// How many sources this thread's reactor watches (the notifier aside).
pub fn registered_sources() -> usize {
    REACTOR.with(|r| r.sources.borrow().len())
}

// ANCHOR: registration
/// A file descriptor registered with this thread's reactor, for as long as
/// this value lives. Not `Send`: another thread has another reactor.
struct Registration {
    token: u64,
    fd: RawFd,
    _this_thread: PhantomData<*const ()>,
}

impl Registration {
    fn new(fd: impl AsFd) -> io::Result<Registration> {
        let fd = fd.as_fd().as_raw_fd();
        let token = REACTOR.with(|r| r.register(fd))?;
        Ok(Registration {
            token,
            fd,
            _this_thread: PhantomData,
        })
    }

    /// Runs `operation`; if it would block, registers the task's waker for
    /// `direction` before returning `Pending`.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut operation: impl FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        match operation() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let waker = cx.waker();
                REACTOR.with(|r| r.set_waker(self.token, direction, waker));
                Poll::Pending
            }
            done => Poll::Ready(done),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // At thread exit the reactor may be gone already, and its epoll
        // set with it.
        let _ = REACTOR.try_with(|r| r.deregister(self.token, self.fd));
    }
}
// ANCHOR_END: registration

// ANCHOR: tcp
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

    /// Makes `listener` non-blocking and registers it with this thread's
    /// reactor.
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
    /// Makes `stream` non-blocking and registers it with this thread's
    /// reactor.
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
// ANCHOR_END: tcp

// ANCHOR: connect
unsafe extern "C" {
    fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    fn connect(fd: c_int, address: *const SocketAddress, length: u32) -> c_int;
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const SOCK_STREAM: c_int = 1;
const SOCK_NONBLOCK: c_int = 0o4000;
const SOCK_CLOEXEC: c_int = 0o2000000;
const EINPROGRESS: i32 = 115;

/// `struct sockaddr_in` and `struct sockaddr_in6` of <netinet/in.h>; the
/// port and the address are in network byte order, as their bytes are.
#[repr(C)]
union SocketAddress {
    v4: SockaddrIn,
    v6: SockaddrIn6,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SockaddrIn {
    family: u16,
    port: [u8; 2],
    address: [u8; 4],
    zero: [u8; 8],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SockaddrIn6 {
    family: u16,
    port: [u8; 2],
    flow_info: u32,
    address: [u8; 16],
    scope_id: u32,
}

impl TcpStream {
    /// Opens a connection without blocking the thread: the kernel starts
    /// the handshake, and the task waits until the socket is writable.
    pub async fn connect(address: SocketAddr) -> io::Result<TcpStream> {
        let (raw, family, length) = match address {
            SocketAddr::V4(a) => {
                let v4 = SockaddrIn {
                    family: AF_INET,
                    port: a.port().to_be_bytes(),
                    address: a.ip().octets(),
                    zero: [0; 8],
                };
                (SocketAddress { v4 }, AF_INET, size_of::<SockaddrIn>())
            }
            SocketAddr::V6(a) => {
                let v6 = SockaddrIn6 {
                    family: AF_INET6,
                    port: a.port().to_be_bytes(),
                    flow_info: a.flowinfo(),
                    address: a.ip().octets(),
                    scope_id: a.scope_id(),
                };
                (SocketAddress { v6 }, AF_INET6, size_of::<SockaddrIn6>())
            }
        };
        let kind = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
        let fd = check(unsafe { socket(c_int::from(family), kind, 0) })?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let stream =
            std::net::TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
        // SAFETY: `raw` is a socket address of `length` bytes.
        match check(unsafe { connect(fd, &raw, length as u32) }) {
            Err(e) if e.raw_os_error() != Some(EINPROGRESS) => return Err(e),
            _ => {} // connected already, or the handshake is under way
        }
        let stream = TcpStream::from_std(stream)?;
        poll_fn(|cx| {
            stream.registration.poll_io(cx, Direction::Write, || {
                handshake_done(&stream.stream)
            })
        })
        .await?;
        Ok(stream)
    }
}

/// `Ok` once a started connect has succeeded, its error (`SO_ERROR`, which
/// `take_error` reads) once it has failed, and `WouldBlock` until then.
fn handshake_done(stream: &std::net::TcpStream) -> io::Result<()> {
    if let Some(error) = stream.take_error()? {
        return Err(error);
    }
    match stream.peer_addr() {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
            Err(io::ErrorKind::WouldBlock.into())
        }
        Err(e) => Err(e),
    }
}
// ANCHOR_END: connect

// ANCHOR: sleep
/// A future that is ready once `duration` has passed since `sleep` was
/// called. Its deadline goes to the reactor, which wakes it.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        timer: None,
        _this_thread: PhantomData,
    }
}

/// Not `Send`: its timer lives in this thread's reactor.
pub struct Sleep {
    deadline: Instant,
    /// Its entry in the reactor's timers, once it has been polled.
    timer: Option<TimerKey>,
    _this_thread: PhantomData<*const ()>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let (timer, at) = (self.timer, self.deadline);
        let key = REACTOR.with(|r| r.set_timer(timer, at, cx.waker()));
        self.timer = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A sleep dropped before its time takes its waker away with it.
        if let Some(key) = self.timer {
            let _ = REACTOR.try_with(|r| r.timers.borrow_mut().remove(&key));
        }
    }
}
// ANCHOR_END: sleep

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}

// ANCHOR: waker
/// What the executor shares with the wakers of its tasks.
struct Shared {
    ready: Mutex<VecDeque<TaskId>>,
    /// The thread that runs the executor, and the eventfd its reactor
    /// waits on.
    executor: ThreadId,
    notifier: Arc<Notifier>,
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
        self.shared.ready.lock().unwrap().push_back(self.id);
        // On the executor's own thread the executor is not in
        // `epoll_wait`, and it looks at the queue before it waits again.
        if thread::current().id() != self.shared.executor {
            self.shared.notifier.notify();
        }
    }
}
// ANCHOR_END: waker

/// Where tasks spawned while the executor runs wait to join its table.
struct Spawner {
    shared: Arc<Shared>,
    spawned: RefCell<Vec<(TaskId, Task)>>,
    next_id: Cell<u64>,
}

thread_local! {
    /// The spawner of the executor running on this thread, if one is.
    static CURRENT: RefCell<Option<Rc<Spawner>>> = const { RefCell::new(None) };
}

impl Spawner {
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = TaskId(self.next_id.get());
        self.next_id.set(id.0 + 1);
        let (task_future, handle) = joinable(future);
        let shared = Arc::clone(&self.shared);
        let waker = Waker::from(Arc::new(TaskWaker { id, shared }));
        let task = Task {
            future: Box::pin(task_future),
            waker,
        };
        self.spawned.borrow_mut().push((id, task));
        self.shared.ready.lock().unwrap().push_back(id);
        handle
    }
}

/// Spawns a task on the executor that runs on this thread: for tasks that
/// start tasks.
///
/// # Panics
/// Outside `Executor::run`.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    CURRENT.with_borrow(|current| {
        let spawner = current.as_ref().expect("`spawn` outside `run`");
        spawner.spawn(future)
    })
}

/// A single-threaded executor whose idle point is its thread's reactor.
/// It is not `Send`: its wakers, its reactor and its sockets belong to the
/// thread that created it.
pub struct Executor {
    tasks: HashMap<TaskId, Task>,
    spawner: Rc<Spawner>,
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
            executor: thread::current().id(),
            notifier: REACTOR.with(|r| Arc::clone(&r.notifier)),
        };
        let spawner = Spawner {
            shared: Arc::new(shared),
            spawned: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
        };
        Executor {
            tasks: HashMap::new(),
            spawner: Rc::new(spawner),
        }
    }

    /// Adds a task and queues it for its first poll. The handle
    /// resolves to its output.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.spawner.spawn(future)
    }

    // ANCHOR: run
    /// Polls ready tasks until every task has finished. Before each round
    /// it turns the reactor: without waiting while tasks are ready, and
    /// until an event or the nearest deadline while none is.
    pub fn run(&mut self) {
        let previous = CURRENT.replace(Some(Rc::clone(&self.spawner)));
        while self.has_tasks() {
            let ready = &self.spawner.shared.ready;
            let idle = ready.lock().unwrap().is_empty();
            REACTOR.with(|r| r.turn(idle));
            let round: Vec<TaskId> = ready.lock().unwrap().drain(..).collect();
            for id in round {
                self.poll_task(id);
            }
        }
        CURRENT.set(previous);
    }

    /// Takes in the tasks spawned while others ran; false once all are done.
    fn has_tasks(&mut self) -> bool {
        self.tasks.extend(self.spawner.spawned.take());
        !self.tasks.is_empty()
    }
    // ANCHOR_END: run

    fn poll_task(&mut self, id: TaskId) {
        // A task woken twice is queued twice, and may have finished in
        // between.
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        let mut cx = Context::from_waker(&task.waker);
        if task.future.as_mut().poll(&mut cx).is_ready() {
            self.tasks.remove(&id);
        }
    }
}

/// What a task and its join handle share: the output, once there is one,
/// and the waker of the task that waits for it.
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

// ANCHOR: echo
/// The size of the buffer each connection of the echo server reads into.
pub const ECHO_BUFFER: usize = 1024;

/// Serves `listener` forever: a task per connection, which writes back
/// what it reads. Single-threaded: the executor and the reactor run on the
/// calling thread.
pub fn serve_echo(listener: std::net::TcpListener) {
    let listener = TcpListener::from_std(listener).unwrap_or_else(|e| {
        panic!("echo server: cannot register the listener: {e}")
    });
    let mut executor = Executor::new();
    executor.spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    spawn(echo(stream));
                }
                // Out of file descriptors, say: the waiting connection stays
                // in the queue, and trying again at once would spin.
                Err(e) => {
                    eprintln!("echo server: accept: {e}");
                    sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    executor.run();
}

/// Writes back what arrives until the peer closes the connection.
async fn echo(stream: TcpStream) {
    let mut buffer = [0; ECHO_BUFFER];
    loop {
        let n = match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stream.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
// ANCHOR_END: echo

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};

    thread_local! {
        /// The calls of `epoll_wait` made on this thread.
        pub static EPOLL_WAITS: Cell<u64> = const { Cell::new(0) };
    }

    /// Runs `job` on a thread of its own (with a reactor of its own) and
    /// fails if it has not finished within `seconds`. A panic on that
    /// thread is passed on as it is.
    fn within(seconds: u64, job: impl FnOnce() + Send + 'static) {
        let (done, finished) = mpsc::channel();
        let thread = thread::spawn(move || {
            job();
            let _ = done.send(());
        });
        match finished.recv_timeout(Duration::from_secs(seconds)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("not finished within {seconds} seconds")
            }
        }
    }

    /// A blocking client socket that gives up after ten seconds.
    fn client(address: SocketAddr) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }

    /// Sends `message` from one thread and reads it back on another, so
    /// that neither side's buffers can fill up and stop the other.
    fn round_trip(stream: &std::net::TcpStream, message: &[u8]) -> Vec<u8> {
        thread::scope(|scope| {
            let mut writer = stream.try_clone().unwrap();
            scope.spawn(move || writer.write_all(message).unwrap());
            let mut echoed = vec![0; message.len()];
            (&*stream).read_exact(&mut echoed).unwrap();
            echoed
        })
    }

    // ANCHOR: test_echo
    #[test]
    fn the_echo_server_answers_clients_on_threads() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        // The server serves forever; its thread ends with the test process.
        thread::spawn(move || serve_echo(listener));
        within(30, move || {
            let clients: Vec<_> = (0..8u8)
                .map(|c| {
                    thread::spawn(move || {
                        let stream = client(address);
                        for size in [1, ECHO_BUFFER + 1, 300_000] {
                            let message: Vec<u8> = (0..size)
                                .map(|i| (i % 251) as u8 ^ c)
                                .collect();
                            assert!(round_trip(&stream, &message) == message);
                        }
                    })
                })
                .collect();
            for client in clients {
                client.join().unwrap_or_else(|p| panic::resume_unwind(p));
            }
        });
    }
    // ANCHOR_END: test_echo

    #[test]
    fn an_echo_task_is_its_buffer_and_a_little_more() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = client(listener.local_addr().unwrap());
        let (stream, _) = listener.accept().unwrap();
        let task = echo(TcpStream::from_std(stream).unwrap());
        let size = size_of_val(&task);
        assert!(
            (ECHO_BUFFER..ECHO_BUFFER + 256).contains(&size),
            "an echo task of {size} bytes"
        );
    }

    /// The descriptor numbers the kernel has in `epoll`'s interest list:
    /// one `tfd:` line each in the epoll fd's /proc entry.
    fn interest_list(epoll: &Epoll) -> Vec<RawFd> {
        let path = format!("/proc/self/fdinfo/{}", epoll.fd.as_raw_fd());
        let info = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        info.lines()
            .filter_map(|line| line.strip_prefix("tfd:"))
            .map(|rest| {
                let number = rest.split_whitespace().next();
                number.and_then(|n| n.parse().ok()).unwrap_or_else(|| {
                    panic!("{path}: no descriptor number in `tfd:{rest}`")
                })
            })
            .collect()
    }

    /// How many descriptors the kernel has in this thread's epoll set.
    fn watched_by_the_kernel() -> usize {
        REACTOR.with(|r| interest_list(&r.epoll).len())
    }

    // ANCHOR: test_deregister
    #[test]
    fn closed_connections_leave_no_registration_behind() {
        within(30, || {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            // A client that fails still opens all ten connections, so that
            // the server finishes, and `join` below names its first panic.
            let clients = thread::spawn(move || {
                let mut first_panic = None;
                for _ in 0..10 {
                    let stream = client(address);
                    let ping =
                        || assert_eq!(round_trip(&stream, b"ping"), b"ping");
                    if let Err(p) =
                        panic::catch_unwind(panic::AssertUnwindSafe(ping))
                    {
                        first_panic.get_or_insert(p);
                    }
                } // each connection is closed here
                if let Some(p) = first_panic {
                    panic::resume_unwind(p);
                }
            });
            let mut executor = Executor::new();
            executor.spawn(async move {
                let mut connections = Vec::new();
                for _ in 0..10 {
                    let (stream, _) = listener.accept().await.unwrap();
                    connections.push(spawn(echo(stream)));
                }
                for connection in connections {
                    connection.await;
                }
                // The listener, and the eventfd of the reactor itself.
                assert_eq!(
                    (registered_sources(), watched_by_the_kernel()),
                    (1, 2)
                );
            });
            executor.run();
            assert_eq!((registered_sources(), watched_by_the_kernel()), (0, 1));
            clients.join().unwrap_or_else(|p| panic::resume_unwind(p));
        });
    }
    // ANCHOR_END: test_deregister

    // ANCHOR: test_connect
    #[test]
    fn connect_waits_for_the_handshake_and_reports_a_refusal() {
        within(10, || {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            // A port that was just closed: nobody listens there.
            let refusing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let nobody = refusing.local_addr().unwrap();
            drop(refusing);
            let mut executor = Executor::new();
            executor.spawn(async move {
                let stream = TcpStream::connect(address).await.unwrap();
                // The handshake is done: the kernel has queued the
                // connection, and a blocking accept returns at once.
                let (mut peer, _) = listener.accept().unwrap();
                peer.write_all(b"hi").unwrap();
                let mut buffer = [0; 2];
                assert_eq!(stream.read(&mut buffer).await.unwrap(), 2);
                assert_eq!(&buffer, b"hi");

                let refused = TcpStream::connect(nobody).await.err();
                let kind = refused.map(|e| e.kind());
                assert_eq!(kind, Some(io::ErrorKind::ConnectionRefused));
                assert_eq!(
                    registered_sources(),
                    1,
                    "the refused socket stayed"
                );
            });
            executor.run();
        });
    }
    // ANCHOR_END: test_connect

    unsafe extern "C" {
        fn listen(fd: c_int, backlog: c_int) -> c_int;
    }

    #[test]
    fn connect_waits_while_the_listener_drops_its_syn() {
        within(20, || {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            // A queue of one: while a connection waits there, the kernel
            // drops new SYNs, and a client sends its SYN again a second
            // later.
            check(unsafe { listen(listener.as_raw_fd(), 0) }).unwrap();
            let _first = std::net::TcpStream::connect(address).unwrap();
            let polls = Rc::new(Cell::new(0));
            let polls_in_task = Rc::clone(&polls);
            let mut executor = Executor::new();
            executor.spawn(async move {
                let connecting = TcpStream::connect(address);
                let stream = counting_polls(connecting, &polls_in_task).await;
                stream.unwrap().write_all(b"second").await.unwrap();
            });
            // Polled after the connect has started: makes room in the queue.
            let listener = Rc::new(listener);
            let acceptor = Rc::clone(&listener);
            executor.spawn(async move { acceptor.accept().unwrap() });
            executor.run();
            assert!(polls.get() > 1, "the connect never had to wait");
            let (mut second, _) = listener.accept().unwrap();
            let mut message = [0; 6];
            second.read_exact(&mut message).unwrap();
            assert_eq!(&message, b"second");
        });
    }

    #[test]
    fn the_kernel_drops_a_socket_only_when_its_last_descriptor_closes() {
        let epoll = Epoll::new().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let original = client(listener.local_addr().unwrap());
        let (mut peer, _) = listener.accept().unwrap();
        let closed = original.as_raw_fd();
        epoll.add(closed, EPOLLIN | EPOLLET, 7).unwrap();
        let copy = original.try_clone().unwrap(); // dup(2)
        drop(original);
        // Still watched, under the number that was closed.
        assert_eq!(interest_list(&epoll), [closed]);
        peer.write_all(b"x").unwrap();
        let mut events = Vec::with_capacity(4);
        let patience = Instant::now() + Duration::from_secs(10);
        while events.is_empty() && Instant::now() < patience {
            epoll
                .wait(&mut events, Some(Duration::from_secs(1)))
                .unwrap();
        }
        let tokens: Vec<u64> = events.iter().map(|e| e.data).collect();
        assert_eq!(tokens, [7], "no event for the closed descriptor");
        drop(copy);
        assert_eq!(interest_list(&epoll), []);
    }

    /// How many timers this thread's reactor holds.
    fn timers_held() -> usize {
        REACTOR.with(|r| r.timers.borrow().len())
    }

    #[test]
    fn a_sleep_holds_one_timer_however_often_it_is_polled() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut nap = Box::pin(sleep(Duration::from_secs(60)));
        for _ in 0..10_000 {
            assert!(nap.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(timers_held(), 1);
        drop(nap);
        assert_eq!(timers_held(), 0, "a dropped sleep left its timer");
    }

    #[test]
    fn a_short_sleep_costs_a_few_waits_not_a_spin() {
        within(10, || {
            let mut executor = Executor::new();
            executor.spawn(async {
                for _ in 0..20 {
                    sleep(Duration::from_micros(2_500)).await;
                }
            });
            let before = EPOLL_WAITS.get();
            executor.run();
            // Two per sleep: one that waits, one with a zero timeout
            // before the woken task is polled.
            let waits = EPOLL_WAITS.get() - before;
            assert!(waits <= 20 * 3, "{waits} waits for 20 sleeps");
        });
    }

    /// Counts the polls of the future it wraps.
    async fn counting_polls<F: Future>(
        future: F,
        polls: &Cell<u32>,
    ) -> F::Output {
        let mut future = std::pin::pin!(future);
        poll_fn(|cx| {
            polls.set(polls.get() + 1);
            future.as_mut().poll(cx)
        })
        .await
    }

    #[test]
    fn a_writer_waits_for_room_and_is_woken_when_there_is_some() {
        const SIZE: usize = 32 << 20; // more than both socket buffers hold
        within(60, || {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            let reader = thread::spawn(move || {
                let mut stream = client(address);
                // Let the writer fill the buffers and wait first.
                thread::sleep(Duration::from_millis(100));
                let mut received = Vec::new();
                stream.read_to_end(&mut received).unwrap();
                received.len()
            });
            let polls = Rc::new(Cell::new(0));
            let polls_in_task = Rc::clone(&polls);
            let mut executor = Executor::new();
            executor.spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let data = vec![7; SIZE];
                counting_polls(stream.write_all(&data), &polls_in_task)
                    .await
                    .unwrap();
            });
            executor.run();
            assert_eq!(reader.join().unwrap(), SIZE);
            assert!(polls.get() > 1, "write_all never had to wait");
        });
    }

    #[test]
    fn sleeping_tasks_finish_in_deadline_order_and_not_early() {
        within(10, || {
            let order = Rc::new(RefCell::new(Vec::new()));
            let executor_started = Instant::now();
            let mut executor = Executor::new();
            for ms in [30, 10, 20] {
                let order = Rc::clone(&order);
                executor.spawn(async move {
                    let start = Instant::now();
                    sleep(Duration::from_millis(ms)).await;
                    assert!(start.elapsed() >= Duration::from_millis(ms));
                    order.borrow_mut().push(ms);
                });
            }
            executor.run();
            assert_eq!(*order.borrow(), [10, 20, 30]);
            assert!(executor_started.elapsed() >= Duration::from_millis(30));
        });
    }

    /// A signal from another thread: `ring` sets it and wakes the task
    /// that waits in `rung`.
    #[derive(Default)]
    struct Doorbell {
        state: Mutex<(bool, Option<Waker>)>,
    }

    impl Doorbell {
        fn ring(&self) {
            let waker = {
                let mut state = self.state.lock().unwrap();
                state.0 = true;
                state.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }

        /// Ready once the bell has rung (and then resets it).
        async fn rung(&self) {
            poll_fn(|cx| {
                let mut state = self.state.lock().unwrap();
                if state.0 {
                    state.0 = false;
                    Poll::Ready(())
                } else {
                    state.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await
        }
    }

    // ANCHOR: test_notify
    #[test]
    fn wakers_on_another_thread_interrupt_epoll_wait() {
        within(20, || {
            let bell = Arc::new(Doorbell::default());
            let answered = Arc::new(Mutex::new(0));
            let (ringer, counter) = (Arc::clone(&bell), Arc::clone(&answered));
            let mut executor = Executor::new();
            // No socket, no timer: only the eventfd can end each wait.
            executor.spawn(async move {
                for _ in 0..1_000 {
                    bell.rung().await;
                    *counter.lock().unwrap() += 1;
                }
            });
            thread::spawn(move || {
                for round in 0..1_000 {
                    ringer.ring();
                    while *answered.lock().unwrap() == round {
                        thread::yield_now();
                    }
                }
            });
            executor.run();
        });
    }
    // ANCHOR_END: test_notify
}
