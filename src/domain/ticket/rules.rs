//! The ticket workflow's rules: the actions that move a ticket between statuses, who may take
//! each, extension requests and their decisions, who may see and comment on a ticket, and —
//! from all of these — what a reader may do now ([`allowed_actions`]).
//!
//! [`decide`] is the whole state machine. It is pure: the caller gathers the facts (the
//! ticket's status, the actor's role and relation to the ticket) and applies the answer. The
//! pages, the scheduler and the extension service ask these functions; none repeats them.

use thiserror::Error;

use super::{Action, AllowedAction, Rating, Role, TicketKind, TicketStatus};

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
    /// Close a duplicate as merged into another request (its primary).
    Merge,
    /// Take a merged duplicate out of its primary, back to accepted.
    Unmerge,
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
            Step::Merge => Action::Merge,
            Step::Unmerge => Action::Unmerge,
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
            Step::Merge,
            Step::Unmerge,
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
    #[error("a user with the role {role} may not {} tickets", action.phrase())]
    RoleNotAllowed { role: Role, action: Action },
    #[error("only {who} may {} this ticket", action.phrase())]
    NotResponsible { action: Action, who: &'static str },
    #[error("cannot {} a ticket that is {status}", action.phrase())]
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
        Step::Accept
        | Step::Reject
        | Step::Assign
        | Step::Urge
        | Step::Close
        | Step::Merge
        | Step::Unmerge => matches!(actor.role, Role::Dispatcher | Role::Admin),
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
        // Only a request still waiting to be handled is merged; what it is merged into is
        // checked by [`may_merge_into`].
        (Step::Merge, Submitted | Accepted) => Some(Merged),
        (Step::Unmerge, Merged) => Some(Accepted),
        // A merged request's enterprise rates its primary's resolution on its own ticket,
        // which stays merged ([`merged_may`] says when).
        (Step::Revisit(_), Merged) => Some(Merged),
        _ => None,
    };
    next.ok_or(TransitionError::Illegal {
        status,
        action: step.action(),
    })
}

/// Why a request cannot be merged into another (the primary): both must be of the same kind,
/// and the primary accepted and not yet resolved, so that the duplicate follows a request that
/// is being handled, and can still be taken out of it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MergeRefusal {
    #[error("a request cannot be merged into itself")]
    Itself,
    #[error("a {duplicate} cannot be merged into a {primary}: merge requests of one kind")]
    OtherKind {
        duplicate: TicketKind,
        primary: TicketKind,
    },
    #[error("the primary is {0}: merge into a request that is accepted and not yet resolved")]
    PrimaryNotOpen(TicketStatus),
}

/// May a request of `duplicate` kind be merged into a primary of `primary` kind in
/// `primary_status`? (Whether the duplicate itself may be merged is [`decide`]'s.)
pub fn may_merge_into(
    same_ticket: bool,
    duplicate: TicketKind,
    primary: TicketKind,
    primary_status: TicketStatus,
) -> Result<(), MergeRefusal> {
    use TicketStatus::*;
    if same_ticket {
        return Err(MergeRefusal::Itself);
    }
    if duplicate != primary {
        return Err(MergeRefusal::OtherKind { duplicate, primary });
    }
    if !matches!(primary_status, Accepted | Assigned | InProgress) {
        return Err(MergeRefusal::PrimaryNotOpen(primary_status));
    }
    Ok(())
}

/// The primary's public steps a merged request's timeline carries too, as they happen: its
/// enterprise follows the request it was merged into (a progress note only when public).
pub const FOLLOWED: &[Action] = &[
    Action::Assign,
    Action::Progress,
    Action::Resolve,
    Action::ExtensionApprove,
];

/// What a merged request allows beyond [`transition`]: taking it out of its primary only until
/// the primary is resolved (which sets the merged request's `resolved_at`), and rating the
/// primary's resolution only after it, once.
pub fn merged_may(situation: &Situation, step: Step) -> bool {
    if situation.status != TicketStatus::Merged {
        return true;
    }
    match step {
        Step::Unmerge => !situation.resolved,
        Step::Revisit(_) => situation.resolved && !situation.rated,
        _ => true,
    }
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

impl Action {
    /// The action as the verb of a sentence: "cannot {phrase} a ticket that is closed".
    pub fn phrase(self) -> &'static str {
        match self {
            Action::ExtensionRequest => "ask for an extension of",
            Action::ExtensionApprove => "approve an extension of",
            Action::ExtensionDeny => "deny an extension of",
            Action::SignRemind => "remind to sign",
            other => other.as_str(),
        }
    }
}

/// What the rules need to know of a ticket, beside who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub status: TicketStatus,
    pub has_assignee: bool,
    /// A deadline runs (`due_at` is set).
    pub has_deadline: bool,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
    /// It has a resolution time (for a merged request: its primary was resolved).
    pub resolved: bool,
    /// It has a rating.
    pub rated: bool,
}

/// An extension request (延期) and the two decisions on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionStep {
    Request,
    Approve,
    Deny,
}

impl ExtensionStep {
    pub fn action(self) -> Action {
        match self {
            ExtensionStep::Request => Action::ExtensionRequest,
            ExtensionStep::Approve => Action::ExtensionApprove,
            ExtensionStep::Deny => Action::ExtensionDeny,
        }
    }
}

/// May `actor` take this extension step on a ticket in this situation? Asking is for whoever
/// may sign (the assignee, or a cadre of the lead department when there is none) while the
/// ticket is handled under a deadline; deciding is for dispatchers and administrators, and an
/// approval needs a deadline still running to move. Whether a request is waiting is the
/// caller's to check: it answers with codes of its own (`extension_pending`,
/// `extension_decided`).
pub fn decide_extension(
    situation: &Situation,
    step: ExtensionStep,
    actor: &Actor,
) -> Result<(), TransitionError> {
    let action = step.action();
    let role_ok = match step {
        ExtensionStep::Request => actor.role == Role::Cadre,
        ExtensionStep::Approve | ExtensionStep::Deny => {
            matches!(actor.role, Role::Dispatcher | Role::Admin)
        }
    };
    if !role_ok {
        return Err(TransitionError::RoleNotAllowed {
            role: actor.role,
            action,
        });
    }
    if step == ExtensionStep::Request
        && !(actor.is_assignee || (!situation.has_assignee && actor.in_lead_department))
    {
        return Err(TransitionError::NotResponsible {
            action,
            who: "the assignee, or a cadre of the lead department when there is no assignee,",
        });
    }
    let needs_deadline = matches!(step, ExtensionStep::Request | ExtensionStep::Approve);
    if needs_deadline && !(situation.status.is_handling() && situation.has_deadline) {
        return Err(TransitionError::Illegal {
            status: situation.status,
            action,
        });
    }
    Ok(())
}

/// May a reader who sees the ticket comment on it? While it is open: a closed, rejected or
/// withdrawn request takes no more comments (a new difficulty is a new request), nor does a
/// merged one (its primary is where the work is).
pub fn may_comment(status: TicketStatus) -> bool {
    !status.is_final() && status != TicketStatus::Merged
}

/// Everything `actor` may do to the ticket now, in a fixed order: the workflow actions that
/// [`decide`] allows, a comment, and the extension steps [`decide_extension`] allows (a request
/// only when none is waiting, a decision only when one is). Nothing for a reader who may not
/// see the ticket.
pub fn allowed_actions(situation: &Situation, actor: &Actor) -> Vec<AllowedAction> {
    if !can_view(actor) {
        return Vec::new();
    }
    let workflow = [
        (Step::Accept, AllowedAction::Accept),
        (Step::Reject, AllowedAction::Reject),
        (Step::Assign, AllowedAction::Assign),
        (Step::Sign, AllowedAction::Sign),
        (Step::Return, AllowedAction::Return),
        (Step::Progress, AllowedAction::Progress),
        (Step::Urge, AllowedAction::Urge),
        (Step::Resolve, AllowedAction::Resolve),
        // The rating decides where a revisit leads, not whether it may be made.
        (Step::Revisit(Rating::Satisfied), AllowedAction::Revisit),
        (Step::Close, AllowedAction::Close),
        (Step::Withdraw, AllowedAction::Withdraw),
        (Step::Merge, AllowedAction::Merge),
        (Step::Unmerge, AllowedAction::Unmerge),
    ];
    let mut allowed: Vec<AllowedAction> = workflow
        .into_iter()
        .filter(|(step, _)| {
            decide(situation.status, situation.has_assignee, *step, actor).is_ok()
                && merged_may(situation, *step)
        })
        .map(|(_, action)| action)
        .collect();
    if may_comment(situation.status) {
        allowed.push(AllowedAction::Comment);
    }
    let extension = |step| decide_extension(situation, step, actor).is_ok();
    if !situation.extension_pending && extension(ExtensionStep::Request) {
        allowed.push(AllowedAction::ExtensionRequest);
    }
    if situation.extension_pending {
        if extension(ExtensionStep::Approve) {
            allowed.push(AllowedAction::ExtensionApprove);
        }
        if extension(ExtensionStep::Deny) {
            allowed.push(AllowedAction::ExtensionDeny);
        }
    }
    allowed
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
            (Step::Merge, &[Submitted, Accepted], Some(Merged)),
            (Step::Unmerge, &[Merged], Some(Accepted)),
            (Step::Revisit(Rating::Satisfied), &[Merged], Some(Merged)),
            (
                Step::Revisit(Rating::BasicallySatisfied),
                &[Merged],
                Some(Merged),
            ),
            (Step::Revisit(Rating::Unsatisfied), &[Merged], Some(Merged)),
        ];
        table
            .iter()
            .find(|(s, froms, _)| *s == step && froms.contains(&from))
            // Urge leaves the status as it is.
            .map(|(_, _, to)| to.unwrap_or(from))
    }

    fn roles_allowed(step: Step) -> &'static [Role] {
        match step {
            Step::Accept
            | Step::Reject
            | Step::Assign
            | Step::Urge
            | Step::Close
            | Step::Merge
            | Step::Unmerge => &[Role::Dispatcher, Role::Admin],
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
        assert_eq!(checked, 9 * 15 * 4);
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

    fn situation(status: TicketStatus) -> Situation {
        Situation {
            status,
            has_assignee: true,
            has_deadline: status.is_handling(),
            extension_pending: false,
            resolved: matches!(status, Resolved | Closed),
            rated: status == Closed,
        }
    }

    #[test]
    fn allowed_actions_agree_with_decide_for_every_status_and_role() {
        for &status in TicketStatus::ALL {
            for &role in Role::ALL {
                let actor = fully_related(role);
                let allowed = allowed_actions(&situation(status), &actor);
                for step in Step::all() {
                    let name = AllowedAction::parse(step.action().as_str()).expect("an action");
                    assert_eq!(
                        allowed.contains(&name),
                        decide(status, true, step, &actor).is_ok()
                            && merged_may(&situation(status), step),
                        "{status} {step:?} {role}: {allowed:?}"
                    );
                }
                assert_eq!(
                    allowed.contains(&AllowedAction::Comment),
                    !status.is_final() && status != Merged,
                    "{status} {role}"
                );
            }
        }
    }

    #[test]
    fn the_enterprise_sees_withdraw_before_assignment_and_revisit_after_resolution() {
        let filer = fully_related(Role::Enterprise);
        let at = |status| allowed_actions(&situation(status), &filer);
        use AllowedAction as A;
        assert_eq!(at(Submitted), [A::Withdraw, A::Comment]);
        assert_eq!(at(Accepted), [A::Withdraw, A::Comment]);
        assert_eq!(at(InProgress), [A::Comment]);
        assert_eq!(at(Resolved), [A::Revisit, A::Comment]);
        // Rated and closed: nothing is left to do, not even a supplement.
        assert_eq!(at(Closed), []);
        assert!(
            allowed_actions(&situation(Submitted), &Actor::with_role(Role::Enterprise)).is_empty()
        );
    }

    #[test]
    fn extension_steps_follow_the_pending_request() {
        use AllowedAction as A;
        let assignee = fully_related(Role::Cadre);
        let dispatcher = fully_related(Role::Dispatcher);
        let open = situation(InProgress);
        let waiting = Situation {
            extension_pending: true,
            ..open
        };
        assert!(allowed_actions(&open, &assignee).contains(&A::ExtensionRequest));
        assert!(!allowed_actions(&waiting, &assignee).contains(&A::ExtensionRequest));
        assert!(!allowed_actions(&open, &dispatcher).contains(&A::ExtensionApprove));
        let decisions: Vec<_> = allowed_actions(&waiting, &dispatcher)
            .into_iter()
            .filter(|a| matches!(a, A::ExtensionApprove | A::ExtensionDeny))
            .collect();
        assert_eq!(decisions, [A::ExtensionApprove, A::ExtensionDeny]);
        // Resolved while a request waited: it can still be denied, not approved.
        let resolved = Situation {
            status: Resolved,
            has_deadline: true,
            ..waiting
        };
        let after: Vec<_> = allowed_actions(&resolved, &dispatcher);
        assert!(after.contains(&A::ExtensionDeny) && !after.contains(&A::ExtensionApprove));
        // A co-handling cadre may note progress but not ask for more time.
        let co = Actor {
            in_co_department: true,
            ..Actor::with_role(Role::Cadre)
        };
        assert_eq!(
            decide_extension(&open, ExtensionStep::Request, &co),
            Err(TransitionError::NotResponsible {
                action: Action::ExtensionRequest,
                who: "the assignee, or a cadre of the lead department when there is no assignee,",
            })
        );
        let err = decide_extension(&situation(Resolved), ExtensionStep::Request, &assignee)
            .expect_err("no deadline runs");
        assert_eq!(
            err.to_string(),
            "cannot ask for an extension of a ticket that is resolved"
        );
    }

    #[test]
    fn a_merged_request_is_taken_out_before_its_primary_is_resolved_and_rated_after() {
        use AllowedAction as A;
        let dispatcher = fully_related(Role::Dispatcher);
        let filer = fully_related(Role::Enterprise);
        let merged = Situation {
            status: Merged,
            has_assignee: false,
            has_deadline: false,
            extension_pending: false,
            resolved: false,
            rated: false,
        };
        assert_eq!(allowed_actions(&merged, &dispatcher), [A::Unmerge]);
        assert_eq!(allowed_actions(&merged, &filer), []);
        let primary_resolved = Situation {
            resolved: true,
            ..merged
        };
        assert_eq!(
            allowed_actions(&primary_resolved, &dispatcher),
            [A::Revisit]
        );
        assert_eq!(allowed_actions(&primary_resolved, &filer), [A::Revisit]);
        let rated = Situation {
            rated: true,
            ..primary_resolved
        };
        assert_eq!(allowed_actions(&rated, &filer), []);
        assert_eq!(allowed_actions(&rated, &dispatcher), []);
        // Waiting requests can be merged by those who route them, not by their enterprise.
        assert!(allowed_actions(&situation(Submitted), &dispatcher).contains(&A::Merge));
        assert!(!allowed_actions(&situation(Assigned), &dispatcher).contains(&A::Merge));
        assert!(!allowed_actions(&situation(Submitted), &filer).contains(&A::Merge));
    }

    #[test]
    fn merging_needs_a_primary_of_the_same_kind_being_handled() {
        use TicketKind::*;
        assert_eq!(
            may_merge_into(true, Problem, Problem, Accepted),
            Err(MergeRefusal::Itself)
        );
        assert_eq!(
            may_merge_into(false, Problem, Suggestion, Accepted),
            Err(MergeRefusal::OtherKind {
                duplicate: Problem,
                primary: Suggestion
            })
        );
        for status in [Accepted, Assigned, InProgress] {
            assert_eq!(may_merge_into(false, Inquiry, Inquiry, status), Ok(()));
        }
        for status in [Submitted, Resolved, Closed, Rejected, Withdrawn, Merged] {
            assert_eq!(
                may_merge_into(false, Problem, Problem, status),
                Err(MergeRefusal::PrimaryNotOpen(status)),
                "{status}"
            );
        }
        assert_eq!(
            MergeRefusal::PrimaryNotOpen(Closed).to_string(),
            "the primary is closed: merge into a request that is accepted and not yet resolved"
        );
    }
}
