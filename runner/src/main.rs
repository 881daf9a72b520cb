//! A local stand-in for the Rust playground, so the book's Run buttons work offline.
//!
//! `cargo xtask serve` starts it beside the book, and theme/playground-local.js sends the Run
//! button's requests to it. It compiles with this machine's rustc against one prebuilt copy of
//! the crates the chapters may use (ci/book-deps), and runs each program under limits.
//! Run `runner --help` for the options.

mod gate;
mod http;
mod sandbox;
mod service;

use gate::Gate;
use sandbox::{Isolation, Limits, Sandbox};
use service::Service;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const HELP: &str = "\
runner: runs the book's code for its Run buttons, like play.rust-lang.org but on this machine

Options (defaults in brackets):
  --port N               port on 127.0.0.1 to listen on; 0 picks a free one [3001]
  --allow-origin URL     a page origin that may send code (repeatable)
                         [http://localhost:3000 and http://127.0.0.1:3000]
  --deps DIR             folder of prebuilt crates (target/book-deps/debug/deps)
  --crate NAME[=VER]     a crate of DIR the code may use (repeatable)
  --rustc PATH           the compiler [the rustc of `rustc --print sysroot`]
  --jobs N               builds at once [2]
  --queue N              builds that may wait for a turn; more are told the runner is busy [16]
  --max-wait SECS        how long a build may wait for its turn [20]
  --compile-timeout SECS [20]     --run-timeout SECS   [4]
  --max-code BYTES       [65536]  --max-output BYTES   [65536]
  --memory MIB           address space of a program [2048]
  --processes N          processes and threads of a program [256]
  --no-namespaces        do not try network and PID namespaces (as root: still user nobody)
  --exit-with-parent     stop when the program that started it ends (Linux; cargo xtask uses it)

It prints `listening on http://127.0.0.1:PORT` on stdout once it is ready.
";

/// Connections served at once; more are closed at once (each build also waits at the gate).
const MAX_CONNECTIONS: usize = 64;

struct Options {
    port: u16,
    origins: Vec<String>,
    deps: Option<PathBuf>,
    crates: Vec<(String, String)>,
    rustc: Option<PathBuf>,
    jobs: usize,
    queue: usize,
    max_wait: u64,
    compile_timeout: u64,
    run_timeout: u64,
    max_code: usize,
    max_output: usize,
    memory_mib: u64,
    processes: u64,
    namespaces: bool,
}

fn main() {
    if let Err(message) = run() {
        eprintln!("runner: {message}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let options = parse_args(std::env::args().skip(1))?;
    let rustc = match options.rustc.clone() {
        Some(path) => path,
        None => find_rustc()?,
    };
    let externs = match &options.deps {
        Some(deps) => options
            .crates
            .iter()
            .map(|(name, _)| find_rlib(deps, name).map(|rlib| (name.replace('-', "_"), rlib)))
            .collect::<Result<Vec<_>, _>>()?,
        None if options.crates.is_empty() => Vec::new(),
        None => return Err("--crate needs --deps DIR to find the crate in".into()),
    };
    let limits = Limits {
        compile_timeout: Duration::from_secs(options.compile_timeout),
        run_timeout: Duration::from_secs(options.run_timeout),
        max_output: options.max_output,
        memory: options.memory_mib << 20,
        processes: options.processes,
        file_size: 64 << 20,
    };
    let isolation = Isolation::detect(options.namespaces);
    isolation.check_temp_dir(&std::env::temp_dir())?;
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let service = Arc::new(Service {
        port,
        origins: options.origins,
        crates: options.crates,
        max_code: options.max_code,
        gate: Gate::new(
            options.jobs,
            options.queue,
            Duration::from_secs(options.max_wait),
        ),
        sandbox: Sandbox::new(rustc, options.deps, externs, limits, isolation),
    });
    eprintln!(
        "runner: programs run with {}; origins allowed: {}",
        isolation.describe(),
        service.origins.join(", ")
    );
    println!("listening on http://127.0.0.1:{port}");

    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            drop(stream);
            continue;
        }
        let service = Arc::clone(&service);
        let open = Arc::clone(&open);
        std::thread::spawn(move || {
            service.handle(stream);
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
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
        memory_mib: 2048,
        processes: 256,
        namespaces: true,
    };
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            print!("{HELP}");
            std::process::exit(0);
        }
        if flag == "--no-namespaces" {
            options.namespaces = false;
            continue;
        }
        if flag == "--exit-with-parent" {
            exit_with_parent();
            continue;
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
                // Absolute, since rustc runs in each job's own folder.
                let deps =
                    std::fs::canonicalize(&value).map_err(|e| format!("--deps {value}: {e}"))?;
                options.deps = Some(deps);
            }
            "--crate" => {
                let (name, version) = value.split_once('=').unwrap_or((&value, ""));
                options.crates.push((name.to_string(), version.to_string()));
            }
            "--rustc" => options.rustc = Some(PathBuf::from(value)),
            "--jobs" => options.jobs = number(&value)? as usize,
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

/// Asks the kernel to end this process when its parent ends, so a runner started by
/// `cargo xtask` never outlives it (not even when that is killed).
fn exit_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        // The parent may have ended before the request was made: then init adopted this process.
        if libc::getppid() == 1 {
            std::process::exit(0);
        }
    }
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

/// The one `lib<name>-<hash>.rlib` of a crate in the deps folder.
fn find_rlib(deps: &Path, name: &str) -> Result<PathBuf, String> {
    let prefix = format!("lib{}-", name.replace('-', "_"));
    let entries =
        std::fs::read_dir(deps).map_err(|e| format!("cannot list {}: {e}", deps.display()))?;
    let found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".rlib"))
        })
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
