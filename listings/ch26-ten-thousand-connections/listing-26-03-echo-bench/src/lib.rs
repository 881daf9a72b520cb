//! Chapter 26's benchmark harness. Each echo server runs in a child process
//! (this same program, started as `PROGRAM serve ID`); the parent opens
//! connections to it from a few threads, reads the child's memory from /proc
//! and times round trips. `main.rs` names the servers and runs it all.
//! Linux only: it reads /proc and calls the C library's `setrlimit`.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// An echo server in the race.
pub struct Server {
    /// Names it on the command line: `PROGRAM serve ID`.
    pub id: &'static str,
    /// Names it in the table.
    pub name: String,
    /// Serves forever on the listener it is given.
    pub serve: fn(TcpListener),
}

// ANCHOR: limit
/// A process's limits on open files, laid out as C's `struct rlimit` on
/// 64-bit Linux.
#[repr(C)]
struct Rlimit {
    soft: u64,
    hard: u64,
}

// The layout above, and the number below, hold on these targets only.
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!("this benchmark declares setrlimit for 64-bit Linux only");

unsafe extern "C" {
    fn getrlimit(resource: i32, limit: *mut Rlimit) -> i32;
    fn setrlimit(resource: i32, limit: *const Rlimit) -> i32;
}

const RLIMIT_NOFILE: i32 = 7; // from Linux's <sys/resource.h>

/// Raises this process's limit on open files as far as it may go without
/// privileges (the soft limit up to the hard one), and returns the limit
/// before and after.
pub fn raise_open_files_limit() -> io::Result<(u64, u64)> {
    let mut limit = open_files_limits()?;
    let before = limit.soft;
    limit.soft = limit.hard;
    // SAFETY: `limit` is a valid `struct rlimit`, which the call only reads.
    if unsafe { setrlimit(RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((before, limit.soft))
}

/// This process's soft and hard limits on open files.
fn open_files_limits() -> io::Result<Rlimit> {
    let mut limit = Rlimit { soft: 0, hard: 0 };
    // SAFETY: `limit` is a valid `struct rlimit` for the call to fill in.
    if unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit)
}
// ANCHOR_END: limit

/// Raises the open-files limit if it can; returns the soft limit it has
/// in the end, and the error if raising it failed. The limit is 0 only if
/// even reading it failed.
fn raised_or_current_limit() -> (u64, Option<io::Error>) {
    match raise_open_files_limit() {
        Ok((_, raised)) => (raised, None),
        Err(error) => {
            let current = open_files_limits().map_or(0, |limit| limit.soft);
            (current, Some(error))
        }
    }
}

// ANCHOR: child
/// How long a server process may live, whatever becomes of its parent.
const SERVER_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The child's side: runs `server` in this process. It tells the parent
/// its port and its open-files limit on one line of stdout, and exits as
/// soon as its stdin closes (the parent is done with it, or is gone).
pub fn serve_in_this_process(server: &Server) -> ! {
    let (limit, error) = raised_or_current_limit();
    if let Some(error) = error {
        eprintln!("cannot raise the open-files limit: {error}");
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind");
    let port = listener.local_addr().expect("no local address").port();
    println!("{port} {limit}");
    thread::spawn(|| {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        std::process::exit(0);
    });
    thread::spawn(|| {
        thread::sleep(SERVER_LIFETIME);
        eprintln!("the server ran out of time");
        std::process::exit(1);
    });
    // On a thread of its own, as Listing 25-1's `serve_echo` asks.
    let serve = server.serve;
    let _ = thread::spawn(move || serve(listener)).join();
    eprintln!("the server returned");
    std::process::exit(1);
}
// ANCHOR_END: child

// ANCHOR: process
/// The parent's side: a server running in a child process. Dropping it
/// kills the process and waits for it to end.
pub struct ServerProcess {
    child: Child,
    address: SocketAddr,
    open_files_limit: u64,
    /// The last three lines the server wrote to stderr (repeats once).
    said: Arc<Mutex<VecDeque<String>>>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server's memory, in bytes, as its /proc/PID/status gives it.
#[derive(Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: pages of the process's memory that are in RAM.
    pub resident: u64,
    /// `VmPTE`: the page tables that map them, kept by the kernel.
    pub page_tables: u64,
}

impl ServerProcess {
    /// The server's memory, from the kernel's /proc/PID/status.
    pub fn memory(&mut self) -> Result<Memory, String> {
        let file = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&file)
            .map_err(|error| self.explain(&format!("{file}: {error}")))?;
        let bytes = |name: &str| {
            kib_field(&status, name)
                .map(|kib| kib * 1024)
                .ok_or_else(|| format!("{file} has no {name} line"))
        };
        Ok(Memory {
            resident: bytes("VmRSS:")?,
            page_tables: bytes("VmPTE:")?,
        })
    }
}
// ANCHOR_END: process

/// The number of kibibytes on the line that starts with `name`, in a file
/// of /proc such as `status` or `meminfo` ("VmRSS:   1234 kB").
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find_map(|line| line.strip_prefix(name))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

impl ServerProcess {
    /// Starts `PROGRAM serve ID` and waits for it to report its port.
    pub fn start(program: &str, server: &Server) -> Result<Self, String> {
        let mut child = Command::new(program)
            .args(["serve", server.id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start {program}: {error}"))?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let (stdout, stderr) = (stdout.unwrap(), stderr.unwrap());
        let mut process = ServerProcess {
            child, // from here on, an early return kills it
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            open_files_limit: 0,
            said: Arc::default(),
        };
        let said = Arc::clone(&process.said);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut said = said.lock().unwrap();
                if said.back() == Some(&line) {
                    continue; // the same again: once is enough
                }
                if said.len() == 3 {
                    said.pop_front();
                }
                said.push_back(line);
            }
        });
        let (send, receive) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let line = receive
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| process.explain("no port within 10 s"))?;
        let mut words = line.split_whitespace().map(str::parse::<u64>);
        let (Some(Ok(port)), Some(Ok(limit))) = (words.next(), words.next())
        else {
            return Err(process.explain(&format!("it said {line:?}")));
        };
        process.address.set_port(port as u16);
        process.open_files_limit = limit;
        Ok(process)
    }

    /// `problem`, and what the server did about it: exited, or said
    /// something on stderr.
    fn explain(&mut self, problem: &str) -> String {
        let mut text = problem.to_string();
        // Its last words, if any, may still be on their way: a server
        // closes a connection before it can say why. And a process that
        // is ending closes its sockets before it has quite exited.
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.said.lock().unwrap().is_empty() && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(10));
        }
        thread::sleep(Duration::from_millis(50));
        if let Ok(Some(status)) = self.child.try_wait() {
            let _ = write!(text, "; the server exited ({status})");
        }
        let said = self.said.lock().unwrap();
        if !said.is_empty() {
            let lines: Vec<&str> = said.iter().map(String::as_str).collect();
            let _ = write!(text, "; it said: {}", lines.join(" / "));
        }
        text
    }
}

// ANCHOR: open
/// How many threads the load generator runs. Each does one thing at a time
/// (a connect or a round trip), so this many are under way at once.
pub const CLIENT_THREADS: usize = 4;

/// How long any client operation may wait before it counts as failed.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects, and waits until the server answers on the new connection
/// (one byte there and back): then the server has surely accepted it.
/// Every later operation on the stream fails after `timeout`.
fn open(address: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;
    round_trip(&mut stream, b"+")?;
    Ok(stream)
}

/// Sends `message` and reads it back.
fn round_trip(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    stream.write_all(message).map_err(said_nothing)?;
    let mut echoed = vec![0; message.len()];
    stream.read_exact(&mut echoed).map_err(said_nothing)?;
    if echoed != message {
        return Err(io::Error::other("the echo is not what was sent"));
    }
    Ok(())
}

// ANCHOR_END: open

/// A socket's timeout shows as `WouldBlock`: say what it means.
fn said_nothing(error: io::Error) -> io::Error {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            io::Error::new(io::ErrorKind::TimedOut, "no answer in time")
        }
        _ => error,
    }
}

/// The share of `total` things to do that falls to thread number `thread`
/// of `threads`.
fn share(total: usize, threads: usize, thread: usize) -> usize {
    total / threads + usize::from(thread < total % threads)
}

/// Opens `count` connections: each client thread opens its share, one
/// after the other. Returns each thread's connections, or how many were
/// served before the first failure, and that failure.
fn open_connections(
    address: SocketAddr,
    count: usize,
) -> Result<Vec<Vec<TcpStream>>, (usize, io::Error)> {
    let opened = AtomicUsize::new(0);
    let failed = AtomicBool::new(false); // then the other threads stop too
    let (opened, failed) = (&opened, &failed);
    let shares: io::Result<Vec<Vec<TcpStream>>> = thread::scope(|scope| {
        let threads: Vec<_> = (0..CLIENT_THREADS)
            .map(|thread| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    while mine.len() < share(count, CLIENT_THREADS, thread) {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let attempt = open(address, SOCKET_TIMEOUT);
                        let stream = attempt.inspect_err(|_| {
                            failed.store(true, Ordering::Relaxed);
                        })?;
                        mine.push(stream);
                        opened.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(mine)
                })
            })
            .collect();
        let joined = threads.into_iter().map(|t| t.join());
        joined
            .map(|share| share.expect("a client panicked"))
            .collect()
    });
    shares.map_err(|error| (opened.load(Ordering::Relaxed), error))
}

// ANCHOR: round_trips
/// Makes `total` round trips of a 64-byte message, spread over the
/// connections: each client thread that holds any takes its own in turn.
/// Returns how long each round trip took.
fn time_round_trips(
    connections: &mut [Vec<TcpStream>],
    total: usize,
) -> Result<Vec<Duration>, String> {
    let message: Vec<u8> = (0..64).map(|i| b'a' + i % 26).collect();
    let message = &message;
    let busy = connections.iter().filter(|mine| !mine.is_empty()).count();
    let times: io::Result<Vec<Vec<Duration>>> = thread::scope(|scope| {
        let threads: Vec<_> = connections
            .iter_mut()
            .filter(|mine| !mine.is_empty())
            .enumerate()
            .map(|(thread, mine)| {
                scope.spawn(move || {
                    let trips = share(total, busy, thread);
                    let mut times = Vec::with_capacity(trips);
                    for trip in 0..trips {
                        let turn = trip % mine.len();
                        let stream = &mut mine[turn];
                        let start = Instant::now();
                        round_trip(stream, message)?;
                        times.push(start.elapsed());
                    }
                    Ok(times)
                })
            })
            .collect();
        let joined = threads.into_iter().map(|t| t.join());
        joined
            .map(|times| times.expect("a client panicked"))
            .collect()
    });
    let times =
        times.map_err(|error| format!("a round trip failed: {error}"))?;
    Ok(times.concat())
}
// ANCHOR_END: round_trips

/// What one server did with a given number of connections.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    /// Resident memory per idle connection, in bytes: the server's VmRSS
    /// with every connection open, less its VmRSS with half of them open,
    /// over the number of the other half.
    pub resident_bytes: f64,
    /// The same for the server's page tables (VmPTE).
    pub page_table_bytes: f64,
    /// The same for the kernel stacks of the whole machine (they are not
    /// part of any process's resident memory).
    pub kernel_stack_bytes: f64,
    /// Connections opened and answered per second.
    pub accepted_per_second: f64,
    /// The median and the 99th percentile of the round trips, in µs.
    pub p50_micros: f64,
    pub p99_micros: f64,
}

/// Open files the load generator or a server needs besides its
/// connections: standard streams, the listener, epoll, pipes and so on.
const SPARE_FILES: u64 = 64;

// ANCHOR: measure
/// Measures `server` with `connections` connections and `round_trips` round
/// trips, in a fresh child process. `our_limit` is the load generator's own
/// open-files limit. An error says what went wrong instead.
pub fn measure_once(
    program: &str,
    server: &Server,
    connections: usize,
    round_trips: usize,
    our_limit: u64,
) -> Result<Figures, String> {
    let mut process = ServerProcess::start(program, server)?;
    let limit = our_limit.min(process.open_files_limit);
    let needed = connections as u64 + SPARE_FILES;
    if limit < needed {
        return Err(format!(
            "not run: needs {needed} open files, the limit is {limit}"
        ));
    }
    // Half the connections first: what the server sets up once (worker
    // threads, a first block of heap) lands in this half.
    let half = connections / 2;
    let failed = |process: &mut ServerProcess, (opened, error)| {
        let opened = grouped(opened as f64);
        let total = grouped(connections as f64);
        process.explain(&format!(
            "{opened} of {total} connections served, then: {error}"
        ))
    };
    let start = Instant::now();
    let first = open_connections(process.address, half);
    let mut clients = first.map_err(|f| failed(&mut process, f))?;
    let mut opening = start.elapsed();
    let (before, stacks_before) = (process.memory()?, kernel_stacks()?);

    let start = Instant::now();
    let second = open_connections(process.address, connections - half);
    let second = second.map_err(|(opened, error)| {
        failed(&mut process, (half + opened, error))
    })?;
    opening += start.elapsed();
    let (after, stacks_after) = (process.memory()?, kernel_stacks()?);
    for (mine, more) in clients.iter_mut().zip(second) {
        mine.extend(more);
    }

    let timed = time_round_trips(&mut clients, round_trips);
    let mut times = timed.map_err(|problem| process.explain(&problem))?;
    // The server's side closes first: the side that closes first keeps
    // the connection in TIME_WAIT (a minute in which the kernel remembers
    // it), so the load generator's ports do not pile up there all run.
    drop(process);
    drop(clients);
    times.sort();
    let per_connection = |grown: u64, from: u64| {
        (grown as f64 - from as f64) / (connections - half) as f64
    };
    Ok(Figures {
        resident_bytes: per_connection(after.resident, before.resident),
        page_table_bytes: per_connection(after.page_tables, before.page_tables),
        kernel_stack_bytes: per_connection(stacks_after, stacks_before),
        accepted_per_second: connections as f64 / opening.as_secs_f64(),
        p50_micros: micros(percentile(&times, 50)),
        p99_micros: micros(percentile(&times, 99)),
    })
}
// ANCHOR_END: measure

/// The memory the kernel holds in threads' kernel stacks, machine-wide,
/// from /proc/meminfo.
fn kernel_stacks() -> Result<u64, String> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .map_err(|error| format!("/proc/meminfo: {error}"))?;
    let kib = kib_field(&meminfo, "KernelStack:")
        .ok_or("/proc/meminfo has no KernelStack line")?;
    Ok(kib * 1024)
}

/// Measures `runs` times, each in a fresh process, and keeps the median of
/// each figure; the first failure, if any, instead.
pub fn measure(
    program: &str,
    server: &Server,
    connections: usize,
    sizes: &Sizes,
    our_limit: u64,
) -> Result<Figures, String> {
    let mut runs = Vec::new();
    for _ in 0..sizes.runs {
        let round_trips = sizes.round_trips;
        runs.push(measure_once(
            program,
            server,
            connections,
            round_trips,
            our_limit,
        )?);
    }
    let median = |figure: fn(&Figures) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(figure).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Ok(Figures {
        resident_bytes: median(|f| f.resident_bytes),
        page_table_bytes: median(|f| f.page_table_bytes),
        kernel_stack_bytes: median(|f| f.kernel_stack_bytes),
        accepted_per_second: median(|f| f.accepted_per_second),
        p50_micros: median(|f| f.p50_micros),
        p99_micros: median(|f| f.p99_micros),
    })
}

/// The `percent`th percentile of sorted `times` (nearest rank).
fn percentile(times: &[Duration], percent: usize) -> Duration {
    let rank = (times.len() * percent).div_ceil(100).max(1);
    times[rank - 1]
}

/// How much work the benchmark does.
pub struct Sizes {
    pub connections: Vec<usize>,
    /// Round trips timed in each measurement.
    pub round_trips: usize,
    /// Measurements of each server at each size; the table shows medians.
    pub runs: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            connections: vec![100, 1_000, 10_000],
            round_trips: 20_000,
            runs: 3,
        }
    }

    /// Only checks that everything works, in a few seconds.
    pub fn quick() -> Sizes {
        Sizes {
            connections: vec![100],
            round_trips: 1_000,
            runs: 1,
        }
    }

    /// From the command line's arguments (after the program's name):
    /// `[--quick] [CONNECTIONS…]`, or why they make no sense.
    pub fn from_args(args: &[String]) -> Result<Sizes, String> {
        let quick = args.iter().any(|arg| arg == "--quick");
        let mut sizes = if quick { Sizes::quick() } else { Sizes::full() };
        let mut counts = Vec::new();
        for arg in args.iter().filter(|arg| *arg != "--quick") {
            match arg.parse::<usize>() {
                Ok(0) => return Err("0 connections: nothing to measure".into()),
                Ok(count) => counts.push(count),
                Err(_) => {
                    return Err(format!(
                        "{arg:?} is neither --quick nor a number of connections"
                    ));
                }
            }
        }
        if !counts.is_empty() {
            sizes.connections = counts;
        }
        Ok(sizes)
    }
}

/// One row of the table.
pub struct Row {
    pub server: String,
    pub connections: usize,
    pub result: Result<Figures, String>,
}

/// Runs every server at every size, a fresh child process each time, and
/// returns the rows and a sentence on the open-files limit.
pub fn run_all(
    program: &str,
    servers: &[Server],
    sizes: &Sizes,
) -> (Vec<Row>, String) {
    let (limit, note) = match raise_open_files_limit() {
        Ok((before, after)) if before == after => (
            after,
            format!(
                "The open-files limit of the load generator was already its \
                 hard limit, {}; each server process raises its own to its \
                 hard limit.",
                grouped(after as f64)
            ),
        ),
        Ok((before, after)) => (
            after,
            format!(
                "The load generator raised its open-files limit from {} to \
                 {} (its soft limit to its hard limit), and so does each \
                 server process.",
                grouped(before as f64),
                grouped(after as f64)
            ),
        ),
        Err(error) => {
            let current = open_files_limits().map_or(0, |limit| limit.soft);
            let note = format!(
                "The load generator could not raise its open-files limit \
                 ({error}), and kept {}.",
                grouped(current as f64)
            );
            (current, note)
        }
    };
    let mut rows = Vec::new();
    for &connections in &sizes.connections {
        for server in servers {
            let result = measure(program, server, connections, sizes, limit);
            rows.push(Row {
                server: server.name.clone(),
                connections,
                result,
            });
        }
    }
    (rows, note)
}

/// 1234567.8 → "1,234,568"
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut text = String::from(if value < -0.5 { "-" } else { "" });
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// 1.234 → "1.2", and -0.01 → "0.0" rather than "-0.0".
fn tenths(value: f64) -> String {
    let value = if value.abs() < 0.05 { 0.0 } else { value };
    format!("{value:.1}")
}

fn micros(time: Duration) -> f64 {
    time.as_secs_f64() * 1e6
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| server | connections | resident memory per idle connection (KiB) \
         | page tables per connection (KiB) \
         | kernel stacks per connection, whole machine (KiB) \
         | connections accepted per second | p50 round trip (µs) \
         | p99 round trip (µs) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let cells = match &row.result {
            Ok(f) => format!(
                "{} | {} | {} | {} | {:.0} | {:.0}",
                tenths(f.resident_bytes / 1024.0),
                tenths(f.page_table_bytes / 1024.0),
                tenths(f.kernel_stack_bytes / 1024.0),
                grouped(f.accepted_per_second),
                f.p50_micros,
                f.p99_micros
            ),
            Err(problem) => {
                let problem = problem.replace('|', "/").replace('\n', " ");
                format!("{problem} | — | — | — | — | —")
            }
        };
        let _ = writeln!(
            text,
            "| {} | {} | {cells} |",
            row.server,
            grouped(row.connections as f64)
        );
    }
    text
}

/// One chart of the plot: its title, and the figure it shows.
struct Chart {
    title: &'static str,
    value: fn(&Figures) -> f64,
    /// Shown to a tenth, or else to a whole number.
    tenths: bool,
}

const CHARTS: [Chart; 6] = [
    Chart {
        title: "Resident memory per idle connection (KiB, lower is better)",
        value: |f| f.resident_bytes / 1024.0,
        tenths: true,
    },
    Chart {
        title: "Page tables per connection (KiB, lower is better)",
        value: |f| f.page_table_bytes / 1024.0,
        tenths: true,
    },
    Chart {
        title: "Kernel stacks per connection, whole machine (KiB, lower is better)",
        value: |f| f.kernel_stack_bytes / 1024.0,
        tenths: true,
    },
    Chart {
        title: "Connections accepted per second (higher is better)",
        value: |f| f.accepted_per_second,
        tenths: false,
    },
    Chart {
        title: "p50 round trip (µs, lower is better)",
        value: |f| f.p50_micros,
        tenths: false,
    },
    Chart {
        title: "p99 round trip (µs, lower is better)",
        value: |f| f.p99_micros,
        tenths: false,
    },
];

/// The rows as an SVG picture: a bar chart per figure, with a group of
/// bars per number of connections and a colour per server.
pub fn plot(rows: &[Row]) -> String {
    const WIDTH: f64 = 720.0;
    const CHART_HEIGHT: f64 = 200.0;
    const BARS_HEIGHT: f64 = 120.0;
    const COLOURS: [&str; 4] = ["#c2410c", "#2563eb", "#059669", "#7c3aed"];
    let mut servers: Vec<&str> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for row in rows {
        if !servers.contains(&row.server.as_str()) {
            servers.push(&row.server);
        }
        if !sizes.contains(&row.connections) {
            sizes.push(row.connections);
        }
    }
    let legend_height = 20.0 * servers.len() as f64 + 10.0;
    let height = legend_height + CHART_HEIGHT * CHARTS.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" \
         height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" \
         font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (i, server) in servers.iter().enumerate() {
        let y = 10.0 + 20.0 * i as f64;
        let colour = COLOURS[i % COLOURS.len()];
        let name = escape(&server.replace('`', ""));
        let _ = writeln!(
            svg,
            "<rect x=\"10\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{colour}\"/>\
             <text x=\"32\" y=\"{:.1}\">{name}</text>",
            y + 12.0
        );
    }
    let group_width = (WIDTH - 20.0) / sizes.len() as f64;
    let bar_width = group_width * 0.8 / servers.len() as f64;
    for (c, chart) in CHARTS.iter().enumerate() {
        let top = legend_height + CHART_HEIGHT * c as f64;
        let baseline = top + 40.0 + BARS_HEIGHT;
        let _ = writeln!(
            svg,
            "<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\">{}</text>\n\
             <line x1=\"10\" y1=\"{baseline:.1}\" x2=\"{:.1}\" y2=\"{baseline:.1}\" stroke=\"#444\"/>",
            top + 22.0,
            chart.title,
            WIDTH - 10.0
        );
        let largest = rows
            .iter()
            .filter_map(|row| row.result.as_ref().ok())
            .map(chart.value)
            .fold(f64::MIN_POSITIVE, f64::max);
        for (g, size) in sizes.iter().enumerate() {
            let left = 10.0 + group_width * g as f64 + group_width * 0.1;
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} connections</text>",
                left + group_width * 0.4,
                baseline + 18.0,
                grouped(*size as f64)
            );
            for (s, server) in servers.iter().enumerate() {
                let row = rows
                    .iter()
                    .find(|r| r.connections == *size && r.server == *server);
                let x = left + bar_width * s as f64;
                let middle = x + bar_width / 2.0;
                let colour = COLOURS[s % COLOURS.len()];
                let Some(Ok(figures)) = row.map(|r| &r.result) else {
                    let _ = writeln!(
                        svg,
                        "<text x=\"{middle:.1}\" y=\"{:.1}\" font-size=\"10\" \
                         text-anchor=\"middle\" fill=\"{colour}\">failed</text>",
                        baseline - 4.0
                    );
                    continue;
                };
                let value = (chart.value)(figures);
                let length = (value.max(0.0) / largest * BARS_HEIGHT).max(1.0);
                let label = if chart.tenths {
                    tenths(value)
                } else {
                    grouped(value)
                };
                let _ = writeln!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{length:.1}\" fill=\"{colour}\"/>\
                     <text x=\"{middle:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{label}</text>",
                    x + 1.0,
                    baseline - length,
                    bar_width - 2.0,
                    baseline - length - 4.0
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        for total in [0, 1, 3, 4, 5, 100, 1_001] {
            for threads in 1..=CLIENT_THREADS {
                let shares = (0..threads).map(|t| share(total, threads, t));
                assert_eq!(shares.sum::<usize>(), total);
            }
        }
    }

    #[test]
    fn percentiles_are_nearest_ranks() {
        let times: Vec<Duration> =
            (1..=200).map(Duration::from_micros).collect();
        assert_eq!(percentile(&times, 50), Duration::from_micros(100));
        assert_eq!(percentile(&times, 99), Duration::from_micros(198));
        assert_eq!(percentile(&times[..1], 99), Duration::from_micros(1));
        // Where rounding the rank up and rounding it down differ: 1.5 is
        // rank 2, 50.5 is rank 51, and 99% of 150 (148.5) is rank 149.
        assert_eq!(percentile(&times[..3], 50), Duration::from_micros(2));
        assert_eq!(percentile(&times[..101], 50), Duration::from_micros(51));
        assert_eq!(percentile(&times[..150], 99), Duration::from_micros(149));
    }

    fn sizes(args: &[&str]) -> Result<Sizes, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Sizes::from_args(&args)
    }

    #[test]
    fn the_command_line_chooses_the_sizes() {
        let full = sizes(&[]).unwrap();
        assert_eq!(
            (full.connections, full.runs),
            (vec![100, 1_000, 10_000], 3)
        );
        let quick = sizes(&["--quick"]).unwrap();
        assert_eq!((quick.connections, quick.runs), (vec![100], 1));
        let chosen = sizes(&["500", "--quick", "2"]).unwrap();
        assert_eq!((chosen.connections, chosen.runs), (vec![500, 2], 1));
        assert_eq!(sizes(&["7"]).unwrap().round_trips, 20_000);
    }

    #[test]
    fn the_command_line_refuses_what_makes_no_sense() {
        let zero = sizes(&["--quick", "0"]).err().unwrap();
        assert_eq!(zero, "0 connections: nothing to measure");
        let typo = sizes(&["--quik"]).err().unwrap();
        assert!(typo.starts_with("\"--quik\" is neither"), "{typo}");
        assert!(sizes(&["-5"]).is_err() && sizes(&["1e3"]).is_err());
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(1_000.0), "1,000");
        assert_eq!(grouped(-12_345.0), "-12,345");
        assert_eq!(grouped(20_000.0), "20,000");
        assert_eq!(tenths(-0.01), "0.0");
        assert_eq!(tenths(2.25), "2.2");
    }

    fn rows() -> Vec<Row> {
        let figures = Figures {
            resident_bytes: 2048.0,
            page_table_bytes: 4096.0,
            kernel_stack_bytes: 16_384.0,
            accepted_per_second: 12_345.0,
            p50_micros: 40.0,
            p99_micros: 900.0,
        };
        vec![
            Row {
                server: "fine".to_string(),
                connections: 10_000,
                result: Ok(figures),
            },
            Row {
                server: "broken".to_string(),
                connections: 10_000,
                result: Err("no thread | for it".to_string()),
            },
        ]
    }

    #[test]
    fn a_failed_row_says_what_happened() {
        let table = table(&rows());
        assert!(table.contains(
            "| fine | 10,000 | 2.0 | 4.0 | 16.0 | 12,345 | 40 | 900 |"
        ));
        assert!(table.contains(
            "| broken | 10,000 | no thread / for it | — | — | — | — | — |"
        ));
    }

    #[test]
    fn the_plot_shows_every_server_and_every_failure() {
        let svg = plot(&rows());
        assert!(svg.contains(">fine</text>") && svg.contains(">broken</text>"));
        assert_eq!(svg.matches(">failed</text>").count(), CHARTS.len());
    }

    #[test]
    fn every_round_trip_is_made_when_some_threads_hold_no_connection() {
        // A plain echo server on a thread per connection, as Listing 26-1.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                thread::spawn(move || {
                    let mut reader = stream.try_clone().unwrap();
                    let _ = io::copy(&mut reader, &mut stream);
                });
            }
        });
        // Two connections, both held by the first of the client threads.
        let mut clients: Vec<Vec<TcpStream>> =
            (0..CLIENT_THREADS).map(|_| Vec::new()).collect();
        for _ in 0..2 {
            clients[0].push(open(address, SOCKET_TIMEOUT).unwrap());
        }
        let times = time_round_trips(&mut clients, 10).unwrap();
        assert_eq!(times.len(), 10);
    }

    #[test]
    fn a_connect_succeeds_before_the_server_accepts() {
        // Nobody ever calls `accept` on this listener.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let connected = TcpStream::connect_timeout(&address, SOCKET_TIMEOUT);
        assert!(connected.is_ok(), "{connected:?}");
        // `open` waits for an answer, which only a served connection gives.
        let error = open(address, Duration::from_millis(200)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
    }

    #[test]
    fn the_limit_can_be_raised_to_the_hard_limit() {
        let (before, after) = raise_open_files_limit().unwrap();
        assert!(after >= before);
        let (again, _) = raise_open_files_limit().unwrap();
        assert_eq!(again, after, "the soft limit is now the hard one");
    }
}
