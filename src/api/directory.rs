//! Departments, enterprises and categories. Administrators write them; every signed-in user
//! reads departments and categories; enterprises are read by administrators and dispatchers
//! (and each enterprise user reads their own, each cadre those they are liaison for).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{Admin, ApiJson, Auth, ClientIp, path_id};
use crate::api::params::{cursor_id, nullable, page_limit, patch_with, search_pattern};
use crate::api::state::State;
use crate::api::types::{
    CategoryList, CategoryResponse, DepartmentList, DepartmentResponse, EnterpriseList,
    EnterpriseResponse, ErrorResponse,
};
use crate::db::enterprises::EnterpriseFilter;
use crate::db::liaison;
use crate::domain::credit_code;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::audit::By;
use crate::service::directory::{
    self, CategoryChanges, DepartmentChanges, EnterpriseChanges, NewCategory, NewDepartment,
    NewEnterprise,
};

fn created<T: serde::Serialize>(location: String, body: T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

// --- departments ---------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartmentRequest {
    #[schema(example = "区发展和改革局")]
    pub name: String,
    /// The task force (专班) or unit this department belongs to.
    pub parent_id: Option<String>,
    /// A cadre who heads the department.
    pub head_user_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDepartmentRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub parent_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub head_user_id: Option<Option<String>>,
}

/// Every department, by name.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments",
    responses((status = 200, body = DepartmentList), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_departments(state: State, _auth: Auth) -> Result<HttpResponse, AppError> {
    let rows = state.read(directory::list_departments).await?;
    Ok(HttpResponse::Ok().json(DepartmentList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Create a department (administrators).
#[utoipa::path(post, path = "/api/v1/departments", tag = "departments",
    request_body = CreateDepartmentRequest,
    responses(
        (status = 201, body = DepartmentResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "the name is taken", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create_department(
    state: State,
    admin: Admin,
    ip: ClientIp,
    body: ApiJson<CreateDepartmentRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("name", &req.name, limits::NAME);
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let input = NewDepartment {
        name: req.name.trim().to_string(),
        parent_id: req.parent_id,
        head_user_id: req.head_user_id,
    };
    let row = state
        .write(move |c| directory::create_department(c, &by, input, now))
        .await?;
    Ok(created(
        format!("/api/v1/departments/{}", row.id),
        DepartmentResponse::from(row),
    ))
}

/// One department.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments",
    params(("id" = String, Path)),
    responses((status = 200, body = DepartmentResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_department(
    state: State,
    _auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, "department")?;
    let row = state
        .read(move |c| directory::get_department(c, &id))
        .await?;
    Ok(HttpResponse::Ok().json(DepartmentResponse::from(row)))
}

/// Change a department (administrators).
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments",
    params(("id" = String, Path)),
    request_body = UpdateDepartmentRequest,
    responses(
        (status = 200, body = DepartmentResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update_department(
    state: State,
    admin: Admin,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<UpdateDepartmentRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, "department")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if let Some(n) = &req.name {
        errors.required_text("name", n, limits::NAME);
    }
    errors.finish()?;
    let now = state.clock.now();
    let changes = DepartmentChanges {
        name: req.name.map(|n| n.trim().to_string()),
        parent_id: req.parent_id,
        head_user_id: req.head_user_id,
    };
    let by = By::Request(ip.actor(&admin.0));
    let row = state
        .write(move |c| directory::update_department(c, &by, &id, changes, now))
        .await?;
    Ok(HttpResponse::Ok().json(DepartmentResponse::from(row)))
}

// --- enterprises ---------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnterpriseRequest {
    #[schema(example = "长沙望城某某储能材料有限公司")]
    pub name: String,
    /// Unified social credit code (统一社会信用代码), checked against its check character.
    #[schema(example = "91430112MA4L16JQ9R")]
    pub credit_code: String,
    #[schema(example = "先进储能材料")]
    pub industry_chain: Option<String>,
    #[schema(example = "望城经开区")]
    pub area: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    /// A mobile number, a landline with area code, or a 400/800 number.
    pub contact_phone: Option<String>,
    /// The cadre paired with this enterprise (联点干部).
    pub liaison_cadre_id: Option<String>,
    /// Deputy liaison cadres (副联点干部), beside the liaison cadre; at most 5.
    #[serde(default)]
    pub deputy_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnterpriseRequest {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub industry_chain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub area: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub contact_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub liaison_cadre_id: Option<Option<String>>,
    /// All the deputies (`[]` removes them). Removing the liaison cadre removes them too.
    pub deputy_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseListQuery {
    pub industry_chain: Option<String>,
    pub area: Option<String>,
    pub liaison_cadre_id: Option<String>,
    /// Part of the name or credit code.
    pub q: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The deputies named, refused when more than [`directory::MAX_DEPUTIES`].
fn deputy_count(errors: &mut FieldErrors, ids: Vec<String>) -> Vec<String> {
    if ids.len() > directory::MAX_DEPUTIES {
        errors.add(
            "deputy_ids",
            format!("at most {} deputies", directory::MAX_DEPUTIES),
        );
    }
    ids
}

/// A unified social credit code, checked and in canonical form; the error names `credit_code`.
pub(crate) fn credit(errors: &mut FieldErrors, value: &str) -> Option<String> {
    match credit_code::normalize(value) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.add(
                "credit_code",
                format!("is not a valid unified social credit code: {e}"),
            );
            None
        }
    }
}

/// Create an enterprise (administrators).
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises",
    request_body = CreateEnterpriseRequest,
    responses(
        (status = 201, body = EnterpriseResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "an enterprise with this credit code exists", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create_enterprise(
    state: State,
    admin: Admin,
    ip: ClientIp,
    body: ApiJson<CreateEnterpriseRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("name", &req.name, limits::NAME);
    let code = credit(&mut errors, &req.credit_code);
    let input = NewEnterprise {
        name: req.name.trim().to_string(),
        credit_code: code.unwrap_or_default(),
        industry_chain: errors.optional_text("industry_chain", req.industry_chain, limits::NAME),
        area: errors.optional_text("area", req.area, limits::NAME),
        address: errors.optional_text("address", req.address, limits::ADDRESS),
        contact_name: errors.optional_text("contact_name", req.contact_name, limits::NAME),
        contact_phone: errors.contact_phone("contact_phone", req.contact_phone),
        liaison_cadre_id: req.liaison_cadre_id,
        deputy_ids: deputy_count(&mut errors, req.deputy_ids),
    };
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let (row, deputies) = state
        .write(move |c| {
            let row = directory::create_enterprise(c, &by, input, now)?;
            let deputies = liaison::deputies_of(c, std::slice::from_ref(&row.id))?;
            Ok((row, deputies))
        })
        .await?;
    Ok(created(
        format!("/api/v1/enterprises/{}", row.id),
        EnterpriseResponse::new(row, &deputies),
    ))
}

/// List enterprises, newest first (administrators and dispatchers).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises",
    params(EnterpriseListQuery),
    responses((status = 200, body = EnterpriseList), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_enterprises(
    state: State,
    auth: Auth,
    query: web::Query<EnterpriseListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let filter = EnterpriseFilter {
        industry_chain: q.industry_chain,
        area: q.area,
        liaison_cadre_id: q.liaison_cadre_id,
        pattern: search_pattern(q.q.as_deref())?,
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let (page, deputies) = state
        .read(move |c| {
            let page = directory::list_enterprises(c, &who, &filter, limit)?;
            let ids: Vec<String> = page.items.iter().map(|e| e.id.clone()).collect();
            let deputies = liaison::deputies_of(c, &ids)?;
            Ok((page, deputies))
        })
        .await?;
    let page = page.map(|e| EnterpriseResponse::new(e, &deputies));
    Ok(HttpResponse::Ok().json(EnterpriseList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One enterprise.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "enterprises",
    params(("id" = String, Path)),
    responses((status = 200, body = EnterpriseResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_enterprise(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "enterprise")?;
    let (row, deputies) = state
        .read(move |c| {
            let row = directory::get_enterprise(c, &who, &id)?;
            let deputies = liaison::deputies_of(c, std::slice::from_ref(&row.id))?;
            Ok((row, deputies))
        })
        .await?;
    Ok(HttpResponse::Ok().json(EnterpriseResponse::new(row, &deputies)))
}

/// Change an enterprise (administrators). Absent fields stay; null clears.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", tag = "enterprises",
    params(("id" = String, Path)),
    request_body = UpdateEnterpriseRequest,
    responses(
        (status = 200, body = EnterpriseResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update_enterprise(
    state: State,
    admin: Admin,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<UpdateEnterpriseRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, "enterprise")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if let Some(n) = &req.name {
        errors.required_text("name", n, limits::NAME);
    }
    let credit_code = req
        .credit_code
        .as_deref()
        .and_then(|c| credit(&mut errors, c));
    let changes = EnterpriseChanges {
        name: req.name.map(|n| n.trim().to_string()),
        credit_code,
        industry_chain: patch_with(req.industry_chain, |v| {
            errors.optional_text("industry_chain", v, limits::NAME)
        }),
        area: patch_with(req.area, |v| errors.optional_text("area", v, limits::NAME)),
        address: patch_with(req.address, |v| {
            errors.optional_text("address", v, limits::ADDRESS)
        }),
        contact_name: patch_with(req.contact_name, |v| {
            errors.optional_text("contact_name", v, limits::NAME)
        }),
        contact_phone: patch_with(req.contact_phone, |v| {
            errors.contact_phone("contact_phone", v)
        }),
        liaison_cadre_id: req.liaison_cadre_id,
        deputy_ids: req.deputy_ids.map(|d| deputy_count(&mut errors, d)),
    };
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let (row, deputies) = state
        .write(move |c| {
            let row = directory::update_enterprise(c, &by, &id, changes, now)?;
            let deputies = liaison::deputies_of(c, std::slice::from_ref(&row.id))?;
            Ok((row, deputies))
        })
        .await?;
    Ok(HttpResponse::Ok().json(EnterpriseResponse::new(row, &deputies)))
}

// --- categories ----------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    #[schema(example = "用电报装")]
    pub name: String,
    /// Where requests of this category usually go.
    pub default_department_id: Option<String>,
    /// The deadline after assignment, 1 to 365 days.
    #[schema(example = 5)]
    pub deadline_days: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategoryRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub default_department_id: Option<Option<String>>,
    pub deadline_days: Option<i32>,
    /// A disabled category takes no new requests.
    pub disabled: Option<bool>,
}

fn check_deadline(errors: &mut FieldErrors, days: i32) {
    if !(1..=365).contains(&days) {
        errors.add("deadline_days", "must be between 1 and 365");
    }
}

/// Every category in use (administrators also see disabled ones).
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories",
    responses((status = 200, body = CategoryList), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_categories(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let rows = state
        .read(move |c| directory::list_categories(c, &who))
        .await?;
    Ok(HttpResponse::Ok().json(CategoryList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Create a category (administrators).
#[utoipa::path(post, path = "/api/v1/categories", tag = "categories",
    request_body = CreateCategoryRequest,
    responses(
        (status = 201, body = CategoryResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create_category(
    state: State,
    admin: Admin,
    ip: ClientIp,
    body: ApiJson<CreateCategoryRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("name", &req.name, limits::NAME);
    check_deadline(&mut errors, req.deadline_days);
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let input = NewCategory {
        name: req.name.trim().to_string(),
        default_department_id: req.default_department_id,
        deadline_days: req.deadline_days,
    };
    let row = state
        .write(move |c| directory::create_category(c, &by, input, now))
        .await?;
    Ok(created(
        format!("/api/v1/categories/{}", row.id),
        CategoryResponse::from(row),
    ))
}

/// One category.
#[utoipa::path(get, path = "/api/v1/categories/{id}", tag = "categories",
    params(("id" = String, Path)),
    responses((status = 200, body = CategoryResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_category(
    state: State,
    _auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, "category")?;
    let row = state.read(move |c| directory::get_category(c, &id)).await?;
    Ok(HttpResponse::Ok().json(CategoryResponse::from(row)))
}

/// Change a category (administrators).
#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "categories",
    params(("id" = String, Path)),
    request_body = UpdateCategoryRequest,
    responses(
        (status = 200, body = CategoryResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update_category(
    state: State,
    admin: Admin,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<UpdateCategoryRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, "category")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if let Some(n) = &req.name {
        errors.required_text("name", n, limits::NAME);
    }
    if let Some(d) = req.deadline_days {
        check_deadline(&mut errors, d);
    }
    errors.finish()?;
    let now = state.clock.now();
    let changes = CategoryChanges {
        name: req.name.map(|n| n.trim().to_string()),
        default_department_id: req.default_department_id,
        deadline_days: req.deadline_days,
        disabled: req.disabled,
    };
    let by = By::Request(ip.actor(&admin.0));
    let row = state
        .write(move |c| directory::update_category(c, &by, &id, changes, now))
        .await?;
    Ok(HttpResponse::Ok().json(CategoryResponse::from(row)))
}
