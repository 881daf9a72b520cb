//! The HTML book's pages, read once for every job and written back only when a job changed them.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct Page {
    /// The page's address relative to the book's root, with `/` (`ch01-00-x.html`), as the search
    /// index and the pages' links name it.
    pub name: String,
    pub path: PathBuf,
    pub html: String,
    pub changed: bool,
}

impl Page {
    pub fn set(&mut self, html: String) {
        if html != self.html {
            self.html = html;
            self.changed = true;
        }
    }
}

/// Every `*.html` file under `root`, sorted by name.
pub fn read_all(root: &Path) -> Result<Vec<Page>> {
    let mut pages = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list {}", folder.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let name = path
                    .strip_prefix(root)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let html = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                pages.push(Page {
                    name,
                    path,
                    html,
                    changed: false,
                });
            }
        }
    }
    pages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pages)
}

/// Writes back the pages a job changed.
pub fn write_changed(pages: &[Page]) -> Result<()> {
    for page in pages.iter().filter(|p| p.changed) {
        std::fs::write(&page.path, &page.html)
            .with_context(|| format!("cannot write {}", page.path.display()))?;
    }
    Ok(())
}
