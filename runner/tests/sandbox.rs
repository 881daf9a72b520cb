//! The runner against hostile code, as root and as a user without privileges (see
//! `support::users`): a canary only the runner's user may read never comes back, one run cannot
//! see or change another, files a program writes and processes it starts do not outlive it,
//! slow clients do not block others, and stopping the runner ends every job.
//!
//! Each test shows that its attack ran (the compiler's "couldn't read", a program's own report)
//! so that it cannot pass by accident; how each was seen to fail without its protection is in
//! runner/README.md.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{As, ORIGIN, Runner, processes, unique, users};

/// Every route by which code could read a file at compile time, or the runner's environment.
#[test]
fn a_canary_never_comes_back_at_compile_time() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let canary = runner.canary.display().to_string();
        let environ = format!("/proc/{}/environ", runner.pid());
        let attacks = [
            format!(r#"const S: &str = include_str!("{canary}"); fn main() {{ print!("{{S}}") }}"#),
            format!(
                r#"const S: &[u8] = include_bytes!("{canary}"); fn main() {{ print!("{{}}", String::from_utf8_lossy(S)) }}"#
            ),
            format!(
                r#"const S: &[u8] = include_bytes!("{environ}"); fn main() {{ print!("{{}}", String::from_utf8_lossy(S)) }}"#
            ),
            format!(r#"#[path = "{canary}"] mod canary; fn main() {{}}"#),
            format!(r#"#[path = "{environ}"] mod environ; fn main() {{}}"#),
            format!(
                r#"std::arch::global_asm!(".pushsection .rodata.leak, \"a\"", ".globl LEAK", "LEAK:", ".incbin \"{canary}\"", ".byte 0", ".popsection");
unsafe extern "C" {{ static LEAK: [u8; 64]; }}
fn main() {{ print!("{{}}", String::from_utf8_lossy(unsafe {{ &LEAK }})); }}"#
            ),
            format!(
                r#"const S: &str = include_str!("/proc/self/root{canary}"); fn main() {{ print!("{{S}}") }}"#
            ),
        ];
        for code in attacks {
            let reply = runner.evaluate(&code);
            let answer = reply.body.clone();
            assert!(
                !answer.contains(&runner.secret),
                "{who:?}: the canary came back from\n{code}\n{answer}"
            );
            assert!(
                answer.contains("couldn't read") || answer.contains("error"),
                "{who:?}: the attack did not fail at compile time:\n{code}\n{answer}"
            );
        }
        runner.still_serves();
    }
}

/// The same at run time: the file itself, through /proc, and every process's environment.
#[test]
fn a_canary_never_comes_back_at_run_time() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let code = format!(
            r#"fn main() {{
    let mut paths: Vec<String> = vec![
        "{canary}".into(),
        "/proc/{pid}/environ".into(),
        "/proc/{pid}/root{canary}".into(),
        "/proc/1/root{canary}".into(),
        "/proc/self/root{canary}".into(),
    ];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {{
        paths.push(format!("{{}}/environ", entry.path().display()));
        paths.push(format!("{{}}/cmdline", entry.path().display()));
    }}
    let mut read = 0;
    for path in &paths {{
        if let Ok(bytes) = std::fs::read(path) {{
            read += 1;
            print!("{{}}", String::from_utf8_lossy(&bytes));
        }}
    }}
    println!();
    println!("tried {{}} paths, read {{read}}", paths.len());
}}"#,
            canary = runner.canary.display(),
            pid = runner.pid(),
        );
        let reply = runner.evaluate(&code);
        assert!(
            reply.result().contains("tried "),
            "{who:?}: the program did not run: {}",
            reply.body
        );
        assert!(
            !reply.body.contains(&runner.secret),
            "{who:?}: the canary came back at run time: {}",
            reply.body
        );
        runner.still_serves();
    }
}

/// Two runs at once: the attacker looks for the victim's processes and files, tries to kill it
/// and to rewrite its memory; the victim must finish with its own message, unseen. (The attacker
/// touches only processes whose program is a playground, so that a failing sandbox harms
/// nothing else.)
#[test]
fn one_run_cannot_see_or_change_another() {
    for who in users() {
        let runner = Runner::start_as(who, &["--jobs", "2", "--run-timeout", "15"]);
        let marker = format!("VICTIM{}", unique().replace('-', ""));
        let (first, second) = marker.split_at(6);
        let victim = format!(
            r#"fn now() -> u128 {{ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() }}
fn main() {{
    let message = String::from("{marker}");
    let start = now();
    std::thread::sleep(std::time::Duration::from_secs(6));
    println!("{{}} {{start}} {{}}", std::hint::black_box(&message), now());
}}"#
        );
        // The attacker never holds the marker whole in its code, only at run time.
        let attacker = format!(
            r#"use std::io::{{Read, Seek, SeekFrom, Write}};
fn now() -> u128 {{ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() }}
fn main() {{
    let marker = ["{first}", "{second}"].concat();
    let me = std::process::id().to_string();
    let start = now();
    let mut seen = 0;
    let mut found = Vec::new();
    while now() - start < 5000 {{
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {{
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.chars().all(|c| c.is_ascii_digit()) || name == me || name == "1" {{ continue; }}
            seen += 1;
            let dir = entry.path();
            // Only other runs' programs are attacked (should the sandbox fail, nothing else of
            // the machine is touched).
            let exe = std::fs::read_link(dir.join("exe")).map(|p| p.display().to_string()).unwrap_or_default();
            if !exe.ends_with("playground") {{ continue; }}
            for file in ["cmdline", "environ", "cwd/main.rs", "root/job/main.rs"] {{
                if std::fs::read_to_string(dir.join(file)).is_ok_and(|t| t.contains(&marker)) {{
                    found.push(format!("{{name}}/{{file}}"));
                }}
            }}
            let maps = std::fs::read_to_string(dir.join("maps")).unwrap_or_default();
            if let Ok(mut mem) = std::fs::OpenOptions::new().read(true).write(true).open(dir.join("mem")) {{
                for line in maps.lines().filter(|l| l.contains(" rw")) {{
                    let range = line.split(' ').next().unwrap();
                    let (a, b) = range.split_once('-').unwrap();
                    let (a, b) = (u64::from_str_radix(a, 16).unwrap(), u64::from_str_radix(b, 16).unwrap());
                    let mut buf = vec![0u8; (b - a).min(1 << 24) as usize];
                    if mem.seek(SeekFrom::Start(a)).is_ok() && mem.read_exact(&mut buf).is_ok() {{
                        if let Some(at) = buf.windows(marker.len()).position(|w| w == marker.as_bytes()) {{
                            found.push(format!("{{name}}/mem"));
                            let _ = mem.seek(SeekFrom::Start(a + at as u64));
                            let _ = mem.write_all(&vec![b'X'; marker.len()]);
                        }}
                    }}
                }}
            }}
            let _ = std::process::Command::new("kill").args(["-9", &name]).status();
        }}
        std::thread::sleep(std::time::Duration::from_millis(50));
    }}
    println!("attacker {{start}} {{}} saw {{seen}} processes; FOUND {{found:?}}", now());
}}"#
        );
        let (victim_reply, attacker_reply) = std::thread::scope(|scope| {
            let victim = scope.spawn(|| runner.evaluate(&victim));
            // The victim compiles first (it has its turn once its compiler runs), then the
            // attacker; the attacker's 5 s overlap the victim's 6 s of sleep.
            runner.wait_for_a_job(|| victim.is_finished());
            let attacker = runner.evaluate(&attacker);
            (victim.join().unwrap(), attacker)
        });
        let victim_says = victim_reply.result();
        let attacker_says = attacker_reply.result();
        let times = |text: &str, at: usize| -> (u128, u128) {
            let words: Vec<&str> = text.split_whitespace().collect();
            (
                words.get(at).and_then(|w| w.parse().ok()).unwrap_or(0),
                words.get(at + 1).and_then(|w| w.parse().ok()).unwrap_or(0),
            )
        };
        assert!(
            victim_says.starts_with(&marker),
            "{who:?}: the victim was changed or stopped: {}",
            victim_reply.body
        );
        assert!(
            attacker_says.contains("FOUND []"),
            "{who:?}: the attacker found the victim: {attacker_says}"
        );
        let (v_start, v_end) = times(&victim_says, 1);
        let (a_start, a_end) = times(&attacker_says, 1);
        assert!(
            v_start > 0 && a_start > 0,
            "{who:?}: {victim_says}\n{attacker_says}"
        );
        if one_at_a_time(&runner) {
            // Without control groups (--allow-no-cgroups) runs never overlap, which is tested
            // in `without_control_groups_the_runner_refuses_or_runs_one_job_at_a_time`.
            eprintln!("{who:?}: this runner runs one job at a time, so the runs did not overlap");
            continue;
        }
        assert!(
            v_start < a_end && a_start < v_end,
            "{who:?}: the two runs did not overlap, so this proves nothing:\n{victim_says}\n{attacker_says}"
        );
        runner.still_serves();
    }
}

/// Files a program leaves in /tmp, /dev/shm, its folder or its TMPDIR are gone from the machine.
#[test]
fn files_a_program_writes_are_gone() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let marker = format!("left-{}", unique());
        let code = format!(
            r#"fn main() {{
    let tmp = std::env::var("TMPDIR").unwrap_or("/tmp".into());
    let mut wrote = 0;
    for dir in ["/tmp", "/dev/shm", ".", tmp.as_str(), "/var/tmp"] {{
        if std::fs::write(format!("{{dir}}/{marker}"), vec![7u8; 8 << 20]).is_ok() {{ wrote += 1; }}
    }}
    println!("wrote {{wrote}} files");
}}"#
        );
        let reply = runner.evaluate(&code);
        assert!(
            reply.result().starts_with("wrote ") && !reply.result().starts_with("wrote 0"),
            "{who:?}: the program wrote nothing: {}",
            reply.body
        );
        let mut places = vec![
            Path::new("/tmp").to_path_buf(),
            Path::new("/dev/shm").to_path_buf(),
            Path::new("/var/tmp").to_path_buf(),
            runner.scratch.clone(),
        ];
        if who == As::Root {
            places.push(runner.state_dir());
            places.push(format!("/proc/{}/root/tmp", runner.pid()).into());
        }
        let mut left = Vec::new();
        for place in places {
            left.extend(find_named(&place, &marker, 4));
        }
        // Removed before the check, so that a failing run does not leave them on the machine.
        for file in &left {
            let _ = std::fs::remove_file(file);
        }
        assert!(left.is_empty(), "{who:?}: left behind: {left:?}");
        runner.still_serves();
    }
}

/// The sandbox's own `/` and `/dev` are tmpfs folders with no size limit of their own: a program
/// may write into neither (only into its bounded /tmp, /dev/shm and /work).
#[test]
fn the_sandbox_root_and_dev_are_read_only() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let code = r#"fn main() {
    for dir in ["/", "/dev", "/usr", "/tmp", "/dev/shm", "/work"] {
        let path = format!("{}/fill", dir.trim_end_matches('/'));
        let written = std::fs::write(&path, vec![7u8; 1 << 20]);
        println!("{dir}: {}", match written { Ok(()) => "written".to_string(), Err(e) => format!("refused ({e})") });
    }
}"#;
        let result = runner.evaluate(code).result();
        for refused in ["/", "/dev", "/usr"] {
            assert!(
                result
                    .lines()
                    .any(|l| l.starts_with(&format!("{refused}: refused"))),
                "{who:?}: a program could write into {refused}: {result}"
            );
        }
        for written in ["/tmp", "/dev/shm", "/work"] {
            assert!(
                result.lines().any(|l| l == format!("{written}: written")),
                "{who:?}: a program could not write into {written}: {result}"
            );
        }
        runner.still_serves();
    }
}

fn find_named(dir: &Path, name: &str, depth: usize) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().contains(name) {
            found.push(path.display().to_string());
        }
        if depth > 0 && entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(find_named(&path, name, depth - 1));
        }
    }
    found
}

/// The command line of a process started by the tests' programs, unique to this test run.
fn sleeper(seconds: u32) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = unique().rsplit('-').next().unwrap().to_string();
    let digits = format!("{}{n}{}", std::process::id(), &nanos[nanos.len() - 6..]);
    format!("{seconds}.{digits}")
}

fn running(pattern: &str) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|p| p.cmdline.contains(pattern))
        .map(|p| format!("{} (uid {}) {}", p.pid, p.uid, p.cmdline))
        .collect()
}

/// A program that starts processes in new sessions (the way daemons leave) and ends at once.
fn escaping_program(seconds: &str, then_sleep: u32) -> String {
    format!(
        r#"fn main() {{
    let a = std::process::Command::new("setsid").args(["-f", "sleep", "{seconds}"]).status();
    let b = std::process::Command::new("sh").args(["-c", "nohup setsid sleep {seconds} >/dev/null 2>&1 &"]).status();
    println!("started: {{}} {{}}", a.is_ok(), b.is_ok());
    std::thread::sleep(std::time::Duration::from_secs({then_sleep}));
}}"#
    )
}

#[test]
fn a_process_in_a_new_session_is_dead_when_the_answer_arrives() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let seconds = sleeper(600);
        let reply = runner.evaluate(&escaping_program(&seconds, 0));
        let left = running(&format!("sleep {seconds}"));
        assert!(
            reply.result().contains("started: true true"),
            "{who:?}: {}",
            reply.body
        );
        assert!(left.is_empty(), "{who:?}: still running: {left:?}");
        assert!(runner.job_processes().is_empty());
        runner.still_serves();
    }
}

/// 70 slow clients each send a request's head and then drip its body, a byte a second, until
/// the normal request has been answered (at most 60 s: a hang detector). The runner holds them
/// up to its 10 s deadline for a whole request; dripping the body rather than the head (3 s
/// deadline) leaves room for a busy machine. What is checked is a condition, not a time: the
/// normal answer came while every slow connection was still open and unanswered, so the runner
/// neither served them first nor one at a time, nor dropped one to make room. How long the
/// answer took is printed.
#[test]
fn slow_clients_do_not_block_a_normal_request() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let port = runner.port;
        let head = format!(
            "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\nContent-Length: 100\r\n\r\n"
        );
        let slow: Vec<TcpStream> = (0..70)
            .map(|_| {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.write_all(head.as_bytes()).unwrap();
                stream
            })
            .collect();
        let answered = AtomicBool::new(false);
        let (reply, took, unanswered) = std::thread::scope(|scope| {
            scope.spawn(|| {
                let since = Instant::now();
                let mut sent = 0;
                while !answered.load(Ordering::Relaxed) && since.elapsed() < Duration::from_secs(60)
                {
                    if since.elapsed() >= Duration::from_secs(sent + 1) {
                        sent += 1;
                        for mut stream in &slow {
                            let _ = stream.write_all(b"X");
                        }
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            // Every slow client has a connection the runner accepted before the normal request.
            let patience = Instant::now();
            while runner.connections() < 70 && patience.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(10));
            }
            let accepted = runner.connections();
            let started = Instant::now();
            let reply = runner.send("GET", "/meta/crates", &[("Origin", ORIGIN)], b"");
            let took = started.elapsed();
            let unanswered = slow
                .iter()
                .filter(|s| what_came_back(s) == CameBack::Nothing)
                .count();
            answered.store(true, Ordering::Relaxed);
            assert!(
                accepted >= 70,
                "{who:?}: the runner accepted {accepted} of the 70 slow clients"
            );
            (reply, took, unanswered)
        });
        eprintln!("{who:?}: a normal request beside 70 slow clients was answered in {took:?}");
        assert_eq!(reply.status, 200, "{who:?}: {}", reply.body);
        assert_eq!(
            unanswered, 70,
            "{who:?}: when the normal request was answered, only {unanswered} of the 70 slow \
             connections were still open and unanswered"
        );
        drop(slow);
        // Afterwards, Listing 2-1 runs as in the book, and nothing of any job is left.
        let (code, output) = Runner::listing_2_1();
        let reply = runner.evaluate(code);
        assert_eq!(reply.result(), output, "{who:?}: {}", reply.body);
        assert!(runner.job_folders_left().is_empty(), "{who:?}");
        assert!(runner.job_processes().is_empty(), "{who:?}");
    }
}

/// What the runner has sent on a connection whose request is not complete, looked at without
/// waiting.
#[derive(Debug, PartialEq)]
enum CameBack {
    /// Nothing yet: the connection is open and the runner waits for the rest of the request.
    Nothing,
    /// An answer (a refusal: the request cannot be complete).
    Answer,
    /// The runner closed the connection without answering.
    Closed,
}

fn what_came_back(stream: &TcpStream) -> CameBack {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let read = std::io::Read::read(&mut &*stream, &mut byte);
    stream.set_nonblocking(false).unwrap();
    match read {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => CameBack::Nothing,
        Ok(n) if n > 0 => CameBack::Answer,
        _ => CameBack::Closed,
    }
}

/// Sends `code` to be run from another thread, whose answer (if any) is dropped.
fn send_in_background(port: u16, code: String) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let body = serde_json::json!({ "code": code, "edition": "2024" }).to_string();
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        let head = format!(
            "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body.as_bytes());
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stream, &mut sink);
    })
}

/// Waits until a process whose command line holds `pattern` runs (a job has started).
fn wait_until_running(pattern: &str) {
    let started = Instant::now();
    while running(pattern).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn stopping_the_runner_ends_every_job_and_removes_its_folders() {
    for who in users() {
        // SIGTERM and SIGINT: the runner ends its jobs and removes its folder.
        for signal in [libc::SIGTERM, libc::SIGINT] {
            let mut runner = Runner::start_as(who, &["--run-timeout", "60"]);
            let seconds = sleeper(600);
            let pattern = format!("sleep {seconds}");
            let client = send_in_background(runner.port, escaping_program(&seconds, 60));
            wait_until_running(&pattern);
            runner.stop(signal);
            client.join().unwrap();
            let left = running(&pattern);
            assert!(left.is_empty(), "{who:?}: signal {signal} left {left:?}");
            let folder = runner
                .tmp
                .join(format!("futures-book-runner-{}", runner.pid()));
            assert!(
                !folder.exists(),
                "{who:?}: {} is left after signal {signal}",
                folder.display()
            );
        }

        // SIGKILL (a crash): the jobs die with it, and the next runner removes its folder.
        let mut crashed = Runner::start_as(who, &["--run-timeout", "60"]);
        let seconds = sleeper(600);
        let pattern = format!("sleep {seconds}");
        let code = escaping_program(&seconds, 60);
        let client = send_in_background(crashed.port, code);
        wait_until_running(&pattern);
        crashed.stop(libc::SIGKILL);
        client.join().unwrap();
        let started = Instant::now();
        while !running(&pattern).is_empty() && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let left = running(&pattern);
        assert!(left.is_empty(), "{who:?}: SIGKILL left {left:?}");
        let folder = crashed
            .tmp
            .join(format!("futures-book-runner-{}", crashed.pid()));
        crashed.keep_scratch = true;
        let scratch = crashed.scratch.clone();
        drop(crashed);
        let next = Runner::start_in(who, &[], Some(scratch));
        assert!(
            !folder.exists(),
            "{who:?}: the next runner left {} of the one that crashed",
            folder.display()
        );
        next.still_serves();
    }
}

/// Inside: user nobody, no capabilities, no_new_privs, its own PID namespace, only its standard
/// streams (the runner was handed descriptor 10 without close-on-exec, see `support`), and
/// outside a user that is not the runner's (as root).
#[test]
fn a_program_has_no_privileges_and_no_inherited_descriptors() {
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let about = runner.about();
        assert_eq!(about["sandboxed"], true, "{about}");
        let code = r#"fn main() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    for key in ["Uid:", "CapEff:", "CapPrm:", "NoNewPrivs:"] {
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        println!("{}", line.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
    }
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd").unwrap()
        .flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    fds.sort();
    println!("fds {}", fds.join(" "));
    println!("pid {}", std::process::id());
    std::thread::sleep(std::time::Duration::from_secs(2));
}"#;
        // Meanwhile, the program's user as this machine sees it.
        let (result, outside) = std::thread::scope(|scope| {
            let reply = scope.spawn(|| runner.evaluate(code).result());
            let started = Instant::now();
            let mut outside = Vec::new();
            while outside.is_empty() && started.elapsed() < Duration::from_secs(60) {
                outside = processes()
                    .into_iter()
                    .filter(|p| p.cmdline.trim() == "/playground")
                    .map(|p| p.uid)
                    .collect();
                std::thread::sleep(Duration::from_millis(20));
            }
            (reply.join().unwrap(), outside)
        });
        let lines: Vec<&str> = result.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "Uid: 65534",
                "CapEff: 0000000000000000",
                "CapPrm: 0000000000000000",
                "NoNewPrivs: 1"
            ],
            "{who:?}: {result}"
        );
        // 0, 1, 2 and the descriptor read_dir itself holds.
        assert_eq!(lines[4], "fds 0 1 2 3", "{who:?}: {result}");
        let pid: u32 = lines[5].strip_prefix("pid ").unwrap().parse().unwrap();
        assert!(
            pid < 10,
            "{who:?}: not in a PID namespace of its own: {result}"
        );
        assert!(
            !outside.is_empty(),
            "{who:?}: the program was not seen running"
        );
        if who == As::Root {
            assert!(
                outside.iter().all(|&uid| uid != 0),
                "{who:?}: the program runs as root on this machine"
            );
        }
        assert!(runner.job_processes().is_empty());
    }
}

/// Memory and processes are limited per job, across all its processes, where the machine has
/// control groups (as root here); elsewhere the runner says so at start-up.
#[test]
fn limits_hold_across_all_the_processes_of_a_job() {
    for who in users() {
        let runner = Runner::start_as(who, &["--memory", "256", "--processes", "32"]);
        if !runner.about()["isolation"]
            .as_str()
            .unwrap()
            .contains("per job")
        {
            eprintln!(
                "{who:?}: no control groups for this user here, so limits are per process (the \
                 runner says so): {}",
                runner.about()["isolation"]
            );
            continue;
        }
        // Four processes of 150 MiB each: each is under the limit, together they are not.
        let code = r#"fn main() {
    let me = std::env::args().nth(1);
    if me.is_some() {
        let v = std::hint::black_box(vec![1u8; 150 << 20]);
        std::thread::sleep(std::time::Duration::from_secs(1));
        println!("child held {} MiB", std::hint::black_box(&v).len() >> 20);
        return;
    }
    let children: Vec<_> = (0..4).map(|i| std::process::Command::new("/proc/self/exe").arg(i.to_string()).spawn().unwrap()).collect();
    let mut ok = 0;
    for mut c in children { if c.wait().unwrap().success() { ok += 1; } }
    println!("{ok} of 4 children held 150 MiB");
}"#;
        let result = runner.evaluate(code).result();
        assert!(
            !result.contains("4 of 4 children"),
            "{who:?}: 600 MiB in one job under a 256 MiB limit: {result}"
        );
        // Threads and processes together: 64 threads under a limit of 32.
        let code = r#"fn main() {
    let mut made = 0;
    let mut handles = Vec::new();
    for _ in 0..64 {
        match std::thread::Builder::new().spawn(|| std::thread::sleep(std::time::Duration::from_millis(500))) {
            Ok(h) => { made += 1; handles.push(h); }
            Err(_) => break,
        }
    }
    for h in handles { let _ = h.join(); }
    println!("made {made} threads");
}"#;
        let result = runner.evaluate(code).result();
        assert!(
            !result.contains("made 64 threads"),
            "{who:?}: 64 threads under a limit of 32: {result}"
        );
        runner.still_serves();
    }
}

#[test]
fn an_insecure_runner_says_so_on_every_run() {
    let runner = Runner::start(&["--insecure"]);
    assert_eq!(runner.about()["sandboxed"], false);
    let reply = runner.evaluate(r#"fn main() { println!("hi"); }"#);
    let shown = reply.json()["result"].as_str().unwrap().to_string();
    assert!(
        shown.starts_with("local runner: WARNING: started with --insecure"),
        "{shown}"
    );
    assert!(shown.ends_with("hi\n"), "{shown}");
}

/// System calls that reach the parts of the kernel that namespaces do not separate (its
/// keyrings, vsock sockets) or that widen its surface (io_uring, netlink and packet sockets) are
/// refused by the seccomp filter; Unix, IPv4 and IPv6 sockets are not.
#[test]
fn risky_system_calls_are_refused() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("the system call numbers below are x86-64's; not tested on this processor");
        return;
    }
    for who in users() {
        let runner = Runner::start_as(who, &[]);
        let code = r#"unsafe extern "C" { fn syscall(number: i64, ...) -> i64; }
fn main() {
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create), io_uring_setup(1, params),
    // socket(family, SOCK_STREAM or SOCK_RAW, 0) and socketpair(AF_VSOCK, SOCK_STREAM, 0, fds).
    let mut params = [0u8; 120];
    let mut fds = [0i32; 2];
    for (name, result) in [
        ("keyctl", unsafe { syscall(250, 0i64, -3i64, 1i64) }),
        ("io_uring_setup", unsafe { syscall(425, 1i64, params.as_mut_ptr()) }),
        ("socket(AF_VSOCK)", unsafe { syscall(41, 40i64, 1i64, 0i64) }),
        ("socketpair(AF_VSOCK)", unsafe { syscall(53, 40i64, 1i64, 0i64, fds.as_mut_ptr()) }),
        ("socket(AF_NETLINK)", unsafe { syscall(41, 16i64, 3i64, 0i64) }),
        ("socket(AF_PACKET)", unsafe { syscall(41, 17i64, 3i64, 0i64) }),
        ("socket(AF_INET)", unsafe { syscall(41, 2i64, 1i64, 0i64) }),
        ("socket(AF_INET6)", unsafe { syscall(41, 10i64, 1i64, 0i64) }),
        ("socket(AF_UNIX)", unsafe { syscall(41, 1i64, 1i64, 0i64) }),
        // Only the low 32 bits are the family: the kernel reads an int.
        ("socket(AF_UNIX + 2^32)", unsafe { syscall(41, 1i64 + (1i64 << 32), 1i64, 0i64) }),
    ] {
        let error = std::io::Error::last_os_error();
        println!("{name}: {}", if result < 0 { format!("refused ({error})") } else { format!("allowed ({result})") });
    }
}"#;
        let result = runner.evaluate(code).result();
        for refused in [
            "keyctl",
            "io_uring_setup",
            "socket(AF_VSOCK)",
            "socketpair(AF_VSOCK)",
            "socket(AF_NETLINK)",
            "socket(AF_PACKET)",
        ] {
            assert!(
                result.contains(&format!("{refused}: refused (Operation not permitted")),
                "{who:?}: {refused} was not refused by the filter: {result}"
            );
        }
        // The families programs use still work (inside a network namespace of their own).
        for allowed in [
            "socket(AF_INET)",
            "socket(AF_INET6)",
            "socket(AF_UNIX)",
            "socket(AF_UNIX + 2^32)",
        ] {
            assert!(
                result.contains(&format!("{allowed}: allowed")),
                "{who:?}: {allowed} was refused: {result}"
            );
        }
    }
}

/// `cargo xtask` starts the runner with --exit-with-parent: when xtask dies, however it dies, the
/// runner ends its jobs and removes its folder.
#[test]
fn the_death_of_its_parent_stops_the_runner_and_its_jobs() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let tmp = std::env::temp_dir().join(format!("runner-test-{}", unique()));
    std::fs::create_dir_all(&tmp).unwrap();
    // The parent: a shell that starts the runner and waits.
    let mut parent = Command::new("sh")
        .args(["-c", "\"$0\" \"$@\" & wait"])
        .arg(env!("CARGO_BIN_EXE_runner"))
        .args([
            "--port",
            "0",
            "--allow-origin",
            ORIGIN,
            "--exit-with-parent",
        ])
        .args(["--run-timeout", "60"])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(parent.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    let runner = processes()
        .into_iter()
        .find(|p| p.ppid == parent.id())
        .expect("the runner runs under its parent")
        .pid;
    let seconds = sleeper(600);
    let pattern = format!("sleep {seconds}");
    let client = send_in_background(port, escaping_program(&seconds, 60));
    wait_until_running(&pattern);
    parent.kill().unwrap();
    parent.wait().unwrap();
    client.join().unwrap();
    let started = Instant::now();
    while processes().iter().any(|p| p.pid == runner) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the runner outlived its parent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = running(&pattern);
    assert!(left.is_empty(), "the job outlived the runner: {left:?}");
    let folder = tmp.join(format!("futures-book-runner-{runner}"));
    assert!(!folder.exists(), "{} is left", folder.display());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Whether a runner runs one job at a time, having no control groups (see below).
fn one_at_a_time(runner: &Runner) -> bool {
    runner.about()["isolation"]
        .as_str()
        .is_some_and(|i| i.contains("one job at a time"))
}

/// Where a user has no control groups, limits could hold only per process and per user, so the
/// runner refuses to start unless told `--allow-no-cgroups`; told so, it runs one job at a time,
/// so that one job's processes never count against another's limits.
#[test]
fn without_control_groups_the_runner_refuses_or_runs_one_job_at_a_time() {
    let runner = Runner::start_as(As::User, &["--jobs", "2"]);
    let isolation = runner.about()["isolation"].as_str().unwrap().to_string();
    if !one_at_a_time(&runner) {
        eprintln!("this user has control groups here, so there is no fallback to test");
        return;
    }
    assert!(
        isolation.contains("one job at a time") && runner.log().contains("one job at a time"),
        "the start-up message does not say what holds: {isolation}"
    );
    let refusal = Runner::refusal_without_cgroups()
        .expect("a runner without control groups started without --allow-no-cgroups");
    assert!(
        refusal.contains("cannot limit a job as a whole") && refusal.contains("--allow-no-cgroups"),
        "{refusal}"
    );
    // Two runs sent at once: the second starts only after the first has ended.
    let code = r#"fn now() -> u128 { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() }
fn main() {
    let start = now();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    println!("{start} {}", now());
}"#;
    let spans: Vec<(u128, u128)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| runner.evaluate(code).result()))
            .collect();
        runs.into_iter()
            .map(|run| {
                let result = run.join().unwrap();
                let (start, end) = result
                    .trim()
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("the program did not run: {result}"));
                (start.parse().unwrap(), end.parse().unwrap())
            })
            .collect()
    });
    let [(a_start, a_end), (b_start, b_end)] = spans[..] else {
        unreachable!("two runs")
    };
    assert!(
        a_end <= b_start || b_end <= a_start,
        "two jobs ran at once without control groups: {spans:?}"
    );
    runner.still_serves();
}

/// More slow clients than the runner has descriptors for (its limit set to 256): the runner
/// raises its soft limit to the hard one, derives its connection bound from it, and a new
/// connection evicts the oldest one still sending its request, so a normal request is answered
/// and no job folder is left behind. The slow clients send a request's head and part of its
/// body, whose deadline is 10 s. What is checked is a condition, not a time: when the normal
/// request is answered, no slow client has been answered yet (the runner did not wait for their
/// deadlines, which end in "408", to free descriptors); the oldest were closed unanswered to
/// make room. Waiting for the answer is bounded by `Runner::send`'s hang detector (60 s); how
/// long it took is printed.
#[test]
fn more_slow_clients_than_descriptors_do_not_deny_service() {
    let runner = Runner::start_with_fd_limit(&[], 128, 256);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", runner.pid())).unwrap();
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .collect::<Vec<_>>();
    assert_eq!(open_files, ["256", "256"], "the soft limit was not raised");
    let head = format!(
        "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: {ORIGIN}\r\nContent-Length: 100\r\n\r\n{{",
        runner.port
    );
    let slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", runner.port)).unwrap();
            let _ = stream.write_all(head.as_bytes());
            stream
        })
        .collect();
    let started = Instant::now();
    let reply = runner.send("GET", "/meta/crates", &[("Origin", ORIGIN)], b"");
    let took = started.elapsed();
    let states: Vec<CameBack> = slow.iter().map(what_came_back).collect();
    let count = |state: CameBack| states.iter().filter(|s| **s == state).count();
    let (waiting, answered, closed) = (
        count(CameBack::Nothing),
        count(CameBack::Answer),
        count(CameBack::Closed),
    );
    eprintln!(
        "a normal request beside 300 slow clients was answered in {took:?}; of the slow ones \
         {waiting} were open, {closed} closed unanswered, {answered} answered"
    );
    assert_eq!(
        reply.status, 200,
        "a normal request beside 300 slow clients: {}",
        reply.body
    );
    assert_eq!(
        answered, 0,
        "slow clients were answered (their deadline passed) before the normal request"
    );
    assert!(waiting > 0, "no slow client was held open");
    drop(slow);
    let (code, output) = Runner::listing_2_1();
    let reply = runner.evaluate(code);
    assert_eq!(reply.result(), output, "{}", reply.body);
    assert!(runner.job_folders_left().is_empty());
    assert!(
        !runner.log().contains("Too many open files"),
        "{}",
        runner.log()
    );
}

/// A client that goes away takes its job with it: abandoned runs neither fill the queue nor go
/// on running. Each abandoned program would sleep 600 s, and the runner lets it (and lets a run
/// wait 600 s for its turn): the next run is answered only if they were stopped. Waiting for that
/// answer is bounded only by the client's hang detector (`Runner::send`, 60 s); how long it took
/// is printed, not checked.
#[test]
fn a_job_whose_client_went_away_is_stopped() {
    let runner = Runner::start(&[
        "--jobs",
        "1",
        "--queue",
        "3",
        "--run-timeout",
        "600",
        "--max-wait",
        "600",
    ]);
    let marker = format!("abandoned{}", unique().replace('-', ""));
    let code = format!(
        r#"fn main() {{ let _ = "{marker}"; std::thread::sleep(std::time::Duration::from_secs(600)); }}"#
    );
    let body = serde_json::json!({ "code": code, "edition": "2024" }).to_string();
    let send = || {
        let mut stream = TcpStream::connect(("127.0.0.1", runner.port)).unwrap();
        let head = format!(
            "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: {ORIGIN}\r\nContent-Length: {}\r\n\r\n",
            runner.port,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        stream
    };
    // The first client stays until its program runs and the others have come and gone.
    let first = send();
    let patience = Instant::now();
    while !runner
        .job_processes()
        .iter()
        .any(|p| p.trim_end().ends_with(" /playground"))
    {
        assert!(
            patience.elapsed() < Duration::from_secs(30),
            "the first program never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Five more than the queue holds, one after another: each waits its turn, then its client
    // leaves (dropping the stream closes the connection). Were the abandoned ones still queued,
    // the fourth would be refused and never wait.
    for client in 1..=5 {
        let stream = send();
        runner.wait_for_log("a run waits for its turn", client);
        drop(stream);
        runner.wait_for_log("a run's client went away while it waited", client);
    }
    drop(first);
    let started = Instant::now();
    let reply = runner.evaluate(r#"fn main() { println!("my turn"); }"#);
    eprintln!(
        "the run after the abandoned ones was answered in {:?}",
        started.elapsed()
    );
    assert_eq!(
        (reply.status, reply.result()),
        (200, "my turn\n".to_string()),
        "after abandoned runs (no answer: it waited behind them), in {:?}: {}",
        started.elapsed(),
        reply.body
    );
    assert!(
        runner.job_processes().is_empty(),
        "{:?}",
        runner.job_processes()
    );
}

/// The crates' folder is there at compile time, but without cargo's `.d` files, which list
/// where the crates' sources are on this machine.
#[test]
fn the_crates_dependency_lists_are_not_in_the_sandbox() {
    let deps = std::env::temp_dir().join(format!("runner-test-deps-{}", unique()));
    std::fs::create_dir_all(&deps).unwrap();
    let secret = format!("DEPLIST-{}", unique());
    std::fs::write(
        deps.join("libfake-0.d"),
        format!("/home/someone/{secret}.rs:\n"),
    )
    .unwrap();
    std::fs::write(deps.join("libfake-0.rmeta"), "not really a crate\n").unwrap();
    std::fs::set_permissions(&deps, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let runner = Runner::start(&["--deps", deps.to_str().unwrap()]);
    let read = |file: &str| {
        runner
            .evaluate(&format!(
                r#"const S: &str = include_str!("/deps/{file}"); fn main() {{ print!("{{S}}") }}"#
            ))
            .body
    };
    let rmeta = read("libfake-0.rmeta");
    let list = read("libfake-0.d");
    let _ = std::fs::remove_dir_all(&deps);
    assert!(
        rmeta.contains("not really a crate"),
        "the crates are not there: {rmeta}"
    );
    assert!(!list.contains(&secret), "a .d file came back: {list}");
    assert!(list.contains("couldn't read"), "{list}");
    runner.still_serves();
}
