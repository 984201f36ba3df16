//! The connection over both databases (`DbConnection`, PostgreSQL or SQLite by the URL), the
//! manager that opens them for the pool (with SQLite's pragmas, and refusing to open any
//! while the database is being closed), the one helper for raw SQL, and ids.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;

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

impl ConnectionManager {
    /// What the pool does with its failures to open a connection.
    pub fn error_handler(&self) -> Box<dyn diesel::r2d2::HandleError<diesel::r2d2::Error>> {
        Box::new(PoolErrors(self.openings.clone()))
    }

    /// Lets no more connections be opened and waits (at most `patience`) for those under way;
    /// returns whether they all ended.
    pub fn close(&self, patience: Duration) -> bool {
        self.openings.close(patience)
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

/// New ids: UUIDv7, which sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;

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
