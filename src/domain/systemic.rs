//! Systemic issues (症结, issue 18): what many requests have in common. Their statuses, and who
//! may see, open, edit and link them — pure functions the service asks and the API reports as
//! `allowed`.
//!
//! The rules:
//!
//! - administrators and dispatchers see every issue, open them, edit every field, and link
//!   and unlink tickets;
//! - a cadre sees the issues whose lead department is theirs, and records what their
//!   department does about them: the measures and the status. A cadre does not link: a link
//!   is a judgement across the tickets of every department and enterprise (the suggestions
//!   come from all of them), which only the dispatchers see;
//! - co-handling departments of the linked tickets see nothing of the issue: an issue has one
//!   lead department, which answers for it, and a co-department's cadre would otherwise read,
//!   through its list of tickets, requests of departments they may not see;
//! - enterprises never see systemic issues (403).

use super::ticket::Role;

text_enum!(
    /// How far an issue has come: open (待解决), being addressed (推进中), solved (已解决). Any
    /// status may follow any other: a solved issue may come back.
    SystemicStatus {
        Open => "open",
        Addressing => "addressing",
        Solved => "solved",
    }
);

impl SystemicStatus {
    /// The Chinese name the pages use.
    pub fn label(self) -> &'static str {
        match self {
            SystemicStatus::Open => "待解决",
            SystemicStatus::Addressing => "推进中",
            SystemicStatus::Solved => "已解决",
        }
    }
}

text_enum!(
    /// What a reader may do to an issue now, sent with it (`allowed`).
    SystemicAction {
        Edit => "edit",
        ChangeStatus => "change_status",
        EditMeasures => "edit_measures",
        Link => "link",
    }
);

/// The reader of an issue, as far as the rules need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader<'a> {
    pub role: Role,
    pub department_id: Option<&'a str>,
}

/// Whether the reader may see systemic issues at all: 403 otherwise.
pub fn may_read_any(role: Role) -> bool {
    role != Role::Enterprise
}

/// Whether the reader sees this issue (404 otherwise).
pub fn can_view(reader: Reader<'_>, lead_department_id: &str) -> bool {
    match reader.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Cadre => reader.department_id == Some(lead_department_id),
        Role::Enterprise => false,
    }
}

/// Whether the reader may open an issue (403 otherwise).
pub fn may_create(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Dispatcher)
}

/// Whether the reader may link and unlink tickets and ask for suggestions (403 otherwise).
pub fn may_link(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Dispatcher)
}

/// Which fields an edit changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditedFields {
    pub title: bool,
    pub analysis: bool,
    pub lead_department: bool,
    pub measures: bool,
    pub status: bool,
}

/// Whether the reader, who sees the issue, may make this edit (403 otherwise): dispatchers
/// and administrators anything, a cadre of the lead department only the measures and status.
pub fn may_edit(reader: Reader<'_>, lead_department_id: &str, fields: EditedFields) -> bool {
    match reader.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Cadre => {
            can_view(reader, lead_department_id)
                && !(fields.title || fields.analysis || fields.lead_department)
        }
        Role::Enterprise => false,
    }
}

/// What the reader may do to an issue they see, for the pages' buttons.
pub fn allowed(reader: Reader<'_>, lead_department_id: &str) -> Vec<SystemicAction> {
    let mut out = Vec::new();
    if !can_view(reader, lead_department_id) {
        return out;
    }
    let everything = EditedFields {
        title: true,
        analysis: true,
        lead_department: true,
        measures: true,
        status: true,
    };
    if may_edit(reader, lead_department_id, everything) {
        out.push(SystemicAction::Edit);
    }
    let measures = EditedFields {
        measures: true,
        ..EditedFields::default()
    };
    if may_edit(reader, lead_department_id, measures) {
        out.push(SystemicAction::EditMeasures);
    }
    let status = EditedFields {
        status: true,
        ..EditedFields::default()
    };
    if may_edit(reader, lead_department_id, status) {
        out.push(SystemicAction::ChangeStatus);
    }
    if may_link(reader.role) {
        out.push(SystemicAction::Link);
    }
    out
}

/// When an issue was solved after a change of status from `from` to `to`: set when it
/// becomes solved, kept while it stays so, cleared when it is opened again.
pub fn solved_at(
    from: SystemicStatus,
    to: SystemicStatus,
    was: Option<String>,
    now: &str,
) -> Option<String> {
    match (from, to) {
        (_, SystemicStatus::Solved) if from != SystemicStatus::Solved => Some(now.to_string()),
        (_, SystemicStatus::Solved) => was,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "dept-a";

    fn reader(role: Role, department_id: Option<&str>) -> Reader<'_> {
        Reader {
            role,
            department_id,
        }
    }

    #[test]
    fn statuses_spell_as_their_names() {
        for s in SystemicStatus::ALL {
            assert_eq!(SystemicStatus::parse(s.as_str()), Some(*s));
            let json = serde_json::to_string(s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert!(!s.label().is_empty());
        }
        for a in SystemicAction::ALL {
            let json = serde_json::to_string(a).expect("json");
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
    }

    #[test]
    fn who_sees_an_issue() {
        assert!(can_view(reader(Role::Admin, None), A));
        assert!(can_view(reader(Role::Dispatcher, None), A));
        assert!(can_view(reader(Role::Cadre, Some(A)), A));
        assert!(!can_view(reader(Role::Cadre, Some("dept-b")), A));
        assert!(!can_view(reader(Role::Cadre, None), A));
        assert!(!can_view(reader(Role::Enterprise, None), A));
        assert!(!may_read_any(Role::Enterprise));
        assert!(may_read_any(Role::Cadre));
    }

    #[test]
    fn who_opens_and_links() {
        for (role, yes) in [
            (Role::Admin, true),
            (Role::Dispatcher, true),
            (Role::Cadre, false),
            (Role::Enterprise, false),
        ] {
            assert_eq!(may_create(role), yes, "{role}");
            assert_eq!(may_link(role), yes, "{role}");
        }
    }

    #[test]
    fn a_lead_cadre_edits_measures_and_status_only() {
        let cadre = reader(Role::Cadre, Some(A));
        let measures = EditedFields {
            measures: true,
            status: true,
            ..EditedFields::default()
        };
        assert!(may_edit(cadre, A, measures));
        for fields in [
            EditedFields {
                title: true,
                ..EditedFields::default()
            },
            EditedFields {
                analysis: true,
                measures: true,
                ..EditedFields::default()
            },
            EditedFields {
                lead_department: true,
                ..EditedFields::default()
            },
        ] {
            assert!(!may_edit(cadre, A, fields), "{fields:?}");
            assert!(may_edit(reader(Role::Dispatcher, None), A, fields));
        }
        assert!(!may_edit(reader(Role::Cadre, Some("dept-b")), A, measures));
        assert!(!may_edit(reader(Role::Enterprise, None), A, measures));
    }

    #[test]
    fn allowed_follows_the_rules() {
        use SystemicAction::{ChangeStatus, Edit, EditMeasures, Link};
        assert_eq!(
            allowed(reader(Role::Dispatcher, None), A),
            [Edit, EditMeasures, ChangeStatus, Link]
        );
        assert_eq!(
            allowed(reader(Role::Cadre, Some(A)), A),
            [EditMeasures, ChangeStatus]
        );
        assert!(allowed(reader(Role::Cadre, Some("dept-b")), A).is_empty());
        assert!(allowed(reader(Role::Enterprise, None), A).is_empty());
    }

    #[test]
    fn solved_at_is_set_kept_and_cleared() {
        use SystemicStatus::{Addressing, Open, Solved};
        let now = "2026-12-12T01:00:00.000Z";
        assert_eq!(solved_at(Open, Solved, None, now).as_deref(), Some(now));
        assert_eq!(
            solved_at(Solved, Solved, Some("before".into()), now).as_deref(),
            Some("before")
        );
        assert_eq!(
            solved_at(Solved, Addressing, Some("before".into()), now),
            None
        );
        assert_eq!(solved_at(Open, Addressing, None, now), None);
    }
}
