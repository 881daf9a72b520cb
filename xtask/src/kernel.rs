//! `cargo xtask kernel run | test | bench`: the companion kernel in `kernel/` (a workspace of its
//! own, with its own `target/`), built for `x86_64-unknown-none` and booted in QEMU.

mod faults;
mod keys;
mod qemu;
mod transcripts;

use crate::cli::KernelJob;
use crate::cmd::Cmd;
use crate::tools;
use anyhow::{Context, Result, bail};
use cargo_metadata::{Artifact, Message, TargetKind};
use qemu::Boot;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use transcripts::Mode;

const TARGET: &str = "x86_64-unknown-none";

/// `cargo xtask kernel …` (its jobs and options: `KernelJob` in cli.rs).
pub fn main(root: &Path, job: KernelJob) -> Result<()> {
    match job {
        KernelJob::Run { release } => run(root, release),
        KernelJob::Test { release, repeat } => suite(root, release, repeat, Mode::Compare),
        KernelJob::Bless { debug } => suite(root, !debug, 1, Mode::Bless),
        KernelJob::Bench => bench(root),
    }
}

/// The last step of `cargo xtask test`: the kernel's lints, every kernel test once in a debug
/// build and once in a release build (what `bench` measures), and the files of `bench` present
/// (the chapters include them).
pub fn test(root: &Path) -> Result<()> {
    for table in GENERATED {
        if !root.join("src/generated").join(table).exists() {
            bail!("src/generated/{table} is missing: run `cargo xtask kernel bench` and commit it");
        }
    }
    suite(root, false, 1, Mode::Compare)?;
    suite(root, true, 1, Mode::Compare)
}

/// The files `bench` writes into `src/generated/`.
const GENERATED: [&str; 3] = [
    "kernel-threads-vs-tasks.md",
    "kernel-boot-times.md",
    "kernel-serial-flood.md",
];

fn kernel_dir(root: &Path) -> PathBuf {
    root.join("kernel")
}

/// QEMU (installed with apt-get when missing, see `ci/tools.toml`) and the bare-metal target.
fn prepare(root: &Path) -> Result<()> {
    tools::require_system(root, "qemu-system-x86_64")?;
    // The toolchain that builds the kernel is the one the repository's `rust-toolchain.toml`
    // picks (rustup looks for that file in kernel/ and then in its parents).
    let sysroot = Cmd::new("rustc")
        .args(["--print", "sysroot"])
        .dir(kernel_dir(root))
        .quiet()
        .read()?;
    let target_libs = Path::new(sysroot.trim()).join("lib/rustlib").join(TARGET);
    if !target_libs.exists() {
        crate::section(&format!("adding the Rust target {TARGET} (for the kernel)"));
        Cmd::new("rustup")
            .args(["target", "add", TARGET])
            .dir(kernel_dir(root))
            .timeout(Duration::from_secs(10 * 60))
            .run()
            .with_context(|| format!("the kernel needs the Rust target {TARGET}"))?;
    }
    Ok(())
}

/// The kernel's binaries, from one build.
struct Binaries {
    /// The interactive kernel.
    kernel: PathBuf,
    /// The measuring kernel of `bench`.
    measure: PathBuf,
    /// The test kernels of `kernel/tests/`, by name.
    tests: Vec<(String, PathBuf)>,
}

fn build(root: &Path, release: bool) -> Result<Binaries> {
    prepare(root)?;
    let dir = kernel_dir(root);
    eprintln!(
        "building the kernel ({}; the first build takes about a minute)",
        if release { "release" } else { "debug" }
    );
    let mut cargo = Cmd::new("cargo")
        .args(["build", "--locked", "--bins", "--tests"])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--target-dir",
        ])
        .arg(dir.join("target"))
        .dir(&dir)
        .timeout(Duration::from_secs(20 * 60));
    if release {
        cargo = cargo.arg("--release");
    }
    let messages = cargo.read().context("building the kernel failed")?;
    binaries(&messages)
}

/// The kernel's binaries, from cargo's messages about its build (`--message-format json…`).
fn binaries(messages: &str) -> Result<Binaries> {
    let (mut kernel, mut measure, mut tests) = (None, None, Vec::new());
    for message in Message::parse_stream(messages.as_bytes()) {
        let message = message.context("cannot read cargo's messages about the kernel build")?;
        let Message::CompilerArtifact(Artifact {
            target,
            profile,
            executable: Some(executable),
            ..
        }) = message
        else {
            continue;
        };
        let executable = PathBuf::from(executable);
        if target.is_kind(TargetKind::Test) {
            tests.push((target.name, executable));
        } else if target.is_kind(TargetKind::Bin) && !profile.test {
            match target.name.as_str() {
                "kernel" => kernel = Some(executable),
                "measure" => measure = Some(executable),
                _ => {}
            }
        }
    }
    tests.sort();
    Ok(Binaries {
        kernel: kernel.context("cargo built no `kernel` binary")?,
        measure: measure.context("cargo built no `measure` binary")?,
        tests,
    })
}

/// The kernel's own format and lint checks (it is not part of the root workspace).
fn lint(root: &Path) -> Result<()> {
    let dir = kernel_dir(root);
    Cmd::new("cargo")
        .args(["fmt", "--check"])
        .dir(&dir)
        .run()
        .context("the kernel's code is not formatted: run `cargo fmt` in kernel/")?;
    Cmd::new("cargo")
        .args([
            "clippy",
            "--locked",
            "--quiet",
            "--bins",
            "--tests",
            "--target-dir",
        ])
        .arg(dir.join("target"))
        .args(["--", "-D", "warnings"])
        .dir(&dir)
        .timeout(Duration::from_secs(20 * 60))
        .run()
}

fn logs(root: &Path) -> PathBuf {
    kernel_dir(root).join("target/qemu-logs")
}

/// `cargo xtask kernel run`: the kernel with COM1 on this terminal. Keys typed here reach the
/// kernel through COM1's receive interrupt; there is no window (QEMU runs with `-display none`).
fn run(root: &Path, release: bool) -> Result<()> {
    let binaries = build(root, release)?;
    eprintln!("booting the kernel in QEMU: type, and it echoes; Ctrl-D ends it, Ctrl-C stops QEMU");
    // Not `Cmd`: QEMU needs this terminal's input, and exit status 33 is the kernel's "success".
    let status = std::process::Command::new("qemu-system-x86_64")
        .args(qemu::MACHINE)
        .arg("-kernel")
        .arg(&binaries.kernel)
        .args(["-serial", "stdio"])
        .status()
        .context("could not start qemu-system-x86_64")?;
    match status.code() {
        Some(qemu::SUCCESS) | None => Ok(()),
        Some(code) => bail!("the kernel failed (QEMU exit status {code})"),
    }
}

/// The transcript of a test kernel `name`, if it has one (every kernel of `expected-faults` has).
fn test_transcript(root: &Path, name: &str) -> PathBuf {
    kernel_dir(root)
        .join("tests")
        .join(format!("{name}.serial"))
}

/// The transcript of a keyboard session typed by the host.
fn session_transcript(root: &Path, name: &str) -> PathBuf {
    kernel_dir(root)
        .join("transcripts")
        .join(format!("{name}.serial"))
}

/// Every kernel test, then the keyboard tests, `repeat` times over one build; each transcript
/// compared with what its run printed (or, with `Mode::Bless`, rewritten from it).
fn suite(root: &Path, release: bool, repeat: usize, mode: Mode) -> Result<()> {
    let binaries = build(root, release)?;
    lint(root)?;
    let faults = faults::expected(&kernel_dir(root))?;
    let logs = logs(root);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for round in 1..=repeat {
        let round_started = Instant::now();
        if repeat > 1 {
            eprintln!("round {round} of {repeat}");
        }
        for (name, kernel) in &binaries.tests {
            if let Some(fault) = faults.get(name) {
                let elapsed = faults::check(fault, kernel_boot(name, kernel), &logs, mode)?;
                eprintln!(
                    "kernel test {name}: ok, ended in the expected fault ({:.2} s)",
                    elapsed.as_secs_f64()
                );
                continue;
            }
            let finished = kernel_boot(name, kernel).start(&logs)?.expect_success()?;
            let transcript = test_transcript(root, name);
            if transcript.exists() {
                let what = format!("kernel test `{name}`");
                transcripts::check(&what, &finished.output, &transcript, mode)?;
            }
            let passed = finished
                .output
                .lines()
                .filter(|l| l.starts_with("test ") && l.contains(" ... ok"))
                .count();
            let plural = if passed == 1 { "" } else { "s" };
            eprintln!(
                "kernel test {name}: ok, {passed} check{plural} ({:.2} s)",
                finished.elapsed.as_secs_f64()
            );
        }
        let measure_started = Instant::now();
        let measured = boot_once("measure", &binaries.measure, &logs)?;
        // Its table is the book's, which `bench` writes from a release build: bless leaves it.
        if mode == Mode::Compare {
            let shown = root.join("src/generated").join(GENERATED[0]);
            transcripts::check_table(&measured.output, &shown)?;
        }
        eprintln!(
            "measuring kernel: ok, printed the rows of the book's table ({:.2} s)",
            measure_started.elapsed().as_secs_f64()
        );
        if let Some(name) = faults
            .keys()
            .find(|f| !binaries.tests.iter().any(|t| &t.0 == *f))
        {
            bail!(
                "kernel/Cargo.toml expects a fault of the test kernel `{name}`, which cargo did not build"
            );
        }
        for (name, test, transcript) in [
            (
                "echo",
                keys::echo as fn(&Path, &Path) -> Result<String>,
                Some("echo"),
            ),
            ("full queue", keys::full_queue, Some("full-queue")),
            ("serial console", keys::serial_console, None),
        ] {
            let test_started = Instant::now();
            let session = test(&binaries.kernel, &logs)?;
            if let Some(transcript) = transcript {
                let what = format!("kernel keyboard test `{name}`");
                let file = session_transcript(root, transcript);
                transcripts::check(&what, &session, &file, mode)?;
            }
            eprintln!(
                "kernel keyboard test {name}: ok ({:.2} s)",
                test_started.elapsed().as_secs_f64()
            );
        }
        let test_started = Instant::now();
        let flood = keys::serial_flood(&binaries.kernel, &logs)?;
        eprintln!(
            "kernel keyboard test serial flood: ok, {} bytes pasted, {} echoed, {} dropped \
             ({:.2} s)",
            keys::PASTED,
            flood.echoed,
            flood.dropped,
            test_started.elapsed().as_secs_f64()
        );
        slowest = slowest.max(round_started.elapsed());
    }
    eprintln!(
        "kernel tests: {repeat} round(s) passed in {:.1} s (slowest round {:.1} s)",
        started.elapsed().as_secs_f64(),
        slowest.as_secs_f64()
    );
    Ok(())
}

/// A test kernel `name`, booted with the command line `kernel-test` and a minute to finish.
fn kernel_boot<'a>(name: &str, kernel: &'a Path) -> Boot<'a> {
    Boot {
        name: format!("kernel test `{name}`"),
        kernel,
        append: "kernel-test",
        monitor: false,
        timeout: Duration::from_secs(60),
    }
}

/// Boots `kernel` and returns its output and how long QEMU ran, failing unless it succeeded.
fn boot_once(name: &str, kernel: &Path, logs: &Path) -> Result<qemu::Finished> {
    kernel_boot(name, kernel).start(logs)?.expect_success()
}

/// `cargo xtask kernel bench`: the kernel's own measurements (a release build), the time from
/// starting QEMU to its exit for two test kernels in both profiles, and a serial flood's output.
pub fn bench(root: &Path) -> Result<()> {
    let logs = logs(root);
    let release = build(root, true)?;
    let measured = boot_once("measure", &release.measure, &logs)?;
    let table: String = measured
        .output
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    if table.lines().count() < 3 {
        bail!(
            "the measuring kernel printed no table:\n{}",
            measured.output
        );
    }
    let debug = build(root, false)?;
    let test_kernel = |binaries: &Binaries, name: &str| {
        binaries
            .tests
            .iter()
            .find(|(test, _)| test == name)
            .map(|(_, path)| path.clone())
            .with_context(|| format!("no `{name}` test kernel"))
    };
    // `boot` does almost nothing: its time is QEMU's start and the boot itself. `executor` runs
    // tens of thousands of tasks: there the kernel's own code decides.
    let mut rows = String::new();
    for (test, what, runs) in [
        ("boot", "almost none", 7),
        (
            "executor",
            "10,000 tasks, 2,000 sleepers, 5,000 one-shot timers",
            3,
        ),
    ] {
        for (profile, binaries) in [("release", &release), ("debug", &debug)] {
            let kernel = test_kernel(binaries, test)?;
            let mut times: Vec<f64> = (0..runs)
                .map(|_| boot_once(test, &kernel, &logs).map(|f| f.elapsed.as_secs_f64()))
                .collect::<Result<_>>()?;
            times.sort_by(f64::total_cmp);
            let size = std::fs::metadata(&kernel)?.len();
            rows.push_str(&format!(
                "| `{test}` ({what}) | {profile} | {} KiB | {:.0} ms | {:.0} ms | {:.0} ms |\n",
                size / 1024,
                times[0] * 1000.0,
                times[times.len() / 2] * 1000.0,
                times[times.len() - 1] * 1000.0
            ));
        }
    }
    let flood = keys::serial_flood(&release.kernel, &logs)?;
    let provenance = provenance()?;
    let generated = root.join("src/generated");
    std::fs::create_dir_all(&generated)?;
    let write = |name: &str, table: &str| -> Result<()> {
        let file = generated.join(name);
        std::fs::write(
            &file,
            format!(
                "{table}\n{}",
                crate::bench::note("`cargo xtask kernel bench`", &provenance)
            ),
        )?;
        eprintln!("wrote {}", file.display());
        Ok(())
    };
    write(GENERATED[0], &table)?;
    write(
        GENERATED[2],
        &format!("```text\n{}```\n", keys::flood_transcript(&flood.output)),
    )?;
    write(
        GENERATED[1],
        &format!(
            "| Test kernel (work done) | Build | ELF file | Fastest boot to exit | Median | Slowest |\n\
             |---|---|--:|--:|--:|--:|\n{rows}"
        ),
    )?;
    Ok(())
}

/// "QEMU <version> (TCG, no KVM), <cpu> (<n> cores), rustc <version>, <date>"
fn provenance() -> Result<String> {
    let qemu = Cmd::new("qemu-system-x86_64")
        .arg("--version")
        .quiet()
        .read()?;
    let qemu = qemu
        .split_whitespace()
        .nth(3)
        .unwrap_or("(unknown version)")
        .to_string();
    Ok(format!(
        "QEMU {qemu} (TCG, no KVM), {}",
        crate::bench::provenance()?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of cargo's messages about one artifact, as cargo 1.95 prints it.
    fn artifact(kind: &str, name: &str, test_profile: bool, executable: &str) -> String {
        format!(
            r#"{{"reason":"compiler-artifact","package_id":"path+file:///k#0.1.0","manifest_path":"/k/Cargo.toml","target":{{"kind":["{kind}"],"crate_types":["bin"],"name":"{name}","src_path":"/k/src/{name}.rs","edition":"2024","doc":true,"doctest":false,"test":true}},"profile":{{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":{test_profile}}},"features":[],"filenames":["{executable}"],"executable":"{executable}","fresh":true}}"#
        )
    }

    #[test]
    fn finds_the_binaries_in_cargos_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#spin@0.9.8","manifest_path":"/r/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"spin","src_path":"/r/src/lib.rs","edition":"2015","doc":true,"doctest":true,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":false},"features":[],"filenames":["/t/libspin.rlib"],"executable":null,"fresh":true}"#.to_string(),
            artifact("bin", "kernel", false, "/t/kernel"),
            // The same binary built as its own unit tests (a bin without `test = false`).
            artifact("bin", "kernel", true, "/t/deps/kernel-1"),
            artifact("test", "heap", true, "/t/deps/heap-2"),
            artifact("bin", "measure", false, "/t/measure"),
            artifact("test", "boot", true, "/t/deps/boot-3"),
            "not JSON: a line cargo passed through".to_string(),
            r#"{"reason":"build-finished","success":true}"#.to_string(),
        ]
        .join("\n");
        let found = binaries(&messages).expect("binaries");
        assert_eq!(found.kernel, Path::new("/t/kernel"));
        assert_eq!(found.measure, Path::new("/t/measure"));
        let tests: Vec<_> = found.tests.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(tests, ["boot", "heap"]);
    }

    #[test]
    fn a_missing_binary_is_named() {
        let messages = artifact("bin", "kernel", false, "/t/kernel");
        let error = binaries(&messages).err().expect("no measure binary");
        assert_eq!(error.to_string(), "cargo built no `measure` binary");
    }
}
