//! The legal texts (user agreement and privacy policy) by version, and every acceptance.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{consents, legal_texts};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = legal_texts, treat_none_as_default_value = false)]
pub struct LegalTextRow {
    pub version: i32,
    pub terms: String,
    pub privacy: String,
    pub note: String,
    pub published_by: Option<String>,
    pub published_at: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents, treat_none_as_default_value = false)]
pub struct ConsentRow {
    pub id: String,
    pub user_id: String,
    pub version: i32,
    pub accepted_at: String,
    pub ip: String,
}

/// The version in force (the newest), if any.
pub fn current(conn: &mut DbConnection) -> QueryResult<Option<LegalTextRow>> {
    legal_texts::table
        .order(legal_texts::version.desc())
        .select(LegalTextRow::as_select())
        .first(conn)
        .optional()
}

/// The number of the version in force (0: none).
pub fn current_version(conn: &mut DbConnection) -> QueryResult<i32> {
    legal_texts::table
        .select(diesel::dsl::max(legal_texts::version))
        .get_result::<Option<i32>>(conn)
        .map(|v| v.unwrap_or(0))
}

pub fn find(conn: &mut DbConnection, version: i32) -> QueryResult<Option<LegalTextRow>> {
    legal_texts::table
        .find(version)
        .select(LegalTextRow::as_select())
        .first(conn)
        .optional()
}

/// Every version, newest first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<LegalTextRow>> {
    legal_texts::table
        .order(legal_texts::version.desc())
        .select(LegalTextRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &LegalTextRow) -> QueryResult<()> {
    diesel::insert_into(legal_texts::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn record_consent(conn: &mut DbConnection, row: &ConsentRow) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A user's acceptances, newest first.
pub fn consents_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<ConsentRow>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::accepted_at.desc())
        .select(ConsentRow::as_select())
        .load(conn)
}
