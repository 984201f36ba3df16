//! The notification outbox: messages queued with the ticket events that cause them, claimed
//! by delivery workers under a lease, and their outcomes.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::connection::{Backend, DbConnection};
use super::schema::notifications;
use crate::domain::notification::{MessageTopic, NotifyChannel, NotifyStatus};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct NotificationRow {
    pub id: String,
    pub channel: NotifyChannel,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub user_id: Option<String>,
    pub ticket_id: Option<String>,
    pub event: MessageTopic,
    pub event_seq: Option<i32>,
    pub subject: Option<String>,
    pub body: String,
    pub html_body: Option<String>,
    pub template_code: Option<String>,
    /// A JSON array of `[name, value]` pairs, in the gateway template's order.
    pub template_params: Option<String>,
    pub status: NotifyStatus,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub lease_token: Option<String>,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

/// Filters of the admin list; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    pub status: Option<NotifyStatus>,
    pub channel: Option<NotifyChannel>,
    pub ticket_id: Option<String>,
    pub recipient: Option<String>,
    pub event: Option<MessageTopic>,
    pub before_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &NotificationRow) -> QueryResult<()> {
    on_each!(conn, c => diesel::insert_into(notifications::table)
        .values(row)
        .execute(c))
    .map(drop)
}

/// Inserts the messages of one event: on PostgreSQL in one statement (one round trip);
/// SQLite has no round trips to save, and diesel's multi-connection type does not build
/// multi-row inserts for it, so there they go one by one.
pub fn insert_all(conn: &mut DbConnection, rows: &[NotificationRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgres(c) => diesel::insert_into(notifications::table)
            .values(rows)
            .execute(c)
            .map(drop),
        DbConnection::Sqlite(_) => rows.iter().try_for_each(|row| insert(conn, row)),
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<NotificationRow>> {
    notifications::table
        .find(id)
        .select(NotificationRow::as_select())
        .get_result(conn)
        .optional()
}

/// For each (channel, recipient), how many messages queued since `since` were, or will be,
/// sent: those refused by the rate limit (and other failures) do not count against it.
/// Addresses without any are left out.
///
/// Each (address, live status) is counted over an exact range of the recipient index
/// (`recipient, channel, status, created_at`), so a storm's thousands of refused rows for one
/// number are never read, while the live rows of any hour are at most the limit. Written so
/// that no planner can choose otherwise: on PostgreSQL a correlated count per address and
/// status in one statement (one round trip; with `= ANY` arrays instead, and the statistics
/// of a young table, it read the storm's rows through a bitmap scan); on SQLite one count per
/// address and status, which stay prepared and cost no round trip there.
pub fn recent_counts(
    conn: &mut DbConnection,
    addresses: &[(NotifyChannel, &str)],
    since: &str,
) -> QueryResult<HashMap<(NotifyChannel, String), i64>> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Text)]
        channel: NotifyChannel,
        #[diesel(sql_type = Text)]
        recipient: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let live = [
        NotifyStatus::Sent,
        NotifyStatus::Pending,
        NotifyStatus::Sending,
    ];
    let mut counts: HashMap<(NotifyChannel, String), i64> = HashMap::new();
    match conn {
        DbConnection::Postgres(c) => {
            let channels: Vec<&str> = addresses
                .iter()
                .map(|(channel, _)| channel.as_str())
                .collect();
            let recipients: Vec<&str> = addresses.iter().map(|(_, r)| *r).collect();
            let rows: Vec<Count> = diesel::sql_query(
                "SELECT a.channel, a.recipient, \
                 (SELECT count(*) FROM notifications n WHERE n.recipient = a.recipient \
                 AND n.channel = a.channel AND n.status = s.status AND n.created_at >= $3) AS n \
                 FROM unnest($1::text[], $2::text[]) AS a (channel, recipient), \
                 unnest(ARRAY['sent', 'pending', 'sending']) AS s (status)",
            )
            .bind::<diesel::sql_types::Array<Text>, _>(channels)
            .bind::<diesel::sql_types::Array<Text>, _>(recipients)
            .bind::<Text, _>(since)
            .load(c)?;
            for row in rows.into_iter().filter(|r| r.n > 0) {
                *counts.entry((row.channel, row.recipient)).or_default() += row.n;
            }
        }
        DbConnection::Sqlite(c) => {
            for &(channel, recipient) in addresses {
                for status in live {
                    let n = notifications::table
                        .filter(notifications::recipient.eq(recipient))
                        .filter(notifications::channel.eq(channel))
                        .filter(notifications::status.eq(status))
                        .filter(notifications::created_at.ge(since))
                        .count()
                        .get_result::<i64>(c)?;
                    if n > 0 {
                        *counts.entry((channel, recipient.to_string())).or_default() += n;
                    }
                }
            }
        }
    }
    Ok(counts)
}

/// Newest first, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &NotificationFilter,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut query = notifications::table
        .select(NotificationRow::as_select())
        .into_boxed();
    if let Some(v) = &filter.status {
        query = query.filter(notifications::status.eq(*v));
    }
    if let Some(v) = &filter.channel {
        query = query.filter(notifications::channel.eq(*v));
    }
    if let Some(v) = &filter.ticket_id {
        query = query.filter(notifications::ticket_id.eq(v.clone()));
    }
    if let Some(v) = &filter.recipient {
        query = query.filter(notifications::recipient.eq(v.clone()));
    }
    if let Some(v) = &filter.event {
        query = query.filter(notifications::event.eq(*v));
    }
    if let Some(v) = &filter.before_id {
        query = query.filter(notifications::id.lt(v.clone()));
    }
    query
        .order(notifications::id.desc())
        .limit(limit)
        .load(conn)
}

/// (channel, status, rows) for every pair that has rows.
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, i64)>> {
    notifications::table
        .group_by((notifications::channel, notifications::status))
        .select((
            notifications::channel,
            notifications::status,
            diesel::dsl::count_star(),
        ))
        .order((notifications::channel, notifications::status))
        .load(conn)
}

/// Claims up to `limit` due messages for one delivery attempt: pending ones whose time has
/// come, and sending ones whose worker's lease ran out (it died mid-send). Each is marked
/// `sending` with `lease_token`, leased until `lease_until`, and its attempt counted; the
/// caller gives up rows that have now had more attempts than allowed.
///
/// The inner `WHERE status IN ('pending', 'sending')` is the partial index's own condition,
/// written the same way so that both databases use it (and read only due rows, in order).
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so that workers of several instances claiming at
/// the same moment each get other rows and none waits for another's transaction. SQLite has
/// one writer at a time, so a plain subquery is enough (and SQLite has no row locks).
pub fn claim_due(
    conn: &mut DbConnection,
    now: &str,
    lease_until: &str,
    lease_token: &str,
    limit: u32,
) -> QueryResult<Vec<NotificationRow>> {
    // SQLite's planner, without statistics, may prefer the index on (status, id) and sort
    // every due row; INDEXED BY holds it to the partial index (and fails loudly if it could
    // not be used).
    let (index, lock) = match conn.backend() {
        Backend::Postgres => ("", " FOR UPDATE SKIP LOCKED"),
        Backend::Sqlite => (" INDEXED BY notifications_due_idx", ""),
    };
    let sql = format!(
        "UPDATE notifications SET status = 'sending', attempts = attempts + 1, \
         next_attempt_at = $1, lease_token = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM notifications{index} \
         WHERE status IN ('pending', 'sending') AND next_attempt_at <= $3 \
         ORDER BY next_attempt_at LIMIT {limit}{lock}) \
         RETURNING *",
    );
    super::raw_sql(conn, &sql)
        .bind::<Text, _>(lease_until)
        .bind::<Text, _>(lease_token)
        .bind::<Text, _>(now)
        .load(conn)
}

/// The outcome of one attempt, recorded only while the worker still holds the lease.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    Sent {
        provider_message_id: Option<String>,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        next_attempt_at: String,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// Records an attempt's outcome; false when the row is no longer leased to `lease_token`
/// (the lease ran out and another worker claimed it).
pub fn record(
    conn: &mut DbConnection,
    id: &str,
    lease_token: &str,
    outcome: &AttemptOutcome,
    now: &str,
) -> QueryResult<bool> {
    let target = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::status.eq(NotifyStatus::Sending))
        .filter(notifications::lease_token.eq(lease_token));
    let changed = match outcome {
        AttemptOutcome::Sent {
            provider_message_id,
        } => diesel::update(target)
            .set((
                notifications::status.eq(NotifyStatus::Sent),
                notifications::lease_token.eq(None::<String>),
                notifications::provider_message_id.eq(provider_message_id),
                notifications::sent_at.eq(now),
                notifications::updated_at.eq(now),
            ))
            .execute(conn)?,
        AttemptOutcome::Retry {
            next_attempt_at,
            error,
        } => diesel::update(target)
            .set((
                notifications::status.eq(NotifyStatus::Pending),
                notifications::lease_token.eq(None::<String>),
                notifications::next_attempt_at.eq(next_attempt_at),
                notifications::last_error.eq(error),
                notifications::updated_at.eq(now),
            ))
            .execute(conn)?,
        AttemptOutcome::Failed { error } => diesel::update(target)
            .set((
                notifications::status.eq(NotifyStatus::Failed),
                notifications::lease_token.eq(None::<String>),
                notifications::last_error.eq(error),
                notifications::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Replaces a message's body and template parameters (to withhold a sign-in code once sent).
pub fn rewrite_content(
    conn: &mut DbConnection,
    id: &str,
    body: &str,
    template_params: &str,
) -> QueryResult<()> {
    diesel::update(notifications::table.filter(notifications::id.eq(id)))
        .set((
            notifications::body.eq(body),
            notifications::template_params.eq(template_params),
        ))
        .execute(conn)?;
    Ok(())
}

/// Makes a failed message due now with a fresh count of attempts; false when it is not failed.
pub fn retry_failed(conn: &mut DbConnection, id: &str, now: &str) -> QueryResult<bool> {
    let changed = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::status.eq(NotifyStatus::Failed)),
    )
    .set((
        notifications::status.eq(NotifyStatus::Pending),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes sent messages older than `cutoff`; returns how many.
pub fn delete_sent_before(conn: &mut DbConnection, cutoff: &str) -> QueryResult<usize> {
    diesel::delete(
        notifications::table
            .filter(notifications::status.eq(NotifyStatus::Sent))
            .filter(notifications::created_at.lt(cutoff)),
    )
    .execute(conn)
}
