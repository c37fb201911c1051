//! The JSON API under `/api/v1`.

pub mod account;
pub mod annual;
pub mod appointments;
pub mod approvals;
pub mod articles;
pub mod campaign;
pub mod dashboard;
pub mod dispatch;
pub mod disputes;
pub mod duty;
pub mod green_channel;
pub mod hotspots;
pub mod leadership;
pub mod learning;
pub mod letters;
pub mod petitions;
pub mod ranking;
pub mod reference;
pub mod repeats;
pub mod risk;
pub mod search;
pub mod similar;
pub mod spotcheck;
pub mod statistics;
pub mod supervision;
pub mod track;
pub mod triage;
pub mod units;
pub mod urgent;

use crate::ratelimit;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::from_fn;
use axum::routing::{delete, get, post, put};

/// The operations open to anyone (submitting, tracking by query code,
/// logging in) carry their rate-limit layer here; their page twins in the
/// ui crate carry the same one.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(account::login.layer(from_fn(ratelimit::login))))
        .route("/api/v1/auth/logout", post(account::logout))
        .route("/api/v1/auth/logout-all", post(account::logout_all))
        .route("/api/v1/me", get(account::me))
        .route("/api/v1/me/password", post(account::change_password))
        .route("/api/v1/me/totp", post(account::totp_enrol))
        .route("/api/v1/me/totp/confirm", post(account::totp_confirm))
        .route("/api/v1/me/totp/disable", post(account::totp_disable))
        .route("/api/v1/users", post(account::create_user))
        .route("/api/v1/users/{username}", axum::routing::patch(account::update_user))
        .route("/api/v1/users/{username}/unlock", post(account::unlock_user))
        .route("/api/v1/users/{username}/password", post(account::reset_password))
        .route("/api/v1/units/{code}", axum::routing::patch(units::rename))
        .route(
            "/api/v1/petitions",
            post(petitions::create.layer(from_fn(ratelimit::submit)))
                .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
                .get(petitions::list),
        )
        .route("/api/v1/petitions/export.csv", get(petitions::export))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/triage", post(triage::triage))
        .route("/api/v1/hotspots", get(hotspots::hotspots))
        .route("/api/v1/risk-alerts", get(risk::list))
        .route("/api/v1/risk-alerts/{id}/dismiss", post(risk::dismiss))
        .route("/api/v1/petitions/{number}/risk-alerts", post(risk::raise))
        .route("/api/v1/risk-model", get(risk::model))
        .route("/api/v1/risk-model/train", post(risk::train))
        .route("/api/v1/triage/rules", get(triage::rules).put(triage::put_rules).delete(triage::delete_rules))
        .route("/api/v1/triage/models", get(triage::models))
        .route("/api/v1/triage/models/train", post(triage::train))
        .route("/api/v1/petitions/{number}", get(petitions::detail))
        .route("/api/v1/petitions/{number}/similar", get(similar::similar))
        .route("/api/v1/petitions/{number}/repeat", put(repeats::put))
        .route(
            "/api/v1/petitions/{number}/actions/{action}",
            post(petitions::act_route).layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES)),
        )
        .route("/api/v1/approvals", get(approvals::list))
        .route("/api/v1/approvals/{id}/approve", post(approvals::approve))
        .route("/api/v1/approvals/{id}/refuse", post(approvals::refuse))
        .route("/api/v1/petitions/{number}/attachments/{id}", get(petitions::attachment))
        .route("/api/v1/petitions/{number}/documents", get(letters::list))
        .route("/api/v1/petitions/{number}/leadership", get(leadership::get))
        .route("/api/v1/petitions/{number}/lead", put(leadership::put_lead))
        .route("/api/v1/petitions/{number}/track", put(leadership::put_track))
        .route("/api/v1/petitions/{number}/escalations", post(leadership::post_escalation))
        .route("/api/v1/petitions/{number}/escalations/{id}/records", post(leadership::post_record))
        .route("/api/v1/leader/cases", get(leadership::cases))
        .route("/api/v1/spot-checks", get(spotcheck::list).post(spotcheck::create))
        .route("/api/v1/spot-checks/{id}", get(spotcheck::detail))
        .route("/api/v1/spot-checks/{id}/items/{item}", put(spotcheck::score))
        .route("/api/v1/petitions/{number}/accountability", post(spotcheck::open_review))
        .route("/api/v1/petitions/{number}/accountability/{id}/refer", post(spotcheck::refer))
        .route("/api/v1/petitions/{number}/documents/{id}", get(letters::download))
        .route("/api/v1/track/{number}/documents/{id}", get(letters::track_download.layer(from_fn(ratelimit::track))))
        .route("/api/v1/admin/jobs", get(letters::jobs))
        .route("/api/v1/admin/jobs/{id}", get(letters::job))
        .route("/api/v1/admin/jobs/{id}/retry", post(letters::retry_job))
        .route("/api/v1/admin/message-templates", get(letters::templates))
        .route("/api/v1/admin/message-templates/{name}", put(letters::put_template).delete(letters::reset_template))
        .route(
            "/api/v1/petitions/{number}/attachments",
            post(petitions::upload_attachments).layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES * 5)),
        )
        .route("/api/v1/petitions/{number}/unmask", post(petitions::unmask))
        .route("/api/v1/access-log", get(reference::access_log))
        .route("/api/v1/track/{number}", get(track::view.layer(from_fn(ratelimit::track))))
        .route("/api/v1/track/{number}/evaluation", post(track::evaluate.layer(from_fn(ratelimit::track))))
        .route("/api/v1/track/{number}/review-request", post(track::review_request.layer(from_fn(ratelimit::track))))
        .route("/api/v1/units", get(reference::units))
        .route("/api/v1/units/import", post(units::import).layer(DefaultBodyLimit::max(units::MAX_IMPORT_BYTES)))
        .route("/api/v1/topics", get(reference::topics))
        .route("/api/v1/divisions", get(reference::divisions))
        .route("/api/v1/calendar/{year}", get(reference::calendar))
        .route("/api/v1/calendar/days/{date}", put(reference::set_calendar_day).delete(reference::delete_calendar_day))
        .route("/api/v1/calendar/import", post(reference::import_calendar))
        .route("/api/v1/campaigns", get(campaign::list).post(campaign::create))
        .route("/api/v1/campaigns/{id}", get(campaign::detail))
        .route("/api/v1/campaigns/{id}/lead", post(campaign::post_lead))
        .route("/api/v1/dashboard", get(dashboard::show))
        .route("/api/v1/reports/annual", get(annual::show))
        .route("/api/v1/rankings", get(ranking::list).post(ranking::publish))
        .route("/api/v1/rankings/preview", get(ranking::preview))
        .route("/api/v1/rankings/{id}", get(ranking::show))
        .route("/api/v1/unit-documents/{id}", get(ranking::unit_document))
        .route("/api/v1/statistics", get(statistics::show))
        .route("/api/v1/statistics.csv", get(statistics::csv))
        .route("/api/v1/statistics.xlsx", get(statistics::xlsx))
        .route("/api/v1/urgent-reports", get(urgent::list))
        .route("/api/v1/urgent-reports/{id}/acknowledge", post(urgent::acknowledge))
        .route("/api/v1/supervision/cases", get(supervision::list).post(supervision::open))
        .route("/api/v1/supervision/cases/{id}", get(supervision::detail))
        .route("/api/v1/supervision/cases/{id}/reply", post(supervision::reply))
        .route("/api/v1/supervision/cases/{id}/close", post(supervision::close))
        .route("/api/v1/supervision/watch", get(supervision::watch))
        .route("/api/v1/supervision/watch/run", post(supervision::run_watch))
        .route("/api/v1/disputes", get(disputes::list).post(disputes::create))
        .route("/api/v1/disputes/kinds", get(disputes::kinds))
        .route("/api/v1/disputes/rounds", get(disputes::round))
        .route("/api/v1/disputes/rounds/{period}/nothing-found", post(disputes::nothing_found))
        .route("/api/v1/disputes/{id}", get(disputes::detail))
        .route("/api/v1/disputes/{id}/mediator", post(disputes::assign))
        .route("/api/v1/disputes/{id}/mediations", post(disputes::mediate))
        .route("/api/v1/disputes/{id}/escalate", post(disputes::escalate))
        .route("/api/v1/disputes/{id}/resolve", post(disputes::resolve))
        .route("/api/v1/disputes/{id}/petition", post(disputes::to_petition))
        .route("/api/v1/disputes/{id}/unmask", post(disputes::unmask))
        .route("/api/v1/articles", get(articles::list))
        .route("/api/v1/articles/official-text", put(articles::import))
        .route("/api/v1/articles/{number}", get(articles::get))
        .route("/api/v1/learning/questions", get(learning::bank))
        .route("/api/v1/learning/self-test", get(learning::self_test))
        .route("/api/v1/learning/self-test/answers", post(learning::practice_answer))
        .route("/api/v1/learning/exams", get(learning::exams).post(learning::create_exam))
        .route("/api/v1/learning/exams/{id}/attempts", post(learning::start))
        .route("/api/v1/learning/attempts/{id}", get(learning::attempt))
        .route("/api/v1/learning/attempts/{id}/submit", post(learning::submit))
        .route("/api/v1/learning/attempts/{id}/draft", put(learning::draft))
        .route("/api/v1/learning/contest", get(learning::contest))
        .route("/api/v1/learning/contest/attempts", post(learning::start_contest))
        .route("/api/v1/learning/participation", get(learning::participation))
        .route("/api/v1/green-channel", get(green_channel::list))
        .route("/api/v1/petitions/{number}/green-channel", put(green_channel::decide))
        .route("/api/v1/petitions/{number}/green-channel/contact", post(green_channel::contact))
        .route("/api/v1/petitions/{number}/green-channel/recovered", post(green_channel::recovered))
        .route("/api/v1/dispatch/board", get(dispatch::board))
        .route("/api/v1/dispatch/orders", get(dispatch::list).post(dispatch::create))
        .route("/api/v1/dispatch/orders/{id}/feedback", post(dispatch::feedback))
        .route("/api/v1/dispatch/orders/{id}/close", post(dispatch::close))
        .route("/api/v1/dispatch/rules", get(disputes::get_rules).put(disputes::put_rules))
        .route("/api/v1/appointments", post(appointments::book.layer(from_fn(ratelimit::submit))).get(appointments::list))
        .route("/api/v1/appointments/units", get(appointments::units))
        .route("/api/v1/appointments/calendar/{unit}", get(appointments::calendar).put(appointments::put_calendar))
        .route("/api/v1/appointments/hall", get(appointments::hall))
        .route("/api/v1/appointments/hall/check-in", post(appointments::check_in))
        .route("/api/v1/appointments/hall/call", post(appointments::call))
        .route("/api/v1/appointments/hall/tickets/{id}", get(appointments::ticket))
        .route("/api/v1/appointments/hall/tickets/{id}/register", post(appointments::register))
        .route("/api/v1/appointments/hall/screen/{unit}", get(appointments::screen))
        .route("/api/v1/appointments/{number}", get(appointments::show.layer(from_fn(ratelimit::track))))
        .route("/api/v1/appointments/{number}/cancel", post(appointments::cancel.layer(from_fn(ratelimit::track))))
        .route("/api/v1/duty-roster", get(duty::roster))
        .route("/api/v1/duty-roster/days", post(duty::add_duty))
        .route("/api/v1/duty-roster/days/{id}", delete(duty::remove_duty))
        .route("/api/v1/duty-roster/days/{id}/check", post(duty::check))
        .route("/api/v1/duty-roster/missed", get(duty::missed))
        .route("/api/v1/duty-roster/reception-day", get(duty::reception_day))
        .route("/api/v1/duty-roster/lawyers", post(duty::add_lawyer))
        .route("/api/v1/duty-roster/lawyers/{id}", get(duty::lawyer))
        .route("/api/v1/duty-roster/lawyers/{id}/visits", post(duty::record_visit))
        .route("/api/v1/duty-roster/outreach", post(duty::add_outreach))
        .route("/api/v1/duty-roster/outreach/{id}/result", post(duty::outreach_result))
        .route("/api/v1/api-keys", post(reference::create_api_key))
        .route("/api/v1/api-keys/{id}", axum::routing::delete(reference::revoke_api_key))
}
