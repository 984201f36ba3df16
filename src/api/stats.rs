//! The statistics (docs/kpi.md): the summary of a period, a breakdown by a dimension, a
//! series over time and the ranking of departments. Administrators and dispatchers see every
//! ticket; a department head their departments and those under them; a cadre the tickets
//! assigned to them; enterprise users nothing (403).

use actix_web::{HttpResponse, web};
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::Auth;
use crate::api::state::State;
use crate::api::tickets::{TicketListQuery, list_filter};
use crate::api::types::ErrorResponse;
use crate::db::tickets::TicketFilter;
use crate::domain::kpi::{self, Summary};
use crate::domain::time;
use crate::error::AppError;
use crate::service::charts::{self, Chart};
use crate::service::hot_topics;
use crate::service::stats::{self, Dimension, Interval, Period, Weights};

/// The ranking's weights, from the settings (`[stats]`).
pub(crate) fn weights(state: &State) -> Weights {
    Weights::of(&state.settings.stats)
}

/// The period and the filters every statistics endpoint takes (those of the ticket list).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The first day of the period, `YYYY-MM-DD` (China); default: 1 January of this year.
    pub from: Option<String>,
    /// The day after the period, `YYYY-MM-DD`; default: tomorrow.
    pub to: Option<String>,
    /// Statuses, comma-separated.
    pub status: Option<String>,
    /// Kinds, comma-separated.
    pub kind: Option<String>,
    pub category_id: Option<String>,
    /// The lead department.
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// Text in the title, description or number.
    pub q: Option<String>,
    /// Breakdown: department, category, industry_chain, area, assignee or channel.
    pub by: Option<String>,
    /// Series: day, week or month.
    pub interval: Option<String>,
    /// Ranking: how many from each end, 1 to 100 (default 10). Hot topics: words listed, 1 to
    /// 100 (default 20).
    pub limit: Option<usize>,
}

/// The summary, with the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryResponse {
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub figures: Summary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SliceResponse {
    /// The id (department, category, assignee) or value (industry chain, area, channel);
    /// null for the tickets without one.
    pub key: Option<String>,
    pub name: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub figures: Summary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownResponse {
    pub from: String,
    pub to: String,
    pub by: String,
    pub items: Vec<SliceResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PointResponse {
    /// The period's first day.
    pub start: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub figures: Summary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendResponse {
    pub from: String,
    pub to: String,
    pub interval: String,
    pub points: Vec<PointResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankedResponse {
    pub rank: usize,
    pub department_id: String,
    pub name: String,
    /// The weighted mean of the department's rates, 0 to 1.
    pub score: f64,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub figures: Summary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingResponse {
    pub from: String,
    pub to: String,
    /// Best first (红榜): at most `limit`, and at most half of the ranked.
    pub best: Vec<RankedResponse>,
    /// Worst first (黑榜): as many, from the bottom; never a department of `best`.
    pub worst: Vec<RankedResponse>,
    /// Departments ranked.
    pub ranked: usize,
    /// The names of departments with tickets in the period but nothing due yet (nothing
    /// resolved, nothing overdue): not ranked, shown as "—".
    pub unranked: Vec<String>,
}

/// The days `[from, to)` of a statistics query: by default the year to date (from 1 January to
/// tomorrow, China); at most ten years, `to` after `from` (400 naming the parameter otherwise).
pub(crate) fn days(
    state: &State,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid_query(field, "must be a date, YYYY-MM-DD"))
    };
    let today = time::china_date(state.clock.now());
    let from = match from {
        Some(v) => date("from", v)?,
        None => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    };
    let to = match to {
        Some(v) => date("to", v)?,
        None => today.checked_add_days(Days::new(1)).unwrap_or(today),
    };
    if to <= from {
        return Err(AppError::invalid_query("to", "must be after from"));
    }
    if (to - from).num_days() > 3660 {
        return Err(AppError::invalid_query(
            "to",
            "the period may be at most ten years",
        ));
    }
    Ok((from, to))
}

fn period(state: &State, q: &StatsQuery) -> Result<Period, AppError> {
    let (from, to) = days(state, q.from.as_deref(), q.to.as_deref())?;
    let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let list = TicketListQuery {
        status: q.status.clone(),
        kind: q.kind.clone(),
        category_id: given(&q.category_id),
        department_id: given(&q.department_id),
        assignee_id: given(&q.assignee_id),
        enterprise_id: given(&q.enterprise_id),
        q: q.q.clone(),
        created_from: None,
        created_to: None,
        overdue: None,
        due_soon: None,
        extension_pending: None,
        sort: None,
        limit: None,
        cursor: None,
    };
    let filter = TicketFilter {
        created_from: Some(time::format(time::china_day_start(from))),
        created_to: Some(time::format(time::china_day_start(to))),
        ..list_filter(&list, "", &state.segmenter)?
    };
    Ok(Period { from, to, filter })
}

/// The figures of the tickets filed in a period.
#[utoipa::path(get, path = "/api/v1/stats/summary", tag = "statistics",
    params(StatsQuery),
    responses((status = 200, body = SummaryResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn summary(
    state: State,
    auth: Auth,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let p = period(&state, &query)?;
    let now = time::format(state.clock.now());
    let filter = p.filter;
    let figures = state
        .read(move |c| stats::summary(c, &who, &filter, &now))
        .await?;
    Ok(HttpResponse::Ok().json(SummaryResponse {
        from: p.from.to_string(),
        to: p.to.to_string(),
        figures,
    }))
}

/// The figures per department, category, industry chain, area, assignee or channel; the
/// slices add up to the summary.
#[utoipa::path(get, path = "/api/v1/stats/breakdown", tag = "statistics",
    params(StatsQuery),
    responses((status = 200, body = BreakdownResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn breakdown(
    state: State,
    auth: Auth,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let by_text = query.by.clone().unwrap_or_default();
    let by = Dimension::parse(&by_text).ok_or_else(|| {
        AppError::invalid_query("by", format!("must be one of {}", Dimension::EXPECTED))
    })?;
    let p = period(&state, &query)?;
    let now = time::format(state.clock.now());
    let filter = p.filter;
    let slices = state
        .read(move |c| stats::breakdown(c, &who, &filter, by, &now))
        .await?;
    Ok(HttpResponse::Ok().json(BreakdownResponse {
        from: p.from.to_string(),
        to: p.to.to_string(),
        by: by_text,
        items: slices
            .into_iter()
            .map(|s| SliceResponse {
                key: s.key,
                name: s.name,
                figures: s.summary,
            })
            .collect(),
    }))
}

/// The figures per day, week (from Monday) or month of the period, every one present.
#[utoipa::path(get, path = "/api/v1/stats/trend", tag = "statistics",
    params(StatsQuery),
    responses((status = 200, body = TrendResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn trend(
    state: State,
    auth: Auth,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let interval_text = query.interval.clone().unwrap_or_else(|| "month".into());
    let interval = Interval::parse(&interval_text)
        .ok_or_else(|| AppError::invalid_query("interval", "must be day, week or month"))?;
    let p = period(&state, &query)?;
    let now = time::format(state.clock.now());
    let (filter, from, to) = (p.filter, p.from, p.to);
    let points = state
        .read(move |c| stats::trend(c, &who, &filter, interval, from, to, &now))
        .await?;
    Ok(HttpResponse::Ok().json(TrendResponse {
        from: from.to_string(),
        to: to.to_string(),
        interval: interval_text,
        points: points
            .into_iter()
            .map(|pt| PointResponse {
                start: pt.start.to_string(),
                figures: pt.summary,
            })
            .collect(),
    }))
}

/// The departments by a weighted score of their rates (`stats.weight_*`): the best and the
/// worst (红黑榜).
#[utoipa::path(get, path = "/api/v1/stats/ranking", tag = "statistics",
    params(StatsQuery),
    responses((status = 200, body = RankingResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ranking(
    state: State,
    auth: Auth,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let limit = query.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid_query(
            "limit",
            "must be between 1 and 100",
        ));
    }
    let p = period(&state, &query)?;
    let now = time::format(state.clock.now());
    let weights = weights(&state);
    let filter = p.filter;
    let (ranked, unranked) = state
        .read(move |c| stats::ranking(c, &who, &filter, &weights, &now))
        .await?;
    let total = ranked.len();
    let entry = |rank: usize, r: &stats::Ranked| RankedResponse {
        rank,
        department_id: r.department_id.clone(),
        name: r.name.clone(),
        score: r.score,
        figures: r.summary.clone(),
    };
    let (red, black) = kpi::red_and_black(total, limit);
    let best = ranked
        .iter()
        .enumerate()
        .take(red)
        .map(|(i, r)| entry(i + 1, r))
        .collect();
    let worst = ranked
        .iter()
        .enumerate()
        .rev()
        .take(black)
        .map(|(i, r)| entry(i + 1, r))
        .collect();
    Ok(HttpResponse::Ok().json(RankingResponse {
        from: p.from.to_string(),
        to: p.to.to_string(),
        best,
        worst,
        ranked: total,
        unranked,
    }))
}

/// A word, a phrase, a category or an area of the hot topics.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicResponse {
    /// The word; a phrase's words separated by a space (路灯 不亮). For a category or an
    /// area, its name (null: enterprises without an area).
    pub text: Option<String>,
    /// The category's id, the area's name; absent for words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Two words of a title next to each other, rather than one word.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub phrase: bool,
    /// Requests of the period that say it (that are of the category, the area).
    pub count: i64,
    /// The same in the period before, of the same length.
    pub previous: i64,
    /// `count - previous`.
    pub change: i64,
    /// At least 3, and at least half as many again as before, and 2 more (docs/kpi.md).
    pub rising: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HotTopicsResponse {
    pub from: String,
    pub to: String,
    /// The period compared with: `[previous_from, from)`.
    pub previous_from: String,
    /// Requests filed in the period, and in the period before.
    pub tickets: i64,
    pub previous_tickets: i64,
    /// The most frequent words and phrases, most first (at most `limit`).
    pub words: Vec<TopicResponse>,
    /// The rising words and phrases, the largest rise first (at most `limit`).
    pub rising: Vec<TopicResponse>,
    pub categories: Vec<TopicResponse>,
    pub areas: Vec<TopicResponse>,
    /// When the words of the period's last day were last counted (they are counted in the
    /// background every `hot_topics.refresh_secs`); null when counted for this answer.
    pub counted_at: Option<String>,
}

fn topic_response(t: hot_topics::Topic) -> TopicResponse {
    TopicResponse {
        change: t.count - t.previous,
        text: Some(t.text),
        key: None,
        phrase: t.phrase,
        count: t.count,
        previous: t.previous,
        rising: t.rising,
    }
}

fn share_response(s: hot_topics::Share) -> TopicResponse {
    TopicResponse {
        change: s.count - s.previous,
        text: s.name,
        key: s.key,
        phrase: false,
        count: s.count,
        previous: s.previous,
        rising: s.rising,
    }
}

/// The hot topics (热点诉求) of a period: the most frequent words and phrases of the
/// requests filed in it (stop words left out), the rising ones, and the categories and areas,
/// each with its change against the period of the same length before. `limit`: words listed,
/// 1 to 100 (default 20).
#[utoipa::path(get, path = "/api/v1/stats/hot-topics", tag = "statistics",
    params(StatsQuery),
    responses((status = 200, body = HotTopicsResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn hot_topics(
    state: State,
    auth: Auth,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let limit = query.limit.unwrap_or(hot_topics::DEFAULT_LIMIT);
    if !(1..=hot_topics::MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid_query(
            "limit",
            "must be between 1 and 100",
        ));
    }
    let p = period(&state, &query)?;
    let now = time::format(state.clock.now());
    let segmenter = state.segmenter.clone();
    let hot = state
        .read(move |c| hot_topics::hot_topics(c, &who, &segmenter, &p, limit, &now))
        .await?;
    Ok(HttpResponse::Ok().json(HotTopicsResponse {
        from: hot.from.to_string(),
        to: hot.to.to_string(),
        previous_from: hot.previous_from.to_string(),
        tickets: hot.tickets,
        previous_tickets: hot.previous_tickets,
        words: hot.words.into_iter().map(topic_response).collect(),
        rising: hot.rising.into_iter().map(topic_response).collect(),
        categories: hot.categories.into_iter().map(share_response).collect(),
        areas: hot.areas.into_iter().map(share_response).collect(),
        counted_at: hot.counted_at,
    }))
}

/// The dashboard's charts as SVG (Chinese labels), with the parameters of the other
/// statistics: `trend.svg` (filed and resolved per `interval`), `departments.svg` (the rates
/// of the lead departments, most filed first, at most 15), `categories.svg` (tickets per
/// category), `satisfaction.svg` (the ratings) and `hot-topics.svg` (the most frequent words
/// and phrases, the rising marked ↑).
#[utoipa::path(get, path = "/api/v1/stats/charts/{name}", tag = "statistics",
    params(("name" = String, Path, description = "trend.svg, departments.svg, categories.svg, satisfaction.svg or hot-topics.svg"), StatsQuery),
    responses((status = 200, description = "An SVG document", content_type = "image/svg+xml"), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn chart(
    state: State,
    auth: Auth,
    name: web::Path<String>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let chart = Chart::parse(&name, query.interval.as_deref())?;
    let period = period(&state, &query)?;
    let now = time::format(state.clock.now());
    let segmenter = state.segmenter.clone();
    let svg = state
        .read(move |c| charts::render(c, &who, &segmenter, chart, &period, &now))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=60"))
        .body(svg))
}
