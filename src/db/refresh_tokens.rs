//! Refresh tokens, stored as SHA-256 hashes. A token is used once: refreshing revokes it and
//! issues its successor in the same family; presenting a revoked one revokes the family.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::refresh_tokens;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens, treat_none_as_default_value = false)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub replaced_by: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &RefreshTokenRow) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshTokenRow::as_select())
        .get_result(conn)
        .optional()
}

/// Revokes one token if it is still live; false when it was already revoked (by a
/// concurrent refresh, say).
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    now: &str,
    replaced_by: Option<&str>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((
        refresh_tokens::revoked_at.eq(now),
        refresh_tokens::replaced_by.eq(replaced_by),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn revoke_family(conn: &mut DbConnection, family_id: &str, now: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: &str,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Deletes tokens that expired before `now`: they can no longer be used, and presenting one
/// is refused as unknown.
pub fn delete_expired(conn: &mut DbConnection, now: &str) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(now))).execute(conn)
}
