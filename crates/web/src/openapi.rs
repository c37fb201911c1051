//! The OpenAPI 3 document served at `/api/openapi.json`.

use crate::api::{
    account, annual, appointments, approvals, articles, campaign, dashboard, dispatch, disputes, duty, green_channel, hotspots, leadership,
    learning, letters, petitions, ranking, reference, repeats, risk, search, similar, spotcheck, statistics, supervision, track, triage,
    units, urgent,
};
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

/// One request schema per action, from the action table (the single
/// description of every action), and the act operation's body as their union.
struct ActionSchemas;

impl Modify for ActionSchemas {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use serde_json::json;
        use xinfang_domain::procedure::actions::{ACTIONS, FieldKind, Taker};
        let mut refs = Vec::new();
        for a in ACTIONS {
            let mut props = serde_json::Map::new();
            for f in a.fields {
                let mut p = json!({"type": f.kind.json_type(), "description": f.label});
                if let FieldKind::Choice(c) = f.kind {
                    p["enum"] = json!(c.options().iter().map(|o| o.0).collect::<Vec<_>>());
                }
                if f.kind == FieldKind::Date {
                    p["format"] = json!("date");
                }
                if matches!(f.kind, FieldKind::Units(_)) {
                    p["items"] = json!({"type": "string"});
                }
                props.insert(f.name.into(), p);
            }
            props.insert(
                "occurred_on".into(),
                json!({"type": "string", "format": "date", "description": "补录: the day the act was done on paper"}),
            );
            props.insert(
                "evidence".into(),
                json!({"$ref": "#/components/schemas/AttachmentInput", "description": "补录: the scanned 收文/发文 behind occurred_on"}),
            );
            let who = match a.taker {
                Taker::Staff(roles) => roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
                Taker::Petitioner => "信访人（或复查复核机关登记）".into(),
            };
            let description = format!(
                "{} — {}. Who: {who}.{}{}",
                a.label,
                a.article.citation(),
                if a.petitioner_sees { " Shown to the petitioner." } else { " Internal." },
                a.approver
                    .map(|r| format!(" Needs approval by {}.", r.iter().map(|x| x.label()).collect::<Vec<_>>().join("、")))
                    .unwrap_or_default()
            );
            let schema = json!({
                "type": "object",
                "title": a.name,
                "description": description,
                "properties": props,
                "required": a.fields.iter().filter(|f| f.required).map(|f| f.name).collect::<Vec<_>>(),
                "additionalProperties": false,
            });
            let name = format!("Action_{}", a.name);
            if let (Some(c), Ok(schema)) = (openapi.components.as_mut(), serde_json::from_value::<utoipa::openapi::schema::Schema>(schema))
            {
                c.schemas.insert(name.clone(), utoipa::openapi::RefOr::T(schema));
            }
            refs.push(json!({"$ref": format!("#/components/schemas/{name}")}));
        }
        let body = json!({"description": "The action's fields (one schema per action; the path names the action)", "required": true,
            "content": {"application/json": {"schema": {"oneOf": refs}}}});
        if let (Some(item), Ok(body)) = (
            openapi.paths.paths.get_mut("/api/v1/petitions/{number}/actions/{action}"),
            serde_json::from_value::<utoipa::openapi::request_body::RequestBody>(body),
        ) && let Some(op) = item.post.as_mut()
        {
            op.request_body = Some(utoipa::openapi::RefOr::T(body));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "xinfang 信访信息系统 API", description = "Petition case management under the 2022 《信访工作条例》. Errors are `{\"error\":{\"code\",\"message\"}}` with a Chinese message."),
    paths(
        account::login, account::logout, account::logout_all, account::me, account::change_password, account::totp_enrol, account::totp_confirm, account::totp_disable, account::create_user, account::unlock_user, account::update_user, account::reset_password, units::rename, reference::revoke_api_key,
        petitions::create, petitions::list, petitions::export, search::search, similar::similar, repeats::put, hotspots::hotspots, risk::list, risk::dismiss, risk::raise, risk::model, risk::train, triage::triage, triage::rules, triage::put_rules, triage::delete_rules, triage::models, triage::train, petitions::detail, petitions::act, petitions::attachment, petitions::upload_attachments, petitions::unmask, reference::access_log,
        track::view, track::evaluate, track::review_request,
        reference::units, reference::topics, reference::divisions, reference::calendar,
        reference::set_calendar_day, reference::delete_calendar_day, reference::create_api_key, units::import,
        approvals::list, approvals::approve, approvals::refuse,
        reference::import_calendar, urgent::list, urgent::acknowledge,
        letters::list, letters::download, letters::track_download, letters::jobs, letters::job, letters::retry_job, letters::templates, letters::put_template, letters::reset_template,
        leadership::get, leadership::put_lead, leadership::put_track, leadership::post_escalation, leadership::post_record, leadership::cases,
        spotcheck::create, spotcheck::list, spotcheck::detail, spotcheck::score, spotcheck::open_review, spotcheck::refer,
        supervision::list, supervision::detail, supervision::open, supervision::reply, supervision::close, supervision::watch, supervision::run_watch,
        statistics::show, statistics::csv, statistics::xlsx,
        dashboard::show, annual::show, campaign::create, campaign::list, campaign::detail, campaign::post_lead,
        ranking::preview, ranking::publish, ranking::list, ranking::show, ranking::unit_document,
        disputes::create, disputes::list, disputes::kinds, disputes::round, disputes::nothing_found, disputes::detail, disputes::assign, disputes::mediate, disputes::escalate, disputes::resolve, disputes::to_petition, disputes::unmask, disputes::get_rules, disputes::put_rules,
        dispatch::board, dispatch::create, dispatch::list, dispatch::feedback, dispatch::close,
        green_channel::list, green_channel::decide, green_channel::contact, green_channel::recovered,
        articles::list, articles::get, articles::import,
        learning::bank, learning::self_test, learning::practice_answer, learning::exams, learning::create_exam, learning::start, learning::attempt,
        learning::submit, learning::draft, learning::contest, learning::start_contest, learning::participation,
        appointments::units, appointments::calendar, appointments::put_calendar, appointments::book, appointments::show, appointments::cancel, appointments::list,
        appointments::hall, appointments::check_in, appointments::call, appointments::ticket, appointments::register, appointments::screen,
        duty::roster, duty::add_duty, duty::remove_duty, duty::check, duty::missed, duty::reception_day, duty::add_lawyer, duty::lawyer, duty::record_visit, duty::add_outreach, duty::outreach_result,
    ),
    components(schemas(ErrorBody, ErrorDetail, crate::error::FieldError, LoginRequest, LoginResponse, MeResponse, UnitRef, PetitionInput, PetitionerInput, AccusedInput, AttachmentInput, crate::dto::AttachmentUpload,
        SubmitResponse, DeadlineView, PauseView, PetitionDetail, PetitionerView, EventView, NoticeView, AttachmentView, PetitionListItem, PetitionPage,
        ActionResponse, TrackView, ProgressStep, EvaluationView, ReviewWindow, SubmittedView, TrackDocument, TrackItem, EvaluationInput, ReviewRequestInput, ApiKeyInput, ApiKeyResponse, CalendarDayInput, CalendarView, CalendarDayView, UnmaskInput, UnmaskResponse, AccessLogEntry, DocumentView, ActionFieldView, ActionView, ApprovalView, ApprovalRequested, ApprovalDecision, crate::intake::Refusal, account::PasswordChange, account::TotpEnrolment, account::TotpCode, account::TotpReauth, account::NewUser, account::UserChange, account::PasswordReset, units::UnitRename, units::UnitImportSummary,
        reference::CalendarImportInput, reference::CalendarImportResponse, crate::calendar_sync::SyncOutcome, urgent::UrgentReportView,
        letters::LetterView, letters::JobView, letters::AttemptView, letters::JobDetail, letters::JobCount, letters::JobPage, letters::TemplateView, letters::TemplateInput,
        leadership::LeadershipView, leadership::OwnerView, leadership::TrackView, leadership::EscalationView, leadership::RecordView, leadership::LeadInput, leadership::TrackInput, leadership::EscalationInput, leadership::RecordInput, leadership::Created, leadership::LedCaseView,
        spotcheck::SpotCheckInput, spotcheck::SpotCheckView, spotcheck::SpotItemView, spotcheck::SpotCheckDetail, spotcheck::ScoreInput, spotcheck::AccountabilityInput, spotcheck::AccountabilityCreated,
        supervision::SupervisionCaseView, supervision::SupervisionHistoryView, supervision::SupervisionCaseDetail, supervision::OpenCase, supervision::ReplyCase, supervision::CloseCase, supervision::WatchClassCounts, supervision::WatchView, crate::supervision::SweepReport,
        statistics::StatisticsView, statistics::PeriodFigures, statistics::GroupFigures, statistics::MetricValue,
        ranking::RankingInput, ranking::RankingView, ranking::RankingEntryView, ranking::RankingSummary, ranking::LetterRef, ranking::Rectification, ranking::WeightView,
        dashboard::DashboardView, dashboard::CountRow, dashboard::OverdueRow, dashboard::UnitLoad, dashboard::MetricRow, annual::AnnualReport,
        campaign::CampaignInput, campaign::CampaignView, campaign::CampaignItemView, campaign::CampaignDetail, campaign::BulkLead,
        crate::dto::DisputeRef, disputes::PartyInput, disputes::DisputeInput, disputes::PartyView, disputes::DisputeView, disputes::DisputeRecordView, disputes::DisputeDetail, disputes::DisputePage, disputes::MediatorInput, disputes::MediationInput, disputes::EscalateInput, disputes::ResolveInput, disputes::ToPetitionInput, disputes::ToPetitionAnswer, disputes::UnmaskPartiesInput, disputes::Created, disputes::RoundVillage, disputes::RoundView, disputes::NothingFoundInput, disputes::GrassrootsRules,
        articles::ChapterView, articles::QuoteView, articles::ArticleView, articles::RelatedRuleView, articles::ArticleList,
        articles::OfficialImport, articles::ImportResult,
        learning::BankQuestion, learning::BankView, learning::QuestionView, learning::MarkedView, learning::SelfTest, learning::PracticeAnswer, learning::PracticeResult,
        learning::MixInput, learning::ExamInput, learning::MyExamStatus, learning::ExamView, learning::PaperView, learning::SubmitInput,
        learning::LeaderRow, learning::ContestView, learning::UnitFigures, learning::FiguresView, learning::WeakView, learning::Participation,
        green_channel::GreenView, green_channel::GreenTotals, green_channel::GreenList, green_channel::GreenDecision, green_channel::ContactInput, green_channel::RecoveryInput,
        dispatch::BoardRow, dispatch::BoardView, dispatch::OrderInput, dispatch::OrderView, dispatch::FeedbackInput, dispatch::OrderCreated,
        appointments::ReceptionSlotInput, appointments::ReceptionCalendarInput, appointments::ReceptionSlotView, appointments::ReceptionDayView, appointments::ReceptionCalendarView, appointments::ReceivingUnit,
        appointments::BookingInput, appointments::Booked, appointments::CancelInput, appointments::BookingView, appointments::WalkInInput, appointments::CheckInInput,
        appointments::TicketView, appointments::HallView, appointments::TicketDetail, appointments::ScreenView, appointments::RegisteredVisit, appointments::CallInput,
        duty::SpotCheckOfDuty, duty::DutyView, duty::LawyerView, duty::LawyerVisitView, duty::LawyerDetail, duty::OutreachView, duty::RosterView, duty::RemovedDutyView, duty::ReceptionDayView,
        duty::DutyInput, duty::DutyCreated, duty::LawyerInput, duty::LawyerVisitInput, duty::OutreachInput, duty::OutreachResult, duty::DutyCheckInput)),
    modifiers(&Bearer, &ActionSchemas),
    tags((name = "petitions"), (name = "track", description = "The petitioner's view, by number and query code"), (name = "auth"), (name = "reference"), (name = "admin"), (name = "urgent", description = "Art. 25 reports and their acknowledgement"), (name = "approvals", description = "The unit head's approval queue (four eyes)"), (name = "supervision", description = "督办 (Art. 40) and the instruments of Art. 39; the deadline watch; spot checks and accountability reviews"), (name = "statistics", description = "Metrics per unit and period with their numerators and denominators (docs/metrics.md)"), (name = "intelligence", description = "Triage suggestions and risk signals (docs/intelligence.md)"), (name = "grassroots", description = "The grass roots (issue 14): the dispute screening ledger, screening rounds, the dispatch board's rules"), (name = "appointments", description = "Visits by appointment (网上预约接访) and the reception hall (issue 14)"), (name = "duty", description = "Leaders and lawyers on duty, 下访, spot checks of duty (issue 14)"), (name = "law", description = "The article library of the 2022 Regulations (issue 15)"), (name = "learning", description = "学法考法: self-tests, exams, the monthly contest, participation figures (issue 15)"))
)]
pub struct ApiDoc;
