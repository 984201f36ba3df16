//! Calendar years loaded by administrators, shared by every instance.

use diesel::prelude::*;

use super::connection::DbConnection;
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

/// Stores a year, replacing what was stored for it: an upsert, so that two loading the same
/// year at once both succeed (the last one's file stays).
pub fn replace(conn: &mut DbConnection, row: &CalendarYearRow) -> QueryResult<()> {
    use diesel::upsert::excluded;
    let query = diesel::insert_into(calendar_years::table)
        .values(row)
        .on_conflict(calendar_years::year)
        .do_update()
        .set((
            calendar_years::content.eq(excluded(calendar_years::content)),
            calendar_years::loaded_by.eq(excluded(calendar_years::loaded_by)),
            calendar_years::loaded_at.eq(excluded(calendar_years::loaded_at)),
        ));
    on_each!(conn, c => query.execute(c)).map(drop)
}
