//! Building and running the server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kit::clock::{Clock, SystemClock};
use kit::db::Db;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::configuration::Settings;
use crate::routes;
use crate::state::{AppState, Inner};

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

    /// Checks the settings, connects and migrates the database and binds the listener (port 0
    /// picks a free one).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        settings.validate()?;
        let db = Db::connect(&settings.database, &MIGRATOR).await?;
        let addr = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let port = listener.local_addr()?.port();
        if settings.merchants.is_empty() {
            tracing::warn!("no merchants are configured: every order webhook will be refused");
        }
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
        let (stop_tx, _) = watch::channel(false);
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
        self.state.db.close().await;
        Ok(())
    }
}
