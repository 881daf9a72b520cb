//! Running child processes. Every command is echoed before it runs, has a timeout, and on failure
//! names its command line; a command that runs over its time is killed with its whole process group.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, Sender};
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
        let mut child = spawn_in_group(&mut command, self)?;
        wait_for_exit(&mut child, self, Instant::now() + self.timeout)?;
        let status = child.wait()?;
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
    ///
    /// The output ends when every process holding the pipes has closed them, which may be after
    /// the command exits: what it started and left running (in its process group) is killed when
    /// it exits, and a process that left the group but still holds a pipe makes the command fail
    /// when its time runs out, rather than hang.
    pub fn capture(&self) -> Result<Captured> {
        self.echo();
        let deadline = Instant::now() + self.timeout;
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_in_group(&mut command, self)?;
        let (sender, output) = mpsc::channel();
        reader(child.stdout.take(), Pipe::Stdout, sender.clone());
        reader(child.stderr.take(), Pipe::Stderr, sender);
        wait_for_exit(&mut child, self, deadline)?;
        // Not reaped yet, so its pid still names its group and cannot have been reused.
        kill_group(child.id());
        let status = child.wait()?;
        let (mut stdout, mut stderr) = (String::new(), String::new());
        for _ in 0..2 {
            let left = deadline.saturating_duration_since(Instant::now());
            match output.recv_timeout(left) {
                Ok((Pipe::Stdout, text)) => stdout = text,
                Ok((Pipe::Stderr, text)) => stderr = text,
                Err(_) => bail!(
                    "`{}` exited ({status}) but a process it started, outside its process \
                     group, kept its output open past its time limit of {}",
                    self.display(),
                    seconds_or_millis(self.timeout)
                ),
            }
        }
        Ok(Captured {
            status,
            stdout,
            stderr,
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

/// Which of a captured command's pipes a text was read from.
enum Pipe {
    Stdout,
    Stderr,
}

/// Reads `pipe` to its end in a thread of its own and sends what it read. A reader whose pipe
/// never closes is left blocked (see [`Cmd::capture`]); its thread ends with xtask.
fn reader<R: Read + Send + 'static>(pipe: Option<R>, which: Pipe, output: Sender<(Pipe, String)>) {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = output.send((which, String::from_utf8_lossy(&bytes).into_owned()));
    });
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

/// A time limit as a person would write it: whole seconds in seconds, anything else (a limit
/// under a second, or 1.5 s) in milliseconds.
fn seconds_or_millis(limit: Duration) -> String {
    if limit.subsec_nanos() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// Waits until the child has exited, leaving it unreaped (so that its pid, which names its
/// process group, is not reused before the caller is done with the group); at `deadline` kills
/// its group, reaps it and fails.
fn wait_for_exit(child: &mut Child, cmd: &Cmd, deadline: Instant) -> Result<()> {
    loop {
        // SAFETY: waitid writes one siginfo_t owned here; WNOWAIT leaves the child to be reaped
        // by Child::wait.
        let exited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let found = libc::waitid(
                libc::P_PID,
                child.id(),
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            if found != 0 {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("could not wait for `{}`", cmd.display()));
            }
            info.si_pid() != 0
        };
        if exited {
            return Ok(());
        }
        if Instant::now() > deadline {
            kill_group(child.id());
            let _ = child.wait();
            bail!(
                "`{}` did not finish within {} and was killed",
                cmd.display(),
                seconds_or_millis(cmd.timeout)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of its own for one test, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("xtask-cmd-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A shell that starts `sleep 1000` in the background (a grandchild of ours, in the shell's
    /// process group, its output going nowhere so that it holds no pipe of the test's), writes
    /// the sleep's pid to `pid_file`, then becomes a second `sleep 1000`: left alone, both would
    /// run for 1000 s. Once the pid is written, the shell starts no process and waits for none:
    /// the group kill may reach the grandchild first, and a shell waiting for a child (`wait`, or
    /// an `mv` it ran) would then reap the grandchild before dying itself, leaving the test
    /// nothing to learn its end from (`waitpid` failed with ECHILD about one run in twenty with
    /// `wait`, one in seventy with `mv`). A shell that has become `sleep` never reaps, so the
    /// grandchild comes to the test, killed. The pid is written by the shell's own `echo`, in
    /// one write: `read_pid` sees nothing or all of it.
    fn shell_with_grandchild(pid_file: &Path) -> Cmd {
        let script = format!(
            "sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > '{0}'; exec sleep 1000",
            pid_file.display()
        );
        shell(&script)
    }

    /// Makes orphans of the test process its children rather than init's, so the test can wait
    /// for a grandchild and learn how it died (and a zombie is not left behind where init does
    /// not reap).
    fn become_subreaper() {
        static SUBREAPER: std::sync::Once = std::sync::Once::new();
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes a flag and touches no memory.
        SUBREAPER.call_once(|| unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
        });
    }

    /// The pid in `pid_file`, once the shell has written it (an empty file reads as not yet).
    fn read_pid(pid_file: &Path) -> Option<i32> {
        std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()
    }

    /// How the grandchild `pid` ended, once it has (the test process adopted it when the shell
    /// ended): Some(signal) if a signal killed it, None if it is still running after 10 s, in
    /// which case it is killed now, so that a failing test leaves nothing behind. A kill is
    /// delivered when the process next runs, so not at once: hence the wait.
    fn end_of(pid: i32) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut status = 0;
        loop {
            // SAFETY: waitpid writes one int owned here.
            match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
                0 if Instant::now() > deadline => {
                    // SAFETY: sends a signal to our own child; touches no memory.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                        libc::waitpid(pid, &mut status, 0);
                    }
                    return None;
                }
                0 => thread::yield_now(),
                found if found == pid => {
                    return Some(if libc::WIFSIGNALED(status) {
                        libc::WTERMSIG(status)
                    } else {
                        -libc::WEXITSTATUS(status)
                    });
                }
                _ => panic!(
                    "the grandchild {pid} is not the test's to wait for: {}",
                    std::io::Error::last_os_error()
                ),
            }
        }
    }

    fn assert_killed(pid: i32, after: &str) {
        match end_of(pid) {
            Some(libc::SIGKILL) => {}
            None => panic!("the grandchild {pid} outlived {after}"),
            Some(other) => panic!("the grandchild {pid} ended otherwise ({other})"),
        }
    }

    /// Runs `shell_with_grandchild` under `timeout`, doubling the limit until the shell got as far
    /// as writing the grandchild's pid before it ran out (on a busy machine it may not, at first);
    /// returns the error and the grandchild's pid.
    fn time_out_with_grandchild(name: &str, run: impl Fn(&Cmd) -> Result<()>) -> (String, i32) {
        let scratch = Scratch::new(name);
        let pid_file = scratch.0.join("grandchild.pid");
        let mut timeout = Duration::from_millis(100);
        loop {
            let _ = std::fs::remove_file(&pid_file);
            let started = Instant::now();
            let error = run(&shell_with_grandchild(&pid_file).timeout(timeout))
                .expect_err("a shell waiting for a 1000 s sleep finished");
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the timeout did not end it"
            );
            if let Some(pid) = read_pid(&pid_file) {
                return (format!("{error:#}"), pid);
            }
            assert!(
                timeout < Duration::from_secs(30),
                "the shell never wrote its pid file"
            );
            timeout *= 2;
        }
    }

    #[test]
    fn a_command_over_its_time_is_killed_with_its_grandchildren() {
        let (error, grandchild) = time_out_with_grandchild("run", |cmd| cmd.run());
        assert_killed(grandchild, "the timeout");
        assert!(
            error.starts_with("`sh -c 'sleep 1000 </dev/null"),
            "{error}"
        );
        assert!(
            error.contains("did not finish within") && error.ends_with("and was killed"),
            "{error}"
        );
    }

    #[test]
    fn a_captured_command_over_its_time_is_killed_with_its_grandchildren() {
        let (error, grandchild) =
            time_out_with_grandchild("capture", |cmd| cmd.capture().map(drop));
        assert_killed(grandchild, "the timeout");
        assert!(error.contains("did not finish within"), "{error}");
    }

    /// Runs `cmd.capture()` in a thread of its own and waits up to 60 s for it, so that a capture
    /// that never returns fails the test instead of hanging it.
    fn capture_or_hang(cmd: Cmd) -> Result<Captured> {
        let (send, receive) = mpsc::channel();
        thread::spawn(move || {
            let _ = send.send(cmd.capture());
        });
        receive
            .recv_timeout(Duration::from_secs(60))
            .expect("capture() did not return within 60 s")
    }

    #[test]
    fn a_capture_ends_when_the_command_exits_though_a_grandchild_holds_its_output() {
        let scratch = Scratch::new("capture-held");
        let pid_file = scratch.0.join("grandchild.pid");
        // The sleep inherits the shell's stdout and stderr, so the pipes stay open after the
        // shell exits. The command's own limit (10 min) is far past the test's 60 s.
        let script = format!(
            "sleep 1000 & echo $! > '{}'; echo started",
            pid_file.display()
        );
        let out = capture_or_hang(shell(&script)).unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, "started\n");
        let grandchild = read_pid(&pid_file).expect("the shell wrote no pid");
        assert_killed(grandchild, "the command's exit");
    }

    #[test]
    fn a_grandchild_outside_the_group_holding_the_output_fails_the_capture_at_its_limit() {
        let scratch = Scratch::new("capture-setsid");
        let pid_file = scratch.0.join("grandchild.pid");
        let ready = scratch.0.join("ready");
        // setsid puts the sleep in a session and group of its own, out of reach of the group
        // kill; only the time limit ends the wait for its output. The shell exits only once the
        // sleep is out of its group (it reads a line the grandchild writes after setsid): had it
        // exited first, the group kill could catch the grandchild before it left, and the capture
        // would succeed (it did, about one run in five). As in time_out_with_grandchild, the limit
        // doubles until the shell got to exit within it.
        let script = format!(
            "mkfifo '{ready}'; setsid sh -c 'echo $$ > \"{pid}\"; echo > \"{ready}\"; exec sleep 1000' & read line < '{ready}'",
            ready = ready.display(),
            pid = pid_file.display()
        );
        let mut timeout = Duration::from_millis(200);
        let error = loop {
            let _ = std::fs::remove_file(&pid_file);
            let _ = std::fs::remove_file(&ready);
            let result = capture_or_hang(shell(&script).timeout(timeout));
            if let Some(pid) = read_pid(&pid_file) {
                // SAFETY: sends a signal to the grandchild the test started; touches no memory.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                assert_killed(pid, "the test's kill");
            }
            let error = format!(
                "{:#}",
                result
                    .err()
                    .expect("a capture with its output held open succeeded")
            );
            if !error.contains("did not finish within") {
                break error;
            }
            assert!(
                timeout < Duration::from_secs(30),
                "the shell never exited in time"
            );
            timeout *= 2;
        };
        assert!(
            error.starts_with("`sh -c 'mkfifo ")
                && error.contains("exited (exit status: 0) but a process it started, outside its process group, kept its output open past its time limit of"),
            "{error}"
        );
    }

    fn shell(script: &str) -> Cmd {
        become_subreaper();
        Cmd::new("sh").args(["-c", script]).quiet()
    }

    #[test]
    fn a_background_command_dies_with_its_grandchildren_when_dropped() {
        let scratch = Scratch::new("background");
        let pid_file = scratch.0.join("grandchild.pid");
        let mut background = shell_with_grandchild(&pid_file).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let grandchild = loop {
            if let Some(pid) = read_pid(&pid_file) {
                break pid;
            }
            assert!(background.try_status().is_none(), "the shell ended early");
            assert!(
                Instant::now() < deadline,
                "the shell never wrote its pid file"
            );
            thread::yield_now();
        };
        drop(background);
        assert_killed(grandchild, "the drop");
    }

    #[test]
    fn the_timeout_message_names_the_command_and_its_limit() {
        let error = Cmd::new("sleep")
            .arg("1000")
            .quiet()
            .timeout(Duration::from_millis(50))
            .run()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`sleep 1000` did not finish within 50 ms and was killed"
        );
    }

    #[test]
    fn limits_are_written_in_seconds_or_milliseconds() {
        assert_eq!(seconds_or_millis(Duration::from_millis(250)), "250 ms");
        assert_eq!(seconds_or_millis(Duration::from_millis(1500)), "1500 ms");
        assert_eq!(seconds_or_millis(Duration::from_secs(3)), "3 s");
        assert_eq!(seconds_or_millis(Duration::from_secs(600)), "600 s");
    }

    #[test]
    fn a_failure_names_the_command_and_shows_its_stderr() {
        let error = Cmd::new("sh")
            .args(["-c", "echo first; echo went wrong >&2; exit 3"])
            .quiet()
            .read()
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`sh -c 'echo first; echo went wrong >&2; exit 3'` failed"),
            "{error}"
        );
        assert!(
            error.contains("exit status: 3") && error.ends_with("went wrong"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_program_is_named() {
        let error = Cmd::new("no-such-program-xtask").quiet().run().unwrap_err();
        assert!(
            format!("{error:#}").contains("is no-such-program-xtask installed?"),
            "{error:#}"
        );
    }
}
