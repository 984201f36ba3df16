//! Persistence: one connection type over PostgreSQL and SQLite, its pool, the embedded
//! migrations, and one repository module per table.
//!
//! Data functions take `&mut DbConnection` and return `diesel::QueryResult`; the caller owns
//! the transaction (see [`Db::write`]). A query that must differ between the two databases
//! lives here, with a comment saying why.
//!
//! Lookups by a unique key use `get_result`, not `first`: `first` adds `LIMIT ?`, and SQLite
//! (built with STAT4) re-prepares a statement whose LIMIT is a bound parameter every time it
//! is rebound, which made each lookup parse and plan its SQL anew. Row types insert `None` as
//! NULL (`treat_none_as_default_value = false`): with SQL `DEFAULT` for `None`, the SQL would
//! depend on the values and diesel could not keep the statement prepared.

pub mod attachments;
pub mod audit_log;
pub mod auth_failures;
pub mod bulk;
pub mod calendar_years;
pub mod categories;
pub mod comments;
pub mod departments;
pub mod enterprises;
pub mod extensions;
pub mod idempotency;
pub mod locks;
pub mod notifications;
pub mod refresh_tokens;
pub mod revisits;
pub mod schema;
pub mod sms_codes;
pub mod stats_cells;
mod text_enums;
pub mod ticket_events;
pub mod tickets;
pub mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use writer::SqliteWriter;

use crate::config::Settings;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever database the URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Raw SQL for this connection, written once with PostgreSQL's numbered placeholders (`$1`,
/// `$2`, …, each bound in order with `.bind`): SQLite numbers them `?1`, `?2`, … . The one
/// helper for the statements diesel's builder cannot express (upserts with sums, `UPDATE …
/// RETURNING` over a subquery, bulk `INSERT … SELECT`); their SQL must hold no `$` but the
/// placeholders'.
pub fn raw_sql(conn: &DbConnection, sql: &str) -> diesel::query_builder::SqlQuery {
    match conn.backend() {
        Backend::Postgres => diesel::sql_query(sql),
        Backend::Sqlite => diesel::sql_query(sql.replace('$', "?")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` are PostgreSQL; anything else is a SQLite path.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// The file path of a SQLite URL: `sqlite://data/x.db`, `sqlite:data/x.db` or `data/x.db`.
pub fn sqlite_path(url: &str) -> PathBuf {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(path)
}

/// Adds libpq's `connect_timeout` to a PostgreSQL URL that has none, so an unreachable
/// server is reported in seconds rather than after the operating system gives up.
fn with_connect_timeout(url: &str, secs: u64) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={secs}")
}

/// Opens connections for the pool, picking the backend from the URL (rather than trying
/// each in turn, as the derived `establish` does) and setting SQLite's per-connection pragmas.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
    sqlite_busy_timeout_ms: u64,
    sqlite_cache_kib: u64,
    sqlite_synchronous: crate::config::SqliteSynchronous,
    /// The connections the pool's threads are opening, shared by every clone.
    openings: Arc<Openings>,
}

/// The connections being opened on the pool's threads, and whether the process is closing
/// the database (then no more are opened).
///
/// The pool opens connections on threads of its own — at start, and to replace one it hands
/// out — and cannot be made to wait for them. A command that returned while one of them was
/// inside libpq's connect would exit under it: the process's exit tears down OpenSSL, which
/// libpq is using on that thread (SIGSEGV in about half of `user add` runs on PostgreSQL).
/// [`Db::close`] stops new openings and waits for those under way.
#[derive(Debug, Default)]
struct Openings {
    state: std::sync::Mutex<OpeningState>,
    settled: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct OpeningState {
    under_way: usize,
    closing: bool,
}

/// One opening under way; it ends when dropped.
struct Opening<'a>(&'a Openings);

impl Openings {
    fn lock(&self) -> std::sync::MutexGuard<'_, OpeningState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts an opening, unless the database is closing.
    fn begin(&self) -> Option<Opening<'_>> {
        let mut state = self.lock();
        if state.closing {
            return None;
        }
        state.under_way += 1;
        Some(Opening(self))
    }

    /// Allows no more openings and waits (at most `patience`) for those under way; returns
    /// whether they all ended.
    fn close(&self, patience: Duration) -> bool {
        let mut state = self.lock();
        state.closing = true;
        let deadline = std::time::Instant::now() + patience;
        while state.under_way > 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .settled
                .wait_timeout(state, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// Logs the pool's failures to open a connection, but for those refused because the database
/// is being closed (the pool keeps trying to replace what it handed out).
#[derive(Debug)]
struct PoolErrors(Arc<Openings>);

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        if !self.0.lock().closing {
            tracing::warn!(%error, "the pool could not open a database connection");
        }
    }
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.0.lock().under_way -= 1;
        self.0.settled.notify_all();
    }
}

impl ConnectionManager {
    pub fn new(url: &str, settings: &crate::config::DatabaseSettings) -> Self {
        let backend = Backend::of_url(url);
        let url = match backend {
            Backend::Postgres => with_connect_timeout(url, settings.connect_timeout_secs),
            Backend::Sqlite => sqlite_path(url).to_string_lossy().into_owned(),
        };
        ConnectionManager {
            url,
            backend,
            sqlite_busy_timeout_ms: settings.sqlite_busy_timeout_ms,
            sqlite_cache_kib: settings.sqlite_cache_kib,
            sqlite_synchronous: settings.sqlite_synchronous,
            openings: Arc::default(),
        }
    }

    pub fn establish(&self) -> diesel::ConnectionResult<DbConnection> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConnection::Postgres),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url)?;
                // WAL lets readers run beside the writer; `database.sqlite_synchronous`
                // says whether a commit waits for the disk (FULL) or only for the operating
                // system (NORMAL: a power cut may lose the last commits, not corrupt).
                // Checkpoints run on a thread of their own (see `spawn_checkpointer`), so a
                // commit never waits for one; the automatic one stays as a backstop at ~64 MiB.
                // Savepoints (one per write in a batch) keep their undo pages in temporary
                // storage: in memory, not in a file written for every change.
                conn.batch_execute(&self.sqlite_pragmas())
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// The pragmas every SQLite connection starts with.
    pub fn sqlite_pragmas(&self) -> String {
        format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; \
             PRAGMA synchronous = {}; PRAGMA journal_mode = WAL; \
             PRAGMA wal_autocheckpoint = 16000; PRAGMA temp_store = MEMORY; \
             PRAGMA cache_size = -{};",
            self.sqlite_busy_timeout_ms,
            self.sqlite_synchronous.pragma(),
            self.sqlite_cache_kib
        )
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let Some(_opening) = self.openings.begin() else {
            return Err(diesel::r2d2::Error::ConnectionError(
                diesel::ConnectionError::BadConnection("the database is being closed".into()),
            ));
        };
        self.establish()
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

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
            .error_handler(Box::new(PoolErrors(manager.openings.clone())))
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
        if !self.manager.openings.close(patience) {
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

/// Opens a connection outside the pool, for migrations and one-off commands.
fn establish_direct(settings: &Settings) -> anyhow::Result<DbConnection> {
    let url = settings.database_url();
    if Backend::of_url(&url) == Backend::Sqlite {
        ensure_parent_dir(&sqlite_path(&url))?;
    }
    ConnectionManager::new(&url, &settings.database)
        .establish()
        .with_context(|| format!("cannot connect to the database at {}", redact_url(&url)))
}

fn ensure_parent_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    Ok(())
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// An arbitrary constant naming the advisory lock that serialises migrations when several
/// instances start at once against one PostgreSQL.
const MIGRATION_LOCK: i64 = 0x7179_7368_616f;

/// Brings the schema up to date; returns the versions applied.
pub fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut conn = establish_direct(settings)?;
    let applied = match &mut conn {
        DbConnection::Postgres(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
            let counted = match result {
                Ok(_) => count_statistics(&mut conn),
                Err(_) => Ok(()),
            };
            if let DbConnection::Postgres(pg) = &mut conn {
                pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            }
            counted?;
            result
        }
        DbConnection::Sqlite(lite) => {
            let result = lite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
            if result.is_ok() {
                count_statistics(&mut conn)?;
            }
            result
        }
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Counts the statistics' cells from the tickets if they never were (a database from before
/// they existed), so that they are right before the service answers.
fn count_statistics(conn: &mut DbConnection) -> anyhow::Result<()> {
    if stats_cells::built(conn)? {
        return Ok(());
    }
    let now = crate::domain::time::format(chrono::Utc::now());
    let cells = conn.transaction(|c| stats_cells::rebuild(c, &now))?;
    tracing::info!(cells, "counted the statistics from the tickets");
    Ok(())
}

/// Reverts every migration, newest first; returns the versions reverted. For tests and for
/// tearing a database down.
pub fn revert_all(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut conn = establish_direct(settings)?;
    let reverted = match &mut conn {
        DbConnection::Postgres(pg) => pg.revert_all_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(lite) => lite.revert_all_migrations(SQLITE_MIGRATIONS),
    };
    reverted
        .map(|v| v.iter().map(ToString::to_string).collect())
        .map_err(|e| anyhow::anyhow!("reverting migrations failed: {e}"))
}

/// New ids: UUIDv7, which sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Settings, SqliteSynchronous};

    #[derive(diesel::QueryableByName)]
    struct Synchronous {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }

    #[test]
    fn sqlite_connections_sync_as_configured() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = dir.path().join("sync.db").to_string_lossy().into_owned();
        let mut settings = Settings::defaults().expect("defaults").database;
        assert_eq!(settings.sqlite_synchronous, SqliteSynchronous::Full);
        // SQLite's numbers for the pragma: 1 NORMAL, 2 FULL.
        for (synchronous, expected) in
            [(SqliteSynchronous::Full, 2), (SqliteSynchronous::Normal, 1)]
        {
            settings.sqlite_synchronous = synchronous;
            let mut conn = ConnectionManager::new(&url, &settings)
                .establish()
                .expect("a connection");
            let DbConnection::Sqlite(conn) = &mut conn else {
                panic!("a SQLite connection");
            };
            let row: Synchronous = diesel::sql_query("PRAGMA synchronous")
                .get_result(conn)
                .expect("the pragma");
            assert_eq!(row.synchronous, expected, "{synchronous:?}");
        }
    }

    #[test]
    fn an_unknown_synchronous_mode_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("qiyeshao.toml");
        std::fs::write(&file, "[database]\nsqlite_synchronous = \"sometimes\"\n").expect("write");
        let err = format!("{:#}", Settings::load(Some(&file)).expect_err("refused"));
        assert!(err.contains("sometimes") && err.contains("full"), "{err}");
    }
}
