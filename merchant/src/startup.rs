//! Building and running the server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::catalog::{Catalog, DEMO_SEED, SeedFile};
use crate::configuration::Settings;
use crate::creates::Creates;
use crate::state::{AppState, Inner};
use crate::webhooks::{self, Webhooks};
use crate::{checkout, feed, orders, routes, store};
use kit::auth::ApiKeys;
use kit::clock::{Clock, SystemClock};
use kit::db::Db;
use kit::idempotency::InFlight;

/// The merchant's schema, embedded in the binary.
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

    /// Connects the database (migrating it), makes sure a catalog is loaded, and binds the
    /// listener. Port 0 binds a free port; an empty `public_base_url` means "where I listen".
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        settings.validate()?;
        let keys = ApiKeys::new(&settings.api_keys);
        if keys.is_empty() {
            anyhow::bail!(
                "no agent API keys are configured: set [[api_keys]] in the config file or MERCHANT_API_KEYS=agent=key"
            );
        }
        let db = Db::connect(&settings.database, &MIGRATOR).await?;
        let catalog = ensure_catalog(&db, &settings, clock.now()).await?;
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
        let creates = Creates::configured(db.clone(), &settings.merchant);
        let webhooks = Webhooks::new(
            settings.webhooks.clone(),
            reqwest::Client::builder()
                .build()
                .context("building the webhook client")?,
        );
        let state = AppState::new(Inner {
            db,
            catalog: Arc::new(catalog),
            keys,
            admin_keys: ApiKeys::new(&settings.admin_keys),
            inflight: InFlight::default(),
            clock,
            merchant: settings.merchant.clone(),
            base_url,
            body_limit: settings.server.request_body_limit_bytes,
            psp: shared::client::PspClient::new(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(settings.payment.psp_timeout_secs))
                    .build()
                    .context("building the PSP client")?,
                settings.payment.psp_url.clone(),
                settings.payment.secret_key.expose_secret(),
            ),
            failpoint: std::env::var("MERCHANT_FAILPOINT")
                .ok()
                .filter(|f| !f.is_empty()),
            webhooks,
            demo_clock: settings
                .demo_clock
                .enabled
                .then(|| settings.demo_clock.clone()),
            feed: settings.feed.enabled().then(|| settings.feed.clone()),
            creates,
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

    /// Serves until `shutdown` resolves, then stops accepting, lets requests in flight finish
    /// (bounded by `shutdown_timeout_secs`) and stops the background sweeper after its item.
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
        // 0 turns the background sweep off (the tests drive expiry and recovery themselves).
        let sweeper = (self.state.merchant.expiry_sweep_interval_secs > 0)
            .then(|| tokio::spawn(sweep(self.state.clone(), stop_rx.clone())));
        let delivery = webhooks::spawn(&self.state, stop_rx.clone());
        let feed = feed::spawn(&self.state, stop_rx.clone());
        let demo_clock = self
            .state
            .demo_clock
            .is_some()
            .then(|| tokio::spawn(demo_clock(self.state.clone(), stop_rx.clone())));
        tracing::info!(port = self.port, base_url = %self.state.base_url, "merchant listening");
        kit::http::serve(
            self.listener,
            app,
            shutdown,
            stop_tx,
            Duration::from_secs(server.shutdown_timeout_secs),
        )
        .await
        .context("serving HTTP")?;
        for task in [sweeper, delivery, demo_clock, feed].into_iter().flatten() {
            let _ = task.await;
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// The catalog in the database, seeded first if the database has none.
async fn ensure_catalog(
    db: &Db,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Catalog> {
    if let Some(catalog) = store::catalog::load(&db.read).await? {
        return Ok(catalog);
    }
    let seed = read_seed(settings.catalog.seed_file.as_deref())?;
    let report = store::catalog::seed(&db.write, &seed, false, now).await?;
    tracing::info!(
        products = report.products,
        variants = report.variants,
        "catalog seeded"
    );
    Ok(Catalog::from_seed(seed))
}

/// The configured seed file, or the built-in demo catalog.
pub fn read_seed(path: Option<&std::path::Path>) -> anyhow::Result<SeedFile> {
    let text = match path {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => DEMO_SEED.to_owned(),
    };
    SeedFile::parse(&text).context("loading the catalog seed")
}

/// Finishes interrupted payments, expires sessions whose time is up, and forgets idempotency
/// records past retention.
async fn sweep(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.merchant.expiry_sweep_interval_secs);
    let retention = chrono::Duration::seconds(
        i64::try_from(state.merchant.idempotency_retention_secs).unwrap_or(i64::MAX),
    );
    let mut tick = tokio::time::interval(every);
    // On the first round every interrupted payment is from an earlier process; later, only
    // those older than any request still running could be.
    let mut first = true;
    let mut first_refunds = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let now = state.clock.now();
        let cutoff = if first {
            now
        } else {
            now - crate::complete::RECOVERY_GRACE
        };
        first = false;
        match crate::complete::recover(&state, cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(recovered = n, "finished interrupted payments"),
            Err(e) => tracing::warn!(error = %e, "payment recovery failed"),
        }
        let refund_cutoff = if first_refunds {
            now
        } else {
            now - orders::REFUND_GRACE
        };
        first_refunds = false;
        match orders::recover_refunds(&state, refund_cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(settled = n, "finished interrupted refunds"),
            Err(e) => tracing::warn!(error = %e, "refund recovery failed"),
        }
        match checkout::expire_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired checkout sessions"),
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
        }
        match kit::idempotency::purge(&state.db.write, state.clock.now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(forgotten = n, "purged idempotency records past retention"),
            Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
        }
    }
}

/// Moves orders along once a second, when the demo clock is on.
async fn demo_clock(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match orders::demo_clock_tick(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(moved = n, "demo clock moved orders along"),
            Err(e) => tracing::warn!(error = %e, "demo clock tick failed"),
        }
    }
}
