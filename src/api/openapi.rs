//! The OpenAPI 3 description, served at `/api/openapi.json` with a viewer at `/api/docs/`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    attachments, audit, auth, calendar, directory, enterprise_import, export, extensions, health,
    notifications, stats, tickets, types, users,
};
use crate::domain::notification::{NotifyChannel, NotifyEvent, NotifyStatus};
use crate::domain::ticket::{Action, Channel, Priority, Rating, Role, TicketKind, TicketStatus};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "qiyeshao (企业哨)",
        description = "Enterprise requests to a district government: filed, accepted, assigned, \
            handled, resolved and rated. Errors are `{error, message, fields?}` with a stable \
            `error` code; see docs/api.md.",
    ),
    paths(
        health::healthz,
        health::readyz,
        notifications::metrics,
        auth::login,
        auth::sms_code,
        auth::sms_login,
        auth::register,
        attachments::upload,
        attachments::download,
        auth::refresh,
        auth::logout,
        auth::me,
        auth::update_me,
        directory::list_departments,
        directory::create_department,
        directory::get_department,
        directory::update_department,
        directory::list_enterprises,
        directory::create_enterprise,
        directory::get_enterprise,
        enterprise_import::template,
        enterprise_import::import,
        directory::update_enterprise,
        directory::list_categories,
        directory::create_category,
        directory::get_category,
        directory::update_category,
        users::list_users,
        users::create_user,
        users::get_user,
        users::update_user,
        tickets::list_tickets,
        tickets::ticket_counts,
        tickets::create_ticket,
        tickets::get_ticket,
        tickets::add_comment,
        tickets::accept,
        tickets::reject,
        tickets::assign,
        tickets::sign,
        tickets::return_ticket,
        tickets::progress,
        tickets::urge,
        tickets::resolve,
        tickets::revisit,
        tickets::close,
        tickets::withdraw,
        extensions::request_extension,
        extensions::list_extensions,
        extensions::approve_extension,
        extensions::deny_extension,
        stats::summary,
        stats::breakdown,
        stats::trend,
        stats::ranking,
        stats::chart,
        export::assessment,
        export::ledger_csv,
        export::ledger_xlsx,
        calendar::working_days,
        calendar::add,
        calendar::list_years,
        calendar::put_year,
        notifications::list_notifications,
        notifications::notification_counts,
        notifications::get_notification,
        notifications::retry_notification,
        audit::list_audit,
    ),
    components(schemas(Role, TicketKind, TicketStatus, Channel, Rating, Action, Priority, NotifyChannel, NotifyStatus, NotifyEvent, types::ErrorResponse)),
    modifiers(&BearerAuth),
    tags(
        (name = "tickets", description = "Filing and reading requests"),
        (name = "ticket actions", description = "The workflow: accept, assign, sign, resolve, revisit…"),
        (name = "auth", description = "Sign-in, tokens and your own account"),
        (name = "notifications", description = "The e-mail and SMS outbox (administrators)"),
        (name = "statistics", description = "The figures administrators watch: docs/kpi.md"),
        (name = "calendar", description = "Working days: public holidays and make-up working days"),
        (name = "attachments", description = "Photos and PDFs attached to tickets and comments"),
        (name = "audit", description = "What administrators did (read-only)"),
    )
)]
pub struct ApiDoc;
