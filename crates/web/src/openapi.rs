//! The OpenAPI 3 document served at `/api/openapi.json`.

use crate::api::{account, petitions, reference, track, urgent};
use crate::dto::*;
use crate::error::{ErrorBody, ErrorDetail};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "xinfang 信访信息系统 API", description = "Petition case management under the 2022 《信访工作条例》. Errors are `{\"error\":{\"code\",\"message\"}}` with a Chinese message."),
    paths(
        account::login, account::logout, account::logout_all, account::me, account::change_password, account::totp_enrol, account::totp_confirm, account::create_user, account::unlock_user, reference::revoke_api_key,
        petitions::create, petitions::list, petitions::export, petitions::detail, petitions::act, petitions::attachment, petitions::unmask, reference::access_log,
        track::view, track::evaluate, track::review_request,
        reference::units, reference::topics, reference::divisions, reference::calendar,
        reference::set_calendar_day, reference::delete_calendar_day, reference::create_api_key,
        reference::import_calendar, urgent::list, urgent::acknowledge,
    ),
    components(schemas(ErrorBody, ErrorDetail, crate::error::FieldError, LoginRequest, LoginResponse, MeResponse, UnitRef, PetitionInput, PetitionerInput, AccusedInput, AttachmentInput,
        SubmitResponse, DeadlineView, PauseView, PetitionDetail, PetitionerView, EventView, NoticeView, AttachmentView, PetitionListItem, PetitionPage,
        ActionResponse, TrackView, ProgressStep, ReviewWindow, EvaluationInput, ReviewRequestInput, ApiKeyInput, ApiKeyResponse, CalendarDayInput, CalendarView, CalendarDayView, UnmaskInput, UnmaskResponse, AccessLogEntry, account::PasswordChange, account::TotpEnrolment, account::TotpCode, account::NewUser,
        reference::CalendarImportInput, reference::CalendarImportResponse, crate::calendar_sync::SyncOutcome, urgent::UrgentReportView)),
    modifiers(&Bearer),
    tags((name = "petitions"), (name = "track", description = "The petitioner's view, by number and query code"), (name = "auth"), (name = "reference"), (name = "admin"))
)]
pub struct ApiDoc;
