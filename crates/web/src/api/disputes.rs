//! The dispute screening ledger (矛盾纠纷排查台账, issue 14 item 1): grid
//! reporters record disputes in their village; the village or township
//! mediates, resolves (optionally with a 调解协议书), escalates to the
//! township or county, or turns the dispute into a petition that keeps the
//! link; the villages report each screening round. Rules in
//! `domain::dispute`; the parties are sealed like petitioners.

use crate::auth::Staff;
use crate::dto::{PetitionInput, PetitionerInput, UnitRef};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::intake::{Submitter, intake};
use crate::state::AppState;
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use xinfang_crypto::{Keyring, mask};
use xinfang_domain::dispute::{self, DisputeState, Period};
use xinfang_domain::letters::{LetterKind, cn_date};
use xinfang_domain::local_date;
use xinfang_domain::petition::{valid_id_number, valid_phone};
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Level, Unit, UnitKind};
use xinfang_store::{DisputeChange, DisputeFilter, DisputeRow, NewDispute, NothingFound};

/// At most this many parties to one dispute.
pub const MAX_PARTIES: usize = 10;

#[derive(Deserialize, ToSchema, Clone, Default)]
pub struct PartyInput {
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct DisputeInput {
    /// A kind code of `GET /api/v1/disputes/kinds` (neighbour, land, wages…).
    pub kind: String,
    /// low, medium or high.
    pub risk: String,
    /// Where it happens; default the village's name.
    #[serde(default)]
    pub place: String,
    pub summary: String,
    /// People involved (default the number of parties).
    #[serde(default)]
    pub people: Option<i64>,
    pub parties: Vec<PartyInput>,
    /// The village (12-digit unit's code); a grid reporter's own by default.
    #[serde(default)]
    pub village: Option<String>,
    /// YYYY-MM-DD; default by the risk (15, 7 or 3 days).
    #[serde(default)]
    pub target_on: Option<String>,
    /// Username of the responsible mediator.
    #[serde(default)]
    pub mediator: Option<String>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct PartyView {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub masked: bool,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct DisputeView {
    pub id: i64,
    /// 台账编号, e.g. JF2026-000012.
    pub number: String,
    pub village: UnitRef,
    pub handling_unit: Option<UnitRef>,
    pub kind: String,
    pub kind_label: String,
    pub risk: String,
    pub risk_label: String,
    pub place: String,
    pub summary: String,
    pub people: i64,
    /// Names masked in lists; identity numbers and phones masked until unmasked.
    pub parties: Vec<PartyView>,
    pub mediator: Option<String>,
    pub target_on: String,
    pub overdue: bool,
    /// open, resolved or petitioned.
    pub state: String,
    pub state_label: String,
    pub recorded_on: String,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    /// The 调解协议书 issued on resolution: `GET /api/v1/unit-documents/{id}`.
    pub agreement_document: Option<i64>,
    /// The petition it was turned into.
    pub petition_number: Option<String>,
    /// Migrant workers' unpaid wages (欠薪): the green channel's lane
    /// (issue 14, item 5) once it becomes a petition.
    pub green_channel: bool,
    pub version: i64,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct DisputeRecordView {
    /// recorded, mediator, mediation, escalated, resolved, petitioned.
    pub kind: String,
    pub kind_label: String,
    pub at: String,
    pub by: String,
    pub unit: String,
    pub body: Value,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct DisputeDetail {
    pub dispute: DisputeView,
    pub records: Vec<DisputeRecordView>,
    /// Whether the caller may act on it now.
    pub can_act: bool,
    /// Where the caller may escalate it.
    pub escalation_targets: Vec<UnitRef>,
    /// Who may be made its mediator: (username, name and unit).
    pub mediators: Vec<(String, String)>,
    /// Who read the parties unmasked: (at, name, reason).
    pub access_log: Vec<(String, String, String)>,
}

#[derive(Serialize, ToSchema)]
pub struct DisputePage {
    pub items: Vec<DisputeView>,
    /// Pass as `before` for the next page.
    pub next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct DisputeQuery {
    /// open, resolved or petitioned.
    pub state: Option<String>,
    /// Only those open past their target date.
    pub overdue: Option<bool>,
    pub kind: Option<String>,
    /// true: only those escalated (已上报) from their village to a township
    /// or county unit; false: only those the village still holds.
    pub escalated: Option<bool>,
    /// A division code inside the caller's area (a township, a village).
    pub area: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct MediatorInput {
    pub mediator: String,
    #[serde(default)]
    pub target_on: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct MediationInput {
    /// YYYY-MM-DD; default today.
    #[serde(default)]
    pub on: Option<String>,
    /// 当面调解, 电话沟通, 上门走访…
    #[serde(default)]
    pub method: String,
    pub content: String,
    #[serde(default)]
    pub participants: String,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct EscalateInput {
    /// The township's or county's unit code.
    pub unit: String,
    pub reason: String,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ResolveInput {
    /// What was agreed (化解结果).
    pub outcome: String,
    /// Issue a 调解协议书 with it.
    #[serde(default)]
    pub agreement: bool,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ToPetitionInput {
    /// visit (default), letter or phone.
    #[serde(default)]
    pub channel: Option<String>,
    /// 诉求; default from the summary.
    #[serde(default)]
    pub request: Option<String>,
    /// suggestion, accusation or claim (default).
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    /// Which parties petition (indexes); default the first.
    #[serde(default)]
    pub petitioners: Option<Vec<usize>>,
}

#[derive(Serialize, ToSchema)]
pub struct ToPetitionAnswer {
    pub number: String,
    pub dispute: i64,
    /// Shown once, to the staff who turned the dispute into a petition, to
    /// pass to the party (Art. 21): with it the party tracks the petition,
    /// rates the answer and asks for 复查. Absent when the dispute was
    /// turned into a petition before (the code is kept only as a hash).
    pub query_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UnmaskPartiesInput {
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
    pub number: String,
}

/// 台账编号: JF, the year it was recorded, the ledger's serial.
pub fn number(row: &DisputeRow) -> String {
    number_of(row.id, &row.recorded_on)
}

pub fn number_of(id: i64, recorded_on: &str) -> String {
    dispute::number(id, recorded_on)
}

fn invalid(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

fn forbid_admin(staff: &Staff) -> ApiResult<()> {
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不办理矛盾纠纷"));
    }
    Ok(())
}

fn parse_day(field: &'static str, s: &str) -> ApiResult<NaiveDate> {
    xinfang_domain::plain_date(s).ok_or_else(|| invalid("invalid_date", "日期格式应为YYYY-MM-DD（2000至2100年）").at(field))
}

/// `e` as the error of party `i`'s (from 0) field `key`: `parties[i].key`.
fn party_field(mut e: ApiError, i: usize, key: &str) -> ApiError {
    e.fields = vec![FieldError { field: format!("parties[{i}].{key}"), message: e.message.clone() }];
    e
}

/// Seal the parties: every field encrypted, identity number and phone also
/// keyed-hashed (the same keys as petitioners', so a party can be found
/// among petitioners).
fn seal_parties(keys: &Keyring, parties: &[PartyInput]) -> ApiResult<String> {
    if parties.is_empty() || parties.len() > MAX_PARTIES {
        return Err(invalid("invalid_parties", format!("请填写当事人（1至{MAX_PARTIES}人）")).at("parties"));
    }
    let mut out = Vec::new();
    for (i, p) in parties.iter().enumerate() {
        // Each error names the party and its field (`parties[1].phone`),
        // so that a form can show it beside what was typed wrong.
        let at = |e: ApiError, key: &str| party_field(e, i, key);
        let name = dispute::text("parties", "当事人姓名", &p.name, true, 50).map_err(|e| at(e.into(), "name"))?;
        let id = p.id_number.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_ascii_uppercase);
        if let Some(id) = &id
            && !valid_id_number(id)
        {
            return Err(at(invalid("invalid_id_number", format!("当事人“{name}”的身份证号码不正确")), "id_number"));
        }
        let phone = p.phone.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(ph) = phone
            && !valid_phone(ph)
        {
            return Err(at(invalid("invalid_phone", format!("当事人“{name}”的电话号码不正确")), "phone"));
        }
        let address = dispute::text("parties", "当事人住址", p.address.as_deref().unwrap_or_default(), false, 200)
            .map_err(|e| at(e.into(), "address"))?;
        out.push(json!({
            "name": keys.encrypt(&name),
            "id_number": id.as_deref().map(|v| keys.encrypt(v)),
            "id_hash": id.as_deref().map(|v| keys.keyed_hash("id", v)),
            "phone": phone.map(|v| keys.encrypt(v)),
            "phone_hash": phone.map(|v| keys.keyed_hash("phone", &crate::intake::phone_digits(v))),
            "address": (!address.is_empty()).then(|| keys.encrypt(&address)),
        }));
    }
    Ok(Value::Array(out).to_string())
}

/// The parties in the clear (for a petition made from the dispute).
fn open_parties(keys: &Keyring, sealed: &str) -> Vec<PartyInput> {
    let v: Value = serde_json::from_str(sealed).unwrap_or(Value::Null);
    let open = |p: &Value, k: &str| p.get(k).and_then(Value::as_str).and_then(|c| keys.decrypt(c).ok());
    v.as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| PartyInput {
                    name: open(p, "name").unwrap_or_default(),
                    id_number: open(p, "id_number"),
                    phone: open(p, "phone"),
                    address: open(p, "address"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How a list shows the parties: names masked too. A detail shows names;
/// identity numbers, phones and addresses stay masked unless unmasked.
fn party_views(keys: &Keyring, sealed: &str, names: bool, unmasked: bool) -> Vec<PartyView> {
    open_parties(keys, sealed)
        .into_iter()
        .map(|p| PartyView {
            name: if names || unmasked { p.name } else { mask::name(&p.name) },
            id_number: p.id_number.map(|v| if unmasked { v } else { mask::id_number(&v) }),
            phone: p.phone.map(|v| if unmasked { v } else { mask::phone(&v) }),
            address: p.address.map(|v| if unmasked { v } else { mask::address(&v) }),
            masked: !unmasked,
        })
        .collect()
}

pub fn view(state: &AppState, row: &DisputeRow, names: bool) -> DisputeView {
    let tree = state.tree();
    let today = local_date(Utc::now());
    let st = DisputeState::parse(&row.state).unwrap_or(DisputeState::Open);
    let target = NaiveDate::parse_from_str(&row.target_on, "%Y-%m-%d").unwrap_or(today);
    DisputeView {
        id: row.id,
        number: number(row),
        village: tree.get(row.village_unit_id).map(unit_ref).unwrap_or_else(|| UnitRef {
            code: row.village_code.clone(),
            name: row.village_code.clone(),
            kind: "community".into(),
            level: "village".into(),
        }),
        handling_unit: tree.get(row.handling_unit_id).map(unit_ref),
        kind: row.kind.clone(),
        kind_label: dispute::kind_label(&row.kind).unwrap_or("其他纠纷").into(),
        risk: row.risk.clone(),
        risk_label: dispute::risk_label(&row.risk).unwrap_or("一般").into(),
        place: row.place.clone(),
        summary: row.summary.clone(),
        people: row.people,
        parties: party_views(&state.keyring, &row.parties, names, false),
        mediator: row.mediator_name.clone(),
        target_on: row.target_on.clone(),
        overdue: dispute::overdue(st, target, today),
        state: row.state.clone(),
        state_label: st.label().into(),
        recorded_on: row.recorded_on.clone(),
        closed_at: row.closed_at.clone(),
        outcome: row.outcome.clone(),
        agreement_document: row.agreement_document_id,
        petition_number: row.petition_number.clone(),
        green_channel: row.kind == "wages"
            || xinfang_domain::green_channel::recognise(true, None, &format!("{}\n{}", row.place, row.summary)).is_some(),
        version: row.version,
    }
}

fn record_label(kind: &str) -> &'static str {
    match kind {
        "recorded" => "登记",
        "mediator" => "指定调解人",
        "mediation" => "调解记录",
        "escalated" => "上报",
        "resolved" => "化解",
        "petitioned" => "转为信访事项",
        _ => "记录",
    }
}

/// Load a dispute the caller sees (404 otherwise: its existence is not told).
pub async fn load(state: &AppState, staff: &Staff, id: i64) -> ApiResult<DisputeRow> {
    forbid_admin(staff)?;
    let row = state.store.dispute(id).await?.ok_or_else(|| ApiError::not_found("矛盾纠纷"))?;
    if !dispute::sees(&staff.unit, &row.village_code, row.handling_unit_id) {
        return Err(ApiError::not_found("矛盾纠纷"));
    }
    Ok(row)
}

fn require_act(state: &AppState, staff: &Staff, row: &DisputeRow) -> ApiResult<()> {
    if row.state != DisputeState::Open.as_str() {
        return Err(ApiError::new(StatusCode::CONFLICT, "dispute_closed", "该矛盾纠纷已化解或已转为信访事项，不能再办理"));
    }
    if !dispute::may_act(&state.tree(), &staff.unit, row.handling_unit_id, &row.village_code) {
        return Err(ApiError::forbidden("该矛盾纠纷由其他单位办理，本单位不能办理"));
    }
    Ok(())
}

/// The area whose ledger a unit reads: a village its own, an area-wide
/// unit its area; other units only what was escalated to them.
fn area_of(unit: &Unit) -> Option<String> {
    match unit.kind {
        UnitKind::Community => Some(unit.jurisdiction.clone()),
        UnitKind::Government | UnitKind::GovernmentOffice | UnitKind::PetitionBureau | UnitKind::PartyGovernment => {
            Some(unit.jurisdiction.clone())
        }
        _ => None,
    }
}

fn mediators_for(state: &AppState, users: &[xinfang_store::User], village_code: &str) -> Vec<(String, String)> {
    let tree = state.tree();
    users
        .iter()
        .filter(|u| u.active && u.role != Role::Admin)
        .filter_map(|u| tree.get(u.unit_id).filter(|unit| dispute::may_mediate(unit, village_code)).map(|unit| (u, unit)))
        .map(|(u, unit)| (u.username.clone(), format!("{}（{}）", u.display_name, unit.name)))
        .collect()
}

async fn mediator_id(state: &AppState, username: &str, village_code: &str) -> ApiResult<i64> {
    let u = state
        .store
        .user_by_username(username.trim())
        .await?
        .filter(|u| u.active && u.role != Role::Admin)
        .ok_or_else(|| invalid("unknown_mediator", "调解人账号不存在").at("mediator"))?;
    let fits = state.tree().get(u.unit_id).is_some_and(|unit| dispute::may_mediate(unit, village_code));
    if !fits {
        return Err(invalid("invalid_mediator", "调解人应为本村（社区）或所在乡镇（街道）、县（区）的工作人员").at("mediator"));
    }
    Ok(u.id)
}

#[utoipa::path(post, path = "/api/v1/disputes", tag = "grassroots", security(("bearer" = [])), request_body = DisputeInput,
    description = "Record a screened dispute (矛盾纠纷排查台账). A grid reporter records in their own village; a township's or county's staff name the village. Parties are encrypted at rest.",
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<DisputeInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    forbid_admin(&staff)?;
    let village = {
        let tree = state.tree();
        match (&staff.unit.kind, input.village.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (UnitKind::Community, None) => staff.unit.clone(),
            (UnitKind::Community, Some(code)) if code == staff.unit.code => staff.unit.clone(),
            (UnitKind::Community, Some(_)) => return Err(ApiError::forbidden("信访信息员只能登记本村（社区）的矛盾纠纷")),
            (_, None) => return Err(invalid("field_required", "请选择矛盾纠纷所在的村（社区）").at("village")),
            (_, Some(code)) => {
                let v = tree
                    .by_code(code)
                    .filter(|u| u.kind == UnitKind::Community && u.level == Level::Village)
                    .ok_or_else(|| invalid("unknown_village", format!("村（社区）“{code}”不存在")).at("village"))?;
                if !dispute::sees(&staff.unit, &v.jurisdiction, -1) {
                    return Err(ApiError::forbidden("只能登记本辖区内村（社区）的矛盾纠纷"));
                }
                v.clone()
            }
        }
    };
    if dispute::kind_label(input.kind.trim()).is_none() {
        return Err(invalid("invalid_kind", "请选择纠纷类型").at("kind"));
    }
    if dispute::risk_label(input.risk.trim()).is_none() {
        return Err(invalid("invalid_risk", "请选择风险等级（一般、较大、重大）").at("risk"));
    }
    let summary = dispute::text("summary", "纠纷简要情况", &input.summary, true, 2000)?;
    let place = match dispute::text("place", "发生地点", &input.place, false, 200)? {
        p if p.is_empty() => village.name.clone(),
        p => p,
    };
    let parties = seal_parties(&state.keyring, &input.parties)?;
    let people = input.people.unwrap_or(input.parties.len() as i64);
    dispute::check_people(people, input.parties.len())?;
    let today = local_date(Utc::now());
    let target = match input.target_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => {
            let d = parse_day("target_on", s)?;
            dispute::check_target(d, today, input.risk.trim(), staff.unit.kind == UnitKind::Community)?;
            d
        }
        None => dispute::default_target(today, input.risk.trim()),
    };
    let mediator = match input.mediator.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(m) => Some(mediator_id(&state, m, &village.jurisdiction).await?),
        None => None,
    };
    let new = NewDispute {
        village_unit_id: village.id,
        village_code: village.jurisdiction.clone(),
        kind: input.kind.trim().into(),
        risk: input.risk.trim().into(),
        place,
        summary,
        people,
        parties,
        mediator_user_id: mediator,
        target_on: target.to_string(),
        recorded_by: staff.user.id,
        recorded_on: today.to_string(),
    };
    let id = state.store.insert_dispute(&new, &json!({"by_unit": staff.unit.name}).to_string(), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(Created { id, number: number_of(id, &new.recorded_on) })))
}

#[utoipa::path(get, path = "/api/v1/disputes", tag = "grassroots", security(("bearer" = [])), params(DisputeQuery),
    description = "The ledger the caller sees, newest first: a village its own, a township or county its area (and what was escalated to the caller's unit). Party names are masked in lists.",
    responses((status = 200, body = DisputePage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<DisputeQuery>) -> ApiResult<Json<DisputePage>> {
    forbid_admin(&staff)?;
    let own = area_of(&staff.unit);
    let area = match (q.area.as_deref().map(str::trim).filter(|s| !s.is_empty()), &own) {
        (Some(a), Some(own)) if a.starts_with(own.as_str()) && a.chars().all(|c| c.is_ascii_digit()) && a.len() <= 12 => {
            Some(a.to_string())
        }
        (Some(_), _) => return Err(invalid("invalid_area", "只能查看本辖区的矛盾纠纷").at("area")),
        // Units without an area see only what was escalated to them.
        (None, None) => None,
        (None, Some(own)) => Some(own.clone()),
    };
    if let Some(s) = &q.state
        && DisputeState::parse(s).is_none()
    {
        return Err(invalid("invalid_state", format!("状态应为{}", DisputeState::choices())).at("state"));
    }
    if let Some(k) = &q.kind
        && dispute::kind_label(k).is_none()
    {
        return Err(invalid("invalid_kind", "纠纷类型不存在").at("kind"));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let rows = state
        .store
        .disputes(&DisputeFilter {
            area,
            state: q.state.clone(),
            overdue_on: q.overdue.unwrap_or(false).then(|| local_date(Utc::now()).to_string()),
            kind: q.kind.clone(),
            escalated: q.escalated,
            or_held_by: Some(staff.unit.id),
            before_id: q.before,
            limit: limit + 1,
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<DisputeView> = rows.iter().take(limit as usize).map(|r| view(&state, r, false)).collect();
    let next_before = if more { items.last().map(|v| v.id) } else { None };
    Ok(Json(DisputePage { items, next_before }))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DisputeDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<DisputeDetail>> {
    let row = load(&state, &staff, id).await?;
    let (records, access_log) = tokio::try_join!(state.store.dispute_records(id), state.store.dispute_access(id))?;
    let can_act = require_act(&state, &staff, &row).is_ok();
    let (escalation_targets, mediators) = if can_act {
        let users = state.store.users().await?;
        let tree = state.tree();
        let holder = tree.get(row.handling_unit_id).cloned();
        let targets = holder
            .map(|h| {
                let mut t: Vec<&Unit> = tree.all().filter(|u| dispute::check_escalation(&h, u, &row.village_code).is_ok()).collect();
                t.sort_by(|a, b| b.level.cmp(&a.level).then(a.kind.as_str().cmp(b.kind.as_str())).then(a.code.cmp(&b.code)));
                t.into_iter().map(unit_ref).collect()
            })
            .unwrap_or_default();
        drop(tree);
        (targets, mediators_for(&state, &users, &row.village_code))
    } else {
        (Vec::new(), Vec::new())
    };
    let tree = state.tree();
    let records = records
        .into_iter()
        .map(|r| DisputeRecordView {
            kind_label: record_label(&r.kind).into(),
            kind: r.kind,
            at: r.at,
            by: r.user_name,
            unit: tree.get(r.unit_id).map(|u| u.name.clone()).unwrap_or_default(),
            body: serde_json::from_str(&r.body).unwrap_or(Value::Null),
        })
        .collect();
    drop(tree);
    Ok(Json(DisputeDetail { dispute: view(&state, &row, true), records, can_act, escalation_targets, mediators, access_log }))
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/mediator", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = MediatorInput, description = "Name the responsible mediator (a village's or its township's or county's staff) and, optionally, a new target date.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MediatorInput>,
) -> ApiResult<StatusCode> {
    let row = load(&state, &staff, id).await?;
    require_act(&state, &staff, &row)?;
    let m = mediator_id(&state, &input.mediator, &row.village_code).await?;
    let target = match input.target_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => {
            let d = parse_day("target_on", s)?;
            dispute::check_target(d, local_date(Utc::now()), &row.risk, staff.unit.kind == UnitKind::Community)?;
            Some(d.to_string())
        }
        None => None,
    };
    let change = DisputeChange {
        mediator_user_id: Some(m),
        target_on: target.clone(),
        record: ("mediator".into(), json!({"mediator": input.mediator.trim(), "target_on": target}).to_string()),
        ..DisputeChange::default()
    };
    state.store.change_dispute(id, row.version, &change, staff.user.id, staff.unit.id, Utc::now()).await.map_err(dispute_conflict)?;
    Ok(StatusCode::NO_CONTENT)
}

fn dispute_conflict(e: xinfang_store::StoreError) -> ApiError {
    match e {
        xinfang_store::StoreError::Conflict => {
            ApiError::new(StatusCode::CONFLICT, "concurrent_update", "该矛盾纠纷刚被他人更新，请刷新后重试")
        }
        other => other.into(),
    }
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/mediations", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = MediationInput, description = "Add a mediation record (调解记录): when, how, who took part, what was said.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mediate(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MediationInput>,
) -> ApiResult<StatusCode> {
    let row = load(&state, &staff, id).await?;
    require_act(&state, &staff, &row)?;
    let today = local_date(Utc::now());
    let on = match input.on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_day("on", s)?,
        None => today,
    };
    if on > today || on.to_string() < row.recorded_on {
        return Err(invalid("invalid_date", "调解日期应在登记之日至今天之间").at("on"));
    }
    let method = dispute::text("method", "调解方式", &input.method, false, 50)?;
    let content = dispute::text("content", "调解情况", &input.content, true, 5000)?;
    let participants = dispute::text("participants", "参加人员", &input.participants, false, 500)?;
    let change = DisputeChange {
        record: (
            "mediation".into(),
            json!({"on": on.to_string(), "method": method, "content": content, "participants": participants}).to_string(),
        ),
        ..DisputeChange::default()
    };
    state.store.change_dispute(id, row.version, &change, staff.user.id, staff.unit.id, Utc::now()).await.map_err(dispute_conflict)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/escalate", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = EscalateInput, description = "Escalate to the village's township or county (area-wide unit, strictly above the holder); it is held there from now on.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn escalate(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EscalateInput>,
) -> ApiResult<StatusCode> {
    let row = load(&state, &staff, id).await?;
    require_act(&state, &staff, &row)?;
    let reason = dispute::text("reason", "上报理由", &input.reason, true, 2000)?;
    let to = {
        let tree = state.tree();
        let holder = tree.get(row.handling_unit_id).cloned().ok_or_else(ApiError::internal)?;
        let to = tree.by_code(input.unit.trim()).cloned().ok_or_else(|| invalid("unknown_unit", "上报单位不存在").at("unit"))?;
        dispute::check_escalation(&holder, &to, &row.village_code)?;
        to
    };
    let change = DisputeChange {
        handling_unit_id: Some(to.id),
        record: ("escalated".into(), json!({"to_unit": to.code, "to_unit_name": to.name, "reason": reason}).to_string()),
        ..DisputeChange::default()
    };
    state.store.change_dispute(id, row.version, &change, staff.user.id, staff.unit.id, Utc::now()).await.map_err(dispute_conflict)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/resolve", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ResolveInput, description = "Record the dispute as resolved with what was agreed; with `agreement`, a 调解协议书 is issued by the holding unit (a numbered unit document, GET /api/v1/unit-documents/{id}).",
    responses((status = 200, body = DisputeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> ApiResult<Json<DisputeView>> {
    let row = load(&state, &staff, id).await?;
    require_act(&state, &staff, &row)?;
    let outcome = dispute::text("outcome", "化解结果", &input.outcome, true, 5000)?;
    let today = local_date(Utc::now());
    let agreement = if input.agreement {
        let tree = state.tree();
        let issuer = tree.get(row.handling_unit_id).cloned().ok_or_else(ApiError::internal)?;
        let names: Vec<String> = open_parties(&state.keyring, &row.parties).into_iter().map(|p| p.name).collect();
        let kind = LetterKind::MediationAgreement;
        Some(xinfang_store::NewUnitLetter {
            kind,
            template: kind.as_str().into(),
            title: kind.title().into(),
            issuer_unit_id: issuer.id,
            addressee_unit_id: issuer.id,
            issued_on: today,
            data: json!({
                "title": kind.title(),
                "issuer": issuer.name,
                "addressee": "",
                "issued_on": cn_date(today),
                "petition_number": number(&row),
                "petitioner_name": names.join("、"),
                "received_on": NaiveDate::parse_from_str(&row.recorded_on, "%Y-%m-%d").map(cn_date).unwrap_or_default(),
                // Told as a dispute, not a 信访事项 (the template's
                // `dispute_number` branch): its kind, its facts, its number
                // in the ledger, sealed and kept by the holding unit.
                "dispute_number": number(&row),
                "subject": dispute::kind_label(&row.kind).unwrap_or("矛盾纠纷"),
                "facts": row.summary,
                "article": "《中华人民共和国人民调解法》第二十八条、第二十九条",
                "cc": "",
                "parties": names,
                "summary": outcome,
                "mediator": row.mediator_name.clone().unwrap_or_else(|| staff.user.display_name.clone()),
                "signed_on": cn_date(today),
            }),
        })
    } else {
        None
    };
    let change = DisputeChange {
        state: Some(DisputeState::Resolved.as_str().into()),
        outcome: Some(outcome.clone()),
        agreement,
        record: ("resolved".into(), json!({"outcome": outcome, "agreement": input.agreement}).to_string()),
        ..DisputeChange::default()
    };
    state.store.change_dispute(id, row.version, &change, staff.user.id, staff.unit.id, Utc::now()).await.map_err(dispute_conflict)?;
    let row = state.store.dispute(id).await?.ok_or_else(ApiError::internal)?;
    Ok(Json(view(&state, &row, true)))
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/petition", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ToPetitionInput, description = "Turn the dispute into a petition registered by the caller's unit (a clerk, handling officer or unit head of the township or county), with the parties as petitioners and the village as its place. The dispute records the petition's number, and the petition's detail names the dispute (`dispute`). Sending it again gives the same petition.",
    responses((status = 201, body = ToPetitionAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn to_petition(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ToPetitionInput>,
) -> ApiResult<(StatusCode, Json<ToPetitionAnswer>)> {
    let row = load(&state, &staff, id).await?;
    if let Some(n) = &row.petition_number {
        return Ok((StatusCode::CREATED, Json(ToPetitionAnswer { number: n.clone(), dispute: id, query_code: None })));
    }
    require_act(&state, &staff, &row)?;
    staff.require_role(&[Role::Clerk, Role::HandlingOfficer, Role::UnitHead])?;
    if staff.unit.kind == UnitKind::Community {
        return Err(ApiError::forbidden("村（社区）不登记信访事项；请上报乡镇（街道）"));
    }
    // The township or the county registers it (属地管理): a city's or a
    // province's staff would make it a petition skipping levels.
    if !matches!(staff.unit.level, Level::Township | Level::County) {
        return Err(ApiError::forbidden("矛盾纠纷由所在乡镇（街道）或县（区）登记为信访事项"));
    }
    let parties = open_parties(&state.keyring, &row.parties);
    let which = input.petitioners.clone().unwrap_or_else(|| vec![0]);
    let distinct: std::collections::BTreeSet<usize> = which.iter().copied().collect();
    if which.is_empty() || distinct.len() != which.len() || which.iter().any(|i| *i >= parties.len()) {
        return Err(invalid("invalid_petitioners", "请从当事人中选择信访人（每人一次）").at("petitioners"));
    }
    let kind = dispute::kind_label(&row.kind).unwrap_or("矛盾纠纷");
    let request = match input.request.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) => dispute::text("request", "诉求", r, true, 2000)?,
        None => format!("请求依法化解{kind}"),
    };
    let records = state.store.dispute_records(id).await?;
    let mediations: Vec<String> = records
        .iter()
        .filter(|r| r.kind == "mediation")
        .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
        .map(|b| format!("{} {}", b["on"].as_str().unwrap_or_default(), b["content"].as_str().unwrap_or_default()))
        .collect();
    let mut facts = row.summary.clone();
    if !mediations.is_empty() {
        facts.push_str("\n\n排查调解经过：\n");
        facts.push_str(&mediations.join("\n"));
    }
    // Who the matter concerns, not only who files it: twelve unpaid
    // workers who send one or two of them are a collective petition
    // (集体访), and those sent are its representatives (Art. 18, 20).
    let involved = usize::try_from(row.people).unwrap_or(0).max(which.len());
    let collective = involved >= xinfang_domain::petition::limits::COLLECTIVE_FROM;
    let petition = PetitionInput {
        channel: Some(input.channel.clone().unwrap_or_else(|| "visit".into())),
        petitioners: which
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let p = &parties[*i];
                PetitionerInput {
                    kind: None,
                    name: p.name.clone(),
                    id_number: p.id_number.clone(),
                    phone: p.phone.clone(),
                    address: p.address.clone(),
                    // At most five represent a collective visit (Art. 20):
                    // the first five chosen.
                    representative: collective && n < xinfang_domain::petition::limits::REPRESENTATIVES,
                }
            })
            .collect(),
        collective,
        headcount: collective.then(|| u32::try_from(involved).unwrap_or(u32::MAX)),
        jurisdiction: row.village_code.clone(),
        title: format!("{kind}（{}）", row.place.chars().take(30).collect::<String>()),
        content: row.summary.clone(),
        request,
        facts_and_reasons: facts,
        category: input.category.clone().unwrap_or_else(|| "claim".into()),
        topic: input.topic.clone(),
        ..PetitionInput::default()
    };
    let fingerprint = crate::once::fingerprint(&state, &json!({"dispute": id}));
    let key = format!("dispute-to-petition-{id:016}");
    let scope = format!("dispute:{id}");
    let s2 = staff.clone();
    let st2 = state.clone();
    let answer = crate::once::once(&state, &scope, &key, &fingerprint, || async move {
        let out = intake(&st2, Submitter::Staff(Box::new(s2)), petition).await?;
        Ok((StatusCode::CREATED, json!({"number": out.number, "query_code": out.query_code})))
    })
    .await?;
    let number = answer.body["number"].as_str().ok_or_else(ApiError::internal)?.to_string();
    // Shown to the one who made the petition, once: never in a replay.
    let query_code = (!answer.replayed).then(|| answer.body["query_code"].as_str().map(String::from)).flatten();
    // A wages dispute enters the green channel with its petition, whatever
    // the words of its summary (the clerk may take it out).
    if row.kind == "wages"
        && let Some(rec) = state.store.petition_by_number(&number).await?
        && rec.category == xinfang_domain::petition::Category::Claim
        && state.store.green_channel_of(rec.id).await?.is_none()
    {
        let text = [rec.title.as_str(), &rec.content, &rec.request, &rec.facts_and_reasons].join("\n");
        let (amount, workers) = xinfang_domain::green_channel::claimed(&text);
        let new = xinfang_store::NewGreenChannel {
            state: "flagged".into(),
            words: json!(["矛盾纠纷类型：劳资纠纷（欠薪）"]).to_string(),
            migrant: xinfang_domain::green_channel::recognise(true, None, &text).is_some(),
            amount_claimed: amount,
            workers,
            received_on: rec.case.received_on.to_string(),
            contact_due: xinfang_domain::green_channel::after_working_days(
                &state.calendar(),
                rec.case.received_on,
                state.settings.green_channel_contact_days,
            )
            .to_string(),
        };
        state.store.set_green_channel(rec.id, "flagged", Some(&new), staff.user.id, Utc::now()).await?;
    }
    // The link, after the petition: a failure here is retried by sending
    // again (the key above gives back the same petition).
    // Only an open dispute without a petition takes the link: one resolved
    // or escalated meanwhile keeps its outcome (the petition stands).
    state.store.link_dispute_petition(id, &number, staff.user.id, staff.unit.id, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(ToPetitionAnswer { number, dispute: id, query_code })))
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/unmask", tag = "grassroots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = UnmaskPartiesInput, description = "The parties' identity numbers, phones and addresses unmasked; recorded in the access log with the reason.",
    responses((status = 200, body = [PartyView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unmask(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<UnmaskPartiesInput>,
) -> ApiResult<Json<Vec<PartyView>>> {
    let row = load(&state, &staff, id).await?;
    let reason = input.reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 500 {
        return Err(invalid("reason_required", "请说明查看完整个人信息的事由（2至500字）").at("reason"));
    }
    state.store.log_dispute_access(row.id, staff.user.id, staff.unit.id, reason, Utc::now()).await?;
    Ok(Json(party_views(&state.keyring, &row.parties, true, true)))
}

// ----- Screening rounds ------------------------------------------------------

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// The round, `2026-W49` or `2026-12` (by the screening period); default the current one.
    pub period: Option<String>,
    /// A township or county code inside the caller's area; default the caller's area.
    pub area: Option<String>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct RoundVillage {
    pub code: String,
    pub name: String,
    pub township: String,
    pub recorded: i64,
    pub nothing_found: bool,
    pub reported: bool,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct RoundView {
    /// week or month.
    pub screening_period: String,
    pub period: String,
    pub from: String,
    pub to: String,
    pub villages: Vec<RoundVillage>,
    pub reported: usize,
    pub not_reported: usize,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct NothingFoundInput {
    #[serde(default)]
    pub note: String,
}

/// The admin's grass-roots rules (`PUT /api/v1/dispatch/rules`).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
#[serde(default)]
pub struct GrassrootsRules {
    /// How often villages report: week or month.
    pub screening_period: String,
    /// 零访 / 清零: an area with no petition going upward for this many
    /// whole months before the current one.
    pub zero_petition_months: u32,
    /// Count only petitions that went above the township (to the county or
    /// higher), the usual 矛盾不上交 reading; false: every petition from the area.
    pub zero_petition_upward_only: bool,
}

impl Default for GrassrootsRules {
    fn default() -> Self {
        GrassrootsRules { screening_period: "week".into(), zero_petition_months: 3, zero_petition_upward_only: true }
    }
}

pub async fn rules_of(state: &AppState) -> ApiResult<GrassrootsRules> {
    Ok(state.store.grassroots_rules().await?.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or_default())
}

#[utoipa::path(get, path = "/api/v1/disputes/rounds", tag = "grassroots", security(("bearer" = [])), params(RoundQuery),
    description = "A screening round (排查): each village of the area with the disputes it recorded in the round and whether it reported \"nothing found\"; those that did neither have not reported.",
    responses((status = 200, body = RoundView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn round(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<RoundQuery>) -> ApiResult<Json<RoundView>> {
    forbid_admin(&staff)?;
    let own = area_of(&staff.unit).ok_or_else(|| ApiError::forbidden("本单位没有矛盾纠纷排查辖区"))?;
    let area = match q.area.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) if a.starts_with(own.as_str()) && a.chars().all(|c| c.is_ascii_digit()) => a.to_string(),
        Some(_) => return Err(invalid("invalid_area", "只能查看本辖区的排查情况").at("area")),
        None => own,
    };
    let rules = rules_of(&state).await?;
    let period = Period::parse(&rules.screening_period).unwrap_or(Period::Week);
    let asked = q.period.clone().unwrap_or_else(|| period.key(local_date(Utc::now())));
    let (from, to) = period.bounds(&asked).ok_or_else(|| {
        invalid("invalid_period", format!("排查周期为{}，应填写如 {}", period.label(), period.key(local_date(Utc::now())))).at("period")
    })?;
    // The round's own spelling (2026-W5 → 2026-W05), as reports are kept.
    let key = period.key(from);
    let (counts, nothing) = state.store.screening_round(&area, &key, &from.to_string(), &to.to_string()).await?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    let nothing: std::collections::HashSet<i64> = nothing.into_iter().collect();
    let tree = state.tree();
    // The township by its own name (南园街道), from the division table, not
    // by its petition office's (南园街道信访办).
    let township_codes: Vec<String> = {
        let mut codes: Vec<String> = tree
            .all()
            .filter(|u| u.kind == UnitKind::Community && u.jurisdiction.starts_with(area.as_str()))
            .filter_map(|u| u.jurisdiction.get(..9).map(str::to_string))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    };
    let township_names = state.store.division_names(&township_codes).await?;
    let township_of = |u: &xinfang_domain::unit::Unit| {
        u.jurisdiction.get(..9).and_then(|c| township_names.get(c)).cloned().unwrap_or_else(|| {
            u.parent_id
                .and_then(|p| tree.get(p))
                .map(|p| p.name.trim_end_matches("信访办").trim_end_matches("人民政府").to_string())
                .unwrap_or_default()
        })
    };
    let mut villages: Vec<RoundVillage> = tree
        .all()
        .filter(|u| u.kind == UnitKind::Community && u.jurisdiction.starts_with(area.as_str()))
        .map(|u| {
            let recorded = counts.get(&u.id).copied().unwrap_or(0);
            let line = dispute::RoundLine { village: u.id, recorded: recorded as u32, nothing_found: nothing.contains(&u.id) };
            RoundVillage {
                code: u.code.clone(),
                name: u.name.clone(),
                township: township_of(u),
                recorded,
                nothing_found: line.nothing_found_stands(),
                reported: line.reported(),
            }
        })
        .collect();
    villages.sort_by(|a, b| a.reported.cmp(&b.reported).then(a.code.cmp(&b.code)));
    let reported = villages.iter().filter(|v| v.reported).count();
    let not_reported = villages.len() - reported;
    Ok(Json(RoundView {
        screening_period: period.as_str().into(),
        period: key,
        from: from.to_string(),
        to: to.to_string(),
        villages,
        reported,
        not_reported,
    }))
}

#[utoipa::path(post, path = "/api/v1/disputes/rounds/{period}/nothing-found", tag = "grassroots", security(("bearer" = [])),
    params(("period" = String, Path)), request_body = NothingFoundInput,
    description = "A grid reporter reports that the village found no dispute in the round (排查无矛盾纠纷), once per round; only the current or the previous round, and not once the village has recorded a dispute in it (409 `disputes_recorded`).",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn nothing_found(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<NothingFoundInput>,
) -> ApiResult<StatusCode> {
    if staff.user.role != Role::GridReporter || staff.unit.kind != UnitKind::Community {
        return Err(ApiError::forbidden("由本村（社区）的信访信息员报告"));
    }
    let rules = rules_of(&state).await?;
    let period = Period::parse(&rules.screening_period).unwrap_or(Period::Week);
    let today = local_date(Utc::now());
    let (from, to) = period.bounds(&key).ok_or_else(|| invalid("invalid_period", "排查周期不正确").at("period"))?;
    let key = period.key(from);
    let current = period.key(today);
    let previous = period.key(period.bounds(&current).map(|(f, _)| f - chrono::Duration::days(1)).unwrap_or(today));
    if key != current && key != previous || from > today {
        return Err(invalid("invalid_period", "只能报告本期或上一期的排查情况").at("period"));
    }
    let note = dispute::text("note", "说明", &input.note, false, 500)?;
    let span = (from.to_string(), to.to_string());
    match state.store.report_nothing_found(staff.unit.id, &key, (&span.0, &span.1), staff.user.id, &note, Utc::now()).await? {
        NothingFound::Reported => Ok(StatusCode::NO_CONTENT),
        NothingFound::AlreadyReported => Err(ApiError::new(StatusCode::CONFLICT, "already_reported", "本期已报告排查无矛盾纠纷")),
        NothingFound::DisputesRecorded(n) => {
            Err(ApiError::new(StatusCode::CONFLICT, "disputes_recorded", format!("本期已登记{n}件矛盾纠纷，不能报告排查无矛盾纠纷")))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/dispatch/rules", tag = "grassroots", security(("bearer" = [])),
    responses((status = 200, body = GrassrootsRules)))]
pub async fn get_rules(State(state): State<AppState>, _staff: Staff) -> ApiResult<Json<GrassrootsRules>> {
    Ok(Json(rules_of(&state).await?))
}

#[utoipa::path(put, path = "/api/v1/dispatch/rules", tag = "grassroots", security(("bearer" = [])), request_body = GrassrootsRules,
    description = "The top-level admin sets the screening period (week or month) and the zero-petition rule (零访 / 清零).",
    responses((status = 200, body = GrassrootsRules), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(rules): ApiJson<GrassrootsRules>,
) -> ApiResult<Json<GrassrootsRules>> {
    staff.require_top_level_admin()?;
    if Period::parse(&rules.screening_period).is_none() {
        return Err(invalid("invalid_period", "排查周期应为 week（每周）或 month（每月）").at("screening_period"));
    }
    if !(1..=24).contains(&rules.zero_petition_months) {
        return Err(invalid("invalid_months", "零访统计期应为1至24个月").at("zero_petition_months"));
    }
    let body = serde_json::to_string(&rules).map_err(|_| ApiError::internal())?;
    state.store.put_grassroots_rules(&body, staff.user.id, Utc::now()).await?;
    Ok(Json(rules))
}

#[utoipa::path(get, path = "/api/v1/disputes/kinds", tag = "grassroots",
    description = "The kinds of dispute and the levels of risk: (code, label).",
    responses((status = 200, body = Value)))]
pub async fn kinds() -> Json<Value> {
    Json(json!({
        "kinds": dispute::KINDS.iter().map(|(c, l)| json!({"code": c, "label": l})).collect::<Vec<_>>(),
        "risks": dispute::RISKS.iter().map(|(c, l, d)| json!({"code": c, "label": l, "days": d})).collect::<Vec<_>>(),
    }))
}
