//! Just enough HTTP/1.1 for what mdBook's book.js sends: one request per connection, a body
//! with a Content-Length, and a JSON answer. Anything else gets a clear refusal.

use std::io::{self, Read, Write};

/// The request line and headers may not be longer than this.
const MAX_HEAD: usize = 16 * 1024;

pub struct Request {
    pub method: String,
    /// The path without its query string.
    pub path: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub enum ReadError {
    /// The connection failed or timed out: there is no one to answer.
    Io,
    /// Not a request this server understands; the text says why.
    Malformed(&'static str),
    /// The body is longer than the server reads: its announced length, and how much of it is
    /// still unread.
    TooLarge { length: usize, unread: usize },
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

pub fn read_request(stream: &mut impl Read, max_body: usize) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Malformed("the request's headers are too long"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ReadError::Io);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end])
        .map_err(|_| ReadError::Malformed("the request's headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(ReadError::Malformed(
            "the request line is not `METHOD PATH HTTP/1.1`",
        ));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed("only HTTP/1.x is understood"));
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or(ReadError::Malformed("a header line has no colon"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or_default().to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(ReadError::Malformed(
            "chunked request bodies are not supported; send a Content-Length",
        ));
    }
    let length = match request.header("content-length") {
        Some(value) => value
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed("the Content-Length is not a number"))?,
        None => 0,
    };
    if length > max_body {
        let buffered = buf.len() - (head_end + 4);
        return Err(ReadError::TooLarge {
            length,
            unread: length.saturating_sub(buffered),
        });
    }
    let mut body = buf.split_off(head_end + 4);
    body.truncate(length);
    if body.len() < length {
        let start = body.len();
        body.resize(length, 0);
        stream.read_exact(&mut body[start..])?;
    }
    request.body = body;
    Ok(request)
}

/// Reads and drops up to `count` bytes, so that the client, still sending, gets to read the
/// answer instead of a reset connection.
pub fn discard(stream: &mut impl Read, count: usize) {
    let _ = io::copy(&mut stream.take(count as u64), &mut io::sink());
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", "application/json".to_string())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn write_to(&self, stream: &mut impl Write) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        stream.write_all(head.as_bytes())?;
        stream.write_all(&self.body)?;
        stream.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
