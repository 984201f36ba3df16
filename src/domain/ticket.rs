//! The ticket workflow: statuses, the actions that move a ticket between them, who may take
//! each action, and who may see a ticket at all.
//!
//! `decide` is the whole state machine. It is pure: the caller gathers the facts (the
//! ticket's status, the actor's role and relation to the ticket) and applies the answer.

use thiserror::Error;

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
    }
);

impl TicketStatus {
    /// Statuses in which the ticket is being handled and a deadline runs.
    pub fn is_handling(self) -> bool {
        matches!(self, TicketStatus::Assigned | TicketStatus::InProgress)
    }

    /// Statuses from which no action leads anywhere.
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

/// A workflow action with what decides its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Reject,
    Assign,
    Sign,
    Return,
    Progress,
    Urge,
    Resolve,
    Revisit(Rating),
    Close,
    Withdraw,
}

impl Step {
    pub fn action(self) -> Action {
        match self {
            Step::Accept => Action::Accept,
            Step::Reject => Action::Reject,
            Step::Assign => Action::Assign,
            Step::Sign => Action::Sign,
            Step::Return => Action::Return,
            Step::Progress => Action::Progress,
            Step::Urge => Action::Urge,
            Step::Resolve => Action::Resolve,
            Step::Revisit(_) => Action::Revisit,
            Step::Close => Action::Close,
            Step::Withdraw => Action::Withdraw,
        }
    }

    /// Every step, with each revisit rating.
    pub fn all() -> Vec<Step> {
        let mut steps = vec![
            Step::Accept,
            Step::Reject,
            Step::Assign,
            Step::Sign,
            Step::Return,
            Step::Progress,
            Step::Urge,
            Step::Resolve,
            Step::Close,
            Step::Withdraw,
        ];
        steps.extend(Rating::ALL.iter().map(|r| Step::Revisit(*r)));
        steps
    }
}

/// Who is acting, and how they stand to the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// The ticket's assignee is this user.
    pub is_assignee: bool,
    /// The user is a cadre of the ticket's lead department.
    pub in_lead_department: bool,
    /// The user is a cadre of one of the ticket's co-departments.
    pub in_co_department: bool,
    /// The user belongs to the enterprise that filed the ticket.
    pub of_filing_enterprise: bool,
    /// The user is the liaison cadre of the enterprise that filed the ticket.
    pub is_liaison: bool,
}

impl Actor {
    /// An actor with no relation to the ticket beyond their role.
    pub fn with_role(role: Role) -> Self {
        Actor {
            role,
            is_assignee: false,
            in_lead_department: false,
            in_co_department: false,
            of_filing_enterprise: false,
            is_liaison: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("a user with the role {role} may not {action} tickets")]
    RoleNotAllowed { role: Role, action: Action },
    #[error("only {who} may {action} this ticket")]
    NotResponsible { action: Action, who: &'static str },
    #[error("cannot {action} a ticket that is {status}")]
    Illegal {
        status: TicketStatus,
        action: Action,
    },
}

/// May this actor see the ticket at all? Outside this, the ticket does not exist for them.
pub fn can_view(actor: &Actor) -> bool {
    match actor.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Enterprise => actor.of_filing_enterprise,
        Role::Cadre => {
            actor.is_assignee
                || actor.in_lead_department
                || actor.in_co_department
                || actor.is_liaison
        }
    }
}

/// Checks the role and the actor's relation to the ticket.
fn authorize(step: Step, actor: &Actor, has_assignee: bool) -> Result<(), TransitionError> {
    let action = step.action();
    let role_ok = match step {
        Step::Accept | Step::Reject | Step::Assign | Step::Urge | Step::Close => {
            matches!(actor.role, Role::Dispatcher | Role::Admin)
        }
        Step::Sign | Step::Return | Step::Progress | Step::Resolve => actor.role == Role::Cadre,
        Step::Revisit(_) => matches!(actor.role, Role::Enterprise | Role::Dispatcher),
        Step::Withdraw => actor.role == Role::Enterprise,
    };
    if !role_ok {
        return Err(TransitionError::RoleNotAllowed {
            role: actor.role,
            action,
        });
    }
    let (responsible, who) = match step {
        Step::Sign | Step::Return => (
            actor.is_assignee || (!has_assignee && actor.in_lead_department),
            "the assignee, or a cadre of the lead department when there is no assignee,",
        ),
        Step::Progress => (
            actor.is_assignee || actor.in_lead_department || actor.in_co_department,
            "the assignee or a cadre of the lead or a co-handling department",
        ),
        Step::Resolve => (
            actor.is_assignee || actor.in_lead_department,
            "the assignee or a cadre of the lead department",
        ),
        Step::Revisit(_) | Step::Withdraw if actor.role == Role::Enterprise => {
            (actor.of_filing_enterprise, "the enterprise that filed it")
        }
        _ => (true, ""),
    };
    if responsible {
        Ok(())
    } else {
        Err(TransitionError::NotResponsible { action, who })
    }
}

/// The status a step leads to from `status`, if the step is legal there.
pub fn transition(status: TicketStatus, step: Step) -> Result<TicketStatus, TransitionError> {
    use TicketStatus::*;
    let next = match (step, status) {
        (Step::Accept, Submitted) => Some(Accepted),
        (Step::Reject, Submitted) => Some(Rejected),
        (Step::Assign, Submitted | Accepted | Assigned | InProgress) => Some(Assigned),
        (Step::Sign, Assigned) => Some(InProgress),
        (Step::Return, Assigned) => Some(Accepted),
        (Step::Progress, InProgress) => Some(InProgress),
        (Step::Urge, Assigned | InProgress) => Some(status),
        (Step::Resolve, InProgress) => Some(Resolved),
        (Step::Revisit(rating), Resolved) => {
            Some(if rating.closes() { Closed } else { InProgress })
        }
        (Step::Close, Resolved) => Some(Closed),
        (Step::Withdraw, Submitted | Accepted) => Some(Withdrawn),
        _ => None,
    };
    next.ok_or(TransitionError::Illegal {
        status,
        action: step.action(),
    })
}

/// The whole state machine: may `actor` take `step` on a ticket in `status` (with or without
/// an assignee), and where does it lead?
///
/// The role is checked first, then the actor's relation to the ticket, then the status, so a
/// user is told they may not act before being told the ticket is in the wrong state.
pub fn decide(
    status: TicketStatus,
    has_assignee: bool,
    step: Step,
    actor: &Actor,
) -> Result<TicketStatus, TransitionError> {
    authorize(step, actor, has_assignee)?;
    transition(status, step)
}

/// Whether the timeline entry of an action is shown to the enterprise. Returns and urges are
/// the government's own business; progress notes say for themselves.
pub fn is_public_by_default(action: Action) -> bool {
    !matches!(
        action,
        Action::Return
            | Action::Urge
            | Action::Progress
            | Action::ExtensionRequest
            | Action::ExtensionDeny
            | Action::Remind
            | Action::SignRemind
            | Action::Escalate
    )
}

/// The human-readable number of a ticket: prefix, China date, and the day's sequence.
pub fn format_number(prefix: &str, day: chrono::NaiveDate, sequence: i64) -> String {
    format!("{prefix}{}{sequence:06}", day.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    /// The table of the issue, written out independently of `decide`: (step, from, to).
    fn expected_target(step: Step, from: TicketStatus) -> Option<TicketStatus> {
        let table: &[(Step, &[TicketStatus], Option<TicketStatus>)] = &[
            (Step::Accept, &[Submitted], Some(Accepted)),
            (Step::Reject, &[Submitted], Some(Rejected)),
            (
                Step::Assign,
                &[Submitted, Accepted, Assigned, InProgress],
                Some(Assigned),
            ),
            (Step::Sign, &[Assigned], Some(InProgress)),
            (Step::Return, &[Assigned], Some(Accepted)),
            (Step::Progress, &[InProgress], Some(InProgress)),
            (Step::Urge, &[Assigned, InProgress], None),
            (Step::Resolve, &[InProgress], Some(Resolved)),
            (Step::Revisit(Rating::Satisfied), &[Resolved], Some(Closed)),
            (
                Step::Revisit(Rating::BasicallySatisfied),
                &[Resolved],
                Some(Closed),
            ),
            (
                Step::Revisit(Rating::Unsatisfied),
                &[Resolved],
                Some(InProgress),
            ),
            (Step::Close, &[Resolved], Some(Closed)),
            (Step::Withdraw, &[Submitted, Accepted], Some(Withdrawn)),
        ];
        table
            .iter()
            .find(|(s, froms, _)| *s == step && froms.contains(&from))
            // Urge leaves the status as it is.
            .map(|(_, _, to)| to.unwrap_or(from))
    }

    fn roles_allowed(step: Step) -> &'static [Role] {
        match step {
            Step::Accept | Step::Reject | Step::Assign | Step::Urge | Step::Close => {
                &[Role::Dispatcher, Role::Admin]
            }
            Step::Sign | Step::Return | Step::Progress | Step::Resolve => &[Role::Cadre],
            Step::Revisit(_) => &[Role::Enterprise, Role::Dispatcher],
            Step::Withdraw => &[Role::Enterprise],
        }
    }

    /// An actor of the role with every relation that role can have to a ticket.
    fn fully_related(role: Role) -> Actor {
        Actor {
            role,
            is_assignee: role == Role::Cadre,
            in_lead_department: role == Role::Cadre,
            in_co_department: false,
            of_filing_enterprise: role == Role::Enterprise,
            is_liaison: false,
        }
    }

    #[test]
    fn every_status_action_and_role() {
        let mut checked = 0;
        for &status in TicketStatus::ALL {
            for step in Step::all() {
                for &role in Role::ALL {
                    let actor = fully_related(role);
                    let got = decide(status, true, step, &actor);
                    let role_ok = roles_allowed(step).contains(&role);
                    match (role_ok, expected_target(step, status)) {
                        (false, _) => assert_eq!(
                            got,
                            Err(TransitionError::RoleNotAllowed {
                                role,
                                action: step.action()
                            }),
                            "{status} {step:?} {role}"
                        ),
                        (true, None) => assert_eq!(
                            got,
                            Err(TransitionError::Illegal {
                                status,
                                action: step.action()
                            }),
                            "{status} {step:?} {role}"
                        ),
                        (true, Some(to)) => assert_eq!(got, Ok(to), "{status} {step:?} {role}"),
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 13 * 4);
    }

    #[test]
    fn sign_and_return_need_the_assignee_or_the_lead_department_without_one() {
        let colleague = Actor {
            in_lead_department: true,
            ..Actor::with_role(Role::Cadre)
        };
        let assignee = Actor {
            is_assignee: true,
            ..Actor::with_role(Role::Cadre)
        };
        let co = Actor {
            in_co_department: true,
            ..Actor::with_role(Role::Cadre)
        };
        for step in [Step::Sign, Step::Return] {
            assert!(decide(Assigned, true, step, &assignee).is_ok());
            assert!(matches!(
                decide(Assigned, true, step, &colleague),
                Err(TransitionError::NotResponsible { .. })
            ));
            assert!(decide(Assigned, false, step, &colleague).is_ok());
            assert!(matches!(
                decide(Assigned, false, step, &co),
                Err(TransitionError::NotResponsible { .. })
            ));
        }
    }

    #[test]
    fn progress_is_open_to_co_departments_but_resolve_is_not() {
        let co = Actor {
            in_co_department: true,
            ..Actor::with_role(Role::Cadre)
        };
        assert_eq!(
            decide(InProgress, true, Step::Progress, &co),
            Ok(InProgress)
        );
        assert!(matches!(
            decide(InProgress, true, Step::Resolve, &co),
            Err(TransitionError::NotResponsible { .. })
        ));
        let colleague = Actor {
            in_lead_department: true,
            ..Actor::with_role(Role::Cadre)
        };
        assert_eq!(
            decide(InProgress, true, Step::Resolve, &colleague),
            Ok(Resolved)
        );
        let liaison_only = Actor {
            is_liaison: true,
            ..Actor::with_role(Role::Cadre)
        };
        assert!(matches!(
            decide(InProgress, true, Step::Progress, &liaison_only),
            Err(TransitionError::NotResponsible { .. })
        ));
    }

    #[test]
    fn another_enterprise_may_not_withdraw_or_rate() {
        let stranger = Actor::with_role(Role::Enterprise);
        assert!(matches!(
            decide(Submitted, false, Step::Withdraw, &stranger),
            Err(TransitionError::NotResponsible { .. })
        ));
        assert!(matches!(
            decide(Resolved, true, Step::Revisit(Rating::Satisfied), &stranger),
            Err(TransitionError::NotResponsible { .. })
        ));
        // A dispatcher records a phone revisit without belonging to the enterprise.
        assert_eq!(
            decide(
                Resolved,
                true,
                Step::Revisit(Rating::Unsatisfied),
                &Actor::with_role(Role::Dispatcher)
            ),
            Ok(InProgress)
        );
    }

    #[test]
    fn errors_name_the_status_and_the_action() {
        let err = decide(Closed, true, Step::Accept, &Actor::with_role(Role::Admin))
            .expect_err("closed tickets cannot be accepted");
        assert_eq!(err.to_string(), "cannot accept a ticket that is closed");
    }

    #[test]
    fn final_statuses_lead_nowhere() {
        for &status in TicketStatus::ALL.iter().filter(|s| s.is_final()) {
            for step in Step::all() {
                for &role in Role::ALL {
                    assert!(decide(status, true, step, &fully_related(role)).is_err());
                }
            }
        }
    }

    #[test]
    fn who_sees_a_ticket() {
        assert!(can_view(&Actor::with_role(Role::Admin)));
        assert!(can_view(&Actor::with_role(Role::Dispatcher)));
        assert!(!can_view(&Actor::with_role(Role::Enterprise)));
        assert!(!can_view(&Actor::with_role(Role::Cadre)));
        for actor in [
            Actor {
                of_filing_enterprise: true,
                ..Actor::with_role(Role::Enterprise)
            },
            Actor {
                is_assignee: true,
                ..Actor::with_role(Role::Cadre)
            },
            Actor {
                in_lead_department: true,
                ..Actor::with_role(Role::Cadre)
            },
            Actor {
                in_co_department: true,
                ..Actor::with_role(Role::Cadre)
            },
            Actor {
                is_liaison: true,
                ..Actor::with_role(Role::Cadre)
            },
        ] {
            assert!(can_view(&actor), "{actor:?}");
        }
    }

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
    }

    #[test]
    fn numbers() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        assert_eq!(format_number("QYS", day, 123), "QYS20261122000123");
        assert_eq!(format_number("QYS", day, 1_234_567), "QYS202611221234567");
    }
}
