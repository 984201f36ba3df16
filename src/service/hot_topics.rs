//! Hot topics (热点诉求, issue 18; docs/kpi.md#hot-topics): for a period and the statistics'
//! filters, what the requests filed in it are most about — the words and phrases of their
//! titles and descriptions, their categories and their enterprises' areas — each with its
//! count and its change against the period of the same length before it, the rising ones
//! flagged.
//!
//! Words are counted per request (a request that says 路灯 three times counts once), from the
//! text as filed ([`Segmenter::topic_words`]). Counting them means segmenting every request,
//! so it is done ahead: [`count_due`] counts each day of filing once — in all, per kind, per
//! category and per lead department (`db::hot_words`) — and counts it again at every round
//! until it is `settle_days` old, so that the category and department a dispatcher settles
//! after filing are the ones counted; then the day is kept. A request for a period sums its
//! days ([`hot_topics`]). What the counts cannot slice by — a status, an enterprise, a text,
//! an assignee, two filters at once, a cadre's own tickets — is counted from the requests
//! themselves, segmenting them on the request's thread: exact, and slower the more requests
//! pass the filters. The categories and areas come from the statistics (`service::stats`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use crate::auth::Principal;
use crate::db::hot_words::{self, HotWordRow, Slice};
use crate::db::tickets::{self as ticket_db, Scope, TicketFilter};
use crate::db::{Db, DbConnection, locks};
use crate::domain::time;
use crate::error::AppError;
use crate::search::{PHRASE_JOIN, Segmenter};
use crate::service::stats::{self, Dimension};

/// The advisory lock one instance at a time holds while counting (see `db::locks`).
const COUNT_LOCK: i32 = 0x5174_0005;

/// Held while this process counts.
static COUNTING: Mutex<()> = Mutex::new(());

/// Tickets read at a time.
const PAGE: i64 = 5000;

/// The most frequent words of a period that are compared with the period before: the words
/// listed and the rising ones are among them.
pub const CANDIDATES: i64 = 300;

/// Words and phrases listed when the request does not say, and the most it may ask for.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// A topic rises when at least this many requests of the period have it …
pub const RISING_MIN: i64 = 3;

/// … and it has at least half as many again as in the period before, and two more.
pub fn is_rising(count: i64, previous: i64) -> bool {
    count >= RISING_MIN && count * 2 >= previous * 3 && count - previous >= 2
}

/// A word or a phrase of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// A phrase's words are joined by a space (路灯 不亮).
    pub text: String,
    pub phrase: bool,
    /// Requests of the period that say it.
    pub count: i64,
    /// Requests of the period before that say it.
    pub previous: i64,
    pub rising: bool,
}

/// A category or an area of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// The category's id, the area's name; `None`: enterprises without an area.
    pub key: Option<String>,
    pub name: Option<String>,
    pub count: i64,
    pub previous: i64,
    pub rising: bool,
}

/// The hot topics of a period.
#[derive(Debug, Clone)]
pub struct HotTopics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The period before, of the same length: `[previous_from, from)`.
    pub previous_from: NaiveDate,
    /// Requests filed in the period and in the period before.
    pub tickets: i64,
    pub previous_tickets: i64,
    /// The most frequent, most first.
    pub words: Vec<Topic>,
    /// The rising ones, the largest rise first.
    pub rising: Vec<Topic>,
    pub categories: Vec<Share>,
    pub areas: Vec<Share>,
    /// When the words of the period's last day were counted (`None`: counted from the
    /// requests just now, or not yet).
    pub counted_at: Option<String>,
}

/// The days `[from, to)` and their filter of the statistics (`api::stats`).
pub fn hot_topics(
    conn: &mut DbConnection,
    who: &Principal,
    segmenter: &Segmenter,
    period: &stats::Period,
    limit: usize,
    now: &str,
) -> Result<HotTopics, AppError> {
    let scope = stats::scope_of(conn, who)?;
    let (from, to) = (period.from, period.to);
    let span = Days::new(u64::try_from((to - from).num_days()).unwrap_or(0));
    let previous_from = from
        .checked_sub_days(span)
        .filter(|d| d.year() >= 1000)
        .ok_or_else(|| {
            AppError::invalid_query(
                "from",
                "the period before it would start before the year 1000",
            )
        })?;
    let mut before = period.filter.clone();
    before.created_from = Some(time::format(time::china_day_start(previous_from)));
    before.created_to = Some(time::format(time::china_day_start(from)));

    let (mut words, counted_at) = match slice_of(&scope, &period.filter) {
        Some((dim, values)) => {
            let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
            let now_words =
                hot_words::sums(conn, dim, &values, &day(from), &day(to), None, CANDIDATES)?;
            let candidates: Vec<String> = now_words.iter().map(|(w, _)| w.clone()).collect();
            let before_words: HashMap<String, i64> = hot_words::sums(
                conn,
                dim,
                &values,
                &day(previous_from),
                &day(from),
                Some(&candidates),
                CANDIDATES,
            )?
            .into_iter()
            .collect();
            let last = to.pred_opt().unwrap_or(to);
            let counted_at = hot_words::counted_at(conn, &day(last))?;
            let mut topics = now_words
                .into_iter()
                .map(|(text, count)| {
                    let previous = before_words.get(&text).copied().unwrap_or(0);
                    topic(text, count, previous)
                })
                .collect::<Vec<_>>();
            // Ties in the order of the text's characters, whatever the database's collation.
            topics.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
            (topics, counted_at)
        }
        None => {
            let now_words = counted_live(conn, &scope, segmenter, &period.filter)?;
            let before_words = counted_live(conn, &scope, segmenter, &before)?;
            let mut topics: Vec<Topic> = now_words
                .into_iter()
                .map(|(text, count)| {
                    let previous = before_words.get(&text).copied().unwrap_or(0);
                    topic(text, count, previous)
                })
                .collect();
            topics.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
            topics.truncate(usize::try_from(CANDIDATES).unwrap_or(usize::MAX));
            (topics, None)
        }
    };
    let mut rising: Vec<Topic> = words.iter().filter(|t| t.rising).cloned().collect();
    rising.sort_by(|a, b| {
        (b.count - b.previous)
            .cmp(&(a.count - a.previous))
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.text.cmp(&b.text))
    });
    rising.truncate(limit);
    words.truncate(limit);

    let tickets = stats::summary(conn, who, &period.filter, now)?.counts.filed;
    let previous_tickets = stats::summary(conn, who, &before, now)?.counts.filed;
    let shares = |conn: &mut DbConnection, by: Dimension| -> Result<Vec<Share>, AppError> {
        let now_slices = stats::breakdown(conn, who, &period.filter, by, now)?;
        let mut before_slices: BTreeMap<Option<String>, i64> =
            stats::breakdown(conn, who, &before, by, now)?
                .into_iter()
                .map(|s| (s.key, count_of(s.summary.counts.filed)))
                .collect();
        let mut out: Vec<Share> = now_slices
            .into_iter()
            .map(|s| {
                let count = count_of(s.summary.counts.filed);
                let previous = before_slices.remove(&s.key).unwrap_or(0);
                Share {
                    key: s.key,
                    name: s.name,
                    count,
                    previous,
                    rising: is_rising(count, previous),
                }
            })
            .filter(|s| s.count > 0)
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        Ok(out)
    };
    let categories = shares(conn, Dimension::Category)?;
    let areas = shares(conn, Dimension::Area)?;
    Ok(HotTopics {
        from,
        to,
        previous_from,
        tickets: count_of(tickets),
        previous_tickets: count_of(previous_tickets),
        words,
        rising,
        categories,
        areas,
        counted_at,
    })
}

fn count_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn topic(text: String, count: i64, previous: i64) -> Topic {
    Topic {
        phrase: text.contains(PHRASE_JOIN),
        rising: is_rising(count, previous),
        text,
        count,
        previous,
    }
}

/// The slice of the counts that answers `filter` in `scope`, if one does: a period of whole
/// days, filtered by at most one of kind, category and lead department, read by someone who
/// sees every request, or by a department head (their departments, or one of them).
fn slice_of(scope: &Scope, filter: &TicketFilter) -> Option<(Slice, Vec<String>)> {
    // Whole days, filtered by nothing the statistics' cube does not slice by; of what it
    // does, the counts slice by neither a status nor an assignee, nor by several kinds.
    stats::whole_days(filter)?;
    let TicketFilter {
        statuses,
        kinds,
        category_id,
        department_id,
        assignee_id,
        ..
    } = filter;
    if !statuses.is_empty() || kinds.len() > 1 || assignee_id.is_some() {
        return None;
    }
    let kind = kinds.first().map(|k| k.as_str().to_string());
    let given = [
        kind.map(|k| (Slice::Kind, k)),
        category_id.clone().map(|c| (Slice::Category, c)),
        department_id.clone().map(|d| (Slice::Department, d)),
    ];
    let mut given = given.into_iter().flatten();
    let one = given.next();
    if given.next().is_some() {
        return None;
    }
    match scope {
        Scope::All => Some(match one {
            Some((dim, value)) => (dim, vec![value]),
            None => (Slice::All, vec![String::new()]),
        }),
        Scope::Departments { ids } => match one {
            None => Some((Slice::Department, ids.clone())),
            Some((Slice::Department, d)) => {
                let mine: Vec<String> = ids.iter().filter(|i| **i == d).cloned().collect();
                Some((Slice::Department, mine))
            }
            Some(_) => None,
        },
        _ => None,
    }
}

/// The words of the requests in `scope` that pass `filter`, counted one by one.
fn counted_live(
    conn: &mut DbConnection,
    scope: &Scope,
    segmenter: &Segmenter,
    filter: &TicketFilter,
) -> Result<HashMap<String, i64>, AppError> {
    let mut counts: HashMap<String, i64> = HashMap::new();
    ticket_db::for_each_text(conn, scope, filter, PAGE, |row| {
        for word in segmenter.topic_words(&row.title, &row.description) {
            *counts.entry(word).or_default() += 1;
        }
    })?;
    Ok(counts)
}

/// What a round of [`count_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub days: usize,
    pub tickets: i64,
}

/// The days to count at `now`: from the day of the first filing to today (China), those
/// never counted and those counted before they were `settle_days` old; newest first.
pub fn due_days(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    settle_days: u32,
) -> Result<Vec<NaiveDate>, AppError> {
    let Some(first) = ticket_db::first_filed_at(conn)?
        .as_deref()
        .and_then(time::parse)
    else {
        return Ok(Vec::new());
    };
    let counted: HashMap<String, String> = hot_words::counted_days(conn)?.into_iter().collect();
    let today = time::china_date(now);
    let mut day = time::china_date(first).min(today);
    let mut due = Vec::new();
    while day <= today {
        let settled = day
            .checked_add_days(Days::new(u64::from(settle_days)))
            .map(|d| time::format(time::china_day_start(d)));
        let key = day.format("%Y-%m-%d").to_string();
        let done = match (counted.get(&key), settled) {
            (Some(at), Some(settled)) => *at >= settled,
            _ => false,
        };
        if !done {
            due.push(day);
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    due.reverse();
    Ok(due)
}

/// Counts the words of one day's requests, in every slice.
pub fn count_day(
    conn: &mut DbConnection,
    segmenter: &Segmenter,
    day: NaiveDate,
) -> Result<(i32, Vec<HotWordRow>), AppError> {
    let next = day.succ_opt().unwrap_or(day);
    let filter = TicketFilter {
        created_from: Some(time::format(time::china_day_start(day))),
        created_to: Some(time::format(time::china_day_start(next))),
        ..TicketFilter::default()
    };
    let mut counts: HashMap<(Slice, String), HashMap<String, i32>> = HashMap::new();
    let mut tickets = 0i32;
    ticket_db::for_each_text(conn, &Scope::All, &filter, PAGE, |row| {
        tickets += 1;
        let words = segmenter.topic_words(&row.title, &row.description);
        let slices = [
            (Slice::All, String::new()),
            (Slice::Kind, row.kind.as_str().to_string()),
            (Slice::Category, row.category_id),
            (Slice::Department, row.department_id.unwrap_or_default()),
        ];
        for slice in slices {
            let of_slice = counts.entry(slice).or_default();
            for w in &words {
                *of_slice.entry(w.clone()).or_default() += 1;
            }
        }
    })?;
    let day = day.format("%Y-%m-%d").to_string();
    let mut rows: Vec<HotWordRow> = counts
        .into_iter()
        .flat_map(|((dim, value), words)| {
            let day = day.clone();
            words.into_iter().map(move |(word, n)| HotWordRow {
                dim: dim.as_str().to_string(),
                value: value.clone(),
                day: day.clone(),
                word,
                tickets: n,
            })
        })
        .collect();
    rows.sort_by(|a, b| (&a.dim, &a.value, &a.word).cmp(&(&b.dim, &b.value, &b.word)));
    Ok((tickets, rows))
}

/// Counts the days due at `now` ([`due_days`]), newest first, at most `max_days`, each in a
/// transaction of its own (segmented before it: the writer waits for nobody's segmenting).
/// `None` when another instance sharing the PostgreSQL is counting.
pub fn count_due(
    db: &Db,
    segmenter: &Segmenter,
    now: DateTime<Utc>,
    settle_days: u32,
    max_days: usize,
) -> Result<Option<Counted>, AppError> {
    // One count at a time in this process (the background's and a caller's: a round reading
    // a day before a filing must not write after one that read it after); one in all the
    // instances sharing a PostgreSQL.
    let _ours = COUNTING.lock().unwrap_or_else(PoisonError::into_inner);
    // The reads are done on the lock's own connection: a round takes one connection from
    // the pool (and, on PostgreSQL, a second for each day's write), however small the pool.
    let Some(mut held) = locks::try_take::<AppError>(db, COUNT_LOCK)? else {
        return Ok(None);
    };
    let due = due_days(held.conn(), now, settle_days)?;
    let counted_at = time::format(now);
    let mut done = Counted::default();
    for day in due.into_iter().take(max_days) {
        let (tickets, rows) = count_day(held.conn(), segmenter, day)?;
        let key = day.format("%Y-%m-%d").to_string();
        let at = counted_at.clone();
        db.write(move |c| {
            hot_words::replace_day(c, &key, tickets, &at, &rows).map_err(AppError::from)
        })?;
        done.days += 1;
        done.tickets += i64::from(tickets);
    }
    Ok(Some(done))
}
