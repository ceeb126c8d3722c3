//! Building and running the server.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kit::auth::ApiKeys;
use kit::clock::{Clock, SystemClock};
use kit::config::ApiKeySetting;
use kit::db::Db;
use kit::idempotency::InFlight;
use secrecy::ExposeSecret;
use shared::client::DelegateClient;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::chat::{Engine, TurnLocks, llm::LlmEngine};
use crate::configuration::{EngineKind, Settings};
use crate::search::SearchIndex;
use crate::shop::card::CardVault;
use crate::state::{AppState, ConversationRules, Inner, MerchantLink};
use crate::{feeds, routes};

/// The agent's schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Checks the settings, connects and migrates the database, opens the search index and
    /// brings it up to date with the feeds, and binds the listener (port 0 picks a free one).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        settings.validate()?;
        let db = Db::connect(&settings.database, &MIGRATOR).await?;
        let search = &settings.search;
        let index = Arc::new(
            SearchIndex::open(&search.index_dir, search.writer_memory_bytes).with_context(
                || format!("opening the search index in {}", search.index_dir.display()),
            )?,
        );
        let repaired = feeds::reconcile_index(&db, &index)
            .await
            .map_err(|e| anyhow::anyhow!("bringing the search index up to date: {e}"))?;
        if repaired > 0 {
            tracing::info!(feeds = repaired, "search index brought up to date");
        }
        let addr = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let port = listener.local_addr()?.port();
        if settings.merchants.is_empty() {
            tracing::warn!("no merchants are configured: every order webhook will be refused");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        let feed_keys = ApiKeys::new(
            &settings
                .merchants
                .iter()
                .filter(|m| !m.feed_key.expose_secret().is_empty())
                .map(|m| ApiKeySetting {
                    agent: m.id.clone(),
                    key: m.feed_key.clone(),
                })
                .collect::<Vec<_>>(),
        );
        let merchants = settings
            .merchants
            .iter()
            .filter(|m| !m.url.is_empty())
            .map(|m| {
                let name = if m.name.is_empty() {
                    m.id.clone()
                } else {
                    m.name.clone()
                };
                (
                    m.id.clone(),
                    MerchantLink::new(
                        m.id.clone(),
                        name,
                        m.url.clone(),
                        m.api_key.clone(),
                        http.clone(),
                    ),
                )
            })
            .collect();
        let psps: HashMap<String, DelegateClient> = settings
            .psps
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    DelegateClient::new(http.clone(), p.url.clone(), p.api_key.expose_secret()),
                )
            })
            .collect();
        let engine = match settings.conversation.engine {
            EngineKind::Builtin => Engine::Builtin,
            EngineKind::Llm => Engine::Llm(LlmEngine::new(&settings.llm)?),
        };
        let conversation = &settings.conversation;
        let state = AppState::new(Inner {
            db,
            clock,
            webhook_secrets: settings
                .merchants
                .iter()
                .map(|m| (m.id.clone(), m.webhook_secret.clone()))
                .collect(),
            webhook_tolerance: settings.tolerance(),
            body_limit: settings.server.request_body_limit_bytes,
            index,
            feed_lock: tokio::sync::Mutex::new(()),
            feed_keys,
            inflight: InFlight::default(),
            merchants,
            psps,
            cards: CardVault::new(Duration::from_secs(conversation.card_ttl_secs)),
            conversation: ConversationRules {
                results_shown: conversation.results_shown.clamp(1, 20),
                token_ttl: chrono::Duration::seconds(
                    i64::try_from(conversation.token_ttl_secs).unwrap_or(1800),
                ),
            },
            engine,
            turns: TurnLocks::default(),
        });
        Ok(Self {
            listener,
            port,
            state,
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then drains requests in flight (bounded by
    /// `shutdown_timeout_secs`).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let server = &self.settings.server;
        let app = routes::router(
            self.state.clone(),
            Duration::from_secs(server.request_timeout_secs),
        );
        let (stop_tx, stop_rx) = watch::channel(false);
        let every = self.settings.search.reconcile_interval_secs;
        let reconciler = (every > 0).then(|| {
            tokio::spawn(reconcile_loop(
                self.state.clone(),
                Duration::from_secs(every),
                stop_rx,
            ))
        });
        tracing::info!(port = self.port, "agent listening");
        kit::http::serve(
            self.listener,
            app,
            shutdown,
            stop_tx,
            Duration::from_secs(server.shutdown_timeout_secs),
        )
        .await
        .context("serving HTTP")?;
        if let Some(task) = reconciler {
            let _ = task.await;
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// Picks up feeds changed by another process (a file ingestion) and repairs a stale index.
async fn reconcile_loop(state: AppState, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match feeds::reconcile(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(feeds = n, "search index caught up with the database"),
            Err(e) => tracing::warn!(error = %e, "index reconciliation failed"),
        }
    }
}
