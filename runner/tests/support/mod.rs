//! What the runner's integration tests share: starting a runner on a free port, as root or as a
//! user the tests create, sending it raw HTTP, and looking for what a job may have left behind.

#![allow(dead_code)] // each test file uses its own part of this

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ORIGIN: &str = "http://127.0.0.1:3000";

/// The user the tests create (as root) to run a runner as somebody else.
const TEST_USER: &str = "futures-runner-test";

/// Who runs the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    Root,
    /// A user without privileges: the one the tests create when they run as root, or the user
    /// running the tests otherwise.
    User,
}

/// The users every sandbox test runs as: root and a created user when the tests run as root,
/// only the current user otherwise (which it says).
pub fn users() -> Vec<As> {
    if is_root() {
        vec![As::Root, As::User]
    } else {
        eprintln!(
            "these tests run as a user without privileges, so the runner's root mode is not \
             tested here (run them as root to test both)"
        );
        vec![As::User]
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The created user's id and group id (creating it first if needed).
fn test_user() -> (u32, u32) {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, TEST_USER]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    if id("-u").is_none() {
        // Root's PATH may lack /usr/sbin (a CI environment, `su` without `-`).
        let useradd = ["/usr/sbin/useradd", "/sbin/useradd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("useradd");
        let status = Command::new(useradd)
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(TEST_USER)
            .status()
            .expect("useradd runs");
        // Another test may have created it meanwhile.
        assert!(
            status.success() || id("-u").is_some(),
            "useradd {TEST_USER} failed"
        );
    }
    (id("-u").unwrap(), id("-g").unwrap())
}

pub struct Runner {
    pub child: Child,
    pub port: u16,
    pub who: As,
    /// The runner's TMPDIR: its folder, with each job's folder, lives in it.
    pub tmp: PathBuf,
    /// The test's own folder (the runner's TMPDIR and, for another user, views of the toolchain).
    pub scratch: PathBuf,
    /// A file only the runner's user may read, and its content.
    pub canary: PathBuf,
    pub secret: String,
    /// The runner's stderr.
    log: PathBuf,
    /// Whether dropping it leaves `scratch` for a later runner.
    pub keep_scratch: bool,
}

pub fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn sysroot() -> PathBuf {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc runs");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Runner {
    pub fn start(extra: &[&str]) -> Runner {
        Runner::start_as(if is_root() { As::Root } else { As::User }, extra)
    }

    /// Starts a runner as `who` with a canary file only that user may read, whose content is
    /// also in the runner's environment.
    pub fn start_as(who: As, extra: &[&str]) -> Runner {
        Runner::start_in(who, extra, None)
    }

    /// As `start_as`, in the folder of an earlier runner (see `keep_scratch`) if given. A user
    /// without privileges may have no control groups here, so the runner is allowed to start
    /// without them (`--allow-no-cgroups`; see `refusal_without_cgroups`).
    pub fn start_in(who: As, extra: &[&str], scratch: Option<PathBuf>) -> Runner {
        let allow = ["--allow-no-cgroups"];
        let extra = [if who == As::User { &allow[..] } else { &[] }, extra].concat();
        Runner::launch(who, &extra, scratch, None).unwrap_or_else(|log| {
            panic!("the runner ({who:?}) did not say where it listens; its log:\n{log}")
        })
    }

    /// Starts a runner as a user without privileges and without `--allow-no-cgroups`: what it
    /// says if it refuses to start, or None if it starts (the user has control groups).
    pub fn refusal_without_cgroups() -> Option<String> {
        Runner::launch(As::User, &[], None, None).err()
    }

    /// As `start`, with a limit on open descriptors (soft, hard) of its own.
    pub fn start_with_fd_limit(extra: &[&str], soft: u64, hard: u64) -> Runner {
        let who = if is_root() { As::Root } else { As::User };
        Runner::launch(who, extra, None, Some((soft, hard)))
            .unwrap_or_else(|log| panic!("the runner did not start; its log:\n{log}"))
    }

    /// Starts a runner; if it exits before saying where it listens, returns its log.
    fn launch(
        who: As,
        extra: &[&str],
        scratch: Option<PathBuf>,
        fd_limit: Option<(u64, u64)>,
    ) -> Result<Runner, String> {
        let scratch = scratch
            .unwrap_or_else(|| std::env::temp_dir().join(format!("runner-test-{}", unique())));
        std::fs::create_dir_all(scratch.join("tmp")).unwrap();
        std::fs::create_dir_all(scratch.join("secret")).unwrap();
        let _ = std::fs::remove_file(scratch.join("bin/runner"));
        chmod(&scratch, 0o755);
        let secret = format!("CANARY-{}", unique());
        let canary = scratch.join("secret/canary.txt");
        std::fs::write(&canary, format!("{secret}\n")).unwrap();
        chmod(&canary, 0o600);
        chmod(&scratch.join("secret"), 0o700);
        let log = scratch.join("runner.log");
        let runner = env!("CARGO_BIN_EXE_runner");
        let mut command = if who == As::User && is_root() {
            let (uid, gid) = test_user();
            for path in [scratch.join("tmp"), scratch.join("secret"), canary.clone()] {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
            }
            // The toolchain and the runner may sit under /root, which this user cannot enter:
            // give it views of them in a mount namespace of its own.
            for dir in ["sysroot", "bin"] {
                std::fs::create_dir_all(scratch.join(dir)).unwrap();
            }
            std::fs::copy(runner, scratch.join("bin/runner")).unwrap();
            let script = format!(
                "mount --bind '{sysroot}' '{scratch}/sysroot' && exec setpriv --reuid={uid} \
                 --regid={gid} --clear-groups -- \"$@\"",
                sysroot = sysroot().display(),
                scratch = scratch.display(),
            );
            let mut command = Command::new("unshare");
            command
                .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
                .arg(script)
                .arg("sh")
                .arg(scratch.join("bin/runner"))
                .arg("--rustc")
                .arg(scratch.join("sysroot/bin/rustc"));
            command
        } else {
            Command::new(runner)
        };
        command
            .args(["--port", "0", "--allow-origin", ORIGIN])
            .args(extra)
            .env("TMPDIR", scratch.join("tmp"))
            .env("RUNNER_TEST_CANARY", &secret)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        // As `cargo xtask` once did, hand the runner a descriptor without close-on-exec: it must
        // not reach the jobs.
        // SAFETY: dup2 is async-signal-safe and touches no memory of the parent.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
                if libc::dup2(2, 10) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some((soft, hard)) = fd_limit {
                    let limit = libc::rlimit {
                        rlim_cur: soft,
                        rlim_max: hard,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("the runner starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(port) = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(format!("{line:?}\n{said}"));
        };
        Ok(Runner {
            child,
            port,
            who,
            tmp: scratch.join("tmp"),
            scratch,
            canary,
            secret,
            log,
            keep_scratch: false,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What `GET /` says about the runner.
    pub fn about(&self) -> Value {
        self.send("GET", "/", &[], b"").json()
    }

    /// Sends one request; returns the status, the headers (lowercase names) and the body.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        self.send_raw(&raw)
    }

    /// Sends bytes as they are and reads the whole answer.
    pub fn send_raw(&self, raw: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        // A refusal may come before the whole body is sent.
        let _ = stream.write_all(raw);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        Reply::parse(&answer)
    }

    /// POST /evaluate.json from the book's origin, as book.js does.
    pub fn evaluate(&self, code: &str) -> Reply {
        let body = json!({ "code": code, "edition": "2024", "version": "stable", "optimize": "0" });
        self.send(
            "POST",
            "/evaluate.json",
            &[("Origin", ORIGIN), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// The check every test ends with: the runner still runs code.
    pub fn still_serves(&self) {
        let reply = self.evaluate(r#"fn main() { println!("still here {}", 6 * 7); }"#);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.result(), "still here 42\n");
    }

    /// The runner's own folder, as the runner sees it (as root it is a tmpfs in the runner's
    /// private mount namespace, reached through /proc/PID/root).
    pub fn state_dir(&self) -> PathBuf {
        let dir = self.tmp.join(format!("futures-book-runner-{}", self.pid()));
        if self.who == As::Root {
            PathBuf::from(format!("/proc/{}/root", self.pid())).join(dir.strip_prefix("/").unwrap())
        } else {
            dir
        }
    }

    pub fn job_folders_left(&self) -> Vec<String> {
        std::fs::read_dir(self.state_dir().join("jobs"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Processes that belong to a job of this runner: its children and their descendants, and
    /// (as root) anything running as a job's user.
    pub fn job_processes(&self) -> Vec<String> {
        // The users of this runner's slots (see runner/src/sandbox.rs, UID_BASE).
        let first = 0x5EED_0000 + (self.pid() % 65536) * 64;
        let all = processes();
        all.iter()
            .filter(|p| {
                p.pid != self.pid()
                    && (descends_from(&all, p.pid, self.pid())
                        || (first..first + 64).contains(&p.uid))
            })
            .map(|p| format!("{} {}", p.pid, p.cmdline))
            .collect()
    }

    /// Waits until a job of this runner has processes (its compiler or its program): it holds a
    /// turn from then on. Fails after 60 s, or once `answered` says the request that asked for
    /// the job has its answer already.
    pub fn wait_for_a_job(&self, answered: impl Fn() -> bool) {
        let patience = std::time::Instant::now();
        while self.job_processes().is_empty() {
            assert!(
                patience.elapsed() < Duration::from_secs(60) && !answered(),
                "the job never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the runner's log holds `line` `times` times or more (it notes, for one, each
    /// run that waits for its turn). Fails after 60 s.
    pub fn wait_for_log(&self, line: &str, times: usize) {
        let patience = std::time::Instant::now();
        while self.log().matches(line).count() < times {
            assert!(
                patience.elapsed() < Duration::from_secs(60),
                "the runner's log never said {line:?} {times} times:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many connections the runner has accepted and holds open: its descriptors that are
    /// TCP sockets established on its port (the kernel's table, /proc/net/tcp, names each
    /// socket's inode; connections not yet accepted are in the table but not among them).
    pub fn connections(&self) -> usize {
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid())).unwrap();
        let inodes: std::collections::HashSet<String> = fds
            .flatten()
            .filter_map(|fd| {
                let target = std::fs::read_link(fd.path()).ok()?;
                let target = target.to_string_lossy();
                Some(
                    target
                        .strip_prefix("socket:[")?
                        .strip_suffix(']')?
                        .to_string(),
                )
            })
            .collect();
        let table = std::fs::read_to_string(format!("/proc/{}/net/tcp", self.pid())).unwrap();
        let port = format!(":{:04X}", self.port);
        table
            .lines()
            .skip(1)
            .filter(|entry| {
                let fields: Vec<&str> = entry.split_whitespace().collect();
                // local address, state (01: established), inode.
                fields.len() > 9
                    && fields[1].ends_with(&port)
                    && fields[3] == "01"
                    && inodes.contains(fields[9])
            })
            .count()
    }

    /// Stops the runner with a signal and waits for it (at most 20 s).
    pub fn stop(&mut self, signal: i32) {
        // SAFETY: sends a signal to our own child.
        unsafe { libc::kill(self.pid() as i32, signal) };
        for _ in 0..2000 {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the runner did not stop within 20 s of signal {signal}");
    }

    /// Ends of the listing 2-1 run: its code and its expected output.
    pub fn listing_2_1() -> (&'static str, &'static str) {
        (
            include_str!(
                "../../../listings/ch02-preemptive-multitasking/listing-02-01-spinning-thread/src/main.rs"
            ),
            include_str!(
                "../../../listings/ch02-preemptive-multitasking/listing-02-01-spinning-thread/output.txt"
            ),
        )
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // SAFETY: sends a signal to our own child.
            unsafe { libc::kill(self.pid() as i32, libc::SIGTERM) };
            for _ in 0..500 {
                if self.child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if !self.keep_scratch {
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }
}

pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub cmdline: String,
}

/// Every live process of the machine: zombies, which are dead and only wait for their parent
/// (often the machine's init) to collect their exit status, do not count.
pub fn processes() -> Vec<Process> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        };
        if status
            .lines()
            .any(|l| l.starts_with("State:") && (l.contains("Z (") || l.contains("X (")))
        {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        found.push(Process {
            pid,
            ppid: field("PPid:"),
            uid: field("Uid:"),
            cmdline,
        });
    }
    found
}

/// Whether `pid` descends from `ancestor`, going by one list of the machine's processes (read
/// once: reading /proc for each step made a look at a busy machine take seconds).
fn descends_from(all: &[Process], pid: u32, ancestor: u32) -> bool {
    let mut current = pid;
    for _ in 0..64 {
        let Some(p) = all.iter().find(|p| p.pid == current) else {
            return false;
        };
        if p.ppid == ancestor {
            return true;
        }
        if p.ppid <= 1 {
            return false;
        }
        current = p.ppid;
    }
    false
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(raw).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return Reply {
                status: 0,
                headers: Vec::new(),
                body: text,
            };
        };
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.get(9..12))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// What book.js shows, without the first line an `--insecure` runner adds (tested on its
    /// own), so that the checks of a test say what failed when its protection is removed.
    pub fn result(&self) -> String {
        let result = self.json()["result"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match result.split_once('\n') {
            Some((first, rest)) if first.contains("started with --insecure") => rest.to_string(),
            _ => result,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
