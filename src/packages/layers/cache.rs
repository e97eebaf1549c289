//! What was read from each layer, kept by layer digest: in memory for one run, and on disk
//! across runs. A layer's bytes never change, so an entry never goes stale; one that is
//! unreadable, of another version or for another digest is ignored and written again.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::reference::Digest;

use super::layer::Layer;

/// The on-disk format's version; entries of any other version are ignored.
const VERSION: u32 = 1;
/// A cache file larger than this is ignored (kept files are capped well below it).
const FILE_CAP: u64 = 128 << 20;

/// Layers already read, by digest. One [`Cache`] shared by every image read in a run
/// reads each distinct layer once, however many images (or stages) share it.
#[derive(Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
    /// Digest → the layer, once read; a cell per digest, so concurrent readers of one
    /// layer wait for a single download.
    memory: Mutex<HashMap<Digest, Arc<tokio::sync::OnceCell<Arc<Layer>>>>>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    digest: String,
    layer: Layer,
}

impl Cache {
    /// The cache in `DOCKERFILE_LOCK_CACHE_DIR`, else `$XDG_CACHE_HOME/dockerfile-lock`,
    /// else `$HOME/.cache/dockerfile-lock`; memory only when none is set.
    pub fn from_env() -> Cache {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dir = var("DOCKERFILE_LOCK_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("dockerfile-lock")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("dockerfile-lock")));
        Cache::new(dir)
    }

    /// A cache kept in `dir` (created when first written).
    pub fn at(dir: PathBuf) -> Cache {
        Cache::new(Some(dir))
    }

    /// No cache on disk; layers are still read once per run.
    pub fn disabled() -> Cache {
        Cache::new(None)
    }

    fn new(dir: Option<PathBuf>) -> Cache {
        Cache {
            dir,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// The directory the cache is kept in, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The cell for `digest`, shared by everyone reading that layer in this run.
    pub(super) fn cell(&self, digest: &Digest) -> Arc<tokio::sync::OnceCell<Arc<Layer>>> {
        let mut memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        memory.entry(digest.clone()).or_default().clone()
    }

    fn path(&self, digest: &Digest) -> Option<PathBuf> {
        Some(
            self.dir
                .as_ref()?
                .join("layers")
                .join(digest.algorithm().as_str())
                .join(format!("{}.json", digest.hex())),
        )
    }

    /// The layer as a previous run stored it, if it is there and sound.
    pub(super) fn load(&self, digest: &Digest) -> Option<Layer> {
        let file = std::fs::File::open(self.path(digest)?).ok()?;
        let mut bytes = Vec::new();
        file.take(FILE_CAP + 1).read_to_end(&mut bytes).ok()?;
        if bytes.len() as u64 > FILE_CAP {
            return None;
        }
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.version == VERSION && entry.digest == digest.to_string()).then_some(entry.layer)
    }

    /// Store a layer read from a blob that matched `digest`. Failing to write is not an
    /// error: the next run reads the layer again.
    pub(super) fn store(&self, digest: &Digest, layer: &Layer) {
        let Some(path) = self.path(digest) else {
            return;
        };
        let _ = write_atomically(&path, digest, layer);
    }
}

/// A temp file in the same directory, fsynced, renamed over the target.
fn write_atomically(path: &Path, digest: &Digest, layer: &Layer) -> std::io::Result<()> {
    let dir = path.parent().ok_or(std::io::ErrorKind::NotFound)?;
    std::fs::create_dir_all(dir)?;
    let entry = Entry {
        version: VERSION,
        digest: digest.to_string(),
        layer: layer.clone(),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, &entry)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let mut layer = Layer::default();
        layer
            .files
            .insert("/etc/os-release".into(), b"ID=x\n\xff".to_vec());
        layer.whiteouts.insert("/etc/apk".into());
        cache.store(&digest('a'), &layer);
        assert_eq!(cache.load(&digest('a')), Some(layer.clone()));
        let file = dir
            .path()
            .join(format!("layers/sha256/{}.json", "a".repeat(64)));
        assert!(file.is_file());

        // Another digest's entry copied under this name is not trusted.
        let other = dir
            .path()
            .join(format!("layers/sha256/{}.json", "b".repeat(64)));
        std::fs::copy(&file, &other).unwrap();
        assert_eq!(cache.load(&digest('b')), None);

        // A corrupt entry is ignored, then written again.
        std::fs::write(&file, b"{not json").unwrap();
        assert_eq!(cache.load(&digest('a')), None);
        cache.store(&digest('a'), &layer);
        assert_eq!(cache.load(&digest('a')), Some(layer));
    }

    #[test]
    fn an_unwritable_directory_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        let cache = Cache::at(blocker.join("cache"));
        cache.store(&digest('a'), &Layer::default());
        assert_eq!(cache.load(&digest('a')), None);
        assert_eq!(Cache::disabled().load(&digest('a')), None);
    }
}
