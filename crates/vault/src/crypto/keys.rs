//! Root keys and where they come from. A [`KeyProvider`] hands out versioned 32-byte root keys;
//! everything else (KEKs, blind-index keys) is derived from them with HKDF, so the provider is the
//! one place a deployment chooses how its master secret is kept. This file holds the trait, the
//! [`RootKey`] type and the environment-variable provider; the key-file provider is in
//! `file_provider.rs`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::CryptoError;
use super::primitives::KEY_LEN;

/// A 32-byte root key of one version. Zeroized on drop; `Debug` shows only the version.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RootKey {
    bytes: [u8; KEY_LEN],
    #[zeroize(skip)]
    version: u32,
}

impl RootKey {
    /// Wraps existing key bytes (e.g. read from a key file or handed back by a KMS).
    pub fn from_bytes(bytes: [u8; KEY_LEN], version: u32) -> Self {
        RootKey { bytes, version }
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate(version: u32) -> Result<Self, CryptoError> {
        let mut bytes = [0u8; KEY_LEN];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| CryptoError::Rng)?;
        Ok(RootKey { bytes, version })
    }

    /// Decodes a standard base64 key of exactly 32 bytes; `None` if it is anything else.
    pub(crate) fn from_base64(text: &str, version: u32) -> Option<Self> {
        let decoded = Zeroizing::new(STANDARD.decode(text.trim()).ok()?);
        let bytes: [u8; KEY_LEN] = decoded.as_slice().try_into().ok()?;
        Some(RootKey { bytes, version })
    }

    /// The key as standard base64, for writing a key file.
    pub(crate) fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes))
    }

    /// The version this key belongs to.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The key bytes, for HKDF inside the crypto layer only.
    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootKey(v{}, <redacted>)", self.version)
    }
}

/// A source of versioned root keys. Versions start at 1 and grow by one on each rotation; old
/// versions stay readable so data under them can still be opened and re-wrapped.
///
/// # Adding an external KMS (HashiCorp Vault Transit, OpenBao, a cloud KMS)
///
/// A KMS never hands out its own key; it only wraps and unwraps. Custodian still needs root-key
/// *bytes* in memory, because KEKs and blind-index keys are derived from them with HKDF (one KMS
/// round trip per person would cap an import at a few thousand people a second, far from the
/// 100,000/s target). So a KMS provider implements this same trait by *envelope-wrapping the root
/// key itself*:
///
/// 1. `create_version`: generate 32 random bytes locally ([`RootKey::generate`]), send them to the
///    KMS's wrap operation (Transit: `POST /v1/transit/encrypt/<key>` with `context` set to the
///    tenant-independent string `custodian-root-v<N>`), and store only the returned ciphertext
///    (`vault:v1:...`) next to the version number, e.g. in a file laid out like
///    [`super::FileKeyProvider`]'s, or in the database. Zeroize the plaintext bytes.
/// 2. `root_key(v)`: read the stored ciphertext, call the KMS unwrap operation
///    (`POST /v1/transit/decrypt/<key>`), decode the 32 bytes and return them as a [`RootKey`].
///    Cache the result in memory for the life of the process (the service asks once per version
///    at start-up), so the KMS sees one request per version and restart, not per person.
/// 3. `current_version`: the highest stored version.
///
/// The KMS then controls *whether* the service can start (revoke its token and the next restart
/// fails), audits every unwrap, and can rotate its own wrapping key (`rewrap`) without Custodian
/// re-encrypting anything. Network and authentication errors map to [`CryptoError::Io`]-like
/// variants of their own; add them to [`CryptoError`] (it is `#[non_exhaustive]`). Such a
/// provider lives behind a cargo feature so the default build stays free of HTTP clients.
pub trait KeyProvider: Send + Sync {
    /// The newest version, used for new KEKs and wrapped keys.
    fn current_version(&self) -> Result<u32, CryptoError>;

    /// The root key of `version`, or [`CryptoError::UnknownKeyVersion`].
    fn root_key(&self, version: u32) -> Result<RootKey, CryptoError>;

    /// Creates the next version (rotation) and returns its number; durable before it returns.
    fn create_version(&self) -> Result<u32, CryptoError>;
}

/// Root keys from environment variables: `NAME` is version 1, `NAME_V2` version 2, and so on up
/// to the first missing one. Each holds a standard base64 32-byte key.
///
/// The variables are read once, at construction. Rotation means setting `NAME_V<next>` and
/// restarting; [`KeyProvider::create_version`] refuses, since a process cannot change its
/// deployment's environment.
pub struct EnvKeyProvider {
    keys: Vec<RootKey>,
}

impl EnvKeyProvider {
    /// Reads `name`, `name_V2`, ... from the process environment.
    pub fn from_env(name: &str) -> Result<Self, CryptoError> {
        Self::from_lookup(name, |var| std::env::var(var).ok())
    }

    /// Reads the variables through `lookup` (tests pass a map instead of the environment).
    pub fn from_lookup(
        name: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        for version in 1u32.. {
            let var = if version == 1 {
                name.to_owned()
            } else {
                format!("{name}_V{version}")
            };
            let Some(value) = lookup(&var).map(Zeroizing::new) else {
                if version == 1 {
                    return Err(CryptoError::MissingEnv { name: var });
                }
                break;
            };
            let key = RootKey::from_base64(&value, version)
                .ok_or(CryptoError::MalformedEnvKey { name: var })?;
            keys.push(key);
        }
        Ok(EnvKeyProvider { keys })
    }
}

impl KeyProvider for EnvKeyProvider {
    fn current_version(&self) -> Result<u32, CryptoError> {
        // `from_lookup` fails unless version 1 exists, so the list is never empty.
        Ok(self.keys.last().map_or(1, RootKey::version))
    }

    fn root_key(&self, version: u32) -> Result<RootKey, CryptoError> {
        let index = usize::try_from(version.wrapping_sub(1)).unwrap_or(usize::MAX);
        self.keys
            .get(index)
            .map(|k| RootKey::from_bytes(k.bytes, k.version))
            .ok_or(CryptoError::UnknownKeyVersion(version))
    }

    fn create_version(&self) -> Result<u32, CryptoError> {
        Err(CryptoError::RotationUnsupported {
            provider: "environment",
            hint: "set the next NAME_V<n> variable and restart",
        })
    }
}

impl fmt::Debug for EnvKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvKeyProvider")
            .field("versions", &self.keys.len())
            .finish()
    }
}
