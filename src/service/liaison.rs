//! The liaison program's figures and drives (千名干部进千企, issue 19), defined in docs/kpi.md
//! ("The liaison program"):
//!
//! - a **paired enterprise** has a liaison cadre (联点干部); its deputies (副联点干部) may
//!   visit it too;
//! - **coverage** = paired enterprises visited in the period (by anyone) / paired enterprises;
//! - **visits per cadre** = visits made in the period / liaison cadres (lead or deputy of a
//!   paired enterprise);
//! - **requests per visit** = requests filed from the period's visits / the period's visits.
//!
//! By department, an enterprise counts for its liaison cadre's department, a cadre for their
//! own, a visit (and its requests) for the department its cadre was in then. By area and by
//! industry chain, everything counts for the enterprise's. A campaign (专项行动) is a period
//! and a target share of the paired enterprises (of one area or industry chain, or all) to
//! visit in it; its progress is these figures over the days of it so far.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::liaison::{self as store, CampaignRow, PairedRow};
use crate::db::{DbConnection, departments, enterprises, new_id, users};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::AppError;

/// Whether `who` may read the visit (and its photos): administrators and dispatchers any; a
/// cadre their own and those to the enterprises they are a liaison cadre (or deputy) of.
pub fn may_read_visit(
    conn: &mut DbConnection,
    who: &Principal,
    visit: &crate::db::visits::VisitRow,
) -> Result<bool, AppError> {
    Ok(match who.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Enterprise => false,
        Role::Cadre => {
            visit.cadre_id == who.user_id
                || match enterprises::find(conn, &visit.enterprise_id)? {
                    Some(e) => store::is_liaison(conn, &e, &who.user_id)?,
                    None => false,
                }
        }
    })
}

/// What the figures are broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Department,
    Area,
    IndustryChain,
}

impl Dimension {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "department" => Some(Dimension::Department),
            "area" => Some(Dimension::Area),
            "industry_chain" => Some(Dimension::IndustryChain),
            _ => None,
        }
    }
}

/// The liaison figures of a group (or of all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct Figures {
    /// Enterprises with a liaison cadre.
    pub paired: i64,
    /// Paired enterprises visited in the period.
    pub visited: i64,
    /// visited / paired.
    pub coverage: Option<f64>,
    /// Visits made in the period.
    pub visits: i64,
    /// Liaison cadres (lead or deputy) of the paired enterprises.
    pub cadres: i64,
    /// Cadres who made a visit in the period.
    pub visiting_cadres: i64,
    /// visits / cadres.
    pub visits_per_cadre: Option<f64>,
    /// Requests filed from the period's visits.
    pub requests: i64,
    /// requests / visits.
    pub requests_per_visit: Option<f64>,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Counts gathered for one group, over ids borrowed from the rows read.
#[derive(Debug, Default)]
struct Tally<'a> {
    paired: HashSet<&'a str>,
    visited: HashSet<&'a str>,
    visits: i64,
    cadres: HashSet<&'a str>,
    visiting: HashSet<&'a str>,
    requests: i64,
}

impl Tally<'_> {
    fn figures(&self) -> Figures {
        let paired = self.paired.len() as i64;
        let visited = self.visited.len() as i64;
        let cadres = self.cadres.len() as i64;
        Figures {
            paired,
            visited,
            coverage: ratio(visited, paired),
            visits: self.visits,
            cadres,
            visiting_cadres: self.visiting.len() as i64,
            visits_per_cadre: ratio(self.visits, cadres),
            requests: self.requests,
            requests_per_visit: ratio(self.requests, self.visits),
        }
    }
}

/// One group's figures: its key (a department id, an area or an industry chain; none for
/// "not given") and name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Row {
    pub key: Option<String>,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A paired enterprise not visited in the period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NotVisited {
    pub id: String,
    pub name: String,
    pub liaison_cadre_id: String,
    pub liaison_name: String,
    pub department_name: Option<String>,
}

/// The figures of a period: in all, and by each dimension asked for.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub totals: Figures,
    pub by: BTreeMap<&'static str, Vec<Row>>,
    /// The paired enterprises not visited, their names' order (at most `MAX_NOT_VISITED`).
    pub not_visited: Vec<NotVisited>,
    pub not_visited_total: i64,
}

/// Not visited enterprises named in a report, at most.
pub const MAX_NOT_VISITED: usize = 200;

/// What the figures cover.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub area: Option<String>,
    pub industry_chain: Option<String>,
    /// Only these departments (a department head's reading).
    pub departments: Option<Vec<String>>,
}

const NOT_GIVEN: &str = "未填写";

fn key_name(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Department => "department",
        Dimension::Area => "area",
        Dimension::IndustryChain => "industry_chain",
    }
}

/// Counts the liaison figures over the days `from..=to`. Everything is counted over ids
/// borrowed from the rows read: at 5,000 enterprises, cloning them into the sets was most of
/// the time (docs/performance.md).
pub fn report(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
    dims: &[Dimension],
) -> Result<Report, AppError> {
    let (from_s, to_s) = (day(from), day(to));
    let paired: Vec<PairedRow> =
        store::paired(conn, scope.area.as_deref(), scope.industry_chain.as_deref())?;
    let deputies = store::all_deputies(conn)?;
    let (visits, requests) = if to < from {
        (Vec::new(), Vec::new())
    } else {
        (
            store::visits_between(conn, &from_s, &to_s)?,
            store::requests_between(conn, &from_s, &to_s)?,
        )
    };
    let attributes: HashMap<String, (Option<String>, Option<String>)> =
        enterprises::attributes(conn)?
            .into_iter()
            .map(|(id, chain, area)| (id, (area, chain)))
            .collect();
    let mut people: Vec<String> = paired.iter().map(|p| p.4.clone()).collect();
    people.extend(deputies.iter().map(|d| d.1.clone()));
    people.sort();
    people.dedup();
    let department_of: HashMap<String, Option<String>> =
        store::departments_of(conn, &people)?.into_iter().collect();
    let department_names: HashMap<String, String> = departments::list(conn)?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();

    // An enterprise's area and chain; a cadre's department; whether a department is read.
    let area_chain = |enterprise: &str| -> (Option<&str>, Option<&str>) {
        attributes
            .get(enterprise)
            .map_or((None, None), |(a, c)| (a.as_deref(), c.as_deref()))
    };
    let department = |cadre: &str| department_of.get(cadre).and_then(|d| d.as_deref());
    let in_departments = |d: Option<&str>| match &scope.departments {
        None => true,
        Some(ids) => d.is_some_and(|d| ids.iter().any(|i| i == d)),
    };
    let in_scope = |enterprise: &str| {
        let (area, chain) = area_chain(enterprise);
        scope.area.as_deref().is_none_or(|a| area == Some(a))
            && scope
                .industry_chain
                .as_deref()
                .is_none_or(|c| chain == Some(c))
    };
    // The group of a paired enterprise by dimension: its liaison cadre's department, its area
    // or its chain.
    let enterprise_group = |dim: Dimension, enterprise: &str, lead: &str| -> Option<&str> {
        match dim {
            Dimension::Department => department(lead),
            Dimension::Area => area_chain(enterprise).0,
            Dimension::IndustryChain => area_chain(enterprise).1,
        }
    };

    let paired: Vec<&PairedRow> = paired
        .iter()
        .filter(|p| in_departments(department(&p.4)))
        .collect();
    let lead_of: HashMap<&str, &str> = paired
        .iter()
        .map(|p| (p.0.as_str(), p.4.as_str()))
        .collect();
    let visits: Vec<_> = visits.iter().filter(|v| in_scope(&v.1)).collect();
    let mut requests_of: HashMap<&str, i64> = HashMap::new();
    for v in &requests {
        *requests_of.entry(v.as_str()).or_default() += 1;
    }

    let mut totals = Tally::default();
    let mut groups: Vec<(Dimension, HashMap<Option<&str>, Tally>)> =
        dims.iter().map(|d| (*d, HashMap::new())).collect();
    for p in &paired {
        totals.paired.insert(&p.0);
        totals.cadres.insert(&p.4);
        for (dim, tallies) in groups.iter_mut() {
            let t = tallies
                .entry(enterprise_group(*dim, &p.0, &p.4))
                .or_default();
            t.paired.insert(&p.0);
            if *dim != Dimension::Department {
                t.cadres.insert(&p.4);
            }
        }
    }
    for (enterprise, cadre) in &deputies {
        let Some(lead) = lead_of.get(enterprise.as_str()) else {
            continue;
        };
        totals.cadres.insert(cadre);
        for (dim, tallies) in groups.iter_mut() {
            if *dim != Dimension::Department {
                let t = tallies
                    .entry(enterprise_group(*dim, enterprise, lead))
                    .or_default();
                t.cadres.insert(cadre);
            }
        }
    }
    // By department, a cadre counts for their own department.
    for (dim, tallies) in groups.iter_mut() {
        if *dim == Dimension::Department {
            for cadre in &totals.cadres {
                let d = department(cadre);
                if in_departments(d) {
                    tallies.entry(d).or_default().cadres.insert(cadre);
                }
            }
        }
    }
    // Visited: a paired enterprise visited by anyone, counted for the enterprise's group.
    for (_, enterprise, _, _) in &visits {
        let Some(lead) = lead_of.get(enterprise.as_str()) else {
            continue;
        };
        totals.visited.insert(enterprise);
        for (dim, tallies) in groups.iter_mut() {
            let t = tallies
                .entry(enterprise_group(*dim, enterprise, lead))
                .or_default();
            t.visited.insert(enterprise);
        }
    }
    // The visits, their cadres and requests: by department, the visiting cadre's then.
    for (id, enterprise, cadre, department) in visits
        .iter()
        .copied()
        .filter(|v| in_departments(v.3.as_deref()))
    {
        let asked = requests_of.get(id.as_str()).copied().unwrap_or(0);
        totals.visits += 1;
        totals.requests += asked;
        totals.visiting.insert(cadre);
        for (dim, tallies) in groups.iter_mut() {
            let group = match dim {
                Dimension::Department => department.as_deref(),
                Dimension::Area => area_chain(enterprise).0,
                Dimension::IndustryChain => area_chain(enterprise).1,
            };
            let t = tallies.entry(group).or_default();
            t.visits += 1;
            t.requests += asked;
            t.visiting.insert(cadre);
        }
    }
    let mut by = BTreeMap::new();
    for (dim, tallies) in groups {
        let mut rows: Vec<Row> = tallies
            .into_iter()
            .map(|(key, t)| Row {
                name: match (key, dim) {
                    (None, _) => NOT_GIVEN.to_string(),
                    (Some(k), Dimension::Department) => department_names
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| k.to_string()),
                    (Some(k), _) => k.to_string(),
                },
                key: key.map(str::to_string),
                figures: t.figures(),
            })
            .collect();
        // The lowest coverage first: those to push.
        rows.sort_by(|a, b| {
            let c = |r: &Row| r.figures.coverage.unwrap_or(f64::INFINITY);
            c(a).total_cmp(&c(b))
                .then_with(|| b.figures.paired.cmp(&a.figures.paired))
                .then_with(|| a.name.cmp(&b.name))
        });
        by.insert(key_name(dim), rows);
    }
    let mut missing: Vec<&PairedRow> = paired
        .iter()
        .copied()
        .filter(|p| !totals.visited.contains(p.0.as_str()))
        .collect();
    missing.sort_by(|a, b| a.1.cmp(&b.1));
    let not_visited_total = missing.len() as i64;
    missing.truncate(MAX_NOT_VISITED);
    let named: Vec<String> = missing.iter().map(|p| p.4.clone()).collect();
    let names: HashMap<String, String> = users::names(conn, &named)?.into_iter().collect();
    let not_visited = missing
        .into_iter()
        .map(|p| NotVisited {
            id: p.0.clone(),
            name: p.1.clone(),
            liaison_cadre_id: p.4.clone(),
            liaison_name: names.get(&p.4).cloned().unwrap_or_default(),
            department_name: department(&p.4).and_then(|d| department_names.get(d).cloned()),
        })
        .collect();
    Ok(Report {
        totals: totals.figures(),
        by,
        not_visited,
        not_visited_total,
    })
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Who reads the liaison figures: administrators and dispatchers all of them; a department
/// head those of the departments they head; nobody else.
pub fn scope_of(conn: &mut DbConnection, who: &Principal) -> Result<Option<Vec<String>>, AppError> {
    match who.role {
        Role::Admin | Role::Dispatcher => Ok(None),
        Role::Cadre => {
            let ids = crate::service::stats::headed_departments(conn, &who.user_id)?;
            if ids.is_empty() {
                Err(AppError::forbidden(
                    "the liaison figures are for administrators, dispatchers and department heads",
                ))
            } else {
                Ok(Some(ids))
            }
        }
        Role::Enterprise => Err(AppError::forbidden(
            "enterprise users have no access to the statistics",
        )),
    }
}

/// A campaign to open.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_percent: i32,
    pub area: Option<String>,
    pub industry_chain: Option<String>,
    pub note: String,
}

/// Opens a campaign (administrators). It may start at most a year back and last at most a
/// year.
pub fn open_campaign(
    conn: &mut DbConnection,
    who: &Principal,
    input: NewCampaign,
    now: DateTime<Utc>,
) -> Result<CampaignRow, AppError> {
    if who.role != Role::Admin {
        return Err(AppError::forbidden(
            "campaigns are opened by administrators",
        ));
    }
    if input.ends_on < input.starts_on {
        return Err(AppError::invalid_field(
            "ends_on",
            "must not be before starts_on",
        ));
    }
    if (input.ends_on - input.starts_on).num_days() > 366 {
        return Err(AppError::invalid_field(
            "ends_on",
            "a campaign lasts at most a year",
        ));
    }
    let today = time::china_date(now);
    if input.starts_on < today.checked_sub_days(Days::new(366)).unwrap_or(today) {
        return Err(AppError::invalid_field(
            "starts_on",
            "must be within the last year",
        ));
    }
    if !(1..=100).contains(&input.target_percent) {
        return Err(AppError::invalid_field(
            "target_percent",
            "must be 1 to 100",
        ));
    }
    let row = CampaignRow {
        id: new_id(),
        title: input.title,
        starts_on: day(input.starts_on),
        ends_on: day(input.ends_on),
        target_percent: input.target_percent,
        area: input.area,
        industry_chain: input.industry_chain,
        note: input.note,
        created_by: who.user_id.clone(),
        created_at: time::format(now),
    };
    store::insert_campaign(conn, &row)?;
    Ok(row)
}

/// Staff read campaigns; enterprise users do not.
fn staff_only(who: &Principal) -> Result<(), AppError> {
    if who.role == Role::Enterprise {
        return Err(AppError::forbidden("campaigns are for the staff"));
    }
    Ok(())
}

pub fn list_campaigns(
    conn: &mut DbConnection,
    who: &Principal,
) -> Result<Vec<CampaignRow>, AppError> {
    staff_only(who)?;
    Ok(store::list_campaigns(conn, 200)?)
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Upcoming,
    Running,
    Ended,
}

/// A campaign's first and last days.
fn campaign_days(c: &CampaignRow) -> (NaiveDate, NaiveDate) {
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    (parse(&c.starts_on), parse(&c.ends_on))
}

/// Where the campaign stands on the China day `today`.
pub fn state_of(c: &CampaignRow, today: NaiveDate) -> CampaignState {
    let (starts, ends) = campaign_days(c);
    if today < starts {
        CampaignState::Upcoming
    } else if today > ends {
        CampaignState::Ended
    } else {
        CampaignState::Running
    }
}

/// A campaign with its progress so far.
#[derive(Debug, Clone)]
pub struct Progress {
    pub campaign: CampaignRow,
    pub state: CampaignState,
    /// The last day counted: today while it runs, its end after.
    pub counted_to: Option<NaiveDate>,
    /// Days left after today, counting its last day.
    pub days_left: i64,
    /// Coverage has reached the target.
    pub met: bool,
    pub report: Report,
}

/// A campaign's progress by department, area and industry chain, counted now. Staff read
/// every campaign; a department head's cadres see the whole drive (it is the district's).
pub fn progress(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Progress, AppError> {
    staff_only(who)?;
    let campaign =
        store::find_campaign(conn, id)?.ok_or_else(|| AppError::not_found("campaign"))?;
    let (starts, ends) = campaign_days(&campaign);
    let today = time::china_date(now);
    let state = state_of(&campaign, today);
    let last = ends.min(today);
    let scope = Scope {
        area: campaign.area.clone(),
        industry_chain: campaign.industry_chain.clone(),
        departments: None,
    };
    let report = report(
        conn,
        starts,
        last,
        &scope,
        &[
            Dimension::Department,
            Dimension::Area,
            Dimension::IndustryChain,
        ],
    )?;
    let target = f64::from(campaign.target_percent) / 100.0;
    let met = report.totals.coverage.is_some_and(|c| c + 1e-9 >= target);
    let days_left = match state {
        CampaignState::Ended => 0,
        CampaignState::Upcoming => (ends - starts).num_days() + 1,
        CampaignState::Running => (ends - today).num_days() + 1,
    };
    Ok(Progress {
        counted_to: (state != CampaignState::Upcoming).then_some(last),
        campaign,
        state,
        days_left,
        met,
        report,
    })
}
