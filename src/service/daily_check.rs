//! The daily check (每日检查, issue 19): on each working day, from `daily_check.at` (China),
//! every person with something to act on gets one digest of it — by e-mail, and by SMS in one
//! line where configured; the workbench shows the same digest, counted when asked
//! ([`digest_for`]). Nothing is sent to someone with nothing to do.
//!
//! What each person is shown:
//!
//! - a cadre: the requests assigned to them that are overdue, due today, due tomorrow, and
//!   waiting to be signed for;
//! - a department head, besides: their departments' (and those under them) overdue requests
//!   and those waiting to be signed for;
//! - a dispatcher: the requests waiting to be accepted, the extension requests waiting for a
//!   decision, and the resolved requests not rated for `daily_check.unrated_days` (待回访).
//!
//! Once per person per day, however many instances run it: the digest's row in
//! `daily_checks` (keyed by day and person) is inserted in the transaction that queues its
//! messages, and an instance that finds it there queues nothing ([`run`]).

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use serde::Serialize;

use crate::config::DailyCheckSettings;
use crate::db::tickets::{self as ticket_db, Scope, TicketFilter};
use crate::db::users::{self, UserRow};
use crate::db::{Db, DbConnection, daily_checks, departments};
use crate::domain::calendar::WorkCalendar;
use crate::domain::notification::MessageTopic;
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::{Role, TicketStatus};
use crate::domain::time;
use crate::error::AppError;
use crate::notify::outbox::{Outbox, PersonalMessage, markdown_text};
use crate::service::stats;

/// What a section lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Overdue,
    DueToday,
    DueTomorrow,
    ToSign,
    DepartmentOverdue,
    DepartmentToSign,
    ToAccept,
    ExtensionPending,
    Unrated,
}

impl SectionKind {
    /// As the API names it (`due_today`).
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Overdue => "overdue",
            SectionKind::DueToday => "due_today",
            SectionKind::DueTomorrow => "due_tomorrow",
            SectionKind::ToSign => "to_sign",
            SectionKind::DepartmentOverdue => "department_overdue",
            SectionKind::DepartmentToSign => "department_to_sign",
            SectionKind::ToAccept => "to_accept",
            SectionKind::ExtensionPending => "extension_pending",
            SectionKind::Unrated => "unrated",
        }
    }

    /// The section's name in the digest.
    pub fn label(self) -> &'static str {
        match self {
            SectionKind::Overdue => "已超期",
            SectionKind::DueToday => "今日到期",
            SectionKind::DueTomorrow => "明日到期",
            SectionKind::ToSign => "待签收",
            SectionKind::DepartmentOverdue => "本部门已超期",
            SectionKind::DepartmentToSign => "本部门待签收",
            SectionKind::ToAccept => "待受理",
            SectionKind::ExtensionPending => "延期待审批",
            SectionKind::Unrated => "办结未评价",
        }
    }
}

fn kind_name<S: serde::Serializer>(kind: &SectionKind, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(kind.as_str())
}

/// A request named in a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: String,
    pub number: String,
    pub title: String,
    pub due_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    #[serde(serialize_with = "kind_name")]
    pub kind: SectionKind,
    pub label: &'static str,
    /// All of them; `items` names the first few.
    pub count: i64,
    pub items: Vec<Item>,
}

/// One person's digest of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub day: NaiveDate,
    /// Only the sections with something in them, in the order above.
    pub sections: Vec<Section>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// The counts in one line: 已超期 2 件，今日到期 1 件。
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .sections
            .iter()
            .map(|s| format!("{}{}件", s.label, s.count))
            .collect();
        parts.join("，")
    }
}

/// `user`'s digest at `now`: what they have to act on (empty for an enterprise user, an
/// administrator, or someone with nothing to do).
pub fn digest_for(
    conn: &mut DbConnection,
    user: &UserRow,
    settings: &DailyCheckSettings,
    now: DateTime<Utc>,
) -> Result<Digest, AppError> {
    let today = time::china_date(now);
    let start = |d: NaiveDate| time::format(time::china_day_start(d));
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let after = tomorrow.checked_add_days(Days::new(1)).unwrap_or(tomorrow);
    let now_text = time::format(now);
    let handling = vec![TicketStatus::Assigned, TicketStatus::InProgress];
    let limit = i64::from(settings.items);
    let mut sections = Vec::new();
    let mut add = |conn: &mut DbConnection,
                   kind: SectionKind,
                   scope: &Scope,
                   filter: TicketFilter|
     -> Result<(), AppError> {
        sections.extend(counted(conn, kind, scope, &filter, limit)?);
        Ok(())
    };
    match user.role {
        Role::Cadre => {
            let mine = |f: TicketFilter| TicketFilter {
                assignee_id: Some(user.id.clone()),
                ..f
            };
            let all = Scope::All;
            add(
                conn,
                SectionKind::Overdue,
                &all,
                mine(TicketFilter {
                    statuses: handling.clone(),
                    overdue: Some((true, now_text.clone())),
                    ..TicketFilter::default()
                }),
            )?;
            add(
                conn,
                SectionKind::DueToday,
                &all,
                mine(TicketFilter {
                    due_between: Some((now_text.clone(), start(tomorrow))),
                    ..TicketFilter::default()
                }),
            )?;
            add(
                conn,
                SectionKind::DueTomorrow,
                &all,
                mine(TicketFilter {
                    due_between: Some((start(tomorrow), start(after))),
                    ..TicketFilter::default()
                }),
            )?;
            add(
                conn,
                SectionKind::ToSign,
                &all,
                mine(TicketFilter {
                    statuses: vec![TicketStatus::Assigned],
                    ..TicketFilter::default()
                }),
            )?;
            let ids = stats::headed_departments(conn, &user.id)?;
            let headed = department_sections(conn, ids, &now_text, limit)?;
            sections.extend(headed);
        }
        Role::Dispatcher => {
            let all = Scope::All;
            add(
                conn,
                SectionKind::ToAccept,
                &all,
                TicketFilter {
                    statuses: vec![TicketStatus::Submitted],
                    // The longest waiting first.
                    oldest_first: true,
                    ..TicketFilter::default()
                },
            )?;
            add(
                conn,
                SectionKind::ExtensionPending,
                &all,
                TicketFilter {
                    extension_pending: Some(true),
                    oldest_first: true,
                    ..TicketFilter::default()
                },
            )?;
            let cutoff =
                time::format(now - chrono::Duration::days(i64::from(settings.unrated_days)));
            let count = ticket_db::count_resolved_before(conn, &cutoff)?;
            if count > 0 {
                let items = ticket_db::resolved_before(conn, &cutoff, limit)?;
                sections.push(section(SectionKind::Unrated, count, &items));
            }
        }
        Role::Admin | Role::Enterprise => {}
    }
    Ok(Digest {
        day: today,
        sections,
    })
}

/// A section of what `filter` finds in `scope`, its first `limit` named; none when it finds
/// nothing.
fn counted(
    conn: &mut DbConnection,
    kind: SectionKind,
    scope: &Scope,
    filter: &TicketFilter,
    limit: i64,
) -> Result<Option<Section>, AppError> {
    let count = ticket_db::count(conn, scope, filter)?;
    if count == 0 {
        return Ok(None);
    }
    let items = ticket_db::list(conn, scope, filter, limit)?;
    Ok(Some(section(kind, count, &items)))
}

/// The sections of departments `ids` (a head's, with those under them; a department group's):
/// their overdue requests and those waiting to be signed for.
fn department_sections(
    conn: &mut DbConnection,
    ids: Vec<String>,
    now_text: &str,
    limit: i64,
) -> Result<Vec<Section>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let scope = Scope::Departments { ids };
    let overdue = TicketFilter {
        statuses: vec![TicketStatus::Assigned, TicketStatus::InProgress],
        overdue: Some((true, now_text.to_string())),
        ..TicketFilter::default()
    };
    let to_sign = TicketFilter {
        statuses: vec![TicketStatus::Assigned],
        ..TicketFilter::default()
    };
    let mut out = Vec::new();
    out.extend(counted(
        conn,
        SectionKind::DepartmentOverdue,
        &scope,
        &overdue,
        limit,
    )?);
    out.extend(counted(
        conn,
        SectionKind::DepartmentToSign,
        &scope,
        &to_sign,
        limit,
    )?);
    Ok(out)
}

/// A department group robot's post of the day's check: `dept`'s overdue requests and those
/// waiting to be signed for, named; its title and markdown text. `None`: nothing to say.
pub fn robot_digest(
    conn: &mut DbConnection,
    dept: &departments::DepartmentRow,
    settings: &DailyCheckSettings,
    url: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, String)>, AppError> {
    let today = time::china_date(now);
    let sections = department_sections(
        conn,
        vec![dept.id.clone()],
        &time::format(now),
        i64::from(settings.items),
    )?;
    if sections.is_empty() {
        return Ok(None);
    }
    let digest = Digest {
        day: today,
        sections,
    };
    let title = format!("每日检查 {}", day_text(today));
    let mut text = format!("### {title}\n{}：{}", dept.name, digest.summary());
    for s in &digest.sections {
        text.push_str(&format!("\n\n**{}（{} 件）**", s.label, s.count));
        for item in &s.items {
            text.push_str(&format!(
                "\n- {}",
                item_line(item, &markdown_text(&item.title))
            ));
        }
        if s.count > s.items.len() as i64 {
            text.push_str(&format!("\n- ……另有 {} 件", s.count - s.items.len() as i64));
        }
    }
    text.push_str(&format!("\n\n[登录处理]({url})"));
    Ok(Some((title, text)))
}

fn section(kind: SectionKind, count: i64, tickets: &[Ticket]) -> Section {
    Section {
        kind,
        label: kind.label(),
        count,
        items: tickets
            .iter()
            .map(|t| Item {
                id: t.id.clone(),
                number: t.number.clone(),
                title: t.title.clone(),
                due_at: t.due_at.clone(),
            })
            .collect(),
    }
}

/// `12月7日（周一）`.
fn day_text(day: NaiveDate) -> String {
    let weekday = match day.weekday() {
        Weekday::Mon => "一",
        Weekday::Tue => "二",
        Weekday::Wed => "三",
        Weekday::Thu => "四",
        Weekday::Fri => "五",
        Weekday::Sat => "六",
        Weekday::Sun => "日",
    };
    format!("{}月{}日（周{weekday}）", day.month(), day.day())
}

/// A request as a digest names it: `QYS… 路灯损坏，时限 12-07 17:00`, with `title` as given
/// (escaped for markdown, or not).
fn item_line(item: &Item, title: &str) -> String {
    let due = item
        .due_at
        .as_deref()
        .map(|d| format!("，时限 {}", due_text(d)))
        .unwrap_or_default();
    format!("{} {title}{due}", item.number)
}

/// A deadline as the e-mail shows it: `12-07 17:00` (China).
fn due_text(due: &str) -> String {
    time::parse(due)
        .map(|at| {
            (at + chrono::Duration::hours(8))
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The e-mail's subject and text, and the SMS's line, of `digest` to `name`.
pub fn render(site: &str, name: &str, digest: &Digest, url: &str) -> (String, String, String) {
    let subject = format!(
        "【{site}】每日检查 {}：{}",
        day_text(digest.day),
        digest.summary()
    );
    let mut text = format!(
        "{name}，您好：\n\n{}需要您处理的诉求如下。",
        day_text(digest.day)
    );
    for s in &digest.sections {
        text.push_str(&format!("\n\n{}（{} 件）：", s.label, s.count));
        for item in &s.items {
            text.push_str(&format!("\n· {}", item_line(item, &item.title)));
        }
        if s.count > s.items.len() as i64 {
            text.push_str(&format!("\n· ……另有 {} 件", s.count - s.items.len() as i64));
        }
    }
    text.push_str(&format!("\n\n请登录处理：{url}"));
    let sms = format!("每日检查：{}。请登录处理：{url}", digest.summary());
    (subject, text, sms)
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Digests this call queued.
    pub sent: usize,
    /// People whose digest another instance (or an earlier run) had sent.
    pub already: usize,
    /// People with nothing to act on.
    pub nothing: usize,
    /// Department group robots' posts this call queued.
    pub robots: usize,
    /// The day's check was done before this call, or it is not time (not a working day, or
    /// before `daily_check.at`): nothing was looked at.
    pub idle: bool,
}

/// Sends the day's digests at `now` if it is time (a working day, `daily_check.at` passed)
/// and the day's check is not done: each person's in a transaction of its own that records
/// it ([`daily_checks::claim`]) and queues its messages, so that a person gets one a day
/// whichever instance runs first.
pub fn run(
    db: &Db,
    outbox: &Outbox,
    calendar: &WorkCalendar,
    settings: &DailyCheckSettings,
    now: DateTime<Utc>,
) -> Result<Report, AppError> {
    let today = time::china_date(now);
    let from = settings
        .time()
        .map(|t| time::china_day_start(today) + (t - chrono::NaiveTime::MIN));
    let due =
        settings.enabled && calendar.is_working_day(today) && from.is_some_and(|from| now >= from);
    let day = today.format("%Y-%m-%d").to_string();
    if !due || db.read(|c| daily_checks::finished(c, &day).map_err(AppError::from))? {
        return Ok(Report {
            idle: true,
            ..Report::default()
        });
    }
    let people: Vec<UserRow> = db.read(|c| -> Result<Vec<UserRow>, AppError> {
        let mut people = users::active_with_role(c, Role::Cadre)?;
        people.extend(users::active_with_role(c, Role::Dispatcher)?);
        Ok(people)
    })?;
    let url = outbox.home_url();
    let mut report = Report::default();
    for user in people {
        if db
            .read(|c| daily_checks::of_user(c, &day, &user.id).map_err(AppError::from))?
            .is_some()
        {
            report.already += 1;
            continue;
        }
        let digest = db.read(|c| digest_for(c, &user, settings, now))?;
        if digest.is_empty() {
            report.nothing += 1;
            continue;
        }
        let (subject, text, sms) = render(outbox.site(), &user.name, &digest, &url);
        let summary = serde_json::to_string(&digest).map_err(AppError::internal)?;
        let params = vec![("summary", digest.summary()), ("url", url.clone())];
        let (outbox, day, with_sms, url) = (outbox.clone(), day.clone(), settings.sms, url.clone());
        let claimed = db.write(move |c| -> Result<bool, AppError> {
            if !daily_checks::claim(c, &day, &user.id, &summary, &time::format(now))? {
                return Ok(false);
            }
            let message = PersonalMessage {
                topic: MessageTopic::DailyCheck,
                subject: &subject,
                text: &text,
                button: "登录处理",
                url: &url,
                sms: &sms,
                values: &params,
                with_sms,
            };
            outbox.queue_personal(c, &user, &message, now)?;
            Ok(true)
        })?;
        if claimed {
            report.sent += 1;
        } else {
            report.already += 1;
        }
    }
    report.robots = post_to_robots(db, outbox, settings, &day, &url, now)?;
    let digests = i32::try_from(report.sent).unwrap_or(i32::MAX);
    db.write(move |c| -> Result<(), AppError> {
        Ok(daily_checks::finish(c, &day, &time::format(now), digests)?)
    })?;
    if report.sent > 0 || report.robots > 0 {
        outbox.wake();
    }
    Ok(report)
}

/// The day's check to each department group's robot with something to say, once a day per
/// robot (claimed in `robot_posts` in the transaction that queues the post). Returns how many
/// this call queued.
fn post_to_robots(
    db: &Db,
    outbox: &Outbox,
    settings: &DailyCheckSettings,
    day: &str,
    url: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let robots: Vec<(String, String)> = outbox
        .robots()
        .iter()
        .filter_map(|r| Some((r.name.clone(), r.department.clone()?)))
        .collect();
    if robots.is_empty() {
        return Ok(0);
    }
    let all = db.read(|c| Ok::<_, AppError>(departments::list(c)?))?;
    let mut posted = 0;
    for (robot, department) in robots {
        let Some(dept) = all.iter().find(|d| d.name == department) else {
            tracing::warn!(%robot, %department, "a group robot's department does not exist (notifications.robots)");
            continue;
        };
        let Some((title, text)) = db.read(|c| robot_digest(c, dept, settings, url, now))? else {
            continue;
        };
        let (outbox, post) = (outbox.clone(), format!("daily_check:{day}"));
        let queued = db.write(move |c| -> Result<bool, AppError> {
            if !daily_checks::claim_robot_post(c, &robot, &post, &time::format(now))? {
                return Ok(false);
            }
            outbox.queue_robot_post(c, &robot, MessageTopic::DailyCheck, &title, &text, now)?;
            Ok(true)
        })?;
        posted += usize::from(queued);
    }
    Ok(posted)
}
