//! Departments, enterprises and categories: what an administrator sets up and everyone
//! else refers to. Every change is written to the audit log with it.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::categories::{self, CategoryRow};
use crate::db::departments::{self, DepartmentRow};
use crate::db::enterprises::{self, EnterpriseFilter, EnterpriseRow};
use crate::db::{DbConnection, new_id, users};
use crate::domain::text;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorCode};
use crate::service::audit::{self, AuditAction, By};
use crate::service::{Page, require_role};

fn duplicate_as(message: &'static str) -> impl Fn(diesel::result::Error) -> AppError {
    move |e| {
        let err = AppError::from(e);
        if err.is_duplicate() {
            AppError::new(ErrorCode::Duplicate, message)
        } else {
            err
        }
    }
}

/// An active cadre, or a validation error on `field`.
fn check_cadre(
    conn: &mut DbConnection,
    errors: &mut FieldErrors,
    field: &str,
    id: Option<&str>,
) -> Result<(), AppError> {
    if let Some(id) = id {
        match users::find(conn, id)? {
            Some(u) if u.role == Role::Cadre && !u.disabled => {}
            _ => errors.add(field, "no active cadre with this id"),
        }
    }
    Ok(())
}

// --- departments ---------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<String>,
    pub head_user_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DepartmentChanges {
    pub name: Option<String>,
    pub parent_id: Option<Option<String>>,
    pub head_user_id: Option<Option<String>>,
}

/// The parent must exist and must not be the department itself or one of its descendants;
/// a new head must be an active cadre (a head disabled later does not block other changes).
fn check_department(
    conn: &mut DbConnection,
    row: &DepartmentRow,
    head_changed: bool,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    let mut next = row.parent_id.clone();
    let mut hops = 0;
    while let Some(id) = next {
        if id == row.id {
            errors.add("parent_id", "a department cannot be inside itself");
            break;
        }
        match departments::find(conn, &id)? {
            Some(parent) => next = parent.parent_id,
            None => {
                if hops == 0 {
                    errors.add("parent_id", "no such department");
                }
                break;
            }
        }
        hops += 1;
        if hops > 64 {
            errors.add("parent_id", "departments nest too deep");
            break;
        }
    }
    if head_changed {
        check_cadre(
            conn,
            &mut errors,
            "head_user_id",
            row.head_user_id.as_deref(),
        )?;
    }
    Ok(errors.finish()?)
}

const DUPLICATE_DEPARTMENT: &str = "a department with this name already exists";

pub fn create_department(
    conn: &mut DbConnection,
    by: &By,
    input: NewDepartment,
    now: DateTime<Utc>,
) -> Result<DepartmentRow, AppError> {
    let now_text = time::format(now);
    let row = DepartmentRow {
        id: new_id(),
        name: input.name,
        parent_id: input.parent_id,
        head_user_id: input.head_user_id,
        created_at: now_text.clone(),
        updated_at: now_text,
    };
    check_department(conn, &row, true)?;
    departments::insert(conn, &row).map_err(duplicate_as(DUPLICATE_DEPARTMENT))?;
    audit::record(
        conn,
        by,
        AuditAction::DepartmentCreate,
        Some(&row.id),
        None,
        now,
    )?;
    Ok(row)
}

pub fn update_department(
    conn: &mut DbConnection,
    by: &By,
    id: &str,
    changes: DepartmentChanges,
    now: DateTime<Utc>,
) -> Result<DepartmentRow, AppError> {
    let mut row = departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))?;
    let detail = audit::fields(&[
        ("name", changes.name.is_some()),
        ("parent_id", changes.parent_id.is_some()),
        ("head_user_id", changes.head_user_id.is_some()),
    ]);
    let head_changed = changes.head_user_id.is_some();
    if let Some(v) = changes.name {
        row.name = v;
    }
    if let Some(v) = changes.parent_id {
        row.parent_id = v;
    }
    if let Some(v) = changes.head_user_id {
        row.head_user_id = v;
    }
    row.updated_at = time::format(now);
    check_department(conn, &row, head_changed)?;
    departments::update(conn, &row).map_err(duplicate_as(DUPLICATE_DEPARTMENT))?;
    audit::record(
        conn,
        by,
        AuditAction::DepartmentUpdate,
        Some(id),
        Some(detail),
        now,
    )?;
    Ok(row)
}

pub fn get_department(conn: &mut DbConnection, id: &str) -> Result<DepartmentRow, AppError> {
    departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))
}

pub fn list_departments(conn: &mut DbConnection) -> Result<Vec<DepartmentRow>, AppError> {
    Ok(departments::list(conn)?)
}

// --- enterprises ---------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub name: String,
    /// Already checked and in canonical form.
    pub credit_code: String,
    pub industry_chain: Option<String>,
    pub area: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub liaison_cadre_id: Option<String>,
    /// Deputy liaison cadres (副联点干部), at most [`MAX_DEPUTIES`].
    pub deputy_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EnterpriseChanges {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub industry_chain: Option<Option<String>>,
    pub area: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub liaison_cadre_id: Option<Option<String>>,
    /// The deputies, all of them (`Some(vec![])` removes every deputy).
    pub deputy_ids: Option<Vec<String>>,
}

/// Deputy liaison cadres of one enterprise, at most.
pub const MAX_DEPUTIES: usize = 5;

/// Checks the deputies: active cadres, each once, not the liaison cadre, at most
/// [`MAX_DEPUTIES`].
fn check_deputies(
    conn: &mut DbConnection,
    errors: &mut FieldErrors,
    deputies: &[String],
    lead: Option<&str>,
) -> Result<(), AppError> {
    if deputies.len() > MAX_DEPUTIES {
        errors.add("deputy_ids", format!("at most {MAX_DEPUTIES} deputies"));
        return Ok(());
    }
    let mut seen = std::collections::HashSet::new();
    for id in deputies {
        if !seen.insert(id.as_str()) {
            errors.add("deputy_ids", "names a cadre twice");
            return Ok(());
        }
        if Some(id.as_str()) == lead {
            errors.add(
                "deputy_ids",
                "names the liaison cadre: a deputy is someone else",
            );
            return Ok(());
        }
        check_cadre(conn, errors, "deputy_ids", Some(id))?;
    }
    if !deputies.is_empty() && lead.is_none() {
        errors.add(
            "deputy_ids",
            "an enterprise has deputies only beside a liaison cadre",
        );
    }
    Ok(())
}

const DUPLICATE_ENTERPRISE: &str = "an enterprise with this credit code already exists";

fn enterprise_search_text(row: &EnterpriseRow) -> String {
    text::search_text(&[&row.name, &row.credit_code])
}

pub fn create_enterprise(
    conn: &mut DbConnection,
    by: &By,
    input: NewEnterprise,
    now: DateTime<Utc>,
) -> Result<EnterpriseRow, AppError> {
    let mut errors = FieldErrors::new();
    check_cadre(
        conn,
        &mut errors,
        "liaison_cadre_id",
        input.liaison_cadre_id.as_deref(),
    )?;
    check_deputies(
        conn,
        &mut errors,
        &input.deputy_ids,
        input.liaison_cadre_id.as_deref(),
    )?;
    errors.finish()?;
    let now_text = time::format(now);
    let mut row = EnterpriseRow {
        id: new_id(),
        name: input.name,
        credit_code: input.credit_code,
        industry_chain: input.industry_chain,
        area: input.area,
        address: input.address,
        contact_name: input.contact_name,
        contact_phone: input.contact_phone,
        liaison_cadre_id: input.liaison_cadre_id,
        search_text: String::new(),
        created_at: now_text.clone(),
        updated_at: now_text,
    };
    row.search_text = enterprise_search_text(&row);
    enterprises::insert(conn, &row).map_err(duplicate_as(DUPLICATE_ENTERPRISE))?;
    crate::db::liaison::set_deputies(conn, &row.id, &input.deputy_ids)?;
    // A new enterprise is told of the policies in force it fits (service::policy_push).
    crate::db::policies::mark_recheck(conn, &row.id, &row.created_at)?;
    audit::record(
        conn,
        by,
        AuditAction::EnterpriseCreate,
        Some(&row.id),
        None,
        now,
    )?;
    Ok(row)
}

pub fn update_enterprise(
    conn: &mut DbConnection,
    by: &By,
    id: &str,
    changes: EnterpriseChanges,
    now: DateTime<Utc>,
) -> Result<EnterpriseRow, AppError> {
    let mut row = enterprises::find(conn, id)?.ok_or_else(|| AppError::not_found("enterprise"))?;
    let detail = audit::fields(&[
        ("name", changes.name.is_some()),
        ("credit_code", changes.credit_code.is_some()),
        ("industry_chain", changes.industry_chain.is_some()),
        ("area", changes.area.is_some()),
        ("address", changes.address.is_some()),
        ("contact_name", changes.contact_name.is_some()),
        ("contact_phone", changes.contact_phone.is_some()),
        ("liaison_cadre_id", changes.liaison_cadre_id.is_some()),
        ("deputy_ids", changes.deputy_ids.is_some()),
    ]);
    if let Some(v) = changes.name {
        row.name = v;
    }
    if let Some(v) = changes.credit_code {
        row.credit_code = v;
    }
    let matching_before = (row.industry_chain.clone(), row.area.clone());
    if let Some(v) = changes.industry_chain {
        row.industry_chain = v;
    }
    if let Some(v) = changes.area {
        row.area = v;
    }
    if matching_before != (row.industry_chain.clone(), row.area.clone()) {
        // What policy matching reads changed: look for policies it newly fits.
        crate::db::policies::mark_recheck(conn, &row.id, &time::format(now))?;
    }
    if let Some(v) = changes.address {
        row.address = v;
    }
    if let Some(v) = changes.contact_name {
        row.contact_name = v;
    }
    if let Some(v) = changes.contact_phone {
        row.contact_phone = v;
    }
    if let Some(v) = changes.liaison_cadre_id {
        let mut errors = FieldErrors::new();
        check_cadre(conn, &mut errors, "liaison_cadre_id", v.as_deref())?;
        errors.finish()?;
        row.liaison_cadre_id = v;
    }
    // The deputies as they will be: given, or kept (and gone with the liaison cadre).
    let deputies = match changes.deputy_ids {
        Some(ids) => Some(ids),
        None if row.liaison_cadre_id.is_none() => Some(Vec::new()),
        None => None,
    };
    let current = crate::db::liaison::deputies_of(conn, std::slice::from_ref(&row.id))?;
    let kept: Vec<String> = current.into_iter().map(|(_, c)| c).collect();
    {
        let mut errors = FieldErrors::new();
        let checking = deputies.clone().unwrap_or_else(|| kept.clone());
        if deputies.is_some()
            || kept
                .iter()
                .any(|c| Some(c.as_str()) == row.liaison_cadre_id.as_deref())
        {
            check_deputies(
                conn,
                &mut errors,
                &checking,
                row.liaison_cadre_id.as_deref(),
            )?;
        }
        errors.finish()?;
    }
    if let Some(ids) = &deputies {
        crate::db::liaison::set_deputies(conn, &row.id, ids)?;
    }
    row.search_text = enterprise_search_text(&row);
    row.updated_at = time::format(now);
    enterprises::update(conn, &row).map_err(duplicate_as(DUPLICATE_ENTERPRISE))?;
    audit::record(
        conn,
        by,
        AuditAction::EnterpriseUpdate,
        Some(id),
        Some(detail),
        now,
    )?;
    Ok(row)
}

/// Administrators and dispatchers see every enterprise; an enterprise user sees their own,
/// a cadre those they are a liaison cadre (or deputy) of.
pub fn get_enterprise(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<EnterpriseRow, AppError> {
    let row = enterprises::find(conn, id)?.ok_or_else(|| AppError::not_found("enterprise"))?;
    let visible = match who.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Enterprise => who.enterprise_id.as_deref() == Some(row.id.as_str()),
        Role::Cadre => crate::db::liaison::is_liaison(conn, &row, &who.user_id)?,
    };
    if visible {
        Ok(row)
    } else {
        Err(AppError::not_found("enterprise"))
    }
}

pub fn list_enterprises(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &EnterpriseFilter,
    limit: i64,
) -> Result<Page<EnterpriseRow>, AppError> {
    require_role(who, &[Role::Admin, Role::Dispatcher])?;
    let rows = enterprises::list(conn, filter, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| &r.id))
}

// --- categories ----------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct NewCategory {
    pub name: String,
    pub default_department_id: Option<String>,
    pub deadline_days: i32,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub default_department_id: Option<Option<String>>,
    pub deadline_days: Option<i32>,
    pub disabled: Option<bool>,
}

const DUPLICATE_CATEGORY: &str = "a category with this name already exists";

fn check_category(conn: &mut DbConnection, row: &CategoryRow) -> Result<(), AppError> {
    if let Some(d) = &row.default_department_id
        && departments::find(conn, d)?.is_none()
    {
        return Err(AppError::invalid_field(
            "default_department_id",
            "no such department",
        ));
    }
    Ok(())
}

pub fn create_category(
    conn: &mut DbConnection,
    by: &By,
    input: NewCategory,
    now: DateTime<Utc>,
) -> Result<CategoryRow, AppError> {
    let now_text = time::format(now);
    let row = CategoryRow {
        id: new_id(),
        name: input.name,
        default_department_id: input.default_department_id,
        deadline_days: input.deadline_days,
        disabled: false,
        created_at: now_text.clone(),
        updated_at: now_text,
    };
    check_category(conn, &row)?;
    categories::insert(conn, &row).map_err(duplicate_as(DUPLICATE_CATEGORY))?;
    audit::record(
        conn,
        by,
        AuditAction::CategoryCreate,
        Some(&row.id),
        None,
        now,
    )?;
    Ok(row)
}

pub fn update_category(
    conn: &mut DbConnection,
    by: &By,
    id: &str,
    changes: CategoryChanges,
    now: DateTime<Utc>,
) -> Result<CategoryRow, AppError> {
    let mut row = categories::find(conn, id)?.ok_or_else(|| AppError::not_found("category"))?;
    let detail = audit::fields(&[
        ("name", changes.name.is_some()),
        (
            "default_department_id",
            changes.default_department_id.is_some(),
        ),
        ("deadline_days", changes.deadline_days.is_some()),
        ("disabled", changes.disabled.is_some()),
    ]);
    if let Some(v) = changes.name {
        row.name = v;
    }
    if let Some(v) = changes.default_department_id {
        row.default_department_id = v;
    }
    if let Some(v) = changes.deadline_days {
        row.deadline_days = v;
    }
    if let Some(v) = changes.disabled {
        row.disabled = v;
    }
    row.updated_at = time::format(now);
    check_category(conn, &row)?;
    categories::update(conn, &row).map_err(duplicate_as(DUPLICATE_CATEGORY))?;
    audit::record(
        conn,
        by,
        AuditAction::CategoryUpdate,
        Some(id),
        Some(detail),
        now,
    )?;
    Ok(row)
}

pub fn get_category(conn: &mut DbConnection, id: &str) -> Result<CategoryRow, AppError> {
    categories::find(conn, id)?.ok_or_else(|| AppError::not_found("category"))
}

/// Everyone may read categories; only administrators see the retired ones.
pub fn list_categories(
    conn: &mut DbConnection,
    who: &Principal,
) -> Result<Vec<CategoryRow>, AppError> {
    let mut rows = categories::list(conn)?;
    if who.role != Role::Admin {
        rows.retain(|c| !c.disabled);
    }
    Ok(rows)
}
