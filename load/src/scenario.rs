//! What each benchmark sends.

use anyhow::Context;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rand::RngExt;
use tokio::net::TcpStream;

use crate::drive::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `POST /checkout_sessions`: one in-stock item, a California address and an e-mail, so
    /// every session is fully priced, taxed and ready for payment.
    Create,
    /// `GET /checkout_sessions/{id}` over sessions created beforehand.
    Retrieve,
    /// `POST /ceiling` on the ceiling server: one insert.
    Ceiling,
}

pub struct Plan {
    kind: Kind,
    key: String,
    variants: Vec<String>,
    sessions: Vec<String>,
    /// Distinguishes idempotency keys of separate runs against one server.
    run_id: u64,
}

/// Physical variants of the demo catalog (the bench catalog has the same ids).
fn variants() -> Vec<String> {
    let seed = merchant::catalog::generate::generate(
        merchant::catalog::generate::demo_size(),
        merchant::catalog::generate::DEMO_RNG_SEED,
    );
    seed.products
        .iter()
        .filter(|p| !p.digital)
        .flat_map(|p| p.variants.iter().map(|v| v.id.clone()))
        .collect()
}

pub async fn prepare(kind: Kind, target: &Target, key: &str) -> anyhow::Result<Plan> {
    let mut plan = Plan {
        kind,
        key: key.to_owned(),
        variants: variants(),
        sessions: Vec::new(),
        run_id: rand::rng().random(),
    };
    if kind == Kind::Retrieve {
        // A pool of sessions to read, made with the create scenario itself.
        let stream = TcpStream::connect(target.authority()).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let maker = Plan {
            kind: Kind::Create,
            ..plan.clone_empty()
        };
        for i in 0..1000 {
            sender.ready().await?;
            let resp = sender
                .send_request(
                    maker
                        .request(usize::MAX, i, &target.authority())?
                        .map(Full::new),
                )
                .await?;
            anyhow::ensure!(
                resp.status().is_success(),
                "creating a session to read: {}",
                resp.status()
            );
            let body = resp.into_body().collect().await?.to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            plan.sessions
                .push(v["id"].as_str().context("session id")?.to_owned());
        }
    }
    Ok(plan)
}

impl Plan {
    fn clone_empty(&self) -> Plan {
        Plan {
            kind: self.kind,
            key: self.key.clone(),
            variants: self.variants.clone(),
            sessions: Vec::new(),
            run_id: self.run_id,
        }
    }

    pub fn request(
        &self,
        worker: usize,
        seq: u64,
        authority: &str,
    ) -> anyhow::Result<Request<Bytes>> {
        let mut rng = rand::rng();
        let builder = Request::builder()
            .header("Host", authority)
            .header("Authorization", format!("Bearer {}", self.key))
            .header("API-Version", "2026-04-17");
        let req = match self.kind {
            Kind::Create | Kind::Ceiling => {
                let variant = &self.variants[rng.random_range(0..self.variants.len())];
                let body = serde_json::json!({
                    "currency": "usd",
                    "line_items": [{"id": variant}],
                    "capabilities": {"interventions": {"supported": ["3ds"]}},
                    "buyer": {"email": "load@example.com", "first_name": "Load"},
                    "fulfillment_details": {"name": "Load Test", "address": {
                        "name": "Load Test", "line_one": "1 Market St", "city": "San Francisco",
                        "state": "CA", "country": "US", "postal_code": "94105"}},
                });
                let path = if self.kind == Kind::Create {
                    "/checkout_sessions"
                } else {
                    "/ceiling"
                };
                builder
                    .method("POST")
                    .uri(path)
                    .header("Content-Type", "application/json")
                    .header(
                        "Idempotency-Key",
                        format!("load-{:x}-{worker}-{seq}", self.run_id),
                    )
                    .body(Bytes::from(body.to_string()))?
            }
            Kind::Retrieve => {
                let id = &self.sessions[rng.random_range(0..self.sessions.len())];
                builder
                    .method("GET")
                    .uri(format!("/checkout_sessions/{id}"))
                    .body(Bytes::new())?
            }
        };
        Ok(req)
    }
}
