//! The liaison program's figures, drives, pairings and enterprise profiles (千名干部进千企,
//! issue 19; `service::liaison`, `service::pairing_import`).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::attachments::{UploadForm, read_file_part};
use crate::api::extract::{Admin, ApiJson, Auth, ClientIp, path_id};
use crate::api::state::State;
use crate::api::types::{EnterpriseResponse, ErrorResponse, TicketResponse};
use crate::api::visits::VisitResponse;
use crate::db::liaison::CampaignRow;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::audit::By;
use crate::service::enterprise_profile::{self, RequestFigures};
use crate::service::liaison::{
    self, CampaignState, Dimension, Figures, NewCampaign, NotVisited, Row, Scope,
};
use crate::service::pairing_import::{self, PairingReport};

// --- figures -------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LiaisonQuery {
    /// The first day, YYYY-MM-DD (default: 1 January of this year).
    pub from: Option<String>,
    /// The day after the last, YYYY-MM-DD (default: tomorrow), as in the other statistics.
    pub to: Option<String>,
    /// `department` (default), `area` or `industry_chain`.
    pub by: Option<String>,
    /// Only the enterprises of this area.
    pub area: Option<String>,
    /// Only the enterprises of this industry chain.
    pub industry_chain: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiaisonFiguresResponse {
    pub from: String,
    /// Exclusive.
    pub to: String,
    pub by: String,
    pub totals: Figures,
    /// The lowest coverage first.
    pub rows: Vec<Row>,
    /// Paired enterprises not visited in the period, by name (at most 200).
    pub not_visited: Vec<NotVisited>,
    pub not_visited_total: i64,
}

fn text_param(field: &str, v: Option<String>) -> Result<Option<String>, AppError> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > limits::NAME) {
        return Err(AppError::invalid_query(
            field,
            format!("must be at most {} characters", limits::NAME),
        ));
    }
    Ok(v)
}

/// The liaison program's figures (docs/kpi.md): coverage (paired enterprises visited / paired
/// enterprises), visits per cadre and requests per visit, in all and by department, area or
/// industry chain, with the paired enterprises not visited. Administrators and dispatchers
/// read all; department heads their departments'.
#[utoipa::path(get, path = "/api/v1/stats/liaison", tag = "statistics",
    params(LiaisonQuery),
    responses((status = 200, body = LiaisonFiguresResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn figures(
    state: State,
    auth: Auth,
    query: web::Query<LiaisonQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let (from, to) = crate::api::stats::days(&state, q.from.as_deref(), q.to.as_deref())?;
    let by_text = q.by.unwrap_or_else(|| "department".into());
    let dim = Dimension::parse(&by_text).ok_or_else(|| {
        AppError::invalid_query("by", "must be department, area or industry_chain")
    })?;
    let area = text_param("area", q.area)?;
    let industry_chain = text_param("industry_chain", q.industry_chain)?;
    let last = to.pred_opt().unwrap_or(to);
    let mut report = state
        .read(move |c| {
            let departments = liaison::scope_of(c, &who)?;
            let scope = Scope {
                area,
                industry_chain,
                departments,
            };
            liaison::report(c, from, last, &scope, &[dim])
        })
        .await?;
    let rows = report.by.remove(key(dim)).unwrap_or_default();
    Ok(HttpResponse::Ok().json(LiaisonFiguresResponse {
        from: from.to_string(),
        to: to.to_string(),
        by: by_text,
        totals: report.totals,
        rows,
        not_visited: report.not_visited,
        not_visited_total: report.not_visited_total,
    }))
}

fn key(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Department => "department",
        Dimension::Area => "area",
        Dimension::IndustryChain => "industry_chain",
    }
}

// --- campaigns -----------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    /// At most 100 characters, e.g. 千名干部进千企·一周走访.
    pub title: String,
    /// The first day, YYYY-MM-DD (China).
    pub starts_on: String,
    /// The last day, YYYY-MM-DD, at most a year after the first.
    pub ends_on: String,
    /// The share of the enterprises in scope to visit, 1 to 100 (default 100: every one).
    pub target_percent: Option<i32>,
    /// Only the paired enterprises of this area.
    pub area: Option<String>,
    /// Only the paired enterprises of this industry chain.
    pub industry_chain: Option<String>,
    /// What the drive is for (at most 2,000 characters).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignResponse {
    pub id: String,
    pub title: String,
    pub starts_on: String,
    pub ends_on: String,
    pub target_percent: i32,
    pub area: Option<String>,
    pub industry_chain: Option<String>,
    pub note: String,
    pub created_by: String,
    pub created_at: String,
}

impl From<CampaignRow> for CampaignResponse {
    fn from(r: CampaignRow) -> Self {
        CampaignResponse {
            id: r.id,
            title: r.title,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            target_percent: r.target_percent,
            area: r.area,
            industry_chain: r.industry_chain,
            note: r.note,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignListItem {
    #[serde(flatten)]
    pub campaign: CampaignResponse,
    /// `upcoming`, `running` or `ended`, today (China).
    pub state: CampaignState,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    /// The latest end first (at most 200).
    pub items: Vec<CampaignListItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignProgressResponse {
    pub campaign: CampaignResponse,
    /// `upcoming`, `running` or `ended`.
    pub state: CampaignState,
    /// The last day counted: today while it runs, its last day after; none before it starts.
    pub counted_to: Option<String>,
    /// Days left, today and its last day included (0 once ended).
    pub days_left: i64,
    /// Coverage has reached the target.
    pub met: bool,
    pub totals: Figures,
    /// Each the lowest coverage first.
    pub by_department: Vec<Row>,
    pub by_area: Vec<Row>,
    pub by_industry_chain: Vec<Row>,
    /// The enterprises in scope not visited yet, by name (at most 200).
    pub not_visited: Vec<NotVisited>,
    pub not_visited_total: i64,
}

/// Open a campaign (专项行动): a period, a target share of the paired enterprises to visit in
/// it, optionally only those of an area or industry chain (administrators).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "visits",
    request_body = CreateCampaignRequest,
    responses((status = 201, body = CampaignResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn create_campaign(
    state: State,
    admin: Admin,
    ip: ClientIp,
    body: ApiJson<CreateCampaignRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(body) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("title", &body.title, limits::TITLE);
    if body.note.chars().count() > limits::NOTE {
        errors.add(
            "note",
            format!("must be at most {} characters", limits::NOTE),
        );
    }
    let mut day = |field: &str, v: &str| {
        let d = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
        if d.is_none() {
            errors.add(field, "must be a day, YYYY-MM-DD");
        }
        d
    };
    let starts_on = day("starts_on", &body.starts_on);
    let ends_on = day("ends_on", &body.ends_on);
    let area = errors.optional_text("area", body.area, limits::NAME);
    let industry_chain = errors.optional_text("industry_chain", body.industry_chain, limits::NAME);
    errors.finish()?;
    let input = NewCampaign {
        title: body.title.trim().to_string(),
        starts_on: starts_on.unwrap_or(NaiveDate::MIN),
        ends_on: ends_on.unwrap_or(NaiveDate::MIN),
        target_percent: body.target_percent.unwrap_or(100),
        area,
        industry_chain,
        note: body.note.trim().to_string(),
    };
    let now = state.clock.now();
    let who = admin.0.clone();
    let by = By::Request(ip.actor(&admin.0));
    let row = state
        .write(move |c| {
            let row = liaison::open_campaign(c, &who, input, now)?;
            crate::service::audit::record(
                c,
                &by,
                crate::service::audit::AuditAction::CampaignCreate,
                Some(&row.id),
                None,
                now,
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/campaigns/{}", row.id),
        ))
        .json(CampaignResponse::from(row)))
}

/// Campaigns, the latest end first (staff).
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "visits",
    responses((status = 200, body = CampaignList), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_campaigns(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let today = time::china_date(state.clock.now());
    let rows = state
        .read(move |c| liaison::list_campaigns(c, &who))
        .await?;
    Ok(HttpResponse::Ok().json(CampaignList {
        items: rows
            .into_iter()
            .map(|r| CampaignListItem {
                state: liaison::state_of(&r, today),
                campaign: CampaignResponse::from(r),
            })
            .collect(),
    }))
}

/// A campaign with its progress counted now: coverage against the target, by department,
/// area and industry chain, and the enterprises not visited yet (staff).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "visits",
    params(("id" = String, Path)),
    responses((status = 200, body = CampaignProgressResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn campaign(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "campaign")?;
    let now = state.clock.now();
    let mut p = state
        .read(move |c| liaison::progress(c, &who, &id, now))
        .await?;
    let mut take = |k: &str| p.report.by.remove(k).unwrap_or_default();
    let (by_department, by_area, by_industry_chain) =
        (take("department"), take("area"), take("industry_chain"));
    Ok(HttpResponse::Ok().json(CampaignProgressResponse {
        campaign: CampaignResponse::from(p.campaign),
        state: p.state,
        counted_to: p.counted_to.map(|d| d.to_string()),
        days_left: p.days_left,
        met: p.met,
        totals: p.report.totals,
        by_department,
        by_area,
        by_industry_chain,
        not_visited: p.report.not_visited,
        not_visited_total: p.report.not_visited_total,
    }))
}

// --- the enterprise profile ----------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseProfileResponse {
    pub enterprise: EnterpriseResponse,
    /// The liaison cadre (联点干部).
    pub liaison: Option<Person>,
    /// Deputy liaison cadres (副联点干部).
    pub deputies: Vec<Person>,
    /// The latest visit's day.
    pub last_visit: Option<String>,
    /// Not visited within `liaison.visit_interval_days` (or never).
    pub visit_due: bool,
    /// The latest visits the reader may see (at most 20), with the visiting cadre's name.
    pub visits: Vec<ProfileVisit>,
    /// All the enterprise's requests in figures.
    pub requests: RequestFigures,
    /// Its latest requests the reader may see (at most 20).
    pub recent: Vec<TicketResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileVisit {
    #[serde(flatten)]
    pub visit: VisitResponse,
    pub cadre_name: String,
}

/// The enterprise's profile (企业档案): its liaison cadre and deputies, its visits, its
/// requests and their satisfaction. Administrators, dispatchers and the enterprise's liaison
/// cadres (lead or deputy).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/profile", tag = "enterprises",
    params(("id" = String, Path)),
    responses((status = 200, body = EnterpriseProfileResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn profile(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "enterprise")?;
    let now = state.clock.now();
    let interval = state.settings.liaison.visit_interval_days;
    let p = state
        .read(move |c| enterprise_profile::profile(c, &who, &id))
        .await?;
    let name_of = |id: &str| {
        p.names
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let person = |id: &str| Person {
        id: id.to_string(),
        name: name_of(id),
    };
    let cutoff = time::china_date(now)
        .checked_sub_days(Days::new(u64::from(interval)))
        .unwrap_or(NaiveDate::MIN);
    let visit_due = p
        .last_visit
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_none_or(|d| d <= cutoff);
    let now_text = time::format(now);
    let deputies_pairs: Vec<(String, String)> = p
        .deputy_ids
        .iter()
        .map(|c| (p.enterprise.id.clone(), c.clone()))
        .collect();
    Ok(HttpResponse::Ok().json(EnterpriseProfileResponse {
        liaison: p.enterprise.liaison_cadre_id.as_deref().map(person),
        deputies: p.deputy_ids.iter().map(|d| person(d)).collect(),
        last_visit: p.last_visit.clone(),
        visit_due,
        visits: p
            .visits
            .iter()
            .cloned()
            .map(|v| ProfileVisit {
                cadre_name: name_of(&v.row.cadre_id),
                visit: VisitResponse::from(v),
            })
            .collect(),
        requests: p.requests.clone(),
        recent: p
            .recent
            .iter()
            .cloned()
            .map(|v| TicketResponse::new(v, &now_text))
            .collect(),
        enterprise: EnterpriseResponse::new(p.enterprise.clone(), &deputies_pairs),
    }))
}

// --- pairings ------------------------------------------------------------------------

/// The largest pairing sheet accepted.
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PairingImportQuery {
    /// Check every row and report, writing nothing.
    pub dry_run: Option<bool>,
}

/// The empty pairing sheet: 统一社会信用代码, 联络干部, 副联络干部.
#[utoipa::path(get, path = "/api/v1/enterprises/pairings-template.xlsx", tag = "enterprises",
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn pairings_template(_admin: Admin) -> Result<HttpResponse, AppError> {
    pairings_template_workbook().await
}

/// The pairing template (also through a signed link: `api::downloads`).
pub(crate) async fn pairings_template_workbook() -> Result<HttpResponse, AppError> {
    crate::api::enterprise_import::header_workbook(
        &pairing_import::COLUMNS,
        "联点安排",
        "attachment; filename=\"pairings-template.xlsx\"; filename*=UTF-8''%E8%81%94%E7%82%B9%E5%AE%89%E6%8E%92%E6%A8%A1%E6%9D%BF.xlsx",
    )
    .await
}

/// Import pairings from an `.xlsx` sheet (the part named `file`): columns 统一社会信用代码 and
/// 联络干部 (required), 副联络干部 (several, separated by 、 or commas); a cadre by username or
/// mobile number. Each good row sets the enterprise's liaison cadre and deputies (an empty
/// 副联络干部 removes them); each refused row is reported with why and changes nothing; the
/// good rows are written together. Administrators.
#[utoipa::path(post, path = "/api/v1/enterprises/pairings/import", tag = "enterprises",
    params(PairingImportQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = PairingReport),
        (status = 400, description = "not a workbook, no header, or no rows", body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 413, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn import_pairings(
    state: State,
    admin: Admin,
    ip: ClientIp,
    req: HttpRequest,
    query: web::Query<PairingImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let dry_run = query.dry_run.unwrap_or(false);
    let (_, bytes) = read_file_part(&req, payload, MAX_FILE_BYTES).await?;
    let rows = web::block(move || pairing_import::read(&bytes))
        .await
        .map_err(AppError::internal)??;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let report = state
        .write(move |c| pairing_import::import(c, &by, &rows, dry_run, now))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
