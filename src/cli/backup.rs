//! `qiyeshao backup PATH` and `qiyeshao restore PATH` for the embedded SQLite database.
//!
//! A backup is taken from the live database with SQLite's `VACUUM INTO`: a consistent
//! snapshot of everything committed when it starts, written while the service goes on serving,
//! then checked (`PRAGMA integrity_check`). A restore checks the file the same way, refuses
//! while a `serve` or `worker` holds the database, keeps the database it replaces beside it,
//! and moves the copy into place in one rename. PostgreSQL has its own tools (`pg_dump`,
//! `pg_restore`; docs/operations.md).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::config::Settings;
use crate::db;

/// What a backup or restore found in the file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub bytes: u64,
    pub tickets: i64,
    pub migrations: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn sqlite_file(settings: &Settings, doing: &str) -> anyhow::Result<PathBuf> {
    let url = settings.database_url();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        bail!(
            "{doing} is for the embedded SQLite database; on PostgreSQL use pg_dump -Fc and \
             pg_restore (docs/operations.md, \"Backups and restoring\")"
        );
    }
    Ok(db::sqlite_path(&url))
}

fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .with_context(|| format!("opening {}", path.display()))?;
    diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut conn)?;
    Ok(conn)
}

/// Checks a database file: SQLite's integrity check passes, and it is ours (it has the
/// migrations table and the tickets).
fn inspect(path: &Path) -> anyhow::Result<Snapshot> {
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let mut conn = open(path)?;
    let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    let problems: Vec<String> = checks
        .into_iter()
        .map(|c| c.integrity_check)
        .filter(|c| c != "ok")
        .collect();
    if !problems.is_empty() {
        bail!(
            "{} fails SQLite's integrity check: {}",
            path.display(),
            problems.join("; ")
        );
    }
    let count = |conn: &mut SqliteConnection, sql: &str| -> anyhow::Result<i64> {
        let rows: Vec<Count> = diesel::sql_query(sql)
            .load(conn)
            .with_context(|| format!("{} is not a qiyeshao database", path.display()))?;
        Ok(rows.first().map_or(0, |c| c.n))
    };
    Ok(Snapshot {
        bytes,
        migrations: count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM __diesel_schema_migrations",
        )?,
        tickets: count(&mut conn, "SELECT COUNT(*) AS n FROM tickets")?,
    })
}

/// Writes a consistent copy of the live database to `target` (which must not exist).
pub fn backup(settings: &Settings, target: &Path) -> anyhow::Result<Snapshot> {
    let source = sqlite_file(settings, "backup")?;
    if target.exists() {
        bail!("{} exists already: give a new file", target.display());
    }
    if !source.exists() {
        bail!("there is no database at {}", source.display());
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut conn = open(&source)?;
    let quoted = target.to_string_lossy().replace('\'', "''");
    diesel::sql_query(format!("VACUUM INTO '{quoted}'"))
        .execute(&mut conn)
        .with_context(|| format!("writing the backup to {}", target.display()))?;
    File::open(target)?.sync_all()?;
    inspect(target)
}

/// The lock a running `serve` or `worker` holds on a SQLite database (released when the
/// process ends, however it ends); `None` on PostgreSQL.
pub fn hold(settings: &Settings) -> anyhow::Result<Option<File>> {
    let url = settings.database_url();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(None);
    }
    let path = lock_path(&db::sqlite_path(&url));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "the database is being restored (or served by another process): {} is locked",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Replaces the database with the backup `source`, keeping the one it replaces as
/// `<database>.replaced-<time>`; returns what the backup holds and where the old one went.
pub fn restore(settings: &Settings, source: &Path) -> anyhow::Result<(Snapshot, Option<PathBuf>)> {
    let target = sqlite_file(settings, "restore")?;
    let snapshot = inspect(source)?;
    let lock_file = File::create(lock_path(&target))
        .with_context(|| format!("creating {}", lock_path(&target).display()))?;
    if let Err(std::fs::TryLockError::WouldBlock) = lock_file.try_lock() {
        bail!(
            "the database {} is in use by a running qiyeshao (serve or worker): stop it first",
            target.display()
        );
    }
    let incoming = with_suffix(&target, ".restoring");
    std::fs::copy(source, &incoming)
        .with_context(|| format!("copying {} to {}", source.display(), incoming.display()))?;
    File::open(&incoming)?.sync_all()?;
    let kept = if target.exists() {
        // Fold the old database's log in, so that the file kept is whole on its own.
        let mut conn = open(&target)?;
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn)?;
        drop(conn);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = with_suffix(&target, &format!(".replaced-{stamp}"));
        std::fs::rename(&target, &kept)?;
        Some(kept)
    } else {
        None
    };
    for log in ["-wal", "-shm"] {
        let path = with_suffix(&target, log);
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
    }
    std::fs::rename(&incoming, &target)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    drop(lock_file);
    Ok((snapshot, kept))
}

/// `qiyeshao backup PATH`.
pub fn run_backup(settings: &Settings, path: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let snapshot = backup(settings, path)?;
    println!(
        "Backed up to {}: {} tickets, {} migrations, {:.1} MiB in {:.1} s (integrity check: ok).",
        path.display(),
        snapshot.tickets,
        snapshot.migrations,
        snapshot.bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `qiyeshao restore PATH`.
pub fn run_restore(settings: &Settings, path: &Path) -> anyhow::Result<()> {
    let (snapshot, kept) = restore(settings, path)?;
    println!(
        "Restored {}: {} tickets, {} migrations (integrity check: ok).",
        path.display(),
        snapshot.tickets,
        snapshot.migrations
    );
    if let Some(kept) = kept {
        println!("The database it replaced is kept as {}.", kept.display());
    }
    db::migrate(settings)?;
    Ok(())
}
