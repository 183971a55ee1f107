//! The hashing pool: at most `max_in_flight` attempts admitted at once (about twice the cores;
//! an admitted attempt is counted, looked up and hashed while it holds its slot), and hashes
//! computed on `max_running` threads of the pool's own (the cores), so they never stall the async
//! workers. Running more hashes than cores only makes each slower (measured on two cores: 122
//! hashes/s with two threads, 100 with four, as 19 MiB working sets evict each other from the
//! cache). Each hashing thread is pinned to a core of its own when the process may use at least
//! that many: left to the scheduler, two hashes sometimes share a core while the other idles
//! (about 7 % of the cores idle under load, measured). Contexts the account does not know may hold
//! at most `max_in_flight − trusted_reserve` admissions and wait at most `max_wait` for one, so a
//! flood of guesses cannot put more than a few hashes ahead of a known device, and cannot turn
//! into an unbounded queue of 19 MiB hashes.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::GuardError;
use crate::limits::Trust;

/// How much hashing may happen at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingConfig {
    /// Evaluations admitted at most (default: twice the available cores).
    pub max_in_flight: usize,
    /// Evaluations computing at once: the number of hashing threads (default: the available
    /// cores).
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

/// Work for a hashing thread. It returns what hands its result to the caller, which the thread
/// runs only after it has marked itself idle (see [`Queue`]).
type Job = Box<dyn FnOnce() -> Deliver + Send + 'static>;
type Deliver = Box<dyn FnOnce() + Send + 'static>;

/// The hashing threads' queue. Work goes to the lowest-numbered idle thread, so hashes that come
/// one at a time always run on the same thread and core: handing them out in turn would put
/// every other request on the other core, and any difference between the cores' loads would
/// show as a difference between those requests (between a known and an unknown account, say,
/// when they alternate). Work that finds no idle thread waits in a shared queue.
struct Queue {
    state: Mutex<QueueState>,
    wake: Vec<Condvar>,
}

struct QueueState {
    shared: VecDeque<Job>,
    own: Vec<Option<Job>>,
    idle: Vec<bool>,
    closed: bool,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, job: Job) {
        let mut state = self.lock();
        match state.idle.iter().position(|&idle| idle) {
            Some(i) => {
                state.idle[i] = false;
                state.own[i] = Some(job);
                self.wake[i].notify_one();
            }
            None => state.shared.push_back(job),
        }
    }

    /// The next job for thread `i`, waiting while there is none; `None` once closed.
    fn next(&self, i: usize) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.own[i].take() {
                return Some(job);
            }
            if let Some(job) = state.shared.pop_front() {
                state.idle[i] = false;
                return Some(job);
            }
            if state.closed {
                return None;
            }
            state.idle[i] = true;
            state = self.wake[i]
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Thread `i` finished its job: it takes new work first unless older work is waiting.
    /// Returns whether the thread has nothing to do now.
    fn finished(&self, i: usize) -> bool {
        let mut state = self.lock();
        if state.shared.is_empty() && state.own[i].is_none() {
            state.idle[i] = true;
        }
        state.idle[i]
    }

    fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        for w in &self.wake {
            w.notify_one();
        }
    }
}

/// What a hashing thread calls when it runs out of work.
type IdleFn = dyn Fn() + Send + Sync;
/// [`IdleFn`], shared by the threads.
pub(crate) type OnIdle = Arc<IdleFn>;

/// The bounded hashing pool.
pub(crate) struct HashPool {
    all: Arc<Semaphore>,
    unknown: Arc<Semaphore>,
    queue: Arc<Queue>,
    cfg: HashingConfig,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl HashPool {
    /// Starts `max_running` hashing threads; they end when the pool is dropped. A thread that
    /// runs out of work calls `on_idle` (the hasher's wipe of its kept working memory).
    pub(crate) fn new(
        cfg: HashingConfig,
        on_idle: Option<&OnIdle>,
    ) -> Result<HashPool, GuardError> {
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState {
                shared: VecDeque::new(),
                own: (0..cfg.max_running).map(|_| None).collect(),
                idle: vec![true; cfg.max_running],
                closed: false,
            }),
            wake: (0..cfg.max_running).map(|_| Condvar::new()).collect(),
        });
        let cores = cores_for(cfg.max_running);
        for i in 0..cfg.max_running {
            let (q, core, idle) = (queue.clone(), cores.get(i).copied(), on_idle.cloned());
            let started = std::thread::Builder::new()
                .name(format!("guard-hash-{i}"))
                .spawn(move || hashing_thread(&q, i, core, idle.as_deref()));
            if let Err(e) = started {
                queue.close();
                return Err(GuardError::Config(format!(
                    "cannot start a hashing thread: {e}"
                )));
            }
        }
        Ok(HashPool {
            all: Arc::new(Semaphore::new(cfg.max_in_flight)),
            unknown: Arc::new(Semaphore::new(cfg.max_in_flight - cfg.trusted_reserve)),
            queue,
            cfg,
        })
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

    /// Runs CPU-heavy work on a hashing thread (admission already bounds how many wait for
    /// one). The slot moves into the work and is released when the work ends, not when the
    /// caller stops waiting: a request dropped mid-hash (a client that hangs up) cannot leave
    /// hashing unbounded.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        slot: Slot,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GuardError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let out = work();
            drop(slot);
            Box::new(move || {
                // A receiver that is gone (the caller hung up) does not matter.
                let _ = done.send(out);
            })
        });
        self.queue.push(job);
        result
            .await
            .map_err(|_| GuardError::Hashing("the hashing task failed".into()))
    }
}

/// Hashing thread `i`: takes work from the queue until the pool is dropped. A job that panics
/// fails its caller (its result is never sent) but not the thread.
fn hashing_thread(queue: &Queue, i: usize, core: Option<usize>, on_idle: Option<&IdleFn>) {
    if on_idle.is_some() {
        crate::hash::defer_wipes_on_this_thread();
    }
    if let Some(core) = core {
        let mut set = rustix::thread::CpuSet::new();
        set.set(core);
        if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
            tracing::debug!(core, error = %e, "hashing thread not pinned");
        }
    }
    while let Some(job) = queue.next(i) {
        let deliver = catch_unwind(AssertUnwindSafe(job));
        if queue.finished(i)
            && let Some(f) = on_idle
        {
            f();
        }
        match deliver {
            Ok(deliver) => deliver(),
            Err(_) => tracing::error!("a hashing job panicked"),
        }
    }
}

/// The cores the hashing threads are pinned to: the first `threads` of those this process may
/// run on, or none when it may run on fewer (pinning two hashes to one core would be worse than
/// letting the scheduler choose).
fn cores_for(threads: usize) -> Vec<usize> {
    let Ok(allowed) = rustix::thread::sched_getaffinity(None) else {
        return Vec::new();
    };
    let cores: Vec<usize> = (0..rustix::thread::CpuSet::MAX_CPU)
        .filter(|&c| allowed.is_set(c))
        .take(threads)
        .collect();
    if cores.len() < threads {
        return Vec::new();
    }
    cores
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of `threads` hashing threads, otherwise as configured by default.
    fn running(threads: usize) -> HashPool {
        HashPool::new(
            HashingConfig {
                max_running: threads,
                ..HashingConfig::default()
            },
            None,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn unknown_contexts_leave_the_reserve() {
        let pool = HashPool::new(
            HashingConfig {
                max_in_flight: 3,
                max_running: 2,
                trusted_reserve: 1,
                max_wait: Duration::from_millis(20),
                trusted_max_wait: Duration::from_millis(20),
            },
            None,
        )
        .unwrap();
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

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_and_the_threads_go_on() {
        let pool = running(1);
        let slot = pool.acquire(Trust::Known).await.unwrap();
        let failed = pool.run(slot, || -> u32 { panic!("boom") }).await;
        assert!(matches!(failed, Err(GuardError::Hashing(_))));
        for i in 0..pool.cfg.max_in_flight * 2 {
            let slot = pool.acquire(Trust::Known).await.unwrap();
            assert_eq!(
                pool.run(slot, move || i).await.unwrap(),
                i,
                "slots come back"
            );
        }
    }

    #[tokio::test]
    async fn work_one_at_a_time_stays_on_one_thread_and_concurrent_work_spreads() {
        let pool = running(2);
        let name = || std::thread::current().name().unwrap_or_default().to_owned();
        for _ in 0..6 {
            let slot = pool.acquire(Trust::Known).await.unwrap();
            assert_eq!(pool.run(slot, name).await.unwrap(), "guard-hash-0");
        }
        let slow = move || {
            std::thread::sleep(Duration::from_millis(50));
            name()
        };
        let (a, b) = (
            pool.acquire(Trust::Known).await.unwrap(),
            pool.acquire(Trust::Known).await.unwrap(),
        );
        let (x, y) = tokio::join!(pool.run(a, slow), pool.run(b, slow));
        assert_ne!(x.unwrap(), y.unwrap(), "two at once run on both threads");
    }

    #[test]
    fn hashing_threads_get_distinct_cores_or_none() {
        let cores = cores_for(2);
        assert!(cores.is_empty() || (cores.len() == 2 && cores[0] != cores[1]));
        assert!(cores_for(rustix::thread::CpuSet::MAX_CPU + 1).is_empty());
    }
}
