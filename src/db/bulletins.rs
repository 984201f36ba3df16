//! The weekly bulletins (每周通报, issue 19; `service::bulletins`): drafts, changed only while
//! drafts and only with the version read, and published issues, never changed again.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::bulletins;

pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";

/// A bulletin without its files.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = bulletins)]
pub struct BulletinRow {
    pub id: String,
    pub period_from: String,
    pub period_to: String,
    pub status: String,
    pub foreword: String,
    pub cases: String,
    pub figures: String,
    pub year: Option<i32>,
    pub number: Option<i32>,
    pub version: i32,
    pub drafted_by: Option<String>,
    pub drafted_at: String,
    pub updated_at: String,
    pub published_by: Option<String>,
    pub published_at: Option<String>,
}

impl BulletinRow {
    pub fn is_published(&self) -> bool {
        self.status == PUBLISHED
    }
}

/// Drafts a bulletin: `false` when the week has one already (another instance, or an
/// administrator, was first).
pub fn insert(conn: &mut DbConnection, row: &BulletinRow) -> QueryResult<bool> {
    let n = on_each!(&mut *conn, c => diesel::insert_into(bulletins::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<BulletinRow>> {
    bulletins::table
        .find(id)
        .select(BulletinRow::as_select())
        .first(conn)
        .optional()
}

/// The bulletin of the week from `period_from`, if any.
pub fn of_week(conn: &mut DbConnection, period_from: &str) -> QueryResult<Option<BulletinRow>> {
    bulletins::table
        .filter(bulletins::period_from.eq(period_from))
        .select(BulletinRow::as_select())
        .first(conn)
        .optional()
}

/// The bulletins, the latest week first; only the published ones unless `drafts`, and only
/// those of `status` when given.
pub fn list(
    conn: &mut DbConnection,
    drafts: bool,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<BulletinRow>> {
    let mut query = bulletins::table
        .select(BulletinRow::as_select())
        .order(bulletins::period_from.desc())
        .limit(limit)
        .into_boxed();
    if !drafts {
        query = query.filter(bulletins::status.eq(PUBLISHED));
    }
    if let Some(status) = status {
        query = query.filter(bulletins::status.eq(status.to_string()));
    }
    query.load(conn)
}

/// Changes a draft's foreword, cases and figures if it is still the draft at `version`:
/// `false` when it is not (published, or changed meanwhile).
pub fn update_draft(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    foreword: &str,
    cases: &str,
    figures: &str,
    now: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        bulletins::table
            .filter(bulletins::id.eq(id))
            .filter(bulletins::status.eq(DRAFT))
            .filter(bulletins::version.eq(version)),
    )
    .set((
        bulletins::foreword.eq(foreword),
        bulletins::cases.eq(cases),
        bulletins::figures.eq(figures),
        bulletins::version.eq(version + 1),
        bulletins::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// What publishing sets.
pub struct Publication<'a> {
    pub year: i32,
    pub number: i32,
    pub cases: &'a str,
    pub document: &'a [u8],
    pub workbook: &'a [u8],
    pub by: &'a str,
    pub now: &'a str,
}

/// Publishes the draft at `version`: `false` when it is not that draft any more. A number
/// taken in the year fails on the unique index (a database error the caller reads as 409).
pub fn publish(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    p: &Publication<'_>,
) -> QueryResult<bool> {
    let n = diesel::update(
        bulletins::table
            .filter(bulletins::id.eq(id))
            .filter(bulletins::status.eq(DRAFT))
            .filter(bulletins::version.eq(version)),
    )
    .set((
        bulletins::status.eq(PUBLISHED),
        bulletins::year.eq(p.year),
        bulletins::number.eq(p.number),
        bulletins::cases.eq(p.cases),
        bulletins::document.eq(p.document),
        bulletins::workbook.eq(p.workbook),
        bulletins::version.eq(version + 1),
        bulletins::updated_at.eq(p.now),
        bulletins::published_by.eq(p.by),
        bulletins::published_at.eq(p.now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether `number` is taken in `year`.
pub fn number_taken(conn: &mut DbConnection, year: i32, number: i32) -> QueryResult<bool> {
    let n: i64 = bulletins::table
        .filter(bulletins::year.eq(year))
        .filter(bulletins::number.eq(number))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The highest number of `year` (0: none yet).
pub fn last_number(conn: &mut DbConnection, year: i32) -> QueryResult<i32> {
    let n: Option<i32> = bulletins::table
        .filter(bulletins::year.eq(year))
        .select(diesel::dsl::max(bulletins::number))
        .first(conn)?;
    Ok(n.unwrap_or(0))
}

/// A published bulletin's Word document or workbook.
pub fn file(conn: &mut DbConnection, id: &str, workbook: bool) -> QueryResult<Option<Vec<u8>>> {
    let query = bulletins::table.filter(bulletins::id.eq(id));
    let found: Option<Option<Vec<u8>>> = if workbook {
        query.select(bulletins::workbook).first(conn).optional()?
    } else {
        query.select(bulletins::document).first(conn).optional()?
    };
    Ok(found.flatten())
}
