//! Calendar years loaded by administrators, shared by every instance.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::calendar_years;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_years, treat_none_as_default_value = false)]
pub struct CalendarYearRow {
    pub year: i32,
    /// The year's file, TOML.
    pub content: String,
    pub loaded_by: Option<String>,
    pub loaded_at: String,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<CalendarYearRow>> {
    calendar_years::table
        .select(CalendarYearRow::as_select())
        .order(calendar_years::year.asc())
        .load(conn)
}

/// Stores a year, replacing what was stored for it (a delete and an insert: an upsert is
/// written differently on each database).
pub fn replace(conn: &mut DbConnection, row: &CalendarYearRow) -> QueryResult<()> {
    diesel::delete(calendar_years::table.find(row.year)).execute(conn)?;
    diesel::insert_into(calendar_years::table)
        .values(row)
        .execute(conn)
        .map(drop)
}
