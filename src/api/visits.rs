//! Liaison cadres' visits (走访, issue 19; `service::visits`): recording one with the requests
//! filed on the spot, the list, and a cadre's paired enterprises with their last visit.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, Auth};
use crate::api::state::State;
use crate::api::types::{AttachmentResponse, ErrorResponse};
use crate::db::visits::VisitFilter;
use crate::domain::ticket::TicketKind;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::tickets::filing::NewTicket;
use crate::service::visits::{self, MAX_REQUESTS, METHODS, NewVisit, Visit};

/// A difficulty raised on the visit, filed as the enterprise's request (channel `visit`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitRequest {
    pub kind: TicketKind,
    pub category_id: String,
    /// At most 100 characters.
    pub title: String,
    /// At most 5,000 characters.
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordVisitRequest {
    pub enterprise_id: String,
    /// The cadre who visited: a cadre records their own (leave it out); a dispatcher or
    /// administrator names one (default: the enterprise's liaison cadre).
    pub cadre_id: Option<String>,
    /// YYYY-MM-DD (China), within the last year, not after today.
    pub visited_on: String,
    /// `on_site` (实地走访), `phone` (电话), `meeting` (座谈).
    pub method: String,
    /// Whom they met (at most 200 characters).
    pub people: String,
    /// What they found (at most 5,000 characters).
    pub findings: String,
    /// The difficulties raised, each filed as a request (at most 5).
    #[serde(default)]
    pub requests: Vec<VisitRequest>,
    /// Photos taken on the visit: ids of the caller's uploads (`POST /attachments`), pictures
    /// only, at most 9.
    #[serde(default)]
    pub photo_ids: Vec<String>,
    /// The policies explained on the visit (送政策): ids of published policies, at most 20.
    /// They count as told in each policy's coverage.
    #[serde(default)]
    pub policy_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitResponse {
    pub id: String,
    pub enterprise_id: String,
    pub cadre_id: String,
    /// The cadre's department at the time.
    pub department_id: Option<String>,
    pub visited_on: String,
    pub method: String,
    pub people: String,
    pub findings: String,
    /// The requests filed from it.
    pub ticket_ids: Vec<String>,
    /// The photos taken on it (`GET /attachments/{id}` for each).
    pub photos: Vec<AttachmentResponse>,
    /// The policies explained on it.
    pub policy_ids: Vec<String>,
    pub created_at: String,
}

impl From<Visit> for VisitResponse {
    fn from(v: Visit) -> Self {
        let r = v.row;
        VisitResponse {
            id: r.id,
            enterprise_id: r.enterprise_id,
            cadre_id: r.cadre_id,
            department_id: r.department_id,
            visited_on: r.visited_on,
            method: r.method,
            people: r.people,
            findings: r.findings,
            ticket_ids: v.ticket_ids,
            photos: v.photos.into_iter().map(AttachmentResponse::from).collect(),
            policy_ids: v.policy_ids,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitList {
    /// The latest day first (at most 200).
    pub items: Vec<VisitResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    pub enterprise_id: Option<String>,
    pub cadre_id: Option<String>,
    /// Days, both inclusive, YYYY-MM-DD.
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairedEnterprise {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub area: Option<String>,
    pub industry_chain: Option<String>,
    /// The latest visit's day, if any.
    pub last_visit: Option<String>,
    /// Not visited within `liaison.visit_interval_days` (or never): 待走访.
    pub visit_due: bool,
    /// The caller is its deputy liaison cadre (副联点), not its liaison cadre.
    pub deputy: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairedList {
    /// Those due first (never visited first of all), then by the last visit.
    pub items: Vec<PairedEnterprise>,
    pub visit_interval_days: u32,
}

fn day_of(errors: &mut FieldErrors, field: &str, text: &str) -> Option<NaiveDate> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    if day.is_none() {
        errors.add(field, "must be a day, YYYY-MM-DD");
    }
    day
}

/// Records a visit (走访) and files the difficulties raised on it as the enterprise's requests
/// (channel `visit`, linked to the visit), in one transaction. A cadre records their own
/// visits to the enterprises they are the liaison cadre of; dispatchers and administrators
/// anyone's.
#[utoipa::path(post, path = "/api/v1/visits", tag = "visits",
    request_body = RecordVisitRequest,
    responses((status = 201, body = VisitResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn record(
    state: State,
    auth: Auth,
    body: ApiJson<RecordVisitRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let ApiJson(body) = body;
    let mut errors = FieldErrors::new();
    let visited_on = day_of(&mut errors, "visited_on", &body.visited_on);
    if !METHODS.contains(&body.method.as_str()) {
        errors.add("method", "must be on_site, phone or meeting");
    }
    errors.required_text("people", &body.people, limits::ADDRESS);
    errors.required_text("findings", &body.findings, limits::DESCRIPTION);
    if let Some(problem) = crate::service::attachments::ids_problem(&body.photo_ids) {
        errors.add("photo_ids", problem);
    }
    if body.policy_ids.len() > 20 {
        errors.add("policy_ids", "at most 20 policies a visit");
    }
    let policy_ids: Vec<String> = body
        .policy_ids
        .iter()
        .map(|p| {
            uuid::Uuid::parse_str(p.trim())
                .map(|u| u.hyphenated().to_string())
                .unwrap_or_else(|_| {
                    errors.add("policy_ids", "names a policy that is not published");
                    String::new()
                })
        })
        .collect();
    if body.requests.len() > MAX_REQUESTS {
        errors.add(
            "requests",
            format!("at most {MAX_REQUESTS} requests a visit"),
        );
    }
    let requests: Vec<NewTicket> = body
        .requests
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            errors.required_text(&format!("requests[{i}].title"), &r.title, limits::TITLE);
            errors.required_text(
                &format!("requests[{i}].description"),
                &r.description,
                limits::DESCRIPTION,
            );
            NewTicket {
                kind: r.kind,
                category_id: r.category_id,
                title: r.title.trim().to_string(),
                description: r.description.trim().to_string(),
                contact_name: None,
                contact_phone: None,
                enterprise_id: None,
                channel: None,
                priority: None,
                attachment_ids: Vec::new(),
            }
        })
        .collect();
    errors.finish()?;
    let input = NewVisit {
        enterprise_id: body.enterprise_id,
        cadre_id: body.cadre_id,
        visited_on: visited_on.unwrap_or(NaiveDate::MIN),
        method: body.method,
        people: body.people.trim().to_string(),
        findings: body.findings.trim().to_string(),
        requests,
        photo_ids: body.photo_ids,
        policy_ids,
    };
    let options = crate::api::tickets::filing_options(&state);
    let ctx = state.ticket_context();
    let now = state.clock.now();
    let visit = state
        .write(move |c| visits::record(c, &ctx, &who, input, &options, now))
        .await?;
    state.outbox.expand_soon();
    Ok(HttpResponse::Created().json(VisitResponse::from(visit)))
}

/// Visits, the latest first: administrators and dispatchers all; a cadre their own and those
/// to the enterprises they are the liaison cadre of.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitQuery),
    responses((status = 200, body = VisitList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list(
    state: State,
    auth: Auth,
    query: web::Query<VisitQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let day = |name: &str, v: Option<String>| -> Result<Option<String>, AppError> {
        v.map(|t| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map(|d| d.format("%Y-%m-%d").to_string())
                .map_err(|_| AppError::invalid_query(name, "must be a day, YYYY-MM-DD"))
        })
        .transpose()
    };
    let filter = VisitFilter {
        enterprise_id: q.enterprise_id,
        cadre_id: q.cadre_id,
        from: day("from", q.from)?,
        to: day("to", q.to)?,
        readable_by: None,
    };
    let items = state
        .read(move |c| visits::list(c, &who, filter, 200))
        .await?;
    Ok(HttpResponse::Ok().json(VisitList {
        items: items.into_iter().map(VisitResponse::from).collect(),
    }))
}

/// A liaison cadre's paired enterprises (联点企业) with their last visit, those due a visit
/// (not visited within `liaison.visit_interval_days`) first. Cadres only.
#[utoipa::path(get, path = "/api/v1/me/enterprises", tag = "visits",
    responses((status = 200, body = PairedList), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn my_enterprises(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let interval = state.settings.liaison.visit_interval_days;
    let now = state.clock.now();
    let items = state
        .read(move |c| visits::my_enterprises(c, &who, interval, now))
        .await?;
    Ok(HttpResponse::Ok().json(PairedList {
        items: items
            .into_iter()
            .map(|p| PairedEnterprise {
                id: p.enterprise.id,
                name: p.enterprise.name,
                credit_code: p.enterprise.credit_code,
                area: p.enterprise.area,
                industry_chain: p.enterprise.industry_chain,
                last_visit: p.last_visit.map(|d| d.format("%Y-%m-%d").to_string()),
                visit_due: p.due,
                deputy: p.deputy,
            })
            .collect(),
        visit_interval_days: interval,
    }))
}
