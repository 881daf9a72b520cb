//! Drawings kept between builds, one file per drawing, named by a hash of everything the drawing
//! depends on: the diagram's text, mermaid's theme, mermaid.js, the font and draw.js. A warm
//! build reads them and starts no browser; a changed diagram misses and is drawn again.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Bump when the way drawings are stored changes.
const FORMAT: &str = "mdbook-diagrams cache 2";

pub struct Cache {
    dir: PathBuf,
    /// A hash of what every drawing depends on besides its text and theme.
    tools: String,
    used: BTreeSet<String>,
}

impl Cache {
    /// `inputs` are the files drawings depend on (mermaid.js, the fonts), `code` the drawing code.
    pub fn open(dir: PathBuf, inputs: &[&Path], code: &str) -> Result<Cache> {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut hash = Sha256::new();
        hash.update(FORMAT);
        hash.update(code);
        for input in inputs {
            hash.update(file_hash(input)?);
        }
        Ok(Cache {
            dir,
            tools: hex(&hash.finalize()),
            used: BTreeSet::new(),
        })
    }

    pub fn key(&self, theme: &str, source: &str) -> String {
        let mut hash = Sha256::new();
        for part in [self.tools.as_str(), theme, source] {
            hash.update(part.len().to_le_bytes());
            hash.update(part);
        }
        hex(&hash.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.svg"))
    }

    /// The drawing stored under `key`, if there is one.
    pub fn get(&mut self, key: &str) -> Option<String> {
        self.used.insert(key.to_string());
        std::fs::read_to_string(self.path(key)).ok()
    }

    /// Stores a drawing; written beside its place and renamed, so a reader never sees half of it.
    pub fn put(&mut self, key: &str, svg: &str) -> Result<()> {
        self.used.insert(key.to_string());
        let partial = self
            .dir
            .join(format!("{key}.{}.partial", std::process::id()));
        std::fs::write(&partial, svg)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, self.path(key))
            .with_context(|| format!("cannot store {}", self.path(key).display()))
    }

    /// Removes the drawings this build did not use (older versions of edited diagrams).
    pub fn prune(&self) -> Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(key) = name.strip_suffix(".svg")
                && !self.used.contains(key)
            {
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(())
    }
}

/// The SHA-256 of a file, kept beside it in `NAME.sha256` with the file's length and modification
/// time, so that an unchanged input (mermaid.js is 2.6 MB) is not read and hashed on every build:
/// that was an eighth of a fully cached run's time.
fn file_hash(path: &Path) -> Result<String> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let modified = metadata
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seen = format!("{} {}", metadata.len(), modified.as_nanos());
    let mut stamp = path.as_os_str().to_owned();
    stamp.push(".sha256");
    let stamp = PathBuf::from(stamp);
    if let Ok(text) = std::fs::read_to_string(&stamp)
        && let Some((stamped, hash)) = text.split_once('\n')
        && stamped == seen
    {
        return Ok(hash.to_string());
    }
    let hash =
        hex(&Sha256::digest(std::fs::read(path).with_context(|| {
            format!("cannot read {}", path.display())
        })?));
    // Written beside and renamed, so a build running beside this one never reads half of it.
    let mut partial = stamp.as_os_str().to_owned();
    partial.push(format!(".{}.partial", std::process::id()));
    let partial = PathBuf::from(partial);
    if std::fs::write(&partial, format!("{seen}\n{hash}")).is_ok() {
        let _ = std::fs::rename(&partial, &stamp);
    }
    Ok(hash)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_theme_and_text_and_drawings_round_trip() {
        let dir =
            std::env::temp_dir().join(format!("mdbook-diagrams-cache-{}", std::process::id()));
        let mut cache = Cache::open(dir.clone(), &[], "code").unwrap();
        let light = cache.key("default", "graph TD\nA-->B");
        assert_ne!(light, cache.key("dark", "graph TD\nA-->B"));
        assert_ne!(light, cache.key("default", "graph TD\nA-->C"));
        assert_eq!(cache.get(&light), None);
        cache.put(&light, "<svg/>").unwrap();
        assert_eq!(cache.get(&light).as_deref(), Some("<svg/>"));
        let other = Cache::open(dir.clone(), &[], "other code").unwrap();
        assert_ne!(other.key("default", "graph TD\nA-->B"), light);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_input_is_hashed_again_when_it_changes_and_not_before() {
        let dir =
            std::env::temp_dir().join(format!("mdbook-diagrams-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("mermaid.min.js");
        std::fs::write(&input, "one").unwrap();
        let first = file_hash(&input).unwrap();
        assert_eq!(first, hex(&Sha256::digest("one")));
        let stamp = dir.join("mermaid.min.js.sha256");
        assert!(std::fs::read_to_string(&stamp).unwrap().ends_with(&first));
        // An unchanged file is not read again: the stamp's hash is taken as it is.
        let text = std::fs::read_to_string(&stamp).unwrap();
        let (seen, _) = text.split_once('\n').unwrap();
        std::fs::write(&stamp, format!("{seen}\nfrom the stamp")).unwrap();
        assert_eq!(file_hash(&input).unwrap(), "from the stamp");
        // A changed one (another length) is.
        std::fs::write(&input, "three").unwrap();
        assert_eq!(file_hash(&input).unwrap(), hex(&Sha256::digest("three")));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
