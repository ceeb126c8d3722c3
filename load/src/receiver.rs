//! A webhook receiver for the purchase benchmark: verifies each order event's signature and
//! measures delivery latency, from the moment the `complete` that created the order was
//! answered (the order is committed just before) to the moment its `order_create` event was
//! acknowledged. An event can arrive before the answer does; it then counts as 0.
//!
//! In backlog mode it first refuses every event (as a receiver that is down), so the merchant's
//! outbox fills up; [`Receiver::drain`] then starts accepting and measures how fast the backlog
//! is delivered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hdrhistogram::Histogram;

pub struct Receiver {
    secret: String,
    /// Per checkout session completed while recording: what has been seen of it so far.
    pending: Mutex<HashMap<String, Seen>>,
    latency_us: Mutex<Histogram<u64>>,
    events: AtomicU64,
    rejected: AtomicU64,
    recording: AtomicBool,
    /// Answering 503 to everything, while a backlog builds up.
    refusing: AtomicBool,
    /// In backlog mode, every session completed (warm-up included), and when its event was
    /// finally acknowledged.
    backlog: Mutex<HashMap<String, Option<Instant>>>,
}

/// The first of the two moments to be seen; the second one settles the measurement.
enum Seen {
    Answered(Instant),
    Acknowledged(Instant),
}

/// What the receiver saw of the purchases completed during the measured window.
pub struct Deliveries {
    pub events: u64,
    pub rejected: u64,
    /// Purchases whose event had not arrived when the grace period ran out.
    pub missing: u64,
    pub latency_us: Histogram<u64>,
}

/// How a backlog of refused events drained once the receiver accepted them.
pub struct Drain {
    /// Events of the purchases made while refusing, delivered once accepted.
    pub delivered: u64,
    /// Those that had not been delivered when the wait ran out.
    pub undelivered: u64,
    /// From the first acknowledgement to the last.
    pub elapsed: Duration,
}

impl Receiver {
    /// Starts listening on `addr`.
    pub async fn start(
        addr: SocketAddr,
        secret: String,
        refusing: bool,
    ) -> anyhow::Result<Arc<Self>> {
        let receiver = Arc::new(Self {
            secret,
            pending: Mutex::new(HashMap::new()),
            latency_us: Mutex::new(Histogram::new(3)?),
            events: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            recording: AtomicBool::new(false),
            refusing: AtomicBool::new(refusing),
            backlog: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/agentic_checkout/webhooks/order_events", post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(receiver)
    }

    pub fn recording(&self, on: bool) {
        self.recording.store(on, Ordering::SeqCst);
    }

    /// `session`'s complete was answered `completed`.
    pub fn completed(&self, session: &str) {
        if self.refusing.load(Ordering::Relaxed) {
            self.backlog
                .lock()
                .expect("lock")
                .entry(session.to_owned())
                .or_insert(None);
        } else if self.recording.load(Ordering::Relaxed) {
            self.settle(session, Seen::Answered(Instant::now()));
        }
    }

    fn settle(&self, session: &str, now: Seen) {
        let mut pending = self.pending.lock().expect("lock");
        let latency = match (pending.remove(session), now) {
            (None, seen) => {
                pending.insert(session.to_owned(), seen);
                return;
            }
            (Some(Seen::Answered(at)), Seen::Acknowledged(acked))
            | (Some(Seen::Acknowledged(acked)), Seen::Answered(at)) => {
                acked.saturating_duration_since(at)
            }
            // The same moment twice (a redelivery): keep the first.
            (Some(first), _) => {
                pending.insert(session.to_owned(), first);
                return;
            }
        };
        drop(pending);
        self.events.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let _ = self.latency_us.lock().expect("lock").record(us);
    }

    /// Waits up to `grace` for the events of purchases completed while recording, then reports.
    pub async fn finish(&self, grace: Duration) -> Deliveries {
        let answered = |p: &HashMap<String, Seen>| {
            p.values()
                .filter(|s| matches!(s, Seen::Answered(_)))
                .count()
        };
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && answered(&self.pending.lock().expect("lock")) > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Deliveries {
            events: self.events.load(Ordering::SeqCst),
            rejected: self.rejected.load(Ordering::SeqCst),
            missing: u64::try_from(answered(&self.pending.lock().expect("lock")))
                .unwrap_or(u64::MAX),
            latency_us: self.latency_us.lock().expect("lock").clone(),
        }
    }
}

impl Receiver {
    /// Starts accepting, and waits up to `limit` for every refused event to be delivered.
    pub async fn drain(&self, limit: Duration) -> Drain {
        self.refusing.store(false, Ordering::SeqCst);
        let deadline = Instant::now() + limit;
        let undelivered = || {
            let backlog = self.backlog.lock().expect("lock");
            backlog.values().filter(|acked| acked.is_none()).count()
        };
        while Instant::now() < deadline && undelivered() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let backlog = self.backlog.lock().expect("lock");
        let acked: Vec<Instant> = backlog.values().flatten().copied().collect();
        let elapsed = match (acked.iter().min(), acked.iter().max()) {
            (Some(first), Some(last)) => last.duration_since(*first),
            _ => Duration::ZERO,
        };
        Drain {
            delivered: u64::try_from(acked.len()).unwrap_or(u64::MAX),
            undelivered: u64::try_from(backlog.len() - acked.len()).unwrap_or(u64::MAX),
            elapsed,
        }
    }
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let now = chrono::Utc::now().timestamp();
    let header = headers
        .get(shared::signature::HEADER)
        .and_then(|v| v.to_str().ok());
    if shared::signature::verify(
        header,
        &body,
        r.secret.as_bytes(),
        now,
        shared::signature::DEFAULT_TOLERANCE,
    )
    .is_err()
    {
        r.rejected.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::UNAUTHORIZED, r#"{"received":false}"#);
    }
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(session) = event["data"]["checkout_session_id"]
        .as_str()
        .filter(|_| event["type"] == "order_create")
    else {
        return (StatusCode::OK, r#"{"received":true}"#);
    };
    if r.refusing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, r#"{"received":false}"#);
    }
    if let Some(acked) = r.backlog.lock().expect("lock").get_mut(session) {
        acked.get_or_insert_with(Instant::now);
        return (StatusCode::OK, r#"{"received":true}"#);
    }
    r.settle(session, Seen::Acknowledged(Instant::now()));
    (StatusCode::OK, r#"{"received":true}"#)
}
