//! Systemic issues (症结, issue 18): the list (with the requests and enterprises behind each),
//! opening and editing one (If-Match on its `version`), linking and unlinking tickets, the
//! suggested tickets, and a ticket's issues for its staff page. Staff only: enterprises 403.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, Auth, ClientIp, IfMatch, path_id};
use crate::api::params::{cursor_id, list_of, page_limit};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::db::systemic_issues::SystemicFilter;
use crate::domain::systemic::{SystemicAction, SystemicStatus};
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::{TicketKind, TicketStatus};
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::audit::By;
use crate::service::systemic::{
    self, IssueChanges, IssueDetail, IssueView, NewIssue, Suggestion, TicketRef,
};

/// The longest analysis and measures, characters.
pub const MAX_TEXT: usize = limits::DESCRIPTION;

// --- bodies ----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemicIssueResponse {
    pub id: String,
    pub title: String,
    /// What the requests have in common, and why (分析).
    pub analysis: String,
    /// What has been done about it (措施).
    pub measures: String,
    pub lead_department_id: String,
    pub status: SystemicStatus,
    /// How many tickets are linked to it.
    pub requests: i64,
    /// How many enterprises filed them.
    pub enterprises: i64,
    /// What the caller may do to it now.
    pub allowed: Vec<SystemicAction>,
    /// Send it as `If-Match` with an edit (it is also the answer's ETag).
    pub version: i32,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub solved_at: Option<String>,
}

impl From<IssueView> for SystemicIssueResponse {
    fn from(v: IssueView) -> Self {
        let i = v.issue;
        SystemicIssueResponse {
            id: i.id,
            title: i.title,
            analysis: i.analysis,
            measures: i.measures,
            lead_department_id: i.lead_department_id,
            status: i.status,
            requests: v.counts.requests,
            enterprises: v.counts.enterprises,
            allowed: v.allowed,
            version: i.version,
            created_by: i.created_by,
            created_at: i.created_at,
            updated_at: i.updated_at,
            solved_at: i.solved_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemicIssueList {
    pub items: Vec<SystemicIssueResponse>,
    pub next_cursor: Option<String>,
}

/// A ticket as an issue lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemicTicket {
    pub id: String,
    pub number: String,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub title: String,
    pub enterprise_id: String,
    pub department_id: Option<String>,
    pub created_at: String,
}

impl From<Ticket> for SystemicTicket {
    fn from(t: Ticket) -> Self {
        SystemicTicket {
            id: t.id,
            number: t.number,
            kind: t.kind,
            status: t.status,
            title: t.title,
            enterprise_id: t.enterprise_id,
            department_id: t.department_id,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemicIssueDetail {
    #[serde(flatten)]
    pub issue: SystemicIssueResponse,
    /// The linked tickets the caller may see, the newest first (at most 200).
    pub tickets: Vec<SystemicTicket>,
    /// Linked tickets not listed: another department's (for a cadre), or past the 200.
    pub tickets_not_listed: i64,
}

impl From<IssueDetail> for SystemicIssueDetail {
    fn from(d: IssueDetail) -> Self {
        SystemicIssueDetail {
            issue: d.view.into(),
            tickets: d.tickets.into_iter().map(Into::into).collect(),
            tickets_not_listed: d.not_listed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedTicket {
    #[serde(flatten)]
    pub ticket: SystemicTicket,
    /// Higher is more alike (comparable within one answer only).
    pub score: f64,
    /// The issue's words the ticket has too.
    pub shared_words: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedList {
    /// The most alike first.
    pub items: Vec<SuggestedTicket>,
}

impl From<Vec<Suggestion>> for SuggestedList {
    fn from(found: Vec<Suggestion>) -> Self {
        SuggestedList {
            items: found
                .into_iter()
                .map(|s| SuggestedTicket {
                    ticket: s.ticket.into(),
                    score: s.score,
                    shared_words: s.shared_words,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSystemicIssueRequest {
    #[schema(example = "园区道路照明年久失修")]
    pub title: String,
    pub analysis: String,
    #[serde(default)]
    pub measures: Option<String>,
    pub lead_department_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSystemicIssueRequest {
    pub title: Option<String>,
    pub analysis: Option<String>,
    /// A cadre of the lead department may change this and `status` only.
    pub measures: Option<String>,
    pub lead_department_id: Option<String>,
    pub status: Option<SystemicStatus>,
}

/// One of `ticket_id` and `number`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkTicketRequest {
    pub ticket_id: Option<String>,
    #[schema(example = "QYS20261122000123")]
    pub number: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SystemicListQuery {
    /// Any of these statuses, separated by commas (`open,addressing`: not yet solved).
    pub status: Option<String>,
    /// The lead department.
    pub department_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestedQuery {
    /// How many, 1 to 20 (default 10).
    pub limit: Option<i64>,
}

// --- handlers --------------------------------------------------------------------------

fn with_etag(version: i32, body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, format!("\"{version}\"")))
        .json(body)
}

fn check_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) {
    errors.required_text(field, value, max);
}

/// The systemic issues the caller sees, newest first, with the requests and enterprises
/// behind each: dispatchers and administrators all, a cadre those their department leads.
#[utoipa::path(get, path = "/api/v1/systemic-issues", tag = "systemic issues",
    params(SystemicListQuery),
    responses((status = 200, body = SystemicIssueList), (status = 400, body = ErrorResponse),
        (status = 403, description = "an enterprise's user", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_issues(
    state: State,
    auth: Auth,
    query: web::Query<SystemicListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let department = q
        .department_id
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            uuid::Uuid::parse_str(d.trim())
                .map(|u| u.hyphenated().to_string())
                .map_err(|_| AppError::invalid_query("department_id", "is not a department id"))
        })
        .transpose()?;
    let filter = SystemicFilter {
        statuses: list_of::<SystemicStatus>("status", q.status.as_deref())?,
        lead_department_id: department,
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let page = state
        .read(move |c| systemic::list(c, &who, filter, limit))
        .await?;
    Ok(HttpResponse::Ok().json(SystemicIssueList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Open a systemic issue (dispatchers, administrators). It starts `open`, with no tickets.
#[utoipa::path(post, path = "/api/v1/systemic-issues", tag = "systemic issues",
    request_body = CreateSystemicIssueRequest,
    responses((status = 201, body = SystemicIssueResponse),
        (status = 403, description = "not a dispatcher or administrator", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn create_issue(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<CreateSystemicIssueRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    // The role before the body: a cadre is told it is not theirs, not what is wrong.
    if !crate::domain::systemic::may_create(who.role) {
        return Err(AppError::forbidden(
            "systemic issues are opened by dispatchers and administrators",
        ));
    }
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    check_text(&mut errors, "title", &req.title, limits::TITLE);
    check_text(&mut errors, "analysis", &req.analysis, MAX_TEXT);
    let measures = errors.optional_text("measures", req.measures, MAX_TEXT);
    let department = uuid::Uuid::parse_str(req.lead_department_id.trim())
        .map(|u| u.hyphenated().to_string())
        .unwrap_or_else(|_| {
            errors.add("lead_department_id", "no such department");
            String::new()
        });
    errors.finish()?;
    let input = NewIssue {
        title: req.title.trim().to_string(),
        analysis: req.analysis.trim().to_string(),
        measures: measures.map(|m| m.trim().to_string()).unwrap_or_default(),
        lead_department_id: department,
    };
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let view = state
        .write(move |c| systemic::create(c, &by, &who, input, now))
        .await?;
    let id = view.issue.id.clone();
    let version = view.issue.version;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/systemic-issues/{id}")))
        .insert_header((actix_web::http::header::ETAG, format!("\"{version}\"")))
        .json(SystemicIssueResponse::from(view)))
}

/// A systemic issue with the linked tickets the caller may see (404 for a cadre of another
/// department).
#[utoipa::path(get, path = "/api/v1/systemic-issues/{id}", tag = "systemic issues",
    params(("id" = String, Path)),
    responses((status = 200, body = SystemicIssueDetail),
        (status = 403, description = "an enterprise's user", body = ErrorResponse),
        (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_issue(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "systemic issue")?;
    let detail = state.read(move |c| systemic::detail(c, &who, &id)).await?;
    let version = detail.view.issue.version;
    Ok(with_etag(version, SystemicIssueDetail::from(detail)))
}

/// Edit a systemic issue: dispatchers and administrators any field; a cadre of the lead
/// department the measures and the status. Every edit is a new `version`.
#[utoipa::path(patch, path = "/api/v1/systemic-issues/{id}", tag = "systemic issues",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "The issue's `version` (as its ETag, `\"3\"`) the edit is meant for: 412 if it has changed since")),
    request_body = UpdateSystemicIssueRequest,
    responses((status = 200, body = SystemicIssueResponse),
        (status = 403, description = "an enterprise's user, or a cadre changing more than measures and status", body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 412, description = "If-Match names another version than the issue's", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn update_issue(
    state: State,
    auth: Auth,
    ip: ClientIp,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ApiJson<UpdateSystemicIssueRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "systemic issue")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if let Some(v) = &req.title {
        check_text(&mut errors, "title", v, limits::TITLE);
    }
    if let Some(v) = &req.analysis {
        check_text(&mut errors, "analysis", v, MAX_TEXT);
    }
    let measures = req.measures.map(|m| {
        errors
            .optional_text("measures", Some(m), MAX_TEXT)
            .unwrap_or_default()
    });
    let department = req.lead_department_id.map(|d| {
        uuid::Uuid::parse_str(d.trim())
            .map(|u| u.hyphenated().to_string())
            .unwrap_or_else(|_| {
                errors.add("lead_department_id", "no such department");
                String::new()
            })
    });
    errors.finish()?;
    let changes = IssueChanges {
        title: req.title.map(|v| v.trim().to_string()),
        analysis: req.analysis.map(|v| v.trim().to_string()),
        measures: measures.map(|v| v.trim().to_string()),
        lead_department_id: department,
        status: req.status,
    };
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let expected = if_match.0;
    let view = state
        .write(move |c| systemic::update(c, &by, &who, &id, changes, expected, now))
        .await?;
    let version = view.issue.version;
    Ok(with_etag(version, SystemicIssueResponse::from(view)))
}

/// Link a ticket to the issue, by its id or its number (dispatchers, administrators). From
/// the ticket's page too: the same call with the ticket's id. Nothing of it reaches the
/// ticket's enterprise.
#[utoipa::path(post, path = "/api/v1/systemic-issues/{id}/tickets", tag = "systemic issues",
    params(("id" = String, Path)),
    request_body = LinkTicketRequest,
    responses((status = 200, description = "the issue with its new counts", body = SystemicIssueResponse),
        (status = 403, description = "not a dispatcher or administrator", body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "already linked", body = ErrorResponse),
        (status = 422, description = "no such ticket (the field named), or neither or both of ticket_id and number", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn link_ticket(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<LinkTicketRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "systemic issue")?;
    let ApiJson(req) = body;
    let nonblank = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let target = match (nonblank(req.ticket_id), nonblank(req.number)) {
        (Some(t), None) => TicketRef::Id(t),
        (None, Some(n)) if n.chars().count() <= 32 => TicketRef::Number(n),
        (None, Some(_)) => {
            return Err(AppError::invalid_field(
                "number",
                "no ticket has this number",
            ));
        }
        _ => {
            return Err(AppError::invalid_field(
                "ticket_id",
                "give one of ticket_id and number",
            ));
        }
    };
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let view = state
        .write(move |c| systemic::link(c, &by, &who, &id, target, now))
        .await?;
    Ok(HttpResponse::Ok().json(SystemicIssueResponse::from(view)))
}

/// Unlink a ticket from the issue (dispatchers, administrators). Idempotent: a ticket that is
/// not linked leaves the issue as it is.
#[utoipa::path(delete, path = "/api/v1/systemic-issues/{id}/tickets/{ticket_id}", tag = "systemic issues",
    params(("id" = String, Path), ("ticket_id" = String, Path)),
    responses((status = 200, description = "the issue with its new counts", body = SystemicIssueResponse),
        (status = 403, description = "not a dispatcher or administrator", body = ErrorResponse),
        (status = 404, description = "no such issue, or not yours to see", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn unlink_ticket(
    state: State,
    auth: Auth,
    ip: ClientIp,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let (id, ticket_id) = path.into_inner();
    let id = path_id(&id, "systemic issue")?;
    let ticket_id = path_id(&ticket_id, "ticket")?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let view = state
        .write(move |c| systemic::unlink(c, &by, &who, &id, &ticket_id, now))
        .await?;
    Ok(HttpResponse::Ok().json(SystemicIssueResponse::from(view)))
}

/// Tickets like the issue's title and analysis, not linked to it yet: open ones and those
/// resolved within a year, of any enterprise (dispatchers, administrators).
#[utoipa::path(get, path = "/api/v1/systemic-issues/{id}/suggested", tag = "systemic issues",
    params(("id" = String, Path), SuggestedQuery),
    responses((status = 200, body = SuggestedList), (status = 400, body = ErrorResponse),
        (status = 403, description = "not a dispatcher or administrator", body = ErrorResponse),
        (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn suggested_tickets(
    state: State,
    auth: Auth,
    id: web::Path<String>,
    query: web::Query<SuggestedQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "systemic issue")?;
    let limit = crate::api::tickets::similar_limit(query.limit, 10)?;
    let window = state.settings.search.similar_window;
    let now = state.clock.now();
    let segmenter = state.segmenter.clone();
    let found = state
        .read(move |c| systemic::suggested(c, &segmenter, &who, &id, (limit, window), now))
        .await?;
    Ok(HttpResponse::Ok().json(SuggestedList::from(found)))
}

/// The systemic issues a ticket is linked to that the caller sees (staff; 403 for
/// enterprises, who never see them).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/systemic-issues", tag = "systemic issues",
    params(("id" = String, Path)),
    responses((status = 200, body = SystemicIssueList),
        (status = 403, description = "an enterprise's user", body = ErrorResponse),
        (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ticket_issues(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let views = state
        .read(move |c| systemic::of_ticket(c, &who, &id))
        .await?;
    Ok(HttpResponse::Ok().json(SystemicIssueList {
        items: views.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}
