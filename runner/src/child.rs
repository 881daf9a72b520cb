//! Starting one child process of a job (bubblewrap, or in `--insecure` mode the compiler or the
//! program itself) and waiting for it under a wall-clock limit and an output limit.
//!
//! Between fork and exec the child: marks every inherited descriptor close-on-exec (only its
//! standard streams and bubblewrap's status pipe survive), joins the job's control groups, takes
//! its resource limits, becomes the job's user (as root), asks for SIGKILL when the runner's
//! thread that started it ends, and sets no_new_privs. It gets a process group of its own, which
//! is killed whole at the end.

use crate::cgroup::{self, JobCgroup};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub type Resource = libc::c_int;

/// What the child sets up for itself before it becomes the job's program.
pub struct Setup {
    pub limits: Vec<(Resource, u64)>,
    /// `cgroup.procs` descriptors to write "0" into.
    pub cgroup_fds: Vec<i32>,
    /// A user (and group) id to switch to; as root, each slot has its own.
    pub user: Option<u32>,
}

/// Set once nobody waits for a job's answer any more (its client went away): the job then stops
/// waiting for its turn (`gate`), or its child is killed as on a timeout.
pub struct Abandoned(pub Arc<AtomicBool>);

impl Abandoned {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A child's end, with what it printed (up to the limit).
pub struct Finished {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub overflowed: bool,
    pub elapsed: Duration,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        !self.timed_out && !self.overflowed && self.status.is_some_and(|s| s.success())
    }
}

/// The descriptors bubblewrap is handed: a pipe for its `--info-fd`, through which it tells the
/// process id of the sandbox's first process (its PID namespace lives exactly as long as that
/// process), and a pipe holding the seccomp filter for its `--seccomp`.
pub struct BwrapFds {
    read: OwnedFd,
    write: OwnedFd,
    seccomp: Option<OwnedFd>,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl BwrapFds {
    /// `seccomp`: the filter's bytes (it must fit in a pipe's buffer, 64 KiB).
    pub fn new(seccomp: Option<&[u8]>) -> io::Result<BwrapFds> {
        let (read, write) = pipe()?;
        let seccomp = match seccomp {
            Some(bytes) => {
                let (filter_read, filter_write) = pipe()?;
                std::fs::File::from(filter_write).write_all(bytes)?;
                Some(filter_read)
            }
            None => None,
        };
        Ok(BwrapFds {
            read,
            write,
            seccomp,
        })
    }

    /// The descriptor number bubblewrap writes its status to.
    pub fn info_fd(&self) -> i32 {
        self.write.as_raw_fd()
    }

    /// The descriptor number bubblewrap reads the seccomp filter from.
    pub fn seccomp_fd(&self) -> Option<i32> {
        self.seccomp.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// The descriptors that must survive into bubblewrap.
    fn keep(&self) -> Vec<i32> {
        let mut keep = vec![self.info_fd()];
        keep.extend(self.seccomp_fd());
        keep
    }
}

/// Runs `command` set up as `setup` says, with output captured up to `max_output` bytes and a
/// wall-clock limit. On either limit, and in any case at the end, it kills the child's process
/// group, every process left in the job's control group, and waits until the sandbox's PID
/// namespace (when `info` is given) is gone, so nothing of the job outlives this call.
pub fn run_limited(
    mut command: Command,
    setup: Setup,
    info: Option<BwrapFds>,
    cgroup: Option<&JobCgroup>,
    timeout: Duration,
    max_output: usize,
    abandoned: &Abandoned,
) -> io::Result<Finished> {
    let keep = info.as_ref().map(BwrapFds::keep).unwrap_or_default();
    prepare(&mut command, setup, keep);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn()?;
    let group = child.id() as i32;
    // The child holds the write end now; reading the status ends when bubblewrap closes it.
    let sandbox_init = info.map(|pipe| {
        drop(pipe.write);
        drop(pipe.seccomp);
        let (send, receive) = mpsc::channel();
        let mut read = std::fs::File::from(pipe.read);
        thread::spawn(move || {
            let mut text = String::new();
            let _ = read.read_to_string(&mut text);
            let _ = send.send(parse_child_pid(&text));
        });
        receive
    });

    let captured = Arc::new(Mutex::new(Captured::default()));
    let (done, readers_done) = mpsc::channel();
    let pipes: [(Option<Box<dyn Read + Send>>, bool); 2] = [
        (child.stdout.take().map(|p| Box::new(p) as _), true),
        (child.stderr.take().map(|p| Box::new(p) as _), false),
    ];
    for (pipe, is_stdout) in pipes {
        let Some(mut pipe) = pipe else { continue };
        let captured = Arc::clone(&captured);
        let done = done.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut c = captured.lock().unwrap_or_else(|e| e.into_inner());
                let room = max_output.saturating_sub(c.total);
                let take = room.min(n);
                c.total += take;
                let target = if is_stdout {
                    &mut c.stdout
                } else {
                    &mut c.stderr
                };
                target.extend_from_slice(&buf[..take]);
                if n > room {
                    c.overflowed = true;
                }
            }
            let _ = done.send(());
        });
    }
    drop(done);

    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let overflowed = captured
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .overflowed;
        timed_out = start.elapsed() > timeout;
        if overflowed || timed_out || abandoned.is_set() {
            kill_group(group);
            break child.wait().ok();
        }
        thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();

    // Whatever the job left behind goes too: its group, its control group, its PID namespace.
    kill_group(group);
    if let Some(cgroup) = cgroup {
        cgroup.kill_all();
    }
    if let Some(init) = sandbox_init.and_then(|r| r.recv_timeout(Duration::from_secs(5)).ok()) {
        wait_for_exit(init, Duration::from_secs(5));
    }
    for _ in 0..2 {
        if readers_done.recv_timeout(Duration::from_secs(1)).is_err() {
            break;
        }
    }
    let mut c = captured.lock().unwrap_or_else(|e| e.into_inner());
    Ok(Finished {
        status,
        stdout: std::mem::take(&mut c.stdout),
        stderr: std::mem::take(&mut c.stderr),
        timed_out,
        overflowed: c.overflowed,
        elapsed,
    })
}

fn parse_child_pid(text: &str) -> Option<i32> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    i32::try_from(value.get("child-pid")?.as_i64()?).ok()
}

/// Waits until process `pid` has ended. When the first process of a PID namespace ends, the
/// kernel kills every other process in it and waits for them before it reports that end.
fn wait_for_exit(pid: Option<i32>, patience: Duration) {
    let Some(pid) = pid else { return };
    // SAFETY: pidfd_open takes a pid and flags; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if fd < 0 {
        return; // already gone (ESRCH)
    }
    // SAFETY: `fd` was just returned by pidfd_open and is owned here.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // It may still be running if it escaped the process group (it is in a new session):
    // SIGKILL it, which ends the whole namespace.
    // SAFETY: pidfd_send_signal on our own pidfd; no memory is passed.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            libc::SIGKILL,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = i32::try_from(patience.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut poll, 1, millis) };
}

/// The work between fork and exec (see the module's comment). `keep` are the descriptors that
/// must survive exec (bubblewrap's status and seccomp pipes).
fn prepare(command: &mut Command, setup: Setup, keep: Vec<i32>) {
    command.process_group(0);
    let parent = std::process::id() as i32;
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe functions
    // (syscall, fcntl, write, setrlimit, setgroups, setgid, setuid, prctl, getppid); it
    // allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // Descriptors the runner inherited without close-on-exec must not reach the job.
            const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) != 0 {
                return Err(io::Error::last_os_error());
            }
            for &fd in &keep {
                if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            cgroup::join_in_child(&setup.cgroup_fds)?;
            for &(resource, value) in &setup.limits {
                let limit = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            if let Some(id) = setup.user
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(id) != 0
                    || libc::setuid(id) != 0)
            {
                return Err(io::Error::last_os_error());
            }
            // After the change of user, which clears it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0
                || libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                // The runner ended before the request was made.
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[derive(Default)]
struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    total: usize,
    overflowed: bool,
}

fn kill_group(group: i32) {
    // SAFETY: sends a signal to a process group this runner created; touches no memory.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}
