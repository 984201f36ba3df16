//! The hot topics' counts (热点诉求, issue 18): per day of filing (China), how many requests
//! say each word or phrase, in all and per kind, category and lead department (`hot_words`),
//! and which days are counted (`hot_days`). `service::hot_topics` writes a day at a time and
//! reads the sum over a range of days of one slice.

use diesel::dsl::sum;
use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{hot_days, hot_words};

/// The slices a day's words are counted in: all requests, and per value of each of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slice {
    All,
    Kind,
    Category,
    Department,
}

impl Slice {
    pub fn as_str(self) -> &'static str {
        match self {
            Slice::All => "",
            Slice::Kind => "kind",
            Slice::Category => "category",
            Slice::Department => "department",
        }
    }
}

/// One word of one slice of one day.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = hot_words)]
pub struct HotWordRow {
    pub dim: String,
    pub value: String,
    pub day: String,
    pub word: String,
    pub tickets: i32,
}

/// Rows inserted per statement (five parameters a row, well under SQLite's limit).
const CHUNK: usize = 1000;

/// The counted days with the instant each was counted.
pub fn counted_days(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    hot_days::table
        .select((hot_days::day, hot_days::counted_at))
        .order(hot_days::day.asc())
        .load(conn)
}

/// When `day` was counted, if it was.
pub fn counted_at(conn: &mut DbConnection, day: &str) -> QueryResult<Option<String>> {
    hot_days::table
        .filter(hot_days::day.eq(day))
        .select(hot_days::counted_at)
        .first(conn)
        .optional()
}

/// Replaces the counts of `day` with `rows` (one transaction: the caller's).
pub fn replace_day(
    conn: &mut DbConnection,
    day: &str,
    tickets: i32,
    counted_at: &str,
    rows: &[HotWordRow],
) -> QueryResult<()> {
    diesel::delete(hot_words::table.filter(hot_words::day.eq(day))).execute(conn)?;
    diesel::delete(hot_days::table.filter(hot_days::day.eq(day))).execute(conn)?;
    diesel::insert_into(hot_days::table)
        .values((
            hot_days::day.eq(day),
            hot_days::tickets.eq(tickets),
            hot_days::counted_at.eq(counted_at),
        ))
        .execute(conn)?;
    for chunk in rows.chunks(CHUNK) {
        on_each!(&mut *conn, c => diesel::insert_into(hot_words::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// The words of the slice `dim` = one of `values` on the days `[from, to)`, with the number
/// of requests that say each, most first; with `only`, just those words (in any order).
pub fn sums(
    conn: &mut DbConnection,
    dim: Slice,
    values: &[String],
    from: &str,
    to: &str,
    only: Option<&[String]>,
    limit: i64,
) -> QueryResult<Vec<(String, i64)>> {
    let total = sum(hot_words::tickets);
    let mut query = hot_words::table
        .filter(hot_words::dim.eq(dim.as_str()))
        .filter(hot_words::value.eq_any(values))
        .filter(hot_words::day.ge(from))
        .filter(hot_words::day.lt(to))
        .group_by(hot_words::word)
        .select((hot_words::word, total))
        .order((total.desc(), hot_words::word.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(words) = only {
        query = query.filter(hot_words::word.eq_any(words));
    }
    let rows: Vec<(String, Option<i64>)> = query.load(conn)?;
    Ok(rows.into_iter().map(|(w, n)| (w, n.unwrap_or(0))).collect())
}
