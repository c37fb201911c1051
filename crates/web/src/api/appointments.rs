//! Visits by appointment (网上预约接访) and the reception hall (issue 14,
//! item 3). A receiving unit's staff set its reception slots; a citizen
//! books a slot of a working day (the same identity checks as online
//! submission: the Art. 19 para 3 / Art. 36 refusal and the repeat
//! warning), gets a booking number and code, a reminder the day before,
//! and may cancel. At the hall a receptionist checks people in (booking
//! code or walk-in), each getting the day's next queue number; calls them;
//! and turns a check-in into a visit registration through `intake`.

use crate::auth::Staff;
use crate::dto::PetitionInput;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::intake::{Submitter, intake, proof_keys, seal_petitioner};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::local_date;
use xinfang_domain::number::{QUERY_CODE_LEN, looks_like_query_code, query_code_from};
use xinfang_domain::petition::{Petitioner, PetitionerKind, valid_id_number, valid_phone};
use xinfang_domain::procedure::intake_conflict;
use xinfang_domain::role::Role;
use xinfang_domain::similarity::{matter_text, same_matter};
use xinfang_domain::unit::Unit;
use xinfang_store::{AppointmentRow, NewAppointment, NewJob, NewTicket, SlotRow, TicketRow};

/// How far ahead a visit can be booked (calendar days).
pub const BOOKING_HORIZON_DAYS: i64 = 14;
/// Most slots a unit may publish per day.
pub const MAX_SLOTS: usize = 24;
/// Most places in one slot.
pub const MAX_CAPACITY: i64 = 500;
/// Longest summary of a booking or walk-in.
pub const MAX_SUMMARY_CHARS: usize = 500;

/// Staff who run a unit's reception (set slots, check in, call, register).
pub const RECEPTION: &[Role] = &[Role::Clerk, Role::UnitHead];

fn invalid(code: &str, msg: impl Into<String>, field: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg).at(field)
}

// ----- Reception calendar ----------------------------------------------------

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct ReceptionSlotInput {
    /// `HH:MM`, Beijing time.
    pub starts: String,
    /// `HH:MM`, after `starts`.
    pub ends: String,
    /// Places in the slot (1–500).
    pub capacity: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct ReceptionCalendarInput {
    /// The slots of every working day; an empty list closes booking.
    pub slots: Vec<ReceptionSlotInput>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReceptionSlotView {
    pub starts: String,
    pub ends: String,
    pub capacity: i64,
    pub booked: i64,
    pub available: i64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReceptionDayView {
    pub day: String,
    pub slots: Vec<ReceptionSlotView>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReceptionCalendarView {
    pub unit: String,
    pub unit_name: String,
    /// The slots of every working day.
    pub slots: Vec<ReceptionSlotInput>,
    /// The working days open for booking (today on, 14 days; today's slots
    /// until they end), with the places left.
    pub days: Vec<ReceptionDayView>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReceivingUnit {
    pub code: String,
    pub name: String,
}

fn hhmm(s: &str) -> Option<NaiveTime> {
    (s.len() == 5).then(|| NaiveTime::parse_from_str(s, "%H:%M").ok()).flatten()
}

fn unit_by_code(state: &AppState, code: &str) -> ApiResult<Unit> {
    state.tree().by_code(code.trim()).cloned().ok_or_else(|| ApiError::not_found("单位"))
}

/// The working days open for booking: today on, within the horizon,
/// by the holiday calendar (调休 make-up days included, holidays out).
pub fn booking_days(state: &AppState, today: NaiveDate) -> Vec<NaiveDate> {
    let cal = state.calendar();
    (0..=BOOKING_HORIZON_DAYS).map(|n| today + Duration::days(n)).filter(|d| cal.day(*d).working).collect()
}

/// Whether a slot of `day` can still be booked now: any slot of a later
/// day, a slot of today that has not ended.
fn slot_open(day: NaiveDate, ends: &str) -> bool {
    let now = Utc::now().with_timezone(&xinfang_domain::china_offset());
    day > now.date_naive() || (day == now.date_naive() && hhmm(ends).is_some_and(|e| e > now.time()))
}

pub async fn calendar_of(state: &AppState, unit: &Unit) -> ApiResult<ReceptionCalendarView> {
    let slots = state.store.reception_slots(unit.id).await?;
    let today = local_date(Utc::now());
    let days = booking_days(state, today);
    let load = match (days.first(), days.last()) {
        (Some(a), Some(b)) => state.store.reception_load(unit.id, &a.to_string(), &b.to_string()).await?,
        _ => Default::default(),
    };
    Ok(ReceptionCalendarView {
        unit: unit.code.clone(),
        unit_name: unit.name.clone(),
        slots: slots.iter().map(|s| ReceptionSlotInput { starts: s.starts.clone(), ends: s.ends.clone(), capacity: s.capacity }).collect(),
        days: days
            .iter()
            .map(|d| ReceptionDayView {
                day: d.to_string(),
                slots: slots
                    .iter()
                    .filter(|s| slot_open(*d, &s.ends))
                    .map(|s| {
                        let booked = load.get(&(d.to_string(), s.starts.clone())).copied().unwrap_or(0);
                        ReceptionSlotView {
                            starts: s.starts.clone(),
                            ends: s.ends.clone(),
                            capacity: s.capacity,
                            booked,
                            available: (s.capacity - booked).max(0),
                        }
                    })
                    .collect(),
            })
            // Today once its slots have all ended.
            .filter(|d| !d.slots.is_empty())
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/appointments/units", tag = "appointments",
    description = "The units that receive visitors by appointment (have reception slots). Public.",
    responses((status = 200, body = [ReceivingUnit])))]
pub async fn units(State(state): State<AppState>) -> ApiResult<Json<Vec<ReceivingUnit>>> {
    Ok(Json(receiving_units(&state).await?))
}

pub async fn receiving_units(state: &AppState) -> ApiResult<Vec<ReceivingUnit>> {
    let tree = state.tree();
    let ids = state.store.units_with_slots().await?;
    let mut v: Vec<ReceivingUnit> =
        ids.iter().filter_map(|id| tree.get(*id)).map(|u| ReceivingUnit { code: u.code.clone(), name: u.name.clone() }).collect();
    v.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(v)
}

#[utoipa::path(get, path = "/api/v1/appointments/calendar/{unit}", tag = "appointments",
    description = "A unit's reception calendar: its slots and, for each working day open for booking (today's slots until they end, then 14 days, by the holiday calendar), the places left. Public.",
    params(("unit" = String, Path, description = "unit code")),
    responses((status = 200, body = ReceptionCalendarView), (status = 404, body = ErrorBody)))]
pub async fn calendar(State(state): State<AppState>, ApiPath(unit): ApiPath<String>) -> ApiResult<Json<ReceptionCalendarView>> {
    let unit = unit_by_code(&state, &unit)?;
    Ok(Json(calendar_of(&state, &unit).await?))
}

/// The earliest start and latest end of a reception slot.
const OFFICE_OPENS: NaiveTime = NaiveTime::from_hms_opt(7, 0, 0).expect("07:00");
const OFFICE_CLOSES: NaiveTime = NaiveTime::from_hms_opt(21, 0, 0).expect("21:00");

#[utoipa::path(put, path = "/api/v1/appointments/calendar/{unit}", tag = "appointments", security(("bearer" = [])),
    description = "Set a unit's reception slots (the same on every working day). The unit's clerk or unit head.",
    params(("unit" = String, Path, description = "unit code")), request_body = ReceptionCalendarInput,
    responses((status = 200, body = ReceptionCalendarView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_calendar(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(unit): ApiPath<String>,
    ApiJson(input): ApiJson<ReceptionCalendarInput>,
) -> ApiResult<Json<ReceptionCalendarView>> {
    staff.require_role(RECEPTION)?;
    let unit = unit_by_code(&state, &unit)?;
    if unit.id != staff.unit.id {
        return Err(ApiError::forbidden("只能设置本单位的接访时段"));
    }
    if input.slots.len() > MAX_SLOTS {
        return Err(invalid("too_many_slots", format!("每天最多设置{MAX_SLOTS}个接访时段"), "slots"));
    }
    let mut slots: Vec<(NaiveTime, NaiveTime, SlotRow)> = Vec::with_capacity(input.slots.len());
    for s in &input.slots {
        let (Some(a), Some(b)) = (hhmm(s.starts.trim()), hhmm(s.ends.trim())) else {
            return Err(invalid("invalid_time", "时段的开始和结束时间格式应为 时:分，如 09:00", "slots"));
        };
        if a >= b {
            return Err(invalid("invalid_time", format!("时段 {}–{} 的结束时间应晚于开始时间", s.starts, s.ends), "slots"));
        }
        // Office hours, generously: a hall receives by day (early and late
        // sittings included), and a 02:00 slot offered to the public every
        // working day is a typing slip.
        if a < OFFICE_OPENS || b > OFFICE_CLOSES {
            return Err(invalid(
                "outside_office_hours",
                format!("接访时段应在{}至{}之间", OFFICE_OPENS.format("%H:%M"), OFFICE_CLOSES.format("%H:%M")),
                "slots",
            ));
        }
        if !(1..=MAX_CAPACITY).contains(&s.capacity) {
            return Err(invalid("invalid_capacity", format!("每个时段可预约人数应为1至{MAX_CAPACITY}"), "slots"));
        }
        slots.push((a, b, SlotRow { starts: a.format("%H:%M").to_string(), ends: b.format("%H:%M").to_string(), capacity: s.capacity }));
    }
    slots.sort_by_key(|s| s.0);
    if slots.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(invalid("overlapping_slots", "接访时段不能重叠", "slots"));
    }
    state.store.set_reception_slots(unit.id, &slots.into_iter().map(|s| s.2).collect::<Vec<_>>()).await?;
    Ok(Json(calendar_of(&state, &unit).await?))
}

// ----- Booking ----------------------------------------------------------------

#[derive(Deserialize, ToSchema, Clone, Debug, Default)]
pub struct BookingInput {
    /// The receiving unit's code.
    pub unit: String,
    /// `YYYY-MM-DD`, a working day open for booking.
    pub day: String,
    /// The slot's start, `HH:MM`.
    pub starts: String,
    pub name: String,
    /// Citizen identity number (GB 11643).
    pub id_number: String,
    pub phone: String,
    /// Topic code (内容分类), optional.
    #[serde(default)]
    pub topic: Option<String>,
    /// What the visit is about (≤ 500 characters).
    pub summary: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Booked {
    pub booking_number: String,
    /// Secret code for check-in and cancellation; shown only here.
    pub booking_code: String,
    pub unit: String,
    pub unit_name: String,
    pub day: String,
    pub starts: String,
    pub ends: String,
    /// Set when the same person seems to have raised the same matter before
    /// (no other petition is named).
    pub warning: Option<String>,
    /// Whether an SMS reminder goes out the day before (only where an SMS
    /// gateway is configured and the visit is not today).
    pub reminder: bool,
}

/// The warning given with a booking that looks like a repeat petition.
pub const REPEAT_WARNING: &str = "系统发现您此前可能已就同一事项提出过信访。接访时请携带此前的信访件编号和查询码；同一事项正在办理或已经复核终结的，将依法告知处理情况。";

fn booking_code_hash(state: &AppState, code: &str) -> String {
    state.keyring.keyed_hash("booking_code", &code.trim().to_ascii_uppercase())
}

/// Validate a booking's person and matter: the fields, then the same
/// identity checks as online submission (`web::intake`): the Art. 19
/// para 3 / Art. 36 refusal on the person's earlier matter (409), and
/// whether it is a possible repeat (warned, not refused).
async fn check_person(
    state: &AppState,
    receiving: &Unit,
    name: &str,
    id_number: &str,
    phone: &str,
    topic: Option<&str>,
    summary: &str,
) -> ApiResult<(Petitioner, bool)> {
    let n = name.chars().count();
    if n == 0 || n > 50 {
        return Err(invalid("invalid_name", "请填写姓名（不超过50字）", "name"));
    }
    if !valid_id_number(id_number) {
        return Err(invalid("invalid_id_number", "公民身份号码不正确，请核对（18位，最后一位可能是X）", "id_number"));
    }
    if !valid_phone(phone) {
        return Err(invalid("invalid_phone", "联系电话格式不正确", "phone"));
    }
    if let Some(t) = topic
        && state.store.topic(t).await?.is_none()
    {
        return Err(invalid("unknown_topic", format!("内容分类“{t}”不存在"), "topic"));
    }
    let s = summary.chars().count();
    if !(5..=MAX_SUMMARY_CHARS).contains(&s) {
        return Err(invalid("invalid_summary", format!("请简要说明反映的问题（5至{MAX_SUMMARY_CHARS}字）"), "summary"));
    }
    let person = Petitioner {
        kind: PetitionerKind::Person,
        name: name.to_string(),
        id_number: Some(id_number.to_ascii_uppercase()),
        phone: Some(phone.to_string()),
        address: None,
        representative: false,
    };
    let tree = state.tree();
    let today = local_date(Utc::now());
    let text = matter_text(summary, "");
    let same = state.store.same_petitioner(&proof_keys(&state.keyring, std::slice::from_ref(&person))).await?;
    let matches: Vec<_> = same.iter().filter(|e| same_matter(&text, &matter_text(&e.request, &e.facts_and_reasons))).collect();
    for m in &matches {
        if let Some((_, err)) = intake_conflict(&m.case, &m.number, receiving.id, &tree, today, false, m.next_due_on) {
            let mut e = ApiError::from(err);
            e.status = StatusCode::CONFLICT;
            return Err(e);
        }
    }
    Ok((person, !matches.is_empty()))
}

/// The reminder SMS of a booking, the day before at 09:00 (at once when
/// that has passed); only when an SMS gateway is configured.
async fn reminder(
    state: &AppState,
    unit: &Unit,
    day: NaiveDate,
    starts: &str,
    phone_cipher: &str,
    phone: &str,
) -> ApiResult<Option<NewJob>> {
    // Booked for today: nothing to remind of.
    if state.services.sms.is_none() || day <= local_date(Utc::now()) {
        return Ok(None);
    }
    let spec = xinfang_domain::messages::template("appointment_reminder").ok_or_else(ApiError::internal)?;
    let (_, body) = crate::notices::template_text(&state.store, spec).await?;
    let body = xinfang_domain::messages::render(
        &body,
        &[("unit", unit.name.clone()), ("date", xinfang_domain::letters::cn_date(day)), ("time", starts.to_string())],
    );
    // 09:00 Beijing is 01:00 UTC.
    let at = (day - Duration::days(1)).and_hms_opt(1, 0, 0).map(|t| Utc.from_utc_datetime(&t)).unwrap_or_else(Utc::now);
    let mut job = NewJob::now(
        crate::notices::SMS,
        String::new(),
        json!({"to": phone_cipher, "to_masked": xinfang_crypto::mask::phone(phone), "body": body, "recipient": "appointment"}),
    );
    job.run_at = at.max(Utc::now());
    Ok(Some(job))
}

#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments",
    description = "Book a visit (public, rate-limited like online submission). The same identity checks as online submission: a matter in process below this unit or closed after 复核 is refused (409, Art. 19 para 3 / Art. 36); a possible repeat is warned. A full slot is 409 `slot_full`. Answers the booking number and the secret booking code (shown once); an SMS reminder is queued for the day before.",
    request_body = BookingInput,
    responses((status = 201, body = Booked), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn book(State(state): State<AppState>, ApiJson(input): ApiJson<BookingInput>) -> ApiResult<(StatusCode, Json<Booked>)> {
    Ok((StatusCode::CREATED, Json(book_visit(&state, input).await?)))
}

pub async fn book_visit(state: &AppState, input: BookingInput) -> ApiResult<Booked> {
    let unit = state.tree().by_code(input.unit.trim()).cloned().ok_or_else(|| invalid("unknown_unit", "请选择接访单位", "unit"))?;
    let slots = state.store.reception_slots(unit.id).await?;
    if slots.is_empty() {
        return Err(invalid("no_reception", format!("{}未开通网上预约接访", unit.name), "unit"));
    }
    if input.day.trim().is_empty() || input.starts.trim().is_empty() {
        return Err(invalid("field_required", "请选择接访日期和时段", "day"));
    }
    let today = local_date(Utc::now());
    let day = xinfang_domain::plain_date(&input.day)
        .filter(|d| booking_days(state, today).contains(d))
        .ok_or_else(|| invalid("invalid_day", format!("请选择今天起{BOOKING_HORIZON_DAYS}天内的工作日（节假日不接访）"), "day"))?;
    let slot = slots.iter().find(|s| s.starts == input.starts.trim()).ok_or_else(|| invalid("invalid_slot", "请选择接访时段", "starts"))?;
    if !slot_open(day, &slot.ends) {
        return Err(invalid("slot_over", "该时段已经结束，请选择其他时段", "starts"));
    }
    let name = input.name.trim();
    let id_number = input.id_number.trim().to_ascii_uppercase();
    let phone = input.phone.trim();
    let topic = input.topic.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let summary = input.summary.trim();
    let (person, possible_repeat) = check_person(state, &unit, name, &id_number, phone, topic, summary).await?;
    let sealed = seal_petitioner(&state.keyring, &person);
    let (Some(id_cipher), Some(phone_cipher), Some(id_hash), Some(phone_hash)) =
        (sealed.id_number, sealed.phone, sealed.id_hash, sealed.phone_hash)
    else {
        return Err(ApiError::internal());
    };
    let mut random = [0u8; QUERY_CODE_LEN];
    rand::rng().fill_bytes(&mut random);
    let code = query_code_from(&random);
    let reminder = reminder(state, &unit, day, &slot.starts, &phone_cipher, phone).await?;
    let new = NewAppointment {
        unit_id: unit.id,
        day: day.to_string(),
        starts: slot.starts.clone(),
        ends: slot.ends.clone(),
        capacity: slot.capacity,
        topic: topic.map(String::from),
        summary: summary.to_string(),
        name: name.to_string(),
        id_number: id_cipher,
        phone: phone_cipher,
        id_hash,
        phone_hash,
        code_hash: booking_code_hash(state, &code),
        possible_repeat,
        number_prefix: format!("YY{}{}", unit.jurisdiction, day.format("%Y%m%d")),
        reminder,
    };
    let reminded = new.reminder.is_some();
    let number = match state.store.book_appointment(&new, &today.to_string()).await? {
        xinfang_store::Booking::Booked(_, number) => number,
        xinfang_store::Booking::Full => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "slot_full",
                format!("{} {}–{} 的接访名额已约满，请选择其他时段或日期", day, slot.starts, slot.ends),
            )
            .at("starts"));
        }
        // The day is not told: whoever asks may not be the person.
        xinfang_store::Booking::AlreadyBooked(_) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_booked",
                format!("该身份证号码已有一个未到期的{}接访预约。如需改约，请先凭预约码取消原预约", unit.name),
            )
            .at("day"));
        }
    };
    Ok(Booked {
        booking_number: number,
        booking_code: code,
        unit: unit.code.clone(),
        unit_name: unit.name.clone(),
        day: day.to_string(),
        starts: slot.starts.clone(),
        ends: slot.ends.clone(),
        warning: possible_repeat.then(|| REPEAT_WARNING.to_string()),
        reminder: reminded,
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingCodeQuery {
    /// The booking code.
    pub code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CancelInput {
    pub code: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct BookingView {
    pub booking_number: String,
    pub unit: String,
    pub unit_name: String,
    pub day: String,
    pub starts: String,
    pub ends: String,
    /// `booked`, `cancelled` or `checked_in`.
    pub status: String,
    pub status_label: String,
    /// Masked.
    pub name: String,
    /// Masked.
    pub phone: String,
    pub topic: Option<String>,
    pub summary: String,
    pub possible_repeat: bool,
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "booked" => "已预约",
        "cancelled" => "已取消",
        "checked_in" => "已签到",
        "waiting" => "等候中",
        "called" => "已叫号",
        "registered" => "已登记",
        _ => "—",
    }
}

fn booking_view(state: &AppState, a: &AppointmentRow) -> BookingView {
    let tree = state.tree();
    let unit = tree.get(a.unit_id);
    BookingView {
        booking_number: a.booking_number.clone(),
        unit: unit.map(|u| u.code.clone()).unwrap_or_default(),
        unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
        day: a.day.clone(),
        starts: a.starts.clone(),
        ends: a.ends.clone(),
        status: a.status.clone(),
        status_label: status_label(&a.status).into(),
        name: xinfang_crypto::mask::name(&a.name),
        phone: state.keyring.decrypt(&a.phone).map(|p| xinfang_crypto::mask::phone(&p)).unwrap_or_default(),
        topic: a.topic.clone(),
        summary: a.summary.clone(),
        possible_repeat: a.possible_repeat,
    }
}

/// The booking with this number and code; any mismatch is the same 404.
async fn load_booking(state: &AppState, number: &str, code: Option<&str>) -> ApiResult<AppointmentRow> {
    // One answer for every mismatch, worded for a citizen who mistyped.
    let nf = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "预约号或预约码不正确");
    let code = code.map(str::trim).filter(|c| looks_like_query_code(c)).ok_or_else(nf)?;
    let number = number.trim();
    if number.len() > 40 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(nf());
    }
    let a = state.store.appointment_by_number(number).await?.ok_or_else(nf)?;
    let stored = state.store.appointment_code_hash(a.id).await?.ok_or_else(nf)?;
    if stored != booking_code_hash(state, code) {
        return Err(nf());
    }
    Ok(a)
}

#[utoipa::path(get, path = "/api/v1/appointments/{number}", tag = "appointments",
    description = "A booking, by its number and code (public; personal data masked).",
    params(("number" = String, Path), BookingCodeQuery),
    responses((status = 200, body = BookingView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<BookingCodeQuery>,
) -> ApiResult<Json<BookingView>> {
    let a = load_booking(&state, &number, q.code.as_deref()).await?;
    Ok(Json(booking_view(&state, &a)))
}

#[utoipa::path(post, path = "/api/v1/appointments/{number}/cancel", tag = "appointments",
    description = "Cancel a booking by its number and code (public): the place is freed and the reminder withdrawn. 409 once checked in or cancelled.",
    params(("number" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = BookingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<BookingView>> {
    Ok(Json(cancel_booking(&state, &number, &input.code).await?))
}

pub async fn cancel_booking(state: &AppState, number: &str, code: &str) -> ApiResult<BookingView> {
    let a = load_booking(state, number, Some(code)).await?;
    if !state.store.cancel_appointment(a.id).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_cancellable", "该预约已签到或已取消，不能再取消"));
    }
    let a = state.store.appointment_by_number(&a.booking_number).await?.ok_or_else(ApiError::internal)?;
    Ok(booking_view(state, &a))
}

pub async fn lookup_booking(state: &AppState, number: &str, code: &str) -> ApiResult<BookingView> {
    Ok(booking_view(state, &load_booking(state, number, Some(code)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// `YYYY-MM-DD`; today when absent.
    pub day: Option<String>,
}

fn parse_day(day: Option<&str>) -> ApiResult<NaiveDate> {
    match day.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(local_date(Utc::now())),
        Some(d) => xinfang_domain::plain_date(d).ok_or_else(|| invalid("invalid_day", "日期格式应为YYYY-MM-DD（2000至2100年）", "day")),
    }
}

#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments", security(("bearer" = [])),
    description = "The caller's unit's bookings of a day (cancelled ones left out), personal data masked.",
    params(DayQuery),
    responses((status = 200, body = [BookingView]), (status = 422, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<DayQuery>) -> ApiResult<Json<Vec<BookingView>>> {
    // Administrators run the system and grid reporters the villages'
    // ledger: neither reads who booked a visit.
    if matches!(staff.user.role, xinfang_domain::role::Role::Admin | xinfang_domain::role::Role::GridReporter) {
        return Err(ApiError::forbidden("预约接访名单由接访单位的工作人员查看"));
    }
    let day = parse_day(q.day.as_deref())?;
    Ok(Json(bookings_of(&state, staff.unit.id, day).await?))
}

pub async fn bookings_of(state: &AppState, unit: xinfang_domain::unit::UnitId, day: NaiveDate) -> ApiResult<Vec<BookingView>> {
    let rows = state.store.appointments_on(unit, &day.to_string(), false).await?;
    Ok(rows.iter().map(|a| booking_view(state, a)).collect())
}

// ----- The hall -----------------------------------------------------------------

#[derive(Deserialize, ToSchema, Clone, Debug, Default)]
pub struct WalkInInput {
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    pub summary: String,
}

#[derive(Deserialize, ToSchema, Clone, Debug, Default)]
pub struct CheckInInput {
    /// The booking code of an appointment for today at the caller's unit…
    #[serde(default)]
    pub booking_code: Option<String>,
    /// …or a walk-in.
    #[serde(default)]
    pub walk_in: Option<WalkInInput>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct TicketView {
    pub id: i64,
    pub day: String,
    pub queue_number: i64,
    /// `A007`-style number printed on the ticket and shown on the screen.
    pub queue_label: String,
    pub booking_number: Option<String>,
    /// Masked.
    pub name: String,
    pub topic: Option<String>,
    /// `waiting`, `called` or `registered`.
    pub status: String,
    pub status_label: String,
    pub checked_in_at: String,
    pub called_at: Option<String>,
    /// Minutes from check-in to call; null while waiting.
    pub waited_minutes: Option<i64>,
    /// The visit registration it became.
    pub petition_number: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct HallView {
    pub unit: String,
    pub unit_name: String,
    pub day: String,
    pub tickets: Vec<TicketView>,
    pub waiting: i64,
    /// Average minutes from check-in to call of the day's called tickets.
    pub average_wait_minutes: Option<f64>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct TicketDetail {
    pub ticket: TicketView,
    /// In full, for the registration.
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub topic: Option<String>,
    pub summary: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ScreenView {
    pub unit_name: String,
    pub day: String,
    /// Numbers called, latest first.
    pub called: Vec<String>,
    /// Numbers waiting, in order.
    pub waiting: Vec<String>,
    pub average_wait_minutes: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisteredVisit {
    pub number: String,
    pub ticket: i64,
    /// The petitioner's query code (Art. 21): tell it at the counter; with
    /// the number it tracks, evaluates and asks for 复查 on the portal.
    /// Absent only on a resend answered from before it was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_code: Option<String>,
}

pub fn queue_label(n: i64) -> String {
    format!("A{n:03}")
}

fn waited(t: &TicketRow) -> Option<i64> {
    t.called_at.map(|c| (c - t.checked_in_at).num_minutes().max(0))
}

fn average_wait(tickets: &[TicketRow]) -> Option<f64> {
    let w: Vec<f64> =
        tickets.iter().filter_map(|t| t.called_at.map(|c| (c - t.checked_in_at).num_seconds().max(0) as f64 / 60.0)).collect();
    (!w.is_empty()).then(|| (w.iter().sum::<f64>() / w.len() as f64 * 10.0).round() / 10.0)
}

fn ticket_view(t: &TicketRow) -> TicketView {
    TicketView {
        id: t.id,
        day: t.day.clone(),
        queue_number: t.queue_number,
        queue_label: queue_label(t.queue_number),
        booking_number: t.booking_number.clone(),
        name: xinfang_crypto::mask::name(&t.name),
        topic: t.topic.clone(),
        status: t.status.clone(),
        status_label: status_label(&t.status).into(),
        checked_in_at: xinfang_store::fmt_instant(t.checked_in_at),
        called_at: t.called_at.map(xinfang_store::fmt_instant),
        waited_minutes: waited(t),
        petition_number: t.petition_number.clone(),
    }
}

pub async fn hall_of(state: &AppState, staff: &Staff, day: NaiveDate) -> ApiResult<HallView> {
    staff.require_role(RECEPTION)?;
    let tickets = state.store.hall_tickets(staff.unit.id, &day.to_string()).await?;
    Ok(HallView {
        unit: staff.unit.code.clone(),
        unit_name: staff.unit.name.clone(),
        day: day.to_string(),
        waiting: tickets.iter().filter(|t| t.status == "waiting").count() as i64,
        average_wait_minutes: average_wait(&tickets),
        tickets: tickets.iter().map(ticket_view).collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/appointments/hall", tag = "appointments", security(("bearer" = [])),
    description = "The caller's unit's reception hall of a day: check-ins in queue order (personal data masked), how many wait, and the average waiting time (check-in to call).",
    params(DayQuery),
    responses((status = 200, body = HallView), (status = 403, body = ErrorBody)))]
pub async fn hall(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<DayQuery>) -> ApiResult<Json<HallView>> {
    let day = parse_day(q.day.as_deref())?;
    Ok(Json(hall_of(&state, &staff, day).await?))
}

#[utoipa::path(post, path = "/api/v1/appointments/hall/check-in", tag = "appointments", security(("bearer" = [])),
    description = "Check someone in at the caller's unit today: by the booking code of today's appointment, or as a walk-in (name, summary; ID number and phone optional, checked when given). Answers the ticket with the day's next queue number (unique per unit and day across nodes).",
    request_body = CheckInInput,
    responses((status = 201, body = TicketView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<CheckInInput>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    Ok((StatusCode::CREATED, Json(check_in_visitor(&state, &staff, input).await?)))
}

pub async fn check_in_visitor(state: &AppState, staff: &Staff, input: CheckInInput) -> ApiResult<TicketView> {
    staff.require_role(RECEPTION)?;
    let today = local_date(Utc::now());
    let ticket = match (input.booking_code.as_deref().map(str::trim).filter(|c| !c.is_empty()), input.walk_in) {
        (Some(code), None) => {
            let nf = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "预约码不正确，或不是本单位今天的预约").at("booking_code");
            if !looks_like_query_code(code) {
                return Err(nf());
            }
            let a = state
                .store
                .appointment_by_code(staff.unit.id, &today.to_string(), &booking_code_hash(state, code))
                .await?
                .ok_or_else(nf)?;
            if a.status != "booked" {
                return Err(ApiError::new(StatusCode::CONFLICT, "not_booked", format!("该预约{}，不能签到", status_label(&a.status))));
            }
            NewTicket {
                unit_id: staff.unit.id,
                day: today.to_string(),
                appointment_id: Some(a.id),
                name: a.name,
                id_number: Some(a.id_number),
                phone: Some(a.phone),
                topic: a.topic,
                summary: a.summary,
                by: staff.user.id,
            }
        }
        (None, Some(w)) => {
            let name = w.name.trim();
            let n = name.chars().count();
            if n == 0 || n > 50 {
                return Err(invalid("invalid_name", "请填写来访人姓名（不超过50字）", "walk_in.name"));
            }
            let opt = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
            let id_number = opt(&w.id_number).map(|s| s.to_ascii_uppercase());
            if id_number.as_deref().is_some_and(|i| !valid_id_number(i)) {
                return Err(invalid("invalid_id_number", "公民身份号码不正确，请核对", "walk_in.id_number"));
            }
            let phone = opt(&w.phone);
            if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
                return Err(invalid("invalid_phone", "联系电话格式不正确", "walk_in.phone"));
            }
            let topic = opt(&w.topic);
            if let Some(t) = &topic
                && state.store.topic(t).await?.is_none()
            {
                return Err(invalid("unknown_topic", format!("内容分类“{t}”不存在"), "walk_in.topic"));
            }
            let summary = w.summary.trim();
            if summary.is_empty() || summary.chars().count() > MAX_SUMMARY_CHARS {
                return Err(invalid("invalid_summary", format!("请简要记录来访事由（不超过{MAX_SUMMARY_CHARS}字）"), "walk_in.summary"));
            }
            NewTicket {
                unit_id: staff.unit.id,
                day: today.to_string(),
                appointment_id: None,
                name: name.to_string(),
                id_number: id_number.map(|i| state.keyring.encrypt(&i)),
                phone: phone.map(|p| state.keyring.encrypt(&p)),
                topic,
                summary: summary.to_string(),
                by: staff.user.id,
            }
        }
        _ => return Err(invalid("booking_code_or_walk_in", "请填写预约码，或登记现场来访人（二者选一）", "booking_code")),
    };
    let (id, _) = state
        .store
        .check_in(&ticket)
        .await?
        .map_err(|_| ApiError::new(StatusCode::CONFLICT, "not_booked", "该预约已签到或已取消，不能签到"))?;
    let t = state.store.hall_ticket(id).await?.ok_or_else(ApiError::internal)?;
    Ok(ticket_view(&t))
}

/// A ticket of the caller's unit (404 for any other unit's).
pub async fn own_ticket(state: &AppState, staff: &Staff, id: i64) -> ApiResult<TicketRow> {
    staff.require_role(RECEPTION)?;
    state.store.hall_ticket(id).await?.filter(|t| t.unit_id == staff.unit.id).ok_or_else(|| ApiError::not_found("签到记录"))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CallInput {
    /// A particular waiting ticket; the lowest waiting number when absent.
    #[serde(default)]
    pub ticket: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/appointments/hall/call", tag = "appointments", security(("bearer" = [])),
    description = "Call the next waiting number of the caller's unit today (or a given ticket): the waiting time ends now.",
    request_body = CallInput,
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn call(State(state): State<AppState>, staff: Staff, ApiJson(input): ApiJson<CallInput>) -> ApiResult<Json<TicketView>> {
    Ok(Json(call_next(&state, &staff, input.ticket).await?))
}

pub async fn call_next(state: &AppState, staff: &Staff, ticket: Option<i64>) -> ApiResult<TicketView> {
    staff.require_role(RECEPTION)?;
    if let Some(id) = ticket {
        own_ticket(state, staff, id).await?;
    }
    let today = local_date(Utc::now()).to_string();
    let id = match state.store.call_ticket(staff.unit.id, &today, ticket, staff.user.id).await? {
        Some(id) => id,
        // The ticket is the caller's own (checked above): it was called
        // already, or has become a registration — a state, not a miss.
        None if ticket.is_some() => {
            return Err(ApiError::new(StatusCode::CONFLICT, "ticket_not_waiting", "该号码已经叫过或已登记，不在等候中"));
        }
        None => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "目前没有等候中的号码")),
    };
    let t = state.store.hall_ticket(id).await?.ok_or_else(ApiError::internal)?;
    Ok(ticket_view(&t))
}

pub fn ticket_detail(state: &AppState, t: &TicketRow) -> TicketDetail {
    let open = |v: &Option<String>| v.as_deref().and_then(|c| state.keyring.decrypt(c).ok());
    TicketDetail {
        ticket: ticket_view(t),
        name: t.name.clone(),
        id_number: open(&t.id_number),
        phone: open(&t.phone),
        topic: t.topic.clone(),
        summary: t.summary.clone(),
    }
}

#[utoipa::path(get, path = "/api/v1/appointments/hall/tickets/{id}", tag = "appointments", security(("bearer" = [])),
    description = "One check-in of the caller's unit with the visitor's details in full, for the visit registration.",
    params(("id" = i64, Path)),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn ticket(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<TicketDetail>> {
    let t = own_ticket(&state, &staff, id).await?;
    Ok(Json(ticket_detail(&state, &t)))
}

/// A ticket of the caller's unit that may still become a visit
/// registration (409 once it has).
pub async fn registrable_ticket(state: &AppState, staff: &Staff, id: i64) -> ApiResult<TicketRow> {
    let t = own_ticket(state, staff, id).await?;
    if t.petition_number.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_registered", "该签到记录已转为来访登记"));
    }
    Ok(t)
}

/// After a visit registration from a ticket: link them (once).
pub async fn link_visit(state: &AppState, staff: &Staff, ticket: i64, number: &str) -> ApiResult<()> {
    own_ticket(state, staff, ticket).await?;
    let rec = state.store.petition_by_number(number).await?.ok_or_else(ApiError::internal)?;
    state.store.link_ticket(ticket, rec.id).await?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/appointments/hall/tickets/{id}/register", tag = "appointments", security(("bearer" = [])),
    description = "Turn a check-in into a visit registration (channel `visit`, through the same intake as every registration) and link them. 409 if the check-in was registered already.",
    params(("id" = i64, Path)), request_body = PetitionInput,
    responses((status = 201, body = RegisteredVisit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(mut input): ApiJson<PetitionInput>,
) -> ApiResult<(StatusCode, Json<RegisteredVisit>)> {
    registrable_ticket(&state, &staff, id).await?;
    if input.channel.as_deref().is_some_and(|c| c != "visit") {
        return Err(invalid("channel_not_allowed", "大厅签到转登记的渠道为来访（visit）", "channel"));
    }
    input.channel = Some("visit".into());
    // One petition per ticket, however many requests race for it: the
    // ticket is the idempotency key (a second request waits for, and gets,
    // the first one's petition).
    let fingerprint = crate::once::fingerprint(&state, &serde_json::json!({"ticket": id}));
    let (st, s2) = (state.clone(), staff.clone());
    let answer =
        crate::once::once(&state, &format!("hall-ticket:{id}"), &format!("hall-ticket-to-visit-{id:016}"), &fingerprint, || async move {
            let out = intake(&st, Submitter::Staff(Box::new(s2)), input).await?;
            Ok((StatusCode::CREATED, serde_json::json!({"number": out.number, "query_code": out.query_code})))
        })
        .await?;
    let number = answer.body["number"].as_str().ok_or_else(ApiError::internal)?.to_string();
    let query_code = answer.body["query_code"].as_str().map(String::from);
    if !answer.replayed {
        link_visit(&state, &staff, id, &number).await?;
    }
    Ok((StatusCode::CREATED, Json(RegisteredVisit { number, ticket: id, query_code })))
}

#[utoipa::path(get, path = "/api/v1/appointments/hall/screen/{unit}", tag = "appointments",
    description = "The waiting screen of a unit's hall today (public): queue numbers called and waiting, and the average waiting time. No personal data.",
    params(("unit" = String, Path, description = "unit code")),
    responses((status = 200, body = ScreenView), (status = 404, body = ErrorBody)))]
pub async fn screen(State(state): State<AppState>, ApiPath(unit): ApiPath<String>) -> ApiResult<Json<ScreenView>> {
    let unit = unit_by_code(&state, &unit)?;
    Ok(Json(screen_of(&state, &unit).await?))
}

pub async fn screen_of(state: &AppState, unit: &Unit) -> ApiResult<ScreenView> {
    let day = local_date(Utc::now());
    let tickets = state.store.hall_tickets(unit.id, &day.to_string()).await?;
    let mut called: Vec<&TicketRow> = tickets.iter().filter(|t| t.called_at.is_some()).collect();
    called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
    Ok(ScreenView {
        unit_name: unit.name.clone(),
        day: day.to_string(),
        called: called.iter().take(10).map(|t| queue_label(t.queue_number)).collect(),
        waiting: tickets.iter().filter(|t| t.status == "waiting").map(|t| queue_label(t.queue_number)).collect(),
        average_wait_minutes: average_wait(&tickets),
    })
}
