//! Extension requests (延期) of a ticket: asked by the cadre handling it, approved or denied by
//! a dispatcher or an administrator.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, Auth, path_id};
use crate::api::state::State;
use crate::api::types::{ErrorResponse, TicketResponse};
use crate::db::extensions::ExtensionRow;
use crate::domain::ticket::ExtensionStatus;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::extensions::{self, Decision, NewExtension};

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionResponse {
    pub id: String,
    pub ticket_id: String,
    pub requested_by: String,
    pub working_days: i32,
    pub reason: String,
    pub status: ExtensionStatus,
    /// The deadline when it was asked for.
    pub due_before: Option<String>,
    /// The deadline the approval set.
    pub due_after: Option<String>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl From<ExtensionRow> for ExtensionResponse {
    fn from(r: ExtensionRow) -> Self {
        ExtensionResponse {
            id: r.id,
            ticket_id: r.ticket_id,
            requested_by: r.requested_by,
            working_days: r.working_days,
            reason: r.reason,
            status: r.status,
            due_before: r.due_before,
            due_after: r.due_after,
            decided_by: r.decided_by,
            decision_reason: r.decision_reason,
            created_at: r.created_at,
            decided_at: r.decided_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionDecisionResponse {
    pub extension: ExtensionResponse,
    /// The ticket after the decision (an approval moved its `due_at`).
    pub ticket: TicketResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionList {
    pub items: Vec<ExtensionResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// Working days more, 1 to `deadlines.max_extension_working_days` (30).
    pub working_days: u32,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyRequest {
    pub reason: String,
}

/// Ask for more working days (the assignee, or a cadre of the lead department when there is
/// none). At most one request waits at a time.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/extensions", tag = "ticket actions",
    params(("id" = String, Path)),
    request_body = ExtensionRequest,
    responses(
        (status = 201, body = ExtensionResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "the ticket is not being handled (`illegal_transition`), or a request waits already (`extension_pending`)", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn request_extension(
    state: State,
    auth: Auth,
    id: web::Path<String>,
    body: ApiJson<ExtensionRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("reason", &req.reason, limits::NOTE);
    errors.finish()?;
    let now = state.clock.now();
    let ctx = state.ticket_context();
    let input = NewExtension {
        working_days: req.working_days,
        reason: req.reason.trim().to_string(),
    };
    let ext = state
        .write(move |c| extensions::request(c, &ctx, &who, &id, input, now))
        .await?;
    state.outbox.expand_soon();
    Ok(HttpResponse::Created().json(ExtensionResponse::from(ext)))
}

/// A ticket's extension requests, oldest first (enterprise users: the approved ones).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/extensions", tag = "tickets",
    params(("id" = String, Path)),
    responses((status = 200, body = ExtensionList), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_extensions(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let rows = state.read(move |c| extensions::list(c, &who, &id)).await?;
    Ok(HttpResponse::Ok().json(ExtensionList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

async fn decide(
    state: State,
    who: crate::auth::Principal,
    path: (String, String),
    decision: Decision,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path.0, "ticket")?;
    let eid = path_id(&path.1, "extension request")?;
    let now = state.clock.now();
    let ctx = state.ticket_context();
    let (ext, ticket) = state
        .write(move |c| extensions::decide(c, &ctx, &who, &id, &eid, decision, now))
        .await?;
    state.outbox.expand_soon();
    Ok(HttpResponse::Ok().json(ExtensionDecisionResponse {
        extension: ext.into(),
        ticket: TicketResponse::new(ticket, &time::format(now)),
    }))
}

/// Approve a pending request (dispatchers, administrators): the deadline moves by its working
/// days, counted from the current deadline.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/extensions/{eid}/approve", tag = "ticket actions",
    params(("id" = String, Path), ("eid" = String, Path)),
    request_body = ApproveRequest,
    responses(
        (status = 200, body = ExtensionDecisionResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "decided already (`extension_decided`), or the ticket is no longer being handled", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn approve_extension(
    state: State,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ApiJson<ApproveRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let note = errors.optional_text("note", req.note, limits::NOTE);
    errors.finish()?;
    decide(state, auth.0, path.into_inner(), Decision::Approve { note }).await
}

/// Deny a pending request, with the reason (dispatchers, administrators).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/extensions/{eid}/deny", tag = "ticket actions",
    params(("id" = String, Path), ("eid" = String, Path)),
    request_body = DenyRequest,
    responses(
        (status = 200, body = ExtensionDecisionResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "decided already (`extension_decided`)", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn deny_extension(
    state: State,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ApiJson<DenyRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("reason", &req.reason, limits::NOTE);
    errors.finish()?;
    let reason = req.reason.trim().to_string();
    decide(state, auth.0, path.into_inner(), Decision::Deny { reason }).await
}
