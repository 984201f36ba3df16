//! The monthly assessments' archive (每月评估, issue 19; `service::assessments`): the list of
//! published versions, a version's figures (a department head: their departments' rows), and
//! an administrator publishing a month again with a note. The workbook of a version is
//! `GET /stats/assessment.xlsx?month=…[&version=…]` (`api::export`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, Auth, ClientIp};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::db::assessments::{self as archive, AssessmentRow};
use crate::domain::ticket::Role;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::assessments::{self, figures_for, parse_month};
use crate::service::stats::Weights;

/// A published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentVersion {
    /// `YYYY-MM`.
    pub month: String,
    pub version: i32,
    /// Why it was published again (from version 2 on).
    pub note: Option<String>,
    /// The administrator who published it; null: archived by the service at the start of
    /// the next month.
    pub published_by: Option<String>,
    pub published_at: String,
}

impl From<&AssessmentRow> for AssessmentVersion {
    fn from(r: &AssessmentRow) -> Self {
        AssessmentVersion {
            month: r.month.clone(),
            version: r.version,
            note: r.note.clone(),
            published_by: r.published_by.clone(),
            published_at: r.published_at.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentList {
    /// The newest month first, and its newest version first.
    pub items: Vec<AssessmentVersion>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentResponse {
    #[serde(flatten)]
    pub version: AssessmentVersion,
    /// As published: `summary` (the district's figures, docs/kpi.md), `ranking` (each ranked
    /// department with `rank`, `department_id`, `name`, `score` and its figures) and
    /// `unranked` (names); a department head gets only their departments' ranking rows.
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version; default: the newest.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// Why the month is published again (required when it has a version; at most 2,000
    /// characters).
    pub note: Option<String>,
}

fn month_of(text: &str) -> Result<chrono::NaiveDate, AppError> {
    parse_month(text).ok_or_else(|| AppError::invalid_field("month", "must be a month, YYYY-MM"))
}

/// The published monthly assessments (每月评估), every version.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "statistics",
    responses((status = 200, body = AssessmentList), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let rows = state
        .read(move |c| {
            assessments::reader_scope(c, &who)?;
            Ok(archive::list(c)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(AssessmentList {
        items: rows.iter().map(AssessmentVersion::from).collect(),
    }))
}

/// A month's published assessment, the newest version or `version`; a department head gets
/// their departments' rows. 404 when the month has none (yet).
#[utoipa::path(get, path = "/api/v1/assessments/{month}", tag = "statistics",
    params(("month" = String, Path, description = "YYYY-MM"), VersionQuery),
    responses((status = 200, body = AssessmentResponse), (status = 400, description = "a version that is not a number", body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get(
    state: State,
    auth: Auth,
    month: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let key = assessments::month_key(month_of(&month)?);
    let version = query.version;
    let (row, figures) = state
        .read(move |c| {
            let scope = assessments::reader_scope(c, &who)?;
            let row = archive::find(c, &key, version)?
                .ok_or_else(|| AppError::not_found("published assessment"))?;
            let figures = figures_for(&row, scope.as_deref())?;
            Ok((row, figures))
        })
        .await?;
    Ok(HttpResponse::Ok().json(AssessmentResponse {
        version: AssessmentVersion::from(&row),
        figures,
    }))
}

/// Publishes a month's assessment as computed now, as its next version (administrators):
/// the month must have ended; once it has a version, `note` says why it is published again.
/// The versions before are kept as they were.
#[utoipa::path(post, path = "/api/v1/assessments/{month}/publish", tag = "statistics",
    params(("month" = String, Path, description = "YYYY-MM")),
    request_body = PublishRequest,
    responses((status = 201, body = AssessmentResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn publish(
    state: State,
    auth: Auth,
    ip: ClientIp,
    month: web::Path<String>,
    body: ApiJson<PublishRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    if who.role != Role::Admin {
        return Err(AppError::forbidden(
            "administrators publish the assessments",
        ));
    }
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let month = parse_month(&month).unwrap_or_else(|| {
        errors.add("month", "must be a month, YYYY-MM");
        chrono::NaiveDate::MIN
    });
    let note = errors.optional_text("note", req.note, limits::NOTE);
    errors.finish()?;
    let now = state.clock.now();
    let weights = Weights::of(&state.settings.stats);
    let segmenter = state.segmenter.clone();
    let by = ip.actor(&who);
    let row = state
        .run(move |db| assessments::publish(db, &segmenter, month, &weights, Some(by), note, now))
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("the published version was not read back"))
        })?;
    let figures = assessments::figures_of(&row)?;
    Ok(HttpResponse::Created().json(AssessmentResponse {
        version: AssessmentVersion::from(&row),
        figures,
    }))
}
