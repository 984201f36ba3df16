//! What each change does to a ticket's fields: the workflow actions ([`apply`]), the extension
//! steps ([`apply_extension`]) and the scheduler's sweeps ([`apply_sweep`]). Pure functions:
//! they take the ticket as read and return it as it is to be written, with its timeline entry.
//! Who may take a step is [`super::rules`]' to say, and is checked before these run; the
//! status a step leads to comes from the same rules ([`rules::transition`]).

use chrono::{DateTime, Utc};

use super::rules::{self, Step, TransitionError};
use super::state::Ticket;
use super::timeline::{self, Entry, EventData};
use super::{Action, Channel, Priority, Rating, Role, TicketKind, TicketStatus};
use crate::domain::calendar::WorkCalendar;
use crate::domain::time;
use crate::domain::validation::FieldErrors;

/// How deadlines are set: the working-day calendar and the hours and days configured
/// (`deadlines.*`).
#[derive(Debug, Clone, Copy)]
pub struct DeadlineRules<'a> {
    pub calendar: &'a WorkCalendar,
    pub urgent_hours: u32,
    pub urgent_sign_hours: u32,
    pub sign_working_days: u32,
    pub rework_working_days: u32,
}

impl DeadlineRules<'_> {
    /// The deadline of a normal ticket `days` working days from `now` (at the close of the
    /// last one), or of an urgent one `urgent_hours` from `now`.
    pub fn deadline(&self, now: DateTime<Utc>, urgent: bool, days: u32) -> DateTime<Utc> {
        if urgent {
            now + chrono::Duration::hours(i64::from(self.urgent_hours))
        } else {
            self.calendar.deadline(now, days)
        }
    }

    /// When the assigned cadre must have signed, and never after the deadline itself.
    pub fn sign_deadline(
        &self,
        now: DateTime<Utc>,
        urgent: bool,
        due: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let sign = if urgent {
            now + chrono::Duration::hours(i64::from(self.urgent_sign_hours))
        } else {
            self.calendar.deadline(now, self.sign_working_days)
        };
        sign.min(due)
    }
}

/// A workflow action with its body, checked field by field (the references in it — the
/// department, the assignee — are checked against the directory by the caller).
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Accept {
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Assign {
        department_id: String,
        assignee_id: Option<String>,
        co_department_ids: Option<Vec<String>>,
        due_at: Option<DateTime<Utc>>,
        /// Changes the ticket's priority before its deadline is set.
        priority: Option<Priority>,
    },
    Sign,
    Return {
        reason: String,
    },
    Progress {
        note: String,
        /// Shown to the enterprise; `None`: as [`Moment::progress_public`] says.
        public: Option<bool>,
    },
    Urge {
        note: String,
    },
    Resolve {
        resolution: String,
        adopted: Option<bool>,
    },
    Revisit {
        rating: Rating,
        comment: Option<String>,
    },
    Close {
        reason: String,
    },
    Withdraw {
        reason: Option<String>,
    },
    /// Close a duplicate as merged into its primary, with the reason its enterprise reads.
    /// The caller finds the primary (by id or number), checks it
    /// ([`rules::may_merge_into`]) and fills in both of its fields.
    Merge {
        primary_id: String,
        primary_number: String,
        reason: String,
    },
    /// Take a merged request out of its primary: it is accepted and waits to be assigned.
    Unmerge {
        reason: String,
    },
}

impl Input {
    pub fn step(&self) -> Step {
        match self {
            Input::Accept { .. } => Step::Accept,
            Input::Reject { .. } => Step::Reject,
            Input::Assign { .. } => Step::Assign,
            Input::Sign => Step::Sign,
            Input::Return { .. } => Step::Return,
            Input::Progress { .. } => Step::Progress,
            Input::Urge { .. } => Step::Urge,
            Input::Resolve { .. } => Step::Resolve,
            Input::Revisit { rating, .. } => Step::Revisit(*rating),
            Input::Close { .. } => Step::Close,
            Input::Withdraw { .. } => Step::Withdraw,
            Input::Merge { .. } => Step::Merge,
            Input::Unmerge { .. } => Step::Unmerge,
        }
    }
}

/// Who takes the action, as far as its effect depends on them.
#[derive(Debug, Clone, Copy)]
pub struct Doer<'a> {
    pub user_id: &'a str,
    pub role: Role,
}

/// The facts of the moment an action depends on.
#[derive(Debug, Clone, Copy)]
pub struct Moment<'a> {
    pub now: DateTime<Utc>,
    pub deadlines: DeadlineRules<'a>,
    /// The working days of the ticket's category (an assignment without its own deadline).
    pub category_days: u32,
    /// Whether a progress note whose input does not say is shown to the enterprise
    /// (`tickets.progress_public_by_default`).
    pub progress_public: bool,
}

/// A revisit (回访) to record beside the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revisit {
    pub rating: Rating,
    pub channel: Channel,
    pub comment: Option<String>,
}

/// A change to write: the ticket after it (its `version` one more), its timeline entry, and
/// what else the change records.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub ticket: Ticket,
    pub entry: Entry,
    pub revisit: Option<Revisit>,
    /// The co-handling departments changed (kept in a table of their own too).
    pub co_departments_changed: bool,
}

/// Why an action's effect was refused: the status does not allow it, or a field of the body
/// does not fit the ticket (a deadline in the past; a suggestion resolved without `adopted`).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Transition(TransitionError),
    Invalid(FieldErrors),
}

impl From<TransitionError> for Refusal {
    fn from(e: TransitionError) -> Self {
        Refusal::Transition(e)
    }
}

fn invalid(field: &str, message: &str) -> Refusal {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    Refusal::Invalid(errors)
}

/// The ticket as it starts a change: status `to`, one version more, updated now.
fn next(before: &Ticket, to: TicketStatus, now: &str) -> Ticket {
    let mut ticket = before.clone();
    ticket.status = to;
    ticket.version += 1;
    ticket.updated_at = now.to_string();
    ticket
}

/// What a workflow action does to `before`, taken by `by` (whom [`rules::decide`] allowed).
pub fn apply(
    before: &Ticket,
    input: Input,
    by: Doer<'_>,
    at: Moment<'_>,
) -> Result<Applied, Refusal> {
    let step = input.step();
    let to = rules::transition(before.status, step)?;
    let now = at.now;
    let now_text = time::format(now);
    let mut t = next(before, to, &now_text);
    let mut data = None;
    let mut revisit = None;
    let mut co_departments_changed = false;
    let mut public = rules::is_public_by_default(step.action());
    let note = match input {
        Input::Accept { note } => {
            t.accepted_at = Some(now_text);
            note
        }
        Input::Reject { reason } => {
            t.rejected_at = Some(now_text);
            Some(reason)
        }
        Input::Assign {
            department_id,
            assignee_id,
            co_department_ids,
            due_at,
            priority,
        } => {
            if let Some(p) = priority {
                t.priority = p;
            }
            let urgent = t.is_urgent();
            let due =
                due_at.unwrap_or_else(|| at.deadlines.deadline(now, urgent, at.category_days));
            if due <= now {
                return Err(invalid("due_at", "must be in the future"));
            }
            t.sign_due_at = Some(time::format(at.deadlines.sign_deadline(now, urgent, due)));
            t.reset_deadline_marks();
            t.accepted_at.get_or_insert_with(|| now_text.clone());
            t.department_id = Some(department_id.clone());
            t.assignee_id = assignee_id.clone();
            t.assigned_at = Some(now_text);
            t.signed_at = None;
            t.due_at = Some(time::format(due));
            t.co_department_ids = co_department_ids.unwrap_or_default();
            co_departments_changed = true;
            data = Some(EventData::Assign(timeline::Assigned {
                department_id,
                assignee_id,
                co_department_ids: t.co_department_ids.clone(),
                due_at: t.due_at.clone(),
                sign_due_at: t.sign_due_at.clone(),
                priority: t.priority,
                reassigned: before.department_id.is_some(),
            }));
            None
        }
        Input::Sign => {
            t.signed_at = Some(now_text);
            // Assigned to a department alone, the ticket is taken by the cadre who signs.
            if t.assignee_id.is_none() {
                t.assignee_id = Some(by.user_id.to_string());
                data = Some(EventData::Sign(timeline::Signed {
                    assignee_id: by.user_id.to_string(),
                }));
            }
            None
        }
        Input::Return { reason } => {
            data = Some(EventData::Return(timeline::Returned {
                department_id: before.department_id.clone(),
                assignee_id: before.assignee_id.clone(),
            }));
            t.department_id = None;
            t.assignee_id = None;
            t.assigned_at = None;
            t.signed_at = None;
            t.due_at = None;
            t.sign_due_at = None;
            t.reset_deadline_marks();
            t.co_department_ids = Vec::new();
            co_departments_changed = true;
            Some(reason)
        }
        Input::Progress {
            note,
            public: is_public,
        } => {
            public = is_public.unwrap_or(at.progress_public);
            Some(note)
        }
        Input::Urge { note } => Some(note),
        Input::Resolve {
            resolution,
            adopted,
        } => {
            let is_suggestion = t.kind == TicketKind::Suggestion;
            if is_suggestion && adopted.is_none() {
                return Err(invalid(
                    "adopted",
                    "is required when resolving a suggestion",
                ));
            }
            t.adopted = adopted.filter(|_| is_suggestion);
            t.resolution = Some(resolution.clone());
            t.resolved_at = Some(now_text);
            let filed = time::parse(&t.created_at).unwrap_or(now);
            let days = at.deadlines.calendar.working_days_after(filed, now);
            t.handling_days = Some(i32::try_from(days).unwrap_or(i32::MAX));
            data = t
                .adopted
                .map(|adopted| EventData::Resolve(timeline::Resolved { adopted }));
            Some(resolution)
        }
        Input::Revisit { rating, comment } => {
            // An unsatisfied rating sends the ticket back: those who rework it (and the
            // dispatcher) need to know what was wrong.
            if !rating.closes() && comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err(invalid(
                    "comment",
                    "is required when the rating is unsatisfied (the reason)",
                ));
            }
            let channel = if by.role == Role::Enterprise {
                Channel::Online
            } else {
                Channel::Phone
            };
            t.rating = Some(rating);
            // A merged request's enterprise rates its primary's resolution: the rating is
            // kept on its own ticket, which stays merged (the primary's own enterprise decides
            // whether the primary is reworked).
            let rework_due = if before.status == TicketStatus::Merged {
                None
            } else if rating.closes() {
                t.closed_at = Some(now_text);
                None
            } else {
                // Rework (重办) gets a deadline of its own.
                t.reopen_count += 1;
                t.resolved_at = None;
                t.handling_days = None;
                let due =
                    at.deadlines
                        .deadline(now, t.is_urgent(), at.deadlines.rework_working_days);
                t.due_at = Some(time::format(due));
                t.reset_deadline_marks();
                t.due_at.clone()
            };
            data = Some(EventData::Revisit(timeline::Revisited {
                rating,
                channel,
                previous_due_at: rework_due.as_ref().and(before.due_at.clone()),
                due_at: rework_due,
            }));
            revisit = Some(Revisit {
                rating,
                channel,
                comment: comment.clone(),
            });
            comment
        }
        Input::Close { reason } => {
            t.closed_at = Some(now_text);
            Some(reason)
        }
        Input::Withdraw { reason } => {
            t.withdrawn_at = Some(now_text);
            reason
        }
        Input::Merge {
            primary_id,
            primary_number,
            reason,
        } => {
            t.merged_into_id = Some(primary_id.clone());
            t.merged_at = Some(now_text);
            data = Some(EventData::Merge(timeline::Merged {
                primary_id,
                primary_number,
            }));
            Some(reason)
        }
        Input::Unmerge { reason } => {
            data = before
                .merged_into_id
                .clone()
                .map(|primary_id| EventData::Unmerge(timeline::Unmerged { primary_id }));
            t.merged_into_id = None;
            t.merged_at = None;
            // Taken out before its primary was resolved: nothing of the primary's stays.
            t.resolved_at = None;
            t.accepted_at.get_or_insert(now_text);
            Some(reason)
        }
    };
    Ok(Applied {
        ticket: t,
        entry: Entry {
            action: step.action(),
            from: Some(before.status),
            note,
            public,
            data,
        },
        revisit,
        co_departments_changed,
    })
}

/// An extension step with what it needs (whether it may be taken is
/// [`rules::decide_extension`]'s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionInput {
    Request {
        extension_id: String,
        working_days: u32,
        reason: String,
    },
    Approve {
        extension_id: String,
        working_days: u32,
        note: Option<String>,
    },
    Deny {
        extension_id: String,
        working_days: u32,
        reason: String,
    },
}

/// What an extension step does to the ticket: a request marks one waiting; an approval moves
/// the deadline by the working days asked for, counted from the deadline in force, and gives
/// it fresh reminders; a decision ends the wait.
pub fn apply_extension(
    before: &Ticket,
    input: ExtensionInput,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> Result<Applied, Refusal> {
    let mut t = next(before, before.status, &time::format(now));
    let (action, note, data) =
        match input {
            ExtensionInput::Request {
                extension_id,
                working_days,
                reason,
            } => (
                Action::ExtensionRequest,
                Some(reason),
                EventData::ExtensionRequest(timeline::ExtensionRequested {
                    extension_id,
                    days: working_days,
                    due_at: t.due_at.clone(),
                }),
            ),
            ExtensionInput::Approve {
                extension_id,
                working_days,
                note,
            } => {
                let due = before.due_at.as_deref().and_then(time::parse).ok_or(
                    TransitionError::Illegal {
                        status: before.status,
                        action: Action::ExtensionApprove,
                    },
                )?;
                t.due_at = Some(time::format(calendar.deadline(due, working_days)));
                t.extension_count += 1;
                t.reset_deadline_marks();
                (
                    Action::ExtensionApprove,
                    note,
                    EventData::ExtensionApprove(timeline::ExtensionApproved {
                        extension_id,
                        days: working_days,
                        due_before: before.due_at.clone(),
                        due_at: t.due_at.clone(),
                    }),
                )
            }
            ExtensionInput::Deny {
                extension_id,
                working_days,
                reason,
            } => (
                Action::ExtensionDeny,
                Some(reason),
                EventData::ExtensionDeny(timeline::ExtensionDenied {
                    extension_id,
                    days: working_days,
                }),
            ),
        };
    // A request makes one wait; a decision ends it.
    t.extension_pending = action == Action::ExtensionRequest;
    Ok(Applied {
        ticket: t,
        entry: Entry {
            action,
            from: Some(before.status),
            note,
            public: rules::is_public_by_default(action),
            data: Some(data),
        },
        revisit: None,
        co_departments_changed: false,
    })
}

/// What the scheduler may do to a ticket when its time comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sweep {
    /// The deadline is near.
    Remind,
    /// The cadre has not signed in time.
    SignRemind,
    /// The deadline has passed (督办), `days_late` working days ago: level 1, 2 or 3.
    Escalate { level: i32, days_late: u64 },
    /// Resolved before `cutoff` and never rated: closed without a rating.
    CloseUnrated { cutoff: String },
}

/// The ticket after a sweep step and its timeline entry, if the step still applies to it (the
/// ticket may have changed since the sweep listed it). Each step leaves a mark that the
/// deadline's next change clears, so that it fires once per deadline.
pub fn apply_sweep(before: &Ticket, sweep: &Sweep, now: DateTime<Utc>) -> Option<Applied> {
    let now_text = time::format(now);
    let status = before.status;
    let (to, action, public, data) = match sweep {
        Sweep::Remind => {
            let due = before.due_at.as_deref()?;
            if !status.is_handling() || before.reminded_at.is_some() || due <= now_text.as_str() {
                return None;
            }
            let data = EventData::Remind(timeline::Reminded {
                due_at: due.to_string(),
            });
            (status, Action::Remind, false, data)
        }
        Sweep::SignRemind => {
            let due = before.sign_due_at.as_deref()?;
            if status != TicketStatus::Assigned
                || before.sign_reminded_at.is_some()
                || due > now_text.as_str()
            {
                return None;
            }
            let data = EventData::SignRemind(timeline::SignReminded {
                sign_due_at: due.to_string(),
            });
            (status, Action::SignRemind, false, data)
        }
        Sweep::Escalate { level, days_late } => {
            let due = before.due_at.as_deref()?;
            if !status.is_handling()
                || before.escalation_level != level - 1
                || due > now_text.as_str()
            {
                return None;
            }
            let data = EventData::Escalate(timeline::Escalated {
                level: *level,
                days: *days_late,
                due_at: due.to_string(),
                urgent: before.is_urgent(),
            });
            (status, Action::Escalate, false, data)
        }
        Sweep::CloseUnrated { cutoff } => {
            let resolved = before.resolved_at.as_deref()?;
            if resolved > cutoff.as_str() {
                return None;
            }
            // Closing without a rating is the workflow's close, taken by no one.
            let to = rules::transition(status, Step::Close).ok()?;
            let data = EventData::Close(timeline::ClosedBySweep::no_response());
            (to, Action::Close, true, data)
        }
    };
    let mut t = next(before, to, &now_text);
    match sweep {
        Sweep::Remind => t.reminded_at = Some(now_text),
        Sweep::SignRemind => t.sign_reminded_at = Some(now_text),
        Sweep::Escalate { level, .. } => {
            t.escalation_level = *level;
            if *level == 1 {
                t.overdue_at = Some(now_text.clone());
                // Overdue is past the reminder.
                t.reminded_at.get_or_insert(now_text);
            }
        }
        Sweep::CloseUnrated { .. } => {
            t.closed_at = Some(now_text);
            t.no_response = true;
        }
    }
    Some(Applied {
        ticket: t,
        entry: Entry {
            action,
            from: Some(status),
            note: None,
            public,
            data: Some(data),
        },
        revisit: None,
        co_departments_changed: false,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::ticket::Role;
    use crate::domain::ticket::state::Filing;

    fn calendar() -> WorkCalendar {
        WorkCalendar::built_in().expect("the built-in calendar")
    }

    fn rules(calendar: &WorkCalendar) -> DeadlineRules<'_> {
        DeadlineRules {
            calendar,
            urgent_hours: 24,
            urgent_sign_hours: 2,
            sign_working_days: 1,
            rework_working_days: 3,
        }
    }

    /// Monday 2026-11-30, 10:00 in China.
    fn monday() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0)
            .single()
            .expect("a time")
    }

    fn filed() -> Ticket {
        Ticket::filed(Filing {
            id: "t".into(),
            number: "QYS20261123000001".into(),
            kind: TicketKind::Problem,
            title: "门前路灯不亮".into(),
            description: "夜间无照明".into(),
            category_id: "c".into(),
            enterprise_id: "e".into(),
            submitter_id: "u".into(),
            channel: Channel::Online,
            contact_name: None,
            contact_phone: None,
            priority: Priority::Normal,
            at: time::format(monday() - chrono::Duration::days(7)),
        })
    }

    const DISPATCHER: Doer<'static> = Doer {
        user_id: "d",
        role: Role::Dispatcher,
    };
    const CADRE: Doer<'static> = Doer {
        user_id: "k",
        role: Role::Cadre,
    };
    const ENTERPRISE: Doer<'static> = Doer {
        user_id: "u",
        role: Role::Enterprise,
    };

    fn run(before: &Ticket, input: Input, by: Doer<'_>, calendar: &WorkCalendar) -> Applied {
        let at = Moment {
            now: monday(),
            deadlines: rules(calendar),
            category_days: 5,
            progress_public: true,
        };
        apply(before, input, by, at).expect("applies")
    }

    fn assign(assignee: Option<&str>) -> Input {
        Input::Assign {
            department_id: "dept".into(),
            assignee_id: assignee.map(str::to_string),
            co_department_ids: Some(vec!["co".into()]),
            due_at: None,
            priority: None,
        }
    }

    #[test]
    fn an_assignment_sets_the_category_deadline_in_working_days_and_accepts_on_the_way() {
        let cal = calendar();
        let applied = run(&filed(), assign(Some("k")), DISPATCHER, &cal);
        let t = &applied.ticket;
        assert_eq!(t.status, TicketStatus::Assigned);
        assert_eq!(t.version, 2);
        // Five working days after Monday 30 November: Monday 7 December, at its close in China.
        assert_eq!(t.due_at.as_deref(), Some("2026-12-07T15:59:59.999Z"));
        // One working day to sign: Tuesday.
        assert_eq!(t.sign_due_at.as_deref(), Some("2026-12-01T15:59:59.999Z"));
        assert_eq!(t.accepted_at.as_deref(), Some("2026-11-30T02:00:00.000Z"));
        assert_eq!(t.co_department_ids, ["co"]);
        assert!(applied.co_departments_changed);
        assert_eq!(applied.entry.action, Action::Assign);
        assert_eq!(applied.entry.from, Some(TicketStatus::Submitted));
        let Some(EventData::Assign(data)) = &applied.entry.data else {
            panic!("assignment details: {:?}", applied.entry.data);
        };
        assert!(!data.reassigned);
        assert_eq!(data.due_at, t.due_at);
    }

    #[test]
    fn an_urgent_assignment_counts_hours_and_a_past_deadline_is_refused() {
        let cal = calendar();
        let urgent = Input::Assign {
            department_id: "dept".into(),
            assignee_id: None,
            co_department_ids: None,
            due_at: None,
            priority: Some(Priority::Urgent),
        };
        let t = run(&filed(), urgent, DISPATCHER, &cal).ticket;
        assert_eq!(t.priority, Priority::Urgent);
        assert_eq!(t.due_at.as_deref(), Some("2026-12-01T02:00:00.000Z"));
        assert_eq!(t.sign_due_at.as_deref(), Some("2026-11-30T04:00:00.000Z"));
        let past = Input::Assign {
            department_id: "dept".into(),
            assignee_id: None,
            co_department_ids: None,
            due_at: Some(monday() - chrono::Duration::hours(1)),
            priority: None,
        };
        let at = Moment {
            now: monday(),
            deadlines: rules(&cal),
            category_days: 5,
            progress_public: true,
        };
        let Err(Refusal::Invalid(errors)) = apply(&filed(), past, DISPATCHER, at) else {
            panic!("a deadline in the past is refused");
        };
        assert_eq!(errors.into_map()["due_at"], "must be in the future");
    }

    #[test]
    fn signing_a_department_ticket_makes_the_signer_its_assignee() {
        let cal = calendar();
        let assigned = run(&filed(), assign(None), DISPATCHER, &cal).ticket;
        let applied = run(&assigned, Input::Sign, CADRE, &cal);
        assert_eq!(applied.ticket.status, TicketStatus::InProgress);
        assert_eq!(applied.ticket.assignee_id.as_deref(), Some("k"));
        assert_eq!(
            applied.entry.data,
            Some(EventData::Sign(timeline::Signed {
                assignee_id: "k".into()
            }))
        );
        // With an assignee already, signing names nobody.
        let named = run(&filed(), assign(Some("k")), DISPATCHER, &cal).ticket;
        assert_eq!(run(&named, Input::Sign, CADRE, &cal).entry.data, None);
    }

    #[test]
    fn a_return_forgets_the_assignment_and_says_where_it_was() {
        let cal = calendar();
        let assigned = run(&filed(), assign(Some("k")), DISPATCHER, &cal).ticket;
        let applied = run(
            &assigned,
            Input::Return {
                reason: "非本部门职责".into(),
            },
            CADRE,
            &cal,
        );
        let t = &applied.ticket;
        assert_eq!(t.status, TicketStatus::Accepted);
        assert_eq!(
            (t.department_id.as_ref(), t.assignee_id.as_ref()),
            (None, None)
        );
        assert_eq!((t.due_at.as_ref(), t.sign_due_at.as_ref()), (None, None));
        assert!(t.co_department_ids.is_empty() && applied.co_departments_changed);
        assert_eq!(applied.entry.note.as_deref(), Some("非本部门职责"));
        assert!(!applied.entry.public);
        assert_eq!(
            applied
                .entry
                .data
                .as_ref()
                .and_then(EventData::department_id),
            Some("dept")
        );
    }

    #[test]
    fn resolving_counts_handling_days_and_a_suggestion_needs_adopted() {
        let cal = calendar();
        let assigned = run(&filed(), assign(Some("k")), DISPATCHER, &cal).ticket;
        let working = run(&assigned, Input::Sign, CADRE, &cal).ticket;
        let resolve = |adopted| Input::Resolve {
            resolution: "已修复".into(),
            adopted,
        };
        let resolved = run(&working, resolve(Some(true)), CADRE, &cal);
        // Filed Monday 23 November, resolved Monday 30: five working days.
        assert_eq!(resolved.ticket.handling_days, Some(5));
        // A problem keeps no `adopted`, whatever was sent.
        assert_eq!(resolved.ticket.adopted, None);
        assert_eq!(resolved.entry.data, None);
        let suggestion = Ticket {
            kind: TicketKind::Suggestion,
            ..working
        };
        let at = Moment {
            now: monday(),
            deadlines: rules(&cal),
            category_days: 5,
            progress_public: true,
        };
        assert!(matches!(
            apply(&suggestion, resolve(None), CADRE, at),
            Err(Refusal::Invalid(_))
        ));
        let adopted = run(&suggestion, resolve(Some(false)), CADRE, &cal);
        assert_eq!(adopted.ticket.adopted, Some(false));
    }

    #[test]
    fn an_unsatisfied_rating_sends_it_back_with_a_rework_deadline() {
        let cal = calendar();
        let assigned = run(&filed(), assign(Some("k")), DISPATCHER, &cal).ticket;
        let working = run(&assigned, Input::Sign, CADRE, &cal).ticket;
        let resolved = run(
            &working,
            Input::Resolve {
                resolution: "已修复".into(),
                adopted: None,
            },
            CADRE,
            &cal,
        )
        .ticket;
        let rate = |rating| Input::Revisit {
            rating,
            comment: Some("还是不亮".into()),
        };
        let reopened = run(&resolved, rate(Rating::Unsatisfied), ENTERPRISE, &cal);
        let t = &reopened.ticket;
        assert_eq!(t.status, TicketStatus::InProgress);
        assert_eq!(t.reopen_count, 1);
        assert_eq!((t.resolved_at.as_ref(), t.handling_days), (None, None));
        // Three working days of rework, which the timeline says replace the old deadline.
        assert_eq!(t.due_at.as_deref(), Some("2026-12-03T15:59:59.999Z"));
        assert_eq!(
            reopened.entry.data,
            Some(EventData::Revisit(timeline::Revisited {
                rating: Rating::Unsatisfied,
                channel: Channel::Online,
                due_at: t.due_at.clone(),
                previous_due_at: resolved.due_at.clone(),
            }))
        );
        assert!(resolved.due_at.is_some() && resolved.due_at != t.due_at);
        assert_eq!(
            reopened.revisit,
            Some(Revisit {
                rating: Rating::Unsatisfied,
                channel: Channel::Online,
                comment: Some("还是不亮".into()),
            })
        );
        // Not without its reason: the rework needs to know what was wrong.
        let at = Moment {
            now: monday(),
            deadlines: rules(&cal),
            category_days: 5,
            progress_public: true,
        };
        for comment in [None, Some("   ".to_string())] {
            let bare = Input::Revisit {
                rating: Rating::Unsatisfied,
                comment,
            };
            match apply(&resolved, bare, ENTERPRISE, at) {
                Err(Refusal::Invalid(errors)) => assert!(errors.map().contains_key("comment")),
                other => panic!("an unsatisfied rating without a reason: {other:?}"),
            }
        }
        // Satisfied needs none.
        let plain = Input::Revisit {
            rating: Rating::BasicallySatisfied,
            comment: None,
        };
        assert!(apply(&resolved, plain, ENTERPRISE, at).is_ok());
        // A dispatcher records a phone revisit that closes it.
        let closed = run(&resolved, rate(Rating::Satisfied), DISPATCHER, &cal);
        assert_eq!(closed.ticket.status, TicketStatus::Closed);
        assert!(closed.ticket.closed_at.is_some());
        assert_eq!(closed.revisit.map(|r| r.channel), Some(Channel::Phone));
    }

    #[test]
    fn a_step_the_status_does_not_allow_is_refused() {
        let cal = calendar();
        let at = Moment {
            now: monday(),
            deadlines: rules(&cal),
            category_days: 5,
            progress_public: true,
        };
        assert_eq!(
            apply(&filed(), Input::Sign, CADRE, at),
            Err(Refusal::Transition(TransitionError::Illegal {
                status: TicketStatus::Submitted,
                action: Action::Sign,
            }))
        );
    }

    #[test]
    fn an_approved_extension_moves_the_deadline_by_working_days() {
        let cal = calendar();
        let assigned = run(&filed(), assign(Some("k")), DISPATCHER, &cal).ticket;
        let marked = Ticket {
            reminded_at: Some("x".into()),
            ..assigned
        };
        let approve = ExtensionInput::Approve {
            extension_id: "x1".into(),
            working_days: 2,
            note: None,
        };
        let asked = ExtensionInput::Request {
            extension_id: "x1".into(),
            working_days: 2,
            reason: "需协调".into(),
        };
        let marked = apply_extension(&marked, asked, &cal, monday())
            .expect("asked")
            .ticket;
        assert!(marked.extension_pending);
        let applied = apply_extension(&marked, approve, &cal, monday()).expect("approved");
        assert!(!applied.ticket.extension_pending);
        // Two working days after Monday 7 December.
        assert_eq!(
            applied.ticket.due_at.as_deref(),
            Some("2026-12-09T15:59:59.999Z")
        );
        assert_eq!(applied.ticket.extension_count, 1);
        assert_eq!(applied.ticket.reminded_at, None);
        assert!(applied.entry.public);
        let deny = ExtensionInput::Deny {
            extension_id: "x1".into(),
            working_days: 2,
            reason: "理由不足".into(),
        };
        let denied = apply_extension(&marked, deny, &cal, monday()).expect("denied");
        assert!(!denied.ticket.extension_pending);
        assert_eq!(denied.ticket.due_at, marked.due_at);
        assert!(!denied.entry.public);
    }

    #[test]
    fn sweeps_fire_once_per_deadline() {
        let cal = calendar();
        let assigned = run(&filed(), assign(Some("k")), DISPATCHER, &cal).ticket;
        let soon = monday() + chrono::Duration::days(6);
        let reminded = apply_sweep(&assigned, &Sweep::Remind, soon).expect("a reminder");
        assert!(reminded.ticket.reminded_at.is_some());
        assert_eq!(apply_sweep(&reminded.ticket, &Sweep::Remind, soon), None);
        // Past the deadline: escalation level 1 marks it overdue.
        let late = monday() + chrono::Duration::days(9);
        let escalate = Sweep::Escalate {
            level: 1,
            days_late: 1,
        };
        let overdue = apply_sweep(&assigned, &escalate, late).expect("escalated");
        assert_eq!(overdue.ticket.escalation_level, 1);
        assert!(overdue.ticket.overdue_at.is_some());
        assert_eq!(apply_sweep(&overdue.ticket, &escalate, late), None);
        // A ticket still assigned is not closed for want of a rating.
        let cutoff = Sweep::CloseUnrated {
            cutoff: time::format(late),
        };
        assert_eq!(apply_sweep(&assigned, &cutoff, late), None);
    }

    #[test]
    fn an_unrated_resolution_is_closed_through_the_workflow_close() {
        let resolved = Ticket {
            status: TicketStatus::Resolved,
            resolved_at: Some(time::format(monday())),
            ..filed()
        };
        let later = monday() + chrono::Duration::days(8);
        let sweep = Sweep::CloseUnrated {
            cutoff: time::format(later),
        };
        let closed = apply_sweep(&resolved, &sweep, later).expect("closed");
        assert_eq!(closed.ticket.status, TicketStatus::Closed);
        assert!(closed.ticket.no_response);
        assert_eq!(closed.entry.action, Action::Close);
        assert_eq!(closed.entry.from, Some(TicketStatus::Resolved));
        assert_eq!(
            closed.entry.data,
            Some(EventData::Close(timeline::ClosedBySweep::no_response()))
        );
        // Resolved after the cutoff: not yet.
        let early = Sweep::CloseUnrated {
            cutoff: time::format(monday() - chrono::Duration::days(1)),
        };
        assert_eq!(apply_sweep(&resolved, &early, later), None);
    }
}
