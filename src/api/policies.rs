//! 送政策 (issue 20): the policy catalogue, the administrator's terms, matching (an
//! enterprise's recommended policies, a policy's fitting enterprises), 免申即享 grants,
//! questions, applications and payments, an enterprise's traits, and the figures. The rules
//! are in `domain::policy`; docs/policies.md describes the whole.

use actix_web::{HttpResponse, web};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, Auth, ClientIp, IfMatch, path_id};
use crate::api::params::{cursor_id, list_of, nullable, page_limit};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::db::policies::{
    ApplicationEventRow, ApplicationFilter, PolicyFilter, TermRow, TraitsRow,
};
use crate::domain::policy::{
    ApplicationAction, ApplicationChannel, ApplicationDecision, ApplicationStatus, Benefit,
    BenefitKind, Criteria, Criterion, Fit, MAX_FEN, PolicyAction, PolicyStatus, PolicyText,
    PushState, RevenueBand, Scale, Size, TermKind,
};
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::audit::By;
use crate::service::policies::{
    self, FittingList, ListQuery, PolicyDetail, PolicyView, Recommendation, Standing, TraitChanges,
};
use crate::service::policy_applications::{
    self as applications, ApplicationView, Decision, NewApplication,
};
use crate::service::policy_stats;

/// The longest full text of a policy, characters: 45 KB of Chinese, inside the largest JSON
/// body (`http.max_json_bytes`, 64 KB). A longer document is attached as a file.
pub const MAX_FULL_TEXT: usize = 15_000;
/// The longest summary, how-to-apply and conditions, characters.
pub const MAX_SUMMARY: usize = 2000;
/// The most values in one criterion's list.
pub const MAX_CRITERION_VALUES: usize = 50;
/// The most enterprises one grant names.
pub const MAX_GRANT: usize = 1000;

// --- bodies ------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct TermResponse {
    pub id: String,
    pub kind: TermKind,
    pub name: String,
    pub position: i32,
    /// A retired term stays on what names it; it is not offered for new choices.
    pub active: bool,
}

impl From<TermRow> for TermResponse {
    fn from(t: TermRow) -> Self {
        TermResponse {
            id: t.id,
            kind: t.kind,
            name: t.name,
            position: t.position,
            active: t.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TermList {
    pub items: Vec<TermResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTermRequest {
    pub kind: TermKind,
    #[schema(example = "专精特新中小企业")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTermRequest {
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TermQuery {
    /// `field` or `qualification` (both when left out).
    pub kind: Option<String>,
}

/// A policy's text, to draft one or to replace a draft's or amend a published one's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    #[schema(example = "望城区支持先进制造业高质量发展若干政策")]
    pub title: String,
    /// 文号, e.g. 望政发〔2024〕3号.
    #[serde(default)]
    pub document_number: Option<String>,
    /// The issuing department; a cadre's own when left out.
    #[serde(default)]
    pub department_id: Option<String>,
    pub field_id: String,
    pub summary: String,
    #[serde(default)]
    pub full_text: Option<String>,
    #[serde(default)]
    pub benefit: Benefit,
    /// The application window, China days (YYYY-MM-DD), inclusive; either may be left out.
    #[serde(default)]
    pub opens_on: Option<String>,
    #[serde(default)]
    pub closes_on: Option<String>,
    /// The last day in force; left out: until withdrawn.
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub how_to_apply: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub criteria: Option<Criteria>,
    #[serde(default)]
    pub other_conditions: Option<String>,
    /// 免申即享: the department grants it; enterprises do not apply.
    #[serde(default)]
    pub free_grant: Option<bool>,
    /// Uploads (POST /api/v1/attachments) to attach as the policy's documents, at most 9.
    #[serde(default)]
    pub attachment_ids: Vec<String>,
    /// Why a published policy is amended (修订说明): required then, ignored for a draft.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyResponse {
    pub id: String,
    pub status: PolicyStatus,
    /// The published version (0 for a draft): an amendment is the next.
    pub version: i32,
    /// Send as `If-Match` with a change (it is the answer's ETag too).
    pub revision: i32,
    pub title: String,
    pub document_number: String,
    pub department_id: String,
    pub field_id: String,
    pub summary: String,
    /// The full text; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_text: Option<String>,
    pub benefit: Benefit,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub expires_on: Option<String>,
    pub how_to_apply: String,
    pub contact: String,
    pub criteria: Criteria,
    pub other_conditions: String,
    pub free_grant: bool,
    /// Published and not expired today.
    pub in_force: bool,
    /// In force and within the application window today.
    pub window_open: bool,
    /// What the caller may do to it now.
    pub allowed: Vec<PolicyAction>,
    pub push_state: PushState,
    pub pushed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdraw_reason: Option<String>,
}

impl PolicyResponse {
    fn new(v: PolicyView, with_full_text: bool) -> Self {
        let (row, t) = (v.row, v.text);
        PolicyResponse {
            id: row.id,
            status: row.status,
            version: row.version,
            revision: row.revision,
            title: row.title,
            document_number: t.document_number,
            department_id: row.department_id,
            field_id: row.field_id,
            summary: t.summary,
            full_text: with_full_text.then_some(t.full_text),
            benefit: t.benefit,
            opens_on: t.opens_on,
            closes_on: t.closes_on,
            expires_on: t.expires_on,
            how_to_apply: t.how_to_apply,
            contact: t.contact,
            criteria: t.criteria,
            other_conditions: t.other_conditions,
            free_grant: t.free_grant,
            in_force: v.in_force,
            window_open: v.window_open,
            allowed: v.allowed,
            push_state: row.push_state,
            pushed_at: row.pushed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            published_at: row.published_at,
            withdrawn_at: row.withdrawn_at,
            withdraw_reason: row.withdraw_reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyResponse>,
    /// Null on the last page, and always with `q` (the best matches come in one page).
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub title: String,
    /// Why it was amended (empty for the first version).
    pub note: String,
    pub published_by: String,
    pub published_by_name: Option<String>,
    pub published_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDocument {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// How the calling enterprise stands against a policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct StandingResponse {
    /// `fits` (符合), `may_fit` (可能符合) or `no`.
    pub fit: Fit,
    /// For `may_fit`: the criteria its information leaves unknown.
    pub unknown: Vec<Criterion>,
    /// When the policy was pushed to it, if it was.
    pub pushed_at: Option<String>,
    /// Explained to it on a liaison cadre's visit.
    pub explained: bool,
    /// Its latest application for the policy.
    pub application: Option<ApplicationResponse>,
}

impl From<Standing> for StandingResponse {
    fn from(s: Standing) -> Self {
        StandingResponse {
            fit: s.matched.fit,
            unknown: s.matched.unknown,
            pushed_at: s.pushed_at,
            explained: s.explained,
            application: s.application.map(ApplicationResponse::bare),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDetailResponse {
    #[serde(flatten)]
    pub policy: PolicyResponse,
    /// Every published version, the latest first.
    pub versions: Vec<VersionSummary>,
    pub documents: Vec<PolicyDocument>,
    /// For an enterprise's user only.
    pub standing: Option<StandingResponse>,
    /// Questions asked about it (staff only; 0 for enterprises).
    pub questions: i64,
}

impl From<PolicyDetail> for PolicyDetailResponse {
    fn from(d: PolicyDetail) -> Self {
        PolicyDetailResponse {
            policy: PolicyResponse::new(d.view, true),
            versions: d
                .versions
                .into_iter()
                .map(|v| VersionSummary {
                    version: v.version,
                    title: v.title,
                    note: v.note,
                    published_by_name: d.people.get(&v.published_by).cloned(),
                    published_by: v.published_by,
                    published_at: v.published_at,
                })
                .collect(),
            documents: d
                .documents
                .into_iter()
                .map(|a| PolicyDocument {
                    id: a.id,
                    file_name: a.file_name,
                    content_type: a.content_type,
                    size: a.size,
                })
                .collect(),
            standing: d.standing.map(Into::into),
            questions: d.questions,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionResponse {
    pub version: i32,
    pub note: String,
    pub published_by: String,
    pub published_at: String,
    /// The text as it was in that version.
    pub text: PolicyText,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PolicyListQuery {
    /// Words of the title, summary, full text or document number, all of them in any order.
    pub q: Option<String>,
    pub field_id: Option<String>,
    /// The issuing department.
    pub department_id: Option<String>,
    /// One status or several separated by commas (staff; enterprises see published ones).
    pub status: Option<String>,
    /// `true`: only 免申即享 policies; `false`: only those applied for.
    pub free_grant: Option<bool>,
    /// `true` (enterprises' default): published ones only while in force.
    pub in_force: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationResponse {
    pub policy: PolicyResponse,
    #[serde(flatten)]
    pub standing: StandingResponse,
}

impl From<Recommendation> for RecommendationResponse {
    fn from(r: Recommendation) -> Self {
        RecommendationResponse {
            policy: PolicyResponse::new(r.view, false),
            standing: r.standing.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationList {
    /// Those it fits first, then those it may fit; the newest first within each.
    pub items: Vec<RecommendationResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FittingCountsResponse {
    pub fits: i64,
    pub may_fit: i64,
    /// Of those, told: pushed, or explained on a visit.
    pub told: i64,
    /// Of those, with an application (any channel, any status).
    pub applied: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FittingEnterpriseResponse {
    pub enterprise_id: String,
    pub name: String,
    pub fit: Fit,
    pub unknown: Vec<Criterion>,
    pub pushed: bool,
    pub explained: bool,
    /// Whether the enterprise's information was confirmed by staff since its last change.
    pub verified: bool,
    pub application_id: Option<String>,
    pub application_status: Option<ApplicationStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FittingResponse {
    pub counts: FittingCountsResponse,
    /// Those that fit first, then those that may; by name within each.
    pub items: Vec<FittingEnterpriseResponse>,
    pub next_cursor: Option<String>,
}

impl From<FittingList> for FittingResponse {
    fn from(l: FittingList) -> Self {
        FittingResponse {
            counts: FittingCountsResponse {
                fits: l.counts.fits,
                may_fit: l.counts.may_fit,
                told: l.counts.told,
                applied: l.counts.applied,
            },
            items: l
                .items
                .into_iter()
                .map(|e| FittingEnterpriseResponse {
                    enterprise_id: e.fitting.enterprise_id,
                    name: e.fitting.name,
                    fit: e.fitting.matched.fit,
                    unknown: e.fitting.matched.unknown,
                    pushed: e.pushed,
                    explained: e.explained,
                    verified: e.verified,
                    application_id: e.application.as_ref().map(|a| a.id.clone()),
                    application_status: e.application.map(|a| a.status),
                })
                .collect(),
            next_cursor: l.next_offset.map(|o| o.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FittingQuery {
    /// `fits` or `may_fit` only.
    pub fit: Option<String>,
    /// 1 to 500 (default 50).
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i32,
    pub action: ApplicationAction,
    pub actor_id: Option<String>,
    /// The actor's name.
    pub actor_name: Option<String>,
    pub note: Option<String>,
    pub amount_fen: Option<i64>,
    pub at: String,
}

impl From<ApplicationEventRow> for TimelineEntry {
    fn from(e: ApplicationEventRow) -> Self {
        TimelineEntry {
            seq: e.seq,
            action: e.action,
            actor_name: None,
            actor_id: e.actor_id,
            note: e.note,
            amount_fen: e.amount_fen,
            at: e.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    pub id: String,
    pub policy_id: String,
    /// Left out where the policy is given beside it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_title: Option<String>,
    pub policy_version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    pub enterprise_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_name: Option<String>,
    pub status: ApplicationStatus,
    pub channel: ApplicationChannel,
    pub statement: String,
    /// Amounts in fen (分).
    pub requested_fen: Option<i64>,
    pub approved_fen: Option<i64>,
    pub paid_fen: Option<i64>,
    pub refusal_reason: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub decided_at: Option<String>,
    pub paid_at: Option<String>,
    /// Every step, oldest first (left out of a policy's standing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
    /// What the caller may do to it now (left out of a policy's standing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<ApplicationDecision>>,
}

impl ApplicationResponse {
    fn bare(a: crate::db::policies::ApplicationRow) -> Self {
        ApplicationResponse {
            id: a.id,
            policy_id: a.policy_id,
            policy_title: None,
            policy_version: a.policy_version,
            department_id: None,
            enterprise_id: a.enterprise_id,
            enterprise_name: None,
            status: a.status,
            channel: a.channel,
            statement: a.statement,
            requested_fen: a.requested_fen,
            approved_fen: a.approved_fen,
            paid_fen: a.paid_fen,
            refusal_reason: a.refusal_reason,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            decided_at: a.decided_at,
            paid_at: a.paid_at,
            timeline: None,
            allowed: None,
        }
    }
}

impl From<ApplicationView> for ApplicationResponse {
    fn from(v: ApplicationView) -> Self {
        let mut r = ApplicationResponse::bare(v.row);
        r.policy_title = Some(v.policy_title);
        r.department_id = Some(v.department_id);
        r.enterprise_name = Some(v.enterprise_name);
        let people: std::collections::HashMap<String, String> = v.people.into_iter().collect();
        r.timeline = Some(
            v.events
                .into_iter()
                .map(|e| {
                    let name = e.actor_id.as_ref().and_then(|a| people.get(a).cloned());
                    TimelineEntry {
                        actor_name: name,
                        ..e.into()
                    }
                })
                .collect(),
        );
        r.allowed = Some(v.allowed);
        r
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<ApplicationResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationListQuery {
    pub policy_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// One status or several separated by commas.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An application: an enterprise's own (no `enterprise_id`), or one the department records
/// from paper (`enterprise_id`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// What the enterprise applies for and why (申报说明).
    pub statement: String,
    /// The amount asked for, in fen.
    #[serde(default)]
    pub requested_fen: Option<i64>,
    #[serde(default)]
    pub enterprise_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveApplicationRequest {
    /// The amount approved, in fen (0 for a benefit that is not money).
    pub amount_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// The amount paid, in fen; the approved amount when left out.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// The payment's reference (凭证号) or a remark.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// The enterprises to grant it to (from the policy's fitting list), 1 to 1000 a call.
    pub enterprise_ids: Vec<String>,
    /// The amount each is granted, in fen (0 for a benefit that is not money).
    pub amount_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedEnterprise {
    pub enterprise_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantResponse {
    /// The applications created (approved, channel `granted`).
    pub granted: Vec<ApplicationResponse>,
    /// The enterprises not granted, with why.
    pub skipped: Vec<SkippedEnterprise>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionRequest {
    /// The question.
    pub description: String,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TraitsResponse {
    pub enterprise_id: String,
    /// Whether anything was ever stated (false: every field below is unknown).
    pub stated: bool,
    pub scale: Option<Scale>,
    pub size: Option<Size>,
    /// Null: not stated (unknown); `[]`: none held.
    pub qualification_ids: Option<Vec<String>>,
    pub employees: Option<i32>,
    pub revenue_band: Option<RevenueBand>,
    pub founded_on: Option<String>,
    /// False after the enterprise changed them, until staff confirm.
    pub verified: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
    pub verified_by: Option<String>,
    pub verified_at: Option<String>,
}

impl TraitsResponse {
    fn new(enterprise_id: &str, row: Option<TraitsRow>) -> Self {
        match row {
            None => TraitsResponse {
                enterprise_id: enterprise_id.to_string(),
                stated: false,
                scale: None,
                size: None,
                qualification_ids: None,
                employees: None,
                revenue_band: None,
                founded_on: None,
                verified: true,
                updated_by: None,
                updated_at: None,
                verified_by: None,
                verified_at: None,
            },
            Some(t) => TraitsResponse {
                qualification_ids: t.qualifications(),
                enterprise_id: t.enterprise_id,
                stated: true,
                scale: t.scale,
                size: t.size,
                employees: t.employees,
                revenue_band: t.revenue_band,
                founded_on: t.founded_on,
                verified: t.verified,
                updated_by: t.updated_by,
                updated_at: Some(t.updated_at),
                verified_by: t.verified_by,
                verified_at: t.verified_at,
            },
        }
    }
}

/// A change of an enterprise's information: each field given replaces it; `null` clears it
/// (unknown again).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TraitsPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Scale>)]
    pub scale: Option<Option<Scale>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Size>)]
    pub size: Option<Option<Size>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub qualification_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub employees: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<RevenueBand>)]
    pub revenue_band: Option<Option<RevenueBand>>,
    /// YYYY-MM-DD.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub founded_on: Option<Option<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// The first day of payments counted (YYYY-MM-DD, China); 1 January by default.
    pub from: Option<String>,
    /// The day after the last (exclusive); tomorrow by default.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelResponse {
    pub fits: i64,
    pub may_fit: i64,
    pub told: i64,
    /// told / (fits + may_fit); null when none fit.
    pub coverage: Option<f64>,
    pub applied: i64,
    pub approved: i64,
    pub paid: i64,
    pub approved_fen: i64,
    pub paid_fen: i64,
}

impl From<&policy_stats::Funnel> for FunnelResponse {
    fn from(f: &policy_stats::Funnel) -> Self {
        let fitting = f.fits + f.may_fit;
        FunnelResponse {
            fits: f.fits,
            may_fit: f.may_fit,
            told: f.told,
            coverage: (fitting > 0).then(|| f.told as f64 / fitting as f64),
            applied: f.applied,
            approved: f.approved,
            paid: f.paid,
            approved_fen: f.approved_fen,
            paid_fen: f.paid_fen,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldCount {
    pub field_id: String,
    pub name: String,
    pub policies: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyFunnelResponse {
    pub policy_id: String,
    pub title: String,
    pub department_id: String,
    pub field_id: String,
    #[serde(flatten)]
    pub funnel: FunnelResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaidResponse {
    /// A field's or department's id, or a month (YYYY-MM).
    pub key: String,
    pub name: String,
    pub applications: i64,
    pub paid_fen: i64,
}

impl From<policy_stats::Paid> for PaidResponse {
    fn from(p: policy_stats::Paid) -> Self {
        PaidResponse {
            key: p.key,
            name: p.name,
            applications: p.applications,
            paid_fen: p.paid_fen,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyFiguresResponse {
    pub from: String,
    /// Exclusive.
    pub to: String,
    pub in_force_by_field: Vec<FieldCount>,
    /// Over every policy in force: (policy, enterprise) pairs.
    pub total: FunnelResponse,
    /// Enterprises that fit or may fit at least one policy in force.
    pub enterprises_fitting: i64,
    pub policies: Vec<PolicyFunnelResponse>,
    /// Paid within the period.
    pub paid: PaidResponse,
    pub paid_by_field: Vec<PaidResponse>,
    pub paid_by_department: Vec<PaidResponse>,
    pub paid_by_month: Vec<PaidResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PayoutQuery {
    /// The year whose approvals are listed; this year by default.
    pub year: Option<i32>,
}

// --- checks ------------------------------------------------------------------------------------

fn day(errors: &mut FieldErrors, field: &str, value: Option<String>) -> Option<String> {
    let v = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())?;
    match chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        Ok(d) => Some(d.format("%Y-%m-%d").to_string()),
        Err(_) => {
            errors.add(field, "must be a date, YYYY-MM-DD");
            None
        }
    }
}

fn fen(errors: &mut FieldErrors, field: &str, value: Option<i64>) -> Option<i64> {
    match value {
        Some(v) if !(0..=MAX_FEN).contains(&v) => {
            errors.add(field, "must be between 0 and 1,000,000,000,000 fen");
            None
        }
        other => other,
    }
}

fn id_of(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    uuid::Uuid::parse_str(value.trim())
        .map(|u| u.hyphenated().to_string())
        .unwrap_or_else(|_| {
            errors.add(field, "is not an id");
            String::new()
        })
}

fn values(errors: &mut FieldErrors, field: &str, list: Vec<String>) -> Vec<String> {
    if list.len() > MAX_CRITERION_VALUES {
        errors.add(field, format!("at most {MAX_CRITERION_VALUES} values"));
    }
    let mut out: Vec<String> = Vec::new();
    for v in list {
        let v = v.trim().to_string();
        if v.is_empty() || v.chars().count() > limits::NAME {
            errors.add(field, "each value is 1 to 100 characters");
        } else if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The request as a policy text, every field checked (422 naming each wrong one).
fn policy_text(
    who: &crate::auth::Principal,
    req: PolicyRequest,
) -> Result<(PolicyText, Option<String>), AppError> {
    let mut errors = FieldErrors::new();
    errors.required_text("title", &req.title, limits::TITLE);
    errors.required_text("summary", &req.summary, MAX_SUMMARY);
    let document_number = errors
        .optional_text("document_number", req.document_number, limits::NAME)
        .unwrap_or_default();
    let full_text = errors
        .optional_text("full_text", req.full_text, MAX_FULL_TEXT)
        .unwrap_or_default();
    let how_to_apply = errors
        .optional_text("how_to_apply", req.how_to_apply, MAX_SUMMARY)
        .unwrap_or_default();
    let contact = errors
        .optional_text("contact", req.contact, limits::ADDRESS)
        .unwrap_or_default();
    let other_conditions = errors
        .optional_text("other_conditions", req.other_conditions, MAX_SUMMARY)
        .unwrap_or_default();
    let note = errors.optional_text("note", req.note, limits::NOTE);
    let department_id = match (req.department_id, who.department_id.clone()) {
        (Some(d), _) => id_of(&mut errors, "department_id", &d),
        (None, Some(own)) => own,
        (None, None) => {
            errors.add("department_id", "name the issuing department");
            String::new()
        }
    };
    let field_id = id_of(&mut errors, "field_id", &req.field_id);
    let mut benefit = req.benefit;
    errors.required_text("benefit.description", &benefit.description, MAX_SUMMARY);
    benefit.description = benefit.description.trim().to_string();
    benefit.amount_fen = fen(&mut errors, "benefit.amount_fen", benefit.amount_fen);
    match benefit.kind {
        BenefitKind::Amount if benefit.amount_fen.is_none_or(|a| a <= 0) => errors.add(
            "benefit.amount_fen",
            "a benefit of an amount names it, in fen",
        ),
        BenefitKind::Rate
            if benefit
                .rate_percent
                .is_none_or(|r| !(r > 0.0 && r <= 100.0)) =>
        {
            errors.add("benefit.rate_percent", "a rate is above 0 and at most 100")
        }
        _ => {}
    }
    let opens_on = day(&mut errors, "opens_on", req.opens_on);
    let closes_on = day(&mut errors, "closes_on", req.closes_on);
    let expires_on = day(&mut errors, "expires_on", req.expires_on);
    if let (Some(o), Some(c)) = (&opens_on, &closes_on)
        && o > c
    {
        errors.add("closes_on", "must not be before opens_on");
    }
    let mut criteria = req.criteria.unwrap_or_default();
    criteria.industry_chains = values(
        &mut errors,
        "criteria.industry_chains",
        criteria.industry_chains,
    );
    criteria.areas = values(&mut errors, "criteria.areas", criteria.areas);
    criteria.qualification_ids = values(
        &mut errors,
        "criteria.qualification_ids",
        criteria.qualification_ids,
    );
    criteria.founded_after = day(
        &mut errors,
        "criteria.founded_after",
        criteria.founded_after,
    );
    criteria.founded_before = day(
        &mut errors,
        "criteria.founded_before",
        criteria.founded_before,
    );
    if let (Some(a), Some(b)) = (&criteria.founded_after, &criteria.founded_before)
        && a > b
    {
        errors.add(
            "criteria.founded_before",
            "must not be before founded_after",
        );
    }
    criteria.scales.dedup();
    criteria.sizes.dedup();
    if let Some(problem) = crate::service::attachments::ids_problem(&req.attachment_ids) {
        errors.add("attachment_ids", problem);
    }
    errors.finish()?;
    Ok((
        PolicyText {
            title: req.title.trim().to_string(),
            document_number: document_number.trim().to_string(),
            department_id,
            field_id,
            summary: req.summary.trim().to_string(),
            full_text: full_text.trim().to_string(),
            benefit,
            opens_on,
            closes_on,
            expires_on,
            how_to_apply: how_to_apply.trim().to_string(),
            contact: contact.trim().to_string(),
            criteria,
            other_conditions: other_conditions.trim().to_string(),
            free_grant: req.free_grant.unwrap_or(false),
            attachment_ids: req.attachment_ids,
        },
        note,
    ))
}

/// A query parameter naming a record by id: none when left out or blank, 400 when not an id.
fn query_id(field: &str, v: Option<String>) -> Result<Option<String>, AppError> {
    v.filter(|v| !v.trim().is_empty())
        .map(|v| {
            uuid::Uuid::parse_str(v.trim())
                .map(|u| u.hyphenated().to_string())
                .map_err(|_| AppError::invalid_query(field, "is not an id"))
        })
        .transpose()
}

fn words(state: &State, t: &PolicyText) -> String {
    state
        .segmenter
        .index_text(&[&t.title, &t.document_number, &t.summary, &t.full_text])
}

fn with_etag(revision: i32, body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, format!("\"{revision}\"")))
        .json(body)
}

/// Runs the push (`service::policy_push`) on a blocking thread without waiting for it: after
/// a publication, an amendment or an enterprise's changed information. The background loop
/// finishes whatever this does not.
pub fn push_soon(state: &State) {
    let (db, outbox, clock) = (state.db.clone(), state.outbox.clone(), state.clock.clone());
    tokio::task::spawn_blocking(move || {
        match crate::service::policy_push::run(&db, &outbox, clock.now()) {
            Ok(r) if r.pushed > 0 => tracing::info!(?r, "policies pushed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the policy push failed; the next round retries"),
        }
    });
}

// --- handlers: terms ---------------------------------------------------------------------------

/// The policy fields (领域) and enterprise qualifications (资质) the administrator keeps
/// (every role).
#[utoipa::path(get, path = "/api/v1/policy-terms", tag = "policies",
    params(TermQuery),
    responses((status = 200, body = TermList), (status = 400, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_terms(
    state: State,
    _auth: Auth,
    query: web::Query<TermQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = crate::api::params::one_of::<TermKind>("kind", query.kind.as_deref())?;
    let rows = state.read(move |c| policies::terms(c, kind)).await?;
    Ok(HttpResponse::Ok().json(TermList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Add a field or a qualification (administrators).
#[utoipa::path(post, path = "/api/v1/policy-terms", tag = "policies",
    request_body = CreateTermRequest,
    responses((status = 201, body = TermResponse), (status = 403, body = ErrorResponse),
        (status = 409, description = "the name is taken", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn create_term(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<CreateTermRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    crate::service::require_role(&who, &[crate::domain::ticket::Role::Admin])?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("name", &req.name, limits::NAME);
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let name = req.name.trim().to_string();
    let row = state
        .write(move |c| policies::create_term(c, &by, &who, req.kind, name, now))
        .await?;
    Ok(HttpResponse::Created().json(TermResponse::from(row)))
}

/// Rename a term, or retire it (`active: false`) (administrators).
#[utoipa::path(patch, path = "/api/v1/policy-terms/{id}", tag = "policies",
    params(("id" = String, Path)),
    request_body = UpdateTermRequest,
    responses((status = 200, body = TermResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn update_term(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<UpdateTermRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    crate::service::require_role(&who, &[crate::domain::ticket::Role::Admin])?;
    let id = path_id(&id, "term")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if let Some(n) = &req.name {
        errors.required_text("name", n, limits::NAME);
    }
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let name = req.name.map(|n| n.trim().to_string());
    let row = state
        .write(move |c| policies::update_term(c, &by, &who, &id, name, req.active, now))
        .await?;
    Ok(HttpResponse::Ok().json(TermResponse::from(row)))
}

// --- handlers: the catalogue -------------------------------------------------------------------

/// The catalogue (every role): enterprises see published policies (in force unless
/// `in_force=false`); staff also withdrawn ones and drafts (a cadre their department's).
/// With `q`, the best matches first, one page.
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies",
    params(PolicyListQuery),
    responses((status = 200, body = PolicyList), (status = 400, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_policies(
    state: State,
    auth: Auth,
    query: web::Query<PolicyListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let text = q.q.as_deref().map(str::trim).unwrap_or("");
    if text.chars().count() > limits::SEARCH {
        return Err(AppError::invalid_query(
            "q",
            format!("at most {} characters", limits::SEARCH),
        ));
    }
    let words = if text.is_empty() {
        Vec::new()
    } else {
        state.segmenter.query_words(text)
    };
    let enterprise = who.role == crate::domain::ticket::Role::Enterprise;
    let query = ListQuery {
        filter: PolicyFilter {
            statuses: list_of::<PolicyStatus>("status", q.status.as_deref())?,
            field_id: query_id("field_id", q.field_id)?,
            department_id: query_id("department_id", q.department_id)?,
            free_grant: q.free_grant,
            drafts_of: None,
        },
        words,
        in_force_only: q.in_force.unwrap_or(enterprise),
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let now = state.clock.now();
    let page = state
        .read(move |c| policies::list(c, &who, query, limit, now))
        .await?;
    Ok(HttpResponse::Ok().json(PolicyList {
        items: page
            .items
            .into_iter()
            .map(|v| PolicyResponse::new(v, false))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Draft a policy: administrators for any department, a cadre for their own. It starts a
/// draft; an administrator publishes it.
#[utoipa::path(post, path = "/api/v1/policies", tag = "policies",
    request_body = PolicyRequest,
    responses((status = 201, body = PolicyResponse),
        (status = 403, description = "an enterprise, a dispatcher, or a cadre for another department", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn create_policy(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<PolicyRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    if !matches!(
        who.role,
        crate::domain::ticket::Role::Admin | crate::domain::ticket::Role::Cadre
    ) {
        return Err(AppError::forbidden(
            "policies are drafted by administrators and departments' cadres",
        ));
    }
    let ApiJson(req) = body;
    let (text, _) = policy_text(&who, req)?;
    let words = words(&state, &text);
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let view = state
        .write(move |c| policies::create(c, &by, &who, text, words, now))
        .await?;
    let (id, revision) = (view.row.id.clone(), view.row.revision);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/policies/{id}")))
        .insert_header((actix_web::http::header::ETAG, format!("\"{revision}\"")))
        .json(PolicyResponse::new(view, true)))
}

/// A policy with its versions and documents; for an enterprise, how it stands against it
/// (404 for a draft not the caller's to see, or a withdrawn one for an enterprise).
#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = PolicyDetailResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_policy(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let now = state.clock.now();
    let detail = state
        .read(move |c| policies::detail(c, &who, &id, now))
        .await?;
    let revision = detail.view.row.revision;
    Ok(with_etag(revision, PolicyDetailResponse::from(detail)))
}

/// Replace a policy's text: a draft by its department or an administrator; a published one by
/// an administrator, as an amendment with a `note` — the next version, the old one kept, and
/// pushed to enterprises that fit only now.
#[utoipa::path(put, path = "/api/v1/policies/{id}", tag = "policies",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "The policy's `revision` the change is meant for: 412 if it has changed since")),
    request_body = PolicyRequest,
    responses((status = 200, body = PolicyResponse),
        (status = 400, description = "If-Match is not a revision", body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "withdrawn", body = ErrorResponse),
        (status = 412, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn replace_policy(
    state: State,
    auth: Auth,
    ip: ClientIp,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ApiJson<PolicyRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let ApiJson(req) = body;
    let (text, note) = policy_text(&who, req)?;
    let words = words(&state, &text);
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let expected = if_match.0;
    let view = state
        .write(move |c| policies::replace(c, &by, &who, &id, text, words, note, expected, now))
        .await?;
    if view.row.push_state == PushState::Pending {
        push_soon(&state);
    }
    let revision = view.row.revision;
    Ok(with_etag(revision, PolicyResponse::new(view, true)))
}

/// Publish a draft (administrators): version 1; it is pushed to the enterprises that fit.
#[utoipa::path(post, path = "/api/v1/policies/{id}/publish", tag = "policies",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "The draft's `revision`")),
    responses((status = 200, body = PolicyResponse),
        (status = 400, description = "If-Match is not a revision", body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "not a draft", body = ErrorResponse),
        (status = 412, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn publish_policy(
    state: State,
    auth: Auth,
    ip: ClientIp,
    if_match: IfMatch,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let expected = if_match.0;
    let view = state
        .write(move |c| policies::publish(c, &by, &who, &id, expected, now))
        .await?;
    push_soon(&state);
    let revision = view.row.revision;
    Ok(with_etag(revision, PolicyResponse::new(view, true)))
}

/// Withdraw a published policy, with the reason (administrators). Its applications stay and
/// may still be decided and paid.
#[utoipa::path(post, path = "/api/v1/policies/{id}/withdraw", tag = "policies",
    params(("id" = String, Path)),
    request_body = WithdrawRequest,
    responses((status = 200, body = PolicyResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "not published", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn withdraw_policy(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<WithdrawRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("reason", &req.reason, limits::NOTE);
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let reason = req.reason.trim().to_string();
    let view = state
        .write(move |c| policies::withdraw(c, &by, &who, &id, reason, now))
        .await?;
    Ok(HttpResponse::Ok().json(PolicyResponse::new(view, true)))
}

/// One published version's text, as it was.
#[utoipa::path(get, path = "/api/v1/policies/{id}/versions/{version}", tag = "policies",
    params(("id" = String, Path), ("version" = i32, Path)),
    responses((status = 200, body = VersionResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_version(
    state: State,
    auth: Auth,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let (id, n) = path.into_inner();
    let id = path_id(&id, "policy")?;
    let (row, text) = state
        .read(move |c| policies::version(c, &who, &id, n))
        .await?;
    Ok(HttpResponse::Ok().json(VersionResponse {
        version: row.version,
        note: row.note,
        published_by: row.published_by,
        published_at: row.published_at,
        text,
    }))
}

/// The enterprises that fit a policy ("these 37 enterprises fit"), with what has reached each
/// — its department's cadres, dispatchers, administrators.
#[utoipa::path(get, path = "/api/v1/policies/{id}/enterprises", tag = "policies",
    params(("id" = String, Path), FittingQuery),
    responses((status = 200, body = FittingResponse), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn fitting(
    state: State,
    auth: Auth,
    id: web::Path<String>,
    query: web::Query<FittingQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let q = query.into_inner();
    let only = match crate::api::params::one_of::<Fit>("fit", q.fit.as_deref())? {
        Some(Fit::No) => return Err(AppError::invalid_query("fit", "fits or may_fit")),
        other => other,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid_query(
            "limit",
            "must be between 1 and 500",
        ));
    }
    let offset = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<usize>()
            .map_err(|_| AppError::invalid_query("cursor", "is not a cursor of this list"))?,
    };
    let list = state
        .read(move |c| policies::fitting(c, &who, &id, only, offset, limit))
        .await?;
    Ok(HttpResponse::Ok().json(FittingResponse::from(list)))
}

/// 免申即享: grant the policy to enterprises from its fitting list in one step (its
/// department's cadres, administrators). Each gets an approved application and is told; those
/// that do not fit or have applied already are listed as skipped.
#[utoipa::path(post, path = "/api/v1/policies/{id}/grant", tag = "policies",
    params(("id" = String, Path)),
    request_body = GrantRequest,
    responses((status = 200, body = GrantResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "not in force, or not a 免申即享 policy", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn grant(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<GrantRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if req.enterprise_ids.is_empty() || req.enterprise_ids.len() > MAX_GRANT {
        errors.add(
            "enterprise_ids",
            format!("name 1 to {MAX_GRANT} enterprises"),
        );
    }
    let mut ids: Vec<String> = Vec::new();
    for e in &req.enterprise_ids {
        let e = id_of(&mut errors, "enterprise_ids", e);
        if !ids.contains(&e) {
            ids.push(e);
        }
    }
    let amount = fen(&mut errors, "amount_fen", Some(req.amount_fen)).unwrap_or(0);
    let note = errors.optional_text("note", req.note, limits::NOTE);
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let outbox = state.outbox.clone();
    let report = state
        .write(move |c| applications::grant(c, &outbox, &by, &who, &id, &ids, amount, note, now))
        .await?;
    state.outbox.wake();
    Ok(HttpResponse::Ok().json(GrantResponse {
        granted: report.granted.into_iter().map(Into::into).collect(),
        skipped: report
            .skipped
            .into_iter()
            .map(|(enterprise_id, reason)| SkippedEnterprise {
                enterprise_id,
                reason,
            })
            .collect(),
    }))
}

/// Ask about a policy (enterprises): an inquiry ticket about it, in the 政策咨询 category (or
/// the first one), which the dispatcher routes to the policy's department through the
/// ordinary loop (the routing suggestion names it first).
#[utoipa::path(post, path = "/api/v1/policies/{id}/questions", tag = "policies",
    params(("id" = String, Path)),
    request_body = QuestionRequest,
    responses((status = 201, description = "the ticket", body = crate::api::types::TicketResponse),
        (status = 403, description = "not an enterprise", body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ask(
    state: State,
    auth: Auth,
    id: web::Path<String>,
    body: ApiJson<QuestionRequest>,
) -> Result<HttpResponse, AppError> {
    use crate::service::tickets::filing::{self, NewTicket};
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("description", &req.description, limits::DESCRIPTION);
    let contact_name = errors.optional_text("contact_name", req.contact_name, limits::NAME);
    let contact_phone = errors.contact_phone("contact_phone", req.contact_phone);
    errors.finish()?;
    let options = crate::api::tickets::filing_options(&state);
    let now = state.clock.now();
    let ctx = state.ticket_context();
    let description = req.description.trim().to_string();
    let filed = state
        .write(move |c| {
            let policy = applications::may_ask(c, &who, &id)?;
            let categories = crate::db::categories::list(c)?;
            let category = categories
                .iter()
                .filter(|k| !k.disabled)
                .find(|k| k.name.contains("政策"))
                .or_else(|| categories.iter().find(|k| !k.disabled))
                .ok_or_else(|| AppError::invalid_field("category_id", "no category is open"))?;
            let title: String = format!("政策咨询：{}", policy.title)
                .chars()
                .take(limits::TITLE)
                .collect();
            let input = NewTicket {
                kind: crate::domain::ticket::TicketKind::Inquiry,
                category_id: category.id.clone(),
                title,
                description,
                contact_name,
                contact_phone,
                enterprise_id: None,
                channel: None,
                priority: None,
                attachment_ids: Vec::new(),
            };
            let filed = filing::file(c, &ctx, &who, input, None, &options, now)?;
            crate::db::policies::link_question(c, &filed.ticket.ticket.id, &policy.id)?;
            Ok(filed)
        })
        .await?;
    state.outbox.expand_soon();
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/tickets/{}", filed.ticket.ticket.id),
        ))
        .json(crate::api::types::TicketResponse::new(
            filed.ticket,
            &crate::domain::time::format(now),
        )))
}

// --- handlers: applications --------------------------------------------------------------------

/// Apply for a policy: an enterprise for itself (online), or its department recording an
/// application made on paper (`enterprise_id`; the enterprise is told). Only while in force and
/// within the window, never for 免申即享, and not when the enterprise plainly does not fit.
#[utoipa::path(post, path = "/api/v1/policies/{id}/applications", tag = "policies",
    params(("id" = String, Path)),
    request_body = ApplyRequest,
    responses((status = 201, body = ApplicationResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "closed, 免申即享, not fitting (`wrong_state`), or applied already (`application_exists`)", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn apply(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<ApplyRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "policy")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("statement", &req.statement, limits::DESCRIPTION);
    let requested = fen(&mut errors, "requested_fen", req.requested_fen);
    let enterprise = req
        .enterprise_id
        .as_deref()
        .map(|e| id_of(&mut errors, "enterprise_id", e));
    errors.finish()?;
    let input = NewApplication {
        statement: req.statement.trim().to_string(),
        requested_fen: requested,
        enterprise_id: enterprise,
    };
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let outbox = state.outbox.clone();
    let view = state
        .write(move |c| applications::apply(c, &outbox, &by, &who, &id, input, now))
        .await?;
    state.outbox.wake();
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/policy-applications/{}", view.row.id),
        ))
        .json(ApplicationResponse::from(view)))
}

/// Applications, newest first: an enterprise its own, a cadre their department's policies',
/// dispatchers and administrators all.
#[utoipa::path(get, path = "/api/v1/policy-applications", tag = "policies",
    params(ApplicationListQuery),
    responses((status = 200, body = ApplicationList), (status = 400, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_applications(
    state: State,
    auth: Auth,
    query: web::Query<ApplicationListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let filter = ApplicationFilter {
        policy_id: query_id("policy_id", q.policy_id)?,
        enterprise_id: query_id("enterprise_id", q.enterprise_id)?,
        statuses: list_of::<ApplicationStatus>("status", q.status.as_deref())?,
        policy_ids: None,
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let page = state
        .read(move |c| applications::list(c, &who, filter, limit))
        .await?;
    Ok(HttpResponse::Ok().json(ApplicationList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// An application with its timeline (the enterprise's own; its policy's department; staff).
#[utoipa::path(get, path = "/api/v1/policy-applications/{id}", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_application(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "application")?;
    let view = state.read(move |c| applications::get(c, &who, &id)).await?;
    Ok(HttpResponse::Ok().json(ApplicationResponse::from(view)))
}

async fn decide(
    state: State,
    who: crate::auth::Principal,
    ip: ClientIp,
    id: String,
    decision: Decision,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, "application")?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let outbox = state.outbox.clone();
    let view = state
        .write(move |c| applications::decide(c, &outbox, &by, &who, &id, decision, now))
        .await?;
    state.outbox.wake();
    Ok(HttpResponse::Ok().json(ApplicationResponse::from(view)))
}

/// Approve a submitted application with the amount (the policy's department, administrators).
#[utoipa::path(post, path = "/api/v1/policy-applications/{id}/approve", tag = "policies",
    params(("id" = String, Path)),
    request_body = ApproveApplicationRequest,
    responses((status = 200, body = ApplicationResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "not submitted", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn approve(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<ApproveApplicationRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let amount = fen(&mut errors, "amount_fen", Some(req.amount_fen)).unwrap_or(0);
    let note = errors.optional_text("note", req.note, limits::NOTE);
    errors.finish()?;
    decide(
        state,
        auth.0,
        ip,
        id.into_inner(),
        Decision::Approve {
            amount_fen: amount,
            note,
        },
    )
    .await
}

/// Refuse a submitted application with the reason (the policy's department, administrators).
/// The enterprise may apply again.
#[utoipa::path(post, path = "/api/v1/policy-applications/{id}/refuse", tag = "policies",
    params(("id" = String, Path)),
    request_body = RefuseRequest,
    responses((status = 200, body = ApplicationResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "not submitted", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn refuse(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<RefuseRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("reason", &req.reason, limits::NOTE);
    errors.finish()?;
    let reason = req.reason.trim().to_string();
    decide(
        state,
        auth.0,
        ip,
        id.into_inner(),
        Decision::Refuse { reason },
    )
    .await
}

/// Record the payment of an approved application (the policy's department, administrators).
#[utoipa::path(post, path = "/api/v1/policy-applications/{id}/pay", tag = "policies",
    params(("id" = String, Path)),
    request_body = PayRequest,
    responses((status = 200, body = ApplicationResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "not approved", body = ErrorResponse),
        (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn pay(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<PayRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let amount = fen(&mut errors, "amount_fen", req.amount_fen);
    let note = errors.optional_text("note", req.note, limits::NOTE);
    errors.finish()?;
    decide(
        state,
        auth.0,
        ip,
        id.into_inner(),
        Decision::Pay {
            amount_fen: amount,
            note,
        },
    )
    .await
}

// --- handlers: matching and traits -------------------------------------------------------------

/// 为您推荐: the policies in force the caller's enterprise fits or may fit (enterprises).
#[utoipa::path(get, path = "/api/v1/me/policies", tag = "policies",
    responses((status = 200, body = RecommendationList),
        (status = 403, description = "not an enterprise's user", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn my_policies(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let Some(eid) = who.enterprise_id.clone() else {
        return Err(AppError::forbidden(
            "recommended policies are an enterprise's: see /enterprises/{id}/policies",
        ));
    };
    let now = state.clock.now();
    let items = state
        .read(move |c| policies::recommended(c, &who, &eid, now))
        .await?;
    Ok(HttpResponse::Ok().json(RecommendationList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// The policies an enterprise fits or may fit, for whoever may read the enterprise (its
/// liaison cadre and deputies, dispatchers, administrators, its own people).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/policies", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = RecommendationList), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn enterprise_policies(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "enterprise")?;
    let now = state.clock.now();
    let items = state
        .read(move |c| policies::recommended(c, &who, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(RecommendationList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// An enterprise's information that matching reads (size, qualifications, …), for whoever
/// may read the enterprise.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/traits", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = TraitsResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_traits(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "enterprise")?;
    let key = id.clone();
    let row = state.read(move |c| policies::traits(c, &who, &key)).await?;
    Ok(HttpResponse::Ok().json(TraitsResponse::new(&id, row)))
}

/// Change an enterprise's information: its managers (the change is unverified until staff
/// confirm it), or its liaison cadre, a dispatcher or an administrator (verified). Policies it
/// newly fits are pushed to it.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}/traits", tag = "policies",
    params(("id" = String, Path)),
    request_body = TraitsPatch,
    responses((status = 200, body = TraitsResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn update_traits(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<TraitsPatch>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "enterprise")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let founded_on = req.founded_on.map(|v| day(&mut errors, "founded_on", v));
    if let Some(Some(n)) = req.employees
        && !(0..=10_000_000).contains(&n)
    {
        errors.add("employees", "must be between 0 and 10,000,000");
    }
    let qualification_ids = req.qualification_ids.map(|v| {
        v.map(|ids| {
            if ids.len() > MAX_CRITERION_VALUES {
                errors.add("qualification_ids", "at most 50");
            }
            ids.iter()
                .map(|q| id_of(&mut errors, "qualification_ids", q))
                .collect::<Vec<_>>()
        })
    });
    errors.finish()?;
    let changes = TraitChanges {
        scale: req.scale,
        size: req.size,
        qualification_ids,
        employees: req.employees,
        revenue_band: req.revenue_band,
        founded_on,
    };
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let key = id.clone();
    let row = state
        .write(move |c| policies::set_traits(c, &by, &who, &key, changes, now))
        .await?;
    if row.recheck {
        push_soon(&state);
    }
    Ok(HttpResponse::Ok().json(TraitsResponse::new(&id, Some(row))))
}

/// Confirm an enterprise's own changes to its information (its liaison cadre, dispatchers,
/// administrators).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/traits/verify", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = TraitsResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn verify_traits(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "enterprise")?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let key = id.clone();
    let row = state
        .write(move |c| policies::verify_traits(c, &by, &who, &key, now))
        .await?;
    Ok(HttpResponse::Ok().json(TraitsResponse::new(&id, Some(row))))
}

// --- handlers: figures -------------------------------------------------------------------------

/// The policy figures (docs/kpi.md, "Policies"): policies in force by field; fitting, told,
/// applied, approved and paid, per policy and in total; amounts paid in the period by field,
/// department and month. Administrators and dispatchers all; a cadre their department's.
#[utoipa::path(get, path = "/api/v1/stats/policies", tag = "statistics",
    params(FiguresQuery),
    responses((status = 200, body = PolicyFiguresResponse), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn figures(
    state: State,
    auth: Auth,
    query: web::Query<FiguresQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let (from, to) = crate::api::stats::days(&state, query.from.as_deref(), query.to.as_deref())?;
    let last = to.pred_opt().unwrap_or(to);
    let (from_s, last_s) = (
        from.format("%Y-%m-%d").to_string(),
        last.format("%Y-%m-%d").to_string(),
    );
    let now = state.clock.now();
    let (a, b) = (from_s.clone(), last_s);
    let f = state
        .read(move |c| policy_stats::figures(c, &who, &a, &b, now))
        .await?;
    Ok(HttpResponse::Ok().json(PolicyFiguresResponse {
        from: from_s,
        to: to.format("%Y-%m-%d").to_string(),
        in_force_by_field: f
            .in_force_by_field
            .into_iter()
            .map(|(field_id, name, policies)| FieldCount {
                field_id,
                name,
                policies,
            })
            .collect(),
        total: (&f.total).into(),
        enterprises_fitting: f.enterprises_fitting,
        policies: f
            .policies
            .iter()
            .map(|p| PolicyFunnelResponse {
                policy_id: p.policy_id.clone(),
                title: p.title.clone(),
                department_id: p.department_id.clone(),
                field_id: p.field_id.clone(),
                funnel: (&p.funnel).into(),
            })
            .collect(),
        paid: f.paid_in_period.into(),
        paid_by_field: f.paid_by_field.into_iter().map(Into::into).collect(),
        paid_by_department: f.paid_by_department.into_iter().map(Into::into).collect(),
        paid_by_month: f.paid_by_month.into_iter().map(Into::into).collect(),
    }))
}

/// The year's 集中兑付 list (.xlsx): every application approved in the year, paid or to be
/// paid, with a total row. Administrators and dispatchers all; a cadre their department's.
#[utoipa::path(get, path = "/api/v1/policies/payouts.xlsx", tag = "statistics",
    params(PayoutQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn payouts(
    state: State,
    auth: Auth,
    query: web::Query<PayoutQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    payouts_of(state, who, query.year).await
}

/// The payout workbook of `year` (this year when none) as `who` may have it: the route's and
/// a signed download link's.
pub async fn payouts_of(
    state: State,
    who: crate::auth::Principal,
    year: Option<i32>,
) -> Result<HttpResponse, AppError> {
    let year = year.unwrap_or_else(|| crate::domain::time::china_date(state.clock.now()).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid_query(
            "year",
            "must be between 2000 and 2100",
        ));
    }
    let bytes = state
        .read(move |c| policy_stats::payouts_workbook(c, &who, year))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"payouts-{year}.xlsx\"; filename*=UTF-8''{}",
                crate::api::attachments::encoded_file_name(&format!(
                    "{year}年惠企政策集中兑付清单.xlsx"
                ))
            ),
        ))
        .body(bytes))
}
