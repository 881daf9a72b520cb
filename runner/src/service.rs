//! The requests the runner answers, in the public playground's terms:
//!
//! - `POST /evaluate.json` with `{"code", "edition", "version", "optimize", "tests"}` answers
//!   `{"result", "error"}`: on success `result` is the program's stdout and `error` is null; on
//!   failure both hold the compiler's and the program's stderr followed by its stdout.
//! - `GET` or `POST /meta/crates` answers `{"crates": [{"name", "version", "id"}]}`.
//! - `GET /` says what this is and which isolation is active.
//!
//! Only the book's own pages may ask (their `Origin` is checked, and answers carry CORS headers
//! for them alone), and only through this machine's own address (the `Host` is checked too, which
//! stops DNS rebinding). Origin is not authentication, though: any local process can send any
//! Origin, which is why the code runs in a sandbox (see `sandbox`). HTTP itself is `server`'s.

use crate::child::Abandoned;
use crate::gate::{Busy, Gate};
use crate::sandbox::{Job, Sandbox};
use serde_json::{Value, json};
use std::sync::Arc;

/// What `GET /` says, so a reader (or a test) knows it found this runner and not something else.
pub const SERVICE_NAME: &str = "futures-book-runner";

/// The first line of every Run's output when the runner has no sandbox.
pub const INSECURE_NOTICE: &str = "local runner: WARNING: started with --insecure, so this code \
     ran WITHOUT a sandbox, as the runner's user.\n";

pub struct Service {
    pub port: u16,
    pub origins: Vec<String>,
    /// `(name, version)` of each crate the code may use.
    pub crates: Vec<(String, String)>,
    pub max_code: usize,
    pub gate: Gate,
    pub sandbox: Arc<Sandbox>,
}

/// A request as `server` hands it over, its body read whole.
pub struct Request {
    pub method: String,
    /// The path without its query string.
    pub path: String,
    pub host: Option<String>,
    pub origin: Option<String>,
    pub private_network: bool,
    pub body: Vec<u8>,
}

/// An answer, for `server` to send.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, value: &Value) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", "application/json".to_string())],
            body: value.to_string().into_bytes(),
        }
    }

    fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

impl Service {
    /// Answers one request. It may take as long as a job (it waits for the gate and the
    /// sandbox), so `server` calls it on a blocking thread.
    pub fn respond(&self, request: &Request, abandoned: &Abandoned) -> Response {
        let hosts = [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ];
        if !request
            .host
            .as_deref()
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
        let origin = request.origin.as_deref();
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
                if request.private_network {
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
            ("POST", "/evaluate.json") => self.evaluate(&request.body, abandoned),
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
            "sandboxed": !self.sandbox.insecure(),
            "isolation": self.sandbox.describe(),
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

    fn evaluate(&self, body: &[u8], abandoned: &Abandoned) -> Response {
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

        let _turn = match self.gate.enter(abandoned) {
            Ok(turn) => turn,
            Err(Busy::QueueFull { waiting }) => {
                return refusal(
                    503,
                    &format!(
                        "the runner is busy ({waiting} runs are waiting); try again in a moment."
                    ),
                );
            }
            Err(Busy::Abandoned) => {
                return refusal(499, "the client went away before its run's turn came.");
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
            abandoned,
        };
        match self.sandbox.evaluate(&job, _turn.slot) {
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
                let notice = if self.sandbox.insecure() {
                    INSECURE_NOTICE.to_string()
                } else {
                    String::new()
                };
                let body = if outcome.success {
                    json!({ "result": notice + &outcome.stdout, "error": null })
                } else {
                    let all = notice + &outcome.stderr + &outcome.stdout;
                    json!({ "result": all, "error": all })
                };
                Response::json(200, &body)
            }
            Err(error) => refusal(500, &format!("could not build or run the code: {error}.")),
        }
    }
}

/// An answer that book.js shows in the code block's output area: it reads `result`.
pub fn refusal(status: u16, why: &str) -> Response {
    let text = format!("local runner: {why}");
    Response::json(status, &json!({ "result": text, "error": text }))
}
