//! What drawing needs from the pinned tools: mermaid.js as embedded in mdbook-mermaid (written
//! out by `mdbook-mermaid install`) and mdBook's own Open Sans (written out by
//! `mdbook init --theme`), the font the book's pages use. Both are written once into the cache
//! folder and reused.

use crate::process::run_with_timeout;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The files the drawing page loads.
pub struct Assets {
    pub mermaid_js: PathBuf,
    /// Open Sans, regular and bold, as mdBook ships them.
    pub fonts: Vec<(u16, PathBuf)>,
}

const FONTS: [(u16, &str); 2] = [
    (400, "open-sans-v17-all-charsets-regular.woff2"),
    (700, "open-sans-v17-all-charsets-700.woff2"),
];

/// Finds the assets under `dir`, writing them there first if they are missing.
pub fn get(dir: &Path) -> Result<Assets> {
    let assets = Assets {
        mermaid_js: dir.join("mermaid.min.js"),
        fonts: FONTS.iter().map(|(w, f)| (*w, dir.join(f))).collect(),
    };
    if !assets.mermaid_js.exists() {
        extract_mermaid(dir)?;
    }
    if assets.fonts.iter().any(|(_, f)| !f.exists()) {
        extract_fonts(dir)?;
    }
    Ok(assets)
}

fn scratch(dir: &Path, name: &str) -> Result<PathBuf> {
    let scratch = dir.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    Ok(scratch)
}

/// Moves `from` to `to` by a rename, so that a build running beside this one never reads half a file.
fn install_file(from: &Path, to: &Path) -> Result<()> {
    if !from.exists() {
        bail!("{} was not written", from.display());
    }
    std::fs::rename(from, to)
        .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))
}

fn extract_mermaid(dir: &Path) -> Result<()> {
    let scratch = scratch(dir, "mermaid-install")?;
    std::fs::write(scratch.join("book.toml"), "[book]\ntitle = \"scratch\"\n")?;
    let mut command = Command::new("mdbook-mermaid");
    command.arg("install").arg(&scratch);
    run_with_timeout(&mut command, Duration::from_secs(60)).context(
        "could not get mermaid.js out of mdbook-mermaid (run `cargo xtask install-tools`)",
    )?;
    install_file(&scratch.join("mermaid.min.js"), &dir.join("mermaid.min.js"))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

fn extract_fonts(dir: &Path) -> Result<()> {
    let scratch = scratch(dir, "mdbook-theme")?;
    let mut command = Command::new("mdbook");
    command
        .args([
            "init", "--theme", "--title", "scratch", "--ignore", "none", "--force",
        ])
        .arg(&scratch);
    run_with_timeout(&mut command, Duration::from_secs(60))
        .context("could not get mdBook's fonts out of `mdbook init --theme`")?;
    for (_, file) in FONTS {
        install_file(&scratch.join("theme/fonts").join(file), &dir.join(file))?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
