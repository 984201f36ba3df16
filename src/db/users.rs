//! User accounts of every role.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::users;
use crate::domain::ticket::Role;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub department_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The user wants notices by e-mail (each user may turn it off).
    pub notify_email: bool,
    /// The user wants notices by SMS.
    pub notify_sms: bool,
    /// The password was set by someone else (an administrator's reset, `qiyeshao user add`):
    /// the user must choose their own before anything else (`POST /api/v1/me/password`).
    pub must_change_password: bool,
    /// Manages the enterprise's account: invites and disables colleagues, decides requests to
    /// join (enterprise users only).
    pub enterprise_manager: bool,
    /// The version of the legal texts the user accepted last, and when (enterprise users).
    pub consented_version: Option<i32>,
    pub consented_at: Option<String>,
}

/// Filters of the user list; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub department_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub disabled: Option<bool>,
    /// A LIKE pattern matched against the username and the name.
    pub pattern: Option<String>,
    /// Only ids before this one (the page cursor).
    pub before_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, row: &UserRow) -> QueryResult<()> {
    diesel::update(users::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    on_each!(conn, c => users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(c)
        .optional())
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

/// Newest first, at most `limit`. Without `enterprise_usernames`, the pattern meets enterprise
/// users' names only, not their usernames (which registration makes their phone numbers).
pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    enterprise_usernames: bool,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(*role));
    }
    if let Some(dept) = &filter.department_id {
        query = query.filter(users::department_id.eq(dept.clone()));
    }
    if let Some(ent) = &filter.enterprise_id {
        query = query.filter(users::enterprise_id.eq(ent.clone()));
    }
    if let Some(disabled) = filter.disabled {
        query = query.filter(users::disabled.eq(disabled));
    }
    if let Some(pattern) = &filter.pattern {
        let by_name = users::name.like(pattern.clone()).escape('\\');
        let by_username = users::username.like(pattern.clone()).escape('\\');
        query = if enterprise_usernames {
            query.filter(by_name.or(by_username))
        } else {
            let enterprise = crate::domain::ticket::Role::Enterprise.as_str();
            query.filter(by_name.or(by_username.and(users::role.ne(enterprise))))
        };
    }
    if let Some(before) = &filter.before_id {
        query = query.filter(users::id.lt(before.clone()));
    }
    query.order(users::id.desc()).limit(limit).load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// The active cadres of a department.
pub fn active_cadres_of(conn: &mut DbConnection, department_id: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::department_id.eq(department_id))
        .filter(users::role.eq(Role::Cadre))
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .order(users::id.asc())
        .load(conn)
}

/// The active users of a role.
pub fn active_with_role(conn: &mut DbConnection, role: Role) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .order(users::id.asc())
        .load(conn)
}

/// The ids of an enterprise's own accounts.
pub fn ids_of_enterprise(conn: &mut DbConnection, enterprise_id: &str) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::enterprise_id.eq(enterprise_id))
        .select(users::id)
        .load(conn)
}

/// The names of these users, by id.
///
/// SQLite: one lookup by key per id rather than `id IN (…)`, which diesel never keeps
/// prepared (its SQL depends on the number of ids), so SQLite parsed it anew on every read of
/// a ticket; a ticket names a handful of people, and long lists (the statistics' cadres) are
/// still one query. PostgreSQL: one query, `id = ANY($1)` with the ids as one array (one
/// round trip, and a statement diesel keeps prepared).
pub fn names(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    let c = match conn {
        DbConnection::Postgres(c) => {
            return users::table
                .filter(users::id.eq_any(ids))
                .select((users::id, users::name))
                .load(c);
        }
        DbConnection::Sqlite(c) => c,
    };
    if ids.len() > 16 {
        return users::table
            .filter(users::id.eq_any(ids))
            .select((users::id, users::name))
            .load(c);
    }
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let name: Option<String> = users::table
            .find(id)
            .select(users::name)
            .get_result(c)
            .optional()?;
        found.extend(name.map(|name| (id.clone(), name)));
    }
    Ok(found)
}

/// The id and name of every account that is not an enterprise's (those who handle tickets).
pub fn staff_names(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    users::table
        .filter(users::role.ne("enterprise"))
        .select((users::id, users::name))
        .load(conn)
}

/// The active users with this mobile number (normally one).
pub fn active_by_phone(conn: &mut DbConnection, phone: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::phone.eq(phone))
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .limit(5)
        .load(conn)
}

/// The users of an enterprise, managers first, then in the order they joined.
pub fn of_enterprise(conn: &mut DbConnection, enterprise_id: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::enterprise_id.eq(enterprise_id))
        .filter(users::role.eq(Role::Enterprise))
        .order((
            users::enterprise_manager.desc(),
            users::created_at.asc(),
            users::id.asc(),
        ))
        .select(UserRow::as_select())
        .load(conn)
}

/// The active managers of an enterprise's account.
pub fn managers_of(conn: &mut DbConnection, enterprise_id: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::enterprise_id.eq(enterprise_id))
        .filter(users::role.eq(Role::Enterprise))
        .filter(users::enterprise_manager.eq(true))
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .load(conn)
}

/// Whether a new account may not take this number: an active user has it as their phone, or
/// any user (a disabled one too) as their username, which registration makes the number.
pub fn phone_taken(conn: &mut DbConnection, phone: &str) -> QueryResult<bool> {
    Ok(!active_by_phone(conn, phone)?.is_empty() || find_by_username(conn, phone)?.is_some())
}
