//! `custodian bench http`: a fixed-rate load generator for `GET /v1/people/{id}` against a running
//! server on loopback (refuses any other address). Latency is measured from each request's
//! scheduled start, so a stalled server cannot hide its queueing (no coordinated omission). The
//! run is bounded: `rate × seconds` requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::sync::Mutex;

use crate::config::Settings;

pub(crate) async fn run(
    s: &Settings,
    url: &str,
    key: &str,
    ids_file: &std::path::Path,
    rate: u32,
    seconds: u32,
    connections: usize,
) -> anyhow::Result<()> {
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .context("--url must be http://IP:PORT")?;
    if !addr.ip().is_loopback() {
        bail!(
            "bench http only targets loopback addresses, not {}",
            addr.ip()
        );
    }
    let ids: Vec<String> = std::fs::read_to_string(ids_file)
        .with_context(|| format!("reading {}", ids_file.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        bail!("{} holds no ids", ids_file.display());
    }
    let total = u64::from(rate) * u64::from(seconds);
    let (tx, rx) = tokio::sync::mpsc::channel::<(Instant, String)>(4096);
    let rx = Arc::new(Mutex::new(rx));
    let lat = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..connections.max(1) {
        let (rx, lat, errors, key) = (rx.clone(), lat.clone(), errors.clone(), key.to_owned());
        workers.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            loop {
                let Some((scheduled, id)) = rx.lock().await.recv().await else {
                    break;
                };
                let req = hyper::Request::get(format!("/v1/people/{id}"))
                    .header("host", addr.to_string())
                    .header("authorization", format!("Bearer {key}"))
                    .body(Empty::<Bytes>::new())?;
                let resp = sender.send_request(req).await?;
                let ok = resp.status().is_success();
                resp.into_body().collect().await?;
                if !ok {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                lat.lock().await.push(scheduled.elapsed());
            }
            anyhow::Ok(())
        }));
    }
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    for i in 0..total {
        let at = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(at.into()).await;
        let id = ids[(i as usize) % ids.len()].clone();
        if tx.send((at, id)).await.is_err() {
            break;
        }
    }
    drop(tx);
    for w in workers {
        w.await??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut v = lat.lock().await;
    let (p50, p99) = super::bench::percentiles(&mut v);
    let p999 = {
        let i = ((v.len() as f64) * 0.999) as usize;
        v.get(i.min(v.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    let out = json!({
        "requests": v.len(), "errors": errors.load(std::sync::atomic::Ordering::Relaxed),
        "target_rate": rate, "achieved_rate": v.len() as f64 / elapsed,
        "p50_ms": p50 / 1000.0, "p99_ms": p99 / 1000.0, "p999_ms": p999 / 1000.0,
    });
    if s.json {
        crate::output::json(&out);
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}
