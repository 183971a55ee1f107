//! The hashing pool: at most `max_in_flight` attempts admitted at once (about twice the cores;
//! an admitted attempt is counted, looked up and hashed while it holds its slot), of which at
//! most `max_running` (the cores) compute a hash at a time, on tokio's blocking
//! threads so they never stall the async workers. Running more hashes than cores only makes each
//! slower (measured on two cores: 122 hashes/s with two threads, 100 with four, as 19 MiB working
//! sets evict each other from the cache). Contexts the account does not know may hold at most
//! `max_in_flight − trusted_reserve` admissions and wait at most `max_wait` for one, so a flood of
//! guesses cannot put more than a few hashes ahead of a known device, and cannot turn into an
//! unbounded queue of 19 MiB hashes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::GuardError;
use crate::limits::Trust;

/// How much hashing may happen at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingConfig {
    /// Evaluations admitted at most (default: twice the available cores).
    pub max_in_flight: usize,
    /// Evaluations computing at once (default: the available cores).
    pub max_running: usize,
    /// Slots unknown contexts may never take (default: a quarter, at least 1).
    pub trusted_reserve: usize,
    /// How long an unknown context waits for a slot before it is told to retry.
    pub max_wait: Duration,
    /// How long a known device, or the guard's own work (setting secrets), waits.
    pub trusted_max_wait: Duration,
}

impl Default for HashingConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let max = 2 * cores;
        HashingConfig {
            max_in_flight: max,
            max_running: cores,
            trusted_reserve: (max / 4).max(1),
            max_wait: Duration::from_millis(250),
            trusted_max_wait: Duration::from_secs(5),
        }
    }
}

impl HashingConfig {
    pub(crate) fn validate(&self) -> Result<(), GuardError> {
        let ok = self.max_in_flight >= 2
            && (1..self.max_in_flight).contains(&self.trusted_reserve)
            && (1..=self.max_in_flight).contains(&self.max_running);
        if !ok {
            return Err(GuardError::Config(
                "hashing needs max_in_flight ≥ 2, 1 ≤ trusted_reserve < max_in_flight and \
                 1 ≤ max_running ≤ max_in_flight"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// A held hashing slot.
#[derive(Debug)]
pub(crate) struct Slot {
    _all: OwnedSemaphorePermit,
    _unknown: Option<OwnedSemaphorePermit>,
}

/// The bounded hashing pool.
#[derive(Debug)]
pub(crate) struct HashPool {
    all: Arc<Semaphore>,
    unknown: Arc<Semaphore>,
    running: Arc<Semaphore>,
    cfg: HashingConfig,
}

impl HashPool {
    pub(crate) fn new(cfg: HashingConfig) -> HashPool {
        HashPool {
            all: Arc::new(Semaphore::new(cfg.max_in_flight)),
            unknown: Arc::new(Semaphore::new(cfg.max_in_flight - cfg.trusted_reserve)),
            running: Arc::new(Semaphore::new(cfg.max_running)),
            cfg,
        }
    }

    /// Waits for a slot; [`GuardError::Busy`] when the wait runs out.
    pub(crate) async fn acquire(&self, trust: Trust) -> Result<Slot, GuardError> {
        let (wait, unknown) = match trust {
            Trust::Known => (self.cfg.trusted_max_wait, None),
            Trust::Unknown => (self.cfg.max_wait, Some(self.unknown.clone())),
        };
        let fut = async {
            let u = match unknown {
                Some(s) => Some(s.acquire_owned().await.map_err(|_| GuardError::Busy)?),
                None => None,
            };
            let a = self
                .all
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| GuardError::Busy)?;
            Ok(Slot {
                _all: a,
                _unknown: u,
            })
        };
        tokio::time::timeout(wait, fut)
            .await
            .map_err(|_| GuardError::Busy)?
    }

    /// Runs CPU-heavy work on a blocking thread once one of the `max_running` places is free
    /// (admission already bounds how many wait for one). The slot and the place move into the
    /// blocking task and are released when the work ends, not when the caller stops waiting:
    /// a request dropped mid-hash (a client that hangs up) cannot leave hashing unbounded.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        slot: Slot,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GuardError> {
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| GuardError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _held = (slot, running);
            work()
        })
        .await
        .map_err(|e| GuardError::Hashing(format!("hashing task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_contexts_leave_the_reserve() {
        let pool = HashPool::new(HashingConfig {
            max_in_flight: 3,
            max_running: 2,
            trusted_reserve: 1,
            max_wait: Duration::from_millis(20),
            trusted_max_wait: Duration::from_millis(20),
        });
        let a = pool.acquire(Trust::Unknown).await.unwrap();
        let b = pool.acquire(Trust::Unknown).await.unwrap();
        assert!(matches!(
            pool.acquire(Trust::Unknown).await,
            Err(GuardError::Busy)
        ));
        let c = pool.acquire(Trust::Known).await.unwrap();
        assert!(matches!(
            pool.acquire(Trust::Known).await,
            Err(GuardError::Busy)
        ));
        drop((a, b, c));
        assert_eq!(
            pool.run(pool.acquire(Trust::Known).await.unwrap(), || 7)
                .await
                .unwrap(),
            7
        );
    }
}
