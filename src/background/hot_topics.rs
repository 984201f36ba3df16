//! The hot topics' count (`service::hot_topics::count_due`): at start and every
//! `hot_topics.refresh_secs`, the days of filing not yet counted, or not yet settled, are
//! counted on a blocking thread. On a shared PostgreSQL one instance counts at a time (an
//! advisory lock); the others skip that round.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::HotTopicSettings;
use crate::db::Db;
use crate::domain::time::Clock;
use crate::search::Segmenter;
use crate::service::hot_topics;

pub fn spawn(
    db: Db,
    segmenter: Arc<Segmenter>,
    clock: Arc<dyn Clock>,
    settings: HotTopicSettings,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(settings.refresh_secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (db, segmenter, now) = (db.clone(), segmenter.clone(), clock.now());
            let settle = settings.settle_days;
            let round = tokio::task::spawn_blocking(move || {
                hot_topics::count_due(&db, &segmenter, now, settle, usize::MAX)
            })
            .await;
            match round {
                Ok(Ok(Some(counted))) if counted.days > 0 => {
                    tracing::debug!(
                        days = counted.days,
                        tickets = counted.tickets,
                        "hot topics counted"
                    );
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "counting the hot topics failed; it is tried again");
                }
                Err(e) => tracing::warn!(error = %e, "the hot topics' count ended abnormally"),
            }
        }
    })
}
