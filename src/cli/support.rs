//! What the commands share: the database opened for a command and closed before it returns,
//! and a refusal told the way a command line tells it.

use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::AppError;

/// Migrates, opens the pool, runs `f` with it, and closes it whatever `f` answered.
pub fn with_db<T>(
    settings: &Settings,
    f: impl FnOnce(&Db) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    db::migrate(settings)?;
    let db = Db::connect(settings)?;
    let result = f(&db);
    db.close();
    result
}

/// An AppError as a command-line message, with the fields at fault.
pub fn describe(e: AppError) -> anyhow::Error {
    match e.fields {
        Some(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|(f, m)| format!("{f} {m}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        None => anyhow::anyhow!("{}", e.message),
    }
}
