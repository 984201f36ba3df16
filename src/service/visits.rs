//! Liaison cadres' visits (走访, 千名干部进千企, issue 19). A liaison cadre (联点干部, the
//! enterprise's `liaison_cadre_id`) records a visit — the day, how (on site, by phone, at a
//! meeting), whom they met, what they found — and files the difficulties the enterprise raised
//! as requests on the spot: for the enterprise, by visit, linked to the visit, in the visit's
//! transaction. Dispatchers and administrators may record a visit to any enterprise, by any
//! of its cadres. A cadre's paired enterprises show their last visit, flagged when it is older
//! than `liaison.visit_interval_days` ([`my_enterprises`]).

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::auth::Principal;
use crate::db::attachments::{self as attachment_store, AttachmentRow};
use crate::db::enterprises::{self, EnterpriseFilter, EnterpriseRow};
use crate::db::liaison as liaison_store;
use crate::db::visits::{self as store, VisitFilter, VisitRow};
use crate::db::{DbConnection, new_id, users};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::service::attachments;
use crate::service::tickets::Context;
use crate::service::tickets::filing::{self, FilingOptions, NewTicket};

/// Requests filed from one visit, at most.
pub const MAX_REQUESTS: usize = 5;

/// The most paired enterprises a cadre's list shows.
pub const MAX_PAIRED: i64 = 500;

/// How a visit was made.
pub const METHODS: [&str; 3] = ["on_site", "phone", "meeting"];

/// A visit to record.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub enterprise_id: String,
    /// The cadre who visited: the caller when a cadre; a dispatcher or administrator names
    /// one (default: the enterprise's liaison cadre).
    pub cadre_id: Option<String>,
    pub visited_on: NaiveDate,
    pub method: String,
    pub people: String,
    pub findings: String,
    /// The difficulties raised, each filed as a request (the enterprise's).
    pub requests: Vec<NewTicket>,
    /// Photos taken on the visit: the caller's uploads, not attached to anything yet.
    pub photo_ids: Vec<String>,
    /// The policies explained on the visit (送政策): published ones.
    pub policy_ids: Vec<String>,
}

/// A visit with the requests filed from it (their ids) and its photos.
#[derive(Debug, Clone)]
pub struct Visit {
    pub row: VisitRow,
    pub ticket_ids: Vec<String>,
    pub photos: Vec<AttachmentRow>,
    /// The policies explained on it.
    pub policy_ids: Vec<String>,
}

/// Links the caller's uploads to the visit as its photos: pictures only, at most
/// [`attachments::MAX_PER_ITEM`].
fn link_photos(
    conn: &mut DbConnection,
    who: &Principal,
    visit_id: &str,
    ids: &[String],
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    if let Some(problem) = attachments::ids_problem(ids) {
        return Err(AppError::invalid_field("photo_ids", problem));
    }
    let rows = attachment_store::find_many(conn, ids)?;
    if rows.iter().any(|r| !r.content_type.starts_with("image/")) {
        return Err(AppError::invalid_field(
            "photo_ids",
            "names a file that is not a photo",
        ));
    }
    let linked = attachment_store::link_to_visit(conn, ids, &who.user_id, visit_id)?;
    if linked != ids.len() {
        return Err(AppError::invalid_field(
            "photo_ids",
            "names a file that is not an unattached upload of yours",
        ));
    }
    Ok(())
}

/// Records a visit and files its requests, in the caller's transaction. A cadre records
/// their own visits to the enterprises they are the liaison of (403 otherwise); dispatchers
/// and administrators record anyone's; enterprise users nobody's. The day may not be in the
/// future nor more than a year back.
pub fn record(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    input: NewVisit,
    options: &FilingOptions,
    now: DateTime<Utc>,
) -> Result<Visit, AppError> {
    let enterprise = enterprises::find(conn, &input.enterprise_id)?
        .ok_or_else(|| AppError::invalid_field("enterprise_id", "no such enterprise"))?;
    let cadre_id = match who.role {
        Role::Cadre => {
            if !liaison_store::is_liaison(conn, &enterprise, &who.user_id)? {
                return Err(AppError::forbidden(
                    "a cadre records visits to the enterprises they are a liaison cadre of",
                ));
            }
            if input.cadre_id.as_ref().is_some_and(|c| *c != who.user_id) {
                return Err(AppError::forbidden("a cadre records their own visits"));
            }
            who.user_id.clone()
        }
        Role::Dispatcher | Role::Admin => input
            .cadre_id
            .clone()
            .or_else(|| enterprise.liaison_cadre_id.clone())
            .ok_or_else(|| {
                AppError::invalid_field(
                    "cadre_id",
                    "the enterprise has no liaison cadre: name the cadre who visited",
                )
            })?,
        Role::Enterprise => {
            return Err(AppError::forbidden("visits are recorded by the staff"));
        }
    };
    let cadre = users::find(conn, &cadre_id)?
        .filter(|u| u.role == Role::Cadre && !u.disabled)
        .ok_or_else(|| AppError::invalid_field("cadre_id", "is not an active cadre"))?;
    let today = time::china_date(now);
    let year_ago = today.checked_sub_days(Days::new(366)).unwrap_or(today);
    if input.visited_on > today || input.visited_on < year_ago {
        return Err(AppError::invalid_field(
            "visited_on",
            "must be a day of the last year, not after today",
        ));
    }
    let row = VisitRow {
        id: new_id(),
        enterprise_id: enterprise.id.clone(),
        cadre_id: cadre.id.clone(),
        department_id: cadre.department_id.clone(),
        visited_on: input.visited_on.format("%Y-%m-%d").to_string(),
        method: input.method,
        people: input.people,
        findings: input.findings,
        created_at: time::format(now),
    };
    store::insert(conn, &row)?;
    link_photos(conn, who, &row.id, &input.photo_ids)?;
    let mut policy_ids: Vec<String> = Vec::new();
    for id in &input.policy_ids {
        if policy_ids.contains(id) {
            continue;
        }
        let published = crate::db::policies::find(conn, id)?
            .is_some_and(|p| p.status == crate::domain::policy::PolicyStatus::Published);
        if !published {
            return Err(AppError::invalid_field(
                "policy_ids",
                "names a policy that is not published",
            ));
        }
        crate::db::policies::link_visit(conn, &row.id, id)?;
        policy_ids.push(id.clone());
    }
    // The requests are filed by the cadre who visited, as the enterprise's, by visit.
    let filer = Principal {
        user_id: cadre.id.clone(),
        role: Role::Cadre,
        department_id: cadre.department_id.clone(),
        enterprise_id: None,
        must_change_password: false,
        consent_required: false,
    };
    let mut ticket_ids = Vec::new();
    for (i, mut request) in input.requests.into_iter().enumerate() {
        request.enterprise_id = Some(enterprise.id.clone());
        request.channel = None;
        let filed = filing::file_on_visit(conn, ctx, &filer, request, options, now)
            .map_err(|e| e.prefixed(&format!("requests[{i}].")))?;
        store::link_ticket(conn, &row.id, &filed.ticket.ticket.id)?;
        ticket_ids.push(filed.ticket.ticket.id);
    }
    let photos = attachment_store::list_for_visits(conn, std::slice::from_ref(&row.id))?;
    Ok(Visit {
        row,
        ticket_ids,
        photos,
        policy_ids,
    })
}

/// Who reads which visits: administrators and dispatchers all; a cadre their own and those to
/// the enterprises they are the liaison of; enterprise users none (403).
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    mut filter: VisitFilter,
    limit: i64,
) -> Result<Vec<Visit>, AppError> {
    match who.role {
        Role::Admin | Role::Dispatcher => {}
        Role::Cadre => {
            let paired = paired(conn, &who.user_id)?
                .into_iter()
                .map(|(e, _)| e.id)
                .collect();
            filter.readable_by = Some((who.user_id.clone(), paired));
        }
        Role::Enterprise => return Err(AppError::forbidden("visits are for the staff")),
    }
    let rows = store::list(conn, &filter, limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let links = store::tickets_of(conn, &ids)?;
    let photos = attachment_store::list_for_visits(conn, &ids)?;
    let explained = crate::db::policies::of_visits(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Visit {
            policy_ids: explained
                .iter()
                .filter(|(v, _)| *v == row.id)
                .map(|(_, p)| p.clone())
                .collect(),
            ticket_ids: links
                .iter()
                .filter(|(v, _)| *v == row.id)
                .map(|(_, t)| t.clone())
                .collect(),
            photos: photos
                .iter()
                .filter(|p| p.visit_id.as_deref() == Some(row.id.as_str()))
                .cloned()
                .collect(),
            row,
        })
        .collect())
}

/// The enterprises `cadre_id` is the liaison cadre of, then those they are a deputy of (at
/// most [`MAX_PAIRED`] in all), each with whether they are its deputy.
fn paired(conn: &mut DbConnection, cadre_id: &str) -> Result<Vec<(EnterpriseRow, bool)>, AppError> {
    let mut out: Vec<(EnterpriseRow, bool)> = enterprises::list(
        conn,
        &EnterpriseFilter {
            liaison_cadre_id: Some(cadre_id.to_string()),
            ..EnterpriseFilter::default()
        },
        MAX_PAIRED,
    )?
    .into_iter()
    .map(|e| (e, false))
    .collect();
    let mut deputy = liaison_store::deputy_enterprises(conn, cadre_id)?;
    deputy.truncate(MAX_PAIRED as usize - out.len().min(MAX_PAIRED as usize));
    for id in deputy {
        if let Some(e) = enterprises::find(conn, &id)? {
            out.push((e, true));
        }
    }
    Ok(out)
}

/// A paired enterprise as its liaison cadre's list shows it.
#[derive(Debug, Clone)]
pub struct Paired {
    pub enterprise: EnterpriseRow,
    /// The cadre is its deputy liaison cadre (副联点), not its liaison cadre.
    pub deputy: bool,
    pub last_visit: Option<NaiveDate>,
    /// Not visited within the interval (or never).
    pub due: bool,
}

/// The caller's paired enterprises (a cadre's), those not visited within `interval_days`
/// first (never visited first of all), then by the last visit.
pub fn my_enterprises(
    conn: &mut DbConnection,
    who: &Principal,
    interval_days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<Paired>, AppError> {
    if who.role != Role::Cadre {
        return Err(AppError::forbidden(
            "the enterprises paired with a liaison cadre are listed to that cadre",
        ));
    }
    let enterprises = paired(conn, &who.user_id)?;
    let ids: Vec<String> = enterprises.iter().map(|(e, _)| e.id.clone()).collect();
    let last: std::collections::HashMap<String, String> = store::last_visits(conn, &ids)?
        .into_iter()
        .filter_map(|(id, day)| Some((id, day?)))
        .collect();
    let cutoff = time::china_date(now)
        .checked_sub_days(Days::new(u64::from(interval_days)))
        .unwrap_or(NaiveDate::MIN);
    let mut out: Vec<Paired> = enterprises
        .into_iter()
        .map(|(e, deputy)| {
            let last_visit = last
                .get(&e.id)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            Paired {
                due: last_visit.is_none_or(|d| d <= cutoff),
                deputy,
                last_visit,
                enterprise: e,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.due
            .cmp(&a.due)
            .then_with(|| a.last_visit.cmp(&b.last_visit))
            .then_with(|| a.enterprise.name.cmp(&b.enterprise.name))
    });
    Ok(out)
}
