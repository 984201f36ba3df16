//! Extension requests (延期) and their decisions.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::extensions;
use crate::domain::ticket::ExtensionStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = extensions, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ExtensionRow {
    pub id: String,
    pub ticket_id: String,
    pub requested_by: String,
    pub working_days: i32,
    pub reason: String,
    pub status: ExtensionStatus,
    pub due_before: Option<String>,
    pub due_after: Option<String>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &ExtensionRow) -> QueryResult<()> {
    diesel::insert_into(extensions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ExtensionRow>> {
    extensions::table
        .find(id)
        .select(ExtensionRow::as_select())
        .get_result(conn)
        .optional()
}

/// Records a decision on a request that is still pending; false when it was decided already.
pub fn decide(conn: &mut DbConnection, row: &ExtensionRow) -> QueryResult<bool> {
    let changed = diesel::update(
        extensions::table
            .filter(extensions::id.eq(&row.id))
            .filter(extensions::status.eq(ExtensionStatus::Pending)),
    )
    .set(row)
    .execute(conn)?;
    Ok(changed == 1)
}

/// A ticket's requests, oldest first.
pub fn list_for_ticket(conn: &mut DbConnection, ticket_id: &str) -> QueryResult<Vec<ExtensionRow>> {
    extensions::table
        .filter(extensions::ticket_id.eq(ticket_id))
        .select(ExtensionRow::as_select())
        .order(extensions::id.asc())
        .load(conn)
}

/// The request of a ticket that waits for a decision, if any.
pub fn pending_for_ticket(
    conn: &mut DbConnection,
    ticket_id: &str,
) -> QueryResult<Option<ExtensionRow>> {
    extensions::table
        .filter(extensions::ticket_id.eq(ticket_id))
        .filter(extensions::status.eq(ExtensionStatus::Pending))
        .select(ExtensionRow::as_select())
        .get_result(conn)
        .optional()
}
