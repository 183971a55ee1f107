//! A bounded cache of unwrapped data keys. The service unwraps a person's key once per batch and
//! reuses it for every field, but an unwrapped key should not live forever in memory: each entry
//! expires after a time-to-live or a number of uses, and the cache holds at most `capacity`
//! entries (oldest evicted first). Time is passed in (`now: Instant`) so tests move it by hand and
//! no clock is global. Evicted keys are zeroized when dropped ([`DataKey`] does that itself).
//!
//! Not synchronized: the service owns one per worker, or wraps it in a `Mutex`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use super::DataKey;

/// Limits of a [`KeyCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCacheConfig {
    /// How long an entry may be used after insertion.
    pub ttl: Duration,
    /// How many successful lookups an entry serves before it is dropped.
    pub max_uses: u32,
    /// How many entries the cache holds at most.
    pub capacity: usize,
}

impl Default for KeyCacheConfig {
    /// Five minutes, 10,000 uses, 100,000 entries (about 10 MB): enough for a batch of an import
    /// to reuse each key, small enough that a heap dump holds only recent people.
    fn default() -> Self {
        KeyCacheConfig {
            ttl: Duration::from_secs(300),
            max_uses: 10_000,
            capacity: 100_000,
        }
    }
}

struct Entry {
    key: DataKey,
    inserted: Instant,
    uses: u32,
    /// Insertion sequence number, to recognize stale ids in the order queue.
    seq: u64,
}

/// Unwrapped data keys by an id of the caller's choice (e.g. tenant, person and key version).
pub struct KeyCache<K> {
    config: KeyCacheConfig,
    entries: HashMap<K, Entry>,
    /// Insertion order for eviction; may hold ids already removed or re-inserted, which are
    /// skipped lazily (their sequence number no longer matches).
    order: VecDeque<(K, u64)>,
    next_seq: u64,
}

impl<K: Hash + Eq + Clone> KeyCache<K> {
    /// An empty cache with the given limits.
    pub fn new(config: KeyCacheConfig) -> Self {
        KeyCache {
            config,
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
        }
    }

    /// The key cached under `id`, counting one use; `None` if absent, expired or used up (an
    /// expired or used-up entry is removed).
    pub fn get(&mut self, id: &K, now: Instant) -> Option<&DataKey> {
        let entry = self.entries.get(id)?;
        let expired = now.saturating_duration_since(entry.inserted) >= self.config.ttl;
        if expired || entry.uses >= self.config.max_uses {
            self.entries.remove(id);
            return None;
        }
        let entry = self.entries.get_mut(id)?;
        entry.uses += 1;
        Some(&entry.key)
    }

    /// Caches `key` under `id` (replacing any previous entry), evicting the oldest entries if the
    /// cache is full.
    pub fn insert(&mut self, id: K, key: DataKey, now: Instant) {
        if self.config.capacity == 0 {
            return;
        }
        self.entries.remove(&id);
        while self.entries.len() >= self.config.capacity {
            if !self.evict_oldest() {
                break;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((id.clone(), seq));
        self.entries.insert(
            id,
            Entry {
                key,
                inserted: now,
                uses: 0,
                seq,
            },
        );
        // Keep the order queue from growing without bound through re-inserts.
        if self.order.len() > 2 * self.config.capacity.max(16) {
            self.compact_order();
        }
    }

    /// Drops the entry for `id` (e.g. when the person is shredded).
    pub fn remove(&mut self, id: &K) {
        self.entries.remove(id);
    }

    /// Drops every expired entry; call now and then to bound how long keys stay in memory when
    /// the cache is idle.
    pub fn purge_expired(&mut self, now: Instant) {
        let ttl = self.config.ttl;
        self.entries
            .retain(|_, e| now.saturating_duration_since(e.inserted) < ttl);
        self.compact_order();
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    /// How many entries are held (some may be expired but not yet purged).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes the oldest live entry; `false` if there was none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((id, seq)) = self.order.pop_front() {
            let live = self.entries.get(&id).is_some_and(|e| e.seq == seq);
            if live {
                self.entries.remove(&id);
                return true;
            }
        }
        false
    }

    fn compact_order(&mut self) {
        let entries = &self.entries;
        self.order
            .retain(|(id, seq)| entries.get(id).is_some_and(|e| e.seq == *seq));
    }
}

impl<K> fmt::Debug for KeyCache<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("config", &self.config)
            .field("len", &self.entries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> DataKey {
        DataKey::from_bytes([b; 32])
    }

    fn cache(ttl_secs: u64, max_uses: u32, capacity: usize) -> KeyCache<u32> {
        KeyCache::new(KeyCacheConfig {
            ttl: Duration::from_secs(ttl_secs),
            max_uses,
            capacity,
        })
    }

    #[test]
    fn entries_expire_with_time() {
        let t0 = Instant::now();
        let mut c = cache(10, 100, 10);
        c.insert(1, key(1), t0);
        assert!(c.get(&1, t0 + Duration::from_secs(9)).is_some());
        assert!(c.get(&1, t0 + Duration::from_secs(10)).is_none());
        assert!(c.is_empty());
    }

    #[test]
    fn entries_expire_with_use() {
        let t0 = Instant::now();
        let mut c = cache(10, 2, 10);
        c.insert(1, key(1), t0);
        assert!(c.get(&1, t0).is_some());
        assert!(c.get(&1, t0).is_some());
        assert!(c.get(&1, t0).is_none());
    }

    #[test]
    fn capacity_evicts_oldest_first() {
        let t0 = Instant::now();
        let mut c = cache(100, 100, 2);
        c.insert(1, key(1), t0);
        c.insert(2, key(2), t0 + Duration::from_secs(1));
        // Re-inserting 1 makes it the newest, so 2 is the one to go.
        c.insert(1, key(11), t0 + Duration::from_secs(2));
        c.insert(3, key(3), t0 + Duration::from_secs(3));
        assert_eq!(c.len(), 2);
        assert!(c.get(&2, t0).is_none());
        assert_eq!(c.get(&1, t0).unwrap().as_bytes(), &[11; 32]);
        assert!(c.get(&3, t0).is_some());
    }

    #[test]
    fn purge_and_remove() {
        let t0 = Instant::now();
        let mut c = cache(5, 100, 10);
        c.insert(1, key(1), t0);
        c.insert(2, key(2), t0 + Duration::from_secs(4));
        c.purge_expired(t0 + Duration::from_secs(6));
        assert_eq!(c.len(), 1);
        c.remove(&2);
        assert!(c.is_empty());
        for i in 0..100 {
            c.insert(i % 3, key(0), t0);
        }
        assert!(c.order.len() <= 32 + 1, "re-inserts do not grow the queue");
    }
}
