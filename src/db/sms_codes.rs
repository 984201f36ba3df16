//! One-time SMS codes for signing in and registering (hashed).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::sms_codes;
use crate::domain::account::CodePurpose;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sms_codes, treat_none_as_default_value = false)]
pub struct SmsCodeRow {
    pub id: String,
    pub phone: String,
    pub purpose: CodePurpose,
    pub code_hash: String,
    pub attempts: i32,
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &SmsCodeRow) -> QueryResult<()> {
    diesel::insert_into(sms_codes::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The newest code sent to `phone` for `purpose`.
pub fn latest(
    conn: &mut DbConnection,
    phone: &str,
    purpose: CodePurpose,
) -> QueryResult<Option<SmsCodeRow>> {
    sms_codes::table
        .filter(sms_codes::phone.eq(phone))
        .filter(sms_codes::purpose.eq(purpose))
        .order(sms_codes::created_at.desc())
        .select(SmsCodeRow::as_select())
        .first(conn)
        .optional()
}

/// How many codes went to `phone` since `since`.
pub fn count_since(conn: &mut DbConnection, phone: &str, since: &str) -> QueryResult<i64> {
    sms_codes::table
        .filter(sms_codes::phone.eq(phone))
        .filter(sms_codes::created_at.ge(since))
        .count()
        .get_result(conn)
}

pub fn count_attempt(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(sms_codes::table.find(id))
        .set(sms_codes::attempts.eq(sms_codes::attempts + 1))
        .execute(conn)
        .map(drop)
}

/// Marks the code used; false when it already was (a concurrent use).
pub fn mark_used(conn: &mut DbConnection, id: &str, now: &str) -> QueryResult<bool> {
    diesel::update(
        sms_codes::table
            .find(id)
            .filter(sms_codes::used_at.is_null()),
    )
    .set(sms_codes::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Forgets codes created before `cutoff` (they expired long ago).
pub fn delete_created_before(conn: &mut DbConnection, cutoff: &str) -> QueryResult<usize> {
    diesel::delete(sms_codes::table.filter(sms_codes::created_at.lt(cutoff))).execute(conn)
}
