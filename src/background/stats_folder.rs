//! The statistics' folder: adds the ticket changes noted in `stats_journal` to the cube
//! (`db::stats_cells::fold`) a batch at a time, a few times a second. Readers add the rows not
//! yet folded themselves, so its lag changes how much a statistics request reads, never what
//! it answers. On a shared PostgreSQL one instance folds at a time (an advisory lock); the
//! others skip that round.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::{Db, stats_cells};
use crate::error::AppError;

/// Journal rows folded per transaction.
pub const BATCH: i64 = 2000;

/// How often the folder looks at the journal.
pub const EVERY: Duration = Duration::from_millis(250);

/// Folds until the journal is empty (or another instance is folding); returns how many rows
/// this call folded.
pub async fn fold_all(db: &Db) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let folded = db
            .write_async(|c| Ok::<_, AppError>(stats_cells::fold(c, BATCH)?))
            .await?;
        total += folded;
        if folded < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            return Ok(total);
        }
    }
}

pub fn spawn(db: Db) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = fold_all(&db).await {
                tracing::warn!(error = %e, "folding the statistics' journal failed; it is tried again");
            }
        }
    })
}
