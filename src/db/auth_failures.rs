//! Failed sign-ins and sent codes, counted per key over a sliding window (see
//! `service::throttle`).

use diesel::prelude::*;

use super::connection::{DbConnection, new_id};
use super::schema::auth_failures;

pub fn record(conn: &mut DbConnection, key: &str, at: &str) -> QueryResult<()> {
    diesel::insert_into(auth_failures::table)
        .values((
            auth_failures::id.eq(new_id()),
            auth_failures::key.eq(key),
            auth_failures::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// How many entries `key` has at or after `since`, and the oldest of them.
pub fn since(
    conn: &mut DbConnection,
    key: &str,
    since: &str,
) -> QueryResult<(i64, Option<String>)> {
    auth_failures::table
        .filter(auth_failures::key.eq(key))
        .filter(auth_failures::at.ge(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(auth_failures::at),
        ))
        .get_result(conn)
}

/// Forgets `key`'s entries (a successful sign-in clears its account's failures).
pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(auth_failures::table.filter(auth_failures::key.eq(key))).execute(conn)
}

pub fn delete_before(conn: &mut DbConnection, cutoff: &str) -> QueryResult<usize> {
    diesel::delete(auth_failures::table.filter(auth_failures::at.lt(cutoff))).execute(conn)
}
