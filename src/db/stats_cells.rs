//! The statistics kept as tickets change: per day of filing (China) and lead department, the
//! counts of `domain::kpi::Counts` the tickets filed that day make now (all but
//! `overdue_open`, which depends on the hour). A write to a ticket calls [`track`] with the
//! ticket before and after in its own transaction; the counts are added with
//! `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`, so concurrent writers on PostgreSQL
//! add up rather than overwrite. [`rebuild`] recounts everything from the tickets; the tests
//! prove the two agree after random sequences of actions.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::upsert::excluded;

use crate::db::schema::{stats_cells, stats_handling, stats_state, tickets};
use crate::db::tickets::TicketFactRow;
use crate::db::{Backend, DbConnection, raw_sql};
use crate::domain::kpi::{Counts, TicketFacts};
use crate::domain::ticket::{Channel, TicketKind, TicketStatus};
use crate::domain::time;

/// What a ticket contributes, at `now` (the only use of `now` is `overdue_now`; the cells
/// pass `None` and leave it out).
pub fn facts_of(row: &TicketFactRow, now: Option<&str>) -> TicketFacts {
    let status = row.status;
    let before = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(a <= b),
        _ => None,
    };
    let resolved = matches!(status, TicketStatus::Resolved | TicketStatus::Closed);
    TicketFacts {
        status,
        kind: row.kind,
        channel: row.channel,
        rating: row.rating,
        reopen_count: row.reopen_count,
        resolved_on_time: if resolved {
            before(&row.resolved_at, &row.due_at)
        } else {
            None
        },
        handling_days: row
            .handling_days
            .filter(|_| resolved)
            .and_then(|d| u32::try_from(d).ok()),
        adopted: row.adopted,
        signed_on_time: before(&row.signed_at, &row.sign_due_at),
        overdue_now: now.is_some_and(|now| {
            status.is_handling() && row.due_at.as_deref().is_some_and(|d| d < now)
        }),
        no_response: row.no_response,
    }
}

/// The cell a ticket counts in: its day of filing (China) and its lead department ('' for
/// none).
pub fn cell_of(row: &TicketFactRow) -> Option<(String, String)> {
    let at = time::parse(&row.created_at)?;
    Some((
        time::china_date(at).format("%Y-%m-%d").to_string(),
        row.department_id.clone().unwrap_or_default(),
    ))
}

/// Runs a statement the multi-backend connection cannot (an upsert, a multi-row insert) on
/// the concrete connection.
macro_rules! on_each {
    ($conn:expr, $c:ident => $run:expr) => {
        match $conn {
            DbConnection::Postgres($c) => $run,
            DbConnection::Sqlite($c) => $run,
        }
    };
}

/// Declares the counters once: the row type, the conversions from and to `Counts`, the
/// upsert and the sums all follow these lists — the named counters, and the tickets resolved
/// in each number of working days up to [`MAX_CELL_DAYS`].
macro_rules! counters {
    (
        counts: [$($name:ident),* $(,)?],
        handled: [$($days:literal => $handled:ident),* $(,)?] $(,)?
    ) => {
        /// One cell's counters, signed (a change is a difference of two).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Insertable, Queryable, QueryableByName)]
        #[diesel(table_name = stats_cells)]
        pub struct CellRow {
            pub day: String,
            pub department_id: String,
            $(pub $name: i64,)*
            $(pub $handled: i64,)*
        }

        impl CellRow {
            fn is_zero(&self) -> bool {
                true $(&& self.$name == 0)* $(&& self.$handled == 0)*
            }

            fn scaled(&self, by: i64) -> CellRow {
                CellRow {
                    day: self.day.clone(),
                    department_id: self.department_id.clone(),
                    $($name: self.$name * by,)*
                    $($handled: self.$handled * by,)*
                }
            }

            fn minus(&self, other: &CellRow) -> CellRow {
                CellRow {
                    day: self.day.clone(),
                    department_id: self.department_id.clone(),
                    $($name: self.$name - other.$name,)*
                    $($handled: self.$handled - other.$handled,)*
                }
            }

            /// The tickets resolved in each number of working days the cell counts.
            fn handled(&self) -> Vec<(u32, i64)> {
                vec![$(($days, self.$handled)),*]
            }

            /// The cell with its handling days set from `of(days)`.
            fn with_handled(self, of: impl Fn(u32) -> i64) -> CellRow {
                CellRow {
                    $($handled: of($days),)*
                    ..self
                }
            }
        }

        fn upsert_cell(conn: &mut DbConnection, row: &CellRow) -> QueryResult<()> {
            let query = diesel::insert_into(stats_cells::table)
                .values(row)
                .on_conflict((stats_cells::day, stats_cells::department_id))
                .do_update()
                .set((
                    $(stats_cells::$name.eq(stats_cells::$name + excluded(stats_cells::$name)),)*
                    $(stats_cells::$handled.eq(stats_cells::$handled + excluded(stats_cells::$handled)),)*
                ));
            on_each!(conn, c => query.execute(c)).map(drop)
        }

        /// `SELECT <day or ''>, department_id, CAST(SUM(c) AS BIGINT) AS c, … GROUP BY …` over
        /// the days `[$1, $2)`.
        fn sums_sql(per_day: bool) -> String {
            let mut columns = String::new();
            for column in [$(stringify!($name),)* $(stringify!($handled),)*] {
                columns.push_str(&format!(", CAST(SUM({column}) AS BIGINT) AS {column}"));
            }
            let (day, group) = if per_day {
                ("day", "day, department_id")
            } else {
                ("''", "department_id")
            };
            format!(
                "SELECT {day} AS day, department_id{columns} FROM stats_cells \
                 WHERE day >= $1 AND day < $2 GROUP BY {group}"
            )
        }
    };
}

counters!(
    counts: [
        filed,
        filed_problem,
        filed_suggestion,
        filed_inquiry,
        filed_online,
        filed_phone,
        filed_visit,
        accepted,
        resolved,
        resolved_with_deadline,
        on_time,
        rated,
        satisfied,
        basically_satisfied,
        unsatisfied,
        no_response,
        reopened,
        signed_with_deadline,
        signed_on_time,
        suggestions,
        suggestions_adopted,
    ],
    handled: [
        0 => handled_0,
        1 => handled_1,
        2 => handled_2,
        3 => handled_3,
        4 => handled_4,
        5 => handled_5,
        6 => handled_6,
        7 => handled_7,
        8 => handled_8,
        9 => handled_9,
        10 => handled_10,
        11 => handled_11,
        12 => handled_12,
        13 => handled_13,
        14 => handled_14,
        15 => handled_15,
        16 => handled_16,
        17 => handled_17,
        18 => handled_18,
        19 => handled_19,
        20 => handled_20,
        21 => handled_21,
        22 => handled_22,
        23 => handled_23,
        24 => handled_24,
        25 => handled_25,
        26 => handled_26,
        27 => handled_27,
        28 => handled_28,
        29 => handled_29,
        30 => handled_30,
    ],
);

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn by(map: &BTreeMap<String, u64>, key: &str) -> i64 {
    signed(map.get(key).copied().unwrap_or(0))
}

/// Resolved tickets of no more than this many working days are counted in the cells'
/// `handled_<days>` columns; longer ones in `stats_handling`.
pub const MAX_CELL_DAYS: u32 = 30;

/// The counters of `counts` in the cell `(day, department_id)` (its handling days up to
/// [`MAX_CELL_DAYS`]).
pub fn cell_row(day: &str, department_id: &str, c: &Counts) -> CellRow {
    let handled = |d: u32| signed(c.handling_days.get(&d).copied().unwrap_or(0));
    CellRow {
        day: day.to_string(),
        department_id: department_id.to_string(),
        filed: signed(c.filed),
        filed_problem: by(&c.filed_by_kind, TicketKind::Problem.as_str()),
        filed_suggestion: by(&c.filed_by_kind, TicketKind::Suggestion.as_str()),
        filed_inquiry: by(&c.filed_by_kind, TicketKind::Inquiry.as_str()),
        filed_online: by(&c.filed_by_channel, Channel::Online.as_str()),
        filed_phone: by(&c.filed_by_channel, Channel::Phone.as_str()),
        filed_visit: by(&c.filed_by_channel, Channel::Visit.as_str()),
        accepted: signed(c.accepted),
        resolved: signed(c.resolved),
        resolved_with_deadline: signed(c.resolved_with_deadline),
        on_time: signed(c.on_time),
        rated: signed(c.rated),
        satisfied: signed(c.satisfied),
        basically_satisfied: signed(c.basically_satisfied),
        unsatisfied: signed(c.unsatisfied),
        no_response: signed(c.no_response),
        reopened: signed(c.reopened),
        signed_with_deadline: signed(c.signed_with_deadline),
        signed_on_time: signed(c.signed_on_time),
        suggestions: signed(c.suggestions),
        suggestions_adopted: signed(c.suggestions_adopted),
        ..CellRow::default()
    }
    .with_handled(handled)
}

/// Adds a cell's counters to `counts` (negative sums, which a consistent table never has,
/// count as 0).
pub fn add_to(counts: &mut Counts, r: &CellRow) {
    let u = |n: i64| u64::try_from(n).unwrap_or(0);
    counts.filed += u(r.filed);
    for (kind, n) in [
        (TicketKind::Problem, r.filed_problem),
        (TicketKind::Suggestion, r.filed_suggestion),
        (TicketKind::Inquiry, r.filed_inquiry),
    ] {
        *counts
            .filed_by_kind
            .entry(kind.as_str().to_string())
            .or_default() += u(n);
    }
    for (channel, n) in [
        (Channel::Online, r.filed_online),
        (Channel::Phone, r.filed_phone),
        (Channel::Visit, r.filed_visit),
    ] {
        *counts
            .filed_by_channel
            .entry(channel.as_str().to_string())
            .or_default() += u(n);
    }
    counts.accepted += u(r.accepted);
    counts.resolved += u(r.resolved);
    counts.resolved_with_deadline += u(r.resolved_with_deadline);
    counts.on_time += u(r.on_time);
    counts.rated += u(r.rated);
    counts.satisfied += u(r.satisfied);
    counts.basically_satisfied += u(r.basically_satisfied);
    counts.unsatisfied += u(r.unsatisfied);
    counts.no_response += u(r.no_response);
    counts.reopened += u(r.reopened);
    counts.signed_with_deadline += u(r.signed_with_deadline);
    counts.signed_on_time += u(r.signed_on_time);
    counts.suggestions += u(r.suggestions);
    counts.suggestions_adopted += u(r.suggestions_adopted);
    for (days, n) in r.handled() {
        if n > 0 {
            *counts.handling_days.entry(days).or_default() += u(n);
        }
    }
}

/// One ticket's contribution: its cell, its counters and its handling days if it is resolved
/// and they are more than the cells count.
fn contribution(row: &TicketFactRow) -> Option<(CellRow, Option<i32>)> {
    let facts = facts_of(row, None);
    let (day, department_id) = cell_of(row)?;
    let mut counts = Counts::new();
    counts.add(&facts);
    let days = counts
        .handling_days
        .keys()
        .next()
        .filter(|d| **d > MAX_CELL_DAYS)
        .and_then(|d| i32::try_from(*d).ok());
    Some((cell_row(&day, &department_id, &counts), days))
}

fn upsert_handling(
    conn: &mut DbConnection,
    day: &str,
    department_id: &str,
    days: i32,
    n: i64,
) -> QueryResult<()> {
    let query = diesel::insert_into(stats_handling::table)
        .values((
            stats_handling::day.eq(day),
            stats_handling::department_id.eq(department_id),
            stats_handling::days.eq(days),
            stats_handling::n.eq(n),
        ))
        .on_conflict((
            stats_handling::day,
            stats_handling::department_id,
            stats_handling::days,
        ))
        .do_update()
        .set(stats_handling::n.eq(stats_handling::n + excluded(stats_handling::n)));
    on_each!(conn, c => query.execute(c)).map(drop)
}

/// Moves a ticket's contribution from what it was (`None` for a new ticket) to what it is.
/// Writes nothing when the counts did not change (a progress note, an urge, a reminder).
pub fn track(
    conn: &mut DbConnection,
    before: Option<&TicketFactRow>,
    after: &TicketFactRow,
) -> QueryResult<()> {
    let old = before.and_then(contribution);
    let Some(new) = contribution(after) else {
        return Ok(());
    };
    match &old {
        Some(old) if old.0.day == new.0.day && old.0.department_id == new.0.department_id => {
            let delta = new.0.minus(&old.0);
            if !delta.is_zero() {
                upsert_cell(conn, &delta)?;
            }
        }
        Some(old) => {
            // Rows are locked in key order, so that two writers moving tickets between the
            // same two cells in opposite directions cannot deadlock on PostgreSQL.
            let mut moves = [old.0.scaled(-1), new.0.clone()];
            moves.sort_by(|a, b| (&a.day, &a.department_id).cmp(&(&b.day, &b.department_id)));
            for m in &moves {
                upsert_cell(conn, m)?;
            }
        }
        None => upsert_cell(conn, &new.0)?,
    }
    let old_days = old.as_ref().and_then(|o| o.1.map(|d| (&o.0, d)));
    let new_days = new.1.map(|d| (&new.0, d));
    let same = |a: &(&CellRow, i32), b: &(&CellRow, i32)| {
        a.1 == b.1 && a.0.day == b.0.day && a.0.department_id == b.0.department_id
    };
    match (old_days, new_days) {
        (Some(a), Some(b)) if same(&a, &b) => {}
        (a, b) => {
            let mut moves: Vec<(&str, &str, i32, i64)> = Vec::new();
            if let Some((cell, days)) = a {
                moves.push((&cell.day, &cell.department_id, days, -1));
            }
            if let Some((cell, days)) = b {
                moves.push((&cell.day, &cell.department_id, days, 1));
            }
            moves.sort();
            for (day, department_id, days, n) in moves {
                upsert_handling(conn, day, department_id, days, n)?;
            }
        }
    }
    Ok(())
}

/// The counts of the days `[from, to)` (`YYYY-MM-DD`) per lead department ('' for none), and
/// per day too when `per_day`; `overdue_open` is not in them.
pub fn sums(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    per_day: bool,
) -> QueryResult<BTreeMap<(String, String), Counts>> {
    let cells: Vec<CellRow> = raw_sql(conn, &sums_sql(per_day))
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .load(conn)?;
    let mut out: BTreeMap<(String, String), Counts> = BTreeMap::new();
    for cell in &cells {
        let counts = out
            .entry((cell.day.clone(), cell.department_id.clone()))
            .or_default();
        add_to(counts, cell);
    }
    #[derive(QueryableByName)]
    struct Handled {
        #[diesel(sql_type = Text)]
        day: String,
        #[diesel(sql_type = Text)]
        department_id: String,
        #[diesel(sql_type = Integer)]
        days: i32,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let (day, group) = if per_day {
        ("day", "day, department_id, days")
    } else {
        ("''", "department_id, days")
    };
    let sql = format!(
        "SELECT {day} AS day, department_id, days, CAST(SUM(n) AS BIGINT) AS n \
         FROM stats_handling WHERE day >= $1 AND day < $2 GROUP BY {group}"
    );
    let handled: Vec<Handled> = raw_sql(conn, &sql)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .load(conn)?;
    for h in handled.into_iter().filter(|h| h.n > 0) {
        if let (Some(counts), Ok(days)) = (
            out.get_mut(&(h.day, h.department_id)),
            u32::try_from(h.days),
        ) {
            *counts.handling_days.entry(days).or_default() += u64::try_from(h.n).unwrap_or(0);
        }
    }
    Ok(out)
}

/// The tickets being handled and past their deadline at `now`, filed in `[from, to)`
/// (instants): when each was filed and its lead department ('' for none). The statuses are written into the SQL so
/// that SQLite can use the partial index of open tickets (it cannot with bound values).
pub fn overdue_open(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    now: &str,
) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        created_at: String,
        #[diesel(sql_type = Text)]
        department_id: String,
    }
    let statuses: Vec<String> = TicketStatus::ALL
        .iter()
        .filter(|s| s.is_handling())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    // SQLite's planner, without statistics, prefers the index of (status, resolved_at) and
    // then reads every open ticket's row: told which index, it reads the partial one only.
    let indexed = match conn.backend() {
        Backend::Postgres => "",
        Backend::Sqlite => " INDEXED BY tickets_open_due_idx",
    };
    let sql = format!(
        "SELECT created_at, COALESCE(department_id, '') AS department_id FROM tickets{indexed} \
         WHERE status IN ({statuses}) AND due_at < $1 AND created_at >= $2 AND created_at < $3",
        statuses = statuses.join(", "),
    );
    let rows: Vec<Row> = raw_sql(conn, &sql)
        .bind::<Text, _>(now)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.created_at, r.department_id))
        .collect())
}

/// Cells by (day, department) and handling counts by (day, department, days).
pub type Tables = (
    BTreeMap<(String, String), CellRow>,
    BTreeMap<(String, String, i32), i64>,
);

/// Adds a ticket's contribution to tables being summed in memory.
fn accumulate((cells, handled): &mut Tables, row: &TicketFactRow) {
    let Some((c, days)) = contribution(row) else {
        return;
    };
    if let Some(days) = days {
        *handled
            .entry((c.day.clone(), c.department_id.clone(), days))
            .or_default() += 1;
    }
    match cells.get_mut(&(c.day.clone(), c.department_id.clone())) {
        Some(cell) => *cell = cell.minus(&c.scaled(-1)),
        None => {
            cells.insert((c.day.clone(), c.department_id.clone()), c);
        }
    }
}

/// Adds the contributions of new tickets (a bulk load), summed per cell first.
pub fn add_all(conn: &mut DbConnection, rows: &[TicketFactRow]) -> QueryResult<()> {
    let mut tables = Tables::default();
    for row in rows {
        accumulate(&mut tables, row);
    }
    let (cells, handled) = tables;
    for cell in cells.values() {
        upsert_cell(conn, cell)?;
    }
    for ((day, department_id, days), n) in handled {
        upsert_handling(conn, &day, &department_id, days, n)?;
    }
    Ok(())
}

/// How many cells there are.
pub fn count(conn: &mut DbConnection) -> QueryResult<usize> {
    let n: i64 = stats_cells::table.count().get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Every cell and handling count as a full recount of the tickets makes them, read in pages
/// of `page` tickets (memory grows with the number of cells, not of tickets).
pub fn recount(conn: &mut DbConnection, page: i64) -> QueryResult<Tables> {
    let mut tables = Tables::default();
    let mut after: Option<String> = None;
    loop {
        let mut query = tickets::table
            .select(TicketFactRow::as_select())
            .order(tickets::id)
            .limit(page)
            .into_boxed();
        if let Some(id) = &after {
            query = query.filter(tickets::id.gt(id.clone()));
        }
        let rows: Vec<TicketFactRow> = query.load(conn)?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        for row in &rows {
            accumulate(&mut tables, row);
        }
    }
    Ok(tables)
}

/// What the tables hold now, in the shape of [`recount`] (zero rows left out).
pub fn stored(conn: &mut DbConnection) -> QueryResult<Tables> {
    let cells = stats_cells::table
        .load::<CellRow>(conn)?
        .into_iter()
        .filter(|c| !c.is_zero())
        .map(|c| ((c.day.clone(), c.department_id.clone()), c))
        .collect();
    let handled = stats_handling::table
        .select((
            stats_handling::day,
            stats_handling::department_id,
            stats_handling::days,
            stats_handling::n,
        ))
        .load::<(String, String, i32, i64)>(conn)?
        .into_iter()
        .filter(|h| h.3 != 0)
        .map(|(d, dep, days, n)| ((d, dep, days), n))
        .collect();
    Ok((cells, handled))
}

/// Replaces the tables with a recount of the tickets (call in a transaction); returns the
/// number of cells.
pub fn rebuild(conn: &mut DbConnection, now: &str) -> QueryResult<usize> {
    if let DbConnection::Postgres(c) = conn {
        // Writers wait until the recount is in (their changes would otherwise be counted
        // twice or lost against the rows being replaced); readers go on.
        diesel::sql_query("LOCK TABLE tickets IN SHARE MODE").execute(c)?;
    }
    let (cells, handled) = recount(conn, 10_000)?;
    diesel::delete(stats_cells::table).execute(conn)?;
    diesel::delete(stats_handling::table).execute(conn)?;
    let rows: Vec<CellRow> = cells.into_values().collect();
    for chunk in rows.chunks(500) {
        let query = diesel::insert_into(stats_cells::table).values(chunk);
        on_each!(conn, c => query.execute(c))?;
    }
    let handled: Vec<_> = handled
        .into_iter()
        .map(|((day, department_id, days), n)| {
            (
                stats_handling::day.eq(day),
                stats_handling::department_id.eq(department_id),
                stats_handling::days.eq(days),
                stats_handling::n.eq(n),
            )
        })
        .collect();
    for chunk in handled.chunks(500) {
        let query = diesel::insert_into(stats_handling::table).values(chunk);
        on_each!(conn, c => query.execute(c))?;
    }
    diesel::delete(stats_state::table).execute(conn)?;
    diesel::insert_into(stats_state::table)
        .values((stats_state::id.eq(1), stats_state::rebuilt_at.eq(now)))
        .execute(conn)?;
    Ok(rows.len())
}

/// Whether the cells were ever counted (a database migrated from before they existed has
/// tickets but no cells until [`rebuild`]).
pub fn built(conn: &mut DbConnection) -> QueryResult<bool> {
    let marks = stats_state::table
        .select(stats_state::id)
        .load::<i32>(conn)?;
    Ok(!marks.is_empty())
}
