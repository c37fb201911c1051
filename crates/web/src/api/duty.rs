//! Leaders and lawyers on duty (issue 14, item 4): a unit's duty roster —
//! the leader receiving visitors on a day (值班接访, a leader or unit head
//! of the unit or of a superior unit), the lawyer on duty (律师参与接访,
//! from the unit's lawyer roster), 下访 trips with their place and result —
//! a leader's reception day with its booked visits, the lawyer recorded
//! on the visits registered while on duty (an event on the petition, with
//! the legal advice given), and the spot check (抽查) of whether a duty
//! day was held, the missed ones listed for supervision.

use crate::api::petitions::load_visible;
use crate::api::spotcheck::checked_units;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::WITHHELD;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{View, view};
use xinfang_domain::leadership::MANAGERS;
use xinfang_domain::local_date;
use xinfang_domain::petition::Channel;
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Unit, UnitId, UnitTree};
use xinfang_store::{DutyRow, LawyerRow, LawyerVisitRow};

/// Who keeps a unit's roster.
pub const ROSTER_KEEPERS: &[Role] = &[Role::Clerk, Role::UnitHead, Role::Leader];

/// How far ahead a duty day may be put on the roster.
pub const ROSTER_HORIZON_DAYS: i64 = 365;

fn invalid(code: &str, msg: impl Into<String>, field: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg).at(field)
}

fn text(v: &str, field: &str, label: &str, max: usize, required: bool) -> ApiResult<String> {
    let v = v.trim();
    let n = v.chars().count();
    if (required && n == 0) || n > max {
        return Err(invalid("invalid_field", format!("请填写{label}（不超过{max}字）"), field));
    }
    Ok(v.to_string())
}

fn day(v: &str, field: &str) -> ApiResult<NaiveDate> {
    xinfang_domain::plain_date(v).ok_or_else(|| invalid("invalid_day", "日期格式应为YYYY-MM-DD（2000至2100年）", field))
}

fn keeper(staff: &Staff) -> ApiResult<()> {
    staff.require_role(ROSTER_KEEPERS)
}

// ----- Views -------------------------------------------------------------------

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct SpotCheckOfDuty {
    pub held: bool,
    pub note: String,
    pub checked_by: String,
    pub checked_at: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DutyView {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    pub day: String,
    /// `leader` (值班接访) or `lawyer` (律师参与接访).
    pub kind: String,
    pub person_id: i64,
    pub name: String,
    /// The lawyer's firm.
    pub firm: String,
    pub note: String,
    /// The spot check, once made.
    pub check: Option<SpotCheckOfDuty>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct LawyerView {
    pub id: i64,
    pub unit: String,
    pub name: String,
    pub firm: String,
    pub licence_number: String,
    /// Masked.
    pub phone: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct LawyerVisitView {
    pub number: String,
    pub title: String,
    pub day: String,
    pub advice: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct LawyerDetail {
    pub lawyer: LawyerView,
    pub visits: Vec<LawyerVisitView>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OutreachView {
    pub id: i64,
    pub leader: String,
    pub day: String,
    pub place: String,
    pub purpose: String,
    pub result: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RosterView {
    pub unit: String,
    pub unit_name: String,
    pub from: String,
    pub to: String,
    pub duties: Vec<DutyView>,
    /// The caller's own reception days in the range (at any unit).
    pub my_duties: Vec<DutyView>,
    pub outreach: Vec<OutreachView>,
    pub lawyers: Vec<LawyerView>,
    /// Duty days of the range taken off the roster, newest removal first.
    pub removed: Vec<RemovedDutyView>,
}

/// A duty day taken off the roster before it came: what was planned and
/// who took it off when.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RemovedDutyView {
    pub day: String,
    /// `leader` or `lawyer`.
    pub kind: String,
    pub name: String,
    pub note: String,
    pub removed_by: String,
    /// RFC 3339, UTC.
    pub removed_at: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReceptionDayView {
    pub unit: String,
    pub unit_name: String,
    pub day: String,
    pub duties: Vec<DutyView>,
    /// The visits booked for the day (personal data masked).
    pub bookings: Vec<crate::api::appointments::BookingView>,
}

fn duty_view(state: &AppState, d: &DutyRow) -> DutyView {
    let tree = state.tree();
    let unit = tree.get(d.unit_id);
    DutyView {
        id: d.id,
        unit: unit.map(|u| u.code.clone()).unwrap_or_default(),
        unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
        day: d.day.clone(),
        kind: d.kind.clone(),
        person_id: d.person_id,
        name: d.person_name.clone(),
        firm: d.firm.clone(),
        note: d.note.clone(),
        check: d.check.as_ref().map(|(held, note, by, at)| SpotCheckOfDuty {
            held: *held,
            note: note.clone(),
            checked_by: by.clone(),
            checked_at: at.clone(),
        }),
    }
}

fn lawyer_view(state: &AppState, l: &LawyerRow) -> LawyerView {
    LawyerView {
        id: l.id,
        unit: state.tree().get(l.unit_id).map(|u| u.code.clone()).unwrap_or_default(),
        name: l.name.clone(),
        firm: l.firm.clone(),
        licence_number: l.licence_number.clone(),
        phone: state.keyring.decrypt(&l.phone).map(|p| xinfang_crypto::mask::phone(&p)).unwrap_or_else(|_| "[无法解密]".into()),
    }
}

// ----- The roster --------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (default: today).
    pub from: Option<String>,
    /// Last day (default: 30 days after `from`; at most 366 days).
    pub to: Option<String>,
}

fn range(q: &RangeQuery) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day(s, "from")?,
        None => local_date(Utc::now()),
    };
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day(s, "to")?,
        None => from + Duration::days(30),
    };
    if to < from || (to - from).num_days() > 366 {
        return Err(invalid("invalid_range", "日期范围不正确（最多一年）", "to"));
    }
    Ok((from, to))
}

#[utoipa::path(get, path = "/api/v1/duty-roster", tag = "duty", security(("bearer" = [])),
    description = "The caller's unit's duty roster over a range of days: leaders and lawyers on duty with their spot checks, 下访 trips, the lawyer roster.",
    params(RangeQuery),
    responses((status = 200, body = RosterView), (status = 422, body = ErrorBody)))]
pub async fn roster(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<RangeQuery>) -> ApiResult<Json<RosterView>> {
    Ok(Json(roster_of(&state, &staff, &q).await?))
}

pub async fn roster_of(state: &AppState, staff: &Staff, q: &RangeQuery) -> ApiResult<RosterView> {
    let (from, to) = range(q)?;
    let unit = &staff.unit;
    let duties = state.store.duty_days(&[unit.id], &from.to_string(), &to.to_string()).await?;
    let outreach = state.store.outreach_of(unit.id, &from.to_string(), &to.to_string()).await?;
    let lawyers = state.store.lawyers_of(unit.id).await?;
    let mine = state.store.duties_of_leader(staff.user.id, &from.to_string(), &to.to_string()).await?;
    let removed = state.store.duty_removals(unit.id, &from.to_string(), &to.to_string()).await?;
    Ok(RosterView {
        my_duties: mine.iter().map(|d| duty_view(state, d)).collect(),
        unit: unit.code.clone(),
        unit_name: unit.name.clone(),
        from: from.to_string(),
        to: to.to_string(),
        duties: duties.iter().map(|d| duty_view(state, d)).collect(),
        outreach: outreach
            .iter()
            .map(|o| OutreachView {
                id: o.id,
                leader: o.leader_name.clone(),
                day: o.day.clone(),
                place: o.place.clone(),
                purpose: o.purpose.clone(),
                result: o.result.clone(),
            })
            .collect(),
        lawyers: lawyers.iter().map(|l| lawyer_view(state, l)).collect(),
        removed: removed
            .into_iter()
            .map(|r| RemovedDutyView {
                day: r.day,
                kind: r.kind,
                name: r.person_name,
                note: r.note,
                removed_by: r.removed_by,
                removed_at: r.removed_at,
            })
            .collect(),
    })
}

#[derive(Deserialize, ToSchema, Default)]
pub struct DutyInput {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// A leader on duty (值班接访): username of a leader or unit head of this unit or a superior unit…
    #[serde(default)]
    pub leader: Option<String>,
    /// …or a lawyer of this unit's roster (律师参与接访).
    #[serde(default)]
    pub lawyer: Option<i64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct DutyCreated {
    pub id: i64,
}

/// The roles that receive visitors on duty and go down on 下访.
const DUTY_LEADER_ROLES: [Role; 2] = [Role::Leader, Role::UnitHead];

/// Whether a user of `user_unit` may be on duty at `unit`: of the unit
/// itself or of a unit above it.
fn leads_for(tree: &xinfang_domain::unit::UnitTree, user_unit: i64, unit: &Unit) -> bool {
    user_unit == unit.id || tree.is_above(user_unit, unit.id)
}

/// A leader who may receive visitors at `unit`: a leader or unit head of
/// the unit or of a unit above it.
async fn duty_leader(state: &AppState, unit: &Unit, username: &str) -> ApiResult<xinfang_store::User> {
    let bad = || invalid("not_a_leader", "值班领导应为本单位或上级单位的领导、单位负责人", "leader");
    let user = state.store.user_by_username(username.trim()).await?.filter(|u| u.active).ok_or_else(bad)?;
    let tree = state.tree();
    if !DUTY_LEADER_ROLES.contains(&user.role) || !leads_for(&tree, user.unit_id, unit) {
        return Err(bad());
    }
    Ok(user)
}

/// The leaders who may be put on duty at `unit` (the same rule as
/// `duty_leader`), for the roster's picker: (username, name and unit).
pub async fn duty_leaders(state: &AppState, unit: &Unit) -> ApiResult<Vec<(String, String)>> {
    let (units, names): (Vec<i64>, HashMap<i64, String>) = {
        let tree = state.tree();
        let units: Vec<i64> = tree.all().filter(|u| leads_for(&tree, u.id, unit)).map(|u| u.id).collect();
        let names = units.iter().filter_map(|id| tree.get(*id).map(|u| (*id, u.name.clone()))).collect();
        (units, names)
    };
    let roles: Vec<&str> = DUTY_LEADER_ROLES.iter().map(|r| r.as_str()).collect();
    Ok(state
        .store
        .users_in_units(&units, &roles)
        .await?
        .into_iter()
        .map(|(username, name, unit_id)| {
            let label = match names.get(&unit_id) {
                Some(u) => format!("{name}（{u}）"),
                None => name,
            };
            (username, label)
        })
        .collect())
}

#[utoipa::path(post, path = "/api/v1/duty-roster/days", tag = "duty", security(("bearer" = [])),
    description = "Put a leader (值班接访) or a lawyer of the roster (律师参与接访) on duty at the caller's unit on a day. The unit's clerk, unit head or leader. 409 if already on duty that day.",
    request_body = DutyInput,
    responses((status = 201, body = DutyCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_duty(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<DutyInput>,
) -> ApiResult<(StatusCode, Json<DutyCreated>)> {
    Ok((StatusCode::CREATED, Json(DutyCreated { id: put_on_duty(&state, &staff, input).await? })))
}

pub async fn put_on_duty(state: &AppState, staff: &Staff, input: DutyInput) -> ApiResult<i64> {
    keeper(staff)?;
    let on = day(&input.day, "day")?;
    // A roster plans: not a day gone (a spot check would find it missed
    // the moment it was written), not beyond a year (a typed 2030).
    let today = local_date(Utc::now());
    if on < today || on > today + chrono::Duration::days(ROSTER_HORIZON_DAYS) {
        return Err(invalid("invalid_day", format!("值班日期应为今天起{ROSTER_HORIZON_DAYS}天内"), "day"));
    }
    let note = text(&input.note, "note", "备注", 500, false)?;
    let (kind, person) = match (input.leader.as_deref().map(str::trim).filter(|s| !s.is_empty()), input.lawyer) {
        (Some(u), None) => ("leader", duty_leader(state, &staff.unit, u).await?.id),
        (None, Some(id)) => {
            let l = state.store.lawyer(id).await?.filter(|l| l.unit_id == staff.unit.id && l.active);
            ("lawyer", l.ok_or_else(|| invalid("unknown_lawyer", "该律师不在本单位的接访律师名册中", "lawyer"))?.id)
        }
        _ => return Err(invalid("leader_or_lawyer", "请选择值班领导或值班律师（二者选一）", "leader")),
    };
    state
        .store
        .add_duty(staff.unit.id, &on.to_string(), kind, person, &note, staff.user.id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "already_on_duty", "该人员当天已在值班表中"))
}

#[utoipa::path(delete, path = "/api/v1/duty-roster/days/{id}", tag = "duty", security(("bearer" = [])),
    description = "Take a duty day entered by mistake off the caller's unit's roster: only a day after today, not spot-checked. The unit's clerk, unit head or leader. What was planned is kept with who took it off and when (the roster's `removed`). 409 for a day that has come or was checked.",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_duty(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    take_off_duty(&state, &staff, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn take_off_duty(state: &AppState, staff: &Staff, id: i64) -> ApiResult<()> {
    keeper(staff)?;
    state.store.duty_day(id).await?.filter(|d| d.unit_id == staff.unit.id).ok_or_else(|| ApiError::not_found("值班安排"))?;
    let now = Utc::now();
    if !state.store.remove_duty(id, staff.unit.id, &local_date(now).to_string(), staff.user.id, now).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "duty_not_removable", "只能删除明天及以后、尚未抽查的值班安排"));
    }
    Ok(())
}

#[derive(Deserialize, ToSchema, Default)]
pub struct LawyerInput {
    pub name: String,
    /// 律师事务所.
    pub firm: String,
    /// 执业证号 (17 digits).
    pub licence_number: String,
    pub phone: String,
}

#[utoipa::path(post, path = "/api/v1/duty-roster/lawyers", tag = "duty", security(("bearer" = [])),
    description = "Add a lawyer to the caller's unit's reception roster (律师参与接访); the phone is stored encrypted.",
    request_body = LawyerInput,
    responses((status = 201, body = LawyerView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_lawyer(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<LawyerInput>,
) -> ApiResult<(StatusCode, Json<LawyerView>)> {
    Ok((StatusCode::CREATED, Json(enrol_lawyer(&state, &staff, input).await?)))
}

pub async fn enrol_lawyer(state: &AppState, staff: &Staff, input: LawyerInput) -> ApiResult<LawyerView> {
    keeper(staff)?;
    let name = text(&input.name, "name", "律师姓名", 50, true)?;
    let firm = text(&input.firm, "firm", "律师事务所", 100, true)?;
    let licence = input.licence_number.trim();
    if licence.len() != 17 || !licence.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("invalid_licence", "律师执业证号应为17位数字", "licence_number"));
    }
    let phone = input.phone.trim();
    if !xinfang_domain::petition::valid_phone(phone) {
        return Err(invalid("invalid_phone", "联系电话格式不正确", "phone"));
    }
    let id = state.store.add_lawyer(staff.unit.id, &name, &firm, licence, &state.keyring.encrypt(phone)).await?;
    let l = state.store.lawyer(id).await?.ok_or_else(ApiError::internal)?;
    Ok(lawyer_view(state, &l))
}

/// A lawyer of the caller's unit, or of a unit it supervises.
async fn visible_lawyer(state: &AppState, staff: &Staff, id: i64) -> ApiResult<LawyerRow> {
    let units = checked_units(state, staff);
    state.store.lawyer(id).await?.filter(|l| units.contains(&l.unit_id)).ok_or_else(|| ApiError::not_found("律师"))
}

#[utoipa::path(get, path = "/api/v1/duty-roster/lawyers/{id}", tag = "duty", security(("bearer" = [])),
    description = "A duty lawyer and the visits they took part in, with the legal advice given. A visit on a petition now hidden from the caller's unit (the accused's chain, Art. 30) is left out; one on a sealed accusation shows under a neutral title, without the advice.",
    params(("id" = i64, Path)),
    responses((status = 200, body = LawyerDetail), (status = 404, body = ErrorBody)))]
pub async fn lawyer(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<LawyerDetail>> {
    let l = visible_lawyer(&state, &staff, id).await?;
    let visits = state.store.lawyer_visits(l.id).await?;
    let tree = state.tree();
    Ok(Json(LawyerDetail {
        lawyer: lawyer_view(&state, &l),
        visits: visits.into_iter().filter_map(|v| visit_view(v, &staff, &tree)).collect(),
    }))
}

/// A visit as `staff` may see it: `None` when the petition must look as if
/// it did not exist to that unit (the accused's chain); a sealed
/// accusation under a neutral title, without the advice given on it.
fn visit_view(v: LawyerVisitRow, staff: &Staff, tree: &UnitTree) -> Option<LawyerVisitView> {
    match view(&v.case, v.confidential, staff.unit.id, staff.user.role, tree) {
        View::Hidden => None,
        View::Sealed => Some(LawyerVisitView {
            number: v.number,
            title: crate::views::SEALED_TITLE.into(),
            day: v.day,
            advice: v.advice.map(|_| WITHHELD.into()),
        }),
        View::IdentityHidden | View::Full => Some(LawyerVisitView { number: v.number, title: v.title, day: v.day, advice: v.advice }),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LawyerVisitInput {
    /// The petition (visit) the lawyer took part in.
    pub number: String,
    /// The legal advice given (法律意见).
    pub advice: String,
}

#[utoipa::path(post, path = "/api/v1/duty-roster/lawyers/{id}/visits", tag = "duty", security(("bearer" = [])),
    description = "Record a duty lawyer's part in a visit with the legal advice given: kept on the lawyer's record and as an event on the petition's history.",
    params(("id" = i64, Path)), request_body = LawyerVisitInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_visit(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<LawyerVisitInput>,
) -> ApiResult<StatusCode> {
    keeper(&staff)?;
    let l = state.store.lawyer(id).await?.filter(|l| l.unit_id == staff.unit.id).ok_or_else(|| ApiError::not_found("律师"))?;
    let advice = text(&input.advice, "advice", "法律意见", 2000, true)?;
    let (rec, _) = load_visible(&state, &staff, input.number.trim()).await?;
    // 律师参与接访 is the lawyer on duty that day at this hall: only a visit
    // (not a letter, call or online submission), received here, and a
    // lawyer not on the roster for the visit's day took no part in it.
    if rec.channel != Channel::Visit || rec.case.registered_unit != staff.unit.id {
        return Err(invalid("not_a_visit_here", "律师参与接访只能记录在本单位接待的来访事项上", "number"));
    }
    let visit_day = rec.case.received_on.to_string();
    if !state.store.lawyers_on_duty(staff.unit.id, &visit_day).await?.iter().any(|d| d.id == l.id) {
        return Err(invalid("lawyer_not_on_duty", format!("{}律师{visit_day}不在本单位值班，不能记录其参与该次接访", l.name), "number"));
    }
    let ev = staff.record_event(
        &rec,
        "duty_lawyer",
        json!({"lawyer_id": l.id, "lawyer": l.name, "firm": l.firm, "unit": staff.unit.code}),
        Some(advice.clone()),
    );
    state.store.record_lawyer_visit(l.id, rec.id, &rec.case.received_on.to_string(), Some(&advice), Some(staff.user.id), &ev).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A visit registered by `staff` at `unit` on `day`: each lawyer on duty
/// there that day is recorded on it (history event, lawyer's record).
pub async fn on_visit_registered(state: &AppState, staff: &Staff, number: &str, unit: UnitId, day: NaiveDate) -> ApiResult<()> {
    let lawyers = state.store.lawyers_on_duty(unit, &day.to_string()).await?;
    if lawyers.is_empty() {
        return Ok(());
    }
    let rec = state.store.petition_by_number(number).await?.ok_or_else(ApiError::internal)?;
    for l in lawyers {
        let ev =
            staff.record_event(&rec, "duty_lawyer", json!({"lawyer_id": l.id, "lawyer": l.name, "firm": l.firm, "on_duty": day}), None);
        state.store.record_lawyer_visit(l.id, rec.id, &day.to_string(), None, Some(staff.user.id), &ev).await?;
    }
    Ok(())
}

#[derive(Deserialize, ToSchema, Default)]
pub struct OutreachInput {
    /// The leader going (username; a leader or unit head of this unit or above).
    pub leader: String,
    pub day: String,
    /// 下访地点.
    pub place: String,
    /// 下访事由.
    pub purpose: String,
}

#[derive(Deserialize, ToSchema)]
pub struct OutreachResult {
    pub result: String,
}

#[utoipa::path(post, path = "/api/v1/duty-roster/outreach", tag = "duty", security(("bearer" = [])),
    description = "Plan a leader's 下访 trip from the caller's unit: day, place, purpose.",
    request_body = OutreachInput,
    responses((status = 201, body = DutyCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_outreach(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<OutreachInput>,
) -> ApiResult<(StatusCode, Json<DutyCreated>)> {
    keeper(&staff)?;
    let leader = duty_leader(&state, &staff.unit, &input.leader).await?;
    let on = day(&input.day, "day")?;
    let place = text(&input.place, "place", "下访地点", 200, true)?;
    let purpose = text(&input.purpose, "purpose", "下访事由", 1000, true)?;
    let id = state.store.add_outreach(staff.unit.id, leader.id, &on.to_string(), &place, &purpose, staff.user.id).await?;
    Ok((StatusCode::CREATED, Json(DutyCreated { id })))
}

#[utoipa::path(post, path = "/api/v1/duty-roster/outreach/{id}/result", tag = "duty", security(("bearer" = [])),
    description = "Record the result of a 下访 trip of the caller's unit (once).",
    params(("id" = i64, Path)), request_body = OutreachResult,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outreach_result(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<OutreachResult>,
) -> ApiResult<StatusCode> {
    keeper(&staff)?;
    let result = text(&input.result, "result", "下访结果", 2000, true)?;
    if !state.store.outreach_result(id, staff.unit.id, &result).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "result_recorded", "该下访不属于本单位，或已记录结果"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceptionDayQuery {
    /// `YYYY-MM-DD` (default: today).
    pub day: Option<String>,
    /// The unit received at (code; default: where the caller is on duty that day, else the caller's unit).
    pub unit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/duty-roster/reception-day", tag = "duty", security(("bearer" = [])),
    description = "A reception day: who is on duty at the unit and the visits booked for it (masked). For the unit's staff, a leader on duty there that day, and units supervising it.",
    params(ReceptionDayQuery),
    responses((status = 200, body = ReceptionDayView), (status = 404, body = ErrorBody)))]
pub async fn reception_day(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ReceptionDayQuery>,
) -> ApiResult<Json<ReceptionDayView>> {
    let on = match q.day.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day(s, "day")?,
        None => local_date(Utc::now()),
    };
    let tree = state.tree();
    let unit = match q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => tree.by_code(code).cloned().ok_or_else(|| ApiError::not_found("单位"))?,
        // Where the caller receives visitors that day, else the caller's unit.
        None => {
            let mine = state.store.duties_of_leader(staff.user.id, &on.to_string(), &on.to_string()).await?;
            mine.first().and_then(|d| tree.get(d.unit_id)).cloned().unwrap_or_else(|| staff.unit.clone())
        }
    };
    let duties = state.store.duty_days(&[unit.id], &on.to_string(), &on.to_string()).await?;
    let on_duty = duties.iter().any(|d| d.kind == "leader" && d.person_id == staff.user.id);
    if unit.id != staff.unit.id && !on_duty && !checked_units(&state, &staff).contains(&unit.id) {
        return Err(ApiError::not_found("接访日"));
    }
    Ok(Json(ReceptionDayView {
        unit: unit.code.clone(),
        unit_name: unit.name.clone(),
        day: on.to_string(),
        duties: duties.iter().map(|d| duty_view(&state, d)).collect(),
        bookings: crate::api::appointments::bookings_of(&state, unit.id, on).await?,
    }))
}

// ----- Spot checks of duty (抽查) -------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct DutyCheckInput {
    /// Whether the duty was held.
    pub held: bool,
    /// What was found (e.g. 视频抽查：领导未到岗).
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/duty-roster/days/{id}/check", tag = "duty", security(("bearer" = [])),
    description = "Spot-check a duty day (抽查, as Dalian does by video): held or not, with a note. A leader, unit head or supervisor of the unit or of a unit supervising it, never the leader on duty himself (403 `own_duty`); once per duty day, except that a check by a unit above replaces one the duty's own unit recorded.",
    params(("id" = i64, Path)), request_body = DutyCheckInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DutyCheckInput>,
) -> ApiResult<StatusCode> {
    staff.require_role(MANAGERS)?;
    let d = state.store.duty_day(id).await?.ok_or_else(|| ApiError::not_found("值班记录"))?;
    if !checked_units(&state, &staff).contains(&d.unit_id) {
        return Err(ApiError::not_found("值班记录"));
    }
    // A spot check is made by someone other than the one checked: the
    // leader on duty cannot find his own day held.
    if d.kind == "leader" && d.person_id == staff.user.id {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "own_duty", "不能抽查本人的值班，请由本单位其他负责人或上级单位抽查"));
    }
    if d.day > local_date(Utc::now()).to_string() {
        return Err(invalid("not_yet", "值班日尚未到，不能抽查", "held"));
    }
    let note = text(&input.note, "note", "抽查情况", 1000, !input.held)?;
    // The unit's own check may be replaced by a superior's, never the reverse.
    let over_own = d.unit_id != staff.unit.id;
    if !state.store.check_duty(id, input.held, &note, staff.user.id, over_own).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_checked", "该值班日已抽查"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/duty-roster/missed", tag = "duty", security(("bearer" = [])),
    description = "Duty days spot-checked as not held, in the units the caller supervises (its subtree; a petition bureau: its area), newest first.",
    responses((status = 200, body = [DutyView]), (status = 403, body = ErrorBody)))]
pub async fn missed(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<DutyView>>> {
    staff.require_role(MANAGERS)?;
    let rows = state.store.missed_duties(&checked_units(&state, &staff)).await?;
    Ok(Json(rows.iter().map(|d| duty_view(&state, d)).collect()))
}
