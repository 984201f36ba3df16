//! Extensions (延期): the cadre handling a ticket asks for more working days, a dispatcher or
//! an administrator approves (the deadline moves) or denies. Both are on the timeline; at
//! most one request waits at a time; approved ones are counted on the ticket.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::auth::Principal;
use crate::db::extensions::{self, ExtensionRow};
use crate::db::{DbConnection, new_id};
use crate::domain::ticket::rules::{self, ExtensionStep, Situation, TransitionError};
use crate::domain::ticket::{Action, Role, TicketStatus};
use crate::domain::time;
use crate::error::AppError;
use crate::service::tickets::{
    Change, Context, TicketRecord, load_visible, reset_deadline_marks, shown, write_change,
};

/// A request, as validated by the handler.
#[derive(Debug, Clone)]
pub struct NewExtension {
    pub working_days: u32,
    pub reason: String,
}

fn status_of(record: &TicketRecord) -> Result<TicketStatus, AppError> {
    TicketStatus::parse(&record.row.status).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "ticket {} has status {:?}",
            record.row.id,
            record.row.status
        ))
    })
}

/// The facts of the ticket the extension rules ask about (whether a request waits is checked
/// against the request itself).
fn situation(record: &TicketRecord, status: TicketStatus) -> Situation {
    Situation {
        status,
        has_assignee: record.row.assignee_id.is_some(),
        has_deadline: record.row.due_at.is_some(),
        extension_pending: false,
    }
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
    let (record, actor) = load_visible(conn, who, ticket_id)?;
    let from = status_of(&record)?;
    rules::decide_extension(&situation(&record, from), ExtensionStep::Request, &actor)?;
    let max = ctx.deadlines.max_extension_working_days;
    if !(1..=max).contains(&input.working_days) {
        return Err(AppError::invalid_field(
            "working_days",
            format!("must be between 1 and {max}"),
        ));
    }
    if extensions::pending_for_ticket(conn, ticket_id)?.is_some() {
        return Err(AppError::conflict(
            "extension_pending",
            "an extension request of this ticket is waiting for a decision already",
        ));
    }
    let now_text = time::format(now);
    let ext = ExtensionRow {
        id: new_id(),
        ticket_id: ticket_id.to_string(),
        requested_by: who.user_id.clone(),
        working_days: i32::try_from(input.working_days).unwrap_or(i32::MAX),
        reason: input.reason.clone(),
        status: "pending".into(),
        due_before: record.row.due_at.clone(),
        due_after: None,
        decided_by: None,
        decision_reason: None,
        created_at: now_text.clone(),
        decided_at: None,
    };
    // The unique index on pending requests backs the check above against a racing request.
    extensions::insert(conn, &ext).map_err(|e| {
        let e = AppError::from(e);
        if e.is_duplicate() {
            AppError::conflict(
                "extension_pending",
                "an extension request of this ticket is waiting for a decision already",
            )
        } else {
            e
        }
    })?;
    let before = record.row;
    let mut row = before.clone();
    row.version += 1;
    row.updated_at = now_text;
    write_change(
        conn,
        ctx,
        Some(who),
        before.version,
        &row,
        Change {
            action: Action::ExtensionRequest,
            from,
            note: Some(input.reason),
            public: false,
            data: Some(json!({
                "extension_id": ext.id,
                "days": input.working_days,
                "due_at": row.due_at,
            })),
        },
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
) -> Result<(ExtensionRow, TicketRecord), AppError> {
    // A ticket outside the caller's scope does not exist for them (404), whatever their role.
    let (record, actor) = load_visible(conn, who, ticket_id)?;
    let from = status_of(&record)?;
    let step = match decision {
        Decision::Approve { .. } => ExtensionStep::Approve,
        Decision::Deny { .. } => ExtensionStep::Deny,
    };
    // The role first: a cadre is told they may not decide before anything of the request.
    if let Err(refused) = rules::decide_extension(&situation(&record, from), step, &actor)
        && !matches!(refused, TransitionError::Illegal { .. })
    {
        return Err(refused.into());
    }
    let mut ext = extensions::find(conn, extension_id)?
        .filter(|e| e.ticket_id == ticket_id)
        .ok_or_else(|| AppError::not_found("extension request"))?;
    if ext.status != "pending" {
        return Err(AppError::conflict(
            "extension_decided",
            format!("this extension request was {} already", ext.status),
        ));
    }
    rules::decide_extension(&situation(&record, from), step, &actor)?;
    let now_text = time::format(now);
    let before = record.row;
    let mut row = before.clone();
    row.version += 1;
    row.updated_at = now_text.clone();
    ext.decided_by = Some(who.user_id.clone());
    ext.decided_at = Some(now_text);
    let change = match decision {
        Decision::Approve { note } => {
            let Some(due) = before.due_at.as_deref().and_then(time::parse) else {
                return Err(AppError::internal(anyhow::anyhow!(
                    "ticket {} is handled without a readable deadline",
                    before.id
                )));
            };
            let days = u32::try_from(ext.working_days).unwrap_or(1);
            let new_due = ctx.calendar.days.deadline(due, days);
            row.due_at = Some(time::format(new_due));
            row.extension_count += 1;
            reset_deadline_marks(&mut row);
            ext.status = "approved".into();
            ext.due_after = row.due_at.clone();
            ext.decision_reason = note.clone();
            Change {
                action: Action::ExtensionApprove,
                from,
                note,
                public: true,
                data: Some(json!({
                    "extension_id": ext.id,
                    "days": days,
                    "due_before": before.due_at,
                    "due_at": row.due_at,
                })),
            }
        }
        Decision::Deny { reason } => {
            ext.status = "denied".into();
            ext.decision_reason = Some(reason.clone());
            Change {
                action: Action::ExtensionDeny,
                from,
                note: Some(reason),
                public: false,
                data: Some(json!({ "extension_id": ext.id, "days": ext.working_days })),
            }
        }
    };
    if !extensions::decide(conn, &ext)? {
        return Err(AppError::conflict(
            "extension_decided",
            "this extension request was decided by someone else at the same time",
        ));
    }
    write_change(conn, ctx, Some(who), before.version, &row, change, now)?;
    Ok((ext, shown(conn, who, row)?))
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
        all.into_iter().filter(|e| e.status == "approved").collect()
    } else {
        all
    })
}
