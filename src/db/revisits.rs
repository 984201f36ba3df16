//! Revisits (回访): each rating of a resolution, online by the enterprise or by phone.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::revisits;
use crate::domain::ticket::{Channel, Rating};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = revisits, treat_none_as_default_value = false)]
pub struct RevisitRow {
    pub id: String,
    pub ticket_id: String,
    pub rating: Rating,
    pub comment: Option<String>,
    pub channel: Channel,
    pub recorded_by: String,
    pub created_at: String,
}

pub fn insert(conn: &mut DbConnection, row: &RevisitRow) -> QueryResult<()> {
    diesel::insert_into(revisits::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn list_for_ticket(conn: &mut DbConnection, ticket_id: &str) -> QueryResult<Vec<RevisitRow>> {
    on_each!(conn, c => revisits::table
        .filter(revisits::ticket_id.eq(ticket_id))
        .select(RevisitRow::as_select())
        .order(revisits::id.asc())
        .load(c))
}
