//! The weekly bulletins (每周通报, issue 19; `service::bulletins`): the list, a bulletin, an
//! administrator drafting one for a week, changing a draft (the foreword, the typical cases,
//! the figures counted again) and publishing it; its Word document and workbook.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, Auth, ClientIp};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::db::bulletins as store;
use crate::domain::ticket::Role;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::bulletins::{self, Bulletin, CasePick, DraftChanges, Drafting, MAX_CASES};
use crate::service::stats::Weights;

/// The longest foreword, in characters.
pub const MAX_FOREWORD: usize = 5000;

/// A bulletin in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulletinSummary {
    pub id: String,
    /// The week it reports on, China days, both inclusive.
    pub period_from: String,
    pub period_to: String,
    /// `draft` or `published`.
    pub status: String,
    /// Once published: the year and number, and the two as offices write them
    /// (〔2026〕第48期).
    pub year: Option<i32>,
    pub number: Option<i32>,
    pub issue: Option<String>,
    /// Changes at each change of a draft; send it back to change or publish it.
    pub version: i32,
    /// Null: drafted by the service on its schedule.
    pub drafted_by: Option<String>,
    pub drafted_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
}

impl From<&store::BulletinRow> for BulletinSummary {
    fn from(r: &store::BulletinRow) -> Self {
        BulletinSummary {
            id: r.id.clone(),
            period_from: r.period_from.clone(),
            period_to: r.period_to.clone(),
            status: r.status.clone(),
            year: r.year,
            number: r.number,
            issue: bulletins::issue_label(r.year, r.number),
            version: r.version,
            drafted_by: r.drafted_by.clone(),
            drafted_at: r.drafted_at.clone(),
            updated_at: r.updated_at.clone(),
            published_at: r.published_at.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulletinList {
    /// The latest week first (at most 200); administrators see the drafts too.
    pub items: Vec<BulletinSummary>,
}

/// A bulletin in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulletinResponse {
    #[serde(flatten)]
    pub summary: BulletinSummary,
    /// The bulletin's name and issuing office (`bulletin.title`, `bulletin.issuing_office`).
    pub title: String,
    pub issuing_office: String,
    pub foreword: String,
    /// The typical cases (典型案例): `ticket_id`, `number`, `title`, `department`,
    /// `status_label` (as the ticket was when picked; when published) and `note`.
    #[schema(value_type = Vec<Object>)]
    pub cases: Vec<bulletins::Case>,
    /// As counted at `computed_at` (docs/api.md, "The weekly bulletin"): `year_from`,
    /// `week` and `year` (filed, accepted, resolved, on_time_rate, satisfaction_rate,
    /// overdue_open, reopened), `departments`, `red`, `black`, `overdue`, `overdue_count`,
    /// `systemic`.
    #[schema(value_type = Object)]
    pub figures: bulletins::Figures,
}

fn response(state: &State, b: &Bulletin) -> BulletinResponse {
    BulletinResponse {
        summary: BulletinSummary::from(&b.row),
        title: state.settings.bulletin.title.clone(),
        issuing_office: state.settings.bulletin.issuing_office.clone(),
        foreword: b.row.foreword.clone(),
        cases: b.cases.clone(),
        figures: b.figures.clone(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The first of the seven days (YYYY-MM-DD), which must have ended; default: the week the
    /// service's schedule drafts now (the seven days before the latest `bulletin.weekday`).
    pub from: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    /// The request's number (or id).
    pub ticket: String,
    /// What the administrator writes of it (at most 2,000 characters).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The version read.
    pub version: i32,
    /// At most 5,000 characters; empty clears it.
    pub foreword: Option<String>,
    /// Replaces the typical cases, in order (at most 20).
    pub cases: Option<Vec<CaseRequest>>,
    /// Count the figures again, now.
    #[serde(default)]
    pub recount: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The version read.
    pub version: i32,
    /// The issue's number in this year (1–9999); default: the year's next.
    pub number: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `draft` or `published` (administrators; others see the published only).
    pub status: Option<String>,
}

fn admin_only(state_role: Role, what: &str) -> Result<(), AppError> {
    if state_role != Role::Admin {
        return Err(AppError::forbidden(format!("administrators {what}")));
    }
    Ok(())
}

fn drafting(state: &State) -> (std::sync::Arc<crate::service::calendar::Calendar>, Weights) {
    (state.calendar.current(), Weights::of(&state.settings.stats))
}

/// The weekly bulletins (每周通报), the latest week first: the published ones, and to
/// administrators the drafts too.
#[utoipa::path(get, path = "/api/v1/bulletins", tag = "statistics", params(ListQuery),
    responses((status = 200, body = BulletinList), (status = 400, description = "a status that is not draft or published", body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list(
    state: State,
    auth: Auth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let drafts = bulletins::reads_drafts(&who)?;
    let only = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s @ (store::DRAFT | store::PUBLISHED)) => Some(s.to_string()),
        Some(_) => {
            return Err(AppError::invalid_query(
                "status",
                "must be draft or published",
            ));
        }
    };
    let rows = state
        .read(move |c| Ok(store::list(c, drafts, only.as_deref(), 200)?))
        .await?;
    let items = rows.iter().map(BulletinSummary::from).collect();
    Ok(HttpResponse::Ok().json(BulletinList { items }))
}

/// Drafts the bulletin of a week now (administrators); the service drafts each week's on
/// its own. 409 when the week has one.
#[utoipa::path(post, path = "/api/v1/bulletins", tag = "statistics",
    request_body = DraftRequest,
    responses((status = 201, body = BulletinResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<DraftRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    admin_only(who.role, "draft the bulletins")?;
    let ApiJson(req) = body;
    let now = state.clock.now();
    let from = match req.from.as_deref().map(str::trim) {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| AppError::invalid_field("from", "must be a day, YYYY-MM-DD"))?,
        None => bulletins::due_week(&state.settings.bulletin, now)
            .ok_or_else(|| AppError::invalid_field("from", "no week is due"))?,
    };
    let (calendar, weights) = drafting(&state);
    let settings = state.settings.clone();
    let by = ip.actor(&who);
    let drafted = state
        .run(move |db| {
            let d = Drafting {
                calendar: &calendar.days,
                settings: &settings.bulletin,
                weights,
            };
            bulletins::draft(db, &d, from, Some(by), now)
        })
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the draft was not read back")))?;
    Ok(HttpResponse::Created().json(response(&state, &drafted)))
}

/// A bulletin (a draft: administrators only; 404 to anyone else).
#[utoipa::path(get, path = "/api/v1/bulletins/{id}", tag = "statistics",
    params(("id" = String, Path)),
    responses((status = 200, body = BulletinResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = id.into_inner();
    let b = state.read(move |c| bulletins::read(c, &who, &id)).await?;
    Ok(HttpResponse::Ok().json(response(&state, &b)))
}

/// Changes a draft (administrators): the foreword, the typical cases (each a request's
/// number and a note; they replace the list), and the figures counted again now
/// (`recount`). 409 `already_published` once published; 409 `concurrent_update` when
/// `version` is not the draft's.
#[utoipa::path(patch, path = "/api/v1/bulletins/{id}", tag = "statistics",
    params(("id" = String, Path)),
    request_body = EditRequest,
    responses((status = 200, body = BulletinResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn edit(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<EditRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    admin_only(who.role, "edit the bulletins")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let foreword = req.foreword.map(|f| {
        errors.max_len("foreword", &f, MAX_FOREWORD);
        f.trim().to_string()
    });
    let cases = req.cases.map(|cases| {
        if cases.len() > MAX_CASES {
            errors.add("cases", format!("at most {MAX_CASES} typical cases"));
        }
        cases
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                errors.required_text(&format!("cases[{i}].ticket"), &c.ticket, limits::NAME);
                errors.max_len(&format!("cases[{i}].note"), &c.note, limits::NOTE);
                CasePick {
                    ticket: c.ticket.trim().to_string(),
                    note: c.note.trim().to_string(),
                }
            })
            .collect::<Vec<_>>()
    });
    errors.finish()?;
    let changes = DraftChanges {
        foreword,
        cases,
        recount: req.recount,
    };
    let (calendar, weights) = drafting(&state);
    let settings = state.settings.clone();
    let by = ip.actor(&who);
    let now = state.clock.now();
    let id = id.into_inner();
    let version = req.version;
    let b = state
        .run(move |db| {
            let d = Drafting {
                calendar: &calendar.days,
                settings: &settings.bulletin,
                weights,
            };
            bulletins::edit(db, &d, &id, version, changes, by, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(response(&state, &b)))
}

/// Publishes a draft (administrators) with its number of the year (default: the year's
/// next): from then on it never changes, and the department heads are told (e-mail; SMS
/// with `bulletin.sms`). 409 `already_published`, `duplicate` (the number is taken) or
/// `concurrent_update`.
#[utoipa::path(post, path = "/api/v1/bulletins/{id}/publish", tag = "statistics",
    params(("id" = String, Path)),
    request_body = PublishRequest,
    responses((status = 200, body = BulletinResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn publish(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<PublishRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    admin_only(who.role, "publish the bulletins")?;
    let ApiJson(req) = body;
    if req.number.is_some_and(|n| !(1..=9999).contains(&n)) {
        return Err(AppError::invalid_field(
            "number",
            "must be between 1 and 9999",
        ));
    }
    let settings = state.settings.clone();
    let outbox = state.outbox.clone();
    let by = ip.actor(&who);
    let now = state.clock.now();
    let id = id.into_inner();
    let b = state
        .run(move |db| {
            bulletins::publish(
                db,
                &outbox,
                &settings.bulletin,
                &id,
                req.version,
                req.number,
                by,
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(response(&state, &b)))
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A bulletin's Word document (.docx) or its tables (.xlsx): as published, or a draft's as
/// it stands (administrators).
pub async fn file_of(
    state: State,
    who: crate::auth::Principal,
    id: String,
    workbook: bool,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.bulletin.clone();
    let (bytes, name) = state
        .read(move |c| {
            let b = bulletins::read(c, &who, &id)?;
            let bytes = if b.row.is_published() {
                store::file(c, &id, workbook)?
                    .ok_or_else(|| AppError::not_found("bulletin file"))?
            } else if workbook {
                bulletins::workbook(&b)?
            } else {
                bulletins::document(&b, &settings)?
            };
            let label = b
                .issue()
                .unwrap_or_else(|| format!("{}草稿", b.row.period_from));
            Ok((bytes, format!("{}{label}", settings.title)))
        })
        .await?;
    let (filename, content_type) = if workbook {
        (format!("{name}.xlsx"), XLSX)
    } else {
        (format!("{name}.docx"), DOCX)
    };
    Ok(crate::api::export::download(
        filename,
        content_type,
        move |out| std::io::Write::write_all(out, &bytes).map_err(|e| e.to_string()),
    ))
}

/// A bulletin as a Word document (.docx), laid out as a government bulletin.
#[utoipa::path(get, path = "/api/v1/bulletins/{id}/bulletin.docx", tag = "statistics",
    params(("id" = String, Path)),
    responses((status = 200, description = "the Word document", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn docx(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    file_of(state, who, id.into_inner(), false).await
}

/// A bulletin's tables as a workbook (.xlsx), one sheet each.
#[utoipa::path(get, path = "/api/v1/bulletins/{id}/tables.xlsx", tag = "statistics",
    params(("id" = String, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn xlsx(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    file_of(state, who, id.into_inner(), true).await
}
