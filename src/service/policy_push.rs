//! 政策推送 (issue 20): telling the enterprises that fit a policy about it, once each.
//!
//! Two things make a push due: a policy published or amended (`policies.push_state =
//! 'pending'`), and an enterprise whose traits, industry chain or area changed
//! (`enterprise_traits.recheck`). [`run`] does both, in batches of [`BATCH`] enterprises a
//! write transaction; it is called right after a publication and by a background loop
//! (`background::policy_pushes`), so a push interrupted by a stop is finished by the next
//! round.
//!
//! An enterprise with no active account is not told (nobody would hear it): it counts as not
//! told, and its first account makes it due again.
//!
//! **Once.** `policy_pushes`' key (policy, enterprise) is written with `ON CONFLICT DO
//! NOTHING` in the transaction that queues the messages; only the transaction whose row went
//! in queues them. Two instances on one PostgreSQL, or a round after a crash, therefore never
//! tell an enterprise twice. An amendment pushes only to enterprises that fit now and were not
//! told before.

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::db::policies::{self as db, PolicyRow};
use crate::domain::notification::PolicyEvent;
use crate::domain::policy::{Fit, Match, in_force, judge};
use crate::error::AppError;
use crate::notify::outbox::Outbox;
use crate::service::policies::{
    Tell, enterprise_names, match_all, profile_of, tell_enterprise, text_of, today, unknown_text,
};

/// Enterprises told in one write transaction.
pub const BATCH: usize = 200;

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Policies whose push was finished.
    pub policies: usize,
    /// Enterprises whose changed profile was matched again.
    pub rechecked: usize,
    /// Pushes written (each one enterprise told of one policy).
    pub pushed: usize,
}

/// The words of a push.
fn texts(policy: &PolicyRow, matched: &Match) -> (String, String, String) {
    let title = format!("为您推荐政策：{}", policy.title);
    let body = match matched.fit {
        Fit::Fits => format!(
            "根据贵企业的信息，贵企业符合《{}》的申报条件，请查看政策详情。",
            policy.title
        ),
        _ => format!(
            "贵企业可能符合《{}》的申报条件（尚不清楚：{}），请完善企业信息后查看政策详情。",
            policy.title,
            unknown_text(&matched.unknown)
        ),
    };
    let sms = format!("为您推荐政策《{}》，详情见", policy.title);
    (title, body, sms)
}

/// Tells `enterprises` of `policy` in one transaction; returns how many were told now (not
/// before).
fn push_batch(
    db: &Db,
    outbox: &Outbox,
    policy: &PolicyRow,
    enterprises: Vec<(String, String, Match)>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let outbox = outbox.clone();
    let policy = policy.clone();
    db.write(move |c| {
        let now_text = crate::domain::time::format(now);
        let mut told = 0;
        for (id, name, matched) in &enterprises {
            // An enterprise with no one to tell is not told: its first user's account makes
            // it due again (service::accounts).
            if !db::record_push(c, &policy.id, id, matched.fit, &now_text)? {
                continue;
            }
            let (title, body, sms) = texts(&policy, matched);
            let tell = Tell {
                event: PolicyEvent::PolicyPushed,
                policy: &policy,
                application_id: None,
                title,
                body,
                sms,
            };
            tell_enterprise(c, &outbox, id, name, &tell, now)?;
            told += 1;
        }
        Ok(told)
    })
}

/// Pushes every pending policy to the enterprises that fit it and were not told, then
/// matches the enterprises whose profile changed against every policy in force.
pub fn run(db: &Db, outbox: &Outbox, now: DateTime<Utc>) -> Result<PushReport, AppError> {
    let mut report = PushReport::default();
    let day = today(now);
    let pending = db.read(|c| Ok::<_, AppError>(db::pending_pushes(c)?))?;
    for policy in pending {
        if in_force(policy.status, policy.expires_on.as_deref(), &day) {
            let text = text_of(&policy)?;
            let id = policy.id.clone();
            let (fitting, told, reachable) = db.read(|c| {
                Ok::<_, AppError>((
                    match_all(c, &text)?,
                    db::pushed_to(c, &id)?,
                    db::enterprises_with_people(c)?,
                ))
            })?;
            // An enterprise with no one to tell is not told: its first account makes it due
            // again (service::accounts).
            let due: Vec<(String, String, Match)> = fitting
                .into_iter()
                .filter(|f| !told.contains(&f.enterprise_id))
                .filter(|f| reachable.contains(&f.enterprise_id))
                .map(|f| (f.enterprise_id, f.name, f.matched))
                .collect();
            let mut due = due.into_iter().peekable();
            while due.peek().is_some() {
                let batch: Vec<_> = due.by_ref().take(BATCH).collect();
                report.pushed += push_batch(db, outbox, &policy, batch, now)?;
            }
        }
        let (id, revision) = (policy.id.clone(), policy.revision);
        let now_text = crate::domain::time::format(now);
        if db.write(move |c| Ok::<_, AppError>(db::finish_push(c, &id, revision, &now_text)?))? {
            report.policies += 1;
        }
    }
    loop {
        let ids = db.read(|c| Ok::<_, AppError>(db::due_rechecks(c, BATCH as i64)?))?;
        if ids.is_empty() {
            break;
        }
        report.rechecked += ids.len();
        report.pushed += recheck(db, outbox, ids, &day, now)?;
    }
    if report.pushed > 0 {
        outbox.wake();
    }
    Ok(report)
}

/// Matches the enterprises `ids` against every policy in force, tells each of those it now
/// fits and was not told of, and clears their recheck — one transaction.
fn recheck(
    db: &Db,
    outbox: &Outbox,
    ids: Vec<String>,
    day: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let outbox = outbox.clone();
    let day = day.to_string();
    db.write(move |c| {
        let now_text = crate::domain::time::format(now);
        let policies: Vec<(PolicyRow, crate::domain::policy::PolicyText)> = db::published(c)?
            .into_iter()
            .filter(|p| in_force(p.status, p.expires_on.as_deref(), &day))
            .map(|p| text_of(&p).map(|t| (p, t)))
            .collect::<Result<_, _>>()?;
        let names = enterprise_names(c, &ids)?;
        let reachable = db::enterprises_with_people(c)?;
        let mut told = 0;
        for profile_row in db::profiles(c, Some(&ids))? {
            let profile = profile_of(&profile_row);
            let id = &profile_row.0;
            if !reachable.contains(id) {
                continue;
            }
            let name = names.get(id).cloned().unwrap_or_default();
            for (policy, text) in &policies {
                let matched = judge(&text.criteria, &profile);
                if matched.fit == Fit::No
                    || !db::record_push(c, &policy.id, id, matched.fit, &now_text)?
                {
                    continue;
                }
                let (title, body, sms) = texts(policy, &matched);
                let tell = Tell {
                    event: PolicyEvent::PolicyPushed,
                    policy,
                    application_id: None,
                    title,
                    body,
                    sms,
                };
                tell_enterprise(c, &outbox, id, &name, &tell, now)?;
                told += 1;
            }
        }
        for id in &ids {
            db::clear_recheck(c, id)?;
        }
        Ok(told)
    })
}
