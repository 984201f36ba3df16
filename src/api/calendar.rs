//! The working-day calendar: questions about it (how many working days between two dates,
//! which day is N working days on), the years it knows, and loading a year (administrators).

use actix_web::{HttpResponse, web};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::State;
use crate::api::extract::{Admin, ApiJson, Auth, ClientIp};
use crate::api::types::ErrorResponse;
use crate::domain::calendar::{DayKind, Holiday, YearFile, end_of_china_day};
use crate::domain::time;
use crate::error::AppError;
use crate::service::calendar::{self, YearSource};

/// Longest span the calendar answers about, in days (ten years).
const MAX_SPAN_DAYS: i64 = 3660;
/// Spans up to a year list their days.
const LISTED_SPAN_DAYS: i64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkingDaysQuery {
    /// The first day, `YYYY-MM-DD` (China).
    pub from: String,
    /// The last day, `YYYY-MM-DD`, counted too.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayResponse {
    #[schema(example = "2026-02-14")]
    pub date: String,
    pub working: bool,
    pub kind: DayKind,
    /// The holiday this day belongs to (or is the make-up day of).
    pub holiday: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkingDaysResponse {
    pub from: String,
    pub to: String,
    /// Working days from `from` to `to`, both counted.
    pub working_days: u64,
    /// Years of the span without holiday data: counted Monday to Friday.
    pub unknown_years: Vec<i32>,
    /// Each day, when the span is at most 366 days.
    pub days: Option<Vec<DayResponse>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AddQuery {
    /// RFC 3339, or `YYYY-MM-DD` (the start of that day in China).
    pub start: String,
    /// Working days, 0 to 1000.
    pub days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddResponse {
    pub start: String,
    pub days: u32,
    /// The `days`-th working day after the day of `start` (`days = 0`: the first working day
    /// from that day on).
    #[schema(example = "2026-02-25")]
    pub date: String,
    /// The deadline: the close of `date`, China time (what `assign` sets for a category of
    /// `days` working days).
    #[schema(example = "2026-02-25T15:59:59.999Z")]
    pub deadline: String,
    pub unknown_years: Vec<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearResponse {
    pub year: i32,
    pub source: YearSource,
    #[schema(value_type = Vec<Object>)]
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearsResponse {
    pub years: Vec<CalendarYearResponse>,
    /// This year and the next, if they have no data.
    pub missing: Vec<i32>,
}

/// The body of `PUT /calendar/years/{year}`: the year's holidays as the notice lists them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearRequest {
    pub year: i32,
    /// `[{name, from, to, workdays?}]`: the days off, from and to included, and the weekend
    /// days worked in exchange.
    #[schema(value_type = Vec<Object>)]
    pub holidays: Vec<Holiday>,
}

fn date(field: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid_query(field, "must be a date, YYYY-MM-DD"))
}

/// Working days between two dates, both counted; with the kind of each day for spans of up
/// to a year.
#[utoipa::path(get, path = "/api/v1/calendar/working-days", tag = "calendar",
    params(WorkingDaysQuery),
    responses((status = 200, body = WorkingDaysResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn working_days(
    state: State,
    _auth: Auth,
    query: web::Query<WorkingDaysQuery>,
) -> Result<HttpResponse, AppError> {
    let (from, to) = (date("from", &query.from)?, date("to", &query.to)?);
    if to < from {
        return Err(AppError::invalid_query("to", "must not be before from"));
    }
    let span = (to - from).num_days() + 1;
    if span > MAX_SPAN_DAYS {
        return Err(AppError::invalid_query(
            "to",
            format!("the span may be at most {MAX_SPAN_DAYS} days"),
        ));
    }
    let calendar = state.calendar.current();
    let cal = &calendar.days;
    let end = to.succ_opt().unwrap_or(to);
    let days = (span <= LISTED_SPAN_DAYS).then(|| {
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| {
                let (kind, holiday) = cal.describe(d);
                DayResponse {
                    date: d.to_string(),
                    working: cal.is_working_day(d),
                    kind,
                    holiday: holiday.map(str::to_string),
                }
            })
            .collect()
    });
    Ok(HttpResponse::Ok().json(WorkingDaysResponse {
        from: from.to_string(),
        to: to.to_string(),
        working_days: cal.working_days_between(from, end),
        unknown_years: cal.missing_years(from.year(), to.year()),
        days,
    }))
}

/// The day (and the deadline) a number of working days after a start.
#[utoipa::path(get, path = "/api/v1/calendar/add", tag = "calendar",
    params(AddQuery),
    responses((status = 200, body = AddResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn add(
    state: State,
    _auth: Auth,
    query: web::Query<AddQuery>,
) -> Result<HttpResponse, AppError> {
    let start = time::parse_instant_or_date(&query.start).ok_or_else(|| {
        AppError::invalid_query("start", "must be an RFC 3339 time or a YYYY-MM-DD date")
    })?;
    if query.days > 1000 {
        return Err(AppError::invalid_query(
            "days",
            "must be between 0 and 1000",
        ));
    }
    let calendar = state.calendar.current();
    let cal = &calendar.days;
    let first = time::china_date(start);
    let date = if query.days == 0 {
        cal.add_working_days(first, 0)
    } else {
        time::china_date(cal.deadline(start, query.days))
    };
    Ok(HttpResponse::Ok().json(AddResponse {
        start: time::format(start),
        days: query.days,
        date: date.to_string(),
        deadline: time::format(end_of_china_day(date)),
        unknown_years: cal.missing_years(first.year(), date.year()),
    }))
}

/// The years the calendar has data for, and where each came from.
#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "calendar",
    responses((status = 200, body = CalendarYearsResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_years(state: State, _auth: Auth) -> Result<HttpResponse, AppError> {
    let calendar = state.calendar.current();
    let years = calendar
        .days
        .years()
        .map(|f| CalendarYearResponse {
            year: f.year,
            source: calendar
                .sources
                .get(&f.year)
                .copied()
                .unwrap_or(YearSource::BuiltIn),
            holidays: f.holidays.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(CalendarYearsResponse {
        years,
        missing: state.calendar.missing_near(state.clock.now()),
    }))
}

/// Load a year's public holidays and make-up working days (administrators): it replaces the
/// built-in or earlier loaded data of that year, for every instance.
#[utoipa::path(put, path = "/api/v1/calendar/years/{year}", tag = "calendar",
    params(("year" = i32, Path)),
    request_body = CalendarYearRequest,
    responses((status = 200, body = CalendarYearResponse), (status = 403, body = ErrorResponse), (status = 404, description = "the year in the path is not a number", body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn put_year(
    state: State,
    admin: Admin,
    ip: ClientIp,
    path: web::Path<String>,
    body: ApiJson<CalendarYearRequest>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let actor = ip.actor(&who);
    let ApiJson(req) = body;
    let year: i32 = path
        .parse()
        .map_err(|_| AppError::not_found("calendar year"))?;
    if req.year != year {
        return Err(AppError::invalid_field(
            "year",
            format!("is {}, but the path says {year}", req.year),
        ));
    }
    if req.holidays.is_empty() {
        return Err(AppError::invalid_field(
            "holidays",
            "is empty: a year's file lists its public holidays (see docs/deadlines.md)",
        ));
    }
    let file = YearFile::parse(
        &YearFile {
            year,
            holidays: req.holidays,
        }
        .to_toml(),
    )
    .map_err(|e| AppError::invalid_field("holidays", e.to_string()))?;
    let now = state.clock.now();
    let stored = file.clone();
    state
        .write(move |c| calendar::load_year(c, &actor, &stored, now))
        .await?;
    let store = state.calendar.clone();
    state.read(move |c| Ok(store.refresh(c)?)).await?;
    Ok(HttpResponse::Ok().json(CalendarYearResponse {
        year,
        source: YearSource::Database,
        holidays: file.holidays,
    }))
}
