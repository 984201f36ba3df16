//! User accounts: administrators manage them; dispatchers may read them (to pick cadres).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{Admin, ApiJson, Auth, ClientIp, path_id};
use crate::api::params::{cursor_id, nullable, one_of, page_limit, patch_with, search_pattern};
use crate::api::state::State;
use crate::api::types::{ErrorResponse, UserList, UserResponse};
use crate::auth;
use crate::db::users::UserFilter;
use crate::domain::ticket::Role;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::accounts::{self, NewUser, UserChanges};
use crate::service::audit::By;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3 to 64 ASCII letters, digits and `_ . @ -`; stored in lower case.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Display name.
    pub name: String,
    /// A mainland mobile number, for SMS notices.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    /// Required for cadres.
    pub department_id: Option<String>,
    /// Required for enterprise users.
    pub enterprise_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// A new password; ends the user's sessions.
    pub password: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub department_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub enterprise_id: Option<Option<String>>,
    /// Disabling ends the user's sessions.
    pub disabled: Option<bool>,
    /// Notify this user by e-mail.
    pub notify_email: Option<bool>,
    /// Notify this user by SMS.
    pub notify_sms: Option<bool>,
    /// Manages the enterprise's account (enterprise users only): an administrator names a new
    /// manager when the one there was has left.
    pub enterprise_manager: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// enterprise, cadre, dispatcher or admin.
    pub role: Option<String>,
    pub department_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub disabled: Option<bool>,
    /// Part of the username or name (for dispatchers, enterprise users by their name only).
    pub q: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Create an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "the username is taken", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create_user(
    state: State,
    admin: Admin,
    ip: ClientIp,
    body: ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    let username = errors.username("username", &req.username);
    errors.password("password", &req.password);
    errors.required_text("name", &req.name, limits::NAME);
    let phone = errors.mobile("phone", req.phone);
    let email = errors.email("email", req.email);
    errors.finish()?;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let password = req.password;
    let input = NewUser {
        username: username.unwrap_or_default(),
        password_hash: String::new(),
        name: req.name.trim().to_string(),
        phone,
        email,
        role: req.role,
        department_id: req.department_id,
        enterprise_id: req.enterprise_id,
        // The administrator chose it: the user chooses their own at the first sign-in.
        must_change_password: true,
    };
    let _turn = auth::password_turn().await;
    let user = state
        .run(move |db| {
            let password_hash = auth::hash_password(&password).map_err(AppError::internal)?;
            db.write(move |c| {
                let input = NewUser {
                    password_hash,
                    ..input
                };
                accounts::create_user(c, &by, input, now)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", user.id)))
        .json(UserResponse::from(user)))
}

/// List accounts, newest first (administrators and dispatchers).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(UserListQuery),
    responses((status = 200, body = UserList), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_users(
    state: State,
    auth: Auth,
    query: web::Query<UserListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let filter = UserFilter {
        role: one_of("role", q.role.as_deref())?,
        department_id: q.department_id,
        enterprise_id: q.enterprise_id,
        disabled: q.disabled,
        pattern: search_pattern(q.q.as_deref())?,
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let page = state
        .read(move |c| accounts::list_users(c, &who, &filter, limit))
        .await?;
    let page = page.map(UserResponse::from);
    Ok(HttpResponse::Ok().json(UserList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One account (administrators and dispatchers).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_user(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "user")?;
    let user = state
        .read(move |c| accounts::get_user(c, &who, &id))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Change an account (administrators). Absent fields stay; null clears.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path)),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update_user(
    state: State,
    admin: Admin,
    ip: ClientIp,
    id: web::Path<String>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let by = By::Request(ip.actor(&who));
    let id = path_id(&id, "user")?;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if let Some(p) = &req.password {
        errors.password("password", p);
    }
    if let Some(n) = &req.name {
        errors.required_text("name", n, limits::NAME);
    }
    if id == who.user_id {
        if req.disabled == Some(true) {
            errors.add("disabled", "you cannot disable your own account");
        }
        if req.role.is_some_and(|r| r != Role::Admin) {
            errors.add("role", "you cannot take the admin role from yourself");
        }
    }
    let phone = patch_with(req.phone, |v| errors.mobile("phone", v));
    let email = patch_with(req.email, |v| errors.email("email", v));
    errors.finish()?;
    let now = state.clock.now();
    let password = req.password;
    let changes = UserChanges {
        password_hash: None,
        name: req.name.map(|n| n.trim().to_string()),
        phone,
        email,
        role: req.role,
        department_id: req.department_id,
        enterprise_id: req.enterprise_id,
        disabled: req.disabled,
        notify_email: req.notify_email,
        notify_sms: req.notify_sms,
        enterprise_manager: req.enterprise_manager,
    };
    let _turn = match password {
        Some(_) => Some(auth::password_turn().await),
        None => None,
    };
    let user = state
        .run(move |db| {
            let password_hash = password
                .map(|p| auth::hash_password(&p))
                .transpose()
                .map_err(AppError::internal)?;
            db.write(move |c| {
                let changes = UserChanges {
                    password_hash,
                    ..changes
                };
                accounts::update_user(c, &by, &id, changes, now)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}
