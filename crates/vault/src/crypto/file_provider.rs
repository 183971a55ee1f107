//! The default [`KeyProvider`]: root keys in one file inside the data directory, for the
//! one-machine setup. The file is created on first use with mode 0600, and a file that its group
//! or others can read is refused rather than used. Every write (the first version, and each new
//! version) goes to a temporary file that is synced, renamed over the key file, and followed by a
//! sync of the directory, so a crash leaves either the old or the new file, never a torn one; an
//! advisory lock on a sibling `.lock` file keeps two processes from rotating at once.
//!
//! File format, one line per version (comments start with `#`):
//!
//! ```text
//! # custodian root keys
//! v1:<base64 of 32 bytes>
//! v2:<base64 of 32 bytes>
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use zeroize::Zeroizing;

use super::CryptoError;
use super::keys::{KeyProvider, RootKey};

/// The key file's name inside the directory given to [`FileKeyProvider::open`].
pub const KEY_FILE_NAME: &str = "root-keys";

const HEADER: &str = "# custodian root keys: one line per version, v<N>:<base64>. Keep secret; \
                      losing this file loses every record.\n";

/// Root keys kept in `<dir>/root-keys` (see the module docs for the format).
pub struct FileKeyProvider {
    dir: PathBuf,
    path: PathBuf,
    keys: Mutex<Vec<RootKey>>,
}

impl FileKeyProvider {
    /// Opens the key file in `dir`, creating the directory (0700) and the file (0600, with a
    /// fresh version 1) if they do not exist.
    pub fn open(dir: &Path) -> Result<Self, CryptoError> {
        let io = |source| CryptoError::Io {
            path: dir.to_owned(),
            source,
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
        let path = dir.join(KEY_FILE_NAME);
        let provider = FileKeyProvider {
            dir: dir.to_owned(),
            path,
            keys: Mutex::new(Vec::new()),
        };
        let keys = provider.with_file_lock(|| match provider.read_file()? {
            Some(keys) => Ok(keys),
            None => {
                let keys = vec![RootKey::generate(1)?];
                provider.replace_file(&keys)?;
                Ok(keys)
            }
        })?;
        *provider.lock() = keys;
        Ok(provider)
    }

    /// The key file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Re-reads the key file, to pick up versions another process created (e.g. `custodian keys
    /// rotate` while the server runs); returns the current version. [`KeyProvider::root_key`]
    /// does this by itself for a version it has not seen; `current_version` does not, so that it
    /// stays a cheap in-memory read.
    pub fn reload(&self) -> Result<u32, CryptoError> {
        let mut keys = self.lock();
        if let Some(fresh) = self.read_file()? {
            *keys = fresh;
        }
        Ok(keys.last().map_or(1, RootKey::version))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<RootKey>> {
        // A panic while holding the lock cannot leave the list half-updated (it is replaced
        // whole), so a poisoned lock is safe to use.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn io_error(&self, source: std::io::Error) -> CryptoError {
        CryptoError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Reads and checks the key file; `None` if it does not exist.
    fn read_file(&self) -> Result<Option<Vec<RootKey>>, CryptoError> {
        let meta = match fs::symlink_metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(e)),
        };
        if !meta.file_type().is_file() {
            return Err(CryptoError::NotARegularFile {
                path: self.path.clone(),
            });
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CryptoError::InsecurePermissions {
                path: self.path.clone(),
                mode,
            });
        }
        let mut text = Zeroizing::new(String::new());
        File::open(&self.path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| self.io_error(e))?;
        self.parse(&text).map(Some)
    }

    fn parse(&self, text: &str) -> Result<Vec<RootKey>, CryptoError> {
        let mut keys: Vec<RootKey> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = |reason| CryptoError::MalformedKeyFile {
                path: self.path.clone(),
                line: i + 1,
                reason,
            };
            let (version, key) = line
                .strip_prefix('v')
                .and_then(|rest| rest.split_once(':'))
                .ok_or_else(|| malformed("expected v<N>:<base64>"))?;
            let version: u32 = version
                .parse()
                .map_err(|_| malformed("version is not a number"))?;
            let expected = u32::try_from(keys.len() + 1).unwrap_or(u32::MAX);
            if version != expected {
                return Err(malformed("versions must be 1, 2, 3, ... in order"));
            }
            let key = RootKey::from_base64(key, version)
                .ok_or_else(|| malformed("key is not base64 of 32 bytes"))?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(CryptoError::MalformedKeyFile {
                path: self.path.clone(),
                line: 0,
                reason: "no key versions",
            });
        }
        Ok(keys)
    }

    fn render(keys: &[RootKey]) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::from(HEADER));
        for key in keys {
            text.push_str(&format!("v{}:", key.version()));
            text.push_str(&key.to_base64());
            text.push('\n');
        }
        text
    }

    /// Runs `f` holding an exclusive advisory lock on `<dir>/root-keys.lock`, so that two
    /// processes never create the same version twice (the lock dies with its process, so a crash
    /// cannot leave it stuck).
    fn with_file_lock<T>(
        &self,
        f: impl FnOnce() -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        let lock_path = self.dir.join(format!("{KEY_FILE_NAME}.lock"));
        let lock_error = |source| CryptoError::Io {
            path: lock_path.clone(),
            source,
        };
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(lock_error)?;
        lock.lock().map_err(lock_error)?;
        let result = f();
        // Dropping the file releases the lock; unlocking explicitly first makes the order clear.
        let _ = lock.unlock();
        result
    }

    fn sync_dir(&self) -> Result<(), CryptoError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| CryptoError::Io {
                path: self.dir.clone(),
                source,
            })
    }

    /// Replaces the key file with `keys` atomically (temp file, fsync, rename, fsync dir).
    fn replace_file(&self, keys: &[RootKey]) -> Result<(), CryptoError> {
        let tmp = self
            .dir
            .join(format!("{KEY_FILE_NAME}.tmp.{}", std::process::id()));
        let tmp_error = |source| CryptoError::Io {
            path: tmp.clone(),
            source,
        };
        // A stale temp file of this process id can only be left by a crash; its content is a
        // copy of keys we are about to rewrite anyway.
        let _ = fs::remove_file(&tmp);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(tmp_error)?;
        let written = file
            .write_all(Self::render(keys).as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(tmp_error(e));
        }
        fs::rename(&tmp, &self.path).map_err(tmp_error)?;
        self.sync_dir()
    }
}

impl KeyProvider for FileKeyProvider {
    fn current_version(&self) -> Result<u32, CryptoError> {
        Ok(self.lock().last().map_or(1, RootKey::version))
    }

    fn root_key(&self, version: u32) -> Result<RootKey, CryptoError> {
        let mut keys = self.lock();
        if version as usize > keys.len() {
            // Another process may have rotated since we loaded the file.
            if let Some(fresh) = self.read_file()? {
                *keys = fresh;
            }
        }
        let index = usize::try_from(version.wrapping_sub(1)).unwrap_or(usize::MAX);
        keys.get(index)
            .map(|k| RootKey::from_bytes(*k.as_bytes(), k.version()))
            .ok_or(CryptoError::UnknownKeyVersion(version))
    }

    fn create_version(&self) -> Result<u32, CryptoError> {
        let mut keys = self.lock();
        // Re-read under the file lock so a rotation by another process is never overwritten.
        let (fresh, next) = self.with_file_lock(|| {
            let mut fresh = self.read_file()?.unwrap_or_default();
            let next = u32::try_from(fresh.len() + 1).unwrap_or(u32::MAX);
            fresh.push(RootKey::generate(next)?);
            self.replace_file(&fresh)?;
            Ok((fresh, next))
        })?;
        *keys = fresh;
        Ok(next)
    }
}

impl fmt::Debug for FileKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKeyProvider")
            .field("path", &self.path)
            .field("versions", &self.lock().len())
            .finish()
    }
}
