//! Who sees which tickets and what of them, and what each reader may do to one: the scope of a
//! reader's lists, the ticket a reader may open (404 otherwise, never 403), how the reader
//! stands to it (the domain's `Actor`), the contact's masking, and `allowed_actions`.

use crate::auth::Principal;
use crate::db::tickets::{self as ticket_db, Scope};
use crate::db::{DbConnection, enterprises};
use crate::domain::notification::{mask_name, mask_phone};
use crate::domain::ticket::Role;
use crate::domain::ticket::rules::{self, Actor, can_view};
use crate::domain::ticket::state::Ticket;
use crate::error::AppError;
use crate::service::tickets::TicketView;

/// The scope of tickets a principal may list.
pub fn scope_of(who: &Principal) -> Scope {
    match who.role {
        Role::Admin | Role::Dispatcher => Scope::All,
        Role::Enterprise => match &who.enterprise_id {
            Some(e) => Scope::Enterprise {
                enterprise_id: e.clone(),
            },
            None => Scope::Nothing,
        },
        Role::Cadre => Scope::Cadre {
            user_id: who.user_id.clone(),
            department_id: who.department_id.clone(),
        },
    }
}

/// How the principal stands to a ticket (reading whether they are its enterprise's liaison
/// cadre or one of its deputies).
fn actor_for(conn: &mut DbConnection, who: &Principal, ticket: &Ticket) -> Result<Actor, AppError> {
    let is_liaison = match who.role {
        Role::Cadre => match enterprises::find(conn, &ticket.enterprise_id)? {
            Some(e) => crate::db::liaison::is_liaison(conn, &e, &who.user_id)?,
            None => false,
        },
        _ => false,
    };
    Ok(actor_of(who, ticket, is_liaison))
}

/// How the principal stands to a ticket, whether they are its liaison cadre being known.
fn actor_of(who: &Principal, ticket: &Ticket, is_liaison: bool) -> Actor {
    let cadre_of = |dept: Option<&String>| {
        who.role == Role::Cadre && dept.is_some() && who.department_id.as_ref() == dept
    };
    Actor {
        role: who.role,
        is_assignee: ticket.assignee_id.as_deref() == Some(who.user_id.as_str()),
        in_lead_department: cadre_of(ticket.department_id.as_ref()),
        in_co_department: who.role == Role::Cadre
            && who
                .department_id
                .as_ref()
                .is_some_and(|d| ticket.co_department_ids.contains(d)),
        of_filing_enterprise: who.role == Role::Enterprise
            && who.enterprise_id.as_deref() == Some(ticket.enterprise_id.as_str()),
        is_liaison,
    }
}

/// Loads a ticket the principal may see, with how they stand to it; anything else is "not
/// found", never "forbidden", so that ids of others' tickets reveal nothing.
pub fn load_visible(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
) -> Result<(Ticket, Actor), AppError> {
    let ticket = ticket_db::find(conn, ticket_id)?.ok_or_else(|| AppError::not_found("ticket"))?;
    let actor = actor_for(conn, who, &ticket)?;
    if !can_view(&actor) {
        return Err(AppError::not_found("ticket"));
    }
    Ok((ticket, actor))
}

/// Whether the reader sees internal comments and timeline entries: staff do, enterprises not.
pub fn sees_internal(who: &Principal) -> bool {
    who.role != Role::Enterprise
}

/// Whether `who` may see the contact's phone number on a ticket they can see (个人信息保护法:
/// only those who need it): those who route tickets, the enterprise that filed it, and the
/// cadre handling it — its assignee, or before one signs for it the lead department's cadres.
/// Colleagues, co-handling departments and the liaison cadre see it masked (`138****5678`);
/// the liaison cadre has the enterprise's contact on its record.
pub fn sees_contact(who: &Principal, ticket: &Ticket) -> bool {
    match who.role {
        Role::Admin | Role::Dispatcher | Role::Enterprise => true,
        Role::Cadre => match &ticket.assignee_id {
            Some(assignee) => *assignee == who.user_id,
            None => ticket.department_id.is_some() && ticket.department_id == who.department_id,
        },
    }
}

/// The ticket as `who` may see it: the contact's phone and name masked unless
/// [`sees_contact`].
pub fn for_reader(who: &Principal, mut ticket: Ticket) -> Ticket {
    if !sees_contact(who, &ticket) {
        ticket.contact_phone = ticket.contact_phone.map(|p| mask_phone(&p));
        ticket.contact_name = ticket.contact_name.map(|n| mask_name(&n));
    }
    ticket
}

/// The ticket as `who` is shown it ([`for_reader`]), with what they may do to it now.
pub fn shown(
    conn: &mut DbConnection,
    who: &Principal,
    ticket: Ticket,
) -> Result<TicketView, AppError> {
    let actor = actor_for(conn, who, &ticket)?;
    Ok(shown_as(who, ticket, &actor))
}

/// [`shown`], how the reader stands to the ticket being known already.
pub fn shown_as(who: &Principal, ticket: Ticket, actor: &Actor) -> TicketView {
    TicketView {
        allowed_actions: rules::allowed_actions(&ticket.situation(), actor),
        contact_masked: !sees_contact(who, &ticket),
        ticket: for_reader(who, ticket),
    }
}

/// The names of the people a ticket names, as a reader may see them: one who sees the
/// contact masked ([`TicketView::contact_masked`]) sees the enterprise's own people masked the
/// same way (`陈*`), in the timeline, comments and revisits, so that no part of the page shows
/// whole what another part hides. Staff names are shown whole.
pub fn people_for_reader(
    masked: bool,
    enterprise_people: &[String],
    names: Vec<(String, String)>,
) -> std::collections::BTreeMap<String, String> {
    names
        .into_iter()
        .map(|(id, name)| {
            let name = if masked && enterprise_people.contains(&id) {
                mask_name(&name)
            } else {
                name
            };
            (id, name)
        })
        .collect()
}

/// [`shown`] for a page of a list, with no query: a ticket is in a reader's list only if they
/// may see it (the scope is `can_view`'s relations, in SQL), so a cadre's ticket that is not
/// theirs, their department's or a co-handling department's is there because they are the
/// enterprise's liaison cadre.
pub fn shown_all(who: &Principal, tickets: Vec<Ticket>) -> Vec<TicketView> {
    tickets
        .into_iter()
        .map(|ticket| {
            let mut actor = actor_of(who, &ticket, false);
            actor.is_liaison = who.role == Role::Cadre
                && !(actor.is_assignee || actor.in_lead_department || actor.in_co_department);
            shown_as(who, ticket, &actor)
        })
        .collect()
}
