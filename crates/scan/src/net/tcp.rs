//! The TCP connect scan: a fixed pool of tokio workers pulling (address, port) jobs from a
//! shared counter, each job a non-blocking `connect` with a timeout and retries.
//!
//! Concurrency starts at the configured value capped below the open-file limit
//! (`RLIMIT_NOFILE`, read with the `rlimit` crate) and only ever shrinks: a worker that gets
//! `EMFILE`, `ENFILE`, `ENOBUFS` or `EADDRNOTAVAIL` lowers the shared limit by a quarter, backs
//! off and retries the same job, and workers above the limit retire after their current job.
//! Open connections are closed with a zero linger (an RST), so a full-range scan leaves no
//! `TIME_WAIT` sockets behind to exhaust ephemeral ports. Answers the kernel already has
//! (loopback, fast LANs) are read without the reactor on reused sockets; see `attempt`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::net::{TcpSocket, TcpStream};

use super::config::NetScanError;
use super::rate::RateLimiter;
use super::report::PortState;

/// How many times one job may back off for lack of sockets before the scan gives up.
const MAX_RESOURCE_BACKOFFS: u32 = 200;
/// Open-file descriptors kept free for the runtime, service probes and the caller.
const FD_RESERVE_MIN: u64 = 32;

/// The scan's knobs, taken from [`super::NetScanConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpScanOptions {
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
}

/// Counters shared by every phase of one scan.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Connection attempts and datagrams sent.
    pub(crate) probes: AtomicU64,
    /// Times a probe waited because no socket could be had.
    pub(crate) backoffs: AtomicU64,
}

/// Shared state of one scan's workers.
struct Shared {
    jobs: Vec<SocketAddr>,
    next: AtomicUsize,
    states: Vec<AtomicU8>,
    allowed: AtomicUsize,
    counters: Arc<Counters>,
    limiter: Option<Arc<RateLimiter>>,
    opts: TcpScanOptions,
}

/// The concurrency actually used: the configured one, capped below the open-file limit.
pub(crate) fn effective_concurrency(configured: usize) -> usize {
    let soft = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft);
    let reserve = FD_RESERVE_MIN.max(soft / 10);
    let cap = usize::try_from(soft.saturating_sub(reserve))
        .unwrap_or(usize::MAX)
        .max(1);
    configured.min(cap)
}

/// Connects to every job once (plus retries); returns one state per job, in job order.
pub(crate) async fn scan(
    jobs: Vec<SocketAddr>,
    opts: TcpScanOptions,
    limiter: Option<Arc<RateLimiter>>,
    counters: Arc<Counters>,
) -> Result<Vec<PortState>, NetScanError> {
    let workers = effective_concurrency(opts.concurrency)
        .min(jobs.len())
        .max(1);
    let states = (0..jobs.len()).map(|_| AtomicU8::new(0)).collect();
    let shared = Arc::new(Shared {
        jobs,
        next: AtomicUsize::new(0),
        states,
        allowed: AtomicUsize::new(workers),
        counters,
        limiter,
        opts,
    });
    let mut set = tokio::task::JoinSet::new();
    for id in 0..workers {
        let shared = Arc::clone(&shared);
        set.spawn(async move { worker(id, &shared).await });
    }
    let mut first_err = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                // Stop handing out jobs; the other workers finish their current one and exit.
                shared.next.store(usize::MAX / 2, Ordering::SeqCst);
                first_err.get_or_insert(e);
            }
            Err(join) => {
                shared.next.store(usize::MAX / 2, Ordering::SeqCst);
                let reason = format!("a connect-scan worker failed: {join}");
                first_err.get_or_insert(NetScanError::Internal { reason });
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(shared
        .states
        .iter()
        .map(|s| decode(s.load(Ordering::Relaxed)))
        .collect())
}

async fn worker(id: usize, shared: &Shared) -> Result<(), NetScanError> {
    let mut spare = Spare::default();
    let mut since_yield = 0u32;
    loop {
        if id >= shared.allowed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let idx = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(addr) = shared.jobs.get(idx).copied() else {
            return Ok(());
        };
        let state = probe_with_backoff(addr, shared, &mut spare).await?;
        shared.states[idx].store(encode(state), Ordering::Relaxed);
        // Fast-path answers never await; yield now and then so timers and peers get to run.
        since_yield += 1;
        if since_yield >= 64 {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }
}

/// One job: attempts until a definite answer or the retries run out, backing off (and
/// shrinking the pool) while sockets are exhausted.
async fn probe_with_backoff(
    addr: SocketAddr,
    shared: &Shared,
    spare: &mut Spare,
) -> Result<PortState, NetScanError> {
    let mut backoffs = 0u32;
    let mut attempts = 0u32;
    loop {
        if let Some(limiter) = &shared.limiter {
            limiter.acquire().await;
        }
        match attempt(addr, shared.opts.timeout, spare).await {
            Attempt::Done(state) => {
                shared.counters.probes.fetch_add(1, Ordering::Relaxed);
                return Ok(state);
            }
            Attempt::Silent => {
                shared.counters.probes.fetch_add(1, Ordering::Relaxed);
                attempts += 1;
                if attempts > shared.opts.retries {
                    return Ok(PortState::Filtered);
                }
            }
            Attempt::OutOfSockets(source) => {
                backoffs += 1;
                shared.counters.backoffs.fetch_add(1, Ordering::Relaxed);
                if backoffs > MAX_RESOURCE_BACKOFFS {
                    return Err(NetScanError::Resources { addr, source });
                }
                shrink(&shared.allowed);
                let pause = Duration::from_millis(u64::from(backoffs.min(20)) * 5);
                tracing::debug!(%addr, error = %source, ?pause, "out of sockets; backing off");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

/// The outcome of one connection attempt.
#[derive(Debug)]
enum Attempt {
    /// Open (connected) or closed (refused, or unreachable by ICMP).
    Done(PortState),
    /// No answer within the timeout.
    Silent,
    /// No socket could be made now; not the target's fault.
    OutOfSockets(io::Error),
}

/// A worker's unconnected sockets, one per address family, reused across refused attempts.
#[derive(Default)]
struct Spare {
    v4: Option<Socket>,
    v6: Option<Socket>,
}

impl Spare {
    fn take(&mut self, addr: SocketAddr) -> io::Result<Socket> {
        let slot = if addr.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        };
        if let Some(s) = slot.take() {
            return Ok(s);
        }
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        Ok(socket)
    }

    fn put_back(&mut self, addr: SocketAddr, socket: Socket) {
        *(if addr.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        }) = Some(socket);
    }
}

/// One connection attempt, answered without the reactor when the kernel already knows.
///
/// A non-blocking `connect` says `EINPROGRESS`; a second `connect` to the same address then
/// reports the outcome if the handshake is already decided (always so on loopback and often on
/// a LAN): success or `EISCONN` for open, `ECONNREFUSED` for closed, `EALREADY` for undecided.
/// The second call sends nothing. After a refusal Linux resets the socket to unconnected, so the
/// same socket serves the next port: two system calls per closed port instead of five. An
/// undecided attempt is handed to tokio to wait for writability under the timeout.
async fn attempt(addr: SocketAddr, timeout: Duration, spare: &mut Spare) -> Attempt {
    let socket = match spare.take(addr) {
        Ok(s) => s,
        Err(e) => return classify_error(e),
    };
    let target = SockAddr::from(addr);
    let first = socket.connect(&target);
    let outcome = match first {
        Err(e) if e.raw_os_error() == Some(EINPROGRESS) => socket.connect(&target),
        other => other,
    };
    match outcome {
        Ok(()) => open(&socket, addr),
        Err(e) if e.raw_os_error() == Some(EISCONN) => open(&socket, addr),
        Err(e) if e.raw_os_error() == Some(EALREADY) => wait_connected(socket, timeout).await,
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            spare.put_back(addr, socket);
            Attempt::Done(PortState::Closed)
        }
        Err(e) => classify_error(e),
    }
}

/// Marks an open port and resets the connection: a zero linger makes close send RST, so there
/// is no FIN handshake to wait for and no `TIME_WAIT` socket holding an ephemeral port.
fn open(socket: &Socket, target: SocketAddr) -> Attempt {
    let _ = socket.set_linger(Some(Duration::ZERO));
    let local = socket.local_addr().ok().and_then(|a| a.as_socket());
    Attempt::Done(connected_state(local, target))
}

/// A connection whose source is its own destination is TCP's simultaneous open with itself:
/// the kernel picked the scanned port as the ephemeral port, and nothing listens there.
fn connected_state(local: Option<SocketAddr>, target: SocketAddr) -> PortState {
    if local == Some(target) {
        PortState::Closed
    } else {
        PortState::Open
    }
}

async fn wait_connected(socket: Socket, timeout: Duration) -> Attempt {
    let stream = match TcpStream::from_std(std::net::TcpStream::from(socket)) {
        Ok(s) => s,
        Err(e) => return classify_error(e),
    };
    match tokio::time::timeout(timeout, stream.writable()).await {
        Err(_) => Attempt::Silent,
        Ok(Err(e)) => classify_error(e),
        Ok(Ok(())) => match stream.take_error() {
            Ok(Some(e)) | Err(e) => classify_error(e),
            Ok(None) => match stream.peer_addr() {
                Ok(peer) => {
                    let _ = stream.set_zero_linger();
                    Attempt::Done(connected_state(stream.local_addr().ok(), peer))
                }
                Err(_) => Attempt::Done(PortState::Filtered),
            },
        },
    }
}

/// Connects with a timeout through tokio (service probes keep the stream): `Ok(None)` on silence.
pub(crate) async fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Option<TcpStream>> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    match tokio::time::timeout(timeout, socket.connect(addr)).await {
        Ok(Ok(stream)) => Ok(Some(stream)),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

// errno values are Linux's; the io::ErrorKind mapping covers the portable ones.
const ENFILE: i32 = 23;
const EMFILE: i32 = 24;
const ENOBUFS: i32 = 105;
const EISCONN: i32 = 106;
const EALREADY: i32 = 114;
const EINPROGRESS: i32 = 115;

fn classify_error(e: io::Error) -> Attempt {
    match (e.kind(), e.raw_os_error()) {
        (io::ErrorKind::ConnectionRefused, _) => Attempt::Done(PortState::Closed),
        (io::ErrorKind::AddrNotAvailable, _) => Attempt::OutOfSockets(e),
        (_, Some(EMFILE | ENFILE | ENOBUFS)) => Attempt::OutOfSockets(e),
        (io::ErrorKind::TimedOut, _) => Attempt::Silent,
        // Host or network unreachable (ICMP) and anything else: no service answered.
        _ => Attempt::Done(PortState::Filtered),
    }
}

/// Lowers the shared worker limit by a quarter, never below one.
fn shrink(allowed: &AtomicUsize) {
    let _ = allowed.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
        (n > 1).then(|| (n - n.div_ceil(4)).max(1))
    });
}

fn encode(state: PortState) -> u8 {
    match state {
        PortState::Open => 1,
        PortState::Closed => 2,
        PortState::Filtered => 3,
    }
}

fn decode(code: u8) -> PortState {
    match code {
        1 => PortState::Open,
        2 => PortState::Closed,
        // 0 is a job never run, which only happens when the scan failed and returns early.
        _ => PortState::Filtered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_goes_down_by_quarters_to_one() {
        let a = AtomicUsize::new(100);
        let mut seen = Vec::new();
        for _ in 0..20 {
            shrink(&a);
            seen.push(a.load(Ordering::Relaxed));
        }
        assert_eq!(&seen[..4], [75, 56, 42, 31]);
        assert_eq!(*seen.last().unwrap_or(&0), 1);
    }

    #[test]
    fn connecting_to_itself_is_not_an_open_port() {
        let a: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:40001".parse().unwrap();
        assert_eq!(connected_state(Some(a), a), PortState::Closed);
        assert_eq!(connected_state(Some(b), a), PortState::Open);
        assert_eq!(connected_state(None, a), PortState::Open);
    }

    #[test]
    fn errors_map_to_states() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            classify_error(refused),
            Attempt::Done(PortState::Closed)
        ));
        let emfile = io::Error::from_raw_os_error(24);
        assert!(matches!(classify_error(emfile), Attempt::OutOfSockets(_)));
        let unreachable = io::Error::from_raw_os_error(113);
        assert!(matches!(
            classify_error(unreachable),
            Attempt::Done(PortState::Filtered)
        ));
    }

    #[test]
    fn concurrency_is_capped_below_the_fd_limit() {
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        let got = effective_concurrency(usize::MAX) as u64;
        assert!(got < soft && got >= 1, "{got} vs {soft}");
        assert_eq!(effective_concurrency(3), 3);
    }
}
