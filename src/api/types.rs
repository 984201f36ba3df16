//! Response bodies, shaped for clients and decoupled from the row types they are built from.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::attachments::AttachmentRow;
use crate::db::categories::CategoryRow;
use crate::db::comments::CommentRow;
use crate::db::departments::DepartmentRow;
use crate::db::enterprises::EnterpriseRow;
use crate::db::revisits::RevisitRow;
use crate::db::ticket_events::EventRow;
use crate::db::users::UserRow;
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::timeline::EventData;
use crate::domain::ticket::{
    Action, AllowedAction, Channel, Priority, Rating, Role, TicketKind, TicketStatus,
};
use crate::search::highlight::{self, Piece};
use crate::service::tickets::TicketView;
use crate::service::tickets::queries::TicketDetail;

/// Every error: a stable code to switch on, a message for people, and for validation
/// failures the fields at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    #[schema(example = "validation_failed")]
    pub error: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: String,
    pub username: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub department_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Notices by e-mail are on.
    pub notify_email: bool,
    /// Notices by SMS are on.
    pub notify_sms: bool,
    /// The password was set by someone else (an administrator, `qiyeshao user add`): the user
    /// must choose their own (`POST /me/password`) before anything else.
    pub must_change_password: bool,
    /// Manages the enterprise's account: invites and disables colleagues, decides requests to
    /// join (`/enterprise/members`, `/join-requests`).
    pub enterprise_manager: bool,
    /// The version of the user agreement and privacy policy the user accepted last.
    pub consented_version: Option<i32>,
    /// A newer version must be accepted (`POST /me/consent`) before anything else. Said in
    /// the answers of signing in and of `GET /me`; elsewhere false.
    pub consent_required: bool,
}

impl From<UserRow> for UserResponse {
    fn from(r: UserRow) -> Self {
        UserResponse {
            id: r.id,
            username: r.username,
            name: r.name,
            phone: r.phone,
            email: r.email,
            role: r.role,
            department_id: r.department_id,
            enterprise_id: r.enterprise_id,
            disabled: r.disabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
            notify_email: r.notify_email,
            notify_sms: r.notify_sms,
            must_change_password: r.must_change_password,
            enterprise_manager: r.enterprise_manager,
            consented_version: r.consented_version,
            consent_required: false,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentResponse {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub head_user_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<DepartmentRow> for DepartmentResponse {
    fn from(r: DepartmentRow) -> Self {
        DepartmentResponse {
            id: r.id,
            name: r.name,
            parent_id: r.parent_id,
            head_user_id: r.head_user_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseResponse {
    pub id: String,
    pub name: String,
    #[schema(example = "91430112MA4L16JQ9R")]
    pub credit_code: String,
    pub industry_chain: Option<String>,
    pub area: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub liaison_cadre_id: Option<String>,
    /// Deputy liaison cadres (副联点干部).
    pub deputy_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl EnterpriseResponse {
    /// The enterprise with its deputies, picked from `deputies` (enterprise id, cadre id).
    pub fn new(r: EnterpriseRow, deputies: &[(String, String)]) -> Self {
        EnterpriseResponse {
            deputy_ids: deputies
                .iter()
                .filter(|(e, _)| *e == r.id)
                .map(|(_, c)| c.clone())
                .collect(),
            id: r.id,
            name: r.name,
            credit_code: r.credit_code,
            industry_chain: r.industry_chain,
            area: r.area,
            address: r.address,
            contact_name: r.contact_name,
            contact_phone: r.contact_phone,
            liaison_cadre_id: r.liaison_cadre_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryResponse {
    pub id: String,
    pub name: String,
    pub default_department_id: Option<String>,
    /// The deadline, counted from assignment.
    pub deadline_days: i32,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<CategoryRow> for CategoryResponse {
    fn from(r: CategoryRow) -> Self {
        CategoryResponse {
            id: r.id,
            name: r.name,
            default_department_id: r.default_department_id,
            deadline_days: r.deadline_days,
            disabled: r.disabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A ticket. Timestamps are RFC 3339 UTC; `overdue` is computed when the answer is made.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse {
    pub id: String,
    #[schema(example = "QYS20261122000123")]
    pub number: String,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub enterprise_id: String,
    pub submitter_id: String,
    pub channel: Channel,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// `contact_name` and `contact_phone` are masked for the caller (`138****5678`, `陈*`):
    /// only dispatchers, administrators, the enterprise and the cadre handling the ticket
    /// see them whole. A masked number is not one to call.
    pub contact_masked: bool,
    /// The lead department.
    pub department_id: Option<String>,
    pub co_department_ids: Vec<String>,
    pub assignee_id: Option<String>,
    pub due_at: Option<String>,
    pub overdue: bool,
    pub reopen_count: i32,
    pub rating: Option<Rating>,
    pub resolution: Option<String>,
    /// For suggestions: whether it was adopted.
    pub adopted: Option<bool>,
    /// Increases with every action.
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
    pub accepted_at: Option<String>,
    pub assigned_at: Option<String>,
    pub signed_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub rejected_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub priority: Priority,
    /// When the assigned cadre must have signed for it.
    pub sign_due_at: Option<String>,
    /// Approved extensions (延期).
    pub extension_count: i32,
    /// An extension request waits for a dispatcher's or administrator's decision (待审批).
    pub extension_pending: bool,
    /// 0: not escalated; 1: overdue (督办); 2: the department head was told; 3: the
    /// administrators were.
    pub escalation_level: i32,
    /// Closed because the enterprise did not rate it within the revisit window.
    pub no_response: bool,
    /// Working days from filing to resolution, while resolved or closed.
    pub handling_days: Option<i32>,
    /// Merged (`status` `merged`) into this request, its primary, and when: it follows the
    /// primary, whose public steps its timeline carries too. For a merged request
    /// `resolved_at` is when the primary was resolved.
    pub merged_into_id: Option<String>,
    pub merged_at: Option<String>,
    /// What the caller may do to the ticket now, by the workflow's rules (its role, how it
    /// stands to the ticket, the status, a waiting extension request): each workflow action
    /// is `POST /tickets/{id}/{action}`; `comment` is `POST /tickets/{id}/comments`;
    /// `extension_request` is `POST /tickets/{id}/extensions`; `extension_approve` and
    /// `extension_deny` decide the waiting request. Pages draw their buttons from it.
    pub allowed_actions: Vec<AllowedAction>,
    /// In a list searched with `q` only: where the query's words are in the title and the
    /// description. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Highlight>,
}

/// Where a search's words occur in a listed ticket, as pieces of plain text: a page shows
/// each piece as text and wraps those with `hit` in a `<mark>` (never as HTML).
#[derive(Debug, Serialize, ToSchema)]
pub struct Highlight {
    /// The whole title.
    pub title: Vec<Piece>,
    /// Up to 60 characters of the description around its first hit (its start when the
    /// words matched elsewhere), with `…` where it was cut.
    pub description: Vec<Piece>,
}

impl Highlight {
    pub fn of(ticket: &Ticket, words: &[String]) -> Highlight {
        Highlight {
            title: highlight::pieces(&ticket.title, words),
            description: highlight::snippet(&ticket.description, words),
        }
    }
}

impl TicketResponse {
    pub fn new(view: TicketView, now: &str) -> Self {
        let overdue = view.ticket.is_overdue(now);
        let t = view.ticket;
        TicketResponse {
            id: t.id,
            number: t.number,
            kind: t.kind,
            status: t.status,
            title: t.title,
            description: t.description,
            category_id: t.category_id,
            enterprise_id: t.enterprise_id,
            submitter_id: t.submitter_id,
            channel: t.channel,
            contact_name: t.contact_name,
            contact_phone: t.contact_phone,
            contact_masked: view.contact_masked,
            department_id: t.department_id,
            co_department_ids: t.co_department_ids,
            assignee_id: t.assignee_id,
            due_at: t.due_at,
            reopen_count: t.reopen_count,
            rating: t.rating,
            resolution: t.resolution,
            adopted: t.adopted,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            accepted_at: t.accepted_at,
            assigned_at: t.assigned_at,
            signed_at: t.signed_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            rejected_at: t.rejected_at,
            withdrawn_at: t.withdrawn_at,
            priority: t.priority,
            sign_due_at: t.sign_due_at,
            extension_count: t.extension_count,
            extension_pending: t.extension_pending,
            merged_into_id: t.merged_into_id,
            merged_at: t.merged_at,
            escalation_level: t.escalation_level,
            no_response: t.no_response,
            handling_days: t.handling_days,
            overdue,
            allowed_actions: view.allowed_actions,
            highlight: None,
        }
    }
}

/// One step on a ticket's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    pub id: String,
    /// 1 for the filing, then one more per action.
    pub seq: i32,
    pub action: Action,
    pub from_status: Option<TicketStatus>,
    pub to_status: TicketStatus,
    pub actor_id: Option<String>,
    pub actor_role: Option<Role>,
    pub note: Option<String>,
    /// Shown to the enterprise.
    pub public: bool,
    /// Details of the action: department, assignee, deadline, rating…
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    pub created_at: String,
}

impl From<EventRow> for EventResponse {
    fn from(r: EventRow) -> Self {
        EventResponse {
            id: r.id,
            seq: r.seq,
            // The details as the action wrote them, through their type (an unreadable one is
            // left out rather than sent as it is).
            data: r
                .data
                .as_deref()
                .and_then(|d| EventData::parse(r.action, d))
                .and_then(|d| serde_json::to_value(d).ok()),
            action: r.action,
            from_status: r.from_status,
            to_status: r.to_status,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            note: r.note,
            public: r.public,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    pub id: String,
    pub ticket_id: String,
    pub author_id: String,
    pub body: String,
    pub internal: bool,
    pub created_at: String,
}

impl From<CommentRow> for CommentResponse {
    fn from(r: CommentRow) -> Self {
        CommentResponse {
            id: r.id,
            ticket_id: r.ticket_id,
            author_id: r.author_id,
            body: r.body,
            internal: r.internal,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisitResponse {
    pub id: String,
    pub rating: Rating,
    pub comment: Option<String>,
    pub channel: Channel,
    pub recorded_by: String,
    pub created_at: String,
}

impl From<RevisitRow> for RevisitResponse {
    fn from(r: RevisitRow) -> Self {
        RevisitResponse {
            id: r.id,
            rating: r.rating,
            comment: r.comment,
            channel: r.channel,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
}

/// A ticket with its timeline, comments and revisits (internal ones only for government users).
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetailResponse {
    #[serde(flatten)]
    pub ticket: TicketResponse,
    pub events: Vec<EventResponse>,
    pub comments: Vec<CommentResponse>,
    pub revisits: Vec<RevisitResponse>,
    pub attachments: Vec<AttachmentResponse>,
    /// The filing enterprise's name.
    pub enterprise_name: String,
    /// The names of the people the timeline, comments, revisits and assignee name, by user id.
    pub people: std::collections::BTreeMap<String, String>,
    /// Whether a progress note is shown to the enterprise when its `public` is left out
    /// (`tickets.progress_public_by_default`): where the progress form starts.
    pub progress_public_default: bool,
    /// For a merged request: the request it follows (its number, status and deadline; its
    /// text and enterprise are not the reader's to see).
    pub merged_into: Option<PrimaryResponse>,
    /// For staff: the requests merged into this one, oldest first. Always empty for
    /// enterprise users.
    pub duplicates: Vec<DuplicateResponse>,
}

/// The request a merged one follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrimaryResponse {
    pub id: String,
    pub number: String,
    pub status: TicketStatus,
    pub due_at: Option<String>,
    pub resolved_at: Option<String>,
}

/// A request merged into the one shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateResponse {
    pub id: String,
    pub number: String,
    pub title: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub merged_at: Option<String>,
    /// Its enterprise's rating of the primary's resolution, once given.
    pub rating: Option<Rating>,
}

/// An uploaded file; its bytes are at `GET /api/v1/attachments/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentResponse {
    pub id: String,
    pub file_name: String,
    /// Decided from the file's bytes: image/jpeg, image/png, image/gif, image/webp,
    /// application/pdf, application/msword, application/vnd.ms-excel, or the Office Open XML
    /// types of .docx and .xlsx.
    pub content_type: String,
    pub size: i64,
    /// Set once the file is attached to a ticket.
    pub ticket_id: Option<String>,
    /// The comment it came with, if any.
    pub comment_id: Option<String>,
    /// The timeline entry (its `seq`) it came with, if any: a progress note or a resolution.
    /// The file is shown to whoever is shown that entry.
    pub event_seq: Option<i32>,
    /// Set once the file is a visit's photo.
    pub visit_id: Option<String>,
    pub uploaded_by: String,
    pub created_at: String,
}

impl From<AttachmentRow> for AttachmentResponse {
    fn from(r: AttachmentRow) -> Self {
        AttachmentResponse {
            id: r.id,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            ticket_id: r.ticket_id,
            comment_id: r.comment_id,
            event_seq: r.event_seq,
            visit_id: r.visit_id,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
        }
    }
}

impl TicketDetailResponse {
    pub fn new(detail: TicketDetail, now: &str, progress_public_default: bool) -> Self {
        TicketDetailResponse {
            progress_public_default,
            ticket: TicketResponse::new(detail.ticket, now),
            events: detail.events.into_iter().map(Into::into).collect(),
            comments: detail.comments.into_iter().map(Into::into).collect(),
            revisits: detail.revisits.into_iter().map(Into::into).collect(),
            attachments: detail.attachments.into_iter().map(Into::into).collect(),
            enterprise_name: detail.enterprise_name,
            people: detail.people,
            merged_into: detail.merged_into.map(|p| PrimaryResponse {
                id: p.id,
                number: p.number,
                status: p.status,
                due_at: p.due_at,
                resolved_at: p.resolved_at,
            }),
            duplicates: detail
                .duplicates
                .into_iter()
                .map(|(d, enterprise_name)| DuplicateResponse {
                    id: d.id,
                    number: d.number,
                    title: d.title,
                    enterprise_id: d.enterprise_id,
                    enterprise_name,
                    merged_at: d.merged_at,
                    rating: d.rating,
                })
                .collect(),
        }
    }
}

macro_rules! list_type {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        $(#[$meta])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

list_type!(TicketList, TicketResponse);
list_type!(UserList, UserResponse);
list_type!(EnterpriseList, EnterpriseResponse);
list_type!(DepartmentList, DepartmentResponse);
list_type!(CategoryList, CategoryResponse);

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Use once with /auth/refresh; each refresh returns a new one.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: UserResponse,
}
