//! The embedded migrations of both databases, run at start-up (one instance at a time on a
//! shared PostgreSQL) and reverted in tests; a database from before the statistics' cells
//! gets them counted on the way.

use std::path::Path;

use anyhow::Context;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::{Backend, ConnectionManager, DbConnection, redact_url, sqlite_path};
use super::stats_cells;
use crate::config::Settings;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

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
