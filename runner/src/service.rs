//! The requests the runner answers, in the public playground's terms:
//!
//! - `POST /evaluate.json` with `{"code", "edition", "version", "optimize", "tests"}` answers
//!   `{"result", "error"}`: on success `result` is the program's stdout and `error` is null; on
//!   failure both hold the compiler's and the program's stderr followed by its stdout.
//! - `GET` or `POST /meta/crates` answers `{"crates": [{"name", "version", "id"}]}`.
//! - `GET /` says what this is, so theme/playground-local.js can tell the runner is there.
//!
//! Only the book's own pages may ask (their `Origin` is checked, and answers carry CORS headers
//! for them alone), and only through this machine's own address (the `Host` is checked too, which
//! stops DNS rebinding).

use crate::gate::{Busy, Gate};
use crate::http::{self, ReadError, Request, Response};
use crate::sandbox::{Job, Sandbox};
use serde_json::{Value, json};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What `GET /` says, so the page's script knows it found this runner and not something else.
pub const SERVICE_NAME: &str = "futures-book-runner";

/// The largest request body read at all; the code-size limit below gives the friendlier message.
const MAX_BODY: usize = 1 << 20;

pub struct Service {
    pub port: u16,
    pub origins: Vec<String>,
    /// `(name, version)` of each crate the code may use.
    pub crates: Vec<(String, String)>,
    pub max_code: usize,
    pub gate: Gate,
    pub sandbox: Sandbox,
}

impl Service {
    pub fn handle(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
        let started = Instant::now();
        let (line, response) = match http::read_request(&mut stream, MAX_BODY) {
            Ok(request) => {
                let line = format!(
                    "{} {} from {}",
                    request.method,
                    request.path,
                    request.header("origin").unwrap_or("no origin")
                );
                (line, self.respond(&request))
            }
            // The other end went away or never finished: there is no one to answer.
            Err(ReadError::Io) => return,
            Err(ReadError::Malformed(why)) => ("malformed request".into(), refusal(400, why)),
            Err(ReadError::TooLarge { length, unread }) => (
                {
                    if unread <= 16 * MAX_BODY {
                        http::discard(&mut stream, unread);
                    }
                    "request too large".into()
                },
                refusal(
                    413,
                    &format!("the request is {length} bytes; the runner reads at most {MAX_BODY}."),
                ),
            ),
        };
        // Runs say how they went themselves (see `evaluate`); of the rest, only refusals are news.
        if response.status >= 400 {
            eprintln!(
                "runner: {line} -> {} ({:.2} s): {}",
                response.status,
                started.elapsed().as_secs_f64(),
                String::from_utf8_lossy(&response.body)
            );
        }
        let _ = response.write_to(&mut stream);
    }

    fn respond(&self, request: &Request) -> Response {
        let hosts = [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ];
        if !request
            .header("host")
            .is_some_and(|h| hosts.iter().any(|a| a == h))
        {
            return refusal(
                403,
                &format!(
                    "the runner answers only requests addressed to {}.",
                    hosts[0]
                ),
            );
        }
        let origin = request.header("origin");
        let allowed = origin.filter(|o| self.origins.iter().any(|a| a == o));
        if let (Some(origin), None) = (origin, allowed) {
            return refusal(
                403,
                &format!(
                    "requests from {origin} are refused; the runner accepts only the book's own pages ({}). \
                     Start it with --allow-origin to add another.",
                    self.origins.join(", ")
                ),
            );
        }
        let mut response = match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/") => Response::json(200, &self.about()),
            ("OPTIONS", _) if allowed.is_some() => {
                let mut r = Response::empty(204);
                r.headers.extend([
                    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS".into()),
                    ("Access-Control-Allow-Headers", "Content-Type".into()),
                    ("Access-Control-Max-Age", "600".into()),
                ]);
                if request
                    .header("access-control-request-private-network")
                    .is_some()
                {
                    r.headers
                        .push(("Access-Control-Allow-Private-Network", "true".into()));
                }
                r
            }
            (_, "/evaluate.json" | "/meta/crates") if allowed.is_none() => refusal(
                403,
                "the request has no Origin header; the runner answers only the book's own pages.",
            ),
            ("GET" | "POST", "/meta/crates") => Response::json(200, &self.crate_list()),
            ("POST", "/evaluate.json") => self.evaluate(&request.body),
            (_, "/evaluate.json") => refusal(405, "send the code with POST."),
            _ => refusal(
                404,
                "the runner answers only /evaluate.json and /meta/crates.",
            ),
        };
        if let Some(origin) = allowed {
            response.headers.extend([
                ("Access-Control-Allow-Origin", origin.to_string()),
                ("Vary", "Origin".to_string()),
            ]);
        }
        response
    }

    fn about(&self) -> Value {
        let limits = self.sandbox.limits();
        json!({
            "service": SERVICE_NAME,
            "version": env!("CARGO_PKG_VERSION"),
            "crates": self.crates.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            "isolation": self.sandbox.isolation().describe(),
            "limits": {
                "code_bytes": self.max_code,
                "compile_seconds": limits.compile_timeout.as_secs(),
                "run_seconds": limits.run_timeout.as_secs(),
                "output_bytes": limits.max_output,
                "memory_bytes": limits.memory,
                "processes": limits.processes,
            },
        })
    }

    fn crate_list(&self) -> Value {
        let crates: Vec<Value> = self
            .crates
            .iter()
            .map(|(name, version)| {
                json!({ "name": name, "version": version, "id": name.replace('-', "_") })
            })
            .collect();
        json!({ "crates": crates })
    }

    fn evaluate(&self, body: &[u8]) -> Response {
        let request: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(error) => {
                return refusal(400, &format!("the request is not valid JSON ({error})."));
            }
        };
        let Some(code) = request.get("code").and_then(Value::as_str) else {
            return refusal(400, "the request has no \"code\" string.");
        };
        if code.len() > self.max_code {
            return refusal(
                413,
                &format!(
                    "the code is {} bytes; the local runner takes at most {} bytes.",
                    code.len(),
                    self.max_code
                ),
            );
        }
        let edition = match request.get("edition").map(|e| e.as_str()) {
            None | Some(Some("")) => "2015",
            Some(Some(e @ ("2015" | "2018" | "2021" | "2024"))) => e,
            Some(_) => return refusal(400, "\"edition\" must be 2015, 2018, 2021 or 2024."),
        };
        match request.get("version").map(|v| v.as_str()) {
            None | Some(Some("stable" | "beta" | "nightly")) => {}
            Some(_) => return refusal(400, "\"version\" must be stable, beta or nightly."),
        }
        let release = match request.get("optimize") {
            None | Some(Value::Null) => false,
            Some(Value::String(level)) => level != "0",
            Some(Value::Number(level)) => level.as_u64() != Some(0),
            Some(_) => return refusal(400, "\"optimize\" must be \"0\" (debug) or another level."),
        };
        let tests = request
            .get("tests")
            .and_then(Value::as_bool)
            .unwrap_or(false);

        let _turn = match self.gate.enter() {
            Ok(turn) => turn,
            Err(Busy::QueueFull { waiting }) => {
                return refusal(
                    503,
                    &format!(
                        "the runner is busy ({waiting} runs are waiting); try again in a moment."
                    ),
                );
            }
            Err(Busy::WaitedTooLong(waited)) => {
                return refusal(
                    503,
                    &format!(
                        "the runner is busy: this run waited {} s for its turn; try again in a moment.",
                        waited.as_secs()
                    ),
                );
            }
        };
        let job = Job {
            code,
            edition,
            release,
            tests,
        };
        match self.sandbox.evaluate(&job) {
            Ok(outcome) => {
                eprintln!(
                    "runner: {} run: compiled in {:.2} s{}",
                    if outcome.success { "a" } else { "a failed" },
                    outcome.compile_time.as_secs_f64(),
                    match outcome.run_time {
                        Some(t) => format!(", ran in {:.2} s", t.as_secs_f64()),
                        None => String::new(),
                    }
                );
                // As the playground does: stdout alone on success, everything on failure.
                let body = if outcome.success {
                    json!({ "result": outcome.stdout, "error": null })
                } else {
                    let all = outcome.stderr + &outcome.stdout;
                    json!({ "result": all, "error": all })
                };
                Response::json(200, &body)
            }
            Err(error) => refusal(500, &format!("could not build or run the code: {error}.")),
        }
    }
}

/// An answer that book.js shows in the code block's output area: it reads `result`.
fn refusal(status: u16, why: &str) -> Response {
    let text = format!("local runner: {why}");
    Response::json(status, &json!({ "result": text, "error": text }))
}
