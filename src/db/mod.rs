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

/// Runs a statement on the concrete connection, written once: for what the connection over
/// both backends cannot build (diesel's upserts and multi-row inserts need the backend
/// itself), and for the statements of the hot paths (filing, a ticket, a page of tickets).
/// Through `DbConnection` (diesel 2.3's `MultiConnection`) every execution renders the
/// statement's SQL text twice — to ask whether it may be cached and again with its binds —
/// even when the prepared statement is already cached: about a tenth of the SQLite writer's
/// time per filing went there (docs/performance.md, "Filing and reading").
macro_rules! on_each {
    ($conn:expr, $c:ident => $run:expr) => {
        match $conn {
            $crate::db::connection::DbConnection::Postgres($c) => $run,
            $crate::db::connection::DbConnection::Sqlite($c) => $run,
        }
    };
}

pub mod assessments;
pub mod attachments;
pub mod audit_log;
pub mod auth_failures;
pub mod bulk;
pub mod bulletins;
pub mod calendar_years;
pub mod categories;
pub mod comments;
pub mod connection;
pub mod daily_checks;
pub mod departments;
pub mod enterprises;
pub mod extensions;
pub mod hot_words;
pub mod idempotency;
pub mod join_requests;
pub mod legal;
pub mod liaison;
pub mod locks;
pub mod messages;
pub mod migrations;
pub mod notice_queue;
pub mod notifications;
pub mod policies;
pub mod pool;
pub mod refresh_tokens;
pub mod revisits;
pub mod schema;
pub mod sms_codes;
pub mod stats_cells;
pub mod systemic_issue_tickets;
pub mod systemic_issues;
mod text_enums;
pub mod ticket_events;
pub mod ticket_words;
pub mod tickets;
pub mod users;
pub mod visits;
mod writer;

// What the rest of the service uses most, by its short name. Inside `db`, modules use each
// other by their own paths, so that none imports this index back.
pub use connection::new_id;
pub use connection::{Backend, DbConnection, raw_sql, redact_url, sqlite_path};
pub use migrations::{migrate, revert_all};
pub use pool::{Db, PoolError, PooledDb};
