//! Backlog clearance campaigns (积案化解, issue 12 item 3): list a unit's
//! long-unresolved petitions with a target, put an owner leader on each
//! (the same 包案 as on one petition), follow the progress. Rules in
//! `domain::campaign`.

use crate::api::dashboard::scope_units;
use crate::api::leadership::{LeadInput, assign, check_leader_sees, leader_of};
use crate::auth::Staff;
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::tables::{self, Cell, Format, Table};
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{self, View};
use xinfang_domain::campaign::{self, MAX_ITEMS, Progress};
use xinfang_domain::leadership::MANAGERS;
use xinfang_domain::local_date;
use xinfang_domain::petition::State as PetitionState;
use xinfang_domain::unit::UnitTree;
use xinfang_store::{CampaignItemRow, CampaignRow, NewCampaign};

#[derive(Deserialize, ToSchema)]
pub struct CampaignInput {
    pub name: String,
    /// Open petitions received more than this many days ago (at least 90).
    pub older_than_days: u32,
    /// The share to resolve, 1–100 (%).
    pub target_percent: u32,
    /// By when, `YYYY-MM-DD`.
    pub target_on: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct CampaignView {
    pub id: i64,
    pub unit: UnitRef,
    pub name: String,
    pub older_than_days: i64,
    pub target_percent: i64,
    pub target_on: String,
    pub started_on: String,
    pub created_by: String,
    pub total: u64,
    pub resolved: u64,
    /// Items with an owner leader now.
    pub owned: i64,
    /// resolved ÷ total.
    pub rate: Option<f64>,
    /// The share expected by now at an even pace to the target.
    pub expected_now: f64,
    pub on_track: bool,
    pub days_left: i64,
    pub met: bool,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct CampaignItemView {
    #[serde(skip)]
    #[schema(ignore)]
    pub petition_id: i64,
    pub number: String,
    pub title: String,
    pub received_on: String,
    pub days_open: i64,
    pub state_at_start: String,
    pub state: String,
    pub state_label: String,
    pub resolved: bool,
    pub handling_unit: Option<UnitRef>,
    /// The owner leader's name (包案), if any.
    pub leader: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignDetail {
    pub campaign: CampaignView,
    pub items: Vec<CampaignItemView>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkLead {
    /// Open items that got the leader.
    pub assigned: u64,
    /// Items left as they were: resolved, or with an owner already.
    pub skipped: u64,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

fn require_manager(staff: &Staff) -> ApiResult<()> {
    if MANAGERS.contains(&staff.user.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden("积案化解专项由领导、单位负责人或督办人员组织"))
    }
}

fn view(state: &AppState, c: &CampaignRow, today: NaiveDate) -> CampaignView {
    let p: Progress = campaign::progress(c.total as u64, c.resolved as u64, c.started_on, c.target_on, c.target_percent as u32, today);
    CampaignView {
        id: c.id,
        unit: state.tree().get(c.unit_id).map(unit_ref).unwrap_or_default(),
        name: c.name.clone(),
        older_than_days: c.older_than_days,
        target_percent: c.target_percent,
        target_on: c.target_on.to_string(),
        started_on: c.started_on.to_string(),
        created_by: c.created_by.clone(),
        total: p.total,
        resolved: p.resolved,
        owned: c.owned,
        rate: p.rate,
        expected_now: p.expected_now,
        on_track: p.on_track,
        days_left: p.days_left,
        met: p.met,
    }
}

/// An item as `staff` may see it: `None` when the petition must look as if
/// it did not exist to that unit (the accused's chain, Art. 30); a sealed
/// accusation under a neutral title.
fn item(state: &AppState, staff: &Staff, tree: &UnitTree, i: &CampaignItemRow, today: NaiveDate) -> Option<CampaignItemView> {
    let v = access::view(&i.case, i.confidential, staff.unit.id, staff.user.role, tree);
    if v == View::Hidden {
        return None;
    }
    let st = PetitionState::parse(&i.state);
    Some(CampaignItemView {
        petition_id: i.petition_id,
        number: i.number.clone(),
        title: crate::views::shown_title(&i.title, v).to_string(),
        received_on: i.received_on.to_string(),
        days_open: (today - i.received_on).num_days(),
        state_at_start: i.state_at_start.clone(),
        state: i.state.clone(),
        state_label: st.map(|s| s.label().to_string()).unwrap_or_else(|| i.state.clone()),
        resolved: st.is_some_and(campaign::resolved),
        handling_unit: i.handling_unit_id.and_then(|u| state.tree().get(u).map(unit_ref)),
        leader: i.leader.clone(),
    })
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "supervision", security(("bearer" = [])), request_body = CampaignInput,
    description = "积案化解: start a backlog clearance campaign of the caller's unit — every open petition of its scope (a bureau: its area) received more than `older_than_days` (≥ 90) days ago is listed, with its state now — and a target (the share resolved by `target_on`). Leaders, unit heads and supervisors.",
    responses((status = 201, body = CampaignView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<CampaignInput>,
) -> ApiResult<(StatusCode, Json<CampaignView>)> {
    require_manager(&staff)?;
    let today = local_date(Utc::now());
    let target_on = NaiveDate::parse_from_str(input.target_on.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_date", "目标日期格式应为YYYY-MM-DD").at("target_on"))?;
    campaign::check(&input.name, input.older_than_days, input.target_percent, target_on, today)?;
    let units: Vec<i64> = scope_units(&state.tree(), &staff.unit).into_iter().collect();
    let before = today - Duration::days(i64::from(input.older_than_days));
    // Accusations are sealed (Art. 30): a campaign lists them only in the
    // discipline body's own.
    let accusations = staff.unit.kind == xinfang_domain::unit::UnitKind::DisciplineBody;
    let items = state.store.backlog(&units, before, MAX_ITEMS + 1, accusations).await?;
    if items.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_backlog",
            format!("没有受理超过{}日仍未办结的事项", input.older_than_days),
        ));
    }
    if items.len() > MAX_ITEMS {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many", format!("积案超过{MAX_ITEMS}件，请提高天数或分单位开展")));
    }
    let created = state
        .store
        .create_campaign(
            &NewCampaign {
                unit_id: staff.unit.id,
                name: input.name.trim().to_string(),
                older_than_days: i64::from(input.older_than_days),
                target_percent: i64::from(input.target_percent),
                target_on,
                started_on: today,
                created_by: staff.user.id,
                created_at: Utc::now(),
            },
            &items,
        )
        .await;
    let id = match created {
        Ok(id) => id,
        Err(xinfang_store::StoreError::Conflict) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "already_exists", format!("本单位已有名为“{}”的专项行动", input.name.trim())));
        }
        Err(e) => return Err(e.into()),
    };
    let c = state.store.campaign(id).await?.ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(view(&state, &c, today))))
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "supervision", security(("bearer" = [])),
    description = "The caller's unit's campaigns, newest first, with their progress.",
    responses((status = 200, body = [CampaignView]), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<CampaignView>>> {
    require_manager(&staff)?;
    let today = local_date(Utc::now());
    Ok(Json(state.store.campaigns_of(staff.unit.id).await?.iter().map(|c| view(&state, c, today)).collect()))
}

/// A campaign of the caller's unit, or of a unit below it (a city follows
/// its districts' campaigns); changes only by the unit's own managers.
async fn visible(state: &AppState, staff: &Staff, id: i64) -> ApiResult<CampaignRow> {
    require_manager(staff)?;
    let c = state.store.campaign(id).await?.ok_or_else(|| ApiError::not_found("专项行动"))?;
    let tree = state.tree();
    let seen = c.unit_id == staff.unit.id || tree.get(c.unit_id).is_some_and(|u| crate::api::statistics::may_see(&tree, &staff.unit, u));
    if seen { Ok(c) } else { Err(ApiError::not_found("专项行动")) }
}

/// A campaign and its items (shared by the API and the page).
pub async fn detail_of(state: &AppState, staff: &Staff, id: i64) -> ApiResult<CampaignDetail> {
    let c = visible(state, staff, id).await?;
    let today = local_date(Utc::now());
    let tree = state.tree();
    // Per reader: an item's view changes after it was listed (Art. 30).
    let items = state.store.campaign_items(id).await?.iter().filter_map(|i| item(state, staff, &tree, i, today)).collect();
    Ok(CampaignDetail { campaign: view(state, &c, today), items })
}

fn as_table(d: &CampaignDetail) -> Table {
    Table {
        title: d.campaign.name.clone(),
        header: ["信访件编号", "标题", "收到日期", "已历时（日）", "开始时状态", "当前状态", "是否化解", "责任单位", "包案领导"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: d
            .items
            .iter()
            .map(|i| {
                vec![
                    Cell::text(i.number.clone()),
                    Cell::text(i.title.clone()),
                    Cell::text(i.received_on.clone()),
                    Cell::count(i.days_open),
                    Cell::text(PetitionState::parse(&i.state_at_start).map_or(i.state_at_start.clone(), |s| s.label().to_string())),
                    Cell::text(i.state_label.clone()),
                    Cell::text(if i.resolved { "是" } else { "否" }),
                    Cell::text(i.handling_unit.as_ref().map(|u| u.name.clone()).unwrap_or_default()),
                    Cell::text(i.leader.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = i64, Path), CampaignQuery),
    description = "A campaign with each listed petition's state now and owner leader; `format=csv|xlsx` gives the list as a file.",
    responses((status = 200, body = CampaignDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CampaignQuery>,
) -> ApiResult<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let d = detail_of(&state, &staff, id).await?;
    match format {
        None => Ok(Json(d).into_response()),
        Some(f) => tables::file_response(&[as_table(&d)], f, &format!("campaign-{id}")),
    }
}

/// Put `leader` on every open item of the campaign without an owner.
pub async fn lead_all(state: &AppState, staff: &Staff, id: i64, input: &LeadInput) -> ApiResult<BulkLead> {
    let d = detail_of(state, staff, id).await?;
    if d.campaign.unit.code != staff.unit.code {
        return Err(ApiError::forbidden("只有开展专项的单位可以统一指定包案领导"));
    }
    // Everything checked before anything is assigned: a leader who does
    // not exist, may not own cases or cannot see one of the items is
    // refused with none of them assigned.
    let (_, sight) = leader_of(state, staff, input).await?;
    // An item that has become an accusation sealed from this unit is
    // skipped: the unit no longer directs it (Art. 30; `assign` refuses).
    let tree = state.tree();
    let sealed: std::collections::HashSet<i64> = state
        .store
        .campaign_items(id)
        .await?
        .iter()
        .filter(|i| access::view(&i.case, i.confidential, staff.unit.id, staff.user.role, &tree) == View::Sealed)
        .map(|i| i.petition_id)
        .collect();
    let todo: Vec<&CampaignItemView> =
        d.items.iter().filter(|i| !i.resolved && i.leader.is_none() && !sealed.contains(&i.petition_id)).collect();
    for i in &todo {
        check_leader_sees(state, i.petition_id, &sight).await?;
    }
    for i in &todo {
        assign(state, staff, &i.number, input).await?;
    }
    Ok(BulkLead { assigned: todo.len() as u64, skipped: (d.items.len() - todo.len()) as u64 })
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/lead", tag = "supervision", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = LeadInput,
    description = "领导包案 for a whole campaign: the leader owns every open listed petition that has no owner yet (each recorded on its petition as a single 包案 would be); one that has become an accusation sealed from the campaign's unit is skipped (Art. 30).",
    responses((status = 200, body = BulkLead), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_lead(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<LeadInput>,
) -> ApiResult<Json<BulkLead>> {
    Ok(Json(lead_all(&state, &staff, id, &input).await?))
}
