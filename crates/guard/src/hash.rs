//! The hashing layer: Argon2id in the PHC string format with parameters recorded in each hash,
//! an optional pepper passed to Argon2 as its secret input `K` (RFC 9106 §3.1), and the checks
//! that decide when a stored hash must be re-hashed (parameters or pepper changed, or an imported
//! hash of another variant). Every Argon2 evaluation in the guard goes through [`Hasher`], which
//! counts them, so tests can prove that throttled attempts cost no hashing.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, AssociatedData, Block, ParamsBuilder, Version};
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::{Zeroize, Zeroizing};

use crate::error::GuardError;

/// The most memory an accepted hash may ask for (imported hashes included), in KiB: a hash that
/// costs more would let one verification stall a worker.
pub const MAX_M_KIB: u32 = 256 * 1024;
/// The most passes an accepted hash may ask for.
pub const MAX_T: u32 = 16;
/// The most lanes an accepted hash may ask for.
pub const MAX_P: u32 = 16;

/// Argon2id cost parameters: memory in KiB, passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl HashParams {
    /// OWASP's first recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP: HashParams = HashParams {
        m_kib: 19_456,
        t: 2,
        p: 1,
    };

    /// Parameters within the accepted limits: `8·p ≤ m_kib ≤` [`MAX_M_KIB`], `1 ≤ t ≤`
    /// [`MAX_T`], `1 ≤ p ≤` [`MAX_P`].
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<HashParams, GuardError> {
        let ok = (1..=MAX_P).contains(&p)
            && (1..=MAX_T).contains(&t)
            && m_kib >= 8 * p
            && m_kib <= MAX_M_KIB;
        if !ok {
            return Err(GuardError::Config(format!(
                "Argon2 parameters m={m_kib} t={t} p={p} are out of range \
                 (8·p ≤ m ≤ {MAX_M_KIB}, 1 ≤ t ≤ {MAX_T}, 1 ≤ p ≤ {MAX_P})"
            )));
        }
        Ok(HashParams { m_kib, t, p })
    }

    /// Memory in KiB.
    pub fn m_kib(self) -> u32 {
        self.m_kib
    }

    /// Passes.
    pub fn t(self) -> u32 {
        self.t
    }

    /// Lanes.
    pub fn p(self) -> u32 {
        self.p
    }

    fn argon2(self, data: &[u8]) -> Result<argon2::Params, GuardError> {
        let mut b = ParamsBuilder::new();
        b.m_cost(self.m_kib).t_cost(self.t).p_cost(self.p);
        if !data.is_empty() {
            b.data(AssociatedData::new(data).map_err(hashing)?);
        }
        b.build().map_err(hashing)
    }
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams::OWASP
    }
}

/// A pepper: a secret passed to Argon2 as its key input, so a stolen database alone cannot be
/// brute-forced offline. The binary derives it from the vault's root key; `id` (from 1) is stored
/// with each hash so that a new pepper can be introduced while old hashes still verify.
pub struct Pepper {
    id: u32,
    key: Zeroizing<Vec<u8>>,
}

impl Pepper {
    /// A pepper of 8 to 64 bytes with a non-zero id.
    pub fn new(id: u32, key: &[u8]) -> Result<Pepper, GuardError> {
        if id == 0 || !(8..=64).contains(&key.len()) {
            return Err(GuardError::Config(
                "a pepper needs an id of 1 or more and 8 to 64 bytes".into(),
            ));
        }
        Ok(Pepper {
            id,
            key: Zeroizing::new(key.to_vec()),
        })
    }

    /// The pepper's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The secret bytes, for keying the code MAC.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pepper(id {}, <redacted>)", self.id)
    }
}

/// A hash as stored: the PHC string and the id of the pepper used (0 for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHash {
    /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub phc: String,
    /// The pepper's id, 0 when none was used (imported hashes).
    pub pepper_id: u32,
}

/// What checking a secret against a stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCheck {
    /// The secret matches; `is_stale` when the hash should be replaced by one made with the
    /// current parameters and pepper.
    Match {
        /// Whether to re-hash now.
        is_stale: bool,
    },
    /// The secret does not match (or the hash is unusable).
    NoMatch,
}

/// Hashes and verifies secrets with the configured parameters and peppers, counting every
/// Argon2 evaluation.
pub struct Hasher {
    params: HashParams,
    /// The newest pepper is last; it is used for new hashes.
    peppers: Vec<Pepper>,
    evaluations: AtomicU64,
    memory: MemoryPool,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .field("peppers", &self.peppers.len())
            .finish_non_exhaustive()
    }
}

fn hashing(e: impl fmt::Display) -> GuardError {
    GuardError::Hashing(e.to_string())
}

impl Hasher {
    /// A hasher for new hashes at `params`, peppered with the last of `peppers` (none if empty).
    pub fn new(params: HashParams, peppers: Vec<Pepper>) -> Hasher {
        Hasher {
            memory: MemoryPool::new(params.m_kib as usize),
            params,
            peppers,
            evaluations: AtomicU64::new(0),
        }
    }

    /// The parameters new hashes get.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// How many Argon2 evaluations this hasher has run.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    /// The pepper new hashes get, if any.
    pub(crate) fn current_pepper(&self) -> Option<&Pepper> {
        self.peppers.last()
    }

    fn current_pepper_id(&self) -> u32 {
        self.peppers.last().map_or(0, Pepper::id)
    }

    /// The Argon2 context for a pepper id; `None` when that pepper is not configured.
    fn engine(
        &self,
        pepper_id: u32,
        algorithm: Algorithm,
        version: Version,
        params: argon2::Params,
    ) -> Option<Argon2<'_>> {
        if pepper_id == 0 {
            return Some(Argon2::new(algorithm, version, params));
        }
        let pepper = self.peppers.iter().find(|p| p.id == pepper_id)?;
        Argon2::new_with_secret(&pepper.key, algorithm, version, params).ok()
    }

    /// Argon2id, version 19: what new hashes are.
    fn current_engine(&self, pepper_id: u32, params: argon2::Params) -> Option<Argon2<'_>> {
        self.engine(pepper_id, Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes `secret` with a fresh random salt, the current parameters and the current pepper.
    pub fn hash(&self, secret: &[u8]) -> Result<StoredHash, GuardError> {
        let pepper_id = self.current_pepper_id();
        let params = self.params.argon2(&[])?;
        let engine = self
            .current_engine(pepper_id, params.clone())
            .ok_or_else(|| hashing("the current pepper is unusable"))?;
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf).map_err(hashing)?;
        let mut out = Zeroizing::new([0u8; argon2::Params::DEFAULT_OUTPUT_LEN]);
        self.compute(&engine, secret, salt_bytes, out.as_mut())?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(hashing)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(out.as_ref()).map_err(hashing)?),
        };
        Ok(StoredHash {
            phc: phc.to_string(),
            pepper_id,
        })
    }

    /// Wipes the kept working memory of finished evaluations (see `MemoryPool`): called by a
    /// hashing thread that has no more work.
    pub fn wipe_kept(&self) {
        self.memory.wipe_kept();
    }

    /// One Argon2 evaluation in working memory from the pool, counted.
    fn compute(
        &self,
        engine: &Argon2<'_>,
        secret: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), GuardError> {
        let blocks = engine.params().block_count();
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let mut memory = self.memory.take(blocks);
        let computed =
            engine.hash_password_into_with_memory(secret, salt, out, &mut memory.blocks[..blocks]);
        self.memory.give_back(memory);
        computed.map_err(hashing)
    }

    /// A hash of a random secret at the current settings: what unknown accounts are verified
    /// against, so they cost the same as known ones.
    pub fn dummy(&self) -> Result<StoredHash, GuardError> {
        let mut random = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(random.as_mut());
        self.hash(random.as_ref())
    }

    /// Checks `secret` against a stored hash in constant time (the comparison inside the
    /// `password-hash` crate is constant-time). A malformed hash or an unknown pepper never
    /// matches; it still costs an evaluation of the dummy-sized work only when parsable.
    pub fn verify(&self, secret: &[u8], stored: &StoredHash) -> HashCheck {
        let Ok(parsed) = PasswordHash::new(&stored.phc) else {
            return HashCheck::NoMatch;
        };
        if check_limits(&parsed).is_err() {
            return HashCheck::NoMatch;
        }
        if self.matches(secret, &parsed, stored.pepper_id) != Some(true) {
            return HashCheck::NoMatch;
        }
        HashCheck::Match {
            is_stale: self.is_stale(&parsed, stored.pepper_id),
        }
    }

    /// Recomputes `parsed` for `secret` with the hash's own variant, version, parameters and
    /// salt, keyed with pepper `pepper_id`, in working memory from the pool, and compares the
    /// outputs in constant time (`password_hash::Output`'s equality). `None` when the hash or
    /// its pepper is unusable.
    fn matches(&self, secret: &[u8], parsed: &PasswordHash<'_>, pepper_id: u32) -> Option<bool> {
        let (salt, expected) = (parsed.salt?, parsed.hash?);
        let params = argon2::Params::try_from(parsed).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .ok()?;
        let engine = self.engine(pepper_id, algorithm, version, params)?;
        let mut salt_buf = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_buf).ok()?;
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        self.compute(&engine, secret, salt, &mut out).ok()?;
        Some(Output::new(&out).ok()? == expected)
    }

    fn is_stale(&self, parsed: &PasswordHash<'_>, pepper_id: u32) -> bool {
        let same_params = argon2::Params::try_from(parsed).is_ok_and(|p| {
            p.m_cost() == self.params.m_kib
                && p.t_cost() == self.params.t
                && p.p_cost() == self.params.p
        });
        parsed.algorithm.as_str() != "argon2id"
            || parsed.version != Some(0x13)
            || !same_params
            || pepper_id != self.current_pepper_id()
    }

    /// Raw Argon2id output for the known-answer tests (RFC 9106 §5.3): the same engine as
    /// [`Hasher::hash`], keyed with the current pepper, with associated data and a fixed salt.
    pub fn derive_raw(
        &self,
        params: HashParams,
        password: &[u8],
        salt: &[u8],
        associated_data: &[u8],
        out: &mut [u8],
    ) -> Result<(), GuardError> {
        let pepper_id = self.current_pepper_id();
        let engine = self
            .current_engine(pepper_id, params.argon2(associated_data)?)
            .ok_or_else(|| hashing("the current pepper is unusable"))?;
        self.compute(&engine, password, salt, out)
    }
}

/// Checks that a PHC string is an Argon2 hash (id, i or d; version 16 or 19) within the cost
/// limits; the reason never contains the hash.
pub fn check_phc(phc: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(phc).map_err(|e| format!("not a PHC string ({e})"))?;
    check_limits(&parsed)
}

fn check_limits(parsed: &PasswordHash<'_>) -> Result<(), String> {
    if !matches!(
        parsed.algorithm.as_str(),
        "argon2id" | "argon2i" | "argon2d"
    ) {
        return Err("only Argon2 (argon2id, argon2i, argon2d) hashes are accepted".into());
    }
    if !matches!(parsed.version, Some(0x13) | Some(0x10) | None) {
        return Err("unknown Argon2 version".into());
    }
    let p = argon2::Params::try_from(parsed).map_err(|e| format!("bad parameters ({e})"))?;
    if p.m_cost() > MAX_M_KIB || p.t_cost() > MAX_T || p.p_cost() > MAX_P {
        return Err(format!(
            "cost above the accepted limits (m ≤ {MAX_M_KIB}, t ≤ {MAX_T}, p ≤ {MAX_P})"
        ));
    }
    let out_len = parsed.hash.map_or(0, |h| h.len());
    if !(16..=64).contains(&out_len) {
        return Err("hash output must be 16 to 64 bytes".into());
    }
    Ok(())
}

/// Argon2's working memory, kept between evaluations. Allocating 19 MiB for every hash costs
/// as much as a third of the hash (fresh pages are faulted in and zeroed by the kernel each
/// time); a kept buffer is already mapped. At most one buffer per core is kept (the guard
/// computes at most that many hashes at once), and none larger than the current parameters
/// need: an imported hash with a bigger `m` gets memory of its own, wiped and freed after use.
///
/// No evaluation's internal state outlives it for longer than the hashing thread stays busy:
/// a buffer given back is wiped (`zeroize`) at once, except on the guard's hashing threads
/// ([`defer_wipes_on_this_thread`]), which wipe every kept buffer ([`Hasher::wipe_kept`]) as
/// soon as they have no more work. Under load the next evaluation overwrites every block it
/// uses within milliseconds, and [`MemoryPool::take`] wipes whatever part of a reused buffer
/// it will not overwrite; wiping 19 MiB after each of them cost about 4 % of the hash.
struct MemoryPool {
    free: Mutex<Vec<Memory>>,
    keep_blocks: usize,
    keep_count: usize,
}

/// One evaluation's working memory.
struct Memory {
    blocks: Vec<Block>,
    used: usize,
    /// How many leading blocks still hold an earlier evaluation's state (0: all clean).
    dirty: usize,
}

impl Memory {
    fn wipe(&mut self, from: usize) {
        for b in &mut self.blocks[from..self.dirty.max(from)] {
            b.zeroize();
        }
        self.dirty = self.dirty.min(from);
    }
}

thread_local! {
    static DEFER_WIPES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread as one that calls [`Hasher::wipe_kept`] whenever it runs out of
/// work, so buffers it gives back are not wiped one by one (the guard's hashing threads).
pub(crate) fn defer_wipes_on_this_thread() {
    DEFER_WIPES.with(|d| d.set(true));
}

impl MemoryPool {
    fn new(keep_blocks: usize) -> MemoryPool {
        MemoryPool {
            free: Mutex::new(Vec::new()),
            keep_blocks,
            keep_count: std::thread::available_parallelism().map_or(2, usize::from),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Memory>> {
        self.free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Memory for `blocks` blocks: a kept buffer when one is big enough (its part beyond
    /// `blocks`, which this evaluation will not overwrite, wiped), else a new one (a kept
    /// buffer too small for an odd hash stays kept for the usual ones).
    fn take(&self, blocks: usize) -> Memory {
        let kept = {
            let mut free = self.lock();
            match free.last() {
                Some(m) if m.blocks.len() >= blocks => free.pop(),
                _ => None,
            }
        };
        let mut m = kept.unwrap_or_else(|| Memory {
            blocks: vec![Block::default(); blocks],
            used: 0,
            dirty: 0,
        });
        m.wipe(blocks);
        m.used = blocks;
        m
    }

    /// Keeps the buffer if the pool has room for it, wiped unless this thread wipes when idle;
    /// a buffer not kept is wiped before it is freed.
    fn give_back(&self, mut m: Memory) {
        m.dirty = m.dirty.max(m.used);
        let keep = m.blocks.len() <= self.keep_blocks;
        if !keep || !DEFER_WIPES.with(std::cell::Cell::get) {
            m.wipe(0);
        }
        if !keep {
            return;
        }
        let mut free = self.lock();
        if free.len() < self.keep_count {
            free.push(m);
        } else {
            drop(free);
            m.wipe(0);
        }
    }

    /// Wipes every kept buffer that still holds an evaluation's state.
    fn wipe_kept(&self) {
        let dirty: Vec<Memory> = {
            let mut free = self.lock();
            let (dirty, clean) = free.drain(..).partition(|m| m.dirty > 0);
            *free = clean;
            dirty
        };
        let mut wiped = dirty;
        for m in &mut wiped {
            m.wipe(0);
        }
        let mut free = self.lock();
        for m in wiped {
            if free.len() < self.keep_count {
                free.push(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashParams {
        HashParams::new(64, 1, 1).unwrap()
    }

    #[test]
    fn working_memory_is_wiped_after_use_and_kept_only_up_to_the_parameters_size() {
        let pool = MemoryPool::new(64);
        let mut m = pool.take(64);
        for b in &mut m.blocks {
            b.as_mut().fill(0x5a5a);
        }
        pool.give_back(m);
        let again = pool.take(32);
        assert_eq!(again.blocks.len(), 64, "the kept buffer is reused");
        assert!(
            again
                .blocks
                .iter()
                .all(|b| b.as_ref().iter().all(|&w| w == 0)),
            "a kept buffer holds nothing of the last evaluation"
        );
        pool.give_back(again);
        let big = pool.take(128);
        pool.give_back(big);
        let kept = pool.free.lock().unwrap();
        assert_eq!(
            kept.len(),
            1,
            "a buffer larger than the parameters need is not kept"
        );
        assert_eq!(kept[0].blocks.len(), 64);
    }

    #[test]
    fn a_thread_that_wipes_when_idle_leaves_no_state_past_its_wipe_or_past_reuse() {
        std::thread::spawn(|| {
            defer_wipes_on_this_thread();
            let pool = MemoryPool::new(64);
            let mut m = pool.take(64);
            for b in &mut m.blocks {
                b.as_mut().fill(0x5a5a);
            }
            pool.give_back(m);
            let zero = |b: &Block| b.as_ref().iter().all(|&w| w == 0);
            // Reused for a smaller evaluation: the part it will not overwrite is wiped now.
            let again = pool.take(32);
            assert!(again.blocks[32..].iter().all(zero), "tail wiped on reuse");
            assert!(
                !again.blocks[..32].iter().any(zero),
                "the part the evaluation overwrites is left to it"
            );
            pool.give_back(again);
            pool.wipe_kept();
            let kept = pool.free.lock().unwrap();
            assert_eq!(kept.len(), 1);
            assert!(kept[0].blocks.iter().all(zero), "wiped when idle");
            assert_eq!(kept[0].dirty, 0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn an_imported_hash_with_more_memory_verifies_through_the_pool() {
        let small = Hasher::new(cheap(), Vec::new());
        let big = Hasher::new(HashParams::new(256, 1, 2).unwrap(), Vec::new());
        let phc = big.hash(b"482915").unwrap();
        assert!(matches!(
            small.verify(b"482915", &phc),
            HashCheck::Match { is_stale: true }
        ));
        assert_eq!(small.verify(b"482916", &phc), HashCheck::NoMatch);
        assert!(matches!(
            small.verify(b"482915", &small.hash(b"482915").unwrap()),
            HashCheck::Match { is_stale: false }
        ));
    }

    #[test]
    fn hash_verify_and_staleness() {
        let h = Hasher::new(cheap(), vec![Pepper::new(1, &[7; 32]).unwrap()]);
        let s = h.hash(b"482915").unwrap();
        assert!(s.phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(s.pepper_id, 1);
        assert_eq!(
            h.verify(b"482915", &s),
            HashCheck::Match { is_stale: false }
        );
        assert_eq!(h.verify(b"482916", &s), HashCheck::NoMatch);
        assert_eq!(h.evaluations(), 3);

        // New parameters: old hashes still verify and are reported stale.
        let h2 = Hasher::new(
            HashParams::new(128, 1, 1).unwrap(),
            vec![Pepper::new(1, &[7; 32]).unwrap()],
        );
        assert_eq!(
            h2.verify(b"482915", &s),
            HashCheck::Match { is_stale: true }
        );
        // A pepper the hasher does not hold never matches.
        let h3 = Hasher::new(cheap(), vec![Pepper::new(2, &[8; 32]).unwrap()]);
        assert_eq!(h3.verify(b"482915", &s), HashCheck::NoMatch);
        // Unpeppered (imported) hashes verify and are stale under a peppered hasher.
        let plain = Hasher::new(cheap(), Vec::new()).hash(b"482915").unwrap();
        assert_eq!(plain.pepper_id, 0);
        assert_eq!(
            h.verify(b"482915", &plain),
            HashCheck::Match { is_stale: true }
        );
    }

    #[test]
    fn limits_are_enforced() {
        assert!(HashParams::new(7, 1, 1).is_err());
        assert!(HashParams::new(MAX_M_KIB + 1, 1, 1).is_err());
        assert!(HashParams::new(64, 0, 1).is_err());
        assert!(check_phc("$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA").is_err());
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Qf3dbnYGGbbhRp3o6ZPQ1I/t4pK8hHXUVV0RV0E3r0E";
        assert!(check_phc(huge).unwrap_err().contains("cost above"));
        assert!(Pepper::new(0, &[1; 32]).is_err());
        assert_eq!(
            format!("{:?}", Pepper::new(3, &[1; 32]).unwrap()),
            "Pepper(id 3, <redacted>)"
        );
    }
}
