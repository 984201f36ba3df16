//! The ledger (台账): one row per ticket, with the names of its enterprise, category,
//! departments and assignee, every timestamp, the deadline, the overdue flag, the rating and
//! the resolution; and the monthly assessment workbook (the month's figures, the ranking of
//! the departments, one sheet of tickets per department). Rows are produced page by page, so
//! a ledger of a million tickets never sits in memory.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::db::tickets::{self as ticket_db, TicketFilter};
use crate::db::{categories, departments, enterprises, users};
use crate::domain::kpi::Summary;
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::{Role, TicketKind};
use crate::domain::time;
use crate::error::AppError;
use crate::reports::sheets::{Cell, Column, ExportError, XlsxWriter};
use crate::search::{PHRASE_JOIN, Segmenter};
use crate::service::audit::{self, Actor, AuditAction, By};
use crate::service::hot_topics;
use crate::service::stats::{self, Dimension, Weights};
use crate::service::tickets::access::{for_reader, scope_of};

/// Tickets read at a time.
const PAGE: i64 = 1000;

const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width }
}

/// The ledger's columns.
pub const COLUMNS: [Column; 30] = [
    col("诉求编号", 22.0),
    col("类型", 6.0),
    col("状态", 8.0),
    col("标题", 30.0),
    col("诉求内容", 40.0),
    col("企业名称", 28.0),
    col("统一社会信用代码", 20.0),
    col("渠道", 6.0),
    col("诉求类别", 14.0),
    col("承办部门", 18.0),
    col("协办部门", 18.0),
    col("承办人", 10.0),
    col("联系人", 10.0),
    col("联系电话", 14.0),
    col("提交时间", 17.0),
    col("受理时间", 17.0),
    col("交办时间", 17.0),
    col("签收时间", 17.0),
    col("办结时间", 17.0),
    col("关闭时间", 17.0),
    col("退回/不予受理时间", 17.0),
    col("撤回时间", 17.0),
    col("办理期限", 17.0),
    col("是否超期", 8.0),
    col("延期次数", 8.0),
    col("重办次数", 8.0),
    col("办理工作日", 10.0),
    col("评价", 10.0),
    col("是否采纳", 8.0),
    col("办理结果", 40.0),
];

/// `YYYY-MM-DD HH:MM` in China time.
fn when(at: &Option<String>) -> Cell {
    match at.as_deref().and_then(time::parse) {
        Some(at) => Cell::DateTime(
            at.with_timezone(&time::china_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        ),
        None => Cell::Empty,
    }
}

fn text(value: &Option<String>) -> Cell {
    match value {
        Some(v) if !v.is_empty() => Cell::Text(v.clone()),
        _ => Cell::Empty,
    }
}

/// The names the rows show instead of ids, read once per export.
pub struct Names {
    enterprises: HashMap<String, (String, String)>,
    categories: HashMap<String, String>,
    departments: HashMap<String, String>,
    users: HashMap<String, String>,
}

impl Names {
    pub fn load(conn: &mut DbConnection) -> Result<Names, AppError> {
        Ok(Names {
            enterprises: enterprises::names(conn)?
                .into_iter()
                .map(|(id, name, code)| (id, (name, code)))
                .collect(),
            categories: categories::list(conn)?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
            departments: departments::list(conn)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
            users: users::staff_names(conn)?.into_iter().collect(),
        })
    }

    fn department(&self, id: &str) -> String {
        self.departments
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The ledger row of a ticket, at `now` (for the overdue flag).
    pub fn row(&self, t: &Ticket, now: &str) -> Vec<Cell> {
        let (enterprise, code) = self
            .enterprises
            .get(&t.enterprise_id)
            .cloned()
            .unwrap_or_else(|| (t.enterprise_id.clone(), String::new()));
        let co: Vec<String> = t
            .co_department_ids
            .iter()
            .map(|id| self.department(id))
            .collect();
        let handling = t.status.is_handling();
        let overdue = match (&t.due_at, &t.resolved_at) {
            (Some(due), Some(resolved)) => resolved > due,
            (Some(due), None) => handling && due.as_str() < now,
            _ => false,
        };
        vec![
            Cell::Text(t.number.clone()),
            Cell::Text(t.kind.label().into()),
            Cell::Text(t.status.label().into()),
            Cell::Text(t.title.clone()),
            Cell::Text(t.description.clone()),
            Cell::Text(enterprise),
            Cell::Text(code),
            Cell::Text(t.channel.label().into()),
            Cell::Text(
                self.categories
                    .get(&t.category_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            match &t.department_id {
                Some(d) => Cell::Text(self.department(d)),
                None => Cell::Empty,
            },
            if co.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(co.join("、"))
            },
            match &t.assignee_id {
                Some(u) => Cell::Text(self.users.get(u).cloned().unwrap_or_default()),
                None => Cell::Empty,
            },
            text(&t.contact_name),
            text(&t.contact_phone),
            when(&Some(t.created_at.clone())),
            when(&t.accepted_at),
            when(&t.assigned_at),
            when(&t.signed_at),
            when(&t.resolved_at),
            when(&t.closed_at),
            when(&t.rejected_at),
            when(&t.withdrawn_at),
            when(&t.due_at),
            if t.due_at.is_some() {
                Cell::Bool(overdue)
            } else {
                Cell::Empty
            },
            Cell::Int(i64::from(t.extension_count)),
            Cell::Int(i64::from(t.reopen_count)),
            match t.handling_days {
                Some(d) if t.resolved_at.is_some() => Cell::Int(i64::from(d)),
                _ => Cell::Empty,
            },
            match &t.rating {
                Some(r) => Cell::Text(r.label().into()),
                None if t.no_response => Cell::Text("未评价（逾期关闭）".into()),
                None => Cell::Empty,
            },
            match t.adopted {
                Some(a) if t.kind == TicketKind::Suggestion => Cell::Bool(a),
                _ => Cell::Empty,
            },
            text(&t.resolution),
        ]
    }
}

/// Records in the audit log who exports what (`export` is the ledger or the assessment), before
/// the first byte goes: an export that fails midway is still one that was asked for and began.
pub fn record_export(
    conn: &mut DbConnection,
    actor: Actor,
    export: AuditAction,
    format: &str,
    query: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let detail = serde_json::json!({"format": format, "query": query});
    audit::record(conn, &By::Request(actor), export, None, Some(detail), now)
}

/// The ledger is for staff; enterprise users get 403.
pub fn check_staff(who: &Principal) -> Result<(), AppError> {
    if who.role == Role::Enterprise {
        return Err(AppError::forbidden("the ledger is for staff"));
    }
    Ok(())
}

/// Calls `f` with the ledger row of every ticket the reader may list that passes `filter`,
/// newest first, a page at a time; stops at the first error `f` returns.
pub fn for_each_row<E: From<AppError>>(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    now: &str,
    mut f: impl FnMut(Vec<Cell>) -> Result<(), E>,
) -> Result<u64, E> {
    check_staff(who)?;
    let names = Names::load(conn)?;
    let scope = scope_of(who);
    let (mut filter, within) = ticket_db::for_paging(filter);
    // The ledger is newest first, page by page on its own (a list's `sort` and cursor do not
    // apply to it).
    filter.oldest_first = false;
    filter.after_id = None;
    let mut written = 0u64;
    loop {
        let rows = ticket_db::list(conn, &scope, &filter, PAGE).map_err(AppError::from)?;
        let full = rows.len() as i64 >= PAGE;
        filter.before_id = rows.last().map(|r| r.id.clone());
        for t in rows.into_iter().filter(|t| within(&t.created_at)) {
            f(names.row(&for_reader(who, t), now))?;
            written += 1;
        }
        if !full {
            return Ok(written);
        }
    }
}

/// Errors of writing a workbook from the database.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Export(#[from] ExportError),
}

const FIGURES: [Column; 2] = [col("指标", 24.0), col("数值", 14.0)];

/// The figures of a summary as (label, value) rows.
fn figure_rows(s: &Summary) -> Vec<[Cell; 2]> {
    let c = &s.counts;
    let n = |v: u64| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
    let days = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    vec![
        [Cell::Text("提交量".into()), n(c.filed)],
        [Cell::Text("受理量".into()), n(c.accepted)],
        [Cell::Text("办结量".into()), n(c.resolved)],
        [
            Cell::Text("办结率".into()),
            Cell::Percent(s.resolution_rate),
        ],
        [Cell::Text("按期办结量".into()), n(c.on_time)],
        [
            Cell::Text("按期办结率".into()),
            Cell::Percent(s.on_time_rate),
        ],
        [Cell::Text("评价量".into()), n(c.rated)],
        [Cell::Text("满意".into()), n(c.satisfied)],
        [Cell::Text("基本满意".into()), n(c.basically_satisfied)],
        [Cell::Text("不满意".into()), n(c.unsatisfied)],
        [
            Cell::Text("满意率".into()),
            Cell::Percent(s.satisfaction_rate),
        ],
        [Cell::Text("回访率".into()), Cell::Percent(s.revisit_rate)],
        [Cell::Text("重办量".into()), n(c.reopened)],
        [Cell::Text("重办率".into()), Cell::Percent(s.reopen_rate)],
        [
            Cell::Text("签收及时率".into()),
            Cell::Percent(s.sign_on_time_rate),
        ],
        [Cell::Text("超期未办结".into()), n(c.overdue_open)],
        [
            Cell::Text("平均办理工作日".into()),
            days(s.handling_days_mean),
        ],
        [
            Cell::Text("办理工作日中位数".into()),
            days(s.handling_days_median),
        ],
        [Cell::Text("建议数".into()), n(c.suggestions)],
        [Cell::Text("建议采纳数".into()), n(c.suggestions_adopted)],
    ]
}

const RANKING: [Column; 11] = [
    col("名次", 6.0),
    col("部门", 24.0),
    col("综合得分", 10.0),
    col("提交量", 8.0),
    col("受理量", 8.0),
    col("办结量", 8.0),
    col("办结率", 8.0),
    col("按期办结率", 10.0),
    col("满意率", 8.0),
    col("重办率", 8.0),
    col("超期未办结", 10.0),
];

const HOT_TOPICS: [Column; 6] = [
    col("类型", 8.0),
    col("内容", 24.0),
    col("本月", 8.0),
    col("上月", 8.0),
    col("变化", 8.0),
    col("上升", 6.0),
];

/// The monthly assessment workbook of `month` (its first day): 汇总 (the month's figures),
/// 部门排名 (every department with a score, best first), 热点诉求 (the month's most frequent
/// words and phrases, the rising ones, its categories and areas, against the month before),
/// then one sheet of the month's tickets per department in that order. Returns the number of
/// ticket rows written.
#[allow(clippy::too_many_arguments)]
pub fn assessment(
    conn: &mut DbConnection,
    who: &Principal,
    segmenter: &Segmenter,
    month: NaiveDate,
    weights: &Weights,
    now: &str,
    book: &mut XlsxWriter,
) -> Result<u64, WorkbookError> {
    check_staff(who)?;
    let next = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    let filter = TicketFilter {
        created_from: Some(time::format(time::china_day_start(month))),
        created_to: Some(time::format(time::china_day_start(next))),
        ..TicketFilter::default()
    };
    let summary = stats::summary(conn, who, &filter, now)?;
    book.sheet("汇总", &FIGURES)?;
    book.row(&[
        Cell::Text("统计月份".into()),
        Cell::Text(month.format("%Y年%m月").to_string()),
    ])?;
    for row in figure_rows(&summary) {
        book.row(&row)?;
    }
    let (ranked, _) = stats::ranking(conn, who, &filter, weights, now)?;
    book.sheet("部门排名", &RANKING)?;
    for (i, r) in ranked.iter().enumerate() {
        let s = &r.summary;
        let n = |v: u64| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
        book.row(&[
            Cell::Int(i64::try_from(i + 1).unwrap_or(0)),
            Cell::Text(r.name.clone()),
            Cell::Percent(Some(r.score)),
            n(s.counts.filed),
            n(s.counts.accepted),
            n(s.counts.resolved),
            Cell::Percent(s.resolution_rate),
            Cell::Percent(s.on_time_rate),
            Cell::Percent(s.satisfaction_rate),
            Cell::Percent(s.reopen_rate),
            n(s.counts.overdue_open),
        ])?;
    }
    hot_topics_sheet(conn, who, segmenter, month, next, &filter, now, book)?;
    // Departments with tickets but no score yet (nothing accepted) come after the ranked.
    let mut order: Vec<(String, String)> = ranked
        .iter()
        .map(|r| (r.department_id.clone(), r.name.clone()))
        .collect();
    for slice in stats::breakdown(conn, who, &filter, Dimension::Department, now)? {
        if let Some(id) = slice.key
            && !order.iter().any(|(d, _)| *d == id)
        {
            order.push((id.clone(), slice.name.unwrap_or(id)));
        }
    }
    let mut written = 0;
    for (id, name) in order {
        book.sheet(&name, &COLUMNS)?;
        let mut only = filter.clone();
        only.department_id = Some(id);
        written += for_each_row(conn, who, &only, now, |row| {
            book.row(&row).map_err(WorkbookError::from)
        })?;
    }
    Ok(written)
}

/// The sheet 热点诉求 of the assessment workbook: against as many days before the month
/// (a November of 30 days against 2 to 31 October), as the API compares.
#[allow(clippy::too_many_arguments)]
fn hot_topics_sheet(
    conn: &mut DbConnection,
    who: &Principal,
    segmenter: &Segmenter,
    month: NaiveDate,
    next: NaiveDate,
    filter: &TicketFilter,
    now: &str,
    book: &mut XlsxWriter,
) -> Result<(), WorkbookError> {
    let period = stats::Period {
        from: month,
        to: next,
        filter: filter.clone(),
    };
    let hot = hot_topics::hot_topics(conn, who, segmenter, &period, 50, now)?;
    book.sheet("热点诉求", &HOT_TOPICS)?;
    let n = |v: i64| Cell::Int(v);
    let row = |kind: &str, text: String, count: i64, previous: i64, rising: bool| {
        [
            Cell::Text(kind.into()),
            Cell::Text(text),
            n(count),
            n(previous),
            n(count - previous),
            Cell::Text(if rising { "↑".into() } else { String::new() }),
        ]
    };
    for t in &hot.words {
        let kind = if t.phrase { "短语" } else { "词" };
        book.row(&row(
            kind,
            t.text.replace(PHRASE_JOIN, ""),
            t.count,
            t.previous,
            t.rising,
        ))?;
    }
    for (kind, shares) in [("类别", &hot.categories), ("区域", &hot.areas)] {
        for s in shares {
            let name = s.name.clone().unwrap_or_else(|| "未填写".into());
            book.row(&row(kind, name, s.count, s.previous, s.rising))?;
        }
    }
    Ok(())
}
