//! Limits on guessing: failed sign-ins are counted per account and per client address over a
//! sliding window (`auth.lockout_secs`); past `auth.max_failures_per_account` the account is
//! locked, past `auth.max_failures_per_ip` the address is refused, until the oldest counted
//! failure leaves the window. SMS codes are counted per address the same way, over an hour.
//!
//! The counts are rows in the database, so every instance sharing it sees the same ones. A
//! check and the record that follows it are separate statements: a burst of concurrent
//! attempts may get a few past the limit before it shuts, never more than the burst.

use chrono::{DateTime, Utc};

use crate::config::AuthSettings;
use crate::db::{DbConnection, auth_failures};
use crate::domain::time;
use crate::error::{AppError, ErrorCode};

fn account_key(username: &str) -> String {
    format!("account:{username}")
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

fn sms_key(ip: &str) -> String {
    format!("sms-ip:{ip}")
}

/// Minutes until the oldest entry since `window` ago leaves the window (at least one).
fn minutes_left(oldest: Option<String>, window: chrono::Duration, now: DateTime<Utc>) -> i64 {
    let free_at = oldest.and_then(|o| time::parse(&o)).map(|o| o + window);
    free_at
        .map_or(1, |at| ((at - now).num_seconds() + 59) / 60)
        .max(1)
}

fn over(
    conn: &mut DbConnection,
    key: &str,
    limit: i64,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let (count, oldest) = auth_failures::since(conn, key, &time::format(now - window))?;
    Ok((count >= limit).then(|| minutes_left(oldest, window, now)))
}

/// Refuses a sign-in attempt before the password or code is checked, if the account (when
/// one is named) or the address has failed too often lately.
pub fn check_sign_in(
    conn: &mut DbConnection,
    settings: &AuthSettings,
    username: Option<&str>,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let window = chrono::Duration::seconds(settings.lockout_secs);
    if let Some(username) = username
        && let Some(minutes) = over(
            conn,
            &account_key(username),
            settings.max_failures_per_account,
            window,
            now,
        )?
    {
        return Err(AppError::new(
            ErrorCode::LockedOut,
            format!(
                "too many failed sign-ins to this account: it is locked for {minutes} more minute(s)"
            ),
        )
        .retry_after(minutes * 60));
    }
    if let Some(minutes) = over(conn, &ip_key(ip), settings.max_failures_per_ip, window, now)? {
        return Err(AppError::new(
            ErrorCode::TooManyRequests,
            format!("too many failed sign-ins from this address: try again in {minutes} minute(s)"),
        )
        .retry_after(minutes * 60));
    }
    Ok(())
}

/// Counts a failed attempt against the address, and the account when one is named.
pub fn sign_in_failed(
    conn: &mut DbConnection,
    username: Option<&str>,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let at = time::format(now);
    auth_failures::record(conn, &ip_key(ip), &at)?;
    if let Some(username) = username {
        auth_failures::record(conn, &account_key(username), &at)?;
    }
    Ok(())
}

/// A successful sign-in forgets the account's failures (not the address's).
pub fn sign_in_succeeded(conn: &mut DbConnection, username: &str) -> Result<(), AppError> {
    auth_failures::clear(conn, &account_key(username))?;
    Ok(())
}

/// Refuses an SMS code to this address past `auth.sms_codes_per_ip_per_hour`, and counts it
/// otherwise (in the caller's transaction: a code refused for another reason is not counted).
pub fn sms_code_sent(
    conn: &mut DbConnection,
    settings: &AuthSettings,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let key = sms_key(ip);
    if let Some(minutes) = over(
        conn,
        &key,
        settings.sms_codes_per_ip_per_hour,
        chrono::Duration::hours(1),
        now,
    )? {
        return Err(AppError::new(
            ErrorCode::TooManyRequests,
            format!("too many codes asked for from this address: try again in {minutes} minute(s)"),
        )
        .retry_after(minutes * 60));
    }
    auth_failures::record(conn, &key, &time::format(now))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_until_the_oldest_failure_leaves_the_window() {
        let now = time::parse("2026-12-02T10:00:00Z").unwrap_or_default();
        let window = chrono::Duration::minutes(15);
        let oldest = Some("2026-12-02T09:50:00Z".to_string());
        assert_eq!(minutes_left(oldest, window, now), 5);
        assert_eq!(
            minutes_left(Some("2026-12-02T09:45:30Z".into()), window, now),
            1
        );
        assert_eq!(minutes_left(None, window, now), 1);
    }
}
