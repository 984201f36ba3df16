//! The OpenAPI 3 description, served at `/api/openapi.json` with a viewer at `/api/docs/`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    assessments, attachments, audit, auth, bulletins, calendar, directory, downloads,
    enterprise_import, export, extensions, health, legal, liaison, members, messages,
    notifications, policies, routing, stats, systemic, tickets, traits_import, types, users,
    visits,
};
use crate::domain::notification::{NotifyChannel, NotifyEvent, NotifyStatus};
use crate::domain::systemic::{SystemicAction, SystemicStatus};
use crate::domain::ticket::{
    Action, AllowedAction, Channel, ExtensionStatus, Priority, Rating, Role, TicketKind,
    TicketStatus,
};

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

/// The answers every operation of a kind can give, so that each need not list them: 401 for
/// those behind a token, 400/413/415/422 for those with a JSON body, 400/413/415 for uploads.
/// (An operation's own description of one of them is kept.)
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("ErrorResponse"))),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description));
                };
                let behind_token = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body_types: Vec<String> = match &op.request_body {
                    Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                if behind_token {
                    add("401", "no token, or one that is not valid or has expired");
                }
                if body_types.iter().any(|t| t == "application/json") {
                    add("400", "the body is not JSON, or could not be read");
                    add("413", "the body is larger than http.max_json_bytes");
                    add("415", "the body is not sent as application/json");
                    add("422", "the body has the wrong shape or breaks a rule");
                }
                if body_types.iter().any(|t| t == "multipart/form-data") {
                    add("400", "a malformed form, or no part named file");
                    add("413", "the file is larger than allowed");
                    add(
                        "415",
                        "not a multipart form, or a file of a type not accepted",
                    );
                }
            }
        }
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
        downloads::create_link,
        downloads::open_link,
        auth::refresh,
        auth::logout,
        auth::me,
        auth::update_me,
        auth::change_password,
        auth::reset_password,
        auth::phone_code,
        auth::change_phone,
        legal::current,
        legal::versions,
        legal::publish,
        legal::consent,
        members::list,
        members::invite,
        members::disable,
        members::enable,
        members::hand_over,
        members::list_requests,
        members::approve,
        members::reject,
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
        tickets::similar_tickets,
        tickets::similar_to_text,
        routing::ticket_routing,
        systemic::list_issues,
        systemic::create_issue,
        systemic::get_issue,
        systemic::update_issue,
        systemic::link_ticket,
        systemic::unlink_ticket,
        systemic::suggested_tickets,
        systemic::ticket_issues,
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
        tickets::merge,
        tickets::unmerge,
        extensions::request_extension,
        extensions::list_extensions,
        extensions::approve_extension,
        extensions::deny_extension,
        stats::summary,
        stats::breakdown,
        stats::trend,
        stats::ranking,
        stats::hot_topics,
        assessments::list,
        assessments::get,
        assessments::publish,
        bulletins::list,
        bulletins::create,
        bulletins::get,
        bulletins::edit,
        bulletins::publish,
        bulletins::docx,
        bulletins::xlsx,
        visits::record,
        visits::list,
        visits::my_enterprises,
        liaison::figures,
        liaison::create_campaign,
        liaison::list_campaigns,
        liaison::campaign,
        liaison::profile,
        liaison::pairings_template,
        liaison::import_pairings,
        traits_import::traits_template,
        traits_import::import_traits,
        policies::list_terms,
        policies::create_term,
        policies::update_term,
        policies::list_policies,
        policies::create_policy,
        policies::get_policy,
        policies::replace_policy,
        policies::publish_policy,
        policies::withdraw_policy,
        policies::get_version,
        policies::fitting,
        policies::grant,
        policies::ask,
        policies::apply,
        policies::list_applications,
        policies::get_application,
        policies::approve,
        policies::refuse,
        policies::pay,
        policies::my_policies,
        policies::enterprise_policies,
        policies::get_traits,
        policies::update_traits,
        policies::verify_traits,
        policies::figures,
        policies::payouts,
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
        messages::list_messages,
        messages::unread_count,
        messages::mark_read,
        messages::mark_all_read,
        messages::daily_check,
        audit::list_audit,
    ),
    components(schemas(Role, TicketKind, TicketStatus, Channel, Rating, Action, Priority, AllowedAction, ExtensionStatus, NotifyChannel, NotifyStatus, NotifyEvent, SystemicStatus, SystemicAction, types::ErrorResponse)),
    modifiers(&BearerAuth, &CommonResponses),
    tags(
        (name = "tickets", description = "Filing and reading requests"),
        (name = "ticket actions", description = "The workflow: accept, assign, sign, resolve, revisit…"),
        (name = "auth", description = "Sign-in, tokens and your own account"),
        (name = "notifications", description = "The e-mail and SMS outbox (administrators)"),
        (name = "messages", description = "The message centre (站内消息): your own in-app messages, every role"),
        (name = "statistics", description = "The figures administrators watch: docs/kpi.md"),
        (name = "calendar", description = "Working days: public holidays and make-up working days"),
        (name = "attachments", description = "Photos, PDFs and Word and Excel documents attached to tickets, comments, progress notes and resolutions"),
        (name = "downloads", description = "Signed links that open a download without a token header (WeChat's browser cannot save what a script fetched)"),
        (name = "audit", description = "What administrators did (read-only)"),
        (name = "systemic issues", description = "Systemic issues (症结): what many requests have in common, the lead department addressing it, and the tickets it explains (staff only)"),
        (name = "members", description = "An enterprise's users, managed by its manager, and requests to join an enterprise"),
        (name = "policies", description = "送政策: the catalogue of business-support policies, matching enterprises to them, pushes, 免申即享 grants, questions, applications and payments"),
        (name = "visits", description = "Liaison cadres' visits to their enterprises (走访, 千名干部进千企), the requests filed on them, and campaigns (专项行动)"),
    )
)]
pub struct ApiDoc;
