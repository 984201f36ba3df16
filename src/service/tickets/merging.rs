//! Merging duplicates (合并办理, issue 18): a waiting request that says what another already
//! says is closed as merged into it (its primary) and follows it. The primary's public steps
//! (`rules::FOLLOWED`) are written on each follower's timeline too, in the same transaction,
//! so that its enterprise reads them on its own request and is told of them by the ordinary
//! notifications; the primary's resolution marks the followers resolved, which lets their
//! enterprises rate it on their own requests. A primary withdrawn by its enterprise lets its
//! followers go: they are taken out and wait to be assigned on their own.

use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::db::ticket_events::EventRow;
use crate::db::tickets as ticket_db;
use crate::domain::ticket::rules::{self, MergeRefusal};
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::timeline::{self, Entry, EventData};
use crate::domain::ticket::{Action, TicketStatus};
use crate::domain::time;
use crate::error::{AppError, ErrorCode};

/// The note of the entry that takes followers out of a withdrawn primary.
pub const PRIMARY_WITHDRAWN: &str = "所并入的诉求已撤回，本诉求恢复单独办理";

/// Finds the primary a duplicate is to be merged into, by id or by number (what a
/// dispatcher has at hand), and checks that `duplicate` may follow it: 422 naming
/// `primary` when there is no such ticket, 409 `merge_refused` when the rules refuse it or
/// the duplicate has duplicates of its own (a follower follows one primary, never a chain).
pub fn primary_for(
    conn: &mut DbConnection,
    duplicate: &Ticket,
    primary: &str,
) -> Result<Ticket, AppError> {
    let wanted = primary.trim();
    let found = match ticket_db::find(conn, wanted)? {
        Some(t) => Some(t),
        None => ticket_db::find_by_number(conn, &wanted.to_uppercase())?,
    };
    let Some(found) = found else {
        return Err(AppError::invalid_field(
            "primary",
            "no request with this id or number",
        ));
    };
    rules::may_merge_into(
        found.id == duplicate.id,
        duplicate.kind,
        found.kind,
        found.status,
    )
    .map_err(refused)?;
    if ticket_db::has_followers(conn, &duplicate.id)? {
        return Err(AppError::new(
            ErrorCode::MergeRefused,
            "other requests are merged into this one: take them out first, or merge the others into it",
        ));
    }
    Ok(found)
}

fn refused(refusal: MergeRefusal) -> AppError {
    AppError::new(ErrorCode::MergeRefused, refusal.to_string())
}

/// What `ticket`'s change with the entry `happened` does to its followers, as changes for the
/// caller to write in its transaction (each follower as read, then as it is to be written,
/// with its entry): a public step of [`rules::FOLLOWED`] is written on each follower's
/// timeline (the resolution also marks it resolved); a withdrawal takes them out of it.
/// Nothing for a ticket nobody follows (one indexed lookup).
pub fn follow(
    conn: &mut DbConnection,
    ticket: &Ticket,
    happened: &EventRow,
    now: DateTime<Utc>,
) -> Result<Vec<(Ticket, Ticket, Entry)>, AppError> {
    if ticket.status == TicketStatus::Merged {
        return Ok(Vec::new());
    }
    let followed = happened.public && rules::FOLLOWED.contains(&happened.action);
    let withdrawn = happened.action == Action::Withdraw;
    if !followed && !withdrawn {
        return Ok(Vec::new());
    }
    let now_text = time::format(now);
    let mut changes = Vec::new();
    for before in ticket_db::followers(conn, &ticket.id)? {
        let mut after = before.clone();
        after.version += 1;
        after.updated_at.clone_from(&now_text);
        let entry = if withdrawn {
            after.status = TicketStatus::Accepted;
            after.merged_into_id = None;
            after.merged_at = None;
            after.accepted_at.get_or_insert_with(|| now_text.clone());
            Entry {
                action: Action::Unmerge,
                from: Some(TicketStatus::Merged),
                note: Some(PRIMARY_WITHDRAWN.to_string()),
                public: true,
                data: Some(EventData::Unmerge(timeline::Unmerged {
                    primary_id: ticket.id.clone(),
                })),
            }
        } else {
            if happened.action == Action::Resolve && after.resolved_at.is_none() {
                after.resolved_at = Some(now_text.clone());
            }
            Entry {
                action: happened.action,
                from: Some(TicketStatus::Merged),
                note: happened.note.clone(),
                public: true,
                data: happened
                    .data
                    .as_deref()
                    .and_then(|d| EventData::parse(happened.action, d)),
            }
        };
        changes.push((before, after, entry));
    }
    Ok(changes)
}
