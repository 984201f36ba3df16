//! The policy figures (送政策, issue 20; defined in docs/kpi.md, "Policies"): policies in
//! force by field; for each policy in force, the enterprises that fit, were told, applied, were
//! approved and paid; the amounts paid by field, department and month of a period; and the
//! yearly 集中兑付 list as a workbook.
//!
//! Everything is counted from the rows themselves, on each request: a district has hundreds
//! of policies, tens of thousands of enterprises and thousands of applications a year, and
//! matching one policy against every enterprise is a pass in memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::policies::{self as db, ApplicationRow};
use crate::db::{DbConnection, departments};
use crate::domain::policy::{ApplicationStatus, Fit, PolicyText, TermKind, in_force, judge};
use crate::domain::ticket::Role;
use crate::error::AppError;
use crate::reports::sheets::{Cell, Column, XlsxWriter};
use crate::service::policies::{profile_of, text_of, today};

/// The funnel of one policy, or of all together: (policy, enterprise) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub fits: i64,
    pub may_fit: i64,
    /// Fitting (or may-fit) enterprises told: pushed, or explained on a visit.
    pub told: i64,
    /// Enterprises with an application (any channel, any status).
    pub applied: i64,
    /// Applications approved (or paid since).
    pub approved: i64,
    pub paid: i64,
    pub approved_fen: i64,
    pub paid_fen: i64,
}

#[derive(Debug, Clone)]
pub struct PolicyFunnel {
    pub policy_id: String,
    pub title: String,
    pub department_id: String,
    pub field_id: String,
    pub funnel: Funnel,
}

/// An amount paid in a period, by one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paid {
    pub key: String,
    pub name: String,
    pub applications: i64,
    pub paid_fen: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// (field id, name, policies in force).
    pub in_force_by_field: Vec<(String, String, i64)>,
    pub total: Funnel,
    /// Distinct enterprises that fit (or may fit) at least one policy in force.
    pub enterprises_fitting: i64,
    pub policies: Vec<PolicyFunnel>,
    /// Paid within the period, by field, by department, by month (YYYY-MM, China).
    pub paid_by_field: Vec<Paid>,
    pub paid_by_department: Vec<Paid>,
    pub paid_by_month: Vec<Paid>,
    pub paid_in_period: Paid,
}

/// The figures as the reader may see them: administrators and dispatchers all policies, a
/// cadre their department's; enterprises none (403). `from`/`to` are China days (inclusive)
/// bounding the payments counted.
pub fn figures(
    conn: &mut DbConnection,
    who: &Principal,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<Figures, AppError> {
    let department = match who.role {
        Role::Admin | Role::Dispatcher => None,
        Role::Cadre => Some(who.department_id.clone().unwrap_or_default()),
        Role::Enterprise => {
            return Err(AppError::forbidden("the policy figures are for staff"));
        }
    };
    let day = today(now);
    let mut policies: Vec<(db::PolicyRow, PolicyText)> = Vec::new();
    for row in db::published(conn)? {
        if department
            .as_deref()
            .is_some_and(|d| d != row.department_id)
        {
            continue;
        }
        let text = text_of(&row)?;
        policies.push((row, text));
    }
    let terms: HashMap<String, String> = db::terms(conn, Some(TermKind::Field))?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let dept_names: HashMap<String, String> = departments::list(conn)?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let profiles: Vec<_> = db::profiles(conn, None)?
        .iter()
        .map(|p| (p.0.clone(), profile_of(p)))
        .collect();
    let mut told: HashSet<(String, String)> = db::all_pushes(conn)?.into_iter().collect();
    told.extend(db::all_explained(conn)?);
    let applications = db::all_applications(conn)?;
    let mut by_pair: HashMap<(&str, &str), Vec<&ApplicationRow>> = HashMap::new();
    for a in &applications {
        by_pair
            .entry((a.policy_id.as_str(), a.enterprise_id.as_str()))
            .or_default()
            .push(a);
    }
    let mut figures = Figures::default();
    let mut by_field: BTreeMap<String, i64> = BTreeMap::new();
    let mut fitting_enterprises: HashSet<&str> = HashSet::new();
    for (row, text) in &policies {
        if !in_force(row.status, row.expires_on.as_deref(), &day) {
            continue;
        }
        *by_field.entry(row.field_id.clone()).or_default() += 1;
        let mut f = Funnel::default();
        for (eid, profile) in &profiles {
            let fit = judge(&text.criteria, profile).fit;
            match fit {
                Fit::Fits => f.fits += 1,
                Fit::MayFit => f.may_fit += 1,
                Fit::No => continue,
            }
            fitting_enterprises.insert(eid.as_str());
            if told.contains(&(row.id.clone(), eid.clone())) {
                f.told += 1;
            }
        }
        for ((pid, _), apps) in &by_pair {
            if *pid != row.id {
                continue;
            }
            f.applied += 1;
            for a in apps {
                if matches!(
                    a.status,
                    ApplicationStatus::Approved | ApplicationStatus::Paid
                ) {
                    f.approved += 1;
                    f.approved_fen += a.approved_fen.unwrap_or(0);
                }
                if a.status == ApplicationStatus::Paid {
                    f.paid += 1;
                    f.paid_fen += a.paid_fen.unwrap_or(0);
                }
            }
        }
        add(&mut figures.total, &f);
        figures.policies.push(PolicyFunnel {
            policy_id: row.id.clone(),
            title: row.title.clone(),
            department_id: row.department_id.clone(),
            field_id: row.field_id.clone(),
            funnel: f,
        });
    }
    figures.enterprises_fitting = fitting_enterprises.len() as i64;
    figures.in_force_by_field = by_field
        .into_iter()
        .map(|(id, n)| {
            let name = terms.get(&id).cloned().unwrap_or_default();
            (id, name, n)
        })
        .collect();
    // Payments within the period, of every policy the reader sees (withdrawn ones too: money
    // paid stays paid).
    let seen: HashMap<&str, &db::PolicyRow> =
        policies.iter().map(|(r, _)| (r.id.as_str(), r)).collect();
    let withdrawn: Vec<db::PolicyRow> = db::list(
        conn,
        &db::PolicyFilter {
            statuses: vec![crate::domain::policy::PolicyStatus::Withdrawn],
            department_id: department.clone(),
            ..Default::default()
        },
    )?;
    let mut all_seen = seen;
    for w in &withdrawn {
        all_seen.insert(w.id.as_str(), w);
    }
    let mut field_paid: BTreeMap<String, Paid> = BTreeMap::new();
    let mut dept_paid: BTreeMap<String, Paid> = BTreeMap::new();
    let mut month_paid: BTreeMap<String, Paid> = BTreeMap::new();
    for a in &applications {
        let (Some(paid_at), Some(fen)) = (a.paid_at.as_deref(), a.paid_fen) else {
            continue;
        };
        let Some(policy) = all_seen.get(a.policy_id.as_str()) else {
            continue;
        };
        let Some(at) = crate::domain::time::parse(paid_at) else {
            continue;
        };
        let paid_day = today(at);
        if paid_day.as_str() < from || paid_day.as_str() > to {
            continue;
        }
        let month = paid_day[..7].to_string();
        for (map, key, name) in [
            (
                &mut field_paid,
                policy.field_id.clone(),
                terms.get(&policy.field_id).cloned().unwrap_or_default(),
            ),
            (
                &mut dept_paid,
                policy.department_id.clone(),
                dept_names
                    .get(&policy.department_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            (&mut month_paid, month.clone(), month.clone()),
        ] {
            let entry = map.entry(key.clone()).or_insert_with(|| Paid {
                key,
                name,
                ..Paid::default()
            });
            entry.applications += 1;
            entry.paid_fen += fen;
        }
        figures.paid_in_period.applications += 1;
        figures.paid_in_period.paid_fen += fen;
    }
    figures.paid_by_field = field_paid.into_values().collect();
    figures.paid_by_department = dept_paid.into_values().collect();
    figures.paid_by_month = month_paid.into_values().collect();
    Ok(figures)
}

fn add(total: &mut Funnel, f: &Funnel) {
    total.fits += f.fits;
    total.may_fit += f.may_fit;
    total.told += f.told;
    total.applied += f.applied;
    total.approved += f.approved;
    total.paid += f.paid;
    total.approved_fen += f.approved_fen;
    total.paid_fen += f.paid_fen;
}

/// The columns of the 集中兑付 list.
pub const PAYOUT_COLUMNS: [Column; 13] = [
    Column {
        header: "序号",
        width: 6.0,
    },
    Column {
        header: "企业名称",
        width: 30.0,
    },
    Column {
        header: "统一社会信用代码",
        width: 22.0,
    },
    Column {
        header: "政策名称",
        width: 36.0,
    },
    Column {
        header: "文号",
        width: 20.0,
    },
    Column {
        header: "主管部门",
        width: 16.0,
    },
    Column {
        header: "领域",
        width: 8.0,
    },
    Column {
        header: "申报方式",
        width: 10.0,
    },
    Column {
        header: "批准金额（元）",
        width: 14.0,
    },
    Column {
        header: "兑付金额（元）",
        width: 14.0,
    },
    Column {
        header: "状态",
        width: 8.0,
    },
    Column {
        header: "批准日期",
        width: 12.0,
    },
    Column {
        header: "兑付日期",
        width: 12.0,
    },
];

/// The yearly 集中兑付 list: every application approved in `year` (China), paid or still to
/// be paid, by department and enterprise, with a total row. Administrators and dispatchers
/// all; a cadre their department's.
pub fn payouts_workbook(
    conn: &mut DbConnection,
    who: &Principal,
    year: i32,
) -> Result<Vec<u8>, AppError> {
    let department = match who.role {
        Role::Admin | Role::Dispatcher => None,
        Role::Cadre => Some(who.department_id.clone().unwrap_or_default()),
        Role::Enterprise => {
            return Err(AppError::forbidden("the payout list is for staff"));
        }
    };
    let prefix = format!("{year:04}-");
    let policies: HashMap<String, db::PolicyRow> = db::list(conn, &db::PolicyFilter::default())?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let terms: HashMap<String, String> = db::terms(conn, Some(TermKind::Field))?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let dept_names: HashMap<String, String> = departments::list(conn)?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut rows: Vec<(ApplicationRow, &db::PolicyRow)> = db::all_applications(conn)?
        .into_iter()
        .filter(|a| {
            matches!(
                a.status,
                ApplicationStatus::Approved | ApplicationStatus::Paid
            )
        })
        .filter(|a| {
            a.decided_at
                .as_deref()
                .and_then(crate::domain::time::parse)
                .is_some_and(|at| today(at).starts_with(&prefix))
        })
        .filter_map(|a| {
            let p = policies.get(&a.policy_id)?;
            department
                .as_deref()
                .is_none_or(|d| d == p.department_id)
                .then_some((a, p))
        })
        .collect();
    let ids: Vec<String> = rows.iter().map(|(a, _)| a.enterprise_id.clone()).collect();
    let enterprises: HashMap<String, crate::db::enterprises::EnterpriseRow> = ids
        .chunks(500)
        .map(|chunk| {
            chunk
                .iter()
                .filter_map(|id| crate::db::enterprises::find(conn, id).transpose())
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .map(|e| (e.id.clone(), e))
        .collect();
    let name_of = |id: &str| {
        enterprises
            .get(id)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    rows.sort_by(|(a, pa), (b, pb)| {
        (
            dept_names.get(&pa.department_id),
            name_of(&a.enterprise_id),
            &a.id,
        )
            .cmp(&(
                dept_names.get(&pb.department_id),
                name_of(&b.enterprise_id),
                &b.id,
            ))
    });
    let fail = |e: crate::reports::sheets::ExportError| {
        AppError::internal(anyhow::anyhow!("the payout workbook: {e}"))
    };
    let mut book = XlsxWriter::new();
    book.sheet(&format!("{year}年集中兑付"), &PAYOUT_COLUMNS)
        .map_err(fail)?;
    let yuan = |fen: Option<i64>| match fen {
        Some(f) => Cell::Number(f as f64 / 100.0),
        None => Cell::Empty,
    };
    let day = |at: Option<&str>| match at.and_then(crate::domain::time::parse) {
        Some(at) => Cell::Text(today(at)),
        None => Cell::Empty,
    };
    let (mut approved, mut paid) = (0i64, 0i64);
    for (n, (a, p)) in rows.iter().enumerate() {
        let text = text_of(p)?;
        let e = enterprises.get(&a.enterprise_id);
        approved += a.approved_fen.unwrap_or(0);
        paid += a.paid_fen.unwrap_or(0);
        book.row(&[
            Cell::Int(n as i64 + 1),
            Cell::Text(e.map(|e| e.name.clone()).unwrap_or_default()),
            Cell::Text(e.map(|e| e.credit_code.clone()).unwrap_or_default()),
            Cell::Text(p.title.clone()),
            Cell::Text(text.document_number.clone()),
            Cell::Text(
                dept_names
                    .get(&p.department_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            Cell::Text(terms.get(&p.field_id).cloned().unwrap_or_default()),
            Cell::Text(
                match a.channel {
                    crate::domain::policy::ApplicationChannel::Online => "网上申报",
                    crate::domain::policy::ApplicationChannel::Offline => "线下申报",
                    crate::domain::policy::ApplicationChannel::Granted => "免申即享",
                }
                .into(),
            ),
            yuan(a.approved_fen),
            yuan(a.paid_fen),
            Cell::Text(
                if a.status == ApplicationStatus::Paid {
                    "已兑付"
                } else {
                    "待兑付"
                }
                .into(),
            ),
            day(a.decided_at.as_deref()),
            day(a.paid_at.as_deref()),
        ])
        .map_err(fail)?;
    }
    let mut total = vec![Cell::Empty; PAYOUT_COLUMNS.len()];
    total[1] = Cell::Text("合计".into());
    total[8] = Cell::Number(approved as f64 / 100.0);
    total[9] = Cell::Number(paid as f64 / 100.0);
    book.row(&total).map_err(fail)?;
    let mut bytes = Vec::new();
    book.finish_to_writer(&mut bytes).map_err(fail)?;
    Ok(bytes)
}
