//! Running child processes. Every command is echoed before it runs, has a timeout, and on failure
//! names its command line; a command that runs over its time is killed with its whole process group.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// A command line to run, with the folder, environment and time limit it runs under.
#[derive(Clone, Debug)]
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    dir: Option<PathBuf>,
    envs: Vec<(OsString, OsString)>,
    timeout: Duration,
    quiet: bool,
}

/// What a finished command printed.
pub struct Captured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Cmd {
    pub fn new(program: impl Into<OsString>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            dir: None,
            envs: Vec::new(),
            timeout: Duration::from_secs(10 * 60),
            quiet: false,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Do not echo the command line (for commands run many times, such as one per listing).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// The command line as a person would type it.
    pub fn display(&self) -> String {
        let mut line = self.program.to_string_lossy().into_owned();
        for arg in &self.args {
            let arg = arg.to_string_lossy();
            if arg.contains(' ') || arg.is_empty() {
                line.push_str(&format!(" '{arg}'"));
            } else {
                line.push(' ');
                line.push_str(&arg);
            }
        }
        line
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    fn echo(&self) {
        if !self.quiet {
            eprintln!("\x1b[1m$ {}\x1b[0m", self.display());
        }
    }

    /// Runs with the terminal's stdout and stderr; fails unless it exits with status 0.
    pub fn run(&self) -> Result<()> {
        self.echo();
        let mut command = self.command();
        command.stdin(Stdio::null());
        let child = spawn_in_group(&mut command, self)?;
        let status = wait_with_timeout(child, self)?;
        if !status.success() {
            bail!("`{}` failed ({status})", self.display());
        }
        Ok(())
    }

    /// Runs with stdout and stderr captured; fails unless it exits with status 0, showing stderr.
    pub fn read(&self) -> Result<String> {
        let out = self.capture()?;
        if !out.status.success() {
            bail!(
                "`{}` failed ({}):\n{}",
                self.display(),
                out.status,
                tail(&out.stderr, 40)
            );
        }
        Ok(out.stdout)
    }

    /// Runs with stdout and stderr captured, whatever its exit status (a timeout is still an error).
    pub fn capture(&self) -> Result<Captured> {
        self.echo();
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_in_group(&mut command, self)?;
        let stdout = reader(child.stdout.take());
        let stderr = reader(child.stderr.take());
        let status = wait_with_timeout(child, self)?;
        Ok(Captured {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        })
    }

    /// Runs in the foreground with no time limit, for `serve`-like commands a person stops with
    /// Ctrl-C. Returns when the program exits.
    pub fn run_interactive(&self) -> Result<()> {
        self.echo();
        let status = self
            .command()
            .status()
            .with_context(|| format!("could not start `{}`", self.display()))?;
        if !status.success() {
            bail!("`{}` failed ({status})", self.display());
        }
        Ok(())
    }

    /// Starts the command in the background, its output going to the terminal; the caller must
    /// stop it (see [`Background`]).
    pub fn spawn(&self) -> Result<Background> {
        self.echo();
        let mut command = self.command();
        command.stdin(Stdio::null());
        let child = spawn_in_group(&mut command, self)?;
        Ok(Background {
            child,
            name: self.display(),
        })
    }
}

/// A child running in the background; dropping it kills its process group.
pub struct Background {
    child: Child,
    name: String,
}

impl Background {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it has exited already (and how).
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        kill_group(self.child.id());
        let _ = self.child.wait();
    }
}

/// Whether a program can be found on PATH.
pub fn exists(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The last `lines` lines of a text, for error messages that should not drown the reader.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The process group of the child running in the foreground, so Ctrl-C can stop it too.
static FOREGROUND: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_interrupt(signal: libc::c_int) {
    let group = FOREGROUND.load(Ordering::SeqCst);
    // SAFETY: kill and _exit are async-signal-safe.
    unsafe {
        if group > 0 {
            libc::kill(-group, libc::SIGKILL);
        }
        libc::_exit(128 + signal);
    }
}

fn spawn_in_group(command: &mut Command, cmd: &Cmd) -> Result<Child> {
    // A group of its own lets a timeout kill grandchildren too (cargo → test binary → ...).
    command.process_group(0);
    let child = command.spawn().with_context(|| {
        format!(
            "could not start `{}` (is {} installed?)",
            cmd.display(),
            cmd.program.to_string_lossy()
        )
    })?;
    FOREGROUND.store(child.id() as i32, Ordering::SeqCst);
    // SAFETY: installing a handler that only calls async-signal-safe functions.
    unsafe {
        libc::signal(
            libc::SIGINT,
            forward_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    Ok(child)
}

fn kill_group(pid: u32) {
    // SAFETY: sending a signal to a process group we created; no memory is touched.
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

fn wait_with_timeout(mut child: Child, cmd: &Cmd) -> Result<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if start.elapsed() > cmd.timeout {
            kill_group(child.id());
            let _ = child.wait();
            bail!(
                "`{}` did not finish within {} s and was killed",
                cmd.display(),
                cmd.timeout.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}
