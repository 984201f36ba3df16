//! The pool of connections and, on SQLite, the writer thread and the checkpointer: `Db`,
//! through which every read and write goes (`read`, `write`, their async forms), and which
//! closes before the process exits.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};

use super::connection::{Backend, ConnectionManager, DbConnection};
use super::tickets::DaySequences;
use super::writer::{self, SqliteWriter};
use crate::config::Settings;

/// The database could not be used in time: no connection within the configured wait (it is
/// down or saturated), or no answer within `database.query_timeout_ms` (it hangs).
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("no database connection available: {0}")]
    NoConnection(#[from] diesel::r2d2::PoolError),
    #[error("the database did not answer within {0:?}; the work may still be done")]
    NoAnswer(Duration),
}

pub type PooledDb = PooledConnection<ConnectionManager>;

/// The pool, and on SQLite the writer thread.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    /// SQLite has one writer at a time: writes go to one thread that commits them in
    /// batches (see `writer`), rather than queuing on SQLite's busy handler, which sleeps in
    /// steps of milliseconds.
    sqlite_writer: Option<SqliteWriter>,
    /// How long async callers wait for the database's answer (see [`Db::run_async`]).
    query_timeout: Duration,
    /// Opens the pool's connections (and on SQLite the writer's and the checkpointer's).
    manager: ConnectionManager,
    /// How long opening a PostgreSQL connection may take.
    connect_timeout_secs: u64,
    /// The ticket-number sequences known to exist in this database (PostgreSQL).
    day_sequences: DaySequences,
    /// Alive while any clone of this `Db` is; the SQLite checkpointer stops when it is gone.
    _alive: Arc<()>,
}

impl Db {
    /// Opens the pool. Migrations must have run (see [`migrate`]).
    pub fn connect(settings: &Settings) -> anyhow::Result<Db> {
        let url = settings.database_url();
        let backend = Backend::of_url(&url);
        let manager = ConnectionManager::new(&url, &settings.database);
        let sqlite_manager = manager.clone();
        let kept_manager = manager.clone();
        let pool = Pool::builder()
            .error_handler(manager.error_handler())
            .max_size(settings.database.max_connections)
            .min_idle(Some(1))
            // A PostgreSQL connection can die with the server, so it is pinged before use; a
            // SQLite connection cannot, and the ping would cost a query per request.
            .test_on_check_out(backend == Backend::Postgres)
            .connection_timeout(Duration::from_millis(settings.database.acquire_timeout_ms))
            .build(manager)
            .with_context(|| format!("cannot open the {} database", backend.as_str()))?;
        let alive = Arc::new(());
        let sqlite_writer = if backend == Backend::Sqlite {
            spawn_checkpointer(
                sqlite_manager.clone(),
                Duration::from_millis(settings.database.sqlite_checkpoint_interval_ms.max(10)),
                Arc::downgrade(&alive),
            )?;
            Some(SqliteWriter::start(sqlite_manager).context("starting the SQLite writer")?)
        } else {
            None
        };
        Ok(Db {
            pool,
            backend,
            sqlite_writer,
            query_timeout: Duration::from_millis(settings.database.query_timeout_ms.max(1)),
            manager: kept_manager,
            connect_timeout_secs: settings.database.connect_timeout_secs,
            day_sequences: DaySequences::default(),
            _alive: alive,
        })
    }

    /// The pragmas a SQLite connection starts with, to set them again on a pooled connection
    /// after changing them for a while (the bulk load).
    pub fn sqlite_pragmas(&self) -> String {
        self.manager.sqlite_pragmas()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The ticket-number sequences this database is known to have, for filings.
    pub fn day_sequences(&self) -> DaySequences {
        self.day_sequences.clone()
    }

    pub fn conn(&self) -> Result<PooledDb, PoolError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` on a pooled connection, outside any transaction. For reads.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<PoolError>,
    {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction: committed when `f` returns `Ok`, rolled back otherwise.
    /// Returns once the outcome is durable (committed, or rolled back).
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<PoolError> + From<diesel::result::Error> + Send + 'static,
    {
        match &self.sqlite_writer {
            Some(writer) => writer.write(f),
            None => {
                let mut pooled = self.conn()?;
                let conn: &mut DbConnection = &mut pooled;
                conn.transaction(f)
            }
        }
    }

    /// Like [`write`](Self::write), for async code: on SQLite the task awaits the writer
    /// thread; on PostgreSQL the transaction runs on a blocking thread. Gives up waiting
    /// after `database.query_timeout_ms` (see [`run_async`](Self::run_async)).
    pub async fn write_async<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<PoolError> + From<diesel::result::Error> + Send + 'static,
    {
        match &self.sqlite_writer {
            Some(writer) => self.in_time(writer.write_async(f)).await,
            None => self.run_async(move |db| db.write(f)).await,
        }
    }

    /// Runs `f` with the database on a blocking thread, for async code. A database that hangs
    /// (a frozen server, a network that drops packets) would hold the caller as long as the
    /// kernel keeps the connection: after `database.query_timeout_ms` the caller gets
    /// [`PoolError::NoAnswer`] instead, while the thread finishes or fails when it can.
    pub async fn run_async<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<PoolError> + From<diesel::result::Error> + Send + 'static,
    {
        let db = self.clone();
        self.in_time(async move {
            tokio::task::spawn_blocking(move || f(&db))
                .await
                .map_err(|e| {
                    E::from(writer::writer_error(&format!(
                        "the database task failed: {e}"
                    )))
                })?
        })
        .await
    }

    async fn in_time<T, E: From<PoolError>>(
        &self,
        work: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        match tokio::time::timeout(self.query_timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(E::from(PoolError::NoAnswer(self.query_timeout))),
        }
    }

    /// Lets no more connections be opened and waits for those the pool's threads are opening,
    /// so that the process may exit (see `Openings`). For the end of a command or a server:
    /// afterwards, whatever needs a new connection fails.
    pub fn close(&self) {
        let patience = Duration::from_secs(self.connect_timeout_secs + 2);
        if !self.manager.close(patience) {
            tracing::warn!("a database connection was still being opened at exit");
        }
    }

    /// Checks that the database answers.
    pub fn ping(&self) -> Result<(), anyhow::Error> {
        let mut conn = self.conn()?;
        diesel::sql_query("SELECT 1").execute(&mut *conn)?;
        Ok(())
    }
}

/// Copies the SQLite write-ahead log back into the database file at a short interval, on its
/// own connection and thread. Left to SQLite, the commit that crosses the threshold does the
/// checkpoint (and its fsync) itself, and its request waits for it; and a log kept short is
/// rewritten in place instead of growing the file, which measurably shortens commits.
fn spawn_checkpointer(
    manager: ConnectionManager,
    interval: Duration,
    alive: std::sync::Weak<()>,
) -> anyhow::Result<()> {
    let mut conn = manager
        .establish()
        .context("opening the SQLite checkpoint connection")?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while alive.upgrade().is_some() {
                if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
                }
                std::thread::sleep(interval);
            }
        })
        .context("starting the SQLite checkpoint thread")?;
    Ok(())
}
