//! Housekeeping: what time makes useless is removed — idempotency keys past their time,
//! refresh tokens past their expiry, sent notifications past their retention, SMS codes and
//! sign-in failures after a day, uploads attached to nothing (and stray files) after a day,
//! in-app messages past their retention.
//! Each delete is idempotent, so every instance on a shared database may run it.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::time::{Clock, format};
use crate::error::AppError;

/// In-app messages deleted at most per housekeeping run.
const MESSAGES_PER_RUN: i64 = 5_000;

/// Forgets idempotency keys past their time, refresh tokens past their expiry, sent
/// notifications past `notifications.retention_days`, SMS codes after a day, and uploads
/// attached to nothing after a day (with their files), and sweeps stray files (see
/// [`sweep_stray_files`]); returns how many records and files went. Each delete is
/// idempotent, so several instances on one database may all do it.
pub fn housekeep(
    db: &Db,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, AppError> {
    let cutoff = format(now - chrono::Duration::hours(settings.tickets.idempotency_ttl_hours));
    let now_text = format(now);
    let retention = settings.notifications.retention_days;
    let sent_cutoff = format(now - chrono::Duration::days(i64::from(retention)));
    let day_ago = format(now - chrono::Duration::days(1));
    let messages_retention = settings.notifications.messages_retention_days;
    let messages_cutoff = now - chrono::Duration::days(i64::from(messages_retention));
    let (messages_cutoff, messages_floor) = (
        format(messages_cutoff),
        crate::domain::ticket::ids::floor(messages_cutoff),
    );
    let (removed, orphans) = db.write(move |c| {
        let codes = db::sms_codes::delete_created_before(c, &day_ago)?
            + db::auth_failures::delete_before(c, &day_ago)?;
        let orphans = db::attachments::delete_unattached_before(c, &day_ago, 1000)?;
        let keys = db::idempotency::delete_created_before(c, &cutoff)?;
        let tokens = db::refresh_tokens::delete_expired(c, &now_text)?;
        let sent = if retention > 0 {
            db::notifications::delete_sent_before(c, &sent_cutoff)?
        } else {
            0
        };
        // A bounded batch an hour: a year's backlog at a million tickets goes over days,
        // without holding the writer for long.
        let messages = if messages_retention > 0 {
            db::messages::delete_before(c, &messages_cutoff, &messages_floor, MESSAGES_PER_RUN)?
        } else {
            0
        };
        Ok::<_, AppError>((
            codes + orphans.len() + keys + tokens + sent + messages,
            orphans,
        ))
    })?;
    // After the commit: a file whose row is gone is never served again. A crash here leaves
    // files without rows, which the sweep below removes a day later.
    let dir = settings.attachments_dir();
    for id in &orphans {
        let path = crate::service::attachments::path_of(&dir, id);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(attachment = %id, error = %e, "an unattached upload's file could not be removed");
        }
    }
    let day_before = std::time::SystemTime::from(now - chrono::Duration::days(1));
    Ok(removed + sweep_stray_files(db, &dir, day_before)?)
}

/// Removes the files of the attachments directory that nothing reads: partial uploads a crash
/// or a lost connection left behind, and files whose record is gone (a crash between
/// [`housekeep`]'s commit and its deletions). Only files last written before `before`, so an
/// upload being written, or renamed into place a moment before its record is committed, is
/// never touched. Returns how many went.
fn sweep_stray_files(
    db: &Db,
    dir: &std::path::Path,
    before: std::time::SystemTime,
) -> Result<usize, AppError> {
    let old_files = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|shard| shard.path().is_dir())
        .flat_map(|shard| {
            std::fs::read_dir(shard.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter(|file| {
            file.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at < before)
        })
        .map(|file| file.path());
    // Partial files are stray by their name; the others when no record has their id.
    let (mut stray, named): (Vec<_>, Vec<_>) =
        old_files.partition(|path| path.extension().is_some_and(|e| e == "part"));
    let id_of = |path: &std::path::PathBuf| path.file_name()?.to_str().map(str::to_string);
    for batch in named.chunks(500) {
        let ids: Vec<String> = batch.iter().filter_map(id_of).collect();
        let recorded =
            db.read(|c| -> Result<_, AppError> { Ok(db::attachments::existing(c, &ids)?) })?;
        stray.extend(
            batch
                .iter()
                .filter(|path| id_of(path).is_some_and(|id| !recorded.contains(&id)))
                .cloned(),
        );
    }
    let mut removed = 0;
    for path in stray {
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "a stray upload file could not be removed")
            }
        }
    }
    Ok(removed)
}

/// Hourly: [`housekeep`], until the task is aborted.
pub fn spawn(
    db: Db,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let (db, settings, now) = (db.clone(), settings.clone(), clock.now());
            let result = tokio::task::spawn_blocking(move || housekeep(&db, &settings, now)).await;
            match result {
                Ok(Ok(n)) if n > 0 => tracing::info!(
                    removed = n,
                    "expired idempotency keys, refresh tokens, SMS codes, unattached uploads and old sent notifications removed"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                Err(e) => tracing::warn!(error = %e, "housekeeping task failed"),
            }
        }
    })
}
