//! Idempotency keys of ticket filings: per user, the hash of the request and the ticket it
//! created, so that a retry returns the first result.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::idempotency_keys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub struct IdempotencyRow {
    pub user_id: String,
    pub key: String,
    pub request_hash: String,
    pub ticket_id: String,
    pub created_at: String,
}

pub fn find(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
) -> QueryResult<Option<IdempotencyRow>> {
    idempotency_keys::table
        .find((user_id, key))
        .select(IdempotencyRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &IdempotencyRow) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Forgets one user's key if it was created before `cutoff`. A key still in force is never
/// deleted here, even one a concurrent request committed a moment ago.
pub fn delete_if_expired(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    cutoff: &str,
) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .find((user_id, key))
            .filter(idempotency_keys::created_at.lt(cutoff)),
    )
    .execute(conn)
    .map(drop)
}

/// Forgets keys created before `cutoff`; returns how many.
pub fn delete_created_before(conn: &mut DbConnection, cutoff: &str) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
        .execute(conn)
}
