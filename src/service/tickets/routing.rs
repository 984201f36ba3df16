//! Routing suggestions for dispatchers (智能分拨, issue 18): the categories and lead
//! departments a ticket most likely belongs to, with their confidence, from the
//! [`Router`] of the process; and the reading of the history it learns from.
//! Only suggestions: the dispatcher decides.

use crate::auth::Principal;
use crate::db::{DbConnection, categories, departments, tickets as ticket_db};
use crate::domain::ticket::Role;
use crate::domain::ticket::state::Ticket;
use crate::error::AppError;
use crate::search::routing::{Example, Ranked, Router};
use crate::service::tickets::access::load_visible;

/// How many suggestions of each kind are given.
pub const SUGGESTED: usize = 3;

/// A suggested category or department, named.
#[derive(Debug, Clone)]
pub struct Suggested {
    pub id: String,
    pub name: String,
    pub confidence: f64,
}

/// The suggestions for one ticket.
#[derive(Debug, Clone)]
pub struct Routing {
    pub ticket_id: String,
    pub categories: Vec<Suggested>,
    pub departments: Vec<Suggested>,
    /// How many assigned tickets the suggestions were learned from.
    pub learned_from: usize,
}

/// The suggestions for ticket `id`, for a dispatcher or administrator (403 for anyone else,
/// 404 for a ticket they cannot see). Labels whose category or department no longer exists
/// or is disabled are left out.
pub fn suggest(
    conn: &mut DbConnection,
    router: &Router,
    who: &Principal,
    id: &str,
) -> Result<Routing, AppError> {
    if !matches!(who.role, Role::Dispatcher | Role::Admin) {
        return Err(AppError::forbidden(
            "routing suggestions are for dispatchers and administrators",
        ));
    }
    let (ticket, _) = load_visible(conn, who, id)?;
    let found = router.suggest_filed(&ticket.title, &ticket.description, &ticket.category_id);
    let mut categories_named = Vec::new();
    for r in found.categories {
        if categories_named.len() == SUGGESTED {
            break;
        }
        if let Some(c) = categories::find(conn, &r.label)?.filter(|c| !c.disabled) {
            categories_named.push(named(r, c.name));
        }
    }
    let mut departments_named: Vec<Suggested> = Vec::new();
    // A question about a policy (送政策) belongs to the policy's issuing department: it comes
    // first, certain; what the history suggests follows.
    if let Some(policy_id) = crate::db::policies::policy_of_ticket(conn, &ticket.id)?
        && let Some(policy) = crate::db::policies::find(conn, &policy_id)?
        && let Some(d) = departments::find(conn, &policy.department_id)?
    {
        departments_named.push(Suggested {
            id: d.id,
            name: d.name,
            confidence: 1.0,
        });
    }
    for r in found.departments {
        if departments_named.len() == SUGGESTED {
            break;
        }
        if departments_named.iter().any(|d| d.id == r.label) {
            continue;
        }
        if let Some(d) = departments::find(conn, &r.label)? {
            departments_named.push(named(r, d.name));
        }
    }
    Ok(Routing {
        ticket_id: ticket.id,
        categories: categories_named,
        departments: departments_named,
        learned_from: router.examples(),
    })
}

fn named(r: Ranked, name: String) -> Suggested {
    Suggested {
        id: r.label,
        name,
        confidence: r.confidence,
    }
}

/// The history suggestions are learned from: the `limit` newest tickets assigned and not
/// returned ([`ticket_db::routing_examples`]).
pub fn history(conn: &mut DbConnection, limit: i64) -> Result<Vec<Example>, AppError> {
    Ok(ticket_db::routing_examples(conn, limit)?
        .into_iter()
        .filter_map(|row| {
            Some(Example {
                department_id: row.department_id?,
                ticket_id: row.id,
                title: row.title,
                description: row.description,
                category_id: row.category_id,
            })
        })
        .collect())
}

/// What a ticket's change teaches the router, once it is committed: an assignment is
/// learned (in place of the ticket's earlier one), a ticket without a lead department any
/// more (returned) is forgotten.
pub fn observe(router: &Router, ticket: &Ticket) {
    match &ticket.department_id {
        Some(department_id) => router.learn(Example {
            ticket_id: ticket.id.clone(),
            title: ticket.title.clone(),
            description: ticket.description.clone(),
            category_id: ticket.category_id.clone(),
            department_id: department_id.clone(),
        }),
        None => {
            router.forget(&ticket.id);
        }
    }
}
