//! Compiling and running one piece of code, both inside a bubblewrap sandbox of their own.
//!
//! Each job gets a folder (`state::JobFolder`), a control group (`cgroup`), and two sandboxes:
//!
//! - **compile**: the sysroot at /rust and the book's crates at /deps (both read-only), the job's
//!   folder at /job (source in, program out), the system's programs and libraries read-only (the
//!   linker needs them), a private /tmp of bounded size;
//! - **run**: the compiled program at /playground (read-only), a private, bounded /work (its
//!   current folder), /tmp and /dev/shm, the system's programs and libraries read-only.
//!
//! Both have their own mount, PID, network, IPC, UTS and user namespaces, no capabilities,
//! no_new_privs, a new session, die with the runner, and see only their own /proc. Inside, the
//! user is 65534 (nobody); outside, as root, each slot is a user of its own
//! ([`UID_BASE`] + slot) that owns nothing on the machine, and as another user it is that user,
//! reduced to the folders above. In `--insecure` mode there is no sandbox: rustc and the
//! program run as the runner's user with the same limits.

use crate::cgroup::{CgroupLimits, Cgroups, JobCgroup};
use crate::child::{self, Abandoned, BwrapFds, Finished, Resource, Setup};
use crate::state::{JobFolder, State};
use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// As root, the job in slot N of the runner with process id P runs as user
/// `UID_BASE + (P mod 65536) * 64 + N`, a user id no account has (slots are at most 64), so no
/// two jobs of any runners share one (unless two runners' ids agree modulo 65536).
pub const UID_BASE: u32 = 0x5EED_0000;

/// How much of rustc's messages is kept.
const MAX_COMPILER_OUTPUT: usize = 256 * 1024;
/// The compiler's memory (its whole job, linker included) and processes.
const COMPILER_MEMORY: u64 = 2 << 30;
const COMPILER_PROCESSES: u64 = 128;
/// The largest file the compiler may write (the program).
const COMPILER_FILE_SIZE: u64 = 256 << 20;
/// Sizes of the private tmpfs folders.
const COMPILER_TMP: u64 = 256 << 20;
const PROGRAM_TMP: u64 = 64 << 20;

pub struct Limits {
    pub compile_timeout: Duration,
    pub run_timeout: Duration,
    /// Bytes of stdout and stderr together.
    pub max_output: usize,
    /// Bytes of memory of a run, all its processes together (per process where there are no
    /// control groups).
    pub memory: u64,
    /// Processes and threads of a run.
    pub processes: u64,
    /// The largest file a program may write.
    pub file_size: u64,
}

pub enum Mode {
    /// Compile and run in bubblewrap (`bwrap` is its path), with this seccomp filter (see
    /// `seccomp`) where there is one.
    Sandboxed {
        bwrap: PathBuf,
        seccomp: Option<Vec<u8>>,
    },
    /// No sandbox: `--insecure`.
    Insecure,
}

pub struct Sandbox {
    pub mode: Mode,
    /// The sysroot's rustc (as the runner sees it).
    rustc_outside: PathBuf,
    /// The C compiler that links, resolved (Debian's `cc` is a link through /etc/alternatives,
    /// which the sandbox does not have).
    linker: PathBuf,
    /// `(crate name, file name of its rlib in the deps folder)`.
    externs: Vec<(String, String)>,
    limits: Limits,
    pub state: State,
    pub cgroups: Cgroups,
    /// Root: jobs run as users of their own.
    as_root: bool,
    next_job: AtomicU64,
}

pub struct Job<'a> {
    pub code: &'a str,
    /// "2015", "2018", "2021" or "2024".
    pub edition: &'a str,
    pub release: bool,
    /// Build the test harness (`rustc --test`) instead of `main`.
    pub tests: bool,
    /// Set when its client went away: the job is stopped.
    pub abandoned: &'a Abandoned,
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

/// Where things are inside the compile sandbox.
const IN_RUST: &str = "/rust";
const IN_DEPS: &str = "/deps";
const IN_JOB: &str = "/job";

enum Stage<'a> {
    Compile { folder: &'a Path },
    Run { program: &'a Path },
}

impl Sandbox {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mode: Mode,
        rustc: PathBuf,
        linker: PathBuf,
        externs: Vec<(String, String)>,
        limits: Limits,
        state: State,
        cgroups: Cgroups,
        as_root: bool,
    ) -> Self {
        Sandbox {
            mode,
            rustc_outside: rustc,
            linker,
            externs,
            limits,
            state,
            cgroups,
            as_root,
            next_job: AtomicU64::new(0),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn insecure(&self) -> bool {
        matches!(self.mode, Mode::Insecure)
    }

    /// One line on what protects this machine from the code, and what the limits are.
    pub fn describe(&self) -> String {
        let who = match (&self.mode, self.as_root) {
            (Mode::Insecure, _) => {
                return format!(
                    "INSECURE: no sandbox; code compiles and runs as this runner's user with \
                     only limits ({})",
                    self.describe_limits()
                );
            }
            (Mode::Sandboxed { .. }, true) => "a user of its own per slot (no account)",
            (Mode::Sandboxed { .. }, false) => "this runner's user, seeing only the sandbox",
        };
        let seccomp = match &self.mode {
            Mode::Sandboxed {
                seccomp: Some(_), ..
            } => "a seccomp filter",
            _ => "NO seccomp filter (none for this processor)",
        };
        format!(
            "bubblewrap sandbox for compiling and running: own mount, PID, network, IPC and user \
             namespaces, no capabilities, no_new_privs, {seccomp}; user nobody inside, {who} \
             outside; {}",
            self.describe_limits()
        )
    }

    fn describe_limits(&self) -> String {
        if self.cgroups.available() {
            format!("limits per job: {}", self.cgroups.note)
        } else {
            format!(
                "{}; so (--allow-no-cgroups) one job at a time, memory limited per process \
                 (address space {} MiB each, so a job of several processes may hold more) and \
                 processes per user ({} beyond this user's own)",
                self.cgroups.note,
                self.address_space() >> 20,
                self.limits.processes
            )
        }
    }

    /// The address-space limit of each process of a program: room for threads' reservations
    /// where a control group holds the real limit, the limit itself where none does.
    fn address_space(&self) -> u64 {
        if self.cgroups.available() {
            (4 * self.limits.memory).max(1 << 30)
        } else {
            self.limits.memory
        }
    }

    /// Checks that the sandbox works here by compiling nothing: `rustc --version` in the compile
    /// sandbox and `/bin/true` in the run sandbox. Says what went wrong otherwise.
    pub fn check(&self) -> Result<(), String> {
        let never = Abandoned(Default::default());
        let folder = JobFolder::create(&self.state, "check", self.job_user(0))
            .map_err(|e| format!("cannot create a job folder: {e}"))?;
        let mut compile = self.command(Stage::Compile {
            folder: folder.path(),
        });
        let rustc = match &self.mode {
            Mode::Sandboxed { .. } => PathBuf::from(IN_RUST).join("bin/rustc"),
            Mode::Insecure => self.rustc_outside.clone(),
        };
        compile.0.arg(rustc).arg("--version");
        let finished = self
            .finish(
                compile,
                None,
                0,
                COMPILER_PROCESSES,
                false,
                20,
                4096,
                &never,
            )
            .map_err(|e| format!("cannot start bubblewrap: {e}"))?;
        if !finished.succeeded() {
            return Err(format!(
                "the compile sandbox does not work: {}",
                String::from_utf8_lossy(&finished.stderr).trim()
            ));
        }
        let mut run = self.command(Stage::Run {
            program: Path::new("/usr/bin/true"),
        });
        run.0.arg(match self.mode {
            Mode::Sandboxed { .. } => "/playground",
            Mode::Insecure => "/usr/bin/true",
        });
        let finished = self
            .finish(run, None, 0, 16, true, 20, 4096, &never)
            .map_err(|e| format!("cannot start bubblewrap: {e}"))?;
        if !finished.succeeded() {
            return Err(format!(
                "the run sandbox does not work: {}",
                String::from_utf8_lossy(&finished.stderr).trim()
            ));
        }
        Ok(())
    }

    /// Compiles and runs one job in `slot` (see `gate`).
    pub fn evaluate(&self, job: &Job, slot: usize) -> io::Result<Outcome> {
        let number = self.next_job.fetch_add(1, Ordering::Relaxed);
        let name = format!("job-{number}");
        let folder = JobFolder::create(&self.state, &name, self.job_user(slot))?;
        std::fs::write(folder.path().join("main.rs"), job.code)?;
        if let Some(uid) = self.job_user(slot) {
            std::os::unix::fs::chown(folder.path().join("main.rs"), Some(uid), Some(uid))?;
        }

        let cgroup = self.cgroups.job(
            &format!("{name}-compile"),
            &CgroupLimits {
                memory: COMPILER_MEMORY,
                processes: COMPILER_PROCESSES,
            },
        )?;
        let compiled = self.compile(job, folder.path(), slot, cgroup.as_ref())?;
        let compiler_out_of_memory = cgroup.as_ref().is_some_and(JobCgroup::ran_out_of_memory);
        drop(cgroup);
        let mut compiler_messages = String::from_utf8_lossy(&compiled.stderr).into_owned();
        if compiled.timed_out {
            note(
                &mut compiler_messages,
                &format!(
                    "compiling took longer than {} s and was stopped.",
                    self.limits.compile_timeout.as_secs()
                ),
            );
        } else if compiler_out_of_memory {
            note(
                &mut compiler_messages,
                &format!(
                    "the compiler ran out of memory (the runner allows it {} MiB) and was stopped.",
                    COMPILER_MEMORY >> 20
                ),
            );
        } else if let Some(signal) = self.death_signal(compiled.status) {
            note(
                &mut compiler_messages,
                &format!(
                    "the compiler was killed by signal {signal} ({}).",
                    signal_name(signal)
                ),
            );
        }
        if !compiled.succeeded() || job.abandoned.is_set() {
            return Ok(Outcome {
                success: false,
                stdout: String::new(),
                stderr: compiler_messages,
                compile_time: compiled.elapsed,
                run_time: None,
            });
        }

        let cgroup = self.cgroups.job(
            &format!("{name}-run"),
            &CgroupLimits {
                memory: self.limits.memory,
                processes: self.limits.processes,
            },
        )?;
        let program = folder.path().join("playground");
        let mut run = self.command(Stage::Run { program: &program });
        run.0.arg(match self.mode {
            Mode::Sandboxed { .. } => Path::new("/playground"),
            Mode::Insecure => &program,
        });
        let ran = self.finish(
            run,
            cgroup.as_ref(),
            slot,
            self.limits.processes,
            true,
            self.limits.run_timeout.as_secs(),
            self.limits.max_output,
            job.abandoned,
        )?;
        let out_of_memory = cgroup.as_ref().is_some_and(JobCgroup::ran_out_of_memory);
        drop(cgroup);
        let mut stderr = compiler_messages;
        stderr.push_str(&String::from_utf8_lossy(&ran.stderr));
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
        } else if out_of_memory || stderr.contains("memory allocation of") {
            note(
                &mut stderr,
                &format!(
                    "the program ran out of memory (the runner allows {} MiB).",
                    self.limits.memory >> 20
                ),
            );
        } else if let Some(signal) = self.death_signal(ran.status) {
            note(
                &mut stderr,
                &format!(
                    "the program was killed by signal {signal} ({}).",
                    signal_name(signal)
                ),
            );
        }
        Ok(Outcome {
            success: ran.succeeded(),
            stdout: String::from_utf8_lossy(&ran.stdout).into_owned(),
            stderr,
            compile_time: compiled.elapsed,
            run_time: Some(ran.elapsed),
        })
    }

    /// The signal that ended a compiler or a program, if one did. In the sandbox the runner
    /// waits for bubblewrap, which reports its child's death by signal N as exit status
    /// 128 + N (as a shell does), so such a status is read as that signal (a program that
    /// exits with 139 of its own accord is read as a segfault too).
    fn death_signal(&self, status: Option<std::process::ExitStatus>) -> Option<i32> {
        let status = status?;
        if let Some(signal) = status.signal() {
            return Some(signal);
        }
        match (&self.mode, status.code()) {
            (Mode::Sandboxed { .. }, Some(code)) if (129..=128 + 64).contains(&code) => {
                Some(code - 128)
            }
            _ => None,
        }
    }

    /// As root, the user a job in `slot` runs as.
    fn job_user(&self, slot: usize) -> Option<u32> {
        let runner = std::process::id() % 65536;
        (self.as_root && !self.insecure()).then(|| UID_BASE + runner * 64 + slot as u32)
    }

    fn compile(
        &self,
        job: &Job,
        folder: &Path,
        slot: usize,
        cgroup: Option<&JobCgroup>,
    ) -> io::Result<Finished> {
        let (rustc, dir, deps) = match &self.mode {
            Mode::Sandboxed { .. } => (
                PathBuf::from(IN_RUST).join("bin/rustc"),
                PathBuf::from(IN_JOB),
                self.state.deps.as_ref().map(|_| PathBuf::from(IN_DEPS)),
            ),
            Mode::Insecure => (
                self.rustc_outside.clone(),
                folder.to_path_buf(),
                self.state.deps.clone(),
            ),
        };
        let mut command = self.command(Stage::Compile { folder });
        let opt_level = if job.release { "3" } else { "0" };
        command
            .0
            .arg(rustc)
            .args(["--edition", job.edition, "--crate-name", "playground"])
            .args(["--crate-type", "bin", "--color", "never"])
            .args(["-C", "debuginfo=0", "-C"])
            .arg(format!("opt-level={opt_level}"))
            .arg("-C")
            .arg(join("linker=", &self.linker))
            .arg("-o")
            .arg(dir.join("playground"))
            .arg(dir.join("main.rs"));
        if job.tests {
            command.0.arg("--test");
        }
        if let Some(deps) = &deps {
            command.0.arg("-L").arg(join("dependency=", deps));
            for (name, rlib) in &self.externs {
                command
                    .0
                    .arg("--extern")
                    .arg(join(&format!("{name}="), &deps.join(rlib)));
            }
        }
        self.finish(
            command,
            cgroup,
            slot,
            COMPILER_PROCESSES,
            false,
            self.limits.compile_timeout.as_secs(),
            MAX_COMPILER_OUTPUT,
            job.abandoned,
        )
    }

    /// Runs a command made by `command` (to which the program and its arguments were added)
    /// under the limits of a compile (`program` false) or a run.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        (command, info): (Command, Option<BwrapFds>),
        cgroup: Option<&JobCgroup>,
        slot: usize,
        processes: u64,
        program: bool,
        timeout_secs: u64,
        max_output: usize,
        abandoned: &Abandoned,
    ) -> io::Result<Finished> {
        let processes = if self.job_user(slot).is_some() {
            processes
        } else {
            // RLIMIT_NPROC counts every task of the user, so leave room for those that exist.
            tasks_of_user(current_uid()) + processes
        };
        let mut limits: Vec<(Resource, u64)> = vec![
            (libc::RLIMIT_CORE, 0),
            (libc::RLIMIT_NOFILE, 1024.min(fd_hard_limit())),
            (libc::RLIMIT_NPROC, processes),
            // A backstop should the wall-clock limit ever fail to fire.
            (libc::RLIMIT_CPU, 4 * timeout_secs + 10),
        ];
        if program {
            limits.push((libc::RLIMIT_FSIZE, self.limits.file_size));
            limits.push((libc::RLIMIT_AS, self.address_space()));
        } else {
            limits.push((libc::RLIMIT_FSIZE, COMPILER_FILE_SIZE));
            if cgroup.is_none() {
                limits.push((libc::RLIMIT_AS, 2 * COMPILER_MEMORY));
            }
        }
        let setup = Setup {
            limits,
            cgroup_fds: cgroup.map(JobCgroup::join_fds).unwrap_or_default(),
            user: self.job_user(slot),
        };
        child::run_limited(
            command,
            setup,
            info,
            cgroup,
            Duration::from_secs(timeout_secs),
            max_output,
            abandoned,
        )
    }

    /// The start of a command for `stage`: bubblewrap with its mounts, up to the `--` after
    /// which the program goes; in insecure mode a plain command in the job's folder.
    fn command(&self, stage: Stage) -> (Command, Option<BwrapFds>) {
        let Mode::Sandboxed { bwrap, seccomp } = &self.mode else {
            let mut command = ProgramCommand::default();
            let dir = match stage {
                Stage::Compile { folder } => folder.to_path_buf(),
                Stage::Run { program } => program.parent().unwrap_or(Path::new("/")).into(),
            };
            command.dir = Some(dir);
            return (command.into_command(), None);
        };
        let info = BwrapFds::new(seccomp.as_deref()).ok();
        let mut command = Command::new(bwrap);
        command.current_dir("/").env_clear();
        command.args([
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--uid",
            "65534",
            "--gid",
            "65534",
            "--hostname",
            "playground",
            "--clearenv",
            "--setenv",
            "PATH",
            "/usr/local/bin:/usr/bin:/bin",
            "--setenv",
            "TMPDIR",
            "/tmp",
        ]);
        if let Some(info) = &info {
            command.arg("--info-fd").arg(info.info_fd().to_string());
            if let Some(fd) = info.seccomp_fd() {
                command.arg("--seccomp").arg(fd.to_string());
            }
        }
        for dir in ["/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec"] {
            command.args(["--ro-bind-try", dir, dir]);
        }
        for top in ["/bin", "/lib", "/lib64", "/sbin"] {
            match std::fs::read_link(top) {
                Ok(target) => {
                    command.arg("--symlink").arg(target).arg(top);
                }
                Err(_) => {
                    command.args(["--ro-bind-try", top, top]);
                }
            }
        }
        command.args(["--proc", "/proc", "--dev", "/dev"]);
        let tmpfs = |command: &mut Command, size: u64, path: &str| {
            command
                .args(["--size", &size.to_string(), "--tmpfs", path])
                .args(["--chmod", "1777", path]);
        };
        match stage {
            Stage::Compile { folder } => {
                tmpfs(&mut command, COMPILER_TMP, "/tmp");
                command
                    .arg("--ro-bind")
                    .arg(&self.state.sysroot)
                    .arg(IN_RUST);
                // The crates' files one by one, without cargo's `.d` files: those list the
                // paths of the crates' sources on this machine, which a program could read
                // with include_str!.
                if let Some(deps) = &self.state.deps {
                    for name in files_to_link(deps) {
                        command
                            .arg("--ro-bind")
                            .arg(deps.join(&name))
                            .arg(Path::new(IN_DEPS).join(&name));
                    }
                }
                command.arg("--bind").arg(folder).arg(IN_JOB);
                command.args(["--setenv", "HOME", IN_JOB, "--chdir", IN_JOB]);
            }
            Stage::Run { program } => {
                tmpfs(&mut command, PROGRAM_TMP, "/tmp");
                tmpfs(&mut command, PROGRAM_TMP, "/dev/shm");
                tmpfs(&mut command, PROGRAM_TMP, "/work");
                command.arg("--ro-bind").arg(program).arg("/playground");
                command.args(["--setenv", "HOME", "/work", "--chdir", "/work"]);
                command.args(["--setenv", "RUST_BACKTRACE", "0"]);
            }
        }
        // Last, once every mount point exists: the sandbox's own root and /dev are tmpfs
        // folders without a size limit, so no program may write to them (the folders above
        // are mounts of their own and stay as they are).
        command.args(["--remount-ro", "/dev", "--remount-ro", "/"]);
        command.arg("--");
        (command, info)
    }
}

/// The files of a deps folder that rustc reads (`.rlib`, `.rmeta`, `.so`), leaving out cargo's
/// dependency lists (`.d`).
fn files_to_link(deps: &Path) -> Vec<OsString> {
    let Ok(entries) = std::fs::read_dir(deps) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name())
        .filter(|name| Path::new(name).extension().is_none_or(|ext| ext != "d"))
        .collect()
}

/// A command without a sandbox: only a clean environment and a working folder. Its program is
/// the first argument added after it (see `Sandbox::command`).
#[derive(Default)]
struct ProgramCommand {
    dir: Option<PathBuf>,
}

impl ProgramCommand {
    fn into_command(self) -> Command {
        // `env` runs the program that follows with exactly this environment.
        let mut command = Command::new("/usr/bin/env");
        command.env_clear().arg("-i");
        command.args([
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "RUST_BACKTRACE=0",
            "TMPDIR=/tmp",
        ]);
        if let Some(dir) = self.dir {
            command.current_dir(dir);
        }
        command
    }
}

fn join(prefix: &str, path: &Path) -> OsString {
    let mut arg = OsString::from(prefix);
    arg.push(path);
    arg
}

/// The runner's own hard limit on open descriptors, which a job's may not exceed (raising it
/// takes a capability a runner may not have, even as root in a container).
fn fd_hard_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit struct owned here.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    limit.rlim_max
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
