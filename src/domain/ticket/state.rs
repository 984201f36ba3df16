//! A ticket as the workflow sees it: every stored field, typed. The database's row
//! (`db::tickets`) converts to and from it at the repository's edge, so that nothing above
//! the database handles the row itself.

use super::rules::Situation;
use super::{Channel, Priority, Rating, TicketKind, TicketStatus};

/// A ticket (诉求). Timestamps are the fixed-width UTC text of `domain::time::format`, so
/// that comparing two compares the instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: String,
    /// `QYS20261122000123`: see [`super::format_number`].
    pub number: String,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub enterprise_id: String,
    /// Who filed it: an enterprise user, or staff on the enterprise's behalf.
    pub submitter_id: String,
    pub channel: Channel,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// The lead department (牵头单位).
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    /// Co-handling departments (协办单位), sorted.
    pub co_department_ids: Vec<String>,
    pub due_at: Option<String>,
    /// Unsatisfied revisits that sent it back (重办).
    pub reopen_count: i32,
    pub rating: Option<Rating>,
    pub resolution: Option<String>,
    /// For suggestions: whether it was adopted.
    pub adopted: Option<bool>,
    /// 1 at filing, one more with every change; the timeline's last `seq`.
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
    /// An urgent deadline counts hours, not working days.
    pub priority: Priority,
    /// When the assigned cadre must have signed for it.
    pub sign_due_at: Option<String>,
    /// Approved extensions (延期).
    pub extension_count: i32,
    /// The scheduler's marks for the deadline in force (cleared when it changes).
    pub reminded_at: Option<String>,
    pub sign_reminded_at: Option<String>,
    pub overdue_at: Option<String>,
    /// 0 none; 1 overdue (督办); 2 the department head; 3 the administrators.
    pub escalation_level: i32,
    /// Closed because the enterprise did not rate it within the revisit window.
    pub no_response: bool,
    /// Working days from filing to resolution, kept when it is resolved (docs/kpi.md).
    pub handling_days: Option<i32>,
    /// An extension request (延期) waits for a decision.
    pub extension_pending: bool,
    /// A duplicate merged into this ticket (the primary, 主件), and when. A merged ticket
    /// follows its primary; its `resolved_at` is when the primary was first resolved.
    pub merged_into_id: Option<String>,
    pub merged_at: Option<String>,
}

/// What a new ticket is filed with; everything else starts empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing {
    pub id: String,
    pub number: String,
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub enterprise_id: String,
    pub submitter_id: String,
    pub channel: Channel,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub priority: Priority,
    /// When it was filed, which is when it was last updated.
    pub at: String,
}

impl Ticket {
    /// A ticket just filed: submitted, version 1, assigned to nobody.
    pub fn filed(f: Filing) -> Ticket {
        Ticket {
            id: f.id,
            number: f.number,
            kind: f.kind,
            status: TicketStatus::Submitted,
            title: f.title,
            description: f.description,
            category_id: f.category_id,
            enterprise_id: f.enterprise_id,
            submitter_id: f.submitter_id,
            channel: f.channel,
            contact_name: f.contact_name,
            contact_phone: f.contact_phone,
            department_id: None,
            assignee_id: None,
            co_department_ids: Vec::new(),
            due_at: None,
            reopen_count: 0,
            rating: None,
            resolution: None,
            adopted: None,
            version: 1,
            created_at: f.at.clone(),
            updated_at: f.at,
            accepted_at: None,
            assigned_at: None,
            signed_at: None,
            resolved_at: None,
            closed_at: None,
            rejected_at: None,
            withdrawn_at: None,
            priority: f.priority,
            sign_due_at: None,
            extension_count: 0,
            reminded_at: None,
            sign_reminded_at: None,
            overdue_at: None,
            escalation_level: 0,
            no_response: false,
            handling_days: None,
            extension_pending: false,
            merged_into_id: None,
            merged_at: None,
        }
    }

    /// Past its deadline at `now` (the same text format).
    pub fn is_overdue(&self, now: &str) -> bool {
        self.status.is_handling() && self.due_at.as_deref().is_some_and(|due| due < now)
    }

    pub fn is_urgent(&self) -> bool {
        self.priority == Priority::Urgent
    }

    /// The facts the rules ask about.
    pub fn situation(&self) -> Situation {
        Situation {
            status: self.status,
            has_assignee: self.assignee_id.is_some(),
            has_deadline: self.due_at.is_some(),
            extension_pending: self.extension_pending,
            resolved: self.resolved_at.is_some(),
            rated: self.rating.is_some(),
        }
    }

    /// Forgets what the scheduler did about the previous deadline, so that a new one gets
    /// its own reminders and escalations.
    pub fn reset_deadline_marks(&mut self) {
        self.reminded_at = None;
        self.sign_reminded_at = None;
        self.overdue_at = None;
        self.escalation_level = 0;
    }
}
