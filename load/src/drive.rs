//! The closed-loop driver: one task per simulated client, each with its own keep-alive HTTP/1.1
//! connection to every server it talks to. An iteration is one unit of work (one request, or a
//! whole purchase of several); its latency and each step's are recorded.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
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

/// One keep-alive connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    pub authority: String,
}

impl Conn {
    pub async fn open(target: &Target) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(target.authority()).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self {
            sender,
            authority: target.authority(),
        })
    }

    pub async fn send(&mut self, req: Request<Bytes>) -> anyhow::Result<(StatusCode, Bytes)> {
        self.sender.ready().await?;
        let resp = self.sender.send_request(req.map(Full::new)).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// Where a simulated client sends its requests.
pub struct Conns {
    /// The merchant (or the ceiling server).
    pub main: Conn,
    /// The PSP, for scenarios that delegate payments.
    pub psp: Option<Conn>,
}

/// Step latencies of one iteration, in the order taken.
#[derive(Default)]
pub struct Steps(pub Vec<(&'static str, Duration)>);

impl Steps {
    /// Times one step.
    pub async fn time<T>(
        &mut self,
        name: &'static str,
        step: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        let out = step.await;
        self.0.push((name, started.elapsed()));
        out
    }
}

pub struct Report {
    /// Anything the scenario measured besides its requests (the purchase's webhooks).
    pub extra: Option<(&'static str, serde_json::Value)>,
    pub iterations: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
    pub steps_us: BTreeMap<&'static str, Histogram<u64>>,
    /// The first failure seen, to say why errors were counted.
    pub first_error: Option<String>,
}

fn millis(h: &Histogram<u64>, q: f64) -> f64 {
    (h.value_at_quantile(q) as f64 / 10.0).round() / 100.0
}

impl Report {
    pub fn to_json(&self, label: &str, kind: Kind, connections: usize) -> String {
        let secs = self.elapsed.as_secs_f64();
        let steps: serde_json::Map<String, serde_json::Value> = self
            .steps_us
            .iter()
            .map(|(name, h)| {
                (
                    (*name).to_owned(),
                    serde_json::json!({"p50_ms": millis(h, 0.5), "p99_ms": millis(h, 0.99)}),
                )
            })
            .collect();
        let mut out = serde_json::json!({
            "label": label,
            "scenario": format!("{kind:?}").to_lowercase(),
            "connections": connections,
            "requests": self.iterations,
            "errors": self.errors,
            "seconds": (secs * 100.0).round() / 100.0,
            "rps": (self.iterations as f64 / secs).round(),
            "p50_ms": millis(&self.latency_us, 0.5),
            "p99_ms": millis(&self.latency_us, 0.99),
            "max_ms": millis(&self.latency_us, 1.0),
        });
        if steps.len() > 1 {
            out["steps"] = steps.into();
        }
        if let Some(e) = &self.first_error {
            out["first_error"] = e.as_str().into();
        }
        if let Some((name, value)) = &self.extra {
            out[*name] = value.clone();
        }
        out.to_string()
    }
}

/// What one client records.
struct Tally {
    iterations: u64,
    errors: u64,
    latency: Histogram<u64>,
    steps: BTreeMap<&'static str, Histogram<u64>>,
    first_error: Option<String>,
}

/// Runs `connections` clients for `warmup + measure`, recording only the measured part.
pub async fn run(
    targets: (&Target, Option<&Target>),
    plan: Arc<Plan>,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<Report> {
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let (plan, recording, stop) = (plan.clone(), recording.clone(), stop.clone());
        let (main, psp) = (targets.0.clone(), targets.1.cloned());
        tasks.push(tokio::spawn(async move {
            let conns = Conns {
                main: Conn::open(&main).await?,
                psp: match &psp {
                    Some(t) => Some(Conn::open(t).await?),
                    None => None,
                },
            };
            client(worker, conns, &plan, &recording, &stop).await
        }));
    }
    tokio::time::sleep(warmup).await;
    recording.store(true, Ordering::SeqCst);
    plan.recording(true);
    let started = Instant::now();
    tokio::time::sleep(measure).await;
    recording.store(false, Ordering::SeqCst);
    plan.recording(false);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);

    let mut total = Report {
        extra: None,
        iterations: 0,
        errors: 0,
        elapsed,
        latency_us: Histogram::new(3)?,
        steps_us: BTreeMap::new(),
        first_error: None,
    };
    for t in tasks {
        let tally = t.await??;
        total.iterations += tally.iterations;
        total.errors += tally.errors;
        total.latency_us.add(tally.latency)?;
        for (name, h) in tally.steps {
            total
                .steps_us
                .entry(name)
                .or_insert(Histogram::new(3)?)
                .add(h)?;
        }
        total.first_error = total.first_error.or(tally.first_error);
    }
    Ok(total)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

async fn client(
    worker: usize,
    mut conns: Conns,
    plan: &Plan,
    recording: &AtomicBool,
    stop: &AtomicBool,
) -> anyhow::Result<Tally> {
    let mut tally = Tally {
        iterations: 0,
        errors: 0,
        latency: Histogram::new(3)?,
        steps: BTreeMap::new(),
        first_error: None,
    };
    let mut seq: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let mut steps = Steps::default();
        let started = Instant::now();
        // A transport failure ends the run; an answer that is not the expected one is counted.
        let outcome = plan.iteration(worker, seq, &mut conns, &mut steps).await?;
        let took = started.elapsed();
        if !recording.load(Ordering::Relaxed) {
            continue;
        }
        tally.iterations += 1;
        if let Err(why) = outcome {
            tally.errors += 1;
            tally.first_error.get_or_insert(why);
        }
        tally.latency.record(micros(took))?;
        for (name, d) in steps.0 {
            tally
                .steps
                .entry(name)
                .or_insert(Histogram::new(3)?)
                .record(micros(d))?;
        }
    }
    Ok(tally)
}
