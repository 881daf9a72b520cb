//! Limits that hold across all the processes of one job: a control group per job, with a
//! memory limit (RAM, swap and tmpfs pages together) and a process limit, which is also how every
//! process of a job is found and killed.
//!
//! Two layouts exist. cgroup v2 (one unified hierarchy, most desktops today): the runner makes a
//! folder under the highest cgroup it may write to (as root the root of the hierarchy; as a user,
//! the part systemd delegates to them, `user@UID.service`) and one child per job. cgroup v1
//! (separate hierarchies, as on these build machines): a folder in the `memory` and one in the
//! `pids` hierarchy, as root. Where neither can be had, [`Cgroups::note`] says so and the runner
//! falls back to per-process limits.

use crate::state::{PREFIX, left_by_dead_runners};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROOT: &str = "/sys/fs/cgroup";

enum Layout {
    /// Folders in the v1 `memory` and `pids` hierarchies.
    V1 { memory: PathBuf, pids: PathBuf },
    /// One folder in the unified hierarchy.
    V2 { dir: PathBuf },
}

pub struct Cgroups {
    layout: Option<Layout>,
    /// What holds, in one line, for the start-up message.
    pub note: String,
}

/// The limits written into a job's control group.
pub struct CgroupLimits {
    pub memory: u64,
    pub processes: u64,
}

impl Cgroups {
    /// Finds a hierarchy this process may use and makes the runner's folder in it; removes
    /// folders that runners no longer running left behind.
    pub fn detect() -> Cgroups {
        match Self::try_detect() {
            Ok(cgroups) => cgroups,
            Err(why) => Cgroups {
                layout: None,
                note: format!("no control groups ({why})"),
            },
        }
    }

    fn try_detect() -> Result<Cgroups, String> {
        let own = fs::read_to_string("/proc/self/cgroup")
            .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
        let name = format!("{PREFIX}{}", std::process::id());
        if Path::new(ROOT).join("cgroup.controllers").exists() {
            let path = own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .ok_or("cgroup v2 is mounted but this process is in no v2 group")?;
            let base = writable_ancestor(&Path::new(ROOT).join(path.trim_start_matches('/')))
                .ok_or("cgroup v2: no group this user may write to (no delegation)")?;
            remove_stale(&base);
            let dir = base.join(&name);
            fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let enabled = fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
            let mut missing = Vec::new();
            for controller in ["memory", "pids"] {
                if !enabled.split_whitespace().any(|c| c == controller) {
                    missing.push(controller);
                }
            }
            if !missing.is_empty()
                || fs::write(dir.join("cgroup.subtree_control"), "+memory +pids").is_err()
            {
                let _ = fs::remove_dir(&dir);
                return Err(format!(
                    "cgroup v2 under {}: the memory and pids controllers are not delegated",
                    base.display()
                ));
            }
            return Ok(Cgroups {
                note: format!(
                    "cgroup v2 ({}): memory and processes per job",
                    dir.display()
                ),
                layout: Some(Layout::V2 { dir }),
            });
        }
        let mut dirs = Vec::new();
        for controller in ["memory", "pids"] {
            let mount = Path::new(ROOT).join(controller);
            if !mount.join("cgroup.procs").exists() {
                return Err(format!("cgroup v1 has no `{controller}` hierarchy"));
            }
            remove_stale(&mount);
            let dir = mount.join(&name);
            if let Err(e) = fs::create_dir(&dir) {
                for made in &dirs {
                    let _ = fs::remove_dir(made);
                }
                return Err(format!(
                    "cgroup v1: cannot create {} ({e}); as root it can",
                    dir.display()
                ));
            }
            dirs.push(dir);
        }
        let pids = dirs.pop().expect("two folders");
        let memory = dirs.pop().expect("two folders");
        Ok(Cgroups {
            note: "cgroup v1 (memory and pids hierarchies): memory and processes per job".into(),
            layout: Some(Layout::V1 { memory, pids }),
        })
    }

    pub fn available(&self) -> bool {
        self.layout.is_some()
    }

    /// A control group for job `name` with these limits; `None` where there are none.
    pub fn job(&self, name: &str, limits: &CgroupLimits) -> io::Result<Option<JobCgroup>> {
        let Some(layout) = &self.layout else {
            return Ok(None);
        };
        let mut job = JobCgroup {
            dirs: Vec::new(),
            procs: Vec::new(),
            v2: matches!(layout, Layout::V2 { .. }),
        };
        let mut make = |parent: &Path, settings: &[(&str, String)]| -> io::Result<()> {
            let dir = parent.join(name);
            fs::create_dir(&dir)?;
            job.dirs.push(dir.clone());
            for (file, value) in settings {
                let path = dir.join(file);
                // memory.swap.max and memory.memsw.* exist only where swap is accounted.
                if path.exists() || !file.contains("sw") {
                    fs::write(&path, value).map_err(|e| {
                        io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?;
                }
            }
            job.procs.push(
                OpenOptions::new()
                    .write(true)
                    .open(dir.join("cgroup.procs"))?,
            );
            Ok(())
        };
        let memory = limits.memory.to_string();
        let processes = limits.processes.to_string();
        match layout {
            Layout::V2 { dir } => make(
                dir,
                &[
                    ("memory.max", memory),
                    ("memory.swap.max", "0".into()),
                    ("pids.max", processes),
                ],
            )?,
            Layout::V1 { memory: m, pids } => {
                make(
                    m,
                    &[
                        ("memory.limit_in_bytes", memory.clone()),
                        ("memory.memsw.limit_in_bytes", memory),
                    ],
                )?;
                make(pids, &[("pids.max", processes)])?;
            }
        }
        Ok(Some(job))
    }

    /// Kills what is left in the runner's groups and removes them (the runner is stopping).
    pub fn remove_all(&self) {
        let dirs: Vec<&PathBuf> = match &self.layout {
            Some(Layout::V1 { memory, pids }) => vec![memory, pids],
            Some(Layout::V2 { dir }) => vec![dir],
            None => vec![],
        };
        for dir in dirs {
            remove_tree(dir);
        }
    }
}

/// The highest ancestor of `group` (inside the hierarchy) that this user may create groups in.
fn writable_ancestor(group: &Path) -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if uid == 0 {
        return Some(PathBuf::from(ROOT));
    }
    let writable = |dir: &Path| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(dir).is_ok_and(|m| m.uid() == uid)
            && fs::metadata(dir.join("cgroup.procs")).is_ok_and(|m| m.uid() == uid)
    };
    group
        .ancestors()
        .take_while(|dir| dir.starts_with(ROOT) && *dir != Path::new(ROOT))
        .filter(|dir| writable(dir))
        .last()
        .map(Path::to_path_buf)
}

/// Removes the groups of runners that are no longer running (a crash, a SIGKILL).
fn remove_stale(parent: &Path) {
    for group in left_by_dead_runners(parent) {
        remove_tree(&group);
    }
}

/// Kills every process in a group and its children, then removes them, deepest first.
fn remove_tree(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&entry.path());
            }
        }
    }
    kill_members(dir, Duration::from_secs(2));
    let _ = fs::remove_dir(dir);
}

/// SIGKILLs the processes of one group until none is left (or `patience` runs out).
fn kill_members(dir: &Path, patience: Duration) -> bool {
    let started = Instant::now();
    // cgroup v2 (Linux 5.14+) kills the whole group at once.
    let _ = fs::write(dir.join("cgroup.kill"), "1");
    loop {
        let members = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        let pids: Vec<i32> = members.lines().filter_map(|l| l.parse().ok()).collect();
        if pids.is_empty() {
            return true;
        }
        if started.elapsed() > patience {
            return false;
        }
        for pid in pids {
            // SAFETY: sends a signal; touches no memory.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One job's group(s). Dropping it kills whatever is still in them and removes them.
pub struct JobCgroup {
    dirs: Vec<PathBuf>,
    /// `cgroup.procs` of each, opened by the runner so the child can join them before exec.
    procs: Vec<File>,
    v2: bool,
}

impl JobCgroup {
    /// The descriptors a child writes "0" into to join the group (see `child::spawn`).
    pub fn join_fds(&self) -> Vec<i32> {
        self.procs.iter().map(|f| f.as_raw_fd()).collect()
    }

    /// Whether the kernel's out-of-memory killer ended a process of this job.
    pub fn ran_out_of_memory(&self) -> bool {
        let Some(dir) = self.dirs.first() else {
            return false;
        };
        let (file, key) = if self.v2 {
            ("memory.events", "oom_kill ")
        } else {
            ("memory.oom_control", "oom_kill ")
        };
        fs::read_to_string(dir.join(file))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix(key))
            .any(|n| n.trim() != "0")
    }

    /// Kills every process of the job; true once none is left.
    pub fn kill_all(&self) -> bool {
        self.dirs
            .iter()
            .all(|dir| kill_members(dir, Duration::from_secs(5)))
    }
}

impl Drop for JobCgroup {
    fn drop(&mut self) {
        self.kill_all();
        self.procs.clear();
        for dir in &self.dirs {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Makes the calling (forked, not yet exec'd) process join each group whose `cgroup.procs`
/// descriptor is given: writing "0" moves the writer itself. Async-signal-safe.
pub fn join_in_child(fds: &[i32]) -> io::Result<()> {
    for &fd in fds {
        // SAFETY: writes one byte from a static buffer to a descriptor the parent opened.
        if unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } != 1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
