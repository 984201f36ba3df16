//! The weekly bulletin (每周通报, issue 19). Each week, on `bulletin.weekday` from
//! `bulletin.at` (China), the service drafts the bulletin of the seven days before that day
//! ([`draft_due`]); an administrator may draft one for another week ([`draft`]). A draft holds
//! the week's and the year's figures as counted then — district totals, the departments'
//! table, the red and black lists (红黑榜) from the year's ranking, the requests overdue now
//! with their departments, the systemic issues not yet solved — which the administrator may
//! recount ([`refresh`]), and the foreword and typical cases (典型案例) they write
//! ([`edit`]). Publishing ([`publish`]) gives it the next number of the year (〔2026〕第48期,
//! or the number the administrator chose), renders its Word document and its workbook, keeps
//! all of it as it is from then on, and tells the department heads.
//!
//! Everyone on the staff reads the published bulletins; drafts are the administrators'.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Principal;
use crate::config::BulletinSettings;
use crate::db::bulletins::{self, BulletinRow, DRAFT, Publication};
use crate::db::tickets::{self as ticket_db, TicketFilter};
use crate::db::{Db, DbConnection, departments, new_id, users};
use crate::domain::calendar::WorkCalendar;
use crate::domain::kpi::{self, Summary};
use crate::domain::notification::MessageTopic;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::notify::outbox::{Outbox, PersonalMessage, markdown_text};
use crate::reports::docx::{Block, Document};
use crate::reports::sheets::{Cell, Column, XlsxWriter};
use crate::service::assessments::archivist;
use crate::service::audit::{self, Actor, AuditAction, By};
use crate::service::stats::{self, Dimension, Weights};
use crate::service::{liaison, systemic};

/// The typical cases a bulletin may hold.
pub const MAX_CASES: usize = 20;

/// A set of figures of the bulletin's tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub filed: u64,
    pub accepted: u64,
    pub resolved: u64,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub overdue_open: u64,
    pub reopened: u64,
}

impl Totals {
    fn of(s: &Summary) -> Totals {
        Totals {
            filed: s.counts.filed,
            accepted: s.counts.accepted,
            resolved: s.counts.resolved,
            on_time_rate: s.on_time_rate,
            satisfaction_rate: s.satisfaction_rate,
            overdue_open: s.counts.overdue_open,
            reopened: s.counts.reopened,
        }
    }
}

/// A lead department's row of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentFigures {
    pub department_id: String,
    pub name: String,
    pub week: Totals,
    pub year: Totals,
}

/// A department on the red or black list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    /// Its place in the year's ranking (1: the best).
    pub rank: usize,
    pub department_id: String,
    pub name: String,
    /// The weighted score, 0–100.
    pub score: f64,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

/// A request overdue when the figures were counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueRequest {
    pub ticket_id: String,
    pub number: String,
    pub title: String,
    pub department: Option<String>,
    pub assignee: Option<String>,
    pub due_at: Option<String>,
    /// Working days past its deadline.
    pub overdue_days: u64,
}

/// A systemic issue not yet solved (or solved during the week).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemicLine {
    pub id: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub lead_department: String,
    pub requests: i64,
    pub enterprises: i64,
}

/// What the bulletin counts, as counted at `computed_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// The year to date: from its first day to the week's last (both inclusive).
    pub year_from: NaiveDate,
    pub week: Totals,
    pub year: Totals,
    /// The lead departments with requests this year, the most filed this year first.
    pub departments: Vec<DepartmentFigures>,
    /// 红榜 (the best of the year's ranking) and 黑榜 (the worst, the worst last).
    pub red: Vec<Listed>,
    pub black: Vec<Listed>,
    pub overdue: Vec<OverdueRequest>,
    /// All of them; `overdue` names the first `bulletin.overdue_items`.
    pub overdue_count: i64,
    pub systemic: Vec<SystemicLine>,
    /// The liaison program's week (千名干部进千企): absent from bulletins drafted before it.
    #[serde(default)]
    pub liaison: Option<LiaisonWeek>,
    pub computed_at: String,
}

/// The liaison program's figures of the week, in all and by department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiaisonWeek {
    pub totals: liaison::Figures,
    pub departments: Vec<LiaisonLine>,
}

/// One department's liaison figures in the bulletin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiaisonLine {
    pub name: String,
    pub figures: liaison::Figures,
}

/// A typical case (典型案例): a request as it was when picked (published: when published), and
/// what the administrator wrote of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub ticket_id: String,
    pub number: String,
    pub title: String,
    pub department: Option<String>,
    pub status_label: String,
    pub note: String,
}

/// A bulletin as read: its row, with its figures and cases parsed.
#[derive(Debug, Clone)]
pub struct Bulletin {
    pub row: BulletinRow,
    pub figures: Figures,
    pub cases: Vec<Case>,
}

impl Bulletin {
    pub fn from_row(row: BulletinRow) -> Result<Bulletin, AppError> {
        let figures = serde_json::from_str(&row.figures)
            .map_err(|e| AppError::internal(anyhow::anyhow!("a bulletin's figures: {e}")))?;
        let cases = serde_json::from_str(&row.cases)
            .map_err(|e| AppError::internal(anyhow::anyhow!("a bulletin's cases: {e}")))?;
        Ok(Bulletin {
            row,
            figures,
            cases,
        })
    }

    /// 〔2026〕第48期, once published.
    pub fn issue(&self) -> Option<String> {
        issue_label(self.row.year, self.row.number)
    }

    pub fn period(&self) -> Result<(NaiveDate, NaiveDate), AppError> {
        let parse = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| AppError::internal(anyhow::anyhow!("a bulletin's period: {e}")))
        };
        Ok((parse(&self.row.period_from)?, parse(&self.row.period_to)?))
    }
}

/// 〔2026〕第48期.
pub fn issue_label(year: Option<i32>, number: Option<i32>) -> Option<String> {
    Some(format!("〔{}〕第{}期", year?, number?))
}

fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// `2026年11月30日—12月6日` (the year again when the week spans two).
pub fn period_text(from: NaiveDate, to: NaiveDate) -> String {
    let first = format!("{}年{}月{}日", from.year(), from.month(), from.day());
    if from.year() == to.year() {
        format!("{first}—{}月{}日", to.month(), to.day())
    } else {
        format!("{first}—{}年{}月{}日", to.year(), to.month(), to.day())
    }
}

/// The seven days a bulletin drafted at `now` reports on: the seven days before the latest
/// `bulletin.weekday` at or before today whose `bulletin.at` has passed. `None` when the
/// settings do not name a day and a time (refused at start-up).
pub fn due_week(settings: &BulletinSettings, now: DateTime<Utc>) -> Option<NaiveDate> {
    let (weekday, at) = (settings.day()?, settings.time()?);
    let today = time::china_date(now);
    let mut day = today;
    for _ in 0..7 {
        if day.weekday() == weekday {
            break;
        }
        day = day.pred_opt()?;
    }
    let from = time::china_day_start(day) + (at - chrono::NaiveTime::MIN);
    if now < from {
        day = day.checked_sub_days(Days::new(7))?;
    }
    day.checked_sub_days(Days::new(7))
}

/// Counts the bulletin's figures for the week from `from` (seven days) at `now`.
pub fn compute(
    conn: &mut DbConnection,
    calendar: &WorkCalendar,
    settings: &BulletinSettings,
    weights: &Weights,
    from: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Figures, AppError> {
    let who = archivist();
    let now_text = time::format(now);
    let to = from.checked_add_days(Days::new(7)).unwrap_or(from);
    let year_from =
        NaiveDate::from_ymd_opt(to.pred_opt().unwrap_or(to).year(), 1, 1).unwrap_or(from);
    let filter = |a: NaiveDate, b: NaiveDate| TicketFilter {
        created_from: Some(time::format(time::china_day_start(a))),
        created_to: Some(time::format(time::china_day_start(b))),
        ..TicketFilter::default()
    };
    let (week_filter, year_filter) = (filter(from, to), filter(year_from, to));
    // Two breakdowns by department make everything: they add up to the week's and the year's
    // summaries, and the year's is the ranking's.
    let week_slices = stats::breakdown(conn, &who, &week_filter, Dimension::Department, &now_text)?;
    let year_slices = stats::breakdown(conn, &who, &year_filter, Dimension::Department, &now_text)?;
    let (week, year) = (stats::total(&week_slices), stats::total(&year_slices));
    let by_week: HashMap<Option<String>, Summary> = week_slices
        .into_iter()
        .map(|s| (s.key, s.summary))
        .collect();
    let departments = year_slices
        .iter()
        .filter_map(|s| {
            let key = s.key.clone()?;
            let week = by_week
                .get(&Some(key.clone()))
                .map(Totals::of)
                .unwrap_or_default();
            Some(DepartmentFigures {
                name: s.name.clone().unwrap_or_else(|| key.clone()),
                department_id: key,
                week,
                year: Totals::of(&s.summary),
            })
        })
        .collect();

    let (ranked, _) = stats::rank(year_slices, weights);
    let (red_n, black_n) = kpi::red_and_black(ranked.len(), settings.red_black as usize);
    let listed = |(i, r): (usize, &stats::Ranked)| Listed {
        rank: i + 1,
        department_id: r.department_id.clone(),
        name: r.name.clone(),
        score: (r.score * 1000.0).round() / 10.0,
        on_time_rate: r.summary.on_time_rate,
        satisfaction_rate: r.summary.satisfaction_rate,
    };
    // A department level with the worst is not praised, one level with the best not named
    // for the black list: when every department scores the same, neither list has anyone.
    let best = ranked.first().map_or(0.0, |r| r.score);
    let worst = ranked.last().map_or(0.0, |r| r.score);
    let red = ranked
        .iter()
        .enumerate()
        .take(red_n)
        .filter(|(_, r)| r.score > worst)
        .map(listed)
        .collect();
    let black = ranked
        .iter()
        .enumerate()
        .skip(ranked.len() - black_n)
        .filter(|(_, r)| r.score < best)
        .map(listed)
        .collect();

    let (late, overdue_count) =
        ticket_db::overdue_first(conn, &now_text, i64::from(settings.overdue_items))?;
    let department_names: BTreeMap<String, String> = departments::list(conn)?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let assignee_ids: Vec<String> = late.iter().filter_map(|t| t.assignee_id.clone()).collect();
    let assignees: HashMap<String, String> =
        users::names(conn, &assignee_ids)?.into_iter().collect();
    let overdue = late
        .into_iter()
        .map(|t| OverdueRequest {
            overdue_days: t
                .due_at
                .as_deref()
                .and_then(time::parse)
                .map_or(0, |due| calendar.working_days_after(due, now)),
            department: t
                .department_id
                .as_ref()
                .and_then(|d| department_names.get(d).cloned()),
            assignee: t
                .assignee_id
                .as_ref()
                .and_then(|a| assignees.get(a).cloned()),
            ticket_id: t.id,
            number: t.number,
            title: t.title,
            due_at: t.due_at,
        })
        .collect();

    let systemic = systemic::for_bulletin(conn, time::china_day_start(from))?
        .into_iter()
        .map(|v| SystemicLine {
            lead_department: department_names
                .get(&v.issue.lead_department_id)
                .cloned()
                .unwrap_or_default(),
            id: v.issue.id,
            title: v.issue.title,
            status: v.issue.status.as_str().to_string(),
            status_label: v.issue.status.label().to_string(),
            requests: v.counts.requests,
            enterprises: v.counts.enterprises,
        })
        .collect();

    let last = to.pred_opt().unwrap_or(to);
    let mut report = liaison::report(
        conn,
        from,
        last,
        &liaison::Scope::default(),
        &[liaison::Dimension::Department],
    )?;
    let liaison = LiaisonWeek {
        totals: report.totals,
        departments: report
            .by
            .remove("department")
            .unwrap_or_default()
            .into_iter()
            .map(|r| LiaisonLine {
                name: r.name,
                figures: r.figures,
            })
            .collect(),
    };

    Ok(Figures {
        year_from,
        liaison: Some(liaison),
        week: Totals::of(&week),
        year: Totals::of(&year),
        departments,
        red,
        black,
        overdue,
        overdue_count,
        systemic,
        computed_at: now_text,
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// What drafting needs besides the database.
#[derive(Clone)]
pub struct Drafting<'a> {
    pub calendar: &'a WorkCalendar,
    pub settings: &'a BulletinSettings,
    pub weights: Weights,
}

/// Drafts the bulletin of the seven days from `from`: by an administrator (`by`; 409 when the
/// week has one), or by the service (`None`: nothing when the week has one). The week must
/// have ended.
pub fn draft(
    db: &Db,
    d: &Drafting<'_>,
    from: NaiveDate,
    by: Option<Actor>,
    now: DateTime<Utc>,
) -> Result<Option<Bulletin>, AppError> {
    let to = from
        .checked_add_days(Days::new(6))
        .ok_or_else(|| AppError::invalid_field("from", "is not a day a week can start on"))?;
    if to >= time::china_date(now) {
        return Err(AppError::invalid_field(
            "from",
            "the week must have ended (its seven days before today)",
        ));
    }
    let key = day_key(from);
    if db
        .read(|c| Ok::<_, AppError>(bulletins::of_week(c, &key)?))?
        .is_some()
    {
        return match by {
            None => Ok(None),
            Some(_) => Err(week_taken()),
        };
    }
    let figures = db.read(|c| compute(c, d.calendar, d.settings, &d.weights, from, now))?;
    let at = time::format(now);
    let row = BulletinRow {
        id: new_id(),
        period_from: key,
        period_to: day_key(to),
        status: DRAFT.into(),
        foreword: String::new(),
        cases: "[]".into(),
        figures: to_json(&figures)?,
        year: None,
        number: None,
        version: 1,
        drafted_by: by.as_ref().map(|a| a.who.user_id.clone()),
        drafted_at: at.clone(),
        updated_at: at,
        published_by: None,
        published_at: None,
    };
    db.write(move |c| -> Result<Option<Bulletin>, AppError> {
        if !bulletins::insert(c, &row)? {
            return match by {
                None => Ok(None),
                Some(_) => Err(week_taken()),
            };
        }
        if let Some(actor) = by {
            audit::record(
                c,
                &By::Request(actor),
                AuditAction::BulletinCreate,
                Some(&row.id),
                Some(json!({ "period_from": row.period_from })),
                now,
            )?;
        }
        Ok(Some(Bulletin::from_row(row)?))
    })
}

fn week_taken() -> AppError {
    AppError::new(
        ErrorCode::Duplicate,
        "this week has a bulletin already: open it from the list",
    )
}

/// Drafts the week's bulletin if it is time and the week has none: the scheduler calls it
/// after each sweep. Any number of instances may: the week's row is unique.
pub fn draft_due(
    db: &Db,
    d: &Drafting<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Bulletin>, AppError> {
    if !d.settings.enabled {
        return Ok(None);
    }
    let Some(from) = due_week(d.settings, now) else {
        return Ok(None);
    };
    draft(db, d, from, None, now)
}

/// Who may read what: administrators every bulletin, drafts too; dispatchers and cadres the
/// published ones; enterprises nothing (403). Returns whether drafts are readable.
pub fn reads_drafts(who: &Principal) -> Result<bool, AppError> {
    match who.role {
        Role::Admin => Ok(true),
        Role::Dispatcher | Role::Cadre => Ok(false),
        Role::Enterprise => Err(AppError::forbidden(
            "the bulletins are for the district's staff",
        )),
    }
}

/// A bulletin its reader may read (a draft to a non-administrator is not found).
pub fn read(conn: &mut DbConnection, who: &Principal, id: &str) -> Result<Bulletin, AppError> {
    let drafts = reads_drafts(who)?;
    let row = bulletins::find(conn, id)?
        .filter(|r| drafts || r.is_published())
        .ok_or_else(|| AppError::not_found("bulletin"))?;
    Bulletin::from_row(row)
}

/// A pick of a typical case: a ticket's number or id, and the note.
#[derive(Debug, Clone)]
pub struct CasePick {
    pub ticket: String,
    pub note: String,
}

/// The cases of `picks`, each as its ticket is now; 422 naming `cases[i].ticket` for one
/// that is not a ticket, or picked twice.
fn cases_of(conn: &mut DbConnection, picks: &[CasePick]) -> Result<Vec<Case>, AppError> {
    let names: HashMap<String, String> = departments::list(conn)?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut out: Vec<Case> = Vec::new();
    for (i, pick) in picks.iter().enumerate() {
        let key = pick.ticket.trim();
        let ticket = match ticket_db::find_by_number(conn, key)? {
            Some(t) => Some(t),
            None => ticket_db::find(conn, key)?,
        };
        let field = format!("cases[{i}].ticket");
        let Some(t) = ticket else {
            return Err(AppError::invalid_field(
                &field,
                "no request has this number",
            ));
        };
        if out.iter().any(|c| c.ticket_id == t.id) {
            return Err(AppError::invalid_field(
                &field,
                "this request is picked twice",
            ));
        }
        out.push(Case {
            department: t.department_id.as_ref().and_then(|d| names.get(d).cloned()),
            status_label: t.status.label().to_string(),
            ticket_id: t.id,
            number: t.number,
            title: t.title,
            note: pick.note.clone(),
        });
    }
    Ok(out)
}

/// The cases again, each as its ticket is now (the notes kept).
fn cases_again(conn: &mut DbConnection, cases: &[Case]) -> Result<Vec<Case>, AppError> {
    let picks: Vec<CasePick> = cases
        .iter()
        .map(|c| CasePick {
            ticket: c.ticket_id.clone(),
            note: c.note.clone(),
        })
        .collect();
    cases_of(conn, &picks)
}

/// What an administrator changes in a draft.
#[derive(Debug, Clone, Default)]
pub struct DraftChanges {
    pub foreword: Option<String>,
    pub cases: Option<Vec<CasePick>>,
    /// Count the figures again, now.
    pub recount: bool,
}

fn not_a_draft() -> AppError {
    AppError::new(
        ErrorCode::AlreadyPublished,
        "the bulletin is published and can no longer be changed",
    )
}

fn changed_meanwhile() -> AppError {
    AppError::new(
        ErrorCode::ConcurrentUpdate,
        "the bulletin was changed by someone else at the same time; reload it and try again",
    )
}

/// Changes a draft read at `version` (administrators): its foreword, its cases, its figures
/// counted again. 409 when published, `concurrent_update` when changed meanwhile.
pub fn edit(
    db: &Db,
    d: &Drafting<'_>,
    id: &str,
    version: i32,
    changes: DraftChanges,
    by: Actor,
    now: DateTime<Utc>,
) -> Result<Bulletin, AppError> {
    let id = id.to_string();
    let before = db.read(|c| read(c, &by.who, &id))?;
    if before.row.is_published() {
        return Err(not_a_draft());
    }
    if before.row.version != version {
        return Err(changed_meanwhile());
    }
    let (from, _) = before.period()?;
    let figures = if changes.recount {
        Some(db.read(|c| compute(c, d.calendar, d.settings, &d.weights, from, now))?)
    } else {
        None
    };
    db.write(move |c| -> Result<Bulletin, AppError> {
        let cases = match &changes.cases {
            Some(picks) => cases_of(c, picks)?,
            None => before.cases.clone(),
        };
        let foreword = changes
            .foreword
            .clone()
            .unwrap_or(before.row.foreword.clone());
        let figures = figures.as_ref().unwrap_or(&before.figures);
        let at = time::format(now);
        if !bulletins::update_draft(
            c,
            &id,
            version,
            &foreword,
            &to_json(&cases)?,
            &to_json(figures)?,
            &at,
        )? {
            return Err(match bulletins::find(c, &id)? {
                Some(r) if r.is_published() => not_a_draft(),
                _ => changed_meanwhile(),
            });
        }
        audit::record(
            c,
            &By::Request(by),
            AuditAction::BulletinUpdate,
            Some(&id),
            Some(audit::fields(&[
                ("foreword", changes.foreword.is_some()),
                ("cases", changes.cases.is_some()),
                ("figures", changes.recount),
            ])),
            now,
        )?;
        let row = bulletins::find(c, &id)?.ok_or_else(|| AppError::not_found("bulletin"))?;
        Bulletin::from_row(row)
    })
}

/// Publishes a draft read at `version` (administrators) as `number` of this year (China), or
/// the year's next: its cases as their tickets are now, its Word document and workbook
/// rendered and kept, the department heads told. 409 when published or the number is taken.
#[allow(clippy::too_many_arguments)]
pub fn publish(
    db: &Db,
    outbox: &Outbox,
    settings: &BulletinSettings,
    id: &str,
    version: i32,
    number: Option<i32>,
    by: Actor,
    now: DateTime<Utc>,
) -> Result<Bulletin, AppError> {
    let id = id.to_string();
    let before = db.read(|c| read(c, &by.who, &id))?;
    if before.row.is_published() {
        return Err(not_a_draft());
    }
    if before.row.version != version {
        return Err(changed_meanwhile());
    }
    let year = time::china_date(now).year();
    let (settings, queue) = (settings.clone(), outbox.clone());
    let published = db.write(move |c| -> Result<Bulletin, AppError> {
        let number = match number {
            Some(n) if bulletins::number_taken(c, year, n)? => {
                return Err(AppError::new(
                    ErrorCode::Duplicate,
                    format!("〔{year}〕第{n}期 is published already: choose another number"),
                ));
            }
            Some(n) => n,
            None => bulletins::last_number(c, year)? + 1,
        };
        let cases = cases_again(c, &before.cases)?;
        let at = time::format(now);
        let mut row = before.row.clone();
        row.year = Some(year);
        row.number = Some(number);
        row.published_at = Some(at.clone());
        let staged = Bulletin {
            row,
            figures: before.figures.clone(),
            cases,
        };
        let document = document(&staged, &settings)?;
        let workbook = workbook(&staged)?;
        let cases_json = to_json(&staged.cases)?;
        let publication = Publication {
            year,
            number,
            cases: &cases_json,
            document: &document,
            workbook: &workbook,
            by: &by.who.user_id,
            now: &at,
        };
        if !bulletins::publish(c, &id, version, &publication)? {
            return Err(match bulletins::find(c, &id)? {
                Some(r) if r.is_published() => not_a_draft(),
                _ => changed_meanwhile(),
            });
        }
        audit::record(
            c,
            &By::Request(by),
            AuditAction::BulletinPublish,
            Some(&id),
            Some(json!({ "year": year, "number": number })),
            now,
        )?;
        let row = bulletins::find(c, &id)?.ok_or_else(|| AppError::not_found("bulletin"))?;
        let published = Bulletin::from_row(row)?;
        tell_heads(c, &queue, &settings, &published, now)?;
        tell_leaders_group(c, &queue, &settings, &published, now)?;
        Ok(published)
    })?;
    outbox.wake();
    Ok(published)
}

/// The heads of departments (active), each once.
fn heads(conn: &mut DbConnection) -> Result<Vec<users::UserRow>, AppError> {
    let mut ids: Vec<String> = departments::list(conn)?
        .into_iter()
        .filter_map(|d| d.head_user_id)
        .collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        if let Some(u) = users::find(conn, &id)?.filter(|u| !u.disabled) {
            out.push(u);
        }
    }
    Ok(out)
}

/// Queues the news of a published bulletin to every department head, in the publishing
/// transaction.
fn tell_heads(
    conn: &mut DbConnection,
    outbox: &Outbox,
    settings: &BulletinSettings,
    b: &Bulletin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let issue = b.issue().unwrap_or_default();
    let (from, to) = b.period()?;
    let url = format!("{}#/bulletins/{}", outbox.home_url(), b.row.id);
    let subject = format!("【{}】{}{issue}已发布", outbox.site(), settings.title);
    let w = &b.figures.week;
    let sms = format!("{}{issue}已发布，请查阅：{url}", settings.title);
    let values = [("issue", issue.clone()), ("url", url.clone())];
    for head in heads(conn)? {
        let text = format!(
            "{}，您好：\n\n{}{issue}（{}）已发布。\n\n本周全区受理企业诉求 {} 件，办结 {} 件；\
             当前超期未办结 {} 件。各单位办理情况、红黑榜、超期诉求和典型案例见通报全文。",
            head.name,
            settings.title,
            period_text(from, to),
            w.accepted,
            w.resolved,
            b.figures.overdue_count,
        );
        let message = PersonalMessage {
            topic: MessageTopic::Bulletin,
            subject: &subject,
            text: &text,
            button: "查看通报",
            url: &url,
            sms: &sms,
            values: &values,
            with_sms: settings.sms,
        };
        outbox.queue_personal(conn, &head, &message, now)?;
    }
    Ok(())
}

/// Posts a published bulletin to the leaders' group robots (`leaders = true`), in the
/// publishing transaction: its issue, the week's totals, the red and black lists, the overdue
/// count, and the link.
fn tell_leaders_group(
    conn: &mut DbConnection,
    outbox: &Outbox,
    settings: &BulletinSettings,
    b: &Bulletin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let leaders: Vec<String> = outbox
        .robots()
        .iter()
        .filter(|r| r.leaders)
        .map(|r| r.name.clone())
        .collect();
    if leaders.is_empty() {
        return Ok(());
    }
    let issue = b.issue().unwrap_or_default();
    let (from, to) = b.period()?;
    let (f, w) = (&b.figures, &b.figures.week);
    let names = |l: &[Listed]| {
        if l.is_empty() {
            "—".to_string()
        } else {
            l.iter()
                .map(|x| markdown_text(&x.name))
                .collect::<Vec<_>>()
                .join("、")
        }
    };
    let title = format!("{}{issue}", settings.title);
    let text = format!(
        "### {}\n{}\n\n> 本周收到企业诉求 **{}** 件，办结 **{}** 件，按时办结率 {}，满意率 {}\n>\n> 当前超期未办结 **{}** 件\n\n红榜：{}\n\n黑榜：{}\n\n[查看通报全文]({}#/bulletins/{})",
        markdown_text(&title),
        period_text(from, to),
        w.filed,
        w.resolved,
        rate_text(w.on_time_rate),
        rate_text(w.satisfaction_rate),
        f.overdue_count,
        names(&f.red),
        names(&f.black),
        outbox.home_url(),
        b.row.id,
    );
    for robot in leaders {
        outbox.queue_robot_post(conn, &robot, MessageTopic::Bulletin, &title, &text, now)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The tables, the Word document and the workbook

fn percent(rate: Option<f64>) -> Cell {
    Cell::Percent(rate)
}

fn int(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A table of the bulletin: its sheet name, its section heading in the document, columns
/// and rows.
pub struct Table {
    pub sheet: &'static str,
    pub columns: &'static [Column],
    pub rows: Vec<Vec<Cell>>,
}

const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width }
}

const TOTALS_COLUMNS: &[Column] = &[
    col("范围", 12.0),
    col("诉求件数", 10.0),
    col("受理", 8.0),
    col("办结", 8.0),
    col("按时办结率", 11.0),
    col("满意率", 9.0),
    col("超期未办结", 11.0),
    col("重办", 8.0),
];

const DEPARTMENT_COLUMNS: &[Column] = &[
    col("单位", 22.0),
    col("诉求件数", 10.0),
    col("受理", 8.0),
    col("办结", 8.0),
    col("按时办结率", 11.0),
    col("满意率", 9.0),
    col("超期未办结", 11.0),
    col("重办", 8.0),
];

const LIST_COLUMNS: &[Column] = &[
    col("榜单", 8.0),
    col("名次", 6.0),
    col("单位", 22.0),
    col("综合得分", 10.0),
    col("按时办结率", 11.0),
    col("满意率", 9.0),
];

const OVERDUE_COLUMNS: &[Column] = &[
    col("序号", 6.0),
    col("编号", 20.0),
    col("诉求事项", 40.0),
    col("责任单位", 22.0),
    col("承办人", 10.0),
    col("办理时限", 18.0),
    col("超期（工作日）", 14.0),
];

const CASE_COLUMNS: &[Column] = &[
    col("序号", 6.0),
    col("编号", 20.0),
    col("诉求事项", 40.0),
    col("责任单位", 22.0),
    col("状态", 10.0),
    col("点评", 60.0),
];

const LIAISON_COLUMNS: &[Column] = &[
    col("单位", 24.0),
    col("联点企业", 10.0),
    col("已走访企业", 10.0),
    col("覆盖率", 10.0),
    col("走访次数", 10.0),
    col("联点干部", 10.0),
    col("人均走访", 10.0),
    col("收集诉求", 10.0),
    col("次均诉求", 10.0),
];

fn liaison_row(name: &str, f: &liaison::Figures) -> Vec<Cell> {
    let ratio = |r: Option<f64>| r.map_or(Cell::Empty, Cell::Number);
    vec![
        text(name),
        Cell::Int(f.paired),
        Cell::Int(f.visited),
        percent(f.coverage),
        Cell::Int(f.visits),
        Cell::Int(f.cadres),
        ratio(f.visits_per_cadre),
        Cell::Int(f.requests),
        ratio(f.requests_per_visit),
    ]
}

const SYSTEMIC_COLUMNS: &[Column] = &[
    col("序号", 6.0),
    col("症结", 40.0),
    col("牵头单位", 22.0),
    col("状态", 10.0),
    col("关联诉求", 10.0),
    col("涉及企业", 10.0),
];

fn totals_row(name: &str, t: &Totals) -> Vec<Cell> {
    vec![
        text(name),
        int(t.filed),
        int(t.accepted),
        int(t.resolved),
        percent(t.on_time_rate),
        percent(t.satisfaction_rate),
        int(t.overdue_open),
        int(t.reopened),
    ]
}

/// A deadline as the bulletin shows it: `2026-12-04 23:59` (China).
fn due_text(due: Option<&str>) -> String {
    due.and_then(time::parse)
        .map(|at| {
            (at + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The bulletin's tables, in its order: the totals, the departments of the week and of the
/// year, the red and black lists, the overdue requests, the typical cases, the systemic
/// issues, the liaison program's week.
pub fn tables(b: &Bulletin) -> Vec<Table> {
    let f = &b.figures;
    let departments = |year: bool| {
        f.departments
            .iter()
            .map(|d| totals_row(&d.name, if year { &d.year } else { &d.week }))
            .collect()
    };
    let listed = |name: &str, l: &Listed| {
        vec![
            text(name),
            Cell::Int(l.rank as i64),
            text(l.name.clone()),
            Cell::Number(l.score),
            percent(l.on_time_rate),
            percent(l.satisfaction_rate),
        ]
    };
    vec![
        Table {
            sheet: "总体情况",
            columns: TOTALS_COLUMNS,
            rows: vec![totals_row("本周", &f.week), totals_row("本年累计", &f.year)],
        },
        Table {
            sheet: "各单位（本周）",
            columns: DEPARTMENT_COLUMNS,
            rows: departments(false),
        },
        Table {
            sheet: "各单位（本年）",
            columns: DEPARTMENT_COLUMNS,
            rows: departments(true),
        },
        Table {
            sheet: "红黑榜",
            columns: LIST_COLUMNS,
            rows: f
                .red
                .iter()
                .map(|l| listed("红榜", l))
                .chain(f.black.iter().map(|l| listed("黑榜", l)))
                .collect(),
        },
        Table {
            sheet: "超期诉求",
            columns: OVERDUE_COLUMNS,
            rows: f
                .overdue
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    vec![
                        Cell::Int(i as i64 + 1),
                        text(o.number.clone()),
                        text(o.title.clone()),
                        text(o.department.clone().unwrap_or_default()),
                        text(o.assignee.clone().unwrap_or_default()),
                        text(due_text(o.due_at.as_deref())),
                        int(o.overdue_days),
                    ]
                })
                .collect(),
        },
        Table {
            sheet: "典型案例",
            columns: CASE_COLUMNS,
            rows: b
                .cases
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    vec![
                        Cell::Int(i as i64 + 1),
                        text(c.number.clone()),
                        text(c.title.clone()),
                        text(c.department.clone().unwrap_or_default()),
                        text(c.status_label.clone()),
                        text(c.note.clone()),
                    ]
                })
                .collect(),
        },
        Table {
            sheet: "症结问题",
            columns: SYSTEMIC_COLUMNS,
            rows: f
                .systemic
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    vec![
                        Cell::Int(i as i64 + 1),
                        text(s.title.clone()),
                        text(s.lead_department.clone()),
                        text(s.status_label.clone()),
                        Cell::Int(s.requests),
                        Cell::Int(s.enterprises),
                    ]
                })
                .collect(),
        },
        Table {
            sheet: "联点走访",
            columns: LIAISON_COLUMNS,
            rows: f
                .liaison
                .iter()
                .flat_map(|l| {
                    std::iter::once(liaison_row("全区", &l.totals)).chain(
                        l.departments
                            .iter()
                            .map(|d| liaison_row(&d.name, &d.figures)),
                    )
                })
                .collect(),
        },
    ]
}

/// A cell as the Word document writes it.
fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) | Cell::DateTime(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Number(x) => format!("{x:.1}"),
        Cell::Percent(Some(r)) => format!("{:.1}%", r * 100.0),
        Cell::Percent(None) | Cell::Empty => "—".into(),
        Cell::Bool(b) => if *b { "是" } else { "否" }.into(),
    }
}

fn rate_text(rate: Option<f64>) -> String {
    cell_text(&Cell::Percent(rate))
}

/// The workbook: one sheet per table.
pub fn workbook(b: &Bulletin) -> Result<Vec<u8>, AppError> {
    let fail = |e: crate::reports::sheets::ExportError| {
        AppError::internal(anyhow::anyhow!("the bulletin's workbook: {e}"))
    };
    let mut book = XlsxWriter::new();
    for table in tables(b) {
        book.sheet(table.sheet, table.columns).map_err(fail)?;
        for row in &table.rows {
            book.row(row).map_err(fail)?;
        }
    }
    let mut bytes = Vec::new();
    book.finish_to_writer(&mut bytes).map_err(fail)?;
    Ok(bytes)
}

/// `2026年12月7日`.
fn date_text(at: Option<&str>) -> String {
    at.and_then(time::parse)
        .map(time::china_date)
        .map(|d| format!("{}年{}月{}日", d.year(), d.month(), d.day()))
        .unwrap_or_default()
}

/// The Word document, laid out as a government bulletin: the masthead, the issue number, the
/// office and date, a red rule, then the sections.
pub fn document(b: &Bulletin, settings: &BulletinSettings) -> Result<Vec<u8>, AppError> {
    let (from, to) = b.period()?;
    let f = &b.figures;
    let [totals, week, year, lists, overdue, _cases, systemic, visits] = tables_array(b)?;
    let mut doc = Document::new();
    doc.push(Block::Masthead(settings.title.clone()))
        .push(Block::Centered(
            b.issue().unwrap_or_else(|| "（草稿）".to_string()),
        ))
        .push(Block::Centered(format!(
            "{}        {}",
            settings.issuing_office,
            date_text(b.row.published_at.as_deref().or(Some(&f.computed_at)))
        )))
        .push(Block::Rule)
        .push(Block::Title(format!(
            "企业诉求办理情况通报（{}）",
            period_text(from, to)
        )));
    if !b.row.foreword.trim().is_empty() {
        doc.push(Block::Paragraph(b.row.foreword.clone()));
    }
    let (w, y) = (&f.week, &f.year);
    doc.push(Block::Heading("一、总体情况".into()))
        .push(Block::Paragraph(format!(
            "本周（{}），全区共收到企业诉求 {} 件，受理 {} 件，办结 {} 件，按时办结率 {}，满意率 {}。\
             {}年以来累计收到 {} 件，受理 {} 件，办结 {} 件，按时办结率 {}，满意率 {}，重办 {} 件。\
             截至{}，超期未办结诉求 {} 件。",
            period_text(from, to),
            w.filed,
            w.accepted,
            w.resolved,
            rate_text(w.on_time_rate),
            rate_text(w.satisfaction_rate),
            f.year_from.year(),
            y.filed,
            y.accepted,
            y.resolved,
            rate_text(y.on_time_rate),
            rate_text(y.satisfaction_rate),
            y.reopened,
            date_text(Some(&f.computed_at)),
            f.overdue_count,
        )));
    doc.push(table_block(&totals));
    doc.push(Block::Heading("二、各单位办理情况".into()));
    if f.departments.is_empty() {
        doc.push(Block::Paragraph("本年尚无交办到各单位的诉求。".into()));
    } else {
        doc.push(Block::Paragraph("（一）本周".into()))
            .push(table_block(&week))
            .push(Block::Paragraph("（二）本年累计".into()))
            .push(table_block(&year));
    }
    doc.push(Block::Heading("三、红黑榜".into()));
    if f.red.is_empty() && f.black.is_empty() {
        doc.push(Block::Paragraph("本年尚无可排名的单位。".into()));
    } else {
        doc.push(Block::Paragraph(
            "按本年以来办结率、按时办结率、满意率等指标加权排名。".into(),
        ))
        .push(table_block(&lists));
    }
    doc.push(Block::Heading("四、超期未办结诉求".into()));
    if f.overdue_count == 0 {
        doc.push(Block::Paragraph("无超期未办结诉求。".into()));
    } else {
        let more = f.overdue_count - f.overdue.len() as i64;
        doc.push(Block::Paragraph(if more > 0 {
            format!(
                "共 {} 件，超期时间最长的 {} 件如下（另有 {more} 件见台账）。请责任单位抓紧办理。",
                f.overdue_count,
                f.overdue.len()
            )
        } else {
            format!("共 {} 件，请责任单位抓紧办理。", f.overdue_count)
        }))
        .push(table_block(&overdue));
    }
    doc.push(Block::Heading("五、典型案例".into()));
    if b.cases.is_empty() {
        doc.push(Block::Paragraph("本期无。".into()));
    }
    for (i, c) in b.cases.iter().enumerate() {
        doc.push(Block::Paragraph(format!(
            "（{}）{}（{}，{}，{}）",
            chinese_number(i + 1),
            c.title,
            c.number,
            c.department.as_deref().unwrap_or("未交办"),
            c.status_label
        )));
        if !c.note.trim().is_empty() {
            doc.push(Block::Paragraph(c.note.clone()));
        }
    }
    doc.push(Block::Heading("六、症结问题".into()));
    if f.systemic.is_empty() {
        doc.push(Block::Paragraph("当前无未解决的症结问题。".into()));
    } else {
        doc.push(table_block(&systemic));
    }
    if let Some(l) = &f.liaison {
        let t = &l.totals;
        doc.push(Block::Heading("七、千名干部进千企".into()));
        doc.push(Block::Paragraph(if t.visits == 0 && t.paired == 0 {
            "本周无联点走访记录。".into()
        } else {
            format!(
                "本周，联点干部走访企业 {} 次，走访联点企业 {} 家，占联点企业 {} 家的 {}；\
                 联点干部 {} 名，人均走访 {} 次；走访中收集企业诉求 {} 件。",
                t.visits,
                t.visited,
                t.paired,
                rate_text(t.coverage),
                t.cadres,
                t.visits_per_cadre.map_or("—".into(), |x| format!("{x:.1}")),
                t.requests,
            )
        }));
        if !l.departments.is_empty() {
            doc.push(table_block(&visits));
        }
    }
    doc.finish()
        .map_err(|e| AppError::internal(anyhow::anyhow!("the bulletin's document: {e}")))
}

/// The eight tables of [`tables`], each by its place.
fn tables_array(b: &Bulletin) -> Result<[Table; 8], AppError> {
    tables(b)
        .try_into()
        .map_err(|_| AppError::internal(anyhow::anyhow!("the bulletin has eight tables")))
}

/// A table as the Word document shows it.
fn table_block(t: &Table) -> Block {
    Block::Table {
        header: t.columns.iter().map(|c| c.header.to_string()).collect(),
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(cell_text).collect())
            .collect(),
    }
}

/// 一 … 二十 (the typical cases are at most [`MAX_CASES`]).
fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0 => "零".into(),
        1..=9 => DIGITS[n].into(),
        10 => "十".into(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(weekday: &str, at: &str) -> BulletinSettings {
        BulletinSettings {
            enabled: true,
            weekday: weekday.into(),
            at: at.into(),
            title: "通报".into(),
            issuing_office: "办公室".into(),
            red_black: 3,
            overdue_items: 50,
            sms: true,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        // China time.
        let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        local.and_utc() - chrono::Duration::hours(8)
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_week_reported_on_is_the_seven_days_before_the_latest_drafting_day() {
        let s = settings("mon", "09:00");
        // 2026-12-07 is a Monday.
        assert_eq!(
            due_week(&s, at("2026-12-07 09:00")),
            Some(day("2026-11-30"))
        );
        assert_eq!(
            due_week(&s, at("2026-12-07 08:59")),
            Some(day("2026-11-23"))
        );
        assert_eq!(
            due_week(&s, at("2026-12-13 23:59")),
            Some(day("2026-11-30"))
        );
        assert_eq!(
            due_week(&s, at("2026-12-14 10:00")),
            Some(day("2026-12-07"))
        );
        let friday = settings("fri", "16:00");
        assert_eq!(
            due_week(&friday, at("2026-12-11 16:30")),
            Some(day("2026-12-04"))
        );
        assert_eq!(
            due_week(&friday, at("2026-12-07 10:00")),
            Some(day("2026-11-27"))
        );
    }

    #[test]
    fn issues_periods_and_numbers_read_as_offices_write_them() {
        assert_eq!(
            issue_label(Some(2026), Some(48)).as_deref(),
            Some("〔2026〕第48期")
        );
        assert_eq!(issue_label(Some(2026), None), None);
        assert_eq!(
            period_text(day("2026-11-30"), day("2026-12-06")),
            "2026年11月30日—12月6日"
        );
        assert_eq!(
            period_text(day("2026-12-28"), day("2027-01-03")),
            "2026年12月28日—2027年1月3日"
        );
        let numbers: Vec<String> = [1, 9, 10, 11, 20, 21]
            .into_iter()
            .map(chinese_number)
            .collect();
        assert_eq!(numbers, ["一", "九", "十", "十一", "二十", "二十一"]);
    }
}
