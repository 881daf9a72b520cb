//! The commands README.md gives a reader who wants plain `mdbook test` and `mdbook serve`
//! (between its `plain-mdbook:begin` and `plain-mdbook:end` markers): read, and run by
//! `cargo xtask test` exactly as written, so the README cannot rot.

use crate::cmd::Cmd;
use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

const BEGIN: &str = "<!-- plain-mdbook:begin";
const END: &str = "<!-- plain-mdbook:end";

/// One command line of the README's block, split into words.
#[derive(Debug, PartialEq)]
pub struct Command {
    pub line: usize,
    pub words: Vec<String>,
}

/// The commands between the markers, without their `# comments`.
pub fn commands(readme: &str) -> Result<Vec<Command>> {
    let start = readme
        .lines()
        .position(|l| l.starts_with(BEGIN))
        .with_context(|| format!("README.md has no `{BEGIN}` marker"))?;
    let mut commands = Vec::new();
    for (index, line) in readme.lines().enumerate().skip(start + 1) {
        if line.starts_with(END) {
            if commands.is_empty() {
                bail!("README.md: no command between the plain-mdbook markers");
            }
            return Ok(commands);
        }
        let code = line.split(" #").next().unwrap_or("").trim();
        if code.is_empty() || code.starts_with("```") || code.starts_with('#') {
            continue;
        }
        if code.contains(|c| "'\"`$|&;<>\\".contains(c)) {
            bail!(
                "README.md:{}: `{code}`: the plain-mdbook block holds plain command lines \
                 (no quotes, pipes or variables), so that the test runs them as written",
                index + 1
            );
        }
        commands.push(Command {
            line: index + 1,
            words: code.split_whitespace().map(str::to_string).collect(),
        });
    }
    bail!("README.md has no `{END}` marker after `{BEGIN}`")
}

/// Runs every command of the README's block. `mdbook test` also gets `RUSTC_BOOTSTRAP=1`, so
/// that rustdoc compares each `compile_fail` block's error code (stable rustdoc accepts any
/// error); `mdbook serve` is started on a free port and must serve the book's first page.
pub fn run(root: &Path) -> Result<()> {
    let readme =
        std::fs::read_to_string(root.join("README.md")).context("cannot read README.md")?;
    for command in commands(&readme)? {
        let at = format!("README.md:{}", command.line);
        let cmd = Cmd::new(&command.words[0])
            .args(&command.words[1..])
            .dir(root);
        match command.words.get(..2) {
            Some([program, job]) if program == "mdbook" && job == "serve" => serve(root, cmd)
                .with_context(|| {
                    format!("{at}: `{}` did not serve the book", command.words.join(" "))
                })?,
            Some([program, job]) if program == "mdbook" && job == "test" => cmd
                .env("RUSTC_BOOTSTRAP", "1")
                .timeout(Duration::from_secs(20 * 60))
                .run()
                .with_context(|| format!("{at}: a code block in a chapter failed (see above)"))?,
            _ => cmd
                .timeout(Duration::from_secs(40 * 60))
                .run()
                .with_context(|| format!("{at}: this command of the README failed"))?,
        }
    }
    Ok(())
}

/// Starts `mdbook serve` on a free port of 127.0.0.1, waits until the first page is served,
/// and stops it. It builds into a folder of its own, not `book/`, which later steps test.
fn serve(root: &Path, cmd: Cmd) -> Result<()> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let port = port.to_string();
    let _server = cmd
        .args(["--hostname", "127.0.0.1", "--port", &port, "--dest-dir"])
        .arg(root.join("target/plain-mdbook-serve"))
        .spawn()?;
    let title = crate::book_toml::read(root)?.title()?.to_string();
    let started = Instant::now();
    let mut last = String::from("no answer");
    while started.elapsed() < Duration::from_secs(120) {
        match fetch(&port, "/index.html") {
            Ok(page) if page.starts_with("HTTP/1.1 200") && page.contains(&title) => {
                eprintln!("mdbook serve answered on port {port} with the book's first page");
                return Ok(());
            }
            Ok(page) => last = page.lines().next().unwrap_or("").to_string(),
            Err(error) => last = error.to_string(),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    bail!("no page with the title `{title}` within 120 s (last: {last})")
}

/// The whole answer (status line, headers and body) of 127.0.0.1:`port` to `GET path`.
pub fn fetch(port: impl std::fmt::Display, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut page = String::new();
    stream.read_to_string(&mut page)?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lines_between_the_markers_without_comments() {
        let readme = "intro\n<!-- plain-mdbook:begin (note) -->\n```sh\n\
                      cargo build -p x   # build\n\n# a comment line\nmdbook test -L d\n```\n\
                      <!-- plain-mdbook:end -->\nmdbook ignored\n";
        let found = commands(readme).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].line, found[0].words.join(" ")),
            (4, "cargo build -p x".into())
        );
        assert_eq!(found[1].words, ["mdbook", "test", "-L", "d"]);
    }

    #[test]
    fn refuses_shell_syntax_and_missing_markers() {
        let piped = "<!-- plain-mdbook:begin -->\nmdbook test | tee log\n<!-- plain-mdbook:end -->";
        assert!(
            commands(piped)
                .unwrap_err()
                .to_string()
                .contains("README.md:2")
        );
        assert!(commands("no markers").is_err());
        assert!(commands("<!-- plain-mdbook:begin -->\nmdbook test\n").is_err());
    }
}
