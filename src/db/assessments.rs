//! The monthly assessments' archive (每月评估, issue 19): each published version of a month's
//! figures and workbook. Rows are written once and never changed.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::assessments;

/// A published version, without its workbook.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = assessments)]
pub struct AssessmentRow {
    pub month: String,
    pub version: i32,
    pub figures: String,
    pub note: Option<String>,
    pub published_by: Option<String>,
    pub published_at: String,
}

/// Archives a version: `false` when that version of the month is there already (another
/// instance, or another administrator, was first).
#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConnection,
    month: &str,
    version: i32,
    figures: &str,
    workbook: &[u8],
    note: Option<&str>,
    published_by: Option<&str>,
    now: &str,
) -> QueryResult<bool> {
    let row = (
        assessments::month.eq(month),
        assessments::version.eq(version),
        assessments::figures.eq(figures),
        assessments::workbook.eq(workbook),
        assessments::note.eq(note),
        assessments::published_by.eq(published_by),
        assessments::published_at.eq(now),
    );
    let n = on_each!(&mut *conn, c => diesel::insert_into(assessments::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// The newest version of `month`, or version `version`.
pub fn find(
    conn: &mut DbConnection,
    month: &str,
    version: Option<i32>,
) -> QueryResult<Option<AssessmentRow>> {
    let mut query = assessments::table
        .filter(assessments::month.eq(month))
        .select(AssessmentRow::as_select())
        .order(assessments::version.desc())
        .into_boxed();
    if let Some(v) = version {
        query = query.filter(assessments::version.eq(v));
    }
    query.first(conn).optional()
}

/// The workbook of a version.
pub fn workbook(
    conn: &mut DbConnection,
    month: &str,
    version: i32,
) -> QueryResult<Option<Vec<u8>>> {
    assessments::table
        .filter(assessments::month.eq(month))
        .filter(assessments::version.eq(version))
        .select(assessments::workbook)
        .first(conn)
        .optional()
}

/// Every version, the newest month first and its newest version first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<AssessmentRow>> {
    assessments::table
        .select(AssessmentRow::as_select())
        .order((assessments::month.desc(), assessments::version.desc()))
        .load(conn)
}

/// The newest version of `month` (0: none).
pub fn latest_version(conn: &mut DbConnection, month: &str) -> QueryResult<i32> {
    let v: Option<i32> = assessments::table
        .filter(assessments::month.eq(month))
        .select(diesel::dsl::max(assessments::version))
        .first(conn)?;
    Ok(v.unwrap_or(0))
}
