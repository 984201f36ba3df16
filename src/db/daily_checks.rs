//! The daily check's record (每日检查, issue 19): one row per person and working day whose
//! digest was queued, and one per day whose check is done. `service::daily_check` writes
//! them in the transaction that queues the messages.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{daily_check_days, daily_checks, robot_posts};

/// Records `user_id`'s digest of `day`: `true` when this call did, `false` when it was
/// there already (another instance sent it).
pub fn claim(
    conn: &mut DbConnection,
    day: &str,
    user_id: &str,
    summary: &str,
    now: &str,
) -> QueryResult<bool> {
    let row = (
        daily_checks::day.eq(day),
        daily_checks::user_id.eq(user_id),
        daily_checks::summary.eq(summary),
        daily_checks::created_at.eq(now),
    );
    let inserted = on_each!(&mut *conn, c => diesel::insert_into(daily_checks::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Whether the check of `day` is done.
pub fn finished(conn: &mut DbConnection, day: &str) -> QueryResult<bool> {
    let n: i64 = daily_check_days::table
        .filter(daily_check_days::day.eq(day))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Marks the check of `day` done, with the digests this instance queued.
pub fn finish(conn: &mut DbConnection, day: &str, now: &str, digests: i32) -> QueryResult<()> {
    let row = (
        daily_check_days::day.eq(day),
        daily_check_days::finished_at.eq(now),
        daily_check_days::digests.eq(digests),
    );
    on_each!(&mut *conn, c => diesel::insert_into(daily_check_days::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// The digest `user_id` was sent on `day`, if any (its JSON summary).
pub fn of_user(conn: &mut DbConnection, day: &str, user_id: &str) -> QueryResult<Option<String>> {
    daily_checks::table
        .filter(daily_checks::day.eq(day))
        .filter(daily_checks::user_id.eq(user_id))
        .select(daily_checks::summary)
        .first(conn)
        .optional()
}

/// Records a group robot's `post` (`daily_check:YYYY-MM-DD`): `true` when this call did,
/// `false` when it was there already (another instance posted it).
pub fn claim_robot_post(
    conn: &mut DbConnection,
    robot: &str,
    post: &str,
    now: &str,
) -> QueryResult<bool> {
    let row = (
        robot_posts::robot.eq(robot),
        robot_posts::post.eq(post),
        robot_posts::created_at.eq(now),
    );
    let inserted = on_each!(&mut *conn, c => diesel::insert_into(robot_posts::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}
