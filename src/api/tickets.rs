//! Tickets: filing, the list and the detail, comments, and one endpoint per workflow action.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, Auth, IfMatch, path_id};
use crate::api::params::{cursor_id, list_of, offset_cursor, page_limit};
use crate::api::state::State;
use crate::api::types::{
    CommentResponse, ErrorResponse, Highlight, TicketDetailResponse, TicketList, TicketResponse,
};
use crate::db::tickets::{TextSearch, TicketFilter};
use crate::domain::text;
use crate::domain::ticket::apply::Input as ActionInput;
use crate::domain::ticket::{Channel, Priority, Rating, TicketKind};
use crate::domain::time;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::error::ErrorCode;
use crate::search::Segmenter;
use crate::service::attachments;
use crate::service::tickets::filing::{self, FilingOptions, IdempotencyKey, NewTicket};
use crate::service::tickets::{actions, queries, routing, similar};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketRequest {
    pub kind: TicketKind,
    pub category_id: String,
    /// At most 100 characters.
    #[schema(example = "新厂房用电报装进度慢")]
    pub title: String,
    /// At most 5000 characters.
    pub description: String,
    /// Defaults to the enterprise's contact.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Required when staff file on behalf of an enterprise; an enterprise user's own otherwise.
    pub enterprise_id: Option<String>,
    /// `online` for enterprises (the default); `phone` (default) or `visit` for staff.
    pub channel: Option<Channel>,
    /// `normal` (the default) or `urgent`: an urgent ticket's deadline counts hours
    /// (`deadlines.urgent_hours`), not working days.
    pub priority: Option<Priority>,
    /// Files uploaded with POST /api/v1/attachments by the filer, at most 9.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    /// One status or several separated by commas: `assigned,in_progress`.
    pub status: Option<String>,
    /// One kind or several separated by commas.
    pub kind: Option<String>,
    pub category_id: Option<String>,
    /// The lead department.
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// Words of the title, description, public progress notes or resolution, all of them in
    /// any order ("路灯 门前" finds "门前路灯不亮"); or exactly a ticket number, an
    /// enterprise's credit code or name. See docs/api.md, "Search".
    pub q: Option<String>,
    /// Filed at or after: RFC 3339, or a date meaning its start in China.
    pub created_from: Option<String>,
    /// Filed before: RFC 3339, or a date meaning its start in China.
    pub created_to: Option<String>,
    /// Only tickets past (true) or not past (false) their deadline.
    pub overdue: Option<bool>,
    /// Only tickets being handled whose deadline is still ahead but within
    /// `deadlines.due_soon_hours` (即将超期).
    pub due_soon: Option<bool>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// Only tickets with (true) or without (false) an extension request waiting for a
    /// decision (待审批).
    pub extension_pending: Option<bool>,
    /// `relevance` (the default with `q`: the best match first), `newest` (the default
    /// without) or `oldest`, by the time of filing. A `cursor` continues the order it came
    /// from (pass the same `sort` and `q`); with `relevance` it is a position in the results.
    pub sort: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub body: String,
    /// Internal comments are never shown to the enterprise. Default false.
    #[serde(default)]
    pub internal: bool,
    /// Files uploaded with POST /api/v1/attachments by the writer, at most 9.
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

/// What to merge a duplicate into, and why (its enterprise reads the reason).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The primary: its id, or its number (`QYS20261122000123`).
    pub primary: String,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionalReasonRequest {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The lead department.
    pub department_id: String,
    /// An active cadre of the lead department; without one, any of its cadres may sign.
    pub assignee_id: Option<String>,
    /// Co-handling departments (协办单位), at most 10.
    pub co_department_ids: Option<Vec<String>>,
    /// RFC 3339; without it the category's deadline applies: its working days after today,
    /// ending at the close of the last one (urgent tickets: `deadlines.urgent_hours` hours).
    pub due_at: Option<String>,
    /// Sets the ticket's priority (before its deadline is computed).
    pub priority: Option<Priority>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    pub note: String,
    /// Shown to the enterprise (and the enterprise told of it). Absent:
    /// `tickets.progress_public_by_default` (true unless configured otherwise; the ticket's
    /// detail says which, as `progress_public_default`).
    pub public: Option<bool>,
    /// Photos and documents uploaded with POST /api/v1/attachments by the writer, at most 9;
    /// shown to whoever is shown the note (so never to the enterprise when it is internal).
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UrgeRequest {
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What was done.
    pub resolution: String,
    /// Required for suggestions: whether it was adopted.
    pub adopted: Option<bool>,
    /// Photos and documents uploaded with POST /api/v1/attachments by the writer, at most 9.
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisitRequest {
    pub rating: Rating,
    pub comment: Option<String>,
}

fn now_text(state: &State) -> String {
    time::format(state.clock.now())
}

/// The `Idempotency-Key` header, if any, with the hash of the request it came with.
fn idempotency_key(
    req: &HttpRequest,
    body: &CreateTicketRequest,
) -> Result<Option<IdempotencyKey>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?;
    let canonical = serde_json::to_vec(body).map_err(AppError::internal)?;
    Ok(Some(IdempotencyKey {
        key: key.to_string(),
        request_hash: crate::auth::sha256_hex(&canonical),
    }))
}

/// The numbering and idempotency settings of a filing, from the settings and the database.
pub(crate) fn filing_options(state: &State) -> FilingOptions {
    FilingOptions {
        number_prefix: state.settings.tickets.number_prefix.clone(),
        idempotency_ttl: chrono::Duration::hours(state.settings.tickets.idempotency_ttl_hours),
        day_sequences: state.db.day_sequences(),
    }
}

/// File a request. Enterprise users file for their own enterprise; dispatchers and
/// administrators on behalf of one (by phone or visit). With an `Idempotency-Key`, a retry
/// returns the first result (header `Idempotent-Replayed: true`) instead of a second ticket.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets",
    request_body = CreateTicketRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried filing return the first result")),
    responses(
        (status = 201, body = TicketResponse),
        (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 413, body = ErrorResponse),
        (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create_ticket(
    state: State,
    auth: Auth,
    req: HttpRequest,
    body: ApiJson<CreateTicketRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    filing::may_file(&who)?;
    let ApiJson(body) = body;
    let key = idempotency_key(&req, &body)?;
    let mut errors = FieldErrors::new();
    errors.required_text("title", &body.title, limits::TITLE);
    errors.required_text("description", &body.description, limits::DESCRIPTION);
    if let Some(problem) = attachments::ids_problem(&body.attachment_ids) {
        errors.add("attachment_ids", problem);
    }
    let input = NewTicket {
        kind: body.kind,
        category_id: body.category_id,
        title: body.title,
        description: body.description,
        contact_name: errors.optional_text("contact_name", body.contact_name, limits::NAME),
        contact_phone: errors.contact_phone("contact_phone", body.contact_phone),
        enterprise_id: body.enterprise_id,
        channel: body.channel,
        priority: body.priority,
        attachment_ids: body.attachment_ids.clone(),
    };
    errors.finish()?;
    let options = filing_options(&state);
    let now = state.clock.now();
    // On PostgreSQL a filing can lose two races, each surfacing as a uniqueness violation
    // and a rolled-back transaction: to a retry with the same idempotency key (the next
    // attempt finds the winner's ticket), and to the day's first filing creating the day's
    // number sequence (the next attempt finds it). Either way, try again.
    let mut attempt = 0;
    // The words of the title and description for the search index, segmented here, once.
    let ctx = state
        .ticket_context()
        .with_filing_words(&input.title, &input.description);
    let filed = loop {
        let (who, input, key, options) = (who.clone(), input.clone(), key.clone(), options.clone());
        let ctx = ctx.clone();
        let result = state
            .write(move |c| filing::file(c, &ctx, &who, input, key.as_ref(), &options, now))
            .await;
        match result {
            Err(e) if e.is_duplicate() && attempt < 3 => attempt += 1,
            other => break other?,
        }
    };
    state.outbox.expand_soon();
    let mut response = HttpResponse::Created();
    response.insert_header((
        "Location",
        format!("/api/v1/tickets/{}", filed.ticket.ticket.id),
    ));
    if filed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(TicketResponse::new(filed.ticket, &time::format(now))))
}

pub(crate) fn instant(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            time::parse_instant_or_date(v)
                .map(time::format)
                .ok_or_else(|| {
                    AppError::invalid_query(field, "must be an RFC 3339 time or a YYYY-MM-DD date")
                })
        })
        .transpose()
}

/// The ticket filter of the list's parameters (the ledger export takes the same); `q` is
/// segmented into words with `segmenter`.
pub(crate) fn list_filter(
    q: &TicketListQuery,
    now: &str,
    segmenter: &Segmenter,
) -> Result<TicketFilter, AppError> {
    list_filter_due(q, now, 0, segmenter)
}

/// The text search of `q`: trimmed, at most `limits::SEARCH` characters (400 naming `q`),
/// with its words; `None` when blank.
fn text_search(q: Option<&str>, segmenter: &Segmenter) -> Result<Option<TextSearch>, AppError> {
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(None),
        Some(q) if text::char_len(q) > limits::SEARCH => Err(AppError::invalid_query(
            "q",
            format!("must be at most {} characters", limits::SEARCH),
        )),
        Some(q) => Ok(Some(TextSearch {
            term: q.to_string(),
            terms: segmenter.query_terms(q),
        })),
    }
}

/// [`list_filter`], with the window of `due_soon` in hours.
pub(crate) fn list_filter_due(
    q: &TicketListQuery,
    now: &str,
    due_soon_hours: u32,
    segmenter: &Segmenter,
) -> Result<TicketFilter, AppError> {
    let due_between = match q.due_soon {
        Some(true) => {
            let at = time::parse(now).ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("the clock gave an unreadable time {now}"))
            })?;
            let until = at + chrono::Duration::hours(i64::from(due_soon_hours));
            Some((now.to_string(), time::format(until)))
        }
        _ => None,
    };
    let search = text_search(q.q.as_deref(), segmenter)?;
    let (oldest_first, by_relevance) = match q.sort.as_deref().map(str::trim) {
        // Searching, the most relevant first unless asked otherwise.
        None | Some("") => (false, search.is_some()),
        Some("relevance") => (false, search.is_some()),
        Some("newest") => (false, false),
        Some("oldest") => (true, false),
        // A query parameter, answered as the others are: 400 naming it.
        Some(_) => {
            return Err(AppError::invalid_query(
                "sort",
                "must be relevance, newest or oldest",
            ));
        }
    };
    // A relevance order pages by position, the others after the last id.
    let (cursor, offset) = if by_relevance {
        (None, offset_cursor(q.cursor.as_deref())?)
    } else {
        (cursor_id(q.cursor.as_deref())?, 0)
    };
    Ok(TicketFilter {
        search,
        by_relevance,
        offset,
        due_between,
        statuses: list_of("status", q.status.as_deref())?,
        kinds: list_of("kind", q.kind.as_deref())?,
        category_id: q.category_id.clone(),
        department_id: q.department_id.clone(),
        assignee_id: q.assignee_id.clone(),
        enterprise_id: q.enterprise_id.clone(),
        created_from: instant("created_from", q.created_from.as_deref())?,
        created_to: instant("created_to", q.created_to.as_deref())?,
        overdue: q.overdue.map(|o| (o, now.to_string())),
        extension_pending: q.extension_pending,
        oldest_first,
        before_id: cursor.clone().filter(|_| !oldest_first),
        after_id: cursor.filter(|_| oldest_first),
        ..TicketFilter::default()
    })
}

/// How many of the tickets the caller may see are in each status of the workbench, due soon
/// (`deadlines.due_soon_hours`) and overdue.
#[utoipa::path(get, path = "/api/v1/tickets/counts", tag = "tickets",
    responses((status = 200, body = queries::TabCounts), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ticket_counts(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let now = state.clock.now();
    let hours = i64::from(state.settings.deadlines.due_soon_hours);
    let (now, until) = (
        time::format(now),
        time::format(now + chrono::Duration::hours(hours)),
    );
    let counts = state
        .read(move |c| queries::tab_counts(c, &who, &now, &until))
        .await?;
    Ok(HttpResponse::Ok().json(counts))
}

/// Tickets the caller may see, newest first, filtered and paged.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets",
    params(TicketListQuery),
    responses((status = 200, body = TicketList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_tickets(
    state: State,
    auth: Auth,
    query: web::Query<TicketListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let now = now_text(&state);
    let filter = TicketFilter {
        relevance_window: Some(state.settings.search.relevance_window),
        ..list_filter_due(
            &q,
            &now,
            state.settings.deadlines.due_soon_hours,
            &state.segmenter,
        )?
    };
    let words = filter
        .search
        .as_ref()
        .map(|s| state.segmenter.highlight_words(&s.term));
    let page = state
        .read(move |c| queries::list(c, &who, &filter, limit))
        .await?;
    Ok(HttpResponse::Ok().json(TicketList {
        items: page
            .items
            .into_iter()
            .map(|t| {
                let highlight = words.as_deref().map(|w| Highlight::of(&t.ticket, w));
                TicketResponse {
                    highlight,
                    ..TicketResponse::new(t, &now)
                }
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A ticket with its timeline. Enterprise users see only public events and comments.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path)),
    responses((status = 200, body = TicketDetailResponse), (status = 404, description = "no such ticket, or not yours to see", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_ticket(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let now = now_text(&state);
    let detail = state.read(move |c| queries::detail(c, &who, &id)).await?;
    let etag = format!("\"{}\"", detail.ticket.ticket.version);
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag))
        .json(TicketDetailResponse::new(
            detail,
            &now,
            state.settings.tickets.progress_public_by_default,
        )))
}

/// Comment on a ticket that is still open (not closed, rejected or withdrawn); enterprise users
/// cannot write internal comments.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets",
    params(("id" = String, Path)),
    request_body = CommentRequest,
    responses((status = 201, body = CommentResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, description = "the ticket is closed, rejected or withdrawn", body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn add_comment(
    state: State,
    auth: Auth,
    id: web::Path<String>,
    body: ApiJson<CommentRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("body", &req.body, limits::NOTE);
    if let Some(problem) = attachments::ids_problem(&req.attachment_ids) {
        errors.add("attachment_ids", problem);
    }
    errors.finish()?;
    let now = state.clock.now();
    let comment = state
        .write(move |c| {
            actions::add_comment(
                c,
                &who,
                &id,
                req.body,
                req.internal,
                &req.attachment_ids,
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(CommentResponse::from(comment)))
}

/// Runs an action, linking the files it carries to its timeline entry, and answers with the
/// ticket as it now is.
async fn act(
    state: State,
    who: crate::auth::Principal,
    if_match: IfMatch,
    id: &str,
    input: ActionInput,
    attachment_ids: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(id, "ticket")?;
    attachments::check_ids(&attachment_ids)?;
    let now = state.clock.now();
    // A progress note's or resolution's words, for the search index, segmented here rather
    // than in the write (see `Context::words`).
    let ctx = match &input {
        ActionInput::Progress { note: text, .. }
        | ActionInput::Resolve {
            resolution: text, ..
        } => state.ticket_context().with_words(&[text]),
        _ => state.ticket_context(),
    };
    let expected = if_match.0;
    // An assignment teaches the routing suggestions, a return takes it back (once committed).
    let routes = matches!(
        input,
        ActionInput::Assign { .. } | ActionInput::Return { .. }
    );
    let record = state
        .write(move |c| {
            actions::act_with_files(c, &ctx, &who, &id, input, &attachment_ids, expected, now)
        })
        .await?;
    state.outbox.expand_soon();
    if routes {
        routing::observe(&state.router, &record.ticket);
    }
    Ok(HttpResponse::Ok().json(TicketResponse::new(record, &time::format(now))))
}

fn required_note(field: &str, value: String, max: usize) -> Result<String, AppError> {
    let mut errors = FieldErrors::new();
    errors.required_text(field, &value, max);
    errors.finish()?;
    Ok(value)
}

fn optional_note(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    let mut errors = FieldErrors::new();
    let value = errors.optional_text(field, value, limits::NOTE);
    errors.finish()?;
    Ok(value)
}

/// The files of an action that carries none.
fn no_files<T>(_: &T) -> Vec<String> {
    Vec::new()
}

/// Declares the handler of an action with its OpenAPI description: it checks the body's
/// fields with `input` (into the domain's `Input`), takes the files it carries with `files`
/// (none when left out), and runs the action.
macro_rules! action {
    (@files) => { no_files };
    (@files $files:expr) => { $files };
    ($name:ident, $path:literal, $body:ty, $summary:literal, $input:expr $(, files = $files:expr)? $(,)?) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "ticket actions",
            params(("id" = String, Path),
                ("If-Match" = Option<String>, Header, description = "The ticket's `version` (as its ETag, `\"7\"`) the action is meant for: 412 if it has changed since")),
            request_body = $body,
            responses(
                (status = 200, description = "the ticket after the action", body = TicketResponse),
                (status = 403, description = "the caller may not take this action on this ticket", body = ErrorResponse),
                (status = 404, body = ErrorResponse),
                (status = 409, description = "the action is not allowed in the ticket's status", body = ErrorResponse),
                (status = 412, description = "If-Match names another version than the ticket's", body = ErrorResponse),
                (status = 422, body = ErrorResponse),
            ),
            security(("bearer" = [])))]
        pub async fn $name(
            state: State,
            auth: Auth,
            if_match: IfMatch,
            id: web::Path<String>,
            body: ApiJson<$body>,
        ) -> Result<HttpResponse, AppError> {
            let input: fn($body) -> Result<ActionInput, AppError> = $input;
            let files: fn(&$body) -> Vec<String> = action!(@files $($files)?);
            let attachment_ids = files(&body.0);
            act(state, auth.0, if_match, &id, input(body.0)?, attachment_ids).await
        }
    };
}

action!(
    accept,
    "/api/v1/tickets/{id}/accept",
    NoteRequest,
    "Accept a submitted request (dispatchers, administrators).",
    |req| Ok(ActionInput::Accept {
        note: optional_note("note", req.note)?,
    }),
);

action!(
    reject,
    "/api/v1/tickets/{id}/reject",
    ReasonRequest,
    "Reject a submitted request, with the reason the enterprise will read (dispatchers, administrators).",
    |req| Ok(ActionInput::Reject {
        reason: required_note("reason", req.reason, limits::NOTE)?,
    }),
);

action!(
    assign,
    "/api/v1/tickets/{id}/assign",
    AssignRequest,
    "Assign, or re-assign, to a lead department and optionally a cadre, accepting on the way (dispatchers, administrators).",
    assignment,
);

/// The assignment a body asks for: the deadline as a time, the co-handling departments sorted
/// and at most ten.
fn assignment(req: AssignRequest) -> Result<ActionInput, AppError> {
    let mut errors = FieldErrors::new();
    let due_at = match req.due_at.as_deref() {
        None => None,
        Some(text) => {
            let parsed = time::parse(text);
            if parsed.is_none() {
                errors.add(
                    "due_at",
                    "must be an RFC 3339 time, e.g. 2026-12-01T18:00:00+08:00",
                );
            }
            parsed
        }
    };
    let co = req.co_department_ids.map(|mut ids| {
        ids.sort();
        ids.dedup();
        ids
    });
    if co
        .as_ref()
        .is_some_and(|ids| ids.len() > limits::CO_DEPARTMENTS)
    {
        errors.add(
            "co_department_ids",
            format!("at most {} departments", limits::CO_DEPARTMENTS),
        );
    }
    errors.finish()?;
    Ok(ActionInput::Assign {
        department_id: req.department_id,
        assignee_id: req.assignee_id,
        co_department_ids: co,
        due_at,
        priority: req.priority,
    })
}

action!(
    sign,
    "/api/v1/tickets/{id}/sign",
    EmptyRequest,
    "Sign for an assigned ticket (the assignee, or a cadre of the lead department when there is none).",
    |_| Ok(ActionInput::Sign),
);

action!(
    return_ticket,
    "/api/v1/tickets/{id}/return",
    ReasonRequest,
    "Return an assigned ticket to the dispatchers, e.g. for the wrong department (whoever may sign).",
    |req| Ok(ActionInput::Return {
        reason: required_note("reason", req.reason, limits::NOTE)?,
    }),
);

action!(
    progress,
    "/api/v1/tickets/{id}/progress",
    ProgressRequest,
    "Record progress (the assignee, cadres of the lead or a co-handling department), with photos and documents if any.",
    |req| Ok(ActionInput::Progress {
        note: required_note("note", req.note, limits::NOTE)?,
        public: req.public,
    }),
    files = |req| req.attachment_ids.clone(),
);

action!(
    urge,
    "/api/v1/tickets/{id}/urge",
    UrgeRequest,
    "Urge the handlers (督办; dispatchers, administrators).",
    |req| Ok(ActionInput::Urge {
        note: required_note("note", req.note, limits::NOTE)?,
    }),
);

action!(
    resolve,
    "/api/v1/tickets/{id}/resolve",
    ResolveRequest,
    "Resolve (办结; the assignee or a cadre of the lead department), with photos and documents if any. Suggestions need `adopted`.",
    |req| Ok(ActionInput::Resolve {
        resolution: required_note("resolution", req.resolution, limits::DESCRIPTION)?,
        adopted: req.adopted,
    }),
    files = |req| req.attachment_ids.clone(),
);

action!(
    revisit,
    "/api/v1/tickets/{id}/revisit",
    RevisitRequest,
    "Rate the resolution: the filing enterprise online, or a dispatcher recording a phone call. Unsatisfied sends it back to the handlers.",
    |req| Ok(ActionInput::Revisit {
        rating: req.rating,
        comment: optional_note("comment", req.comment)?,
    }),
);

action!(
    close,
    "/api/v1/tickets/{id}/close",
    ReasonRequest,
    "Close a resolved ticket without a rating (dispatchers, administrators).",
    |req| Ok(ActionInput::Close {
        reason: required_note("reason", req.reason, limits::NOTE)?,
    }),
);

action!(
    withdraw,
    "/api/v1/tickets/{id}/withdraw",
    OptionalReasonRequest,
    "Withdraw a request that is not yet assigned (the filing enterprise).",
    |req| Ok(ActionInput::Withdraw {
        reason: optional_note("reason", req.reason)?,
    }),
);

action!(
    merge,
    "/api/v1/tickets/{id}/merge",
    MergeRequest,
    "Close a waiting request as a duplicate merged into another of its kind that is accepted and not yet resolved (its primary); its enterprise then follows the primary (dispatchers, administrators). 409 `merge_refused` names why a primary will not do.",
    |req| {
        let mut errors = FieldErrors::new();
        errors.required_text("primary", &req.primary, limits::NAME);
        errors.required_text("reason", &req.reason, limits::NOTE);
        errors.finish()?;
        Ok(ActionInput::Merge {
            primary_id: req.primary,
            primary_number: String::new(),
            reason: req.reason,
        })
    },
);

action!(
    unmerge,
    "/api/v1/tickets/{id}/unmerge",
    ReasonRequest,
    "Take a merged request out of its primary while the primary is not yet resolved: it is accepted again, to be assigned on its own (dispatchers, administrators).",
    |req| Ok(ActionInput::Unmerge {
        reason: required_note("reason", req.reason, limits::NOTE)?,
    }),
);

/// How many similar tickets to give: 1 to 20, 5 when not asked.
/// How many similar tickets a request asks for: 1 to 20, `default` when it does not say.
pub(crate) fn similar_limit(limit: Option<i64>, default: i64) -> Result<i64, AppError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=20).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid_query("limit", "must be between 1 and 20")),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// How many, 1 to 20 (default 5).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarTextQuery {
    /// The title being written (at most 100 characters).
    pub title: Option<String>,
    /// The description being written, at most its first 1,000 characters (a query string
    /// is no place for a whole description; the start says what it is about).
    pub description: Option<String>,
    /// How many, 1 to 20 (default 5).
    pub limit: Option<i64>,
}

/// A ticket like another, with how alike and what they share.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarTicket {
    pub id: String,
    pub number: String,
    pub kind: TicketKind,
    pub status: crate::domain::ticket::TicketStatus,
    pub title: String,
    pub enterprise_id: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
    /// Higher is more alike: the full-text rank of the shared words (comparable within one
    /// answer, not across answers or backends).
    pub score: f64,
    /// The compared words of the request that this ticket has too.
    pub shared_words: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarList {
    /// The most alike first.
    pub items: Vec<SimilarTicket>,
}

impl SimilarList {
    fn of(found: Vec<similar::Similar>) -> SimilarList {
        SimilarList {
            items: found
                .into_iter()
                .map(|s| SimilarTicket {
                    id: s.ticket.id,
                    number: s.ticket.number,
                    kind: s.ticket.kind,
                    status: s.ticket.status,
                    title: s.ticket.title,
                    enterprise_id: s.ticket.enterprise_id,
                    created_at: s.ticket.created_at,
                    resolved_at: s.ticket.resolved_at,
                    score: s.score,
                    shared_words: s.shared_words,
                })
                .collect(),
        }
    }
}

/// The open tickets, and those resolved in the last 90 days, of any enterprise most like this
/// one (sharing its words), for dispatchers and administrators: duplicates and common causes.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/similar", tag = "tickets",
    params(("id" = String, Path), SimilarQuery),
    responses((status = 200, body = SimilarList), (status = 400, body = ErrorResponse),
        (status = 403, description = "not a dispatcher or administrator", body = ErrorResponse),
        (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn similar_tickets(
    state: State,
    auth: Auth,
    id: web::Path<String>,
    query: web::Query<SimilarQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let limit = similar_limit(query.limit, 5)?;
    let window = state.settings.search.similar_window;
    let now = state.clock.now();
    let segmenter = state.segmenter.clone();
    let found = state
        .read(move |c| similar::like_ticket(c, &segmenter, &who, &id, (limit, window), now))
        .await?;
    Ok(HttpResponse::Ok().json(SimilarList::of(found)))
}

/// For an enterprise's user writing a request: its enterprise's own open tickets most like
/// the title and description so far ("您已反映过类似问题"). Never another enterprise's.
#[utoipa::path(get, path = "/api/v1/tickets/similar", tag = "tickets",
    params(SimilarTextQuery),
    responses((status = 200, body = SimilarList), (status = 400, body = ErrorResponse),
        (status = 403, description = "not an enterprise's user", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn similar_to_text(
    state: State,
    auth: Auth,
    query: web::Query<SimilarTextQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    // The caller before the parameters: staff are told it is not theirs, not what is wrong.
    similar::may_hint(&who)?;
    let q = query.into_inner();
    let limit = similar_limit(q.limit, 5)?;
    let title = q.title.unwrap_or_default();
    let description = q.description.unwrap_or_default();
    if text::char_len(&title) > limits::TITLE {
        return Err(AppError::invalid_query(
            "title",
            format!("must be at most {} characters", limits::TITLE),
        ));
    }
    if text::char_len(&description) > similar::MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid_query(
            "description",
            format!(
                "must be at most {} characters (send its start)",
                similar::MAX_DESCRIPTION_CHARS
            ),
        ));
    }
    if text::is_blank(&title) && text::is_blank(&description) {
        return Err(AppError::invalid_query(
            "title",
            "a title or a description is needed",
        ));
    }
    // Segmented here, on the request's thread.
    let words = state
        .segmenter
        .similarity_words(&title, &description, similar::MAX_WORDS);
    let found = state
        .read(move |c| similar::like_text(c, &who, &words, limit))
        .await?;
    Ok(HttpResponse::Ok().json(SimilarList::of(found)))
}
