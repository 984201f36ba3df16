//! Extensions (延期): the cadre handling a ticket asks for more working days, a dispatcher or
//! an administrator approves (the deadline moves) or denies. Both are on the timeline; at
//! most one request waits at a time; approved ones are counted on the ticket. Who may take
//! each step is the domain's rule (`rules::decide_extension`), as `allowed_actions` shows it;
//! what it does to the ticket is the domain's too (`apply::apply_extension`).

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::extensions::{self, ExtensionRow};
use crate::db::{DbConnection, new_id};
use crate::domain::ticket::apply::{self, ExtensionInput};
use crate::domain::ticket::rules::{self, ExtensionStep, TransitionError};
use crate::domain::ticket::{ExtensionStatus, Role};
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::tickets::access::{load_visible, shown};
use crate::service::tickets::changes::write_change;
use crate::service::tickets::{Context, TicketView};

/// A request, as validated by the handler.
#[derive(Debug, Clone)]
pub struct NewExtension {
    pub working_days: u32,
    pub reason: String,
}

fn already_waiting() -> AppError {
    AppError::new(
        ErrorCode::ExtensionPending,
        "an extension request of this ticket is waiting for a decision already",
    )
}

/// Asks for `working_days` more: the assignee, or a cadre of the lead department when there
/// is none, while the ticket is being handled and has a deadline.
pub fn request(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    ticket_id: &str,
    input: NewExtension,
    now: DateTime<Utc>,
) -> Result<ExtensionRow, AppError> {
    let (before, actor) = load_visible(conn, who, ticket_id)?;
    rules::decide_extension(&before.situation(), ExtensionStep::Request, &actor)?;
    let max = ctx.deadlines.max_extension_working_days;
    if !(1..=max).contains(&input.working_days) {
        return Err(AppError::invalid_field(
            "working_days",
            format!("must be between 1 and {max}"),
        ));
    }
    if extensions::pending_for_ticket(conn, ticket_id)?.is_some() {
        return Err(already_waiting());
    }
    let ext = ExtensionRow {
        id: new_id(),
        ticket_id: ticket_id.to_string(),
        requested_by: who.user_id.clone(),
        working_days: i32::try_from(input.working_days).unwrap_or(i32::MAX),
        reason: input.reason.clone(),
        status: ExtensionStatus::Pending,
        due_before: before.due_at.clone(),
        due_after: None,
        decided_by: None,
        decision_reason: None,
        created_at: time::format(now),
        decided_at: None,
    };
    // The unique index on pending requests backs the check above against a racing request.
    extensions::insert(conn, &ext).map_err(|e| match AppError::from(e) {
        e if e.is_duplicate() => already_waiting(),
        e => e,
    })?;
    let step = ExtensionInput::Request {
        extension_id: ext.id.clone(),
        working_days: input.working_days,
        reason: input.reason,
    };
    let applied = apply::apply_extension(&before, step, &ctx.calendar.days, now)?;
    write_change(
        conn,
        ctx,
        Some(who),
        before.version,
        &applied.ticket,
        applied.entry,
        now,
    )?;
    Ok(ext)
}

/// Approves (moving the deadline by the request's working days, counted from the current
/// deadline) or denies (with a reason) a pending request: dispatchers and administrators.
pub fn decide(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    ticket_id: &str,
    extension_id: &str,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<(ExtensionRow, TicketView), AppError> {
    // A ticket outside the caller's scope does not exist for them (404), whatever their role.
    let (before, actor) = load_visible(conn, who, ticket_id)?;
    let step = match decision {
        Decision::Approve { .. } => ExtensionStep::Approve,
        Decision::Deny { .. } => ExtensionStep::Deny,
    };
    // Whether this request waits is checked on the request itself, below.
    let situation = before.situation();
    // The role first: a cadre is told they may not decide before anything of the request.
    if let Err(refused) = rules::decide_extension(&situation, step, &actor)
        && !matches!(refused, TransitionError::Illegal { .. })
    {
        return Err(refused.into());
    }
    let mut ext = extensions::find(conn, extension_id)?
        .filter(|e| e.ticket_id == ticket_id)
        .ok_or_else(|| AppError::not_found("extension request"))?;
    if ext.status != ExtensionStatus::Pending {
        return Err(AppError::new(
            ErrorCode::ExtensionDecided,
            format!("this extension request was {} already", ext.status),
        ));
    }
    rules::decide_extension(&situation, step, &actor)?;
    let working_days = u32::try_from(ext.working_days).unwrap_or(1);
    let (status, reason, input) = match decision {
        Decision::Approve { note } => (
            ExtensionStatus::Approved,
            note.clone(),
            ExtensionInput::Approve {
                extension_id: ext.id.clone(),
                working_days,
                note,
            },
        ),
        Decision::Deny { reason } => (
            ExtensionStatus::Denied,
            Some(reason.clone()),
            ExtensionInput::Deny {
                extension_id: ext.id.clone(),
                working_days,
                reason,
            },
        ),
    };
    let applied = apply::apply_extension(&before, input, &ctx.calendar.days, now)?;
    ext.status = status;
    ext.decision_reason = reason;
    ext.decided_by = Some(who.user_id.clone());
    ext.decided_at = Some(time::format(now));
    if status == ExtensionStatus::Approved {
        ext.due_after = applied.ticket.due_at.clone();
    }
    if !extensions::decide(conn, &ext)? {
        return Err(AppError::new(
            ErrorCode::ExtensionDecided,
            "this extension request was decided by someone else at the same time",
        ));
    }
    write_change(
        conn,
        ctx,
        Some(who),
        before.version,
        &applied.ticket,
        applied.entry,
        now,
    )?;
    Ok((ext, shown(conn, who, applied.ticket)?))
}

/// What a dispatcher decided.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve { note: Option<String> },
    Deny { reason: String },
}

/// A ticket's extension requests, for whoever may see the ticket (enterprise users see only
/// the approved ones, whose new deadline is on their timeline anyway).
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
) -> Result<Vec<ExtensionRow>, AppError> {
    load_visible(conn, who, ticket_id)?;
    let all = extensions::list_for_ticket(conn, ticket_id)?;
    Ok(if who.role == Role::Enterprise {
        all.into_iter()
            .filter(|e| e.status == ExtensionStatus::Approved)
            .collect()
    } else {
        all
    })
}
