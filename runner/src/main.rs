//! A local stand-in for the Rust playground, so the book's Run buttons work offline.
//!
//! `cargo xtask serve` starts it beside the book and tells the book's pages where it is
//! (theme/playground-local.js). It compiles with this machine's rustc against one prebuilt copy
//! of the crates the chapters may use (ci/book-deps), and compiles and runs each piece of code
//! in a bubblewrap sandbox of its own. Run `runner --help` for the options and what the sandbox
//! does and does not protect against.

mod cgroup;
mod child;
mod gate;
mod options;
mod sandbox;
mod seccomp;
mod server;
mod service;
mod state;

use gate::Gate;
use options::Options;
use sandbox::{Limits, Mode, Sandbox};
use service::Service;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn main() {
    // A misspelt or malformed option ends here, with clap's message (and status 2).
    let options = <Options as clap::Parser>::parse();
    if options.exit_with_parent {
        options::exit_with_parent();
    }
    if let Err(message) = start(&options) {
        eprintln!("runner: {message}");
        std::process::exit(2);
    }
}

fn start(options: &Options) -> Result<(), String> {
    // Before any thread exists: the private mount namespace (as root) needs a single thread.
    let sandbox = Arc::new(make_sandbox(options)?);
    let listener = std::net::TcpListener::bind(("127.0.0.1", options.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let service = Arc::new(Service {
        port,
        origins: options.origins.clone(),
        crates: options.crates.clone(),
        max_code: options.max_code,
        gate: Gate::new(
            // Without control groups one job's processes count against the limits of every job
            // of this user, so one at a time (see --allow-no-cgroups).
            if sandbox.cgroups.available() {
                usize::from(options.jobs)
            } else {
                1
            },
            options.queue,
            Duration::from_secs(options.max_wait),
        ),
        sandbox: Arc::clone(&sandbox),
    });
    eprintln!("runner: {}", sandbox.describe());
    if sandbox.insecure() {
        eprintln!(
            "runner: WARNING: started with --insecure. Any local process or user that can reach \
             127.0.0.1:{port} can read and change what this user can; every Run says so."
        );
    }
    eprintln!("runner: origins allowed: {}", service.origins.join(", "));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let longest_answer =
        Duration::from_secs(options.max_wait + options.compile_timeout + options.run_timeout + 30);
    let fd_limit = raise_fd_limit();
    let connections = server::connection_cap(fd_limit, usize::from(options.jobs));
    eprintln!("runner: at most {connections} connections at once ({fd_limit} descriptors)");
    let result = runtime.block_on(server::serve(
        listener,
        service,
        longest_answer,
        connections,
    ));
    shutdown(&sandbox);
    result
}

/// Raises the soft limit on open descriptors to the hard one (many systems start programs at
/// 1024 with a far higher hard limit); returns the soft limit now in force.
fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write one rlimit struct owned here.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    limit.rlim_cur
}

/// Ends every job and removes every job folder and control group (see `server::serve`).
fn shutdown(sandbox: &Sandbox) {
    // The runner's children are bubblewrap processes (or, insecure, compilers and programs);
    // each sandbox dies with its bubblewrap.
    let me = std::process::id().to_string();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid ...: the comm may hold spaces, so split after its ')'.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if parent == Some(me.as_str())
                && let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>()
            {
                // SAFETY: sends a signal; touches no memory.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
    sandbox.cgroups.remove_all();
    sandbox.state.remove();
}

fn make_sandbox(options: &Options) -> Result<Sandbox, String> {
    let rustc = match options.rustc.clone() {
        Some(path) => path,
        None => find_rustc()?,
    };
    let sysroot = rustc
        .parent()
        .and_then(Path::parent)
        .filter(|s| s.join("lib").is_dir())
        .ok_or_else(|| format!("{} is not in a toolchain's bin folder", rustc.display()))?
        .to_path_buf();
    let externs = match &options.deps {
        Some(deps) => options
            .crates
            .iter()
            .map(|(name, _)| find_rlib(deps, name).map(|rlib| (name.replace('-', "_"), rlib)))
            .collect::<Result<Vec<_>, _>>()?,
        None if options.crates.is_empty() => Vec::new(),
        None => return Err("--crate needs --deps DIR to find the crate in".into()),
    };
    let linker = find_linker()?;
    let mode = if options.insecure {
        Mode::Insecure
    } else {
        match find_program("bwrap") {
            Some(bwrap) => Mode::Sandboxed {
                bwrap,
                seccomp: seccomp::program()
                    .inspect_err(|why| eprintln!("runner: {why}"))
                    .ok(),
            },
            None => return Err(cannot_sandbox("bubblewrap (`bwrap`) is not installed")),
        }
    };
    // SAFETY: geteuid has no preconditions.
    let as_root = unsafe { libc::geteuid() } == 0;
    let private = as_root && !options.insecure;
    let state = state::State::create(
        &std::env::temp_dir(),
        &sysroot,
        options.deps.as_deref(),
        private,
    )
    .map_err(|e| {
        if options.insecure {
            e
        } else {
            cannot_sandbox(&e)
        }
    })?;
    let cgroups = cgroup::Cgroups::detect();
    if !cgroups.available() && !options.insecure && !options.allow_no_cgroups {
        state.remove();
        return Err(format!(
            "cannot limit a job as a whole: {}.\n\
             Without control groups, memory can be limited only per process and processes only \
             per user, so one job could hold many times --memory and starve another. Run the \
             runner as root (cgroup v1 or v2), or where systemd delegates the memory and pids \
             controllers of cgroup v2 to this user (a desktop session does), or start it with \
             --allow-no-cgroups to run one job at a time under limits per process.",
            cgroups.note
        ));
    }
    let limits = Limits {
        compile_timeout: Duration::from_secs(options.compile_timeout),
        run_timeout: Duration::from_secs(options.run_timeout),
        max_output: options.max_output,
        memory: options.memory_mib << 20,
        processes: options.processes,
        file_size: 64 << 20,
    };
    let sandbox = Sandbox::new(
        mode, rustc, linker, externs, limits, state, cgroups, as_root,
    );
    if let Err(e) = sandbox.check() {
        shutdown(&sandbox);
        return Err(if options.insecure {
            e
        } else {
            cannot_sandbox(&e)
        });
    }
    Ok(sandbox)
}

/// The refusal to start without a sandbox, with what to do about it.
fn cannot_sandbox(why: &str) -> String {
    format!(
        "cannot sandbox the code: {why}.\n\
         The runner compiles and runs code only inside bubblewrap. Install it (Debian or Ubuntu: \
         `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`) and allow \
         unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1` where that \
         setting exists; on Ubuntu 24.04 and later, bubblewrap's AppArmor profile allows it). \
         To run code WITHOUT a sandbox anyway, start the runner with --insecure (every Run then \
         says so)."
    )
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The C compiler rustc links with, resolved to the file itself (`cc` is usually a chain of
/// links, on Debian through /etc/alternatives, which the sandbox does not have).
fn find_linker() -> Result<PathBuf, String> {
    let cc = find_program("cc").ok_or(
        "no C compiler `cc` to link with: install one (Debian or Ubuntu: `sudo apt-get install gcc`)",
    )?;
    std::fs::canonicalize(&cc).map_err(|e| format!("cannot resolve {}: {e}", cc.display()))
}

/// The real compiler behind rustup's proxy, so each build skips the proxy and uses the
/// toolchain that built the crates in --deps (both are picked in this folder).
fn find_rustc() -> Result<PathBuf, String> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`rustc --print sysroot` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let rustc = Path::new(&sysroot).join("bin/rustc");
    if rustc.exists() {
        Ok(rustc)
    } else {
        Err(format!("no rustc in {sysroot}/bin"))
    }
}

/// The file name of the one `lib<name>-<hash>.rlib` of a crate in the deps folder.
fn find_rlib(deps: &Path, name: &str) -> Result<String, String> {
    let prefix = format!("lib{}-", name.replace('-', "_"));
    let entries =
        std::fs::read_dir(deps).map_err(|e| format!("cannot list {}: {e}", deps.display()))?;
    let found: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".rlib"))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no build of `{name}` in {}", deps.display())),
        _ => Err(format!(
            "{} builds of `{name}` in {}; build ci/book-deps into a fresh folder",
            found.len(),
            deps.display()
        )),
    }
}
