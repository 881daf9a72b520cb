//! Runs the benchmark's binary as `cargo xtask bench` does, and reads its
//! table: every server gets a row, with figures or with what went wrong.

use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

const BENCH: &str = env!("CARGO_BIN_EXE_listing-26-03-echo-bench");

/// Runs `sh -c SCRIPT BENCH ARGS…` and returns its output, failing the
/// test (and killing the run) after two minutes.
fn run(script: &str, args: &[&str]) -> Output {
    let child = Command::new("sh")
        .args(["-c", script, BENCH])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start sh");
    let id = child.id();
    let (send, receive) = mpsc::channel();
    thread::spawn(move || send.send(child.wait_with_output()));
    match receive.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("cannot read the benchmark's output"),
        Err(RecvTimeoutError::Timeout) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("the benchmark ran for more than two minutes");
        }
        Err(RecvTimeoutError::Disconnected) => {
            panic!("the waiting thread died")
        }
    }
}

/// The table's rows, without its header and rule.
fn rows(output: &Output) -> Vec<Vec<String>> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the benchmark failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = stdout.lines().filter(|line| line.starts_with('|')).skip(2);
    let cells = |line: &str| {
        let inner = line.trim_matches('|');
        inner
            .split('|')
            .map(|cell| cell.trim().to_string())
            .collect()
    };
    lines.map(cells).collect()
}

/// The servers, in the order of the table's rows.
const SERVERS: [&str; 4] = [
    "a thread per connection (Listing 26-1)",
    "the book's executor and reactor (Listing 25-1)",
    "tokio, current thread (Listing 26-2)",
    "tokio, multi-thread, ",
];

#[test]
fn quick_mode_measures_every_server() {
    let rows = rows(&run("exec \"$0\" \"$@\"", &["--quick"]));
    assert_eq!(rows.len(), SERVERS.len(), "{rows:?}");
    for (row, server) in rows.iter().zip(SERVERS) {
        assert!(row[0].starts_with(server), "{row:?} is not {server:?}");
        assert_eq!(row[1], "100", "{row:?}");
        let figures: Vec<f64> = row[2..]
            .iter()
            .map(|figure| figure.replace(',', "").parse::<f64>())
            .collect::<Result<_, _>>()
            .unwrap_or_else(|_| panic!("not measured: {row:?}"));
        // Resident memory per connection, in KiB: a thread touches at
        // least a page of its stack; a task holds at least its buffer,
        // somewhere on the heap.
        let memory = figures[0];
        if server.starts_with("a thread") {
            assert!(memory >= 4.0, "less than a page per thread: {row:?}");
        } else {
            assert!(memory > 0.0, "no memory for a task: {row:?}");
        }
    }
}

#[test]
fn bad_arguments_are_refused_in_one_line() {
    for args in [&["--quick", "0"][..], &["--quik"], &["ten"]] {
        let output = run("exec \"$0\" \"$@\"", args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_row_says_so_when_the_open_files_limit_is_too_low() {
    // `ulimit -n` lowers both the soft and the hard limit, so nothing in the
    // benchmark can raise them again.
    let rows = rows(&run(
        "ulimit -n 150 && exec \"$0\" \"$@\"",
        &["--quick", "200"],
    ));
    assert!(rows.len() >= 3, "{rows:?}");
    for row in rows {
        assert_eq!(row[1], "200", "{row:?}");
        assert_eq!(
            row[2], "not run: needs 264 open files, the limit is 150",
            "{row:?}"
        );
        assert_eq!(row[3..], ["—"; 5], "{row:?}");
    }
}

#[test]
fn a_server_process_ends_when_its_stdin_closes() {
    let mut server = Command::new(BENCH)
        .args(["serve", "threads"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the server");
    let id = server.id();
    let stdout = server.stdout.take().unwrap();
    let (send_port, receive_port) = mpsc::channel();
    thread::spawn(move || {
        let mut port = String::new();
        let mut stdout = std::io::BufReader::new(stdout);
        let _ = std::io::BufRead::read_line(&mut stdout, &mut port);
        let _ = send_port.send(port);
    });
    let port = receive_port.recv_timeout(Duration::from_secs(30));
    let Ok(port) = port else {
        let _ = Command::new("kill").arg(id.to_string()).status();
        panic!("the server said nothing in 30 s: {port:?}")
    };
    assert!(!port.is_empty(), "the server reported no port");
    drop(server.stdin.take()); // as when the load generator goes away
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let status = server.wait();
        let _ = send.send(status);
    });
    match receive.recv_timeout(Duration::from_secs(30)) {
        Ok(status) => assert!(status.unwrap().success()),
        Err(RecvTimeoutError::Timeout) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("the server outlived its stdin by 30 s")
        }
        Err(RecvTimeoutError::Disconnected) => {
            panic!("the waiting thread died")
        }
    }
}

#[test]
fn a_row_says_so_when_the_server_cannot_make_a_thread() {
    // `ulimit -v` caps the address space: 1,000 threads, with their stacks
    // reserved at 2 MiB each, do not fit, while tasks fit easily.
    let script = "ulimit -v 1500000 && exec \"$0\" \"$@\"";
    let rows = rows(&run(script, &["--quick", "1000"]));
    assert!(rows.len() >= 3, "{rows:?}");
    for row in rows {
        let failed = row[2].contains("no thread for a connection");
        let threads = row[0].starts_with("a thread per connection");
        assert_eq!(failed, threads, "{row:?}");
    }
}
