//! The runner against what a careless or hostile page could send it. Each test starts its own
//! runner on a free port (with short limits, so the suite stays quick), sends raw HTTP, and checks
//! both the answer and that the runner goes on serving the next request.

mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{ORIGIN, Runner};

#[test]
fn answers_like_the_playground() {
    let runner = Runner::start(&[]);
    let about = runner.send("GET", "/", &[], b"");
    assert_eq!(about.json()["service"], "futures-book-runner");
    let crates = runner.send("POST", "/meta/crates", &[("Origin", ORIGIN)], b"");
    assert_eq!(crates.status, 200);
    assert!(crates.json()["crates"].is_array());
    assert_eq!(crates.header("access-control-allow-origin"), Some(ORIGIN));

    let reply = runner.evaluate(r#"fn main() { println!("hello {}", 6 * 7); }"#);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({ "result": "hello 42\n", "error": null })
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(
        runner.job_folders_left().is_empty(),
        "a job's temporary folder was left behind: {:?}",
        runner.job_folders_left()
    );
}

#[test]
fn a_compile_error_comes_back_as_an_error() {
    let runner = Runner::start(&[]);
    let reply = runner.evaluate(r#"fn main() { let n: u32 = "seven"; }"#);
    let answer = reply.json();
    assert!(answer["result"].as_str().unwrap().contains("error[E0308]"));
    assert_eq!(answer["result"], answer["error"]);
    runner.still_serves();
}

/// The runner's own message proves the stop; how long the answer took (compiling included, on a
/// machine that may be busy) is printed, not checked. The only bound on time is the client's
/// hang detector (`Runner::send` waits at most 60 s for an answer, then the reply is empty).
#[test]
fn an_infinite_loop_is_stopped() {
    let runner = Runner::start(&["--run-timeout", "1"]);
    let started = Instant::now();
    let reply =
        runner.evaluate(r#"fn main() { println!("spinning"); loop { std::hint::spin_loop(); } }"#);
    eprintln!("answered in {:?}, compiling included", started.elapsed());
    let result = reply.result();
    assert!(
        result.contains("ran for longer than 1 s and was stopped"),
        "{result}"
    );
    assert!(
        result.contains("spinning"),
        "output before the stop is kept: {result}"
    );
    assert!(!reply.json()["error"].is_null());
    let left = runner.job_processes();
    assert!(left.is_empty(), "the loop still runs: {left:?}");
    runner.still_serves();
}

#[test]
fn a_fork_bomb_is_contained() {
    let runner = Runner::start(&["--run-timeout", "1", "--processes", "64"]);
    // Every copy starts more copies of itself, as fast as it can.
    let reply = runner.evaluate(
        r#"fn main() { loop { let _ = std::process::Command::new("/proc/self/exe").spawn(); } }"#,
    );
    assert!(
        reply.result().contains("ran for longer than 1 s"),
        "{}",
        reply.result()
    );
    // None of the copies outlives the answer.
    let survivors = runner.job_processes();
    assert!(survivors.is_empty(), "copies still running: {survivors:?}");
    runner.still_serves();
}

/// The output cap, not the run's time limit, stops the flood: the run may last 30 s, far longer
/// than any answer takes, and the runner's note names the cap (it names the time limit instead
/// when that stopped the program). How long the answer took is printed, not checked.
#[test]
fn a_flood_of_output_is_cut() {
    let runner = Runner::start(&["--max-output", "4096", "--run-timeout", "30"]);
    let started = Instant::now();
    let reply = runner.evaluate(r#"fn main() { loop { println!("{}", "x".repeat(100)); } }"#);
    eprintln!("answered in {:?}, compiling included", started.elapsed());
    let result = reply.result();
    let note = result.trim_start_matches(['x', '\n']);
    assert!(
        note.contains("printed more than 4 KiB") && !note.contains("ran for longer"),
        "not stopped by the output cap: {note}"
    );
    assert!(
        result.len() < 4096 + 500,
        "{} bytes came back",
        result.len()
    );
    runner.still_serves();
}

#[test]
fn too_much_memory_is_refused() {
    let runner = Runner::start(&["--memory", "256"]);
    let reply =
        runner.evaluate(r#"fn main() { let v = vec![1u8; 1 << 30]; println!("{}", v[4096]); }"#);
    let result = reply.result();
    assert!(result.contains("ran out of memory"), "{result}");
    runner.still_serves();
}

#[test]
fn malformed_json_is_a_clear_error() {
    let runner = Runner::start(&[]);
    let headers = [("Origin", ORIGIN), ("Content-Type", "application/json")];
    let reply = runner.send(
        "POST",
        "/evaluate.json",
        &headers,
        b"{\"code\": \"fn main() {}",
    );
    assert_eq!(reply.status, 400);
    assert!(reply.result().contains("not valid JSON"), "{}", reply.body);
    let reply = runner.send(
        "POST",
        "/evaluate.json",
        &headers,
        br#"{"edition": "2024"}"#,
    );
    assert_eq!(reply.status, 400);
    assert!(
        reply.result().contains("missing field `code`"),
        "{}",
        reply.body
    );
    let reply = runner.send(
        "POST",
        "/evaluate.json",
        &[("Origin", ORIGIN)],
        b"garbage\r\n\r\n",
    );
    assert_eq!(reply.status, 400);
    runner.still_serves();
}

#[test]
fn other_origins_and_hosts_are_refused() {
    let runner = Runner::start(&[]);
    let body = json!({ "code": "fn main() {}", "edition": "2024" }).to_string();
    let from = |origin: &str| {
        runner.send(
            "POST",
            "/evaluate.json",
            &[("Origin", origin)],
            body.as_bytes(),
        )
    };
    let reply = from("http://evil.example");
    assert_eq!(reply.status, 403);
    assert!(
        reply
            .result()
            .contains("requests from http://evil.example are refused")
    );
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(from("http://127.0.0.1:3001").status, 403);
    // Without an Origin header (not a page of the book) there is no run either.
    let reply = runner.send("POST", "/evaluate.json", &[], body.as_bytes());
    assert_eq!(reply.status, 403);
    // A page of a site that made its name point at 127.0.0.1 (DNS rebinding) sends its own Host.
    let mut stream = TcpStream::connect(("127.0.0.1", runner.port)).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: evil.example:3001\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    // The preflight of the book's own page is answered.
    let preflight = runner.send(
        "OPTIONS",
        "/evaluate.json",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    runner.still_serves();
}

#[test]
fn code_over_the_size_limit_is_refused() {
    let runner = Runner::start(&["--max-code", "1024"]);
    let code = format!("fn main() {{}}\n// {}\n", "a".repeat(2000));
    let reply = runner.evaluate(&code);
    assert_eq!(reply.status, 413);
    assert!(
        reply.result().contains("takes at most 1024 bytes"),
        "{}",
        reply.body
    );
    let huge = vec![b'x'; 2 << 20];
    let reply = runner.send("POST", "/evaluate.json", &[("Origin", ORIGIN)], &huge);
    assert_eq!(reply.status, 413);
    runner.still_serves();
}

#[test]
fn a_busy_runner_says_so() {
    let runner = Runner::start(&["--jobs", "1", "--queue", "0", "--run-timeout", "2"]);
    assert!(runner.job_processes().is_empty());
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| runner.evaluate("fn main() { loop {} }"));
        // The slow run holds the only turn once its compiler runs, and keeps it while compiling
        // and for the 2 s its program may run.
        runner.wait_for_a_job(|| slow.is_finished());
        let reply = runner.evaluate("fn main() {}");
        assert_eq!(reply.status, 503);
        assert!(reply.result().contains("busy"), "{}", reply.body);
        assert!(slow.join().unwrap().result().contains("ran for longer"));
    });
    runner.still_serves();
}

#[test]
fn programs_have_no_network() {
    let runner = Runner::start(&[]);
    let code = format!(
        r#"fn main() {{ println!("{{}}", std::net::TcpStream::connect("127.0.0.1:{}").is_ok()); }}"#,
        runner.port
    );
    assert_eq!(
        runner.evaluate(&code).result(),
        "false\n",
        "the program reached the runner"
    );
}

#[test]
fn framing_is_strict() {
    let runner = Runner::start(&[]);
    let body = br#"{"code": "fn main() {}", "edition": "2024"}"#;
    for (name, lengths) in [
        ("a signed length", vec![format!("+{}", body.len())]),
        (
            "two different lengths",
            vec![body.len().to_string(), (body.len() - 1).to_string()],
        ),
        ("a length that is not a number", vec!["4x".to_string()]),
    ] {
        let mut head = format!(
            "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: {ORIGIN}\r\n",
            runner.port
        );
        for length in &lengths {
            head.push_str(&format!("Content-Length: {length}\r\n"));
        }
        let mut raw = format!("{head}\r\n").into_bytes();
        raw.extend_from_slice(body);
        let reply = runner.send_raw(&raw);
        assert_eq!(reply.status, 400, "{name} was accepted: {}", reply.body);
    }
    runner.still_serves();
}

/// Requests that two readers could read two ways are refused: a Host or an Origin twice (the
/// allowed one first), and a target in absolute form naming another host. Each is first sent in
/// its plain form, which runs. A Content-Length beside chunked framing is read by the chunks
/// alone, as RFC 9112 allows (hyper drops the length), and the connection is closed after it.
#[test]
fn ambiguous_requests_are_refused() {
    let runner = Runner::start(&[]);
    let host = format!("127.0.0.1:{}", runner.port);
    let body = r#"{"code": "fn main() { println!(\"ran\"); }", "edition": "2024"}"#;
    let length = format!("Content-Length: {}\r\n", body.len());
    let chunked = format!(
        "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let request = |target: &str, extra: &str, rest: &str| {
        runner.send_raw(
            format!("POST {target} HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\n{extra}{rest}")
                .as_bytes(),
        )
    };
    let plain = format!("{length}\r\n{body}");
    let reply = request("/evaluate.json", "", &plain);
    assert_eq!(
        (reply.status, reply.result()),
        (200, "ran\n".into()),
        "{}",
        reply.body
    );
    let reply = request("/evaluate.json", "", &chunked);
    assert_eq!(reply.status, 200, "chunked alone: {}", reply.body);
    // A wrong length beside the chunks: were it read, the body would be cut short.
    let reply = request("/evaluate.json", "Content-Length: 5\r\n", &chunked);
    assert_eq!(
        (reply.status, reply.result()),
        (200, "ran\n".into()),
        "Content-Length and chunked: {}",
        reply.body
    );
    let absolute = format!("http://{host}/evaluate.json");
    assert_eq!(
        request(&absolute, "", &plain).status,
        200,
        "absolute form, this host"
    );
    for (name, target, extra, rest) in [
        (
            "two Host headers",
            "/evaluate.json",
            "Host: evil.example\r\n".to_string(),
            &plain,
        ),
        (
            "two Origin headers",
            "/evaluate.json",
            "Origin: http://evil.example\r\n".to_string(),
            &plain,
        ),
        (
            "an absolute target on another host",
            "http://evil.example/evaluate.json",
            String::new(),
            &plain,
        ),
    ] {
        let reply = request(target, &extra, rest);
        assert!(
            reply.status == 400 || reply.status == 403,
            "{name}: answered {}: {}",
            reply.status,
            reply.body
        );
    }
    runner.still_serves();
}

/// Sends `first` at once, then `drip` one byte every half second (each byte well within any idle
/// timeout), and returns what the runner answered and how long the connection stayed open.
fn drip_in(runner: &Runner, first: &[u8], drip: &'static [u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", runner.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(first).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let started = Instant::now();
    let dripping = std::thread::spawn(move || {
        for byte in drip {
            if writer.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let took = started.elapsed();
    drop(stream);
    dripping.join().unwrap();
    (String::from_utf8_lossy(&answer).into_owned(), took)
}

#[test]
fn a_request_that_drips_in_is_cut_off_at_its_deadline() {
    let runner = Runner::start(&[]);
    let (_, took) = drip_in(
        &runner,
        b"",
        b"POST /evaluate.json HTTP/1.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    );
    assert!(
        took < Duration::from_secs(15),
        "the connection stayed open for {took:?}, past the 10 s deadline"
    );
    runner.still_serves();
}

#[test]
fn a_body_that_drips_in_is_cut_off_at_the_same_deadline() {
    let runner = Runner::start(&[]);
    let head = format!(
        "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: {ORIGIN}\r\nContent-Length: 100\r\n\r\n",
        runner.port
    );
    let (answer, took) = drip_in(&runner, head.as_bytes(), &[b' '; 60]);
    assert!(
        took < Duration::from_secs(15),
        "the connection stayed open for {took:?}, past the 10 s deadline"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    runner.still_serves();
}

/// A program killed by a signal, and a compiler that runs out of memory, are explained (inside
/// bubblewrap, a signal's death reaches the runner as exit status 128 + N).
#[test]
fn a_signal_death_and_a_compiler_out_of_memory_are_explained() {
    // The memory limit, not the compile timeout, must end the 3 GiB constant's compile: on a
    // busy machine it took over the default 20 s to get there.
    let runner = Runner::start(&["--compile-timeout", "300"]);
    for (code, expected) in [
        (
            "fn main() { unsafe { (8usize as *mut u8).write_volatile(1) } }",
            "local runner: the program was killed by signal 11 (SIGSEGV).",
        ),
        (
            "fn main() { std::process::abort() }",
            "local runner: the program was killed by signal 6 (SIGABRT).",
        ),
    ] {
        let result = runner.evaluate(code).result();
        assert!(result.contains(expected), "{code}: {result}");
    }
    if !runner.about()["isolation"]
        .as_str()
        .unwrap()
        .contains("per job")
    {
        eprintln!("no control groups here, so the compiler's memory is limited per process");
        return;
    }
    // The compiler builds the 3 GiB array while it evaluates the constant.
    let result = runner
        .evaluate("static A: [u8; 3 << 30] = [1; 3 << 30];\nfn main() { println!(\"{}\", A[5]); }")
        .result();
    assert!(
        result.contains("local runner: the compiler ran out of memory"),
        "{result}"
    );
    runner.still_serves();
}
