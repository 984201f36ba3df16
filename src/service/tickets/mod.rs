//! Tickets: filing them, reading them, and moving them through the workflow. Every function
//! that writes runs inside one transaction the caller opened, so a refused or failed action
//! leaves the ticket and its timeline as they were and queues no notification: the messages
//! an event raises are written to the outbox in the same transaction.
//!
//! - [`access`]: who sees which tickets, and what each reader may do to one (`allowed_actions`);
//! - [`filing`]: a new ticket, with its number and idempotency key;
//! - [`queries`]: the list, the workbench counts, the detail;
//! - [`actions`]: the workflow actions and comments;
//! - [`merging`]: merging a duplicate into its primary, and what its followers follow;
//! - [`changes`]: writing a change — the ticket, its timeline entry, the statistics, the
//!   notifications — for actions, extension decisions and the scheduler alike.

pub mod access;
pub mod actions;
pub mod changes;
pub mod filing;
pub mod merging;
pub mod queries;
pub mod routing;
pub mod similar;

use std::sync::Arc;

use crate::config::DeadlineSettings;
use crate::domain::ticket::AllowedAction;
use crate::domain::ticket::apply::DeadlineRules;
use crate::domain::ticket::state::Ticket;
use crate::notify::outbox::Outbox;
use crate::search::Segmenter;
use crate::service::calendar::Calendar;

/// What the functions that write timeline events need besides the connection: where their
/// notifications go, the working-day calendar, the deadline settings, and the segmenter for
/// the search index.
#[derive(Clone)]
pub struct Context {
    pub outbox: Outbox,
    pub calendar: Arc<Calendar>,
    pub deadlines: DeadlineSettings,
    /// `tickets.progress_public_by_default`.
    pub progress_public_by_default: bool,
    /// The one built at start-up: the words of a public progress note or resolution go into
    /// the search index in the change's transaction ([`changes::write_change`]).
    pub segmenter: Arc<Segmenter>,
    /// The words of the texts the request writes (a filing's title and description, an
    /// action's note), segmented before the write on the request's thread
    /// ([`Context::with_words`]), so that SQLite's single writer does not segment. `None`:
    /// segmented in the write when they are indexed.
    pub words: Option<Vec<String>>,
}

impl Context {
    /// This context with the words of `texts` (an action's note) segmented now.
    pub fn with_words(mut self, texts: &[&str]) -> Context {
        self.words = Some(self.segmenter.index_words(texts));
        self
    }

    /// This context with the words of a filing segmented now
    /// ([`Segmenter::filing_words`]).
    pub fn with_filing_words(mut self, title: &str, description: &str) -> Context {
        self.words = Some(self.segmenter.filing_words(title, description));
        self
    }

    /// How deadlines are set, for the domain's effects of an action.
    pub fn deadline_rules(&self) -> DeadlineRules<'_> {
        DeadlineRules {
            calendar: &self.calendar.days,
            urgent_hours: self.deadlines.urgent_hours,
            urgent_sign_hours: self.deadlines.urgent_sign_hours,
            sign_working_days: self.deadlines.sign_working_days,
            rework_working_days: self.deadlines.rework_working_days,
        }
    }
}

/// A ticket as one reader is shown it: the contact masked unless they may see it
/// ([`access::for_reader`]), and what they may do to it now.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub ticket: Ticket,
    pub allowed_actions: Vec<AllowedAction>,
    /// The contact's name and phone are masked for this reader (`access::sees_contact`):
    /// pages show them as they are and offer no call.
    pub contact_masked: bool,
}
