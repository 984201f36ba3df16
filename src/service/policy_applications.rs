//! 申报与兑现 (issue 20): applications for a policy — filed by an enterprise, recorded by the
//! department from paper, or granted without one (免申即享) — reviewed (approved with an
//! amount, or refused with a reason) and paid, each step on the application's timeline and
//! told to the enterprise.
//!
//! Who: an enterprise applies for itself and reads its own applications only (another's is not
//! found); the policy's department (its cadres) and administrators record, grant, review and
//! pay; dispatchers read every application. One live application per policy and enterprise:
//! after a refusal the enterprise may apply again.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::policies::{
    self as db, ApplicationEventRow, ApplicationFilter, ApplicationRow, PolicyRow,
};
use crate::db::{DbConnection, enterprises, new_id};
use crate::domain::notification::PolicyEvent;
use crate::domain::policy::{
    Actor, ApplicationAction, ApplicationChannel, ApplicationDecision, ApplicationStatus, Fit,
    PolicyStatus, judge, yuan,
};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::notify::outbox::Outbox;
use crate::service::Page;
use crate::service::audit::{self, AuditAction, By};
use crate::service::policies::{
    Tell, load_visible, profile_of, tell_enterprise, text_of, today, unknown_text, view,
};

/// An application with its timeline and names.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub row: ApplicationRow,
    pub policy_title: String,
    pub department_id: String,
    pub enterprise_name: String,
    pub events: Vec<ApplicationEventRow>,
    /// The names of the people on the timeline, by id.
    pub people: Vec<(String, String)>,
    /// What the reader may do to it now.
    pub allowed: Vec<ApplicationDecision>,
}

fn acts_for(who: &Principal, policy: &PolicyRow) -> bool {
    Actor {
        role: who.role,
        department_id: who.department_id.as_deref(),
    }
    .acts_for(&policy.department_id)
}

fn require_department(who: &Principal, policy: &PolicyRow) -> Result<(), AppError> {
    if acts_for(who, policy) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "applications are handled by the policy's department and administrators",
        ))
    }
}

fn exists_error() -> AppError {
    AppError::new(
        ErrorCode::ApplicationExists,
        "this enterprise has an application for this policy already",
    )
}

fn event(
    conn: &mut DbConnection,
    application_id: &str,
    action: ApplicationAction,
    who: &Principal,
    note: Option<String>,
    amount_fen: Option<i64>,
    now: &str,
) -> Result<(), AppError> {
    let seq = db::events_of(conn, application_id)?.len() as i32 + 1;
    db::insert_event(
        conn,
        &ApplicationEventRow {
            application_id: application_id.to_string(),
            seq,
            action,
            actor_id: Some(who.user_id.clone()),
            note,
            amount_fen,
            at: now.to_string(),
        },
    )?;
    Ok(())
}

fn load_view(
    conn: &mut DbConnection,
    who: &Principal,
    row: ApplicationRow,
) -> Result<ApplicationView, AppError> {
    let policy = db::find(conn, &row.policy_id)?.ok_or_else(|| AppError::not_found("policy"))?;
    let name = enterprises::find(conn, &row.enterprise_id)?
        .map(|e| e.name)
        .unwrap_or_default();
    let events = db::events_of(conn, &row.id)?;
    let mut ids: Vec<String> = events.iter().filter_map(|e| e.actor_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let people = crate::db::users::names(conn, &ids)?;
    let mut allowed = Vec::new();
    if acts_for(who, &policy) {
        match row.status {
            ApplicationStatus::Submitted => {
                allowed.push(ApplicationDecision::Approve);
                allowed.push(ApplicationDecision::Refuse);
            }
            ApplicationStatus::Approved => allowed.push(ApplicationDecision::Pay),
            ApplicationStatus::Refused | ApplicationStatus::Paid => {}
        }
    }
    Ok(ApplicationView {
        row,
        policy_title: policy.title,
        department_id: policy.department_id,
        enterprise_name: name,
        events,
        people,
        allowed,
    })
}

fn tell(
    conn: &mut DbConnection,
    outbox: &Outbox,
    policy: &PolicyRow,
    app: &ApplicationRow,
    event: PolicyEvent,
    body: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let name = enterprises::find(conn, &app.enterprise_id)?
        .map(|e| e.name)
        .unwrap_or_default();
    let (title, sms) = match event {
        PolicyEvent::PolicyGranted => (
            format!("免申即享：{}", policy.title),
            format!("贵企业已免申享受政策《{}》，详情见", policy.title),
        ),
        PolicyEvent::ApplicationRecorded => (
            format!("政策申报已受理：{}", policy.title),
            format!("贵企业申报《{}》已受理，详情见", policy.title),
        ),
        PolicyEvent::ApplicationApproved => (
            format!("政策申报已批准：{}", policy.title),
            format!("贵企业申报《{}》已批准，详情见", policy.title),
        ),
        PolicyEvent::ApplicationRefused => (
            format!("政策申报未通过：{}", policy.title),
            format!("贵企业申报《{}》未通过审核，详情见", policy.title),
        ),
        PolicyEvent::ApplicationPaid | PolicyEvent::PolicyPushed => (
            format!("政策资金已兑现：{}", policy.title),
            format!("《{}》扶持资金已兑付，详情见", policy.title),
        ),
    };
    let m = Tell {
        event,
        policy,
        application_id: Some(&app.id),
        title,
        body,
        sms,
    };
    tell_enterprise(conn, outbox, &app.enterprise_id, &name, &m, now)?;
    Ok(())
}

/// What an application says.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub statement: String,
    pub requested_fen: Option<i64>,
    /// For a department recording one: the enterprise.
    pub enterprise_id: Option<String>,
}

/// An enterprise applies (online), or the department records an application made on paper
/// (offline; the enterprise is told). Only for a policy in force, within its window, not
/// granted without application, and that the enterprise does not plainly fail.
pub fn apply(
    conn: &mut DbConnection,
    outbox: &Outbox,
    by: &By,
    who: &Principal,
    policy_id: &str,
    input: NewApplication,
    now: DateTime<Utc>,
) -> Result<ApplicationView, AppError> {
    let policy = load_visible(conn, who, policy_id)?;
    let (enterprise_id, channel) = match who.role {
        Role::Enterprise => {
            if input.enterprise_id.is_some() {
                return Err(AppError::invalid_field(
                    "enterprise_id",
                    "an enterprise applies for itself: leave enterprise_id out",
                ));
            }
            let own = who
                .enterprise_id
                .clone()
                .ok_or_else(|| AppError::forbidden("this account belongs to no enterprise"))?;
            (own, ApplicationChannel::Online)
        }
        _ => {
            require_department(who, &policy)?;
            let eid = input.enterprise_id.clone().ok_or_else(|| {
                AppError::invalid_field("enterprise_id", "name the enterprise that applied")
            })?;
            if enterprises::find(conn, &eid)?.is_none() {
                return Err(AppError::invalid_field(
                    "enterprise_id",
                    "no such enterprise",
                ));
            }
            (eid, ApplicationChannel::Offline)
        }
    };
    let day = today(now);
    let v = view(who, policy.clone(), &day)?;
    if !v.in_force {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "this policy is not in force: applications are closed",
        ));
    }
    if v.text.free_grant {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "this policy is granted without an application (免申即享): the department grants it to the enterprises that fit",
        ));
    }
    if !v.window_open {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "applications for this policy are not open today (see its application window)",
        ));
    }
    let profile = db::profiles(conn, Some(std::slice::from_ref(&enterprise_id)))?
        .into_iter()
        .next()
        .map(|p| profile_of(&p))
        .unwrap_or_default();
    if judge(&v.text.criteria, &profile).fit == Fit::No {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "the enterprise's information does not meet this policy's conditions; if it is out of date, correct it first",
        ));
    }
    let now_text = time::format(now);
    let row = ApplicationRow {
        id: new_id(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        enterprise_id,
        status: ApplicationStatus::Submitted,
        channel,
        statement: input.statement,
        requested_fen: input.requested_fen,
        approved_fen: None,
        paid_fen: None,
        refusal_reason: None,
        created_by: who.user_id.clone(),
        created_at: now_text.clone(),
        updated_at: now_text.clone(),
        decided_at: None,
        paid_at: None,
    };
    if !db::insert_application(conn, &row)? {
        return Err(exists_error());
    }
    let action = match channel {
        ApplicationChannel::Online => ApplicationAction::Applied,
        _ => ApplicationAction::Recorded,
    };
    event(
        conn,
        &row.id,
        action,
        who,
        None,
        input.requested_fen,
        &now_text,
    )?;
    if channel == ApplicationChannel::Offline {
        tell(
            conn,
            outbox,
            &policy,
            &row,
            PolicyEvent::ApplicationRecorded,
            format!(
                "贵企业线下申报的《{}》已由主管部门登记受理，审核结果将另行通知。",
                policy.title
            ),
            now,
        )?;
        audit::record(
            conn,
            by,
            AuditAction::ApplicationRecord,
            Some(&row.id),
            None,
            now,
        )?;
    }
    load_view(conn, who, row)
}

/// A decision on an application.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve {
        amount_fen: i64,
        note: Option<String>,
    },
    Refuse {
        reason: String,
    },
    Pay {
        amount_fen: Option<i64>,
        note: Option<String>,
    },
}

/// Approves or refuses a submitted application, or records the payment of an approved one
/// (the department, administrators); the enterprise is told each.
pub fn decide(
    conn: &mut DbConnection,
    outbox: &Outbox,
    by: &By,
    who: &Principal,
    id: &str,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<ApplicationView, AppError> {
    let mut row = visible(conn, who, id)?;
    let policy = db::find(conn, &row.policy_id)?.ok_or_else(|| AppError::not_found("policy"))?;
    require_department(who, &policy)?;
    let before = row.status;
    let now_text = time::format(now);
    let wrong = |doing: &str| {
        AppError::new(
            ErrorCode::WrongState,
            format!("an application that is {before} cannot be {doing}"),
        )
    };
    let (action, note, amount, ev, audit_action, body) = match decision {
        Decision::Approve { amount_fen, note } => {
            if before != ApplicationStatus::Submitted {
                return Err(wrong("approved"));
            }
            row.status = ApplicationStatus::Approved;
            row.approved_fen = Some(amount_fen);
            row.decided_at = Some(now_text.clone());
            (
                ApplicationAction::Approved,
                note,
                Some(amount_fen),
                PolicyEvent::ApplicationApproved,
                AuditAction::ApplicationApprove,
                format!(
                    "贵企业申报的《{}》已审核通过，批准金额 {} 元。",
                    policy.title,
                    yuan(amount_fen)
                ),
            )
        }
        Decision::Refuse { reason } => {
            if before != ApplicationStatus::Submitted {
                return Err(wrong("refused"));
            }
            row.status = ApplicationStatus::Refused;
            row.refusal_reason = Some(reason.clone());
            row.decided_at = Some(now_text.clone());
            (
                ApplicationAction::Refused,
                Some(reason.clone()),
                None,
                PolicyEvent::ApplicationRefused,
                AuditAction::ApplicationRefuse,
                format!("贵企业申报的《{}》未通过审核。原因：{reason}", policy.title),
            )
        }
        Decision::Pay { amount_fen, note } => {
            if before != ApplicationStatus::Approved {
                return Err(wrong("paid"));
            }
            let paid = amount_fen.or(row.approved_fen).unwrap_or(0);
            row.status = ApplicationStatus::Paid;
            row.paid_fen = Some(paid);
            row.paid_at = Some(now_text.clone());
            (
                ApplicationAction::Paid,
                note,
                Some(paid),
                PolicyEvent::ApplicationPaid,
                AuditAction::ApplicationPay,
                format!(
                    "《{}》扶持资金 {} 元已兑付，请留意查收。",
                    policy.title,
                    yuan(paid)
                ),
            )
        }
    };
    row.updated_at = now_text.clone();
    if !db::update_application(conn, &row, before)? {
        return Err(AppError::new(
            ErrorCode::ConcurrentUpdate,
            "the application was decided by someone else meanwhile: read it again",
        ));
    }
    event(conn, &row.id, action, who, note, amount, &now_text)?;
    tell(conn, outbox, &policy, &row, ev, body, now)?;
    audit::record(conn, by, audit_action, Some(id), None, now)?;
    load_view(conn, who, row)
}

/// What a grant (免申即享) did.
#[derive(Debug, Clone, Default)]
pub struct GrantReport {
    pub granted: Vec<ApplicationView>,
    /// (enterprise id, why not): it does not fit, has an application already, is unknown.
    pub skipped: Vec<(String, String)>,
}

/// Grants a 免申即享 policy to the enterprises named (its department, administrators): each
/// that fits or may fit and has no live application gets an approved application of
/// `amount_fen` (channel `granted`) and is told; the others are listed with the reason. One
/// transaction.
#[allow(clippy::too_many_arguments)]
pub fn grant(
    conn: &mut DbConnection,
    outbox: &Outbox,
    by: &By,
    who: &Principal,
    policy_id: &str,
    enterprise_ids: &[String],
    amount_fen: i64,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<GrantReport, AppError> {
    let policy = load_visible(conn, who, policy_id)?;
    require_department(who, &policy)?;
    let v = view(who, policy.clone(), &today(now))?;
    if policy.status != PolicyStatus::Published || !v.in_force {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "only a policy in force is granted",
        ));
    }
    if !policy.free_grant {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "this policy is not granted without application (免申即享): enterprises apply for it",
        ));
    }
    let text = text_of(&policy)?;
    let profiles = db::profiles(conn, Some(enterprise_ids))?;
    let now_text = time::format(now);
    let mut report = GrantReport::default();
    for eid in enterprise_ids {
        let Some(p) = profiles.iter().find(|p| &p.0 == eid) else {
            report
                .skipped
                .push((eid.clone(), "no such enterprise".into()));
            continue;
        };
        let matched = judge(&text.criteria, &profile_of(p));
        if matched.fit == Fit::No {
            report
                .skipped
                .push((eid.clone(), "does not fit this policy".into()));
            continue;
        }
        let row = ApplicationRow {
            id: new_id(),
            policy_id: policy.id.clone(),
            policy_version: policy.version,
            enterprise_id: eid.clone(),
            status: ApplicationStatus::Approved,
            channel: ApplicationChannel::Granted,
            statement: String::new(),
            requested_fen: None,
            approved_fen: Some(amount_fen),
            paid_fen: None,
            refusal_reason: None,
            created_by: who.user_id.clone(),
            created_at: now_text.clone(),
            updated_at: now_text.clone(),
            decided_at: Some(now_text.clone()),
            paid_at: None,
        };
        if !db::insert_application(conn, &row)? {
            report.skipped.push((
                eid.clone(),
                "has an application for this policy already".into(),
            ));
            continue;
        }
        event(
            conn,
            &row.id,
            ApplicationAction::Granted,
            who,
            note.clone(),
            Some(amount_fen),
            &now_text,
        )?;
        let maybe = if matched.fit == Fit::MayFit {
            format!("（请补充企业信息：{}）", unknown_text(&matched.unknown))
        } else {
            String::new()
        };
        tell(
            conn,
            outbox,
            &policy,
            &row,
            PolicyEvent::PolicyGranted,
            format!(
                "贵企业符合《{}》，无需申报，已获批 {} 元，资金将按时兑付。{maybe}",
                policy.title,
                yuan(amount_fen)
            ),
            now,
        )?;
        report.granted.push(load_view(conn, who, row)?);
    }
    audit::record(
        conn,
        by,
        AuditAction::PolicyGrant,
        Some(policy_id),
        Some(serde_json::json!({
            "granted": report.granted.len(),
            "skipped": report.skipped.len(),
        })),
        now,
    )?;
    Ok(report)
}

/// Loads an application the reader may see: the enterprise's own, the policy's department's,
/// every one for dispatchers and administrators. Anyone else: not found.
fn visible(conn: &mut DbConnection, who: &Principal, id: &str) -> Result<ApplicationRow, AppError> {
    let missing = || AppError::not_found("application");
    let row = db::find_application(conn, id)?.ok_or_else(missing)?;
    let ok = match who.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Enterprise => who.enterprise_id.as_deref() == Some(row.enterprise_id.as_str()),
        Role::Cadre => db::find(conn, &row.policy_id)?
            .is_some_and(|p| who.department_id.as_deref() == Some(p.department_id.as_str())),
    };
    if ok { Ok(row) } else { Err(missing()) }
}

pub fn get(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<ApplicationView, AppError> {
    let row = visible(conn, who, id)?;
    load_view(conn, who, row)
}

/// The applications the reader sees (as [`visible`]), newest first.
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    mut filter: ApplicationFilter,
    limit: i64,
) -> Result<Page<ApplicationView>, AppError> {
    match who.role {
        Role::Admin | Role::Dispatcher => {}
        Role::Enterprise => {
            let own = who
                .enterprise_id
                .clone()
                .ok_or_else(|| AppError::forbidden("this account belongs to no enterprise"))?;
            filter.enterprise_id = Some(own);
        }
        Role::Cadre => {
            let dept = who.department_id.clone().unwrap_or_default();
            let ids: Vec<String> = db::list(
                conn,
                &db::PolicyFilter {
                    department_id: Some(dept),
                    ..Default::default()
                },
            )?
            .into_iter()
            .map(|p| p.id)
            .collect();
            filter.policy_ids = Some(ids);
        }
    }
    let rows = db::list_applications(conn, &filter, limit + 1)?;
    let page = Page::from_rows(rows, limit, |r| &r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| load_view(conn, who, r))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Checks that the reader is an enterprise that may ask about the policy (in force, visible).
pub fn may_ask(
    conn: &mut DbConnection,
    who: &Principal,
    policy_id: &str,
) -> Result<PolicyRow, AppError> {
    if who.role != Role::Enterprise {
        return Err(AppError::forbidden(
            "questions about a policy are asked by enterprises",
        ));
    }
    load_visible(conn, who, policy_id)
}
