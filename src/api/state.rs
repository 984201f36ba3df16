//! What every handler can reach (`AppState`: the database, the token keys, the clock, the
//! settings, the outbox, the calendar, the segmenter, the routing suggestions), and its three ways to the database: `read`, `write`
//! (one transaction) and `run`.

use std::sync::Arc;

use actix_web::web;

use crate::auth::TokenKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::time::Clock;
use crate::error::AppError;
use crate::notify::outbox::Outbox;
use crate::search::Segmenter;
use crate::search::routing::Router;
use crate::service::calendar::CalendarStore;
use crate::service::tickets::Context as TicketContext;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Where ticket actions queue their notifications.
    pub outbox: Outbox,
    /// The working-day calendar.
    pub calendar: Arc<CalendarStore>,
    /// Chinese words for search, built once at start-up.
    pub segmenter: Arc<Segmenter>,
    /// The routing suggestions, learned at start-up and kept current.
    pub router: Arc<Router>,
}

impl AppState {
    /// What ticket actions need: the outbox, the calendar in force, the deadline settings.
    pub fn ticket_context(&self) -> TicketContext {
        TicketContext {
            outbox: self.outbox.clone(),
            calendar: self.calendar.current(),
            deadlines: self.settings.deadlines.clone(),
            progress_public_by_default: self.settings.tickets.progress_public_by_default,
            segmenter: self.segmenter.clone(),
            words: None,
        }
    }

    /// Reads: runs `f` on a pooled connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::db::DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        self.run(move |db| db.read(f)).await
    }

    /// Writes: runs `f` in one transaction and answers once it is committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::db::DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        self.db.write_async(f).await
    }

    /// Runs `f` with the database on a blocking thread, for work that is more than one
    /// transaction (such as checking a password before writing).
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T, AppError> + Send + 'static,
    {
        self.db.run_async(f).await
    }
}

pub type State = web::Data<AppState>;
