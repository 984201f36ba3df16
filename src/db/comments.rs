//! Comments on tickets; internal ones are for government users only.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::comments;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments, treat_none_as_default_value = false)]
pub struct CommentRow {
    pub id: String,
    pub ticket_id: String,
    pub author_id: String,
    pub body: String,
    pub internal: bool,
    pub created_at: String,
}

pub fn insert(conn: &mut DbConnection, row: &CommentRow) -> QueryResult<()> {
    diesel::insert_into(comments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn list_for_ticket(
    conn: &mut DbConnection,
    ticket_id: &str,
    with_internal: bool,
) -> QueryResult<Vec<CommentRow>> {
    // Two statements rather than one boxed query, so that each stays prepared by its type.
    // (The query is built in each arm: its selection names the backend.)
    let of_ticket = || {
        comments::table
            .filter(comments::ticket_id.eq(ticket_id))
            .order(comments::id.asc())
    };
    if with_internal {
        on_each!(conn, c => of_ticket().select(CommentRow::as_select()).load(c))
    } else {
        on_each!(conn, c => of_ticket()
            .filter(comments::internal.eq(false))
            .select(CommentRow::as_select())
            .load(c))
    }
}
