//! Level-triggered and edge-triggered epoll, watching the same socket side by
//! side: which waits report it, after a partial read and after new data.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

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

// ANCHOR: main
/// Asks both epoll instances, without waiting, whether the socket is ready.
fn report(what: &str, level: &Epoll, edge: &Epoll) -> io::Result<()> {
    let mut events = [EpollEvent::default(); 1];
    let mut say = |epoll: &Epoll| -> io::Result<&str> {
        let ready = epoll.wait(&mut events, Some(Duration::ZERO))?;
        Ok(if ready.is_empty() { "-" } else { "readable" })
    };
    let (l, e) = (say(level)?, say(edge)?);
    println!("{what:<32} {l:<10} {e}");
    Ok(())
}

fn main() -> io::Result<()> {
    // A Unix socket pair: a write is in the other end's queue by the time
    // `write` returns, so what each wait sees does not depend on timing.
    let (mut writer, mut reader) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    let level = Epoll::new()?;
    level.add(&reader, EPOLLIN, 0)?;
    let edge = Epoll::new()?;
    edge.add(&reader, EPOLLIN | EPOLLET, 0)?;

    println!("{:<32} level      edge", "");
    report("nothing sent", &level, &edge)?;
    writer.write_all(b"first ")?;
    writer.write_all(b"second ")?;
    report("two chunks sent (13 bytes)", &level, &edge)?;
    report("asked again", &level, &edge)?;
    let mut buf = [0; 4];
    reader.read_exact(&mut buf)?;
    report("read 4 bytes, 9 left", &level, &edge)?;
    writer.write_all(b"third")?;
    report("a third chunk sent", &level, &edge)?;
    let mut rest = Vec::new();
    let error = reader.read_to_end(&mut rest).unwrap_err();
    report(
        &format!("read {} bytes, then {:?}", rest.len(), error.kind()),
        &level,
        &edge,
    )?;
    Ok(())
}
// ANCHOR_END: main
