//! The workflow actions (accept, assign, sign, … revisit, close, withdraw) and comments. An
//! action loads the ticket the caller may see, asks the domain's rules whether the caller may
//! take it now (`rules::decide`), checks the body's references against the directory, lets
//! the domain work out its effect (`apply::apply`), and writes it (`changes::write_change`),
//! with the files a progress note or resolution carries linked to its timeline entry.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::attachments::LinkTarget;
use crate::db::comments::{self, CommentRow};
use crate::db::revisits::{self, RevisitRow};
use crate::db::tickets as ticket_db;
use crate::db::{DbConnection, categories, departments, new_id, users};
use crate::domain::ticket::Role;
use crate::domain::ticket::apply::{self, Doer, Input, Moment};
use crate::domain::ticket::rules;
use crate::domain::ticket::state::Ticket;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorCode};
use crate::service::attachments;
use crate::service::tickets::access::{load_visible, sees_internal, shown};
use crate::service::tickets::changes::write_change;
use crate::service::tickets::merging;
use crate::service::tickets::{Context, TicketView};

/// Checks the references of an assignment: the department exists, the assignee is an active
/// cadre of it, the co-handling departments exist and differ from the lead.
fn check_assignment(
    conn: &mut DbConnection,
    department_id: &str,
    assignee_id: Option<&str>,
    co_department_ids: &[String],
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    if departments::find(conn, department_id)?.is_none() {
        errors.add("department_id", "no such department");
    }
    if let Some(assignee) = assignee_id {
        match users::find(conn, assignee)? {
            Some(u)
                if u.role == Role::Cadre
                    && !u.disabled
                    && u.department_id.as_deref() == Some(department_id) => {}
            Some(u) if u.role == Role::Cadre && !u.disabled => {
                errors.add("assignee_id", "this cadre is not in the lead department")
            }
            _ => errors.add("assignee_id", "no active cadre with this id"),
        }
    }
    if co_department_ids.iter().any(|d| d == department_id) {
        errors.add(
            "co_department_ids",
            "the lead department cannot also co-handle",
        );
    }
    let existing = departments::existing(conn, co_department_ids)?;
    if let Some(missing) = co_department_ids.iter().find(|d| !existing.contains(d)) {
        errors.add(
            "co_department_ids",
            format!("no such department: {missing}"),
        );
    }
    Ok(errors.finish()?)
}

/// The working days of the ticket's category.
fn category_days(conn: &mut DbConnection, ticket: &Ticket) -> Result<u32, AppError> {
    let category = categories::find(conn, &ticket.category_id)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ticket without category")))?;
    Ok(u32::try_from(category.deadline_days).unwrap_or(1))
}

/// Takes a workflow action on a ticket and returns the ticket as it now is. With
/// `expected_version` (the request's `If-Match`), 412 if the ticket has changed since.
pub fn act(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    ticket_id: &str,
    input: Input,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<TicketView, AppError> {
    act_with_files(conn, ctx, who, ticket_id, input, &[], expected_version, now)
}

/// [`act`], linking `who`'s uploads `attachment_ids` to the action's timeline entry (whose
/// `public` then decides who may have them): 422 naming `attachment_ids` when one is not
/// `who`'s unattached upload, or for an action that carries no files (only progress and
/// resolution do), and then nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn act_with_files(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    ticket_id: &str,
    input: Input,
    attachment_ids: &[String],
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<TicketView, AppError> {
    if !attachment_ids.is_empty()
        && !matches!(input, Input::Progress { .. } | Input::Resolve { .. })
    {
        return Err(AppError::invalid_field(
            "attachment_ids",
            "only a progress note or a resolution carries files",
        ));
    }
    let (before, actor) = load_visible(conn, who, ticket_id)?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(AppError::new(
            ErrorCode::VersionMismatch,
            format!(
                "the ticket has changed since you read it (version {} now, {expected} in If-Match): reload it",
                before.version
            ),
        ));
    }
    rules::decide(
        before.status,
        before.assignee_id.is_some(),
        input.step(),
        &actor,
    )?;
    if !rules::merged_may(&before.situation(), input.step()) {
        return Err(AppError::new(
            ErrorCode::IllegalTransition,
            if input.step() == rules::Step::Unmerge {
                "cannot unmerge a request whose primary has been resolved".to_string()
            } else if before.rating.is_some() {
                "this merged request has been rated already".to_string()
            } else {
                "the request it was merged into is not resolved yet: rate it then".to_string()
            },
        ));
    }
    let input = match input {
        Input::Merge {
            primary_id, reason, ..
        } => {
            let primary = merging::primary_for(conn, &before, &primary_id)?;
            Input::Merge {
                primary_id: primary.id,
                primary_number: primary.number,
                reason,
            }
        }
        other => other,
    };
    let category_days = match &input {
        Input::Assign {
            department_id,
            assignee_id,
            co_department_ids,
            ..
        } => {
            let co = co_department_ids.as_deref().unwrap_or_default();
            check_assignment(conn, department_id, assignee_id.as_deref(), co)?;
            category_days(conn, &before)?
        }
        _ => 0,
    };
    let moment = Moment {
        now,
        deadlines: ctx.deadline_rules(),
        category_days,
        progress_public: ctx.progress_public_by_default,
    };
    let doer = Doer {
        user_id: &who.user_id,
        role: who.role,
    };
    let applied = apply::apply(&before, input, doer, moment)?;
    let after = applied.ticket;
    if applied.co_departments_changed {
        ticket_db::set_co_departments(conn, &after.id, &after.co_department_ids)?;
    }
    let entry = write_change(
        conn,
        ctx,
        Some(who),
        before.version,
        &after,
        applied.entry,
        now,
    )?;
    attachments::link(
        conn,
        who,
        attachment_ids,
        LinkTarget {
            ticket_id: &after.id,
            comment_id: None,
            event_seq: Some(entry.seq),
        },
    )?;
    if let Some(revisit) = applied.revisit {
        revisits::insert(
            conn,
            &RevisitRow {
                id: new_id(),
                ticket_id: after.id.clone(),
                rating: revisit.rating,
                comment: revisit.comment,
                channel: revisit.channel,
                recorded_by: who.user_id.clone(),
                created_at: time::format(now),
            },
        )?;
    }
    shown(conn, who, after)
}

/// Comments on a ticket the caller may see while it is open (`rules::may_comment`);
/// enterprise users cannot write internal ones. Comments are not timeline entries: they
/// change neither the ticket's version nor its timeline.
pub fn add_comment(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
    body: String,
    internal: bool,
    attachment_ids: &[String],
    now: DateTime<Utc>,
) -> Result<CommentRow, AppError> {
    let (ticket, _) = load_visible(conn, who, ticket_id)?;
    if internal && !sees_internal(who) {
        return Err(AppError::forbidden(
            "enterprise users cannot write internal comments",
        ));
    }
    if !rules::may_comment(ticket.status) {
        return Err(AppError::new(
            ErrorCode::IllegalTransition,
            format!(
                "cannot comment on a ticket that is {}: file a new request instead",
                ticket.status
            ),
        ));
    }
    let row = CommentRow {
        id: new_id(),
        ticket_id: ticket_id.to_string(),
        author_id: who.user_id.clone(),
        body,
        internal,
        created_at: time::format(now),
    };
    comments::insert(conn, &row)?;
    attachments::link(
        conn,
        who,
        attachment_ids,
        LinkTarget {
            ticket_id,
            comment_id: Some(&row.id),
            event_seq: None,
        },
    )?;
    Ok(row)
}
