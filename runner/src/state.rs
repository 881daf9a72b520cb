//! The runner's own folder, `$TMPDIR/futures-book-runner-<pid>`, which holds one folder per job
//! while it runs; and, as root, the private view that lets a job's user reach the toolchain.
//!
//! As root, jobs run as users that cannot read root's files, so they could not reach a toolchain
//! under `/root/.rustup`. The runner therefore makes a mount namespace of its own at start-up
//! (before any thread exists) and mounts a tmpfs on its folder there, holding read-only bind
//! mounts of the sysroot and the book's crates next to the job folders. Nothing of it is visible
//! outside the runner, and the kernel removes it all when the runner ends, however it ends.
//! As another user the folder is an ordinary one on disk.
//!
//! A runner that starts removes the folders of runners that are no longer running.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const PREFIX: &str = "futures-book-runner-";

/// The most the tmpfs of a root runner may hold (job folders: sources and compiled programs).
const VIEW_SIZE: &str = "2g";

pub struct State {
    dir: PathBuf,
    /// The sysroot and the deps folder, as the sandbox should bind them.
    pub sysroot: PathBuf,
    pub deps: Option<PathBuf>,
    private: bool,
}

impl State {
    /// Makes the runner's folder under `temp` (as root with the private view), after removing
    /// those that runners no longer running left.
    pub fn create(
        temp: &Path,
        sysroot: &Path,
        deps: Option<&Path>,
        private: bool,
    ) -> Result<State, String> {
        remove_stale(temp);
        let dir = temp.join(format!("{PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        if !private {
            set_mode(&dir, 0o700)?;
            std::fs::create_dir(dir.join("jobs")).map_err(|e| e.to_string())?;
            return Ok(State {
                dir,
                sysroot: sysroot.to_path_buf(),
                deps: deps.map(Path::to_path_buf),
                private,
            });
        }
        check_reachable(temp)?;
        set_mode(&dir, 0o755)?;
        private_view(&dir, sysroot, deps).inspect_err(|_| {
            let _ = std::fs::remove_dir(&dir);
        })?;
        Ok(State {
            sysroot: dir.join("sysroot"),
            deps: deps.map(|_| dir.join("deps")),
            dir,
            private,
        })
    }

    pub fn jobs(&self) -> PathBuf {
        self.dir.join("jobs")
    }

    /// Removes the folder and everything in it (the runner is stopping).
    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(self.jobs());
        if self.private {
            for mount in ["sysroot", "deps", ""] {
                let path = cstring(&self.dir.join(mount));
                // SAFETY: a valid C string; detaching a mount of this process's own namespace.
                unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set the mode of {}: {e}", path.display()))
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("paths have no NUL byte")
}

fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<(), String> {
    let source_c = source.map(cstring);
    let target_c = cstring(target);
    let fstype_c = fstype.map(|t| CString::new(t).expect("no NUL"));
    let data_c = data.map(|d| CString::new(d).expect("no NUL"));
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: every pointer is null or a valid C string that outlives the call.
    let result = unsafe {
        libc::mount(
            ptr(&source_c),
            target_c.as_ptr(),
            ptr(&fstype_c),
            flags,
            data_c
                .as_ref()
                .map_or(std::ptr::null(), |c| c.as_ptr().cast()),
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(format!(
            "cannot mount {} on {}: {}",
            source.map_or("a tmpfs".into(), |s| s.display().to_string()),
            target.display(),
            io::Error::last_os_error()
        ))
    }
}

/// A mount namespace of the runner's own, with a tmpfs on `dir` holding read-only views of the
/// sysroot and the deps folder. Must run while the runner has one thread.
fn private_view(dir: &Path, sysroot: &Path, deps: Option<&Path>) -> Result<(), String> {
    // SAFETY: unshare takes flags only; the process has a single thread here.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return Err(format!(
            "cannot make a mount namespace for the runner: {}",
            io::Error::last_os_error()
        ));
    }
    mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    mount(
        None,
        dir,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some(&format!("mode=0755,size={VIEW_SIZE}")),
    )?;
    let mut views = vec![(sysroot, dir.join("sysroot"))];
    if let Some(deps) = deps {
        views.push((deps, dir.join("deps")));
    }
    for (source, view) in views {
        std::fs::create_dir(&view).map_err(|e| e.to_string())?;
        mount(
            Some(source),
            &view,
            None,
            libc::MS_BIND | libc::MS_REC,
            None,
        )?;
        mount(
            None,
            &view,
            None,
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID,
            None,
        )?;
    }
    let jobs = dir.join("jobs");
    std::fs::create_dir(&jobs).map_err(|e| e.to_string())?;
    set_mode(&jobs, 0o711)
}

/// A job's user must pass through every folder above the runner's (o+x) for bubblewrap to bind
/// its folder. Says which one does not.
fn check_reachable(temp: &Path) -> Result<(), String> {
    for folder in temp.ancestors() {
        let mode = std::fs::metadata(folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            return Err(format!(
                "jobs run as users of their own, who cannot pass through {} (mode {:o}); \
                 set TMPDIR to a folder all users can reach, such as /tmp",
                folder.display(),
                mode & 0o777
            ));
        }
    }
    Ok(())
}

/// Whether a process with this id exists (it may belong to another user).
pub fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; touches no memory.
    unsafe {
        libc::kill(pid, 0) == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
}

/// The `futures-book-runner-<pid>` folders in `parent` whose runner is no longer running (it
/// crashed or was killed); such folders are left in the temporary folder and in the control
/// group hierarchies.
pub fn left_by_dead_runners(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(PREFIX))
                .and_then(|p| p.parse::<i32>().ok())
                .is_some_and(|pid| !process_alive(pid))
        })
        .map(|entry| entry.path())
        .collect()
}

/// Removes what runners no longer running left under `temp`.
fn remove_stale(temp: &Path) {
    for folder in left_by_dead_runners(temp) {
        if std::fs::remove_dir_all(&folder).is_ok() {
            eprintln!(
                "runner: removed {}, left by a runner that is no longer running",
                folder.display()
            );
        }
    }
}

/// A folder of one job inside the runner's folder, owned by the job's user; removed on drop.
pub struct JobFolder(PathBuf);

impl JobFolder {
    pub fn create(state: &State, name: &str, owner: Option<u32>) -> io::Result<JobFolder> {
        let path = state.jobs().join(name);
        std::fs::create_dir(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
        let folder = JobFolder(path);
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&folder.0, Some(uid), Some(uid))?;
        }
        Ok(folder)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for JobFolder {
    /// Removes the folder, trying again a few times (it may fail for want of descriptors, say),
    /// and says so on stderr if it could not.
    fn drop(&mut self) {
        let mut outcome = Ok(());
        for attempt in 0..5 {
            outcome = std::fs::remove_dir_all(&self.0);
            if outcome.is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
        }
        if let Err(error) = outcome {
            eprintln!(
                "runner: cannot remove the job folder {}: {error}; it stays until the runner stops",
                self.0.display()
            );
        }
    }
}
