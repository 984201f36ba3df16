//! The enterprise profile (企业档案, issue 19): an enterprise as the staff who look after it
//! read it — its liaison cadre and deputies, its visits, its requests in figures and the latest
//! of them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::liaison as store;
use crate::db::{DbConnection, enterprises, users};
use crate::domain::ticket::Role;
use crate::error::AppError;

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// An enterprise's requests in figures, for its profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct RequestFigures {
    pub total: i64,
    /// Waiting or being handled.
    pub open: i64,
    /// Resolved or closed.
    pub resolved: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// (satisfied + basically satisfied) / rated, as in the statistics.
    pub satisfaction_rate: Option<f64>,
}

/// The enterprise's profile (企业档案) as staff read it.
#[derive(Debug, Clone)]
pub struct Profile {
    pub enterprise: enterprises::EnterpriseRow,
    pub deputy_ids: Vec<String>,
    /// Names of the liaison cadre, the deputies and the visiting cadres, by id.
    pub names: Vec<(String, String)>,
    pub visits: Vec<crate::service::visits::Visit>,
    pub requests: RequestFigures,
    pub recent: Vec<crate::service::tickets::TicketView>,
    /// Last visit day, if any.
    pub last_visit: Option<String>,
}

/// Visits and requests a profile shows, at most.
pub const PROFILE_ITEMS: i64 = 20;

/// The enterprise's profile: the enterprise, its liaison cadre and deputies, its latest
/// visits, its requests in figures and the latest of them. Staff who may read the enterprise
/// (administrators, dispatchers, its liaison cadres) read it; others are told it does not
/// exist, enterprise users that it is for the staff.
pub fn profile(conn: &mut DbConnection, who: &Principal, id: &str) -> Result<Profile, AppError> {
    if who.role == Role::Enterprise {
        return Err(AppError::forbidden(
            "the enterprise profile is for the staff",
        ));
    }
    let enterprise = crate::service::directory::get_enterprise(conn, who, id)?;
    let deputy_ids: Vec<String> = store::deputies_of(conn, std::slice::from_ref(&enterprise.id))?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let visits = crate::service::visits::list(
        conn,
        who,
        crate::db::visits::VisitFilter {
            enterprise_id: Some(enterprise.id.clone()),
            ..Default::default()
        },
        PROFILE_ITEMS,
    )?;
    let last_visit = crate::db::visits::last_visits(conn, std::slice::from_ref(&enterprise.id))?
        .into_iter()
        .find_map(|(_, d)| d);
    let mut requests = RequestFigures::default();
    for (status, rating) in store::enterprise_tickets(conn, &enterprise.id)? {
        requests.total += 1;
        match status.as_str() {
            "submitted" | "accepted" | "assigned" | "in_progress" => requests.open += 1,
            "resolved" | "closed" => requests.resolved += 1,
            _ => {}
        }
        match rating.as_deref() {
            Some("satisfied") => requests.satisfied += 1,
            Some("basically_satisfied") => requests.basically_satisfied += 1,
            Some("unsatisfied") => requests.unsatisfied += 1,
            _ => continue,
        }
        requests.rated += 1;
    }
    requests.satisfaction_rate = ratio(
        requests.satisfied + requests.basically_satisfied,
        requests.rated,
    );
    let recent = crate::service::tickets::queries::list(
        conn,
        who,
        &crate::db::tickets::TicketFilter {
            enterprise_id: Some(enterprise.id.clone()),
            ..Default::default()
        },
        PROFILE_ITEMS,
    )?
    .items;
    let mut people: Vec<String> = enterprise.liaison_cadre_id.iter().cloned().collect();
    people.extend(deputy_ids.iter().cloned());
    people.extend(visits.iter().map(|v| v.row.cadre_id.clone()));
    people.sort();
    people.dedup();
    let names = users::names(conn, &people)?;
    Ok(Profile {
        enterprise,
        deputy_ids,
        names,
        visits,
        requests,
        recent,
        last_visit,
    })
}
