//! The statistics: the figures of docs/kpi.md over the tickets filed in a period, in total,
//! sliced by a dimension, as a series over time, and as a ranking of departments — each
//! within what the reader may see (administrators and dispatchers everything, a department
//! head their departments and those under them, a cadre the tickets assigned to them).
//!
//! The figures come from the cube kept as tickets change (`db::stats_cells`) for every request
//! it slices, and are counted ticket by ticket with `domain::kpi::Counts::add`, the reference
//! definition, for the rest (an enterprise's, a text search's, a deadline filter's).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use diesel::Connection as _;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::db::stats_cells::{self, Column, Dim, Grain, Tally, View};
use crate::db::tickets::{self as ticket_db, Scope, TicketFactRow, TicketFilter};
use crate::db::{Backend, categories, departments, enterprises, users};
use crate::domain::kpi::{Counts, Summary};
use crate::domain::ticket::{Channel, Role};
use crate::domain::time;
use crate::error::AppError;

/// How a breakdown slices the tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Department,
    Category,
    IndustryChain,
    Area,
    Assignee,
    Channel,
}

impl Dimension {
    pub fn parse(text: &str) -> Option<Dimension> {
        Some(match text {
            "department" => Dimension::Department,
            "category" => Dimension::Category,
            "industry_chain" => Dimension::IndustryChain,
            "area" => Dimension::Area,
            "assignee" => Dimension::Assignee,
            "channel" => Dimension::Channel,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Department => "department",
            Dimension::Category => "category",
            Dimension::IndustryChain => "industry_chain",
            Dimension::Area => "area",
            Dimension::Assignee => "assignee",
            Dimension::Channel => "channel",
        }
    }

    pub const EXPECTED: &'static str =
        "department, category, industry_chain, area, assignee, channel";
}

/// The series' periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Interval> {
        Some(match text {
            "day" => Interval::Day,
            "week" => Interval::Week,
            "month" => Interval::Month,
            _ => return None,
        })
    }

    /// The first day of the period `day` is in (weeks start on Monday).
    fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => day,
            Interval::Week => day
                .checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
                .unwrap_or(day),
            Interval::Month => day.with_day(1).unwrap_or(day),
        }
    }

    fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => start.checked_add_days(Days::new(1)),
            Interval::Week => start.checked_add_days(Days::new(7)),
            Interval::Month => start.checked_add_months(chrono::Months::new(1)),
        }
        .unwrap_or(NaiveDate::MAX)
    }
}

/// Tickets read at a time when they are counted one by one.
const FACTS_PAGE: i64 = 5000;

/// Most periods a series may have.
pub const MAX_PERIODS: usize = 1000;

/// The part of the tickets the reader's statistics cover.
pub fn scope_of(conn: &mut DbConnection, who: &Principal) -> Result<Scope, AppError> {
    match who.role {
        Role::Admin | Role::Dispatcher => Ok(Scope::All),
        Role::Enterprise => Err(AppError::forbidden(
            "enterprise users have no access to the statistics",
        )),
        Role::Cadre => {
            let ids = headed_departments(conn, &who.user_id)?;
            if ids.is_empty() {
                return Ok(Scope::Assignee {
                    user_id: who.user_id.clone(),
                });
            }
            Ok(Scope::Departments { ids })
        }
    }
}

/// The departments `user_id` heads and every department under them (none: heads nothing).
pub fn headed_departments(conn: &mut DbConnection, user_id: &str) -> Result<Vec<String>, AppError> {
    let all = departments::list(conn)?;
    let mut ids: BTreeSet<String> = all
        .iter()
        .filter(|d| d.head_user_id.as_deref() == Some(user_id))
        .map(|d| d.id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    loop {
        let before = ids.len();
        for d in &all {
            if d.parent_id.as_ref().is_some_and(|p| ids.contains(p)) {
                ids.insert(d.id.clone());
            }
        }
        if ids.len() == before {
            break;
        }
    }
    Ok(ids.into_iter().collect())
}

/// How the counts are grouped before they are summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Total,
    By(Dimension),
    /// The day of filing (China), `YYYY-MM-DD`.
    Day,
    /// The day of filing, or the first of its month when the whole month is asked for (a
    /// series by month groups by the month either way, and reads monthly cells).
    DayOrMonth,
}

/// The counts of the tickets in the reader's scope that pass `filter`, per value of `key`
/// (`None`: the tickets without one; `Key::Total` has only `None`).
///
/// A period of whole days filtered and sliced by at most two of the dimensions the cube keeps
/// (see `db::stats_cells`), read by anyone but an enterprise, is summed from the cube plus a
/// live count of the overdue; anything else (an enterprise, a text, a deadline filter) is
/// counted ticket by ticket from the tickets' facts. Both count with `Counts::add`.
fn grouped(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    key: Key,
    now: &str,
) -> Result<BTreeMap<Option<String>, Counts>, AppError> {
    let scope = scope_of(conn, who)?;
    match from_cube(conn, &scope, filter, key, now)? {
        Some(counts) => Ok(counts),
        None => one_by_one(conn, &scope, filter, key, now),
    }
}

/// The counts of [`grouped`], counted ticket by ticket (the reference the cube is tested
/// against).
pub fn counted_one_by_one(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    key: Key,
    now: &str,
) -> Result<BTreeMap<Option<String>, Counts>, AppError> {
    let scope = scope_of(conn, who)?;
    one_by_one(conn, &scope, filter, key, now)
}

/// The counts of the cube, for [`counted_one_by_one`]'s comparison.
pub fn counted_from_cube(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    key: Key,
    now: &str,
) -> Result<Option<BTreeMap<Option<String>, Counts>>, AppError> {
    let scope = scope_of(conn, who)?;
    from_cube(conn, &scope, filter, key, now)
}

fn one_by_one(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    key: Key,
    now: &str,
) -> Result<BTreeMap<Option<String>, Counts>, AppError> {
    let attributes: HashMap<String, (Option<String>, Option<String>)> = if matches!(
        key,
        Key::By(Dimension::IndustryChain) | Key::By(Dimension::Area)
    ) {
        enterprises::attributes(conn)?
            .into_iter()
            .map(|(id, chain, area)| (id, (chain, area)))
            .collect()
    } else {
        HashMap::new()
    };
    let key_of = |r: &TicketFactRow| -> Option<String> {
        match key {
            Key::Total => None,
            Key::Day | Key::DayOrMonth => stats_cells::day_of(&r.created_at),
            Key::By(Dimension::Department) => r.department_id.clone(),
            Key::By(Dimension::Category) => Some(r.category_id.clone()),
            Key::By(Dimension::Assignee) => r.assignee_id.clone(),
            Key::By(Dimension::Channel) => Some(r.channel.as_str().to_string()),
            Key::By(Dimension::IndustryChain) => {
                attributes.get(&r.enterprise_id).and_then(|a| a.0.clone())
            }
            Key::By(Dimension::Area) => attributes.get(&r.enterprise_id).and_then(|a| a.1.clone()),
        }
    };
    let mut out: BTreeMap<Option<String>, Counts> = BTreeMap::new();
    ticket_db::for_each_fact(conn, scope, filter, FACTS_PAGE, |row| {
        let facts = stats_cells::facts_of(&row, Some(now));
        out.entry(key_of(&row)).or_default().add(&facts);
    })?;
    Ok(out)
}

/// The period as days `[from, to)` when `filter` is a period of whole days (China) and
/// filters only by what the cube slices by (status, kind, category, lead department,
/// assignee); the hot topics' counts use it too.
pub(crate) fn whole_days(filter: &TicketFilter) -> Option<(NaiveDate, NaiveDate)> {
    let TicketFilter {
        statuses: _,
        kinds: _,
        category_id: _,
        department_id: _,
        assignee_id: _,
        enterprise_id,
        search,
        by_relevance: _,
        offset: _,
        created_from,
        created_to,
        overdue,
        due_between,
        before_id,
        oldest_first: _,
        after_id,
        extension_pending,
        id_from,
        id_to,
        relevance_window: _,
    } = filter;
    if enterprise_id.is_some()
        || after_id.is_some()
        || extension_pending.is_some()
        || search.is_some()
        || overdue.is_some()
        || due_between.is_some()
        || before_id.is_some()
        || id_from.is_some()
        || id_to.is_some()
    {
        return None;
    }
    let day = |text: &Option<String>| {
        let at = time::parse(text.as_deref()?)?;
        let day = time::china_date(at);
        (time::china_day_start(day) == at).then_some(day)
    };
    Some((day(created_from)?, day(created_to)?))
}

/// The dimension of the cube a breakdown slices by (the department is every cell's own).
fn dim_of(by: Dimension) -> Option<Dim> {
    match by {
        Dimension::Department => None,
        Dimension::Category => Some(Dim::Category),
        Dimension::IndustryChain => Some(Dim::Chain),
        Dimension::Area => Some(Dim::Area),
        Dimension::Assignee => Some(Dim::Assignee),
        Dimension::Channel => Some(Dim::Channel),
    }
}

/// The grains and periods that cover the days `[from, to)`: whole months from the monthly
/// cells, the days before and after them from the daily ones (only days for a series by day).
fn cover(from: NaiveDate, to: NaiveDate, days_only: bool) -> Vec<(Grain, String, String)> {
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    if days_only || from >= to {
        return vec![(Grain::Day, day(from), day(to))];
    }
    let first_whole = if from.day() == 1 {
        from
    } else {
        Interval::Month.next(Interval::Month.start(from))
    };
    let end_whole = Interval::Month.start(to);
    if first_whole >= end_whole {
        return vec![(Grain::Day, day(from), day(to))];
    }
    let mut parts = Vec::new();
    if from < first_whole {
        parts.push((Grain::Day, day(from), day(first_whole)));
    }
    parts.push((Grain::Month, month(first_whole), month(end_whole)));
    if end_whole < to {
        parts.push((Grain::Day, day(end_whole), day(to)));
    }
    parts
}

/// The counts from the cube, or `None` when it does not slice as `filter` and `key` ask.
fn from_cube(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    key: Key,
    now: &str,
) -> Result<Option<BTreeMap<Option<String>, Counts>>, AppError> {
    if whole_days(filter).is_none() {
        return Ok(None);
    }
    // One snapshot for the cube and the changes not yet folded into it.
    conn.transaction(|c| {
        if c.backend() == Backend::Postgres {
            diesel::RunQueryDsl::execute(
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
                c,
            )?;
        }
        from_cube_in_snapshot(c, scope, filter, key, now)
    })
}

fn from_cube_in_snapshot(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    key: Key,
    now: &str,
) -> Result<Option<BTreeMap<Option<String>, Counts>>, AppError> {
    let Some((from_day, to_day)) = whole_days(filter) else {
        return Ok(None);
    };
    // The values each sliced dimension must have (a filter, or the cadre's own scope).
    let mut constraints: BTreeMap<Dim, Vec<String>> = BTreeMap::new();
    let mut constrain = |dim: Dim, values: Vec<String>| {
        let merged = match constraints.remove(&dim) {
            Some(old) => old.into_iter().filter(|v| values.contains(v)).collect(),
            None => values,
        };
        constraints.insert(dim, merged);
    };
    if !filter.statuses.is_empty() {
        constrain(
            Dim::Status,
            filter
                .statuses
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        );
    }
    if !filter.kinds.is_empty() {
        constrain(
            Dim::Kind,
            filter
                .kinds
                .iter()
                .map(|k| k.as_str().to_string())
                .collect(),
        );
    }
    if let Some(c) = &filter.category_id {
        constrain(Dim::Category, vec![c.clone()]);
    }
    if let Some(a) = &filter.assignee_id {
        constrain(Dim::Assignee, vec![a.clone()]);
    }
    let departments: Option<Vec<String>> = match scope {
        Scope::All => None,
        Scope::Departments { ids } => Some(ids.clone()),
        Scope::Assignee { user_id } => {
            constrain(Dim::Assignee, vec![user_id.clone()]);
            None
        }
        _ => return Ok(None),
    };
    let departments = match (&filter.department_id, departments) {
        (Some(d), None) => Some(vec![d.clone()]),
        (Some(d), Some(ids)) => Some(ids.into_iter().filter(|i| i == d).collect()),
        (None, ids) => ids,
    };
    let by = match key {
        Key::By(d) => dim_of(d),
        _ => None,
    };
    let mut dims: Vec<Dim> = constraints.keys().copied().collect();
    dims.extend(by);
    let Some(view) = View::of(&dims).filter(View::kept) else {
        return Ok(None);
    };
    let values_of = |dim: Option<Dim>| dim.and_then(|d| constraints.get(&d)).map(Vec::as_slice);
    let pending = stats_cells::pending(conn)?;
    let mut tallies: HashMap<Option<String>, Tally> = HashMap::new();
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    for (grain, from, to) in cover(from_day, to_day, key == Key::Day) {
        let want = stats_cells::Want {
            view,
            grain,
            from: &from,
            to: &to,
            departments: departments.as_deref(),
            a_in: values_of(view.a),
            b_in: values_of(view.b),
        };
        for cell in stats_cells::read(conn, &want, &pending)? {
            let k = match key {
                Key::Total => None,
                Key::Day => Some(cell.period.clone()),
                Key::DayOrMonth => Some(match cell.grain {
                    Grain::Month => format!("{}-01", cell.period),
                    Grain::Day => cell.period.clone(),
                }),
                Key::By(Dimension::Department) => nonempty(&cell.department_id),
                Key::By(_) => match by.and_then(|d| view.column_of(d)) {
                    Some(Column::A) => nonempty(&cell.a),
                    Some(Column::B) => nonempty(&cell.b),
                    None => None,
                },
            };
            tallies.entry(k).or_default().add(&cell.tally, 1);
        }
    }
    let mut out: BTreeMap<Option<String>, Counts> = BTreeMap::new();
    // A group whose changes took every ticket out of it is not there (as counting finds it).
    for (k, tally) in tallies.into_iter().filter(|(_, t)| !t.is_zero()) {
        tally.add_to(out.entry(k).or_default());
    }
    let (from, to) = (
        filter.created_from.as_deref().unwrap_or_default(),
        filter.created_to.as_deref().unwrap_or_default(),
    );
    // The cube counts the overdue the scheduler marked; those it has not marked yet are read.
    for f in stats_cells::overdue_unmarked(conn, from, to, now)? {
        let department = f.row.department_id.as_deref().unwrap_or("");
        if departments
            .as_ref()
            .is_some_and(|d| !d.iter().any(|d| d == department))
            || constraints
                .iter()
                .any(|(dim, values)| !values.iter().any(|v| v == dim.value(&f)))
        {
            continue;
        }
        let k = match key {
            Key::Total => None,
            Key::Day | Key::DayOrMonth => stats_cells::day_of(&f.row.created_at),
            Key::By(Dimension::Department) => nonempty(department),
            Key::By(_) => by.and_then(|d| nonempty(d.value(&f))),
        };
        out.entry(k).or_default().overdue_open += 1;
    }
    Ok(Some(out))
}

/// The figures of the tickets in `filter` (its `created_from` / `created_to` are the period).
/// A period of whole China days, `[from, to)`, and the filter that selects the tickets filed
/// in it (with the other filters of the query).
#[derive(Debug, Clone)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filter: TicketFilter,
}

pub fn summary(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    now: &str,
) -> Result<Summary, AppError> {
    let mut counts = Counts::new();
    for c in grouped(conn, who, filter, Key::Total, now)?.values() {
        counts.merge(c);
    }
    Ok(counts.summary())
}

/// One slice of a breakdown.
#[derive(Debug, Clone)]
pub struct Slice {
    /// The department's, category's or assignee's id, the industry chain, area or channel;
    /// `None` for the tickets without one (not assigned, an enterprise without an area).
    pub key: Option<String>,
    pub name: Option<String>,
    pub summary: Summary,
}

/// The figures per value of `by`, most filed first; the slices add up to the summary.
pub fn breakdown(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    by: Dimension,
    now: &str,
) -> Result<Vec<Slice>, AppError> {
    let groups = grouped(conn, who, filter, Key::By(by), now)?;
    let names = names_of(conn, by, groups.keys().flatten().cloned().collect())?;
    let mut slices: Vec<Slice> = groups
        .into_iter()
        .map(|(key, counts)| Slice {
            name: match &key {
                Some(k) => names.get(k).cloned().or_else(|| Some(k.clone())),
                None => None,
            },
            summary: counts.summary(),
            key,
        })
        .collect();
    slices.sort_by(|a, b| {
        b.summary
            .counts
            .filed
            .cmp(&a.summary.counts.filed)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(slices)
}

/// Display names of the keys of a dimension (ids become names; text values are their own).
fn names_of(
    conn: &mut DbConnection,
    by: Dimension,
    keys: Vec<String>,
) -> Result<HashMap<String, String>, AppError> {
    Ok(match by {
        Dimension::Department => departments::list(conn)?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
        Dimension::Category => categories::list(conn)?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        Dimension::Assignee => users::names(conn, &keys)?.into_iter().collect(),
        Dimension::Channel => keys
            .into_iter()
            .map(|k| {
                let name = Channel::parse(&k).map_or_else(|| k.clone(), |c| c.label().to_string());
                (k, name)
            })
            .collect(),
        Dimension::IndustryChain | Dimension::Area => HashMap::new(),
    })
}

/// The summary the slices of a breakdown add up to (the breakdown's filter's [`summary`]).
pub fn total(slices: &[Slice]) -> Summary {
    let mut counts = Counts::new();
    for s in slices {
        counts.merge(&s.summary.counts);
    }
    counts.summary()
}

/// One period of a series.
#[derive(Debug, Clone)]
pub struct Point {
    /// The period's first day (China).
    pub start: NaiveDate,
    pub summary: Summary,
}

/// The figures per period from `from` (inclusive) to `to` (exclusive), every period present.
pub fn trend(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    interval: Interval,
    from: NaiveDate,
    to: NaiveDate,
    now: &str,
) -> Result<Vec<Point>, AppError> {
    let mut starts = Vec::new();
    let mut start = interval.start(from);
    // Periods that have not begun are not plotted (as 0 they would read as a fall to nothing).
    let today = time::parse(now).map(time::china_date);
    while start < to && today.is_none_or(|today| start <= today) {
        starts.push(start);
        if starts.len() > MAX_PERIODS {
            return Err(AppError::invalid_query(
                "interval",
                format!("the period has more than {MAX_PERIODS} of them"),
            ));
        }
        start = interval.next(start);
    }
    let mut periods: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    let key = match interval {
        Interval::Month => Key::DayOrMonth,
        Interval::Day | Interval::Week => Key::Day,
    };
    for (day, counts) in grouped(conn, who, filter, key, now)? {
        if let Some(day) = day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()) {
            periods
                .entry(interval.start(day))
                .or_default()
                .merge(&counts);
        }
    }
    Ok(starts
        .into_iter()
        .map(|start| Point {
            start,
            summary: periods.remove(&start).unwrap_or_default().summary(),
        })
        .collect())
}

/// How the ranking weighs the rates.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    pub resolution_rate: f64,
    pub on_time_rate: f64,
    pub satisfaction_rate: f64,
    /// Counts as 1 − the reopen rate: fewer reopened is better.
    pub reopen_rate: f64,
    pub sign_on_time_rate: f64,
}

impl Weights {
    /// The weights of the settings (`[stats]`).
    pub fn of(w: &crate::config::StatsSettings) -> Weights {
        Weights {
            resolution_rate: w.weight_resolution_rate,
            on_time_rate: w.weight_on_time_rate,
            satisfaction_rate: w.weight_satisfaction_rate,
            reopen_rate: w.weight_reopen_rate,
            sign_on_time_rate: w.weight_sign_on_time_rate,
        }
    }

    /// The weighted mean of the rates a summary has (a rate that is `null` — nothing to
    /// measure it on — leaves its weight out), between 0 and 1; `None` with none, and when
    /// nothing of it has come due yet ([`Summary::has_anything_due`]).
    pub fn score(&self, s: &Summary) -> Option<f64> {
        if !s.has_anything_due() {
            return None;
        }
        let parts = [
            (self.resolution_rate, s.resolution_rate),
            (self.on_time_rate, s.on_time_rate),
            (self.satisfaction_rate, s.satisfaction_rate),
            (self.reopen_rate, s.reopen_rate.map(|r| 1.0 - r)),
            (self.sign_on_time_rate, s.sign_on_time_rate),
        ];
        let (sum, weight) = parts
            .iter()
            .filter(|(w, _)| *w > 0.0)
            .filter_map(|(w, r)| r.map(|r| (w * r, *w)))
            .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
        (weight > 0.0).then(|| sum / weight)
    }
}

/// A department's place in the ranking.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub department_id: String,
    pub name: String,
    pub score: f64,
    pub summary: Summary,
}

/// The lead departments with a score, best first (the 红黑榜 reads it from both ends), and
/// the names of those with tickets but no score yet (nothing due: "—"), by name.
pub fn ranking(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    weights: &Weights,
    now: &str,
) -> Result<(Vec<Ranked>, Vec<String>), AppError> {
    let slices = breakdown(conn, who, filter, Dimension::Department, now)?;
    Ok(rank(slices, weights))
}

/// [`ranking`] of a breakdown by department already read.
pub fn rank(slices: Vec<Slice>, weights: &Weights) -> (Vec<Ranked>, Vec<String>) {
    let mut unranked = Vec::new();
    let mut ranked: Vec<Ranked> = slices
        .into_iter()
        .filter_map(|s| {
            let department_id = s.key?;
            let name = s.name.unwrap_or_default();
            let Some(score) = weights.score(&s.summary) else {
                unranked.push(name);
                return None;
            };
            Some(Ranked {
                department_id,
                name,
                score,
                summary: s.summary,
            })
        })
        .collect();
    unranked.sort();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.summary.counts.resolved.cmp(&a.summary.counts.resolved))
            .then_with(|| a.name.cmp(&b.name))
    });
    (ranked, unranked)
}
