//! Group commit for session creates: creates that arrive while earlier ones are being written
//! wait for them, then go to the database together, in one statement (PostgreSQL) or one
//! script (SQLite). When the shop is quiet a create is written at once, by the request itself.
//!
//! There are no writer tasks: `writers` permits say how many writes may run at once. A create
//! that gets a permit writes itself and whatever is queued (up to `max_batch`); one that does
//! not queues itself and waits, either for a write that takes it along or for a permit to write
//! the queue itself. Each write runs in a task of its own, so a request that goes away (the
//! client hung up) cannot leave the creates it took along unanswered. A batch that fails as a
//! unit is written one create at a time, so each request still gets its own outcome (created,
//! key taken, not enough stock).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kit::db::{Backend, Db, StoreError};
use tokio::sync::{Semaphore, oneshot};

use crate::configuration::MerchantSettings;
use crate::store::fast_create::{self, Job, Outcome};

type Answer = oneshot::Sender<Result<Outcome, StoreError>>;

struct Inner {
    db: Db,
    margin: u32,
    max_batch: usize,
    writers: Arc<Semaphore>,
    queue: Mutex<VecDeque<(Job, Answer)>>,
    stats: Counters,
}

#[derive(Default)]
struct Counters {
    writes: AtomicU64,
    batched: AtomicU64,
    refused: AtomicU64,
}

/// What the queue has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Writes to the database (a batch counts once).
    pub writes: u64,
    /// Creates that were written together with others.
    pub batched: u64,
    /// Batches that failed as a unit and were written one create at a time.
    pub refused: u64,
}

/// The fast-path creates of this process.
#[derive(Clone)]
pub struct Creates(Arc<Inner>);

impl Creates {
    /// `writers` writes may run at once (one is right for SQLite's single writer), each of at
    /// most `max_batch` creates; `margin` is the fast path's free-stock margin.
    pub fn new(db: Db, writers: usize, max_batch: usize, margin: u32) -> Self {
        Self(Arc::new(Inner {
            db,
            margin,
            max_batch: max_batch.max(1),
            writers: Arc::new(Semaphore::new(writers.max(1))),
            queue: Mutex::new(VecDeque::new()),
            stats: Counters::default(),
        }))
    }

    /// The merchant's creates as configured: one writer on SQLite (it has one), the configured
    /// number on PostgreSQL, and the fast path's margin.
    pub fn configured(db: Db, settings: &MerchantSettings) -> Self {
        let writers = match db.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => settings.create_writers,
        };
        Self::new(
            db,
            writers,
            settings.create_batch_max,
            crate::checkout::FAST_PATH_MARGIN,
        )
    }

    pub fn stats(&self) -> Stats {
        let c = &self.0.stats;
        Stats {
            writes: c.writes.load(Ordering::Relaxed),
            batched: c.batched.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }

    fn take(&self, n: usize) -> Vec<(Job, Answer)> {
        let mut q = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
        let n = n.min(q.len());
        q.drain(..n).collect()
    }

    /// Writes one create, alone or with others; the outcome is this create's.
    pub async fn create(&self, job: Job) -> Result<Outcome, StoreError> {
        let (answer, mut outcome) = oneshot::channel();
        let dropped = || StoreError::Inconsistent("a create was not answered".into());
        if let Ok(permit) = self.0.writers.clone().try_acquire_owned() {
            let mut batch = vec![(job, answer)];
            batch.extend(self.take(self.0.max_batch - 1));
            let this = self.clone();
            tokio::spawn(async move {
                this.write(batch).await;
                drop(permit);
            });
            return outcome.await.map_err(|_| dropped())?;
        }
        self.0
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back((job, answer));
        loop {
            tokio::select! {
                result = &mut outcome => return result.map_err(|_| dropped())?,
                permit = self.0.writers.clone().acquire_owned() => {
                    let Ok(permit) = permit else { return Err(dropped()) };
                    let batch = self.take(self.0.max_batch);
                    if batch.is_empty() {
                        // Another write took this create along: its answer is coming.
                        drop(permit);
                        return outcome.await.map_err(|_| dropped())?;
                    }
                    let this = self.clone();
                    tokio::spawn(async move {
                        this.write(batch).await;
                        drop(permit);
                    });
                }
            }
        }
    }

    async fn write(&self, batch: Vec<(Job, Answer)>) {
        let (db, margin, stats) = (&self.0.db, self.0.margin, &self.0.stats);
        if batch.len() > 1 {
            let jobs = batch.iter().map(|(j, _)| j.clone()).collect();
            stats.writes.fetch_add(1, Ordering::Relaxed);
            match fast_create::create_batch(db, jobs, margin).await {
                Ok(true) => {
                    let n = u64::try_from(batch.len()).unwrap_or(u64::MAX);
                    stats.batched.fetch_add(n, Ordering::Relaxed);
                    for (_, answer) in batch {
                        let _ = answer.send(Ok(Outcome::Created));
                    }
                    return;
                }
                Ok(false) => {
                    stats.refused.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        creates = batch.len(),
                        "batch refused; writing one at a time"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "batch failed; writing one at a time"),
            }
        }
        for (j, answer) in batch {
            stats.writes.fetch_add(1, Ordering::Relaxed);
            let outcome =
                fast_create::create(db, &j.session, &j.holds, margin, &j.scope, &j.response).await;
            let _ = answer.send(outcome);
        }
    }
}
