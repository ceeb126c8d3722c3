//! The closed-loop driver: one task and one HTTP/1.1 connection per simulated client.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::scenario::{Kind, Plan};

#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("http://")
            .context("only http:// URLs are supported")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let (host, port) = authority
            .rsplit_once(':')
            .map_or((authority, Ok(80)), |(h, p)| (h, p.parse::<u16>()));
        Ok(Self {
            host: host.to_owned(),
            port: port.context("port")?,
        })
    }

    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

pub struct Report {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
}

impl Report {
    pub fn to_json(&self, label: &str, kind: Kind, connections: usize) -> String {
        let secs = self.elapsed.as_secs_f64();
        let q = |p: f64| self.latency_us.value_at_quantile(p) as f64 / 1000.0;
        serde_json::json!({
            "label": label,
            "scenario": format!("{kind:?}").to_lowercase(),
            "connections": connections,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": (secs * 100.0).round() / 100.0,
            "rps": (self.requests as f64 / secs).round(),
            "p50_ms": (q(0.50) * 100.0).round() / 100.0,
            "p99_ms": (q(0.99) * 100.0).round() / 100.0,
            "max_ms": (q(1.0) * 100.0).round() / 100.0,
        })
        .to_string()
    }
}

/// Runs `connections` clients for `warmup + measure`, recording only the measured part.
pub async fn run(
    target: &Target,
    plan: Plan,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<Report> {
    let plan = Arc::new(plan);
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let (plan, recording, stop, target) = (
            plan.clone(),
            recording.clone(),
            stop.clone(),
            target.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client(worker, &target, &plan, &recording, &stop).await
        }));
    }
    tokio::time::sleep(warmup).await;
    recording.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(measure).await;
    recording.store(false, Ordering::SeqCst);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);

    let mut total = Report {
        requests: 0,
        errors: 0,
        elapsed,
        latency_us: Histogram::new(3)?,
    };
    for t in tasks {
        let (requests, errors, hist) = t.await??;
        total.requests += requests;
        total.errors += errors;
        total.latency_us.add(hist)?;
    }
    Ok(total)
}

async fn client(
    worker: usize,
    target: &Target,
    plan: &Plan,
    recording: &AtomicBool,
    stop: &AtomicBool,
) -> anyhow::Result<(u64, u64, Histogram<u64>)> {
    let stream = TcpStream::connect(target.authority()).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut hist = Histogram::<u64>::new(3)?;
    let (mut requests, mut errors) = (0u64, 0u64);
    let mut seq: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let req = plan.request(worker, seq, &target.authority())?;
        sender.ready().await?;
        let sent = Instant::now();
        let resp = sender.send_request(req.map(Full::new)).await?;
        let ok = resp.status().is_success();
        let _body: Bytes = resp.into_body().collect().await?.to_bytes();
        if recording.load(Ordering::Relaxed) {
            requests += 1;
            if !ok {
                errors += 1;
            }
            hist.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        }
    }
    Ok((requests, errors, hist))
}
