//! The dashboard's charts: which figures each one shows and its title, read with the
//! statistics (`service::stats`, in the reader's scope) and drawn by `reports::charts`.

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::error::{AppError, ErrorCode};
use crate::reports::charts::{self, CountSlice, RateRow, TrendPoint};
use crate::search::{PHRASE_JOIN, Segmenter};
use crate::service::hot_topics;
use crate::service::stats::{self, Dimension, Interval, Period};

/// A chart of the dashboard, by its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// `trend.svg`: filed and resolved per interval.
    Trend(Interval),
    /// `departments.svg`: the lead departments' rates, most filed first, at most 15.
    Departments,
    /// `categories.svg`: tickets per category.
    Categories,
    /// `satisfaction.svg`: the ratings.
    Satisfaction,
    /// `hot-topics.svg`: the most frequent words and phrases of the requests, the rising
    /// ones marked ↑.
    HotTopics,
}

impl Chart {
    /// The chart a name asks for; the trend's interval defaults to a month.
    pub fn parse(name: &str, interval: Option<&str>) -> Result<Chart, AppError> {
        Ok(match name {
            "trend.svg" => {
                let interval = Interval::parse(interval.unwrap_or("month")).ok_or_else(|| {
                    AppError::invalid_query("interval", "must be day, week or month")
                })?;
                Chart::Trend(interval)
            }
            "departments.svg" => Chart::Departments,
            "categories.svg" => Chart::Categories,
            "satisfaction.svg" => Chart::Satisfaction,
            "hot-topics.svg" => Chart::HotTopics,
            _ => {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    "no such chart; there are trend.svg, departments.svg, categories.svg, \
                     satisfaction.svg and hot-topics.svg",
                ));
            }
        })
    }
}

/// The chart as an SVG document, titled with its period (`2026-01-01 至 2026-12-06`).
pub fn render(
    conn: &mut DbConnection,
    who: &Principal,
    segmenter: &Segmenter,
    chart: Chart,
    period: &Period,
    now: &str,
) -> Result<String, AppError> {
    let last_day = period.to.pred_opt().unwrap_or(period.to);
    let span = format!("{} 至 {last_day}", period.from);
    let filter = &period.filter;
    Ok(match chart {
        Chart::Trend(interval) => {
            let points = stats::trend(conn, who, filter, interval, period.from, period.to, now)?;
            let label = |d: NaiveDate| match interval {
                Interval::Month => d.format("%Y-%m").to_string(),
                Interval::Week => format!("{}起", d.format("%m-%d")),
                Interval::Day => d.format("%m-%d").to_string(),
            };
            let points: Vec<TrendPoint> = points
                .iter()
                .map(|pt| TrendPoint {
                    label: label(pt.start),
                    filed: pt.summary.counts.filed,
                    resolved: pt.summary.counts.resolved,
                })
                .collect();
            charts::trend(&format!("诉求提交与办结趋势（{span}）"), &points)
        }
        Chart::Departments => {
            let slices = stats::breakdown(conn, who, filter, Dimension::Department, now)?;
            let rows: Vec<RateRow> = slices
                .iter()
                .take(15)
                .map(|s| RateRow {
                    label: s.name.clone().unwrap_or_else(|| "未分派".into()),
                    resolution_rate: s.summary.resolution_rate,
                    on_time_rate: s.summary.on_time_rate,
                    satisfaction_rate: s.summary.satisfaction_rate,
                })
                .collect();
            charts::rates_by_department(&format!("各部门办结率、按期率、满意率（{span}）"), &rows)
        }
        Chart::Categories => {
            let slices = stats::breakdown(conn, who, filter, Dimension::Category, now)?;
            let slices: Vec<CountSlice> = slices
                .iter()
                .filter(|s| s.summary.counts.filed > 0)
                .map(|s| CountSlice {
                    label: s.name.clone().unwrap_or_else(|| "未分类".into()),
                    value: s.summary.counts.filed,
                })
                .collect();
            charts::by_category(&format!("各类别诉求数量（{span}）"), &slices)
        }
        Chart::Satisfaction => {
            let s = stats::summary(conn, who, filter, now)?;
            let slices = [
                ("满意", s.counts.satisfied),
                ("基本满意", s.counts.basically_satisfied),
                ("不满意", s.counts.unsatisfied),
            ]
            .map(|(label, value)| CountSlice {
                label: label.into(),
                value,
            });
            charts::satisfaction_mix(&format!("满意度构成（{span}）"), &slices)
        }
        Chart::HotTopics => {
            let hot = hot_topics::hot_topics(conn, who, segmenter, period, 15, now)?;
            let slices: Vec<CountSlice> = hot
                .words
                .iter()
                .map(|t| CountSlice {
                    label: format!(
                        "{}{}",
                        t.text.replace(PHRASE_JOIN, ""),
                        if t.rising { " ↑" } else { "" }
                    ),
                    value: u64::try_from(t.count).unwrap_or(0),
                })
                .collect();
            charts::by_category(&format!("热点诉求词（{span}）"), &slices)
        }
    })
}
