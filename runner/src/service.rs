//! The requests the runner answers, in the public playground's terms:
//!
//! - `POST /evaluate.json` with `{"code", "edition", "version", "optimize", "tests"}` (any other
//!   field is refused) answers `{"result", "error"}`: on success `result` is the program's stdout
//!   and `error` is null; on failure both hold the compiler's and the program's stderr followed
//!   by its stdout.
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
use serde::Deserialize;
use serde::de::{self, Deserializer};
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

/// What a request asks for, once its Host, Origin, method and path are found acceptable.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    About,
    Preflight,
    Crates,
    Evaluate,
}

/// The page origin a request comes from, if it has one and it is allowed; a refusal if the
/// request is not addressed to this runner (`port` on this machine), or comes from a page that
/// is not allowed.
fn admit<'a>(
    port: u16,
    origins: &[String],
    request: &'a Request,
) -> Result<Option<&'a str>, Response> {
    let hosts = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !request
        .host
        .as_deref()
        .is_some_and(|h| hosts.iter().any(|a| a == h))
    {
        return Err(refusal(
            403,
            &format!(
                "the runner answers only requests addressed to {}.",
                hosts[0]
            ),
        ));
    }
    match request.origin.as_deref() {
        None => Ok(None),
        Some(origin) if origins.iter().any(|a| a == origin) => Ok(Some(origin)),
        Some(origin) => Err(refusal(
            403,
            &format!(
                "requests from {origin} are refused; the runner accepts only the book's own pages ({}). \
                 Start it with --allow-origin to add another.",
                origins.join(", ")
            ),
        )),
    }
}

/// What an admitted request asks for (`allowed`: whether it came from an allowed page), or the
/// refusal.
fn route(request: &Request, allowed: bool) -> Result<Route, Response> {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/") => Ok(Route::About),
        ("OPTIONS", _) if allowed => Ok(Route::Preflight),
        (_, "/evaluate.json" | "/meta/crates") if !allowed => Err(refusal(
            403,
            "the request has no Origin header; the runner answers only the book's own pages.",
        )),
        ("GET" | "POST", "/meta/crates") => Ok(Route::Crates),
        ("POST", "/evaluate.json") => Ok(Route::Evaluate),
        (_, "/evaluate.json") => Err(refusal(405, "send the code with POST.")),
        _ => Err(refusal(
            404,
            "the runner answers only /evaluate.json and /meta/crates.",
        )),
    }
}

/// What `POST /evaluate.json` asks for: the fields book.js sends (`code`, `edition`, `version`,
/// `optimize`) and the playground's `tests`. A field left out takes the playground's default; an
/// unknown one is refused, so that a misspelt field is not ignored in silence.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a JSON object with a \"code\" string"
)]
struct Evaluation {
    code: String,
    #[serde(default = "first_edition", deserialize_with = "edition")]
    edition: Edition,
    /// Checked, not used: the runner has one toolchain.
    #[serde(default, rename = "version", deserialize_with = "version")]
    channel: (),
    /// `optimize` other than `"0"`, `0` or null.
    #[serde(default, rename = "optimize", deserialize_with = "optimize")]
    release: bool,
    #[serde(default)]
    tests: bool,
}

/// A Rust edition, as rustc's `--edition` takes it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Edition(&'static str);

/// The playground's edition when none is named.
fn first_edition() -> Edition {
    Edition("2015")
}

fn edition<'de, D: Deserializer<'de>>(field: D) -> Result<Edition, D::Error> {
    let reason = "\"edition\" must be 2015, 2018, 2021 or 2024";
    match Value::deserialize(field)? {
        Value::String(edition) => match edition.as_str() {
            "" => Ok(first_edition()),
            "2015" => Ok(Edition("2015")),
            "2018" => Ok(Edition("2018")),
            "2021" => Ok(Edition("2021")),
            "2024" => Ok(Edition("2024")),
            _ => Err(de::Error::custom(reason)),
        },
        _ => Err(de::Error::custom(reason)),
    }
}

fn version<'de, D: Deserializer<'de>>(field: D) -> Result<(), D::Error> {
    match Value::deserialize(field)?.as_str() {
        Some("stable" | "beta" | "nightly") => Ok(()),
        _ => Err(de::Error::custom(
            "\"version\" must be stable, beta or nightly",
        )),
    }
}

fn optimize<'de, D: Deserializer<'de>>(field: D) -> Result<bool, D::Error> {
    match Value::deserialize(field)? {
        Value::Null => Ok(false),
        Value::String(level) => Ok(level != "0"),
        Value::Number(level) => Ok(level.as_u64() != Some(0)),
        _ => Err(de::Error::custom(
            "\"optimize\" must be \"0\" (debug) or another level",
        )),
    }
}

impl Evaluation {
    /// The request in a JSON body, in the playground's terms, or the refusal: code longer than
    /// `max_code` bytes is refused.
    fn parse(body: &[u8], max_code: usize) -> Result<Evaluation, Response> {
        // serde reads a struct from an array too (`["fn main() {}"]`), which no client sends.
        if body.trim_ascii_start().starts_with(b"[") {
            return Err(refusal(
                400,
                "the request is a JSON array; it must be an object with a \"code\" string.",
            ));
        }
        let evaluation: Evaluation = serde_json::from_slice(body).map_err(|error| {
            let why = if error.is_data() {
                format!("the request does not fit /evaluate.json: {error}.")
            } else {
                format!("the request is not valid JSON ({error}).")
            };
            refusal(400, &why)
        })?;
        if evaluation.code.len() > max_code {
            return Err(refusal(
                413,
                &format!(
                    "the code is {} bytes; the local runner takes at most {} bytes.",
                    evaluation.code.len(),
                    max_code
                ),
            ));
        }
        Ok(evaluation)
    }
}

impl Service {
    /// Answers one request. It may take as long as a job (it waits for the gate and the
    /// sandbox), so `server` calls it on a blocking thread.
    pub fn respond(&self, request: &Request, abandoned: &Abandoned) -> Response {
        let allowed = match admit(self.port, &self.origins, request) {
            Ok(allowed) => allowed,
            Err(refusal) => return refusal,
        };
        let mut response = match route(request, allowed.is_some()) {
            Err(refusal) => refusal,
            Ok(Route::About) => Response::json(200, &self.about()),
            Ok(Route::Preflight) => {
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
            Ok(Route::Crates) => Response::json(200, &self.crate_list()),
            Ok(Route::Evaluate) => match Evaluation::parse(&request.body, self.max_code) {
                Ok(evaluation) => self.evaluate(&evaluation, abandoned),
                Err(refusal) => refusal,
            },
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

    fn evaluate(&self, evaluation: &Evaluation, abandoned: &Abandoned) -> Response {
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
                eprintln!("runner: a run's client went away while it waited for its turn");
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
            code: &evaluation.code,
            edition: evaluation.edition.0,
            release: evaluation.release,
            tests: evaluation.tests,
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

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: u16 = 3001;
    const BOOK: &str = "http://127.0.0.1:3000";

    fn request(method: &str, path: &str, host: Option<&str>, origin: Option<&str>) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            host: host.map(Into::into),
            origin: origin.map(Into::into),
            private_network: false,
            body: Vec::new(),
        }
    }

    fn origins() -> Vec<String> {
        vec![BOOK.to_string(), "http://localhost:3000".to_string()]
    }

    /// What `admit` makes of a request to this `host` from this `origin`.
    fn admitted(host: Option<&str>, origin: Option<&str>) -> Result<Option<String>, Response> {
        let request = request("POST", "/evaluate.json", host, origin);
        admit(PORT, &origins(), &request).map(|allowed| allowed.map(str::to_string))
    }

    /// The status of a refusal and the reason it gives (what book.js shows).
    fn refusal_of<T: std::fmt::Debug>(result: Result<T, Response>) -> (u16, String) {
        match result {
            Ok(accepted) => panic!("accepted: {accepted:?}"),
            Err(refusal) => {
                let body: Value = serde_json::from_slice(&refusal.body).unwrap();
                assert_eq!(body["result"], body["error"]);
                let reason = body["result"].as_str().unwrap();
                let reason = reason.strip_prefix("local runner: ").unwrap();
                (refusal.status, reason.to_string())
            }
        }
    }

    #[test]
    fn only_requests_addressed_to_this_runner_are_admitted() {
        for host in ["127.0.0.1:3001", "localhost:3001"] {
            assert_eq!(admitted(Some(host), None).ok(), Some(None), "{host}");
        }
        // No Host, another port, another name (a DNS rebinding page), no port.
        for host in [
            None,
            Some("127.0.0.1:3002"),
            Some("evil.example:3001"),
            Some("127.0.0.1"),
        ] {
            let (status, why) = refusal_of(admitted(host, None));
            assert_eq!(status, 403, "{host:?}");
            assert_eq!(
                why,
                "the runner answers only requests addressed to 127.0.0.1:3001."
            );
        }
    }

    #[test]
    fn only_the_books_pages_are_admitted() {
        let from = |origin| admitted(Some("127.0.0.1:3001"), Some(origin));
        for origin in [BOOK, "http://localhost:3000"] {
            assert_eq!(from(origin).ok(), Some(Some(origin.to_string())));
        }
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:3000/",
            "null",
            "http://127.0.0.1:30001",
        ] {
            let (status, why) = refusal_of(from(origin));
            assert_eq!(status, 403, "{origin}");
            assert!(
                why.starts_with(&format!("requests from {origin} are refused")),
                "{why}"
            );
            assert!(why.contains("--allow-origin"), "{why}");
        }
    }

    #[test]
    fn each_method_and_path_goes_to_its_route_or_is_refused() {
        let route_of = |method, path, allowed| route(&request(method, path, None, None), allowed);
        for (method, path, allowed, expected) in [
            ("GET", "/", false, Route::About),
            ("GET", "/", true, Route::About),
            ("OPTIONS", "/evaluate.json", true, Route::Preflight),
            ("GET", "/meta/crates", true, Route::Crates),
            ("POST", "/meta/crates", true, Route::Crates),
            ("POST", "/evaluate.json", true, Route::Evaluate),
        ] {
            assert_eq!(
                route_of(method, path, allowed).ok(),
                Some(expected),
                "{method} {path}"
            );
        }
        for (method, path, allowed, status, reason) in [
            ("POST", "/evaluate.json", false, 403, "no Origin header"),
            ("OPTIONS", "/evaluate.json", false, 403, "no Origin header"),
            ("GET", "/meta/crates", false, 403, "no Origin header"),
            (
                "GET",
                "/evaluate.json",
                true,
                405,
                "send the code with POST",
            ),
            (
                "PUT",
                "/meta/crates",
                true,
                404,
                "only /evaluate.json and /meta/crates",
            ),
            (
                "GET",
                "/etc/passwd",
                true,
                404,
                "only /evaluate.json and /meta/crates",
            ),
            (
                "POST",
                "/",
                false,
                404,
                "only /evaluate.json and /meta/crates",
            ),
        ] {
            let (got, why) = refusal_of(route_of(method, path, allowed));
            assert_eq!(got, status, "{method} {path}: {why}");
            assert!(why.contains(reason), "{method} {path}: {why}");
        }
    }

    fn evaluation(code: &str, edition: &'static str, release: bool, tests: bool) -> Evaluation {
        Evaluation {
            code: code.into(),
            edition: Edition(edition),
            channel: (),
            release,
            tests,
        }
    }

    #[test]
    fn a_good_evaluation_request_is_read() {
        for (body, expected) in [
            // What book.js sends (its code exactly as long as the limit, 12 bytes).
            (
                r#"{"version":"stable","optimize":"0","code":"fn main() {}","edition":"2024"}"#,
                evaluation("fn main() {}", "2024", false, false),
            ),
            // The playground's defaults for what is left out.
            (r#"{"code":"x"}"#, evaluation("x", "2015", false, false)),
            (
                r#"{"code":"x","edition":""}"#,
                evaluation("x", "2015", false, false),
            ),
            (
                r#"{"code":"x","edition":"2018","optimize":"3"}"#,
                evaluation("x", "2018", true, false),
            ),
            (
                r#"{"code":"x","edition":"2021","optimize":2}"#,
                evaluation("x", "2021", true, false),
            ),
            (
                r#"{"code":"x","optimize":0,"version":"nightly"}"#,
                evaluation("x", "2015", false, false),
            ),
            (
                r#"{"code":"x","optimize":null,"tests":true}"#,
                evaluation("x", "2015", false, true),
            ),
        ] {
            match Evaluation::parse(body.as_bytes(), 12) {
                Ok(read) => assert_eq!(read, expected, "{body}"),
                Err(refusal) => {
                    panic!("{body} refused: {}", String::from_utf8_lossy(&refusal.body))
                }
            }
        }
    }

    #[test]
    fn bad_evaluation_requests_are_refused_with_the_reason() {
        let misfit = "the request does not fit /evaluate.json: ";
        for (body, status, reason) in [
            (
                r#"{"code": "fn main() {}"#,
                400,
                "the request is not valid JSON (EOF while parsing".to_string(),
            ),
            ("", 400, "the request is not valid JSON".into()),
            ("code=fn+main", 400, "the request is not valid JSON".into()),
            (
                " [\"fn main() {}\"]",
                400,
                "the request is a JSON array; it must be an object with a \"code\" string.".into(),
            ),
            (
                "5",
                400,
                format!(
                    "{misfit}invalid type: integer `5`, expected a JSON object with a \"code\" string"
                ),
            ),
            (
                r#"{"edition":"2024"}"#,
                400,
                format!("{misfit}missing field `code` at line 1 column 18."),
            ),
            (
                r#"{"code":5}"#,
                400,
                format!("{misfit}invalid type: integer `5`, expected a string"),
            ),
            // A field the playground does not have, or a misspelt one.
            (
                r#"{"code":"x","Edition":"2024"}"#,
                400,
                format!("{misfit}unknown field `Edition`, expected one of `code`, `edition`"),
            ),
            (
                r#"{"code":"x","channel":"beta"}"#,
                400,
                format!("{misfit}unknown field `channel`"),
            ),
            (
                r#"{"code":"x","edition":"2017"}"#,
                400,
                format!("{misfit}\"edition\" must be 2015, 2018, 2021 or 2024 at line 1"),
            ),
            (
                r#"{"code":"x","edition":2024}"#,
                400,
                format!("{misfit}\"edition\" must be"),
            ),
            (
                r#"{"code":"x","version":"1.88"}"#,
                400,
                format!("{misfit}\"version\" must be stable, beta or nightly at line 1"),
            ),
            (
                r#"{"code":"x","optimize":true}"#,
                400,
                format!("{misfit}\"optimize\" must be \"0\" (debug) or another level at line"),
            ),
            (
                r#"{"code":"x","tests":"yes"}"#,
                400,
                format!("{misfit}invalid type: string \"yes\", expected a boolean"),
            ),
            (
                r#"{"code":"x","code":"y"}"#,
                400,
                format!("{misfit}duplicate field `code`"),
            ),
            (
                r#"{"code":"0123456789A"}"#,
                413,
                "the code is 11 bytes; the local runner takes at most 10 bytes.".into(),
            ),
        ] {
            let (got, why) = refusal_of(Evaluation::parse(body.as_bytes(), 10));
            assert_eq!(got, status, "{body}: {why}");
            assert!(why.starts_with(&reason), "{body}: {why}");
            assert!(!why.contains('\n'), "{body}: {why}");
        }
    }
}
