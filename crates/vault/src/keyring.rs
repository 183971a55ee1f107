//! The vault's keys at run time: KEKs per root-key version (derived once, kept), blind indexers
//! per (field, index version), and a bounded cache of unwrapped data keys, so that a batch
//! unwraps each person's key once and never calls the key provider per value.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use crate::crypto::{
    BlindIndexer, CryptoError, DataKey, Kek, KeyCache, KeyCacheConfig, KeyProvider,
};
use crate::record::Field;

/// Bytes of a stored blind index: 128 bits, collision-free in practice at any population while
/// halving the index's size.
pub(crate) const BIDX_LEN: usize = 16;

/// Keys for one tenant.
pub struct Keyring {
    provider: Arc<dyn KeyProvider>,
    tenant: String,
    keks: RwLock<HashMap<u32, Arc<Kek>>>,
    indexers: RwLock<HashMap<(Field, u32), Arc<BlindIndexer>>>,
    data_keys: Mutex<KeyCache<i64>>,
    record: RwLock<Option<Arc<BlindIndexer>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Keys of `tenant` from `provider`.
    pub fn new(provider: Arc<dyn KeyProvider>, tenant: &str, cache: KeyCacheConfig) -> Keyring {
        Keyring {
            provider,
            tenant: tenant.to_owned(),
            keks: RwLock::new(HashMap::new()),
            indexers: RwLock::new(HashMap::new()),
            data_keys: Mutex::new(KeyCache::new(cache)),
            record: RwLock::new(None),
        }
    }

    /// The tenant id (bound into every ciphertext).
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The key provider.
    pub fn provider(&self) -> &Arc<dyn KeyProvider> {
        &self.provider
    }

    /// The newest root-key version.
    pub fn current_version(&self) -> Result<u32, CryptoError> {
        self.provider.current_version()
    }

    /// The KEK of a root-key version.
    pub fn kek(&self, version: u32) -> Result<Arc<Kek>, CryptoError> {
        if let Some(k) = self
            .keks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&version)
        {
            return Ok(k.clone());
        }
        let kek = Arc::new(Kek::derive(&self.provider.root_key(version)?, &self.tenant));
        self.keks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version, kek.clone());
        Ok(kek)
    }

    /// The blind indexer of a field for an index version keyed by `root_version`.
    pub fn indexer(
        &self,
        field: Field,
        index_version: u32,
        root_version: u32,
    ) -> Result<Arc<BlindIndexer>, CryptoError> {
        let key = (field, index_version);
        if let Some(i) = self
            .indexers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(i.clone());
        }
        let root = self.provider.root_key(root_version)?;
        let ix = Arc::new(BlindIndexer::new(
            &root,
            &self.tenant,
            field.as_str(),
            index_version,
        ));
        self.indexers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, ix.clone());
        Ok(ix)
    }

    /// The keyed digest of a whole record, used to skip re-imports that change nothing. Keyed by
    /// the first root-key version so it stays stable across rotations.
    pub fn record_digester(&self) -> Result<Arc<BlindIndexer>, CryptoError> {
        if let Some(i) = self
            .record
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(i.clone());
        }
        let root = self.provider.root_key(1)?;
        let ix = Arc::new(BlindIndexer::new(&root, &self.tenant, "record", 1));
        *self.record.write().unwrap_or_else(PoisonError::into_inner) = Some(ix.clone());
        Ok(ix)
    }

    /// A cached unwrapped data key of a person, if fresh.
    pub fn cached_data_key(&self, person: i64) -> Option<DataKey> {
        let mut c = self
            .data_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.get(&person, Instant::now()).map(DataKey::duplicate)
    }

    /// Remembers an unwrapped data key.
    pub fn cache_data_key(&self, person: i64, key: &DataKey) {
        let mut c = self
            .data_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.insert(person, key.duplicate(), Instant::now());
    }

    /// Forgets a person's key (after a shred or a re-key).
    pub fn forget_data_key(&self, person: i64) {
        let mut c = self
            .data_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.remove(&person);
    }
}

/// The stored form of a blind index.
pub(crate) fn truncate(digest: [u8; 32]) -> Vec<u8> {
    digest[..BIDX_LEN].to_vec()
}
