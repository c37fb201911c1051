//! The wage-arrears green channel (农民工欠薪绿色通道, issue 14 item 5):
//! the lane's list with its totals (claimed, recovered, workers), the
//! pre-Spring-Festival season, the clerk's confirmation, the first contact
//! with the employer and what was recovered. Rules in
//! `domain::green_channel`; the flag is written at registration
//! (`web::intake`).

use crate::api::petitions::{load_visible, require_full};
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::WITHHELD;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{self, View};
use xinfang_domain::green_channel;
use xinfang_domain::local_date;
use xinfang_domain::role::Role;
use xinfang_domain::unit::UnitTree;
use xinfang_store::{GreenFilter, GreenRow, NewGreenChannel};

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct GreenView {
    pub number: String,
    pub title: String,
    /// The unit holding the petition now.
    pub current_unit: String,
    /// flagged (by the rules), confirmed or rejected (by a clerk).
    pub state: String,
    /// What recognised it.
    pub words: Vec<String>,
    pub migrant: bool,
    /// Claimed, in yuan.
    pub amount_claimed: Option<i64>,
    pub workers: Option<i64>,
    pub received_on: String,
    /// First contact with the employer due by this day.
    pub contact_due: String,
    pub contacted_at: Option<String>,
    pub contact_note: Option<String>,
    /// First contact not made and its day passed.
    pub contact_overdue: bool,
    pub amount_recovered: Option<i64>,
    pub workers_paid: Option<i64>,
    /// Why the totals pass the claim or went down, when they did.
    pub recovery_note: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Default)]
pub struct GreenTotals {
    pub petitions: usize,
    pub amount_claimed: i64,
    pub workers: i64,
    pub amount_recovered: i64,
    pub workers_paid: i64,
    pub contact_overdue: usize,
}

#[derive(Serialize, ToSchema)]
pub struct GreenList {
    /// The period listed (the pre-festival season when asked for).
    pub from: Option<String>,
    pub to: Option<String>,
    pub items: Vec<GreenView>,
    pub totals: GreenTotals,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct GreenQuery {
    /// `spring_festival`: the season before the next Spring Festival.
    pub season: Option<String>,
    /// Received on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Received on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Only those whose first contact is overdue.
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct GreenDecision {
    /// true: in the lane (confirmed); false: taken out.
    pub in_lane: bool,
    /// Corrections of what the rules read from the text.
    #[serde(default)]
    pub amount_claimed: Option<i64>,
    #[serde(default)]
    pub workers: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct ContactInput {
    /// How the employer was reached and what was said.
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RecoveryInput {
    /// Recovered so far, in yuan.
    pub amount: i64,
    /// Workers paid so far.
    pub workers: i64,
    /// Why, when the totals pass what was claimed or go down (required
    /// then: 422 `note_required`); at most 2,000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

pub fn view(state: &AppState, g: &GreenRow) -> GreenView {
    let today = local_date(Utc::now()).to_string();
    GreenView {
        number: g.number.clone(),
        title: g.title.clone(),
        current_unit: state.tree().get(g.current_unit_id).map(|u| u.name.clone()).unwrap_or_default(),
        state: g.state.clone(),
        words: serde_json::from_str(&g.words).unwrap_or_default(),
        migrant: g.migrant,
        amount_claimed: g.amount_claimed,
        workers: g.workers,
        received_on: g.received_on.clone(),
        contact_due: g.contact_due.clone(),
        contacted_at: g.contacted_at.clone(),
        contact_note: g.contact_note.clone(),
        contact_overdue: g.contacted_at.is_none() && g.contact_due < today && g.state != "rejected",
        amount_recovered: g.amount_recovered,
        recovery_note: g.recovery_note.clone(),
        workers_paid: g.workers_paid,
    }
}

/// A row of the lane as `staff` may see it: `None` when the petition must
/// look as if it did not exist to that unit (the accused's chain, Art. 30);
/// a sealed accusation (a claim reclassified after it entered the lane)
/// under a neutral title, without the words matched in it or the notes of
/// the contact made and of what was recovered.
fn seen(state: &AppState, staff: &Staff, tree: &UnitTree, g: &GreenRow) -> Option<GreenView> {
    match access::view(&g.case, g.confidential, staff.unit.id, staff.user.role, tree) {
        View::Hidden => None,
        View::Sealed => {
            let mut v = view(state, g);
            v.title = crate::views::SEALED_TITLE.into();
            v.words.clear();
            v.contact_note = v.contact_note.map(|_| WITHHELD.into());
            v.recovery_note = v.recovery_note.map(|_| WITHHELD.into());
            Some(v)
        }
        View::IdentityHidden | View::Full => Some(view(state, g)),
    }
}

fn invalid(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

fn day(field: &str, s: &str) -> ApiResult<String> {
    xinfang_domain::plain_date(s)
        .map(|d| d.to_string())
        .ok_or_else(|| invalid("invalid_date", "日期格式应为YYYY-MM-DD（2000至2100年）").at(field))
}

#[utoipa::path(get, path = "/api/v1/green-channel", tag = "grassroots", security(("bearer" = [])), params(GreenQuery),
    description = "The wage-arrears green channel as the caller sees it: the petitions in the lane (newest first) with the amount and workers claimed and recovered and whether first contact with the employer is overdue, and their totals. `season=spring_festival` lists the season before the next Spring Festival. A petition now hidden from the caller's unit (the accused's chain, Art. 30) is left out; a sealed accusation shows under a neutral title, without the words matched or the contact and recovery notes.",
    responses((status = 200, body = GreenList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<GreenQuery>) -> ApiResult<Json<GreenList>> {
    if staff.user.role == Role::Admin || staff.user.role == Role::GridReporter {
        return Err(ApiError::forbidden("欠薪绿色通道由信访部门和承办单位查看"));
    }
    let today = local_date(Utc::now());
    let (mut from, mut to) = (q.from.as_deref().map(|d| day("from", d)).transpose()?, q.to.as_deref().map(|d| day("to", d)).transpose()?);
    match q.season.as_deref() {
        None | Some("") => {}
        Some("spring_festival") => {
            let (a, b) = green_channel::festival_season(&state.calendar(), today, state.settings.green_channel_season_days)
                .ok_or_else(|| invalid("no_festival", "节假日安排中没有下一个春节"))?;
            from = Some(a.to_string());
            to = Some(b.to_string());
        }
        Some(_) => return Err(invalid("invalid_season", "season 只能为 spring_festival（春节前）").at("season")),
    }
    let tree = state.tree();
    let rows = state
        .store
        .green_channel_list(
            &staff.visibility(&tree).unit_ids,
            &GreenFilter {
                from: from.clone(),
                to: to.clone(),
                contact_overdue_on: q.overdue.unwrap_or(false).then(|| today.to_string()),
                with_rejected: false,
                limit: q.limit.unwrap_or(500).clamp(1, 5000),
            },
        )
        .await?;
    // Per row and per reader: a claim in the lane may since have become an
    // accusation, sealed from or hidden to this unit (Art. 30).
    let items: Vec<GreenView> = rows.iter().filter_map(|g| seen(&state, &staff, &tree, g)).collect();
    let totals = GreenTotals {
        petitions: items.len(),
        amount_claimed: items.iter().filter_map(|i| i.amount_claimed).fold(0i64, i64::saturating_add),
        workers: items.iter().filter_map(|i| i.workers).fold(0i64, i64::saturating_add),
        amount_recovered: items.iter().filter_map(|i| i.amount_recovered).fold(0i64, i64::saturating_add),
        workers_paid: items.iter().filter_map(|i| i.workers_paid).fold(0i64, i64::saturating_add),
        contact_overdue: items.iter().filter(|i| i.contact_overdue).count(),
    };
    Ok(Json(GreenList { from, to, items, totals }))
}

/// Staff who work the lane on a claim they see in full (the lane is for
/// claims; an accusation is never in it).
async fn lane_petition(state: &AppState, staff: &Staff, number: &str) -> ApiResult<xinfang_store::PetitionRecord> {
    staff.require_role(&[Role::Clerk, Role::HandlingOfficer, Role::UnitHead])?;
    let (rec, v) = load_visible(state, staff, number).await?;
    require_full(v)?;
    if rec.category != xinfang_domain::petition::Category::Claim {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_a_claim", "欠薪绿色通道只收申诉求决类事项"));
    }
    Ok(rec)
}

/// First contact and recovery are the holding unit's to record.
fn require_holder(staff: &Staff, rec: &xinfang_store::PetitionRecord) -> ApiResult<()> {
    let holds = rec.case.current_unit == staff.unit.id || rec.case.handling_unit == Some(staff.unit.id);
    if holds { Ok(()) } else { Err(ApiError::forbidden("由正在办理该事项的单位记录")) }
}

#[utoipa::path(put, path = "/api/v1/petitions/{number}/green-channel", tag = "grassroots", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = GreenDecision,
    description = "A clerk confirms a petition in the green channel (also one the rules missed: it enters with the short deadline from its receipt) or takes it out.",
    responses((status = 200, body = GreenView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<GreenDecision>,
) -> ApiResult<Json<GreenView>> {
    let rec = lane_petition(&state, &staff, &number).await?;
    for (field, v, max) in [("amount_claimed", input.amount_claimed, 10_000_000_000i64), ("workers", input.workers, 1_000_000)] {
        if v.is_some_and(|v| !(0..=max).contains(&v)) {
            return Err(invalid("invalid_number", "金额或人数不正确").at(field));
        }
    }
    let text = [rec.title.as_str(), &rec.content, &rec.request, &rec.facts_and_reasons].join("\n");
    let read = green_channel::recognise(true, None, &text).unwrap_or_default();
    let (amount, workers) = green_channel::claimed(&text);
    let received = rec.case.received_on;
    let new = NewGreenChannel {
        state: String::new(),
        words: serde_json::to_string(&if read.words.is_empty() { vec!["工作人员认定".to_string()] } else { read.words.clone() })
            .unwrap_or_default(),
        migrant: read.migrant,
        amount_claimed: input.amount_claimed.or(amount),
        workers: input.workers.or(workers),
        received_on: received.to_string(),
        contact_due: green_channel::after_working_days(&state.calendar(), received, state.settings.green_channel_contact_days).to_string(),
    };
    let lane = if input.in_lane { "confirmed" } else { "rejected" };
    state.store.set_green_channel(rec.id, lane, Some(&new), staff.user.id, Utc::now()).await?;
    if input.in_lane && (input.amount_claimed.is_some() || input.workers.is_some()) {
        state.store.correct_green_claim(rec.id, input.amount_claimed, input.workers).await?;
    }
    let ev = staff.record_event(&rec, "green_channel", json!({"in_lane": input.in_lane}), None);
    state.store.append_event(rec.id, &ev).await?;
    let g = state.store.green_channel_of(rec.id).await?.ok_or_else(ApiError::internal)?;
    Ok(Json(view(&state, &g)))
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/green-channel/contact", tag = "grassroots", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = ContactInput,
    description = "Record the first contact with the employer (once), which the short internal deadline asks for.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn contact(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<StatusCode> {
    let rec = lane_petition(&state, &staff, &number).await?;
    require_holder(&staff, &rec)?;
    let note = input.note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(invalid("invalid_note", "请填写与用人单位联系的情况（不超过2000字）").at("note"));
    }
    let g = state
        .store
        .green_channel_of(rec.id)
        .await?
        .filter(|g| g.state != "rejected")
        .ok_or_else(|| ApiError::not_found("欠薪绿色通道事项"))?;
    if !state.store.record_green_contact(g.petition_id, note, staff.user.id, Utc::now()).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_contacted", "已记录首次联系用人单位"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/green-channel/recovered", tag = "grassroots", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = RecoveryInput,
    description = "Record what has been recovered so far for the workers (the running totals).",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn recovered(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<RecoveryInput>,
) -> ApiResult<StatusCode> {
    let rec = lane_petition(&state, &staff, &number).await?;
    require_holder(&staff, &rec)?;
    if !(0..=green_channel::MAX_AMOUNT).contains(&input.amount) {
        return Err(invalid("invalid_amount", "追回金额不正确").at("amount"));
    }
    if !(0..=1_000_000).contains(&input.workers) {
        return Err(invalid("invalid_workers", "人数不正确").at("workers"));
    }
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(invalid("invalid_note", "说明不超过2000字").at("note"));
    }
    let g = state
        .store
        .green_channel_of(rec.id)
        .await?
        .filter(|g| g.state != "rejected")
        .ok_or_else(|| ApiError::not_found("欠薪绿色通道事项"))?;
    if note.is_none()
        && let Some(why) = green_channel::recovery_needs_note(
            (g.amount_claimed, g.workers),
            (g.amount_recovered, g.workers_paid),
            input.amount,
            input.workers,
        )
    {
        return Err(invalid("note_required", why.message()).at("note"));
    }
    state.store.record_green_recovery(g.petition_id, input.amount, input.workers, note, staff.user.id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
