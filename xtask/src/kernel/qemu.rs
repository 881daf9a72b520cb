//! Booting a kernel in QEMU with a time limit. COM1 is a socket the host may type into, and QEMU
//! logs everything the kernel prints to a file, so a failure can always show the serial output.

use crate::cmd::{Background, Cmd};
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// QEMU's exit status when the kernel writes `Success` (0x10) to the isa-debug-exit port.
pub const SUCCESS: i32 = (0x10 << 1) | 1;

/// The options every boot shares: no default devices (the PC's PS/2 keyboard and timer stay),
/// no window, and the exit device at port 0xf4.
pub const MACHINE: &[&str] = &[
    "-nodefaults",
    "-machine",
    "pc",
    "-accel",
    "tcg",
    "-m",
    "128M",
    "-display",
    "none",
    "-no-reboot",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
];

/// A kernel to boot.
pub struct Boot<'a> {
    /// What to call it in messages ("kernel test `heap`").
    pub name: String,
    pub kernel: &'a Path,
    /// The kernel's command line (`-append`).
    pub append: &'a str,
    /// Whether to open QEMU's monitor (to type keys with `sendkey`).
    pub monitor: bool,
    /// The whole run, boot to exit, must take less than this.
    pub timeout: Duration,
}

/// A QEMU that is running; dropping it kills QEMU.
pub struct Running {
    name: String,
    qemu: Background,
    log: PathBuf,
    serial_socket: PathBuf,
    monitor_socket: Option<PathBuf>,
    monitor: Option<UnixStream>,
    serial: Option<UnixStream>,
    /// What QEMU sent to the serial socket since the host connected to it.
    received: Arc<Mutex<Vec<u8>>>,
    started: Instant,
    deadline: Instant,
}

/// How a run ended.
pub struct Finished {
    pub status: Option<i32>,
    pub output: String,
    pub elapsed: Duration,
}

/// A fresh path in the temporary folder (Unix socket paths must be short, so not under target/).
fn scratch_path(what: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("fftgu-kernel-{}-{n}-{what}", std::process::id()))
}

/// QEMU reads commas in option values as separators unless they are doubled.
fn option_path(path: &Path) -> String {
    path.display().to_string().replace(',', ",,")
}

impl Boot<'_> {
    pub fn start(&self, log_dir: &Path) -> Result<Running> {
        std::fs::create_dir_all(log_dir)?;
        let slug: String = self
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let log = log_dir.join(format!("{slug}.serial.log"));
        let _ = std::fs::remove_file(&log);
        let serial_socket = scratch_path("serial.sock");
        let mut qemu = Cmd::new("qemu-system-x86_64")
            .args(MACHINE.iter().copied())
            .arg("-kernel")
            .arg(self.kernel)
            .arg("-append")
            .arg(self.append)
            .arg("-chardev")
            .arg(format!(
                "socket,id=com1,path={},server=on,wait=off,logfile={}",
                option_path(&serial_socket),
                option_path(&log)
            ))
            .args(["-serial", "chardev:com1"])
            .quiet();
        let monitor_socket = self.monitor.then(|| scratch_path("monitor.sock"));
        if let Some(socket) = &monitor_socket {
            qemu = qemu
                .arg("-monitor")
                .arg(format!("unix:{},server=on,wait=off", option_path(socket)));
        }
        let started = Instant::now();
        let mut running = Running {
            name: self.name.clone(),
            qemu: qemu.timeout(self.timeout).spawn()?,
            log,
            serial_socket,
            monitor_socket,
            monitor: None,
            serial: None,
            received: Arc::default(),
            started,
            deadline: started + self.timeout,
        };
        if running.monitor_socket.is_some() {
            let stream = running.connect(running.monitor_socket.clone().unwrap_or_default())?;
            // Read (and drop) the monitor's replies, so that its output never fills the socket.
            let mut replies = stream.try_clone()?;
            std::thread::spawn(move || std::io::copy(&mut replies, &mut std::io::sink()));
            running.monitor = Some(stream);
        }
        Ok(running)
    }
}

impl Running {
    /// What the kernel printed so far, from QEMU's log of the serial port.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// What the kernel printed since the host first typed on the serial console, as read from
    /// the socket. QEMU's log is not exact while the socket is full: it logs a byte that it
    /// could not send yet, and logs it again when it sends it.
    pub fn received(&self) -> String {
        let bytes = self.received.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn failure(&self, what: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{} {what} after {:.1} s; its serial output:\n{}",
            self.name,
            self.started.elapsed().as_secs_f64(),
            indent(&self.output())
        )
    }

    /// Connects to one of QEMU's sockets, waiting for QEMU to create it.
    fn connect(&mut self, path: PathBuf) -> Result<UnixStream> {
        loop {
            if let Ok(stream) = UnixStream::connect(&path) {
                return Ok(stream);
            }
            if let Some(status) = self.qemu.try_status() {
                return Err(self.failure(&format!(
                    "exited ({status}) before opening {}",
                    path.display()
                )));
            }
            if Instant::now() > self.deadline {
                return Err(self.failure("did not open its sockets in time"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the kernel has printed `text` (counted from the start of its output) at least
    /// `times` times.
    pub fn wait_for(&mut self, text: &str, times: usize, within: Duration) -> Result<String> {
        let what = format!("print {text:?}");
        self.wait_until(&what, within, |output| {
            output.matches(text).count() >= times
        })
    }

    /// Waits until `done` holds for the kernel's output so far; `what` says what the kernel
    /// failed to do in time (for the message).
    pub fn wait_until(
        &mut self,
        what: &str,
        within: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<String> {
        self.wait_on(Self::output, what, within, done)
    }

    /// `wait_until`, on what the serial socket received (see `received`).
    pub fn wait_until_received(
        &mut self,
        what: &str,
        within: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<String> {
        self.wait_on(Self::received, what, within, done)
    }

    fn wait_on(
        &mut self,
        read: fn(&Self) -> String,
        what: &str,
        within: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = self.deadline.min(Instant::now() + within);
        loop {
            let output = read(self);
            if done(&output) {
                return Ok(output);
            }
            if let Some(status) = self.qemu.try_status() {
                return Err(self.failure(&format!("exited ({status}) before it did {what}")));
            }
            if Instant::now() > deadline {
                return Err(self.failure(&format!(
                    "did not {what} within {:.0} s (hung?)",
                    within.as_secs_f64()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Brings the deadline of the whole run forward to `within` from now, if it is later.
    pub fn limit(&mut self, within: Duration) {
        self.deadline = self.deadline.min(Instant::now() + within);
    }

    /// Presses keys on the PS/2 keyboard through the monitor: each is a `sendkey` name
    /// ("a", "shift-h", "ret"), held for `hold_ms`.
    pub fn send_keys(&mut self, keys: &[String], hold_ms: u32, gap: Duration) -> Result<()> {
        let monitor = self.monitor.as_mut().context("the boot has no monitor")?;
        for key in keys {
            writeln!(monitor, "sendkey {key} {hold_ms}")?;
            std::thread::sleep(gap);
        }
        Ok(())
    }

    // ANCHOR: type_serial
    /// Types bytes on the serial console (COM1's receiving side). Once connected, QEMU sends the
    /// kernel's output to this socket as well (the log file gets a copy): a thread reads it into
    /// `received`, for if nobody read, QEMU would stop taking the kernel's bytes once the
    /// socket's buffer is full, and the kernel would wait in its sending loop forever.
    pub fn type_serial(&mut self, bytes: &[u8]) -> Result<()> {
        if self.serial.is_none() {
            let stream = self.connect(self.serial_socket.clone())?;
            let (mut output, received) = (stream.try_clone()?, self.received.clone());
            std::thread::spawn(move || {
                let mut buffer = [0; 4096];
                while let Ok(n @ 1..) = output.read(&mut buffer) {
                    let Ok(mut received) = received.lock() else {
                        break;
                    };
                    received.extend_from_slice(&buffer[..n]);
                }
            });
            self.serial = Some(stream);
        }
        let serial = self.serial.as_mut().context("connected above")?;
        serial.write_all(bytes)?;
        Ok(())
    }
    // ANCHOR_END: type_serial

    /// Waits for QEMU to exit, killing it at the deadline.
    pub fn finish(mut self) -> Result<Finished> {
        loop {
            if let Some(status) = self.qemu.try_status() {
                return Ok(Finished {
                    status: status.code(),
                    output: self.output(),
                    elapsed: self.started.elapsed(),
                });
            }
            if Instant::now() > self.deadline {
                let error = self.failure(&format!(
                    "did not finish within {:.0} s (hung?) and was killed",
                    (self.deadline - self.started).as_secs_f64()
                ));
                return Err(error); // dropping `self` kills QEMU
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for QEMU to exit and requires the kernel's success status.
    pub fn expect_success(self) -> Result<Finished> {
        self.expect_status(SUCCESS, "success")
    }

    /// Waits for QEMU to exit and requires the exit status `expected`, which means `meaning`.
    pub fn expect_status(self, expected: i32, meaning: &str) -> Result<Finished> {
        let name = self.name.clone();
        let finished = self.finish()?;
        if finished.status != Some(expected) {
            bail!(
                "{name} failed (QEMU exit status {}, {meaning} is {expected}); its serial \
                 output:\n{}",
                finished
                    .status
                    .map_or("none".to_string(), |s| s.to_string()),
                indent(&finished.output)
            );
        }
        Ok(finished)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // `self.qemu` is dropped after this, which kills QEMU if it still runs.
        let _ = std::fs::remove_file(&self.serial_socket);
        if let Some(socket) = &self.monitor_socket {
            let _ = std::fs::remove_file(socket);
        }
    }
}

pub fn indent(text: &str) -> String {
    let text = if text.trim().is_empty() {
        "(nothing)"
    } else {
        text
    };
    text.lines().map(|l| format!("    | {l}\n")).collect()
}
