//! Requests to join an enterprise's account, decided by its manager or a dispatcher.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::join_requests;
use crate::domain::account::JoinStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = join_requests, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct JoinRequestRow {
    pub id: String,
    pub enterprise_id: String,
    pub phone: String,
    pub name: String,
    pub password_hash: String,
    pub consented_version: i32,
    pub status: JoinStatus,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub user_id: Option<String>,
    pub created_at: String,
    pub ip: String,
}

pub fn insert(conn: &mut DbConnection, row: &JoinRequestRow) -> QueryResult<()> {
    diesel::insert_into(join_requests::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, row: &JoinRequestRow) -> QueryResult<()> {
    diesel::update(join_requests::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<JoinRequestRow>> {
    join_requests::table
        .find(id)
        .select(JoinRequestRow::as_select())
        .first(conn)
        .optional()
}

/// The pending request from this phone, if any.
pub fn pending_of_phone(
    conn: &mut DbConnection,
    phone: &str,
) -> QueryResult<Option<JoinRequestRow>> {
    join_requests::table
        .filter(join_requests::phone.eq(phone))
        .filter(join_requests::status.eq(JoinStatus::Pending))
        .select(JoinRequestRow::as_select())
        .first(conn)
        .optional()
}

/// Requests, newest first, at most `limit`: of one enterprise (or of all), of one status (or
/// any).
pub fn list(
    conn: &mut DbConnection,
    enterprise_id: Option<&str>,
    status: Option<JoinStatus>,
    limit: i64,
) -> QueryResult<Vec<JoinRequestRow>> {
    let mut query = join_requests::table
        .select(JoinRequestRow::as_select())
        .order(join_requests::created_at.desc())
        .limit(limit)
        .into_boxed();
    if let Some(e) = enterprise_id {
        query = query.filter(join_requests::enterprise_id.eq(e.to_string()));
    }
    if let Some(s) = status {
        query = query.filter(join_requests::status.eq(s));
    }
    query.load(conn)
}
