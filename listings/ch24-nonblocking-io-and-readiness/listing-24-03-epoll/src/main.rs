//! Linux's epoll, declared by hand and wrapped in a small safe type, waiting
//! for the one of three sockets that gets data.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: ffi
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
// ANCHOR_END: ffi

// ANCHOR: epoll
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
// ANCHOR_END: epoll

/// Three connected pairs on loopback: (the sockets we read, the peers).
fn three_connections() -> io::Result<(Vec<TcpStream>, Vec<TcpStream>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let (mut ours, mut peers) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        peers.push(TcpStream::connect(listener.local_addr()?)?);
        ours.push(listener.accept()?.0);
    }
    Ok((ours, peers))
}

// ANCHOR: main
fn main() -> io::Result<()> {
    let (mut sockets, mut peers) = three_connections()?;
    let epoll = Epoll::new()?;
    for (index, socket) in sockets.iter().enumerate() {
        socket.set_nonblocking(true)?;
        epoll.add(socket, EPOLLIN, index as u64)?;
    }
    let mut peer = peers.remove(1);
    let start = Instant::now(); // before the sender's sleep begins
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        peer.write_all(b"ping").unwrap();
    });

    // One system call, that sleeps until the kernel has something to say.
    let mut events = [EpollEvent::default(); 8];
    let ready = epoll.wait(&mut events, None)?;
    println!("epoll_wait returned after 50 ms or more: {}", {
        start.elapsed() >= Duration::from_millis(50)
    });
    for event in ready {
        let index = event.token() as usize;
        let mut buf = [0; 16];
        let n = sockets[index].read(&mut buf)?;
        let text = String::from_utf8_lossy(&buf[..n]);
        println!(
            "token {index}: readable {}, read {text:?}",
            event.is_readable()
        );
    }
    sender.join().unwrap();
    Ok(())
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    // ANCHOR: layout
    /// The sizes of <sys/epoll.h>: 12 bytes on x86 (32-bit and 64-bit), 16
    /// on the other common architectures.
    #[test]
    fn epoll_event_has_the_c_layout() {
        let x86 = cfg!(any(target_arch = "x86", target_arch = "x86_64"));
        let expected = if x86 { 12 } else { 16 };
        assert_eq!(size_of::<EpollEvent>(), expected);
    }

    /// The kernel agrees: two events, each with all 64 bits of its token
    /// intact. With the wrong layout, the tokens come back garbled.
    #[test]
    fn the_kernel_returns_every_token_intact() {
        let tokens = [0x0102_0304_0506_0708, 0x1112_1314_1516_1718];
        let epoll = Epoll::new().unwrap();
        let mut peers = Vec::new();
        for token in tokens {
            let (mut writer, reader) = UnixStream::pair().unwrap();
            writer.write_all(b"x").unwrap();
            epoll.add(&reader, EPOLLIN, token).unwrap();
            peers.push((writer, reader));
        }
        let mut events = [EpollEvent::default(); 4];
        let ready = epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
        let mut seen: Vec<u64> = ready.iter().map(EpollEvent::token).collect();
        seen.sort();
        assert_eq!(seen, tokens);
    }
    // ANCHOR_END: layout

    // ANCHOR: errors
    /// A failed call comes back as an `io::Error` made from `errno`.
    #[test]
    fn adding_a_socket_twice_is_an_error_from_errno() {
        let epoll = Epoll::new().unwrap();
        let (_writer, reader) = UnixStream::pair().unwrap();
        epoll.add(&reader, EPOLLIN, 0).unwrap();
        let error = epoll.add(&reader, EPOLLIN, 0).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists); // EEXIST
    }
    // ANCHOR_END: errors

    /// A wait with a timeout and nothing to report returns no events, and
    /// not before the timeout. A timeout under a millisecond is rounded up
    /// to one, not down to zero, which would return at once.
    #[test]
    fn a_wait_with_nothing_ready_times_out() {
        let epoll = Epoll::new().unwrap();
        let (_writer, reader) = UnixStream::pair().unwrap();
        epoll.add(&reader, EPOLLIN, 0).unwrap();
        let mut events = [EpollEvent::default(); 4];
        let one_ms = Duration::from_millis(1);
        for wait in [
            Duration::from_nanos(1),
            Duration::from_micros(500),
            Duration::from_millis(20),
        ] {
            let start = Instant::now();
            assert!(epoll.wait(&mut events, Some(wait)).unwrap().is_empty());
            let took = start.elapsed();
            assert!(took >= wait.max(one_ms), "{wait:?} took {took:?}");
        }
    }

    /// Dropping an `Epoll` closes its descriptor. The kernel lists what an
    /// epoll instance watches in /proc/self/fdinfo, tokens included; another
    /// test may reuse the number at once, but not with this token.
    #[test]
    fn dropping_an_epoll_closes_its_descriptor() {
        let epoll = Epoll::new().unwrap();
        let (_writer, reader) = UnixStream::pair().unwrap();
        epoll.add(&reader, EPOLLIN, 0x5eed_cafe_f00d).unwrap();
        let info = format!("/proc/self/fdinfo/{}", epoll.fd.as_raw_fd());
        let watches_our_socket = || {
            std::fs::read_to_string(&info).is_ok_and(|text| {
                let words: Vec<&str> = text.split_whitespace().collect();
                words.windows(2).any(|w| w == ["data:", "5eedcafef00d"])
            })
        };
        assert!(watches_our_socket(), "{info} does not list the socket");
        drop(epoll);
        assert!(!watches_our_socket(), "{info} is still open");
    }
}
