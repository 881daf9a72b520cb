//! Exercise 25-1: `timeout` on the reactor's timers, added to Listing 25-1
//! (the executor, the reactor and the sockets are those of Listing 25-1).

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
}

/// How many sources this thread's reactor watches (the notifier aside).
pub fn registered_sources() -> usize {
    REACTOR.with(|r| r.sources.borrow().len())
}
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}
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

// ANCHOR: timeout
/// The error of a future that did not finish in time.
#[derive(Debug, PartialEq, Eq)]
pub struct Elapsed;

/// Runs `future` until it finishes or `duration` has passed, whichever
/// comes first.
pub async fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> Result<F::Output, Elapsed> {
    let mut future = std::pin::pin!(future);
    let mut deadline = sleep(duration);
    poll_fn(|cx| {
        // The future first: ready at the last moment still counts.
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        Pin::new(&mut deadline).poll(cx).map(|()| Err(Elapsed))
    })
    .await
}
// ANCHOR_END: timeout

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};

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

    // ANCHOR: test
    #[test]
    fn a_read_from_a_silent_peer_times_out_and_leaves_nothing_behind() {
        within(20, || {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            let silent = std::net::TcpStream::connect(address).unwrap();
            let mut talker = std::net::TcpStream::connect(address).unwrap();
            talker.write_all(b"hi").unwrap();
            let mut executor = Executor::new();
            executor.spawn(async move {
                let mut buffer = [0; 16];
                let (stream, _) = listener.accept().await.unwrap();
                let start = Instant::now();
                let wait = Duration::from_millis(50);
                let read = timeout(wait, stream.read(&mut buffer)).await;
                assert!(read.is_err(), "{read:?}");
                assert!(start.elapsed() >= wait);
                // The listener and the stream; then only the listener.
                assert_eq!(registered_sources(), 2);
                drop(stream);
                assert_eq!(registered_sources(), 1);

                let (stream, _) = listener.accept().await.unwrap();
                let wait = Duration::from_secs(10);
                let read = timeout(wait, stream.read(&mut buffer)).await;
                assert_eq!(read.unwrap().unwrap(), 2);
                assert_eq!(&buffer[..2], b"hi");
            });
            executor.run();
            drop(silent);
        });
    }
    // ANCHOR_END: test

    /// How many timers this thread's reactor holds.
    fn timers_held() -> usize {
        REACTOR.with(|r| r.timers.borrow().len())
    }

    /// Ready on its second poll, having woken its task on the first: each
    /// one makes `timeout` poll its deadline once more.
    async fn yield_now() {
        let mut yielded = false;
        poll_fn(|cx| {
            if yielded {
                return Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await
    }

    #[test]
    fn a_timeout_holds_one_timer_and_gives_it_back_when_it_loses() {
        within(20, || {
            let mut executor = Executor::new();
            executor.spawn(async {
                let busy = async {
                    for _ in 0..10_000 {
                        yield_now().await;
                        assert_eq!(timers_held(), 1);
                    }
                };
                timeout(Duration::from_secs(30), busy).await.unwrap();
                assert_eq!(
                    timers_held(),
                    0,
                    "the deadline outlived its timeout"
                );
            });
            executor.run();
        });
    }
}
