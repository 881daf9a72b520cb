//! Compiling and running one piece of code: a temporary folder of its own (removed afterwards),
//! rustc with the book's prebuilt crates, then the program under limits on time, memory,
//! processes, output and file size, and, where the machine allows, with no network, in a PID
//! namespace of its own and as the user `nobody`.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// The user and group a program runs as when the runner is root.
const NOBODY: u32 = 65534;

/// How much of rustc's messages is kept.
const MAX_COMPILER_OUTPUT: usize = 256 * 1024;

/// rustc's own address-space limit (it is trusted, but a pathological program can make it grow).
const COMPILER_MEMORY: u64 = 4 << 30;

pub struct Limits {
    pub compile_timeout: Duration,
    pub run_timeout: Duration,
    /// Bytes of stdout and stderr together.
    pub max_output: usize,
    /// Bytes of address space (RLIMIT_AS).
    pub memory: u64,
    /// Processes and threads (RLIMIT_NPROC).
    pub processes: u64,
    /// The largest file the program may write (RLIMIT_FSIZE).
    pub file_size: u64,
}

/// How a program is kept away from the network and the rest of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// Root: `unshare` gives it no network and a PID namespace, and it runs as `nobody`.
    RootNamespaces,
    /// Not root: the same namespaces through an unprivileged user namespace.
    UserNamespaces,
    /// Root without namespaces: it runs as `nobody` but shares the machine's network.
    NobodyOnly,
    /// Only the rlimits and its process group: it shares the network and runs as this user.
    LimitsOnly,
}

impl Isolation {
    /// Finds the strongest isolation this machine allows by trying it once (without
    /// namespaces if `namespaces` is false).
    pub fn detect(namespaces: bool) -> Self {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let works = |args: &[&str]| {
            namespaces
                && Command::new("unshare")
                    .args(args)
                    .arg("--")
                    .arg("/bin/true")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
        };
        if root {
            if works(&Self::unshare_args(Self::RootNamespaces)) {
                Self::RootNamespaces
            } else {
                Self::NobodyOnly
            }
        } else if works(&Self::unshare_args(Self::UserNamespaces)) {
            Self::UserNamespaces
        } else {
            Self::LimitsOnly
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::RootNamespaces => "no network, own PID namespace, user nobody",
            Self::UserNamespaces => "no network, own PID namespace (user namespace)",
            Self::NobodyOnly => "user nobody; NOT cut off from the network (no namespaces)",
            Self::LimitsOnly => {
                "NOT cut off from the network and running as this user (no namespaces here)"
            }
        }
    }

    fn unshare_args(self) -> Vec<&'static str> {
        let nobody = ["--setuid", "65534", "--setgid", "65534"];
        let mut args = vec!["--net", "--pid", "--fork", "--kill-child"];
        match self {
            Self::RootNamespaces => args.extend(nobody),
            Self::UserNamespaces => args.insert(0, "--user"),
            Self::NobodyOnly | Self::LimitsOnly => args.clear(),
        }
        args
    }

    fn as_nobody(self) -> bool {
        matches!(self, Self::RootNamespaces | Self::NobodyOnly)
    }

    /// A program that runs as `nobody` must reach its folder under `temp`: every folder above
    /// it must let others through (o+x). Says which one does not, so the runner can refuse to
    /// start rather than fail every run with "Permission denied".
    pub fn check_temp_dir(self, temp: &Path) -> Result<(), String> {
        if !self.as_nobody() {
            return Ok(());
        }
        for folder in temp.ancestors() {
            let mode = std::fs::metadata(folder)
                .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
                .permissions()
                .mode();
            if mode & 0o001 == 0 {
                return Err(format!(
                    "programs run as user nobody, who cannot pass through {} (mode {:o}); \
                     set TMPDIR to a folder all users can reach, such as /tmp",
                    folder.display(),
                    mode & 0o777
                ));
            }
        }
        Ok(())
    }
}

pub struct Sandbox {
    rustc: PathBuf,
    /// `(crate name, rlib)` for each crate the code may name with `extern crate`.
    externs: Vec<(String, PathBuf)>,
    deps: Option<PathBuf>,
    limits: Limits,
    isolation: Isolation,
    path_env: OsString,
}

pub struct Job<'a> {
    pub code: &'a str,
    /// "2015", "2018", "2021" or "2024".
    pub edition: &'a str,
    pub release: bool,
    /// Build the test harness (`rustc --test`) instead of `main`.
    pub tests: bool,
}

/// What happened, in the playground's terms.
pub struct Outcome {
    pub success: bool,
    pub stdout: String,
    /// The compiler's messages, then the program's stderr, then any note from the runner.
    pub stderr: String,
    pub compile_time: Duration,
    pub run_time: Option<Duration>,
}

impl Sandbox {
    pub fn new(
        rustc: PathBuf,
        deps: Option<PathBuf>,
        externs: Vec<(String, PathBuf)>,
        limits: Limits,
        isolation: Isolation,
    ) -> Self {
        Sandbox {
            rustc,
            externs,
            deps,
            limits,
            isolation,
            path_env: std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        }
    }

    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn evaluate(&self, job: &Job) -> io::Result<Outcome> {
        let dir = TempDir::new()?;
        std::fs::create_dir(dir.path().join("src"))?;
        std::fs::write(dir.path().join("src/main.rs"), job.code)?;

        let compiled = self.compile(job, dir.path())?;
        let mut compiler_messages = compiled.stderr_text();
        if compiled.timed_out {
            note(
                &mut compiler_messages,
                &format!(
                    "compiling took longer than {} s and was stopped.",
                    self.limits.compile_timeout.as_secs()
                ),
            );
        }
        if !compiled.succeeded() {
            return Ok(Outcome {
                success: false,
                stdout: String::new(),
                stderr: compiler_messages,
                compile_time: compiled.elapsed,
                run_time: None,
            });
        }

        let ran = self.run(dir.path())?;
        let mut stderr = compiler_messages;
        stderr.push_str(&ran.stderr_text());
        if ran.timed_out {
            note(
                &mut stderr,
                &format!(
                    "the program ran for longer than {} s and was stopped.",
                    self.limits.run_timeout.as_secs()
                ),
            );
        } else if ran.overflowed {
            note(
                &mut stderr,
                &format!(
                    "the program printed more than {} KiB, so it was stopped; its output is cut there.",
                    self.limits.max_output / 1024
                ),
            );
        } else if let Some(signal) = ran.status.and_then(|s| s.signal()) {
            // In its own PID namespace the program is process 1, which the kernel does not let
            // kill itself with SIGABRT: abort() then ends in SIGSEGV. Name the likely cause.
            let text = if stderr.contains("memory allocation of") {
                format!(
                    "the program ran out of memory (the runner allows {} MiB of address space).",
                    self.limits.memory >> 20
                )
            } else {
                format!(
                    "the program was killed by signal {signal} ({}).",
                    signal_name(signal)
                )
            };
            note(&mut stderr, &text);
        }
        Ok(Outcome {
            success: ran.succeeded(),
            stdout: String::from_utf8_lossy(&ran.stdout).into_owned(),
            stderr,
            compile_time: compiled.elapsed,
            run_time: Some(ran.elapsed),
        })
    }

    fn compile(&self, job: &Job, dir: &Path) -> io::Result<Finished> {
        let opt_level = if job.release {
            "opt-level=3"
        } else {
            "opt-level=0"
        };
        let mut rustc = Command::new(&self.rustc);
        rustc
            .current_dir(dir)
            .env_clear()
            .env("PATH", &self.path_env)
            .env("TMPDIR", dir)
            .args(["--edition", job.edition, "--crate-name", "playground"])
            .args(["--crate-type", "bin", "--color", "never"])
            .args(["-C", "debuginfo=0", "-C", opt_level])
            .args(["-o", "playground", "src/main.rs"]);
        if job.tests {
            rustc.arg("--test");
        }
        if let Some(deps) = &self.deps {
            let mut search = OsString::from("dependency=");
            search.push(deps);
            rustc.arg("-L").arg(search);
        }
        for (name, rlib) in &self.externs {
            let mut extern_arg = OsString::from(format!("{name}="));
            extern_arg.push(rlib);
            rustc.arg("--extern").arg(extern_arg);
        }
        let limits = [(libc::RLIMIT_AS, COMPILER_MEMORY), (libc::RLIMIT_CORE, 0)];
        set_up_child(&mut rustc, limits.to_vec(), false);
        run_limited(rustc, self.limits.compile_timeout, MAX_COMPILER_OUTPUT)
    }

    fn run(&self, dir: &Path) -> io::Result<Finished> {
        let work = dir.join("work");
        std::fs::create_dir(&work)?;
        let as_nobody = self.isolation.as_nobody();
        if as_nobody {
            // `nobody` must reach the binary and own its working folder.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711))?;
            std::os::unix::fs::chown(&work, Some(NOBODY), Some(NOBODY))?;
        }
        let binary = dir.join("playground");
        let unshare = Isolation::unshare_args(self.isolation);
        let mut program = if unshare.is_empty() {
            Command::new(&binary)
        } else {
            let mut command = Command::new("unshare");
            command.args(unshare).arg("--").arg(&binary);
            command
        };
        program
            .current_dir(&work)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &work)
            .env("TMPDIR", &work)
            .env("RUST_BACKTRACE", "0");
        let processes = if as_nobody {
            self.limits.processes
        } else {
            // RLIMIT_NPROC counts every task of the user, so leave room for those that exist.
            tasks_of_user(current_uid()) + self.limits.processes
        };
        let limits = vec![
            (libc::RLIMIT_AS, self.limits.memory),
            (libc::RLIMIT_NPROC, processes),
            (libc::RLIMIT_FSIZE, self.limits.file_size),
            (libc::RLIMIT_CORE, 0),
            (libc::RLIMIT_NOFILE, 1024),
            // A backstop should the wall-clock timeout ever fail to fire.
            (libc::RLIMIT_CPU, 4 * self.limits.run_timeout.as_secs() + 10),
        ];
        let drop_to_nobody = self.isolation == Isolation::NobodyOnly;
        set_up_child(&mut program, limits, drop_to_nobody);
        run_limited(program, self.limits.run_timeout, self.limits.max_output)
    }
}

fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() }
}

/// Appends one line from the runner to a program's stderr.
fn note(stderr: &mut String, text: &str) {
    if !stderr.is_empty() && !stderr.ends_with('\n') {
        stderr.push('\n');
    }
    stderr.push_str("local runner: ");
    stderr.push_str(text);
    stderr.push('\n');
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGXCPU => "SIGXCPU, the CPU-time limit",
        libc::SIGXFSZ => "SIGXFSZ, the file-size limit",
        _ => "a signal",
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

/// Limits, a process group of its own, and (on Linux) death with the runner's thread that
/// started it.
fn set_up_child(command: &mut Command, limits: Vec<(Resource, u64)>, nobody: bool) {
    command.process_group(0);
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (prctl, setrlimit, setgroups, setgid, setuid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            for &(resource, value) in &limits {
                let limit = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            if nobody
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(NOBODY) != 0
                    || libc::setuid(NOBODY) != 0)
            {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The number of tasks (processes and threads) whose real user is `uid`.
fn tasks_of_user(uid: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut tasks = 0;
    for entry in entries.flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            tasks += field("Threads:").unwrap_or(1);
        }
    }
    tasks
}

/// A child's end, with what it printed (up to the limit).
struct Finished {
    status: Option<ExitStatus>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    timed_out: bool,
    overflowed: bool,
    elapsed: Duration,
}

impl Finished {
    fn succeeded(&self) -> bool {
        !self.timed_out && !self.overflowed && self.status.is_some_and(|s| s.success())
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

#[derive(Default)]
struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    total: usize,
    overflowed: bool,
}

/// Runs a command with its output captured up to `max_output` bytes and a wall-clock limit; on
/// either limit it kills the command's whole process group.
fn run_limited(mut command: Command, timeout: Duration, max_output: usize) -> io::Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn()?;
    let group = child.id() as i32;
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
        if overflowed || timed_out {
            kill_group(group);
            break child.wait().ok();
        }
        thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    // Whatever the program left behind in its group goes too; then the pipes close.
    kill_group(group);
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

fn kill_group(group: i32) {
    // SAFETY: sends a signal to a process group this runner created; touches no memory.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// A folder of its own for one job, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("futures-book-runner-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
                    return Ok(TempDir(path));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
