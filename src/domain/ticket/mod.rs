//! A ticket's vocabulary: the values stored and sent as fixed snake_case text (roles, kinds,
//! channels, statuses, priorities, ratings, timeline actions, extension statuses and the
//! actions a reader may take), and the ticket's number. The rules that move a ticket between
//! statuses are in [`rules`].

pub mod apply;
pub mod ids;
pub mod rules;
pub mod state;
pub mod timeline;

text_enum!(
    /// What a user is to the service.
    Role {
        Enterprise => "enterprise",
        Cadre => "cadre",
        Dispatcher => "dispatcher",
        Admin => "admin",
    }
);

text_enum!(
    /// Problems, suggestions and inquiries are counted apart on every dashboard.
    TicketKind {
        Problem => "problem",
        Suggestion => "suggestion",
        Inquiry => "inquiry",
    }
);

text_enum!(
    /// How a request reached the service: filed online by the enterprise, or entered by
    /// staff from a phone call or a visit.
    Channel {
        Online => "online",
        Phone => "phone",
        Visit => "visit",
    }
);

text_enum!(
    TicketStatus {
        Submitted => "submitted",
        Accepted => "accepted",
        Assigned => "assigned",
        InProgress => "in_progress",
        Resolved => "resolved",
        Closed => "closed",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        // Closed as a duplicate of another request (its primary), which it follows.
        Merged => "merged",
    }
);

text_enum!(
    /// How fast a ticket must be handled: a normal deadline counts working days, an urgent one
    /// hours around the clock.
    Priority {
        Normal => "normal",
        Urgent => "urgent",
    }
);

text_enum!(
    /// The enterprise's verdict on a resolution (满意 / 基本满意 / 不满意).
    Rating {
        Satisfied => "satisfied",
        BasicallySatisfied => "basically_satisfied",
        Unsatisfied => "unsatisfied",
    }
);

text_enum!(
    /// What happened to a ticket, as written on its timeline. `File` is the filing; the
    /// `Extension…` entries are the extension requests and decisions; `Remind`, `SignRemind`
    /// and `Escalate` are written by the scheduler; the rest are the actions of
    /// `POST /tickets/{id}/{action}` (`Close` also when the revisit window runs out).
    /// `Merge` and `Unmerge` put a duplicate into its primary and take it out again; a
    /// merged ticket's timeline also carries its primary's public steps as they happen
    /// (their entries go from `merged` to `merged`: see `rules::FOLLOWED`).
    Action {
        File => "file",
        Accept => "accept",
        Reject => "reject",
        Assign => "assign",
        Sign => "sign",
        Return => "return",
        Progress => "progress",
        Urge => "urge",
        Resolve => "resolve",
        Revisit => "revisit",
        Close => "close",
        Withdraw => "withdraw",
        ExtensionRequest => "extension_request",
        ExtensionApprove => "extension_approve",
        ExtensionDeny => "extension_deny",
        Remind => "remind",
        SignRemind => "sign_remind",
        Escalate => "escalate",
        Merge => "merge",
        Unmerge => "unmerge",
    }
);

impl TicketStatus {
    /// Statuses in which the ticket is being handled and a deadline runs.
    pub fn is_handling(self) -> bool {
        matches!(self, TicketStatus::Assigned | TicketStatus::InProgress)
    }

    /// Statuses from which no action leads anywhere. A merged ticket is not final: it can be
    /// taken out of its primary (`unmerge`) until the primary is resolved.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TicketStatus::Closed | TicketStatus::Rejected | TicketStatus::Withdrawn
        )
    }
}

impl Rating {
    /// Satisfied and basically satisfied close the ticket; unsatisfied sends it back.
    pub fn closes(self) -> bool {
        !matches!(self, Rating::Unsatisfied)
    }
}

text_enum!(
    /// Where an extension request (延期) stands.
    ExtensionStatus {
        Pending => "pending",
        Approved => "approved",
        Denied => "denied",
    }
);

text_enum!(
    /// What a reader may do to a ticket now (`allowed_actions` of every ticket the API
    /// returns): the workflow actions, a comment, and asking for or deciding an extension.
    AllowedAction {
        Accept => "accept",
        Reject => "reject",
        Assign => "assign",
        Sign => "sign",
        Return => "return",
        Progress => "progress",
        Urge => "urge",
        Resolve => "resolve",
        Revisit => "revisit",
        Close => "close",
        Withdraw => "withdraw",
        Comment => "comment",
        ExtensionRequest => "extension_request",
        ExtensionApprove => "extension_approve",
        ExtensionDeny => "extension_deny",
        Merge => "merge",
        Unmerge => "unmerge",
    }
);

// The names offices use, in the ledger, the messages and the charts. A status has one name
// everywhere: the pages' `status.*` strings (src/assets/js/strings/common.js) are the same
// words, and a test below holds them so.

impl TicketStatus {
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Submitted => "待受理",
            TicketStatus::Accepted => "已受理",
            TicketStatus::Assigned => "已交办",
            TicketStatus::InProgress => "办理中",
            TicketStatus::Resolved => "已办结",
            TicketStatus::Closed => "已销号",
            TicketStatus::Rejected => "不予受理",
            TicketStatus::Withdrawn => "已撤回",
            TicketStatus::Merged => "已合并",
        }
    }
}

impl TicketKind {
    pub fn label(self) -> &'static str {
        match self {
            TicketKind::Problem => "问题",
            TicketKind::Suggestion => "建议",
            TicketKind::Inquiry => "咨询",
        }
    }
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Online => "网上",
            Channel::Phone => "电话",
            Channel::Visit => "走访",
        }
    }
}

impl Rating {
    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// The human-readable number of a ticket: prefix, China date, and the day's sequence.
pub fn format_number(prefix: &str, day: chrono::NaiveDate, sequence: i64) -> String {
    format!("{prefix}{}{sequence:06}", day.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pages_name_each_status_as_the_ledger_does() {
        let strings = include_str!("../../assets/js/strings/common.js");
        let zh = &strings[..strings.find("export const en").expect("the English table")];
        for status in super::TicketStatus::ALL {
            let line = format!("'status.{}': '{}',", status.as_str(), status.label());
            assert!(
                zh.contains(&line),
                "strings/common.js must name {status:?} {} as the ledger does ({line})",
                status.label()
            );
        }
    }

    use super::*;
    use TicketStatus::*;

    #[test]
    fn text_round_trips() {
        for &s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TicketStatus::parse("in_progress"), Some(InProgress));
        assert_eq!(TicketStatus::parse("InProgress"), None);
        assert_eq!(
            serde_json::to_string(&Rating::BasicallySatisfied).expect("json"),
            "\"basically_satisfied\""
        );
    }

    #[test]
    fn serde_text_is_the_stored_text() {
        fn check<T: serde::Serialize>(values: &[T], as_str: fn(&T) -> &'static str) {
            for v in values {
                assert_eq!(
                    serde_json::to_value(v).expect("json"),
                    serde_json::Value::String(as_str(v).to_string())
                );
            }
        }
        check(Role::ALL, |v| v.as_str());
        check(TicketKind::ALL, |v| v.as_str());
        check(Channel::ALL, |v| v.as_str());
        check(TicketStatus::ALL, |v| v.as_str());
        check(Rating::ALL, |v| v.as_str());
        check(Action::ALL, |v| v.as_str());
        check(Priority::ALL, |v| v.as_str());
        check(ExtensionStatus::ALL, |v| v.as_str());
        check(AllowedAction::ALL, |v| v.as_str());
    }

    #[test]
    fn numbers() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        assert_eq!(format_number("QYS", day, 123), "QYS20261122000123");
        assert_eq!(format_number("QYS", day, 1_234_567), "QYS202611221234567");
    }
}
