//! HTTP: the route table (all of it, in [`configure`]), thin handlers, the request and
//! response types, and the OpenAPI description.
//!
//! Handlers parse and validate input, then run one service function — a write in one
//! transaction through [`state::AppState::write`], a read on a pooled connection through
//! [`state::AppState::read`] — and shape the answer.

pub mod assessments;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bulletins;
pub mod calendar;
pub mod directory;
pub mod downloads;
pub mod encoding;
pub mod enterprise_import;
pub mod errors;
pub mod export;
pub mod extensions;
pub mod extract;
pub mod health;
pub mod legal;
pub mod liaison;
pub mod members;
pub mod messages;
pub mod middleware;
pub mod notifications;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod policies;
pub mod routing;
pub mod state;
pub mod stats;
pub mod systemic;
pub mod tickets;
pub mod traits_import;
pub mod types;
pub mod users;
pub mod visits;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

use errors::{method_not_allowed, no_such_endpoint};

/// The viewer lives at `/api/docs/`; its pages load their scripts relative to that.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/api/docs/"))
        .finish()
}

/// A resource whose unlisted methods answer 405 in our JSON shape.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// The route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post};
    cfg.service(resource("/").route(get().to(pages::index)))
        .service(resource("/assets/{name:.+}").route(get().to(pages::asset)))
        .service(resource("/tickets/{id}").route(get().to(pages::ticket_link)))
        .service(resource("/tickets/{id}/rate").route(get().to(pages::ticket_link)))
        .service(resource("/healthz").route(get().to(health::healthz)))
        .service(resource("/readyz").route(get().to(health::readyz)))
        .service(resource("/metrics").route(get().to(notifications::metrics)))
        .service(resource("/api/docs").route(get().to(docs_redirect)))
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
                .url("/api/openapi.json", openapi::ApiDoc::openapi()),
        )
        .service(
            web::scope("/api/v1")
                .service(resource("/auth/login").route(post().to(auth::login)))
                .service(resource("/auth/sms-code").route(post().to(auth::sms_code)))
                .service(resource("/auth/sms-login").route(post().to(auth::sms_login)))
                .service(resource("/auth/register").route(post().to(auth::register)))
                .service(resource("/attachments").route(post().to(attachments::upload)))
                .service(resource("/attachments/{id}").route(get().to(attachments::download)))
                .service(resource("/downloads").route(post().to(downloads::create_link)))
                .service(resource("/downloads/{token}").route(get().to(downloads::open_link)))
                .service(resource("/auth/refresh").route(post().to(auth::refresh)))
                .service(resource("/auth/password-reset").route(post().to(auth::reset_password)))
                .service(resource("/auth/logout").route(post().to(auth::logout)))
                .service(
                    resource("/me")
                        .route(get().to(auth::me))
                        .route(patch().to(auth::update_me)),
                )
                .service(resource("/me/password").route(post().to(auth::change_password)))
                .service(resource("/me/phone-code").route(post().to(auth::phone_code)))
                .service(resource("/me/phone").route(post().to(auth::change_phone)))
                .service(resource("/me/consent").route(post().to(legal::consent)))
                .service(resource("/me/daily-check").route(get().to(messages::daily_check)))
                .service(resource("/me/enterprises").route(get().to(visits::my_enterprises)))
                .service(
                    resource("/visits")
                        .route(get().to(visits::list))
                        .route(post().to(visits::record)),
                )
                .service(
                    resource("/campaigns")
                        .route(get().to(liaison::list_campaigns))
                        .route(post().to(liaison::create_campaign)),
                )
                .service(resource("/campaigns/{id}").route(get().to(liaison::campaign)))
                .service(
                    resource("/legal")
                        .route(get().to(legal::current))
                        .route(post().to(legal::publish)),
                )
                .service(resource("/legal/versions").route(get().to(legal::versions)))
                .service(
                    resource("/enterprise/members")
                        .route(get().to(members::list))
                        .route(post().to(members::invite)),
                )
                .service(
                    resource("/enterprise/members/{id}/disable").route(post().to(members::disable)),
                )
                .service(
                    resource("/enterprise/members/{id}/enable").route(post().to(members::enable)),
                )
                .service(
                    resource("/enterprise/members/{id}/manager")
                        .route(post().to(members::hand_over)),
                )
                .service(resource("/join-requests").route(get().to(members::list_requests)))
                .service(resource("/join-requests/{id}/approve").route(post().to(members::approve)))
                .service(resource("/join-requests/{id}/reject").route(post().to(members::reject)))
                .service(
                    resource("/departments")
                        .route(get().to(directory::list_departments))
                        .route(post().to(directory::create_department)),
                )
                .service(
                    resource("/departments/{id}")
                        .route(get().to(directory::get_department))
                        .route(patch().to(directory::update_department)),
                )
                .service(
                    resource("/enterprises")
                        .route(get().to(directory::list_enterprises))
                        .route(post().to(directory::create_enterprise)),
                )
                .service(
                    resource("/enterprises/import-template.xlsx")
                        .route(get().to(enterprise_import::template)),
                )
                .service(
                    resource("/enterprises/import").route(post().to(enterprise_import::import)),
                )
                .service(
                    resource("/enterprises/pairings-template.xlsx")
                        .route(get().to(liaison::pairings_template)),
                )
                .service(
                    resource("/enterprises/pairings/import")
                        .route(post().to(liaison::import_pairings)),
                )
                .service(
                    resource("/enterprises/traits-template.xlsx")
                        .route(get().to(traits_import::traits_template)),
                )
                .service(
                    resource("/enterprises/traits/import")
                        .route(post().to(traits_import::import_traits)),
                )
                .service(resource("/enterprises/{id}/profile").route(get().to(liaison::profile)))
                .service(
                    resource("/enterprises/{id}/policies")
                        .route(get().to(policies::enterprise_policies)),
                )
                .service(
                    resource("/enterprises/{id}/traits")
                        .route(get().to(policies::get_traits))
                        .route(patch().to(policies::update_traits)),
                )
                .service(
                    resource("/enterprises/{id}/traits/verify")
                        .route(post().to(policies::verify_traits)),
                )
                .service(resource("/me/policies").route(get().to(policies::my_policies)))
                .service(
                    resource("/policy-terms")
                        .route(get().to(policies::list_terms))
                        .route(post().to(policies::create_term)),
                )
                .service(resource("/policy-terms/{id}").route(patch().to(policies::update_term)))
                .service(
                    resource("/policies")
                        .route(get().to(policies::list_policies))
                        .route(post().to(policies::create_policy)),
                )
                .service(resource("/policies/payouts.xlsx").route(get().to(policies::payouts)))
                .service(
                    resource("/policies/{id}")
                        .route(get().to(policies::get_policy))
                        .route(web::put().to(policies::replace_policy)),
                )
                .service(
                    resource("/policies/{id}/publish").route(post().to(policies::publish_policy)),
                )
                .service(
                    resource("/policies/{id}/withdraw").route(post().to(policies::withdraw_policy)),
                )
                .service(
                    resource("/policies/{id}/versions/{version}")
                        .route(get().to(policies::get_version)),
                )
                .service(resource("/policies/{id}/enterprises").route(get().to(policies::fitting)))
                .service(resource("/policies/{id}/grant").route(post().to(policies::grant)))
                .service(resource("/policies/{id}/questions").route(post().to(policies::ask)))
                .service(resource("/policies/{id}/applications").route(post().to(policies::apply)))
                .service(
                    resource("/policy-applications").route(get().to(policies::list_applications)),
                )
                .service(
                    resource("/policy-applications/{id}")
                        .route(get().to(policies::get_application)),
                )
                .service(
                    resource("/policy-applications/{id}/approve")
                        .route(post().to(policies::approve)),
                )
                .service(
                    resource("/policy-applications/{id}/refuse").route(post().to(policies::refuse)),
                )
                .service(resource("/policy-applications/{id}/pay").route(post().to(policies::pay)))
                .service(resource("/stats/policies").route(get().to(policies::figures)))
                .service(
                    resource("/enterprises/{id}")
                        .route(get().to(directory::get_enterprise))
                        .route(patch().to(directory::update_enterprise)),
                )
                .service(
                    resource("/categories")
                        .route(get().to(directory::list_categories))
                        .route(post().to(directory::create_category)),
                )
                .service(
                    resource("/categories/{id}")
                        .route(get().to(directory::get_category))
                        .route(patch().to(directory::update_category)),
                )
                .service(
                    resource("/users")
                        .route(get().to(users::list_users))
                        .route(post().to(users::create_user)),
                )
                .service(
                    resource("/users/{id}")
                        .route(get().to(users::get_user))
                        .route(patch().to(users::update_user)),
                )
                .service(
                    resource("/tickets")
                        .route(get().to(tickets::list_tickets))
                        .route(post().to(tickets::create_ticket)),
                )
                .service(resource("/tickets/counts").route(get().to(tickets::ticket_counts)))
                .service(resource("/tickets/similar").route(get().to(tickets::similar_to_text)))
                .service(
                    resource("/tickets/{id}/similar").route(get().to(tickets::similar_tickets)),
                )
                .service(resource("/tickets/{id}/routing").route(get().to(routing::ticket_routing)))
                .service(
                    resource("/tickets/{id}/systemic-issues")
                        .route(get().to(systemic::ticket_issues)),
                )
                .service(resource("/tickets/{id}").route(get().to(tickets::get_ticket)))
                .service(resource("/tickets/{id}/comments").route(post().to(tickets::add_comment)))
                .service(resource("/tickets/{id}/accept").route(post().to(tickets::accept)))
                .service(resource("/tickets/{id}/reject").route(post().to(tickets::reject)))
                .service(resource("/tickets/{id}/assign").route(post().to(tickets::assign)))
                .service(resource("/tickets/{id}/sign").route(post().to(tickets::sign)))
                .service(resource("/tickets/{id}/return").route(post().to(tickets::return_ticket)))
                .service(resource("/tickets/{id}/progress").route(post().to(tickets::progress)))
                .service(resource("/tickets/{id}/urge").route(post().to(tickets::urge)))
                .service(resource("/tickets/{id}/resolve").route(post().to(tickets::resolve)))
                .service(resource("/tickets/{id}/revisit").route(post().to(tickets::revisit)))
                .service(resource("/tickets/{id}/close").route(post().to(tickets::close)))
                .service(resource("/tickets/{id}/withdraw").route(post().to(tickets::withdraw)))
                .service(resource("/tickets/{id}/merge").route(post().to(tickets::merge)))
                .service(resource("/tickets/{id}/unmerge").route(post().to(tickets::unmerge)))
                .service(
                    resource("/tickets/{id}/extensions")
                        .route(get().to(extensions::list_extensions))
                        .route(post().to(extensions::request_extension)),
                )
                .service(
                    resource("/tickets/{id}/extensions/{eid}/approve")
                        .route(post().to(extensions::approve_extension)),
                )
                .service(
                    resource("/tickets/{id}/extensions/{eid}/deny")
                        .route(post().to(extensions::deny_extension)),
                )
                .service(
                    resource("/systemic-issues")
                        .route(get().to(systemic::list_issues))
                        .route(post().to(systemic::create_issue)),
                )
                .service(
                    resource("/systemic-issues/{id}")
                        .route(get().to(systemic::get_issue))
                        .route(patch().to(systemic::update_issue)),
                )
                .service(
                    resource("/systemic-issues/{id}/tickets")
                        .route(post().to(systemic::link_ticket)),
                )
                .service(
                    resource("/systemic-issues/{id}/tickets/{ticket_id}")
                        .route(delete().to(systemic::unlink_ticket)),
                )
                .service(
                    resource("/systemic-issues/{id}/suggested")
                        .route(get().to(systemic::suggested_tickets)),
                )
                .service(resource("/audit").route(get().to(audit::list_audit)))
                .service(resource("/stats/summary").route(get().to(stats::summary)))
                .service(resource("/stats/breakdown").route(get().to(stats::breakdown)))
                .service(resource("/stats/trend").route(get().to(stats::trend)))
                .service(resource("/stats/ranking").route(get().to(stats::ranking)))
                .service(resource("/stats/liaison").route(get().to(liaison::figures)))
                .service(resource("/stats/hot-topics").route(get().to(stats::hot_topics)))
                .service(resource("/assessments").route(get().to(assessments::list)))
                .service(resource("/assessments/{month}").route(get().to(assessments::get)))
                .service(
                    resource("/assessments/{month}/publish").route(post().to(assessments::publish)),
                )
                .service(
                    resource("/bulletins")
                        .route(get().to(bulletins::list))
                        .route(post().to(bulletins::create)),
                )
                .service(
                    resource("/bulletins/{id}")
                        .route(get().to(bulletins::get))
                        .route(patch().to(bulletins::edit)),
                )
                .service(resource("/bulletins/{id}/publish").route(post().to(bulletins::publish)))
                .service(resource("/bulletins/{id}/bulletin.docx").route(get().to(bulletins::docx)))
                .service(resource("/bulletins/{id}/tables.xlsx").route(get().to(bulletins::xlsx)))
                .service(resource("/stats/charts/{name}").route(get().to(stats::chart)))
                .service(resource("/stats/assessment.xlsx").route(get().to(export::assessment)))
                .service(
                    resource("/ledger.csv")
                        .wrap_fn(middleware::gzip_when_accepted)
                        .route(get().to(export::ledger_csv)),
                )
                .service(resource("/ledger.xlsx").route(get().to(export::ledger_xlsx)))
                .service(resource("/calendar/working-days").route(get().to(calendar::working_days)))
                .service(resource("/calendar/add").route(get().to(calendar::add)))
                .service(resource("/calendar/years").route(get().to(calendar::list_years)))
                .service(
                    resource("/calendar/years/{year}").route(web::put().to(calendar::put_year)),
                )
                .service(
                    resource("/notifications").route(get().to(notifications::list_notifications)),
                )
                .service(
                    resource("/notifications/counts")
                        .route(get().to(notifications::notification_counts)),
                )
                .service(
                    resource("/notifications/{id}")
                        .route(get().to(notifications::get_notification)),
                )
                .service(
                    resource("/notifications/{id}/retry")
                        .route(post().to(notifications::retry_notification)),
                )
                .service(resource("/messages").route(get().to(messages::list_messages)))
                .service(resource("/messages/unread-count").route(get().to(messages::unread_count)))
                .service(resource("/messages/read-all").route(post().to(messages::mark_all_read)))
                .service(resource("/messages/{id}/read").route(post().to(messages::mark_read))),
        )
        .default_service(web::to(no_such_endpoint));
}
