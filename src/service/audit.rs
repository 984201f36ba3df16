//! The audit log: administrative actions — accounts and roles, departments, enterprises and
//! their import, categories, the calendar, notification retries, systemic issues — and exports, each written
//! in the transaction of the action (so an action that fails leaves no entry, and one that
//! succeeds cannot lack one). Administrators read it; nobody can change it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::auth::Principal;
use crate::db::audit_log::{self, AuditFilter, AuditRow};
use crate::db::{DbConnection, new_id};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::service::{Page, require_role};

/// Who did it, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub who: Principal,
    pub ip: String,
}

/// Who makes an administrative change, for the audit log.
#[derive(Debug, Clone)]
pub enum By {
    /// Someone through the API: recorded with their address.
    Request(Actor),
    /// Not recorded on its own: the command line's writes (the demo data, `seed-load`,
    /// `user add`, test fixtures), an enterprise registering itself, and the parts of a
    /// change that is recorded as a whole (the enterprises of an import).
    Unrecorded,
}

/// What was done, as the log names it (`department.update`); each names its kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    UserCreate,
    UserUpdate,
    /// A user chose their own password.
    UserPasswordChange,
    DepartmentCreate,
    DepartmentUpdate,
    EnterpriseCreate,
    EnterpriseUpdate,
    EnterpriseImport,
    CategoryCreate,
    CategoryUpdate,
    CalendarPut,
    NotificationRetry,
    ExportLedger,
    ExportAssessment,
    /// A new version of the user agreement and privacy policy.
    LegalPublish,
    /// A request to join an enterprise's account approved or rejected.
    JoinDecide,
    SystemicIssueCreate,
    SystemicIssueUpdate,
    /// A ticket linked to a systemic issue, or unlinked (`detail` names the ticket).
    SystemicIssueLink,
    SystemicIssueUnlink,
    /// A month's assessment published again by an administrator (`detail`: its version).
    AssessmentPublish,
    /// A weekly bulletin drafted by an administrator (the service's own drafts are not
    /// recorded), its draft changed (`detail`: the fields) or recounted, and published
    /// (`detail`: its year and number).
    BulletinCreate,
    BulletinUpdate,
    BulletinPublish,
    /// A pairing sheet imported (`detail`: rows, paired, refused).
    PairingImport,
    /// A campaign (专项行动) opened.
    CampaignCreate,
    /// The policy catalogue (送政策): a field or qualification added or changed; a policy
    /// drafted, its draft changed, published, amended (`detail`: the new version),
    /// withdrawn.
    PolicyTermCreate,
    PolicyTermUpdate,
    PolicyCreate,
    PolicyUpdate,
    PolicyPublish,
    PolicyAmend,
    PolicyWithdraw,
    /// 免申即享: a benefit granted to enterprises (`detail`: how many).
    PolicyGrant,
    /// An enterprise's traits changed (`detail`: verified or not), confirmed, or imported
    /// from a sheet (`detail`: rows, changed, refused).
    EnterpriseTraitsUpdate,
    EnterpriseTraitsVerify,
    EnterpriseTraitsImport,
    /// An application recorded by a department, approved, refused, or paid.
    ApplicationRecord,
    ApplicationApprove,
    ApplicationRefuse,
    ApplicationPay,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::UserCreate => "user.create",
            AuditAction::UserUpdate => "user.update",
            AuditAction::UserPasswordChange => "user.password_change",
            AuditAction::DepartmentCreate => "department.create",
            AuditAction::DepartmentUpdate => "department.update",
            AuditAction::EnterpriseCreate => "enterprise.create",
            AuditAction::EnterpriseUpdate => "enterprise.update",
            AuditAction::EnterpriseImport => "enterprise.import",
            AuditAction::CategoryCreate => "category.create",
            AuditAction::CategoryUpdate => "category.update",
            AuditAction::CalendarPut => "calendar.put",
            AuditAction::NotificationRetry => "notification.retry",
            AuditAction::ExportLedger => "export.ledger",
            AuditAction::ExportAssessment => "export.assessment",
            AuditAction::LegalPublish => "legal.publish",
            AuditAction::JoinDecide => "join_request.decide",
            AuditAction::SystemicIssueCreate => "systemic_issue.create",
            AuditAction::SystemicIssueUpdate => "systemic_issue.update",
            AuditAction::SystemicIssueLink => "systemic_issue.link",
            AuditAction::SystemicIssueUnlink => "systemic_issue.unlink",
            AuditAction::AssessmentPublish => "assessment.publish",
            AuditAction::BulletinCreate => "bulletin.create",
            AuditAction::BulletinUpdate => "bulletin.update",
            AuditAction::BulletinPublish => "bulletin.publish",
            AuditAction::PairingImport => "enterprise.pairing_import",
            AuditAction::CampaignCreate => "campaign.create",
            AuditAction::PolicyTermCreate => "policy_term.create",
            AuditAction::PolicyTermUpdate => "policy_term.update",
            AuditAction::PolicyCreate => "policy.create",
            AuditAction::PolicyUpdate => "policy.update",
            AuditAction::PolicyPublish => "policy.publish",
            AuditAction::PolicyAmend => "policy.amend",
            AuditAction::PolicyWithdraw => "policy.withdraw",
            AuditAction::PolicyGrant => "policy.grant",
            AuditAction::EnterpriseTraitsUpdate => "enterprise.traits_update",
            AuditAction::EnterpriseTraitsVerify => "enterprise.traits_verify",
            AuditAction::EnterpriseTraitsImport => "enterprise.traits_import",
            AuditAction::ApplicationRecord => "policy_application.record",
            AuditAction::ApplicationApprove => "policy_application.approve",
            AuditAction::ApplicationRefuse => "policy_application.refuse",
            AuditAction::ApplicationPay => "policy_application.pay",
        }
    }

    /// What kind of record the action is done to.
    pub fn target_type(self) -> &'static str {
        match self {
            AuditAction::UserCreate | AuditAction::UserUpdate | AuditAction::UserPasswordChange => {
                "user"
            }
            AuditAction::DepartmentCreate | AuditAction::DepartmentUpdate => "department",
            AuditAction::EnterpriseCreate
            | AuditAction::EnterpriseUpdate
            | AuditAction::EnterpriseImport
            | AuditAction::PairingImport
            | AuditAction::EnterpriseTraitsUpdate
            | AuditAction::EnterpriseTraitsVerify
            | AuditAction::EnterpriseTraitsImport => "enterprise",
            AuditAction::PolicyTermCreate | AuditAction::PolicyTermUpdate => "policy_term",
            AuditAction::PolicyCreate
            | AuditAction::PolicyUpdate
            | AuditAction::PolicyPublish
            | AuditAction::PolicyAmend
            | AuditAction::PolicyWithdraw
            | AuditAction::PolicyGrant => "policy",
            AuditAction::ApplicationRecord
            | AuditAction::ApplicationApprove
            | AuditAction::ApplicationRefuse
            | AuditAction::ApplicationPay => "policy_application",
            AuditAction::CategoryCreate | AuditAction::CategoryUpdate => "category",
            AuditAction::CalendarPut => "calendar_year",
            AuditAction::NotificationRetry => "notification",
            AuditAction::ExportLedger | AuditAction::ExportAssessment => "ticket",
            AuditAction::LegalPublish => "legal_texts",
            AuditAction::JoinDecide => "join_request",
            AuditAction::SystemicIssueCreate
            | AuditAction::SystemicIssueUpdate
            | AuditAction::SystemicIssueLink
            | AuditAction::SystemicIssueUnlink => "systemic_issue",
            AuditAction::AssessmentPublish => "assessment",
            AuditAction::BulletinCreate
            | AuditAction::BulletinUpdate
            | AuditAction::BulletinPublish => "bulletin",
            AuditAction::CampaignCreate => "campaign",
        }
    }
}

/// Records one action done by `by` in the caller's transaction (nothing when `by` is
/// [`By::Unrecorded`]). `detail` says what changed — field names, not personal values.
pub fn record(
    conn: &mut DbConnection,
    by: &By,
    action: AuditAction,
    target_id: Option<&str>,
    detail: Option<Value>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let By::Request(actor) = by else {
        return Ok(());
    };
    audit_log::insert(
        conn,
        &AuditRow {
            id: new_id(),
            at: time::format(now),
            actor_id: Some(actor.who.user_id.clone()),
            actor_role: actor.who.role,
            ip: actor.ip.clone(),
            action: action.as_str().into(),
            target_type: action.target_type().into(),
            target_id: target_id.map(str::to_string),
            detail: detail.map(|d| d.to_string()),
        },
    )?;
    Ok(())
}

/// `{"fields": […]}`: the names of the fields a change sets, for the log (not their values).
pub fn fields(names: &[(&str, bool)]) -> Value {
    let set: Vec<&str> = names
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    serde_json::json!({ "fields": set })
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Page<AuditRow>, AppError> {
    require_role(who, &[Role::Admin])?;
    let rows = audit_log::list(conn, filter, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| &r.id))
}
