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
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::configuration::{Settings, decode_key};
use crate::routes;
use crate::state::{AppState, Inner};
use crate::vault::Vault;

/// The PSP's schema, embedded in the binary.
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

    /// Checks the settings, opens the vault, connects and migrates the database and binds the
    /// listener (port 0 picks a free one; an empty `public_base_url` means "where I listen").
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        settings.validate()?;
        if settings.api_keys.is_empty() {
            anyhow::bail!(
                "no agent API keys are configured: set [[api_keys]] or PSP_API_KEYS=agent=key"
            );
        }
        let keys = settings
            .vault
            .keys
            .iter()
            .map(|k| Ok((k.id.clone(), decode_key(&k.key)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let vault = Vault::new(
            &settings.vault.active_key,
            &keys,
            decode_key(&settings.vault.fingerprint_key)?,
        )?;
        let db = Db::connect(&settings.database, &MIGRATOR).await?;
        let addr = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let port = listener.local_addr()?.port();
        let base_url = if settings.server.public_base_url.is_empty() {
            format!("http://{}:{port}", settings.server.host)
        } else {
            settings
                .server
                .public_base_url
                .trim_end_matches('/')
                .to_owned()
        };
        let merchant_keys: Vec<ApiKeySetting> = settings
            .merchants
            .iter()
            .map(|m| ApiKeySetting {
                agent: m.id.clone(),
                key: m.secret_key.clone(),
            })
            .collect();
        let merchants: HashMap<String, String> = settings
            .merchants
            .iter()
            .map(|m| {
                (
                    m.id.clone(),
                    if m.name.is_empty() {
                        m.id.clone()
                    } else {
                        m.name.clone()
                    },
                )
            })
            .collect();
        let state = AppState::new(Inner {
            db,
            agent_keys: ApiKeys::new(&settings.api_keys),
            merchant_keys: ApiKeys::new(&merchant_keys),
            merchants,
            vault,
            inflight: InFlight::default(),
            clock,
            settings: settings.psp.clone(),
            base_url,
            body_limit: settings.server.request_body_limit_bytes,
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
        let janitor = tokio::spawn(purge_idempotency(self.state.clone(), stop_rx));
        tracing::info!(port = self.port, base_url = %self.state.base_url, "psp listening");
        kit::http::serve(
            self.listener,
            app,
            shutdown,
            stop_tx,
            Duration::from_secs(server.shutdown_timeout_secs),
        )
        .await
        .context("serving HTTP")?;
        let _ = janitor.await;
        self.state.db.close().await;
        Ok(())
    }
}

/// Forgets stored idempotent responses past retention, hourly.
async fn purge_idempotency(state: AppState, mut stop: watch::Receiver<bool>) {
    let retention = chrono::Duration::seconds(
        i64::try_from(state.settings.idempotency_retention_secs).unwrap_or(i64::MAX),
    );
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match kit::idempotency::purge(&state.db.write, state.clock.now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(forgotten = n, "purged idempotency records past retention"),
            Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
        }
    }
}
