//! The command line (`runner --help`), parsed by clap from the definitions below: each option's
//! type, default and help are written once, here, and a misspelt option is an error with a
//! suggestion.

use clap::Parser;
use std::path::PathBuf;

const ABOUT: &str =
    "Runs the book's code for its Run buttons, like play.rust-lang.org but on this machine";

const LONG_ABOUT: &str = "\
Runs the book's code for its Run buttons, like play.rust-lang.org but on this machine.

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
(\"sandboxed\", \"isolation\"), and so does its first line on stderr.";

const AFTER_HELP: &str = "\
It prints `listening on http://127.0.0.1:PORT` on stdout once it is ready. SIGTERM, SIGINT and
SIGHUP stop it after ending every job.";

#[derive(Parser, Debug)]
#[command(name = "runner", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Options {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one
    #[arg(long, value_name = "N", default_value_t = 3001)]
    pub port: u16,

    /// A page origin that may send code (repeatable; any given replaces the defaults)
    #[arg(
        long = "allow-origin",
        value_name = "URL",
        value_parser = origin,
        default_values = ["http://localhost:3000", "http://127.0.0.1:3000"],
    )]
    pub origins: Vec<String>,

    /// Folder of prebuilt crates (target/book-deps/debug/deps)
    #[arg(long, value_name = "DIR", value_parser = existing_path)]
    pub deps: Option<PathBuf>,

    /// A crate of --deps the code may use (repeatable)
    #[arg(long = "crate", value_name = "NAME[=VER]", value_parser = crate_and_version)]
    pub crates: Vec<(String, String)>,

    /// The compiler, in its toolchain's bin folder [default: the rustc of `rustc --print sysroot`]
    #[arg(long, value_name = "PATH", value_parser = existing_path)]
    pub rustc: Option<PathBuf>,

    /// Jobs at once
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// Jobs that may wait for a turn; more are told the runner is busy
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub queue: usize,

    /// How long a job may wait for its turn, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub max_wait: u64,

    /// How long compiling a job may take, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub compile_timeout: u64,

    /// How long a program may run, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 4)]
    pub run_timeout: u64,

    /// The largest code accepted, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_code: usize,

    /// The most output a run may print, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_output: usize,

    /// Memory of a run, all its processes together, in MiB
    #[arg(long = "memory", value_name = "MIB", default_value_t = 512)]
    pub memory_mib: u64,

    /// Processes and threads of a run
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub processes: u64,

    /// Where this user has no control groups, start anyway with limits per process
    ///
    /// Without control groups (cgroup v2 with the memory and pids controllers delegated, or v1
    /// as root) the runner refuses to start. With this flag it starts there with limits per
    /// process: one job at a time, each of its processes within --memory.
    #[arg(long)]
    pub allow_no_cgroups: bool,

    /// Run code WITHOUT a sandbox where bubblewrap cannot be had
    #[arg(long)]
    pub insecure: bool,

    /// Stop when the program that started it ends (cargo xtask uses it)
    #[arg(long)]
    pub exit_with_parent: bool,
}

/// An origin as browsers send it: without a trailing slash.
fn origin(value: &str) -> Result<String, String> {
    Ok(value.trim_end_matches('/').to_string())
}

/// The path itself, every link resolved (the sandbox binds real files).
fn existing_path(value: &str) -> Result<PathBuf, String> {
    std::fs::canonicalize(value).map_err(|e| e.to_string())
}

/// `NAME=VERSION`, or `NAME` alone (its version then unknown, and empty).
fn crate_and_version(value: &str) -> Result<(String, String), String> {
    let (name, version) = value.split_once('=').unwrap_or((value, ""));
    if name.is_empty() {
        return Err("the crate's name is missing".into());
    }
    Ok((name.to_string(), version.to_string()))
}

/// Asks the kernel to send SIGTERM to this process when its parent ends, so a runner started by
/// `cargo xtask` never outlives it (not even when that is killed).
pub fn exit_with_parent() {
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        // The parent may have ended before the request was made: then init adopted this process.
        if libc::getppid() == 1 {
            std::process::exit(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(std::iter::once("runner").chain(args.iter().copied()))
    }

    #[test]
    fn the_definitions_are_consistent() {
        Options::command().debug_assert();
    }

    #[test]
    fn without_arguments_every_default_holds() {
        let options = parse(&[]).unwrap();
        assert_eq!(options.port, 3001);
        assert_eq!(
            options.origins,
            ["http://localhost:3000", "http://127.0.0.1:3000"]
        );
        assert_eq!((options.deps, options.rustc), (None, None));
        assert!(options.crates.is_empty());
        assert_eq!((options.jobs, options.queue, options.max_wait), (2, 16, 20));
        assert_eq!((options.compile_timeout, options.run_timeout), (20, 4));
        assert_eq!((options.max_code, options.max_output), (65536, 65536));
        assert_eq!((options.memory_mib, options.processes), (512, 256));
        assert!(!options.insecure && !options.allow_no_cgroups && !options.exit_with_parent);
    }

    #[test]
    fn the_flags_cargo_xtask_passes_are_read() {
        let deps = std::env::temp_dir();
        let options = parse(&[
            "--port",
            "0",
            "--exit-with-parent",
            "--deps",
            deps.to_str().unwrap(),
            "--insecure",
            "--allow-origin",
            "http://127.0.0.1:4000/",
            "--allow-origin",
            "http://localhost:4000",
            "--crate",
            "futures=0.3.31",
            "--crate",
            "pin-project-lite",
        ])
        .unwrap();
        assert_eq!(options.port, 0);
        assert!(options.exit_with_parent && options.insecure);
        assert_eq!(options.deps, Some(std::fs::canonicalize(&deps).unwrap()));
        // Given origins replace the defaults, and lose a trailing slash.
        assert_eq!(
            options.origins,
            ["http://127.0.0.1:4000", "http://localhost:4000"]
        );
        assert_eq!(
            options.crates,
            [
                ("futures".to_string(), "0.3.31".to_string()),
                ("pin-project-lite".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn a_misspelt_flag_is_an_error_with_a_suggestion() {
        let error = parse(&["--insecur"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert!(
            error
                .to_string()
                .contains("similar argument exists: '--insecure'"),
            "{error}"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_flag_named() {
        for (args, names) in [
            (&["--port", "70000"][..], "--port <N>"),
            (&["--jobs", "0"], "--jobs <N>"),
            (&["--jobs", "65"], "--jobs <N>"),
            (&["--run-timeout", "soon"], "--run-timeout <SECS>"),
            (&["--deps", "/no/such/folder"], "--deps <DIR>"),
            (&["--rustc", "/no/such/rustc"], "--rustc <PATH>"),
            (&["--crate", "=1.0"], "--crate <NAME[=VER]>"),
            (&["--memory"], "--memory <MIB>"),
        ] {
            let error = parse(args).expect_err(&format!("{args:?} was accepted"));
            assert!(error.to_string().contains(names), "{args:?}: {error}");
        }
    }

    #[test]
    fn the_help_shows_each_default() {
        let help = Options::command().render_long_help().to_string();
        for default in [
            "[default: 3001]",
            "[default: http://localhost:3000 http://127.0.0.1:3000]",
            "[default: 20]",
            "[default: 65536]",
            "[default: 512]",
            "listening on http://127.0.0.1:PORT",
        ] {
            assert!(help.contains(default), "{default} missing from:\n{help}");
        }
    }
}
