//! A ticket's timeline entries: what an action wrote ([`Entry`]) and the details it keeps
//! beside its note ([`EventData`], one shape per action). The details are stored as JSON text
//! and sent to clients as the event's `data`; [`EventData::parse`] reads them back by the
//! action that wrote them, so nobody reads them by key.

use serde::{Deserialize, Serialize};

use super::{Action, Channel, Priority, Rating, TicketStatus};

/// A timeline entry as an action or a sweep makes it; where and when it is written is the
/// caller's (the ticket's `version` after the change numbers it).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub action: Action,
    /// `None` for the filing, which comes from nowhere.
    pub from: Option<TicketStatus>,
    pub note: Option<String>,
    /// Shown to the enterprise.
    pub public: bool,
    pub data: Option<EventData>,
}

/// The details of a timeline entry, by the action that wrote it. Serialised as the inner
/// object alone (`{"channel":"online"}`), the JSON the API has always sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    File(Filed),
    Assign(Assigned),
    Sign(Signed),
    Return(Returned),
    Resolve(Resolved),
    Revisit(Revisited),
    ExtensionRequest(ExtensionRequested),
    ExtensionApprove(ExtensionApproved),
    ExtensionDeny(ExtensionDenied),
    Remind(Reminded),
    SignRemind(SignReminded),
    Escalate(Escalated),
    Close(ClosedBySweep),
    Merge(Merged),
    Unmerge(Unmerged),
}

/// The primary a duplicate was merged into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    pub primary_id: String,
    pub primary_number: String,
}

/// The primary a merged request was taken out of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmerged {
    pub primary_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filed {
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assigned {
    pub department_id: String,
    pub assignee_id: Option<String>,
    pub co_department_ids: Vec<String>,
    pub due_at: Option<String>,
    pub sign_due_at: Option<String>,
    pub priority: Priority,
    /// The ticket had a lead department already.
    pub reassigned: bool,
}

/// The signing cadre became the assignee (the ticket was assigned to a department alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub assignee_id: String,
}

/// Where a returned ticket was: after the return it has no department any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returned {
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
}

/// For suggestions: whether it was adopted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    pub adopted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revisited {
    pub rating: Rating,
    pub channel: Channel,
    /// The rework's deadline, when an unsatisfied rating sent the ticket back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// The deadline the rework's replaced (the handling's, now past use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_due_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequested {
    pub extension_id: String,
    /// Working days asked for.
    pub days: u32,
    /// The deadline when it was asked for.
    pub due_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionApproved {
    pub extension_id: String,
    pub days: u32,
    pub due_before: Option<String>,
    pub due_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionDenied {
    pub extension_id: String,
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminded {
    pub due_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignReminded {
    pub sign_due_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalated {
    pub level: i32,
    /// Working days past the deadline.
    pub days: u64,
    pub due_at: String,
    pub urgent: bool,
}

/// Closed by the scheduler: the enterprise did not rate it within the revisit window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedBySweep {
    /// Always `no_response`.
    pub reason: String,
}

impl ClosedBySweep {
    pub fn no_response() -> Self {
        ClosedBySweep {
            reason: "no_response".into(),
        }
    }
}

impl EventData {
    /// The details as stored.
    pub fn to_json(&self) -> String {
        // Plain structs of strings, numbers and enums: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the details `action` wrote; `None` when it writes none, or when the text is not
    /// the shape it writes (a hand-edited row: its values are lost, not the event).
    pub fn parse(action: Action, text: &str) -> Option<EventData> {
        fn read<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
            serde_json::from_str(text).ok()
        }
        Some(match action {
            Action::File => EventData::File(read(text)?),
            Action::Assign => EventData::Assign(read(text)?),
            Action::Sign => EventData::Sign(read(text)?),
            Action::Return => EventData::Return(read(text)?),
            Action::Resolve => EventData::Resolve(read(text)?),
            Action::Revisit => EventData::Revisit(read(text)?),
            Action::ExtensionRequest => EventData::ExtensionRequest(read(text)?),
            Action::ExtensionApprove => EventData::ExtensionApprove(read(text)?),
            Action::ExtensionDeny => EventData::ExtensionDeny(read(text)?),
            Action::Remind => EventData::Remind(read(text)?),
            Action::SignRemind => EventData::SignRemind(read(text)?),
            Action::Escalate => EventData::Escalate(read(text)?),
            Action::Close => EventData::Close(read(text)?),
            Action::Merge => EventData::Merge(read(text)?),
            Action::Unmerge => EventData::Unmerge(read(text)?),
            Action::Accept
            | Action::Reject
            | Action::Progress
            | Action::Urge
            | Action::Withdraw => return None,
        })
    }

    /// The department the event names: a returned ticket has none any more, and its event
    /// says which it was.
    pub fn department_id(&self) -> Option<&str> {
        match self {
            EventData::Assign(a) => Some(&a.department_id),
            EventData::Return(r) => r.department_id.as_deref(),
            _ => None,
        }
    }

    /// Working days the event is about: asked for or granted (extensions), or late
    /// (escalations).
    pub fn days(&self) -> Option<u64> {
        match self {
            EventData::ExtensionRequest(e) => Some(u64::from(e.days)),
            EventData::ExtensionApprove(e) => Some(u64::from(e.days)),
            EventData::ExtensionDeny(e) => Some(u64::from(e.days)),
            EventData::Escalate(e) => Some(e.days),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each shape serialises to the JSON the service wrote before the details were typed, and
    /// reads back by its action.
    #[test]
    fn details_keep_their_json() {
        let cases = [
            (
                Action::File,
                EventData::File(Filed {
                    channel: Channel::Online,
                }),
                json!({"channel": "online"}),
            ),
            (
                Action::Assign,
                EventData::Assign(Assigned {
                    department_id: "d".into(),
                    assignee_id: None,
                    co_department_ids: vec!["c".into()],
                    due_at: Some("2026-12-01T15:59:59.999Z".into()),
                    sign_due_at: None,
                    priority: Priority::Urgent,
                    reassigned: true,
                }),
                json!({"department_id": "d", "assignee_id": null, "co_department_ids": ["c"],
                    "due_at": "2026-12-01T15:59:59.999Z", "sign_due_at": null,
                    "priority": "urgent", "reassigned": true}),
            ),
            (
                Action::Return,
                EventData::Return(Returned {
                    department_id: Some("d".into()),
                    assignee_id: None,
                }),
                json!({"department_id": "d", "assignee_id": null}),
            ),
            (
                Action::Revisit,
                EventData::Revisit(Revisited {
                    rating: Rating::Satisfied,
                    channel: Channel::Phone,
                    due_at: None,
                    previous_due_at: None,
                }),
                json!({"rating": "satisfied", "channel": "phone"}),
            ),
            (
                Action::Revisit,
                EventData::Revisit(Revisited {
                    rating: Rating::Unsatisfied,
                    channel: Channel::Online,
                    due_at: Some("x".into()),
                    previous_due_at: Some("w".into()),
                }),
                json!({"rating": "unsatisfied", "channel": "online", "due_at": "x", "previous_due_at": "w"}),
            ),
            (
                Action::Escalate,
                EventData::Escalate(Escalated {
                    level: 2,
                    days: 3,
                    due_at: "x".into(),
                    urgent: false,
                }),
                json!({"level": 2, "days": 3, "due_at": "x", "urgent": false}),
            ),
            (
                Action::Close,
                EventData::Close(ClosedBySweep::no_response()),
                json!({"reason": "no_response"}),
            ),
            (
                Action::Merge,
                EventData::Merge(Merged {
                    primary_id: "p".into(),
                    primary_number: "QYS20261212000001".into(),
                }),
                json!({"primary_id": "p", "primary_number": "QYS20261212000001"}),
            ),
            (
                Action::Unmerge,
                EventData::Unmerge(Unmerged {
                    primary_id: "p".into(),
                }),
                json!({"primary_id": "p"}),
            ),
            (
                Action::ExtensionDeny,
                EventData::ExtensionDeny(ExtensionDenied {
                    extension_id: "e".into(),
                    days: 2,
                }),
                json!({"extension_id": "e", "days": 2}),
            ),
        ];
        for (action, data, expected) in cases {
            let text = data.to_json();
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text).expect("json"),
                expected
            );
            assert_eq!(EventData::parse(action, &text), Some(data), "{action}");
        }
    }

    #[test]
    fn what_the_outbox_reads_of_the_details() {
        let returned = EventData::parse(
            Action::Return,
            r#"{"department_id":"d1","assignee_id":null}"#,
        )
        .expect("a return");
        assert_eq!(returned.department_id(), Some("d1"));
        let asked = EventData::parse(
            Action::ExtensionRequest,
            r#"{"extension_id":"e","days":4,"due_at":null}"#,
        )
        .expect("a request");
        assert_eq!(asked.days(), Some(4));
        // Another action's shape, or none, is not mistaken for this one's.
        assert_eq!(
            EventData::parse(Action::Escalate, r#"{"reason":"x"}"#),
            None
        );
        assert_eq!(EventData::parse(Action::Accept, "{}"), None);
    }
}
