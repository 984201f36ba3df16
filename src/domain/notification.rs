//! Notifications as rules: the channels and statuses of the outbox, which ticket events notify
//! whom (an action may raise several events, one per audience), how long to wait before trying a failed delivery again, and how recipients are
//! written in logs (masked).

use std::time::Duration;

use crate::domain::ticket::{Action, TicketStatus};

text_enum!(
    /// How a message travels: e-mail, SMS, or a group robot (WeCom, DingTalk; the recipient
    /// is the robot's name).
    NotifyChannel {
        Email => "email",
        Sms => "sms",
        Robot => "robot",
    }
);

text_enum!(
    /// Where a message is in the outbox. `Sending` rows are leased to a worker until their
    /// `next_attempt_at`; a lease that runs out (the worker died) makes them due again.
    NotifyStatus {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
    }
);

text_enum!(
    /// The ticket events that notify someone. Each has a message template and, for the SMS
    /// gateways, a pre-approved template code, and can be turned off in the configuration.
    /// Those named `…_enterprise`, and `ticket_accepted`, `ticket_progress`, `ticket_extended`,
    /// `ticket_closed_unrated`, `ticket_merged` and `ticket_unmerged`, tell the filing
    /// enterprise; their twins without the suffix
    /// tell the government's side.
    NotifyEvent {
        TicketFiled => "ticket_filed",
        TicketFiledOnVisit => "ticket_filed_on_visit",
        TicketAccepted => "ticket_accepted",
        TicketAssigned => "ticket_assigned",
        TicketAssignedEnterprise => "ticket_assigned_enterprise",
        TicketProgress => "ticket_progress",
        TicketReturned => "ticket_returned",
        TicketUrged => "ticket_urged",
        TicketResolved => "ticket_resolved",
        TicketReopened => "ticket_reopened",
        TicketReopenedEnterprise => "ticket_reopened_enterprise",
        TicketRejected => "ticket_rejected",
        TicketClosedUnrated => "ticket_closed_unrated",
        DeadlineReminder => "deadline_reminder",
        SignReminder => "sign_reminder",
        TicketOverdue => "ticket_overdue",
        TicketEscalated => "ticket_escalated",
        TicketEscalatedAdmins => "ticket_escalated_admins",
        ExtensionRequested => "extension_requested",
        ExtensionDecided => "extension_decided",
        TicketExtended => "ticket_extended",
        TicketMerged => "ticket_merged",
        TicketUnmerged => "ticket_unmerged",
    }
);

text_enum!(
    /// Messages about an account rather than a ticket, sent by SMS: a colleague invited to
    /// an enterprise's account, a request to join it (to its managers), and the decision (to
    /// the person who asked).
    AccountEvent {
        MemberInvited => "member_invited",
        JoinRequested => "join_requested",
        JoinApproved => "join_approved",
        JoinRejected => "join_rejected",
    }
);

text_enum!(
    /// Messages about a policy (送政策) or an application for one, to an enterprise's people:
    /// a policy it fits pushed to it, a benefit granted without an application (免申即享),
    /// and each step of its application.
    PolicyEvent {
        PolicyPushed => "policy_pushed",
        PolicyGranted => "policy_granted",
        ApplicationRecorded => "application_recorded",
        ApplicationApproved => "application_approved",
        ApplicationRefused => "application_refused",
        ApplicationPaid => "application_paid",
    }
);

/// What a message of the outbox is about: a ticket event, or a one-time sign-in code (which
/// belongs to no ticket). Stored and sent as the event's text, or `sms_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum MessageTopic {
    Ticket(NotifyEvent),
    SmsCode,
    Account(AccountEvent),
    /// The daily check (每日检查): a person's digest of what they have to act on.
    DailyCheck,
    /// A weekly bulletin (每周通报) published, to the department heads.
    Bulletin,
    Policy(PolicyEvent),
}

impl MessageTopic {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageTopic::Ticket(event) => event.as_str(),
            MessageTopic::SmsCode => "sms_code",
            MessageTopic::Account(event) => event.as_str(),
            MessageTopic::DailyCheck => "daily_check",
            MessageTopic::Bulletin => "bulletin",
            MessageTopic::Policy(event) => event.as_str(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sms_code" => Some(MessageTopic::SmsCode),
            "daily_check" => Some(MessageTopic::DailyCheck),
            "bulletin" => Some(MessageTopic::Bulletin),
            event => NotifyEvent::parse(event)
                .map(MessageTopic::Ticket)
                .or_else(|| AccountEvent::parse(event).map(MessageTopic::Account))
                .or_else(|| PolicyEvent::parse(event).map(MessageTopic::Policy)),
        }
    }

    /// The accepted values, for error messages.
    pub fn expected() -> String {
        format!(
            "{}, sms_code, {}, daily_check, bulletin, {}",
            NotifyEvent::expected(),
            AccountEvent::expected(),
            PolicyEvent::expected()
        )
    }
}

impl crate::domain::TextValue for MessageTopic {
    const NAME: &'static str = "MessageTopic";

    fn as_str(self) -> &'static str {
        MessageTopic::as_str(self)
    }

    fn parse(text: &str) -> Option<Self> {
        MessageTopic::parse(text)
    }

    fn expected() -> String {
        MessageTopic::expected()
    }
}

impl std::fmt::Display for MessageTopic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for MessageTopic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Who hears of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The liaison cadre (联点干部) of the filing enterprise.
    LiaisonCadre,
    /// The assignee; without one, the lead department's head and cadres.
    Handlers,
    /// Every active dispatcher.
    Dispatchers,
    /// The assignee (or, without one, the lead department's cadres) and the department head.
    HandlersAndHead,
    /// The filing enterprise: the ticket's contact number (SMS), and the filing user when it is
    /// an enterprise's account (e-mail, in-app, and SMS to their own number if it differs).
    EnterpriseContact,
    /// The lead department's head.
    DepartmentHead,
    /// Every active administrator.
    Admins,
}

impl NotifyEvent {
    /// The events a filing raises besides [`Self::of_action`]'s, by its channel: one filed by
    /// visit (a liaison cadre's 走访) tells the enterprise it is registered.
    pub fn of_filing(channel: crate::domain::ticket::Channel) -> &'static [NotifyEvent] {
        match channel {
            crate::domain::ticket::Channel::Visit => &[NotifyEvent::TicketFiledOnVisit],
            _ => &[],
        }
    }

    /// The events a timeline entry raises, each to its own audience (none, one, or the
    /// government's side and the enterprise): `action` took the ticket to `to`, at
    /// `escalation_level` (the scheduler's escalations), and its entry is `public` (shown to
    /// the enterprise; a progress note tells the enterprise only then).
    pub fn of_action(
        action: Action,
        to: TicketStatus,
        escalation_level: i32,
        public: bool,
    ) -> &'static [NotifyEvent] {
        use NotifyEvent as E;
        // A merged request's entries tell its enterprise alone: that it was merged, and the
        // steps of its primary it follows (rules::FOLLOWED), as if they were its own.
        if to == TicketStatus::Merged {
            return match action {
                Action::Merge => &[E::TicketMerged],
                Action::Assign => &[E::TicketAssignedEnterprise],
                Action::Progress if public => &[E::TicketProgress],
                Action::Resolve => &[E::TicketResolved],
                Action::ExtensionApprove => &[E::TicketExtended],
                _ => &[],
            };
        }
        match action {
            Action::File => &[E::TicketFiled],
            Action::Accept => &[E::TicketAccepted],
            Action::Assign => &[E::TicketAssigned, E::TicketAssignedEnterprise],
            Action::Return => &[E::TicketReturned],
            Action::Progress if public => &[E::TicketProgress],
            Action::Urge => &[E::TicketUrged],
            Action::Resolve => &[E::TicketResolved],
            // An unsatisfied rating sends the ticket back for rework (重办).
            Action::Revisit if to == TicketStatus::InProgress => {
                &[E::TicketReopened, E::TicketReopenedEnterprise]
            }
            Action::Reject => &[E::TicketRejected],
            // Closed by the scheduler (or a dispatcher) with no rating given.
            Action::Close => &[E::TicketClosedUnrated],
            Action::Remind => &[E::DeadlineReminder],
            Action::SignRemind => &[E::SignReminder],
            Action::Escalate => match escalation_level {
                ..=1 => &[E::TicketOverdue],
                2 => &[E::TicketEscalated],
                _ => &[E::TicketEscalatedAdmins],
            },
            Action::ExtensionRequest => &[E::ExtensionRequested],
            Action::ExtensionApprove => &[E::ExtensionDecided, E::TicketExtended],
            Action::ExtensionDeny => &[E::ExtensionDecided],
            Action::Unmerge => &[E::TicketUnmerged],
            Action::Sign
            | Action::Progress
            | Action::Revisit
            | Action::Withdraw
            | Action::Merge => &[],
        }
    }

    pub fn audience(self) -> Audience {
        match self {
            NotifyEvent::TicketFiled => Audience::LiaisonCadre,
            NotifyEvent::TicketAssigned | NotifyEvent::TicketReopened => Audience::Handlers,
            NotifyEvent::TicketReturned => Audience::Dispatchers,
            NotifyEvent::TicketUrged => Audience::HandlersAndHead,
            NotifyEvent::TicketAccepted
            | NotifyEvent::TicketFiledOnVisit
            | NotifyEvent::TicketAssignedEnterprise
            | NotifyEvent::TicketProgress
            | NotifyEvent::TicketResolved
            | NotifyEvent::TicketReopenedEnterprise
            | NotifyEvent::TicketRejected
            | NotifyEvent::TicketClosedUnrated
            | NotifyEvent::TicketExtended
            | NotifyEvent::TicketMerged
            | NotifyEvent::TicketUnmerged => Audience::EnterpriseContact,
            NotifyEvent::DeadlineReminder | NotifyEvent::ExtensionDecided => Audience::Handlers,
            NotifyEvent::SignReminder | NotifyEvent::TicketOverdue => Audience::HandlersAndHead,
            NotifyEvent::TicketEscalated => Audience::DepartmentHead,
            NotifyEvent::TicketEscalatedAdmins => Audience::Admins,
            NotifyEvent::ExtensionRequested => Audience::Dispatchers,
        }
    }
}

/// How long to wait after the `attempt`-th failed delivery (1 for the first): `base`
/// doubled for each earlier failure, at most `max`, then scaled by a jitter factor between
/// 0.5 and 1.0 (`jitter` in [0, 1) picks where), so that messages that failed together do
/// not all come back at the same moment.
pub fn backoff(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let doublings = attempt.saturating_sub(1).min(30);
    let full = base.saturating_mul(1 << doublings).min(max);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// `138****5678`: enough to tell numbers apart in a log, not enough to call one.
pub fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `张**`: a person's name with all but its first character hidden (the family name, for
/// Chinese names), as it may be shown to those who need not know who it is.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// `z***@example.com`: the first character of the mailbox and the domain.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// A recipient as it may appear in a log.
pub fn mask_recipient(channel: NotifyChannel, recipient: &str) -> String {
    match channel {
        NotifyChannel::Email => mask_email(recipient),
        NotifyChannel::Sms => mask_phone(recipient),
        NotifyChannel::Robot => recipient.to_string(),
    }
}

/// The first `max` characters of `text`, with an ellipsis when something was cut (for SMS
/// texts and gateway parameters, which are short).
pub fn shorten(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("赵强"), "赵*");
        assert_eq!(mask_name(" 欧阳明月 "), "欧***");
        assert_eq!(mask_name("Li"), "L*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn text_is_the_stored_text() {
        for &e in NotifyEvent::ALL {
            assert_eq!(NotifyEvent::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_value(e).expect("json"),
                serde_json::Value::String(e.as_str().into())
            );
        }
        for &s in NotifyStatus::ALL {
            assert_eq!(
                serde_json::to_value(s).expect("json"),
                serde_json::Value::String(s.as_str().into())
            );
        }
        for &c in NotifyChannel::ALL {
            assert_eq!(
                serde_json::to_value(c).expect("json"),
                serde_json::Value::String(c.as_str().into())
            );
        }
    }

    #[test]
    fn which_actions_notify() {
        use Action::*;
        use NotifyEvent as E;
        let cases: &[(Action, TicketStatus, bool, &[NotifyEvent])] = &[
            (File, TicketStatus::Submitted, true, &[E::TicketFiled]),
            (Accept, TicketStatus::Accepted, true, &[E::TicketAccepted]),
            (
                Assign,
                TicketStatus::Assigned,
                true,
                &[E::TicketAssigned, E::TicketAssignedEnterprise],
            ),
            (Sign, TicketStatus::InProgress, true, &[]),
            (Return, TicketStatus::Accepted, false, &[E::TicketReturned]),
            (Progress, TicketStatus::InProgress, false, &[]),
            (
                Progress,
                TicketStatus::InProgress,
                true,
                &[E::TicketProgress],
            ),
            (Urge, TicketStatus::Assigned, false, &[E::TicketUrged]),
            (Resolve, TicketStatus::Resolved, true, &[E::TicketResolved]),
            (Revisit, TicketStatus::Closed, true, &[]),
            (
                Revisit,
                TicketStatus::InProgress,
                true,
                &[E::TicketReopened, E::TicketReopenedEnterprise],
            ),
            (Close, TicketStatus::Closed, true, &[E::TicketClosedUnrated]),
            (Reject, TicketStatus::Rejected, true, &[E::TicketRejected]),
            (Withdraw, TicketStatus::Withdrawn, true, &[]),
            (
                Remind,
                TicketStatus::InProgress,
                false,
                &[E::DeadlineReminder],
            ),
            (
                SignRemind,
                TicketStatus::Assigned,
                false,
                &[E::SignReminder],
            ),
            (
                ExtensionRequest,
                TicketStatus::InProgress,
                false,
                &[E::ExtensionRequested],
            ),
            (
                ExtensionApprove,
                TicketStatus::InProgress,
                true,
                &[E::ExtensionDecided, E::TicketExtended],
            ),
            (
                ExtensionDeny,
                TicketStatus::InProgress,
                false,
                &[E::ExtensionDecided],
            ),
            // A merged request: its enterprise alone hears, of the merge and of the steps of
            // the primary it follows; its own rating tells nobody.
            (Merge, TicketStatus::Merged, true, &[E::TicketMerged]),
            (
                Assign,
                TicketStatus::Merged,
                true,
                &[E::TicketAssignedEnterprise],
            ),
            (Progress, TicketStatus::Merged, true, &[E::TicketProgress]),
            (Progress, TicketStatus::Merged, false, &[]),
            (Resolve, TicketStatus::Merged, true, &[E::TicketResolved]),
            (
                ExtensionApprove,
                TicketStatus::Merged,
                true,
                &[E::TicketExtended],
            ),
            (Revisit, TicketStatus::Merged, true, &[]),
            (Unmerge, TicketStatus::Accepted, true, &[E::TicketUnmerged]),
        ];
        for &(action, to, public, expected) in cases {
            assert_eq!(
                NotifyEvent::of_action(action, to, 0, public),
                expected,
                "{action} → {to}"
            );
        }
        let escalations = [
            (1, E::TicketOverdue),
            (2, E::TicketEscalated),
            (3, E::TicketEscalatedAdmins),
        ];
        for (level, expected) in escalations {
            assert_eq!(
                NotifyEvent::of_action(Action::Escalate, TicketStatus::InProgress, level, false),
                &[expected]
            );
        }
        // Every event is raised by some action, and an action's events go to different
        // audiences.
        for &e in NotifyEvent::ALL {
            assert!(
                cases.iter().any(|(_, _, _, x)| x.contains(&e))
                    || escalations.iter().any(|(_, x)| *x == e)
                    || NotifyEvent::of_filing(crate::domain::ticket::Channel::Visit).contains(&e),
                "{e}"
            );
        }
        for &(action, _, _, events) in cases {
            let audiences: std::collections::BTreeSet<String> = events
                .iter()
                .map(|e| format!("{:?}", e.audience()))
                .collect();
            assert_eq!(audiences.len(), events.len(), "{action}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(3600);
        // jitter 1.0 is the full delay, 0.0 half of it.
        assert_eq!(backoff(1, base, max, 0.999_999).as_secs(), 29);
        assert_eq!(backoff(1, base, max, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(1, base, max, 0.0), Duration::from_secs(15));
        assert_eq!(backoff(2, base, max, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(4, base, max, 1.0), Duration::from_secs(240));
        assert_eq!(backoff(8, base, max, 1.0), Duration::from_secs(3600));
        assert_eq!(backoff(1000, base, max, 1.0), Duration::from_secs(3600));
        assert_eq!(backoff(1000, base, max, 0.0), Duration::from_secs(1800));
        // Out-of-range jitter is clamped, never negative or longer than the cap.
        assert_eq!(backoff(3, base, max, -4.0), Duration::from_secs(60));
        assert_eq!(backoff(3, base, max, 9.0), Duration::from_secs(120));
        // attempt 0 behaves like the first.
        assert_eq!(backoff(0, base, max, 1.0), Duration::from_secs(30));
    }

    #[test]
    fn masks_keep_numbers_apart_without_revealing_them() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_email("zhang.san@example.com"), "z***@example.com");
        assert_eq!(mask_email("张三@例子.中国"), "张***@例子.中国");
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(
            mask_recipient(NotifyChannel::Sms, "13900000000"),
            "139****0000"
        );
    }

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("新厂房用电报装进度慢", 4), "新厂房用…");
        assert_eq!(shorten("用电", 4), "用电");
        assert_eq!(shorten("", 4), "");
    }
}
