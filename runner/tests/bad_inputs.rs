//! The runner against what a careless or hostile page could send it. Each test starts its own
//! runner on a free port (with short limits, so the suite stays quick), sends raw HTTP, and checks
//! both the answer and that the runner goes on serving the next request.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ORIGIN: &str = "http://127.0.0.1:3000";

struct Runner {
    child: Child,
    port: u16,
    /// The runner's TMPDIR, where each job's folder lives while it runs.
    tmp: PathBuf,
}

impl Runner {
    fn start(extra: &[&str]) -> Runner {
        // Under the system's temporary folder, not the target folder: as root the runner runs
        // programs as `nobody`, who must be able to reach them (a clone may sit in a private
        // folder).
        let tmp = std::env::temp_dir().join(format!(
            "runner-test-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&tmp).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["--port", "0", "--allow-origin", ORIGIN])
            .args(extra)
            .env("TMPDIR", &tmp)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the runner starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the runner did not say where it listens: {line:?}"));
        Runner { child, port, tmp }
    }

    /// Sends one request; returns the status, the headers (lowercase names) and the body.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // A refusal may come before the whole body is sent.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("a whole HTTP response");
        let mut lines = head.lines();
        let status = lines.next().unwrap()[9..12].parse().unwrap();
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

    /// POST /evaluate.json from the book's origin, as book.js does.
    fn evaluate(&self, code: &str) -> Reply {
        let body = json!({ "code": code, "edition": "2024", "version": "stable", "optimize": "0" });
        self.send(
            "POST",
            "/evaluate.json",
            &[("Origin", ORIGIN), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// The check every test ends with: the runner still runs code.
    fn still_serves(&self) {
        let reply = self.evaluate(r#"fn main() { println!("still here {}", 6 * 7); }"#);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["result"], "still here 42\n");
    }

    fn job_folders_left(&self) -> Vec<String> {
        std::fs::read_dir(&self.tmp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn result(&self) -> String {
        self.json()["result"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

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

#[test]
fn an_infinite_loop_is_stopped() {
    let runner = Runner::start(&["--run-timeout", "1"]);
    let started = Instant::now();
    let reply =
        runner.evaluate(r#"fn main() { println!("spinning"); loop { std::hint::spin_loop(); } }"#);
    assert!(started.elapsed() < Duration::from_secs(10));
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
    std::thread::sleep(Duration::from_millis(300));
    let marker = format!("futures-book-runner-{}-", runner.child.id());
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path().join("exe")).ok())
        .map(|exe| exe.to_string_lossy().into_owned())
        .filter(|exe| exe.contains(&marker))
        .collect();
    assert!(survivors.is_empty(), "copies still running: {survivors:?}");
    runner.still_serves();
}

#[test]
fn a_flood_of_output_is_cut() {
    let runner = Runner::start(&["--max-output", "4096"]);
    let started = Instant::now();
    let reply = runner.evaluate(r#"fn main() { loop { println!("{}", "x".repeat(100)); } }"#);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it was stopped early"
    );
    let result = reply.result();
    assert!(
        result.contains("printed more than 4 KiB"),
        "{}",
        &result[..200]
    );
    assert!(result.len() < 4096 + 500);
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
    assert!(reply.result().contains("no \"code\""), "{}", reply.body);
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
    let runner = Runner::start(&["--jobs", "1", "--queue", "0", "--run-timeout", "1"]);
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| runner.evaluate("fn main() { loop {} }"));
        // Let the slow run take the only turn.
        std::thread::sleep(Duration::from_millis(400));
        let reply = runner.evaluate("fn main() {}");
        assert_eq!(reply.status, 503);
        assert!(reply.result().contains("busy"), "{}", reply.body);
        assert!(slow.join().unwrap().result().contains("ran for longer"));
    });
    runner.still_serves();
}

#[test]
fn programs_have_no_network_where_the_machine_allows() {
    let runner = Runner::start(&[]);
    let about = runner.send("GET", "/", &[], b"").json();
    let isolation = about["isolation"].as_str().unwrap().to_string();
    let code = format!(
        r#"fn main() {{ println!("{{}}", std::net::TcpStream::connect("127.0.0.1:{}").is_ok()); }}"#,
        runner.port
    );
    let reply = runner.evaluate(&code);
    if isolation.starts_with("no network") {
        assert_eq!(reply.result(), "false\n", "the program reached the runner");
    } else {
        eprintln!("no network namespace here ({isolation}); the program reached the network");
    }
}
