//! The command line (`runner --help`).

use std::path::PathBuf;

const HELP: &str = "\
runner: runs the book's code for its Run buttons, like play.rust-lang.org but on this machine

Anyone who can connect to it (a local process, another user, a web page) may send it any code,
so the code is treated as hostile when it is compiled and when it runs. Each job is compiled and
run inside bubblewrap (`bwrap`, Debian package `bubblewrap`): own mount, PID, network, IPC and
user namespaces; only the toolchain, the book's crates (read-only), the system's programs and
libraries (read-only) and the job's own folder exist there; private, size-limited /tmp and
/dev/shm; user nobody inside (as root, a user id of its own per slot outside); no capabilities,
no_new_privs, a seccomp filter (no keyrings, io_uring, BPF, ptrace, mounts, sockets but Unix,
IPv4 and IPv6: no vsock to a virtual machine's host), a new session, no inherited descriptors, a
read-only / and /dev of its own; killed with the runner. Memory and processes are limited per
job with control groups (v2, or v1 as root); where this user has none the runner refuses to
start, unless --allow-no-cgroups lets it run one job at a time under limits per process, as its
start-up message then says. Every process of a job is gone when its answer is sent; stopping the
runner ends every job and removes every job folder.

It does not protect against: kernel bugs reachable from inside a user namespace through the
system calls the filter allows, reading the system's public files under /usr, using the CPU up
to the time limits, a page that a reader opens from the book's own address, or a job learning
where the toolchain and its folder are on this machine (/proc/self/mountinfo; `ps` shows the same
paths to local users). Without bubblewrap it refuses to start; `--insecure` runs code with limits
but no sandbox, and every Run then says so. `GET /` on the runner tells which mode is active
(\"sandboxed\", \"isolation\"), and so does its first line on stderr.

Options (defaults in brackets):
  --port N               port on 127.0.0.1 to listen on; 0 picks a free one [3001]
  --allow-origin URL     a page origin that may send code (repeatable)
                         [http://localhost:3000 and http://127.0.0.1:3000]
  --deps DIR             folder of prebuilt crates (target/book-deps/debug/deps)
  --crate NAME[=VER]     a crate of DIR the code may use (repeatable)
  --rustc PATH           the compiler, in its toolchain's bin folder
                         [the rustc of `rustc --print sysroot`]
  --jobs N               jobs at once [2]
  --queue N              jobs that may wait for a turn; more are told the runner is busy [16]
  --max-wait SECS        how long a job may wait for its turn [20]
  --compile-timeout SECS [20]     --run-timeout SECS   [4]
  --max-code BYTES       [65536]  --max-output BYTES   [65536]
  --memory MIB           memory of a run, all its processes together [512]
  --processes N          processes and threads of a run [256]
  --allow-no-cgroups     where this user has no control groups (cgroup v2 with the memory and
                         pids controllers delegated, or v1 as root), start anyway with limits
                         per process: one job at a time, each of its processes within --memory
                         [without it, the runner refuses to start there]
  --insecure             run code WITHOUT a sandbox where bubblewrap cannot be had
  --exit-with-parent     stop when the program that started it ends (cargo xtask uses it)

It prints `listening on http://127.0.0.1:PORT` on stdout once it is ready. SIGTERM, SIGINT and
SIGHUP stop it after ending every job.
";

pub struct Options {
    pub port: u16,
    pub origins: Vec<String>,
    pub deps: Option<PathBuf>,
    pub crates: Vec<(String, String)>,
    pub rustc: Option<PathBuf>,
    pub jobs: usize,
    pub queue: usize,
    pub max_wait: u64,
    pub compile_timeout: u64,
    pub run_timeout: u64,
    pub max_code: usize,
    pub max_output: usize,
    pub memory_mib: u64,
    pub processes: u64,
    pub insecure: bool,
    /// Start without control groups (limits per process, one job at a time).
    pub allow_no_cgroups: bool,
}

pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: 3001,
        origins: Vec::new(),
        deps: None,
        crates: Vec::new(),
        rustc: None,
        jobs: 2,
        queue: 16,
        max_wait: 20,
        compile_timeout: 20,
        run_timeout: 4,
        max_code: 64 * 1024,
        max_output: 64 * 1024,
        memory_mib: 512,
        processes: 256,
        insecure: false,
        allow_no_cgroups: false,
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--help" | "-h" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--insecure" => {
                options.insecure = true;
                continue;
            }
            "--allow-no-cgroups" => {
                options.allow_no_cgroups = true;
                continue;
            }
            "--exit-with-parent" => {
                exit_with_parent();
                continue;
            }
            _ => {}
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value (see --help)"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} takes a number, not `{v}`"))
        };
        match flag.as_str() {
            "--port" => {
                options.port = u16::try_from(number(&value)?).map_err(|_| "port too large")?
            }
            "--allow-origin" => options
                .origins
                .push(value.trim_end_matches('/').to_string()),
            "--deps" => {
                let deps =
                    std::fs::canonicalize(&value).map_err(|e| format!("--deps {value}: {e}"))?;
                options.deps = Some(deps);
            }
            "--crate" => {
                let (name, version) = value.split_once('=').unwrap_or((&value, ""));
                options.crates.push((name.to_string(), version.to_string()));
            }
            "--rustc" => {
                let rustc =
                    std::fs::canonicalize(&value).map_err(|e| format!("--rustc {value}: {e}"))?;
                options.rustc = Some(rustc);
            }
            "--jobs" => options.jobs = number(&value)?.clamp(1, 64) as usize,
            "--queue" => options.queue = number(&value)? as usize,
            "--max-wait" => options.max_wait = number(&value)?,
            "--compile-timeout" => options.compile_timeout = number(&value)?,
            "--run-timeout" => options.run_timeout = number(&value)?,
            "--max-code" => options.max_code = number(&value)? as usize,
            "--max-output" => options.max_output = number(&value)? as usize,
            "--memory" => options.memory_mib = number(&value)?,
            "--processes" => options.processes = number(&value)?,
            other => return Err(format!("unknown option `{other}` (see --help)")),
        }
    }
    if options.origins.is_empty() {
        options.origins = vec![
            "http://localhost:3000".into(),
            "http://127.0.0.1:3000".into(),
        ];
    }
    Ok(options)
}

/// Asks the kernel to send SIGTERM to this process when its parent ends, so a runner started by
/// `cargo xtask` never outlives it (not even when that is killed).
fn exit_with_parent() {
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        // The parent may have ended before the request was made: then init adopted this process.
        if libc::getppid() == 1 {
            std::process::exit(0);
        }
    }
}
