//! The dispatch board (指调, issue 14 item 2): a county's or city's open
//! disputes and petitions by township and village, red where something is
//! overdue or high-risk, the zero-petition marks (零访 / 清零) by the
//! admin's rule, and dispatch orders (调度令) down to a township or village
//! with their feedback. Rules in `domain::dispatch`.

use crate::api::disputes::rules_of;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::dispatch::{self, AreaFigures, OrderState};
use xinfang_domain::local_date;
use xinfang_domain::petition::State as PState;
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Level, Unit, UnitKind};
use xinfang_store::{NewOrder, OrderRow};

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// A division code inside the caller's area to drill into (a
    /// township: its villages); default the caller's area.
    pub area: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct BoardRow {
    /// The area's division code (a township's 9 digits, a village's 12).
    pub code: String,
    pub name: String,
    /// township or village.
    pub level: String,
    /// The unit a dispatch order to this area goes to, if any.
    pub unit: Option<String>,
    pub open_disputes: i64,
    pub overdue_disputes: i64,
    pub high_risk_disputes: i64,
    pub open_petitions: i64,
    pub overdue_petitions: i64,
    /// Petitions from the area that went upward in the zero-petition period.
    pub upward_petitions: i64,
    pub red: bool,
    /// 零访 / 清零.
    pub zero_petition: bool,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct BoardView {
    pub area: String,
    pub area_name: String,
    /// The whole area's figures (its own place included).
    pub total: BoardRow,
    pub rows: Vec<BoardRow>,
    /// What arose at the area itself and at no area one level down (a
    /// matter placed at the district, no street named), so that `rows`
    /// and `own` add up to `total`; None when there is nothing.
    pub own: Option<BoardRow>,
    /// The zero-petition period, [from, to).
    pub zero_from: String,
    pub zero_to: String,
    pub zero_upward_only: bool,
    /// No map tiles: the board is a tree and a table (the system runs offline).
    pub map: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderInput {
    /// The township's or village's unit code.
    pub to_unit: String,
    pub subject: String,
    pub content: String,
    /// YYYY-MM-DD, today or later.
    pub due_on: String,
    /// The dispute, by its ledger number as shown (`"JF2026-000003"`) or
    /// its id (`3`); one the receiving unit cannot open is refused.
    #[serde(default)]
    pub dispute: Option<DisputeRefInput>,
    /// A petition the sender sees in full and the receiving unit may know of.
    #[serde(default)]
    pub petition: Option<String>,
}

/// A dispute named in an order: its ledger number or its id.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(untagged)]
pub enum DisputeRefInput {
    Id(i64),
    Number(String),
}

#[derive(Serialize, ToSchema, Debug)]
pub struct OrderView {
    pub id: i64,
    pub from_unit: String,
    pub to_unit: String,
    pub to_unit_code: String,
    pub subject: String,
    pub content: String,
    pub due_on: String,
    pub overdue: bool,
    pub dispute: Option<i64>,
    /// The dispute's ledger number (`JF2026-000003`).
    pub dispute_number: Option<String>,
    /// Blank (null) when the caller may not know the petition now (Art. 30:
    /// an accusation sealed from it, or naming it, since the order was sent).
    pub petition: Option<String>,
    /// open, answered or closed.
    pub state: String,
    pub state_label: String,
    pub created_by: String,
    pub created_at: String,
    pub feedback: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
    pub closed_at: Option<String>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// inbox (received, default) or sent.
    #[serde(rename = "box")]
    pub r#box: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct FeedbackInput {
    pub feedback: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderCreated {
    pub id: i64,
}

fn invalid(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

fn require_directs(staff: &Staff) -> ApiResult<()> {
    if staff.user.role == Role::Admin || !dispatch::directs(&staff.unit) {
        return Err(ApiError::forbidden("指挥调度由县（区）、市和乡镇（街道）的信访部门或政府使用"));
    }
    Ok(())
}

fn row(code: &str, name: String, level: &str, unit: Option<String>, f: &AreaFigures) -> BoardRow {
    BoardRow {
        code: code.to_string(),
        name,
        level: level.into(),
        unit,
        open_disputes: f.open_disputes,
        overdue_disputes: f.overdue_disputes,
        high_risk_disputes: f.high_risk_disputes,
        open_petitions: f.open_petitions,
        overdue_petitions: f.overdue_petitions,
        upward_petitions: f.upward_petitions,
        red: f.red(),
        zero_petition: f.zero_petition(),
    }
}

#[utoipa::path(get, path = "/api/v1/dispatch/board", tag = "grassroots", security(("bearer" = [])), params(BoardQuery),
    description = "The dispatch board of the caller's area (or of a township inside it): for each area one level down, open disputes (overdue, high-risk) and open petitions (overdue) whose place lies in it, red when anything is overdue or high-risk, and 零访 / 清零 when no petition from it went upward in the admin's period. A plain table: no map tiles (the system runs offline).",
    responses((status = 200, body = BoardView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn board(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<BoardQuery>) -> ApiResult<Json<BoardView>> {
    require_directs(&staff)?;
    let own = staff.unit.jurisdiction.clone();
    let area = match q.area.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) if a.starts_with(own.as_str()) && a.chars().all(|c| c.is_ascii_digit()) && a.len() < 12 => a.to_string(),
        Some(_) => return Err(invalid("invalid_area", "只能查看本辖区内的乡镇（街道）").at("area")),
        None => own,
    };
    let rules = rules_of(&state).await?;
    let today = local_date(Utc::now());
    let (zero_from, zero_to) = dispatch::zero_period(today, rules.zero_petition_months);
    let open_states: Vec<&str> = PState::ALL.iter().filter(|s| !s.is_terminal()).map(|s| s.as_str()).collect();
    let (day, from, to) = (today.to_string(), zero_from.to_string(), zero_to.to_string());
    let screen = crate::screen::screen_of(&state.tree(), &staff.unit);
    let (disputes, petitions, received, screened) = tokio::try_join!(
        state.store.board_disputes(&area, &day),
        state.store.board_petitions(&area, &open_states, &day),
        state.store.board_received(&area, &from, &to),
        state.store.screened_accusations(&screen),
    )?;
    let tree = state.tree();
    // Figures by child area (and the area's own, for the total).
    let mut by: BTreeMap<String, AreaFigures> = BTreeMap::new();
    let mut total = AreaFigures::default();
    let mut own_figures = AreaFigures::default();
    let mut put = |code: &str, f: AreaFigures| {
        total.add(&f);
        match dispatch::child_area(&area, code) {
            Some(child) => by.entry(child.to_string()).or_default().add(&f),
            None => own_figures.add(&f),
        }
    };
    for d in &disputes {
        put(
            &d.village_code,
            AreaFigures { open_disputes: d.open, overdue_disputes: d.overdue, high_risk_disputes: d.high, ..AreaFigures::default() },
        );
    }
    for p in &petitions {
        put(&p.jurisdiction, AreaFigures { open_petitions: p.open, overdue_petitions: p.overdue, ..AreaFigures::default() });
    }
    let child_level = Level::ALL.into_iter().find(|l| l.division_len() > area.len()).unwrap_or(Level::Village);
    for (code, level, n) in &received {
        let level = Level::parse(level).unwrap_or(Level::County);
        if dispatch::went_upward(level, child_level, rules.zero_petition_upward_only) {
            put(code, AreaFigures { upward_petitions: *n, ..AreaFigures::default() });
        }
    }
    // Art. 30: the accusations the reader may not know of leave every
    // figure, as they leave the dashboard's (crate::screen): a township's
    // board would otherwise count one against its own government.
    for s in screened.iter().filter(|s| s.jurisdiction.starts_with(area.as_str())) {
        let mut minus = AreaFigures::default();
        if open_states.contains(&s.state.as_str()) {
            minus.open_petitions = -1;
            minus.overdue_petitions = -i64::from(s.next_due_on.as_deref().is_some_and(|due| due < day.as_str()));
        }
        let registered_level = tree.get(s.registered_unit_id).map_or(Level::County, |u| u.level);
        if s.received_on.as_str() >= from.as_str()
            && s.received_on.as_str() < to.as_str()
            && dispatch::went_upward(registered_level, child_level, rules.zero_petition_upward_only)
        {
            minus.upward_petitions = -1;
        }
        if minus != AreaFigures::default() {
            put(&s.jurisdiction, minus);
        }
    }
    // Every child area the tree knows (townships with an area-wide unit,
    // villages), figures or not: an area with nothing is the news.
    let child_len = Level::ALL.iter().map(|l| l.division_len()).find(|n| *n > area.len()).unwrap_or(12);
    let mut children: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for u in tree.all().filter(|u| u.jurisdiction.len() == child_len && u.jurisdiction.starts_with(area.as_str())) {
        let fits = match u.level {
            Level::Village => u.kind == UnitKind::Community,
            _ => dispatch::directs(u),
        };
        if !fits {
            continue;
        }
        let e = children.entry(u.jurisdiction.clone()).or_insert_with(|| (String::new(), None));
        // The township's own name (its government's, or the office's less "信访办").
        if e.0.is_empty() || u.kind == UnitKind::Government {
            e.0 = u.name.trim_end_matches("信访办").trim_end_matches("人民政府").to_string();
        }
        if e.1.is_none() || u.kind == UnitKind::PetitionBureau {
            e.1 = Some(u.code.clone());
        }
    }
    for code in by.keys() {
        children.entry(code.clone()).or_insert_with(|| (code.clone(), None));
    }
    let level = if child_len == 12 {
        "village"
    } else if child_len == 9 {
        "township"
    } else {
        Level::of_division(&"0".repeat(child_len)).as_str()
    };
    let names = state.store.division_names(&children.keys().cloned().collect::<Vec<_>>()).await?;
    let mut rows: Vec<BoardRow> = children
        .iter()
        .map(|(code, (name, unit))| {
            let shown = names.get(code).cloned().unwrap_or_else(|| name.clone());
            row(code, shown, level, unit.clone(), &by.get(code).cloned().unwrap_or_default())
        })
        .collect();
    rows.sort_by(|a, b| b.red.cmp(&a.red).then(b.open_disputes.cmp(&a.open_disputes)).then(a.code.cmp(&b.code)));
    let area_name = state.store.division_names(std::slice::from_ref(&area)).await?.remove(&area).unwrap_or_else(|| area.clone());
    let own_row = (own_figures != AreaFigures::default()).then(|| {
        row(
            &area,
            format!("{area_name}本级（未明确{}）", if child_len == 12 { "村、社区" } else { "乡镇、街道" }),
            "own",
            None,
            &own_figures,
        )
    });
    Ok(Json(BoardView {
        own: own_row,
        total: row(&area, area_name.clone(), Level::of_division(&area).as_str(), None, &total),
        area,
        area_name,
        rows,
        zero_from: zero_from.to_string(),
        zero_to: zero_to.to_string(),
        zero_upward_only: rules.zero_petition_upward_only,
        map: false,
    }))
}

fn order_view(state: &AppState, o: &OrderRow) -> OrderView {
    let tree = state.tree();
    let name = |id| tree.get(id).map(|u| u.name.clone()).unwrap_or_default();
    let st = OrderState::parse(&o.state).unwrap_or(OrderState::Open);
    OrderView {
        id: o.id,
        from_unit: name(o.from_unit_id),
        to_unit: name(o.to_unit_id),
        to_unit_code: tree.get(o.to_unit_id).map(|u| u.code.clone()).unwrap_or_default(),
        subject: o.subject.clone(),
        content: o.content.clone(),
        due_on: o.due_on.clone(),
        overdue: st != OrderState::Closed && o.answered_at.is_none() && o.due_on < local_date(Utc::now()).to_string(),
        dispute: o.dispute_id,
        dispute_number: o.dispute_id.zip(o.dispute_recorded_on.as_deref()).map(|(id, on)| xinfang_domain::dispute::number(id, on)),
        petition: o.petition_number.clone(),
        state: o.state.clone(),
        state_label: st.label().into(),
        created_by: o.created_by_name.clone(),
        created_at: o.created_at.clone(),
        feedback: o.feedback.clone(),
        answered_at: o.answered_at.clone(),
        answered_by: o.answered_by_name.clone(),
        closed_at: o.closed_at.clone(),
    }
}

#[utoipa::path(post, path = "/api/v1/dispatch/orders", tag = "grassroots", security(("bearer" = [])), request_body = OrderInput,
    description = "Dispatch an order (调度令) to a township or a village of the caller's area, with a deadline; optionally about a dispute or a petition.",
    responses((status = 201, body = OrderCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<OrderCreated>)> {
    require_directs(&staff)?;
    let to = state.tree().by_code(input.to_unit.trim()).cloned().ok_or_else(|| invalid("unknown_unit", "接收单位不存在").at("to_unit"))?;
    dispatch::check_order_target(&staff.unit, &to)?;
    let subject = xinfang_domain::dispute::text("subject", "调度事项", &input.subject, true, 100)?;
    let content = xinfang_domain::dispute::text("content", "调度要求", &input.content, true, 5000)?;
    let due = xinfang_domain::plain_date(&input.due_on)
        .ok_or_else(|| invalid("invalid_date", "反馈期限格式应为YYYY-MM-DD（2000至2100年）").at("due_on"))?;
    if due < local_date(Utc::now()) {
        return Err(invalid("invalid_date", "反馈期限不能早于今天").at("due_on"));
    }
    let dispute = match &input.dispute {
        Some(d) => Some(order_dispute(&state, &staff, &to, d).await?),
        None => None,
    };
    let petition = match input.petition.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => Some(order_petition(&state, &staff, &to, n).await?),
        None => None,
    };
    let id = state
        .store
        .insert_order(
            &NewOrder {
                from_unit_id: staff.unit.id,
                to_unit_id: to.id,
                subject,
                content,
                due_on: due.to_string(),
                dispute_id: dispute,
                petition_number: petition,
                created_by: staff.user.id,
            },
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(OrderCreated { id })))
}

/// The dispute an order is about: named by its ledger number or id, seen
/// by the sender, and one the receiver can open. A dispute of another
/// township's village is refused rather than opened to the receiver: the
/// ledger's parties are sealed to the village's own chain (docs/grassroots.md
/// "Who sees what"), and an order about it belongs with the township where
/// it lies — a bureau that meant that township sends the order there.
async fn order_dispute(state: &AppState, staff: &Staff, to: &Unit, named: &DisputeRefInput) -> ApiResult<i64> {
    let unreadable = || invalid("invalid_dispute", "矛盾纠纷编号应为台账上的编号，如 JF2026-000003").at("dispute");
    let unknown = || invalid("unknown_dispute", "矛盾纠纷不存在或不在本辖区").at("dispute");
    let (year, id) = match named {
        DisputeRefInput::Id(id) if *id > 0 => (None, *id),
        DisputeRefInput::Id(_) => return Err(unreadable()),
        DisputeRefInput::Number(s) => xinfang_domain::dispute::parse_number(s).ok_or_else(unreadable)?,
    };
    let row = crate::api::disputes::load(state, staff, id).await.map_err(|_| unknown())?;
    if year.is_some_and(|y| row.recorded_on.get(..4) != Some(y.to_string().as_str())) {
        return Err(unknown());
    }
    if !xinfang_domain::dispute::sees(to, &row.village_code, row.handling_unit_id) {
        return Err(invalid(
            "dispute_not_visible_to_receiver",
            "接收单位看不到该矛盾纠纷（不在其辖区），请向纠纷所在的乡镇（街道）或村（社区）下达",
        )
        .at("dispute"));
    }
    Ok(row.id)
}

/// The petition an order is about. The sender must see it in full — a
/// sealed accusation's number is not the sender's to pass on (Art. 30) —
/// and the receiver must be a unit an accusation is not sealed from, else
/// the order itself would tell it of one (the accused, or any unit before
/// the accused is named).
async fn order_petition(state: &AppState, staff: &Staff, to: &Unit, number: &str) -> ApiResult<String> {
    let (rec, view) = crate::api::petitions::load_visible(state, staff, number)
        .await
        .map_err(|_| invalid("unknown_petition", "信访事项不存在").at("petition"))?;
    if view != xinfang_domain::access::View::Full {
        return Err(invalid("petition_not_in_full", "只能关联本单位可以完整查看的信访事项").at("petition"));
    }
    if !crate::api::petitions::unit_may_be_told(state, to, Role::Clerk, &rec.number).await? {
        return Err(invalid("petition_not_visible_to_receiver", "接收单位无权知悉该信访事项，不能在调度令中关联").at("petition"));
    }
    Ok(rec.number)
}

#[utoipa::path(get, path = "/api/v1/dispatch/orders", tag = "grassroots", security(("bearer" = [])), params(OrdersQuery),
    description = "Dispatch orders received by the caller's unit (its inbox, default) or sent by it, newest first.",
    responses((status = 200, body = [OrderView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<OrdersQuery>) -> ApiResult<Json<Vec<OrderView>>> {
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不办理调度令"));
    }
    let inbox = match q.r#box.as_deref() {
        None | Some("") | Some("inbox") => true,
        Some("sent") => false,
        Some(_) => return Err(invalid("invalid_box", "box 应为 inbox 或 sent").at("box")),
    };
    let rows = state.store.orders(&[staff.unit.id], inbox, 500).await?;
    let mut views = Vec::with_capacity(rows.len());
    for o in &rows {
        let mut v = order_view(&state, o);
        // Checked on every read, not only when sent: an accusation may be
        // classified, or may name the caller, after the order went out.
        if let Some(n) = &v.petition
            && !crate::api::petitions::unit_may_be_told(&state, &staff.unit, staff.user.role, n).await?
        {
            v.petition = None;
        }
        views.push(v);
    }
    Ok(Json(views))
}

#[utoipa::path(post, path = "/api/v1/dispatch/orders/{id}/feedback", tag = "grassroots", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = FeedbackInput,
    description = "The receiving unit's feedback on an order (反馈); a later answer replaces the earlier one until the sender closes it.",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feedback(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<FeedbackInput>,
) -> ApiResult<StatusCode> {
    let o = state.store.order(id).await?.filter(|o| o.to_unit_id == staff.unit.id).ok_or_else(|| ApiError::not_found("调度令"))?;
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不办理调度令"));
    }
    let text = xinfang_domain::dispute::text("feedback", "反馈情况", &input.feedback, true, 5000)?;
    if !state.store.answer_order(o.id, &text, staff.user.id, Utc::now()).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "order_closed", "该调度令已办结"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/dispatch/orders/{id}/close", tag = "grassroots", security(("bearer" = [])),
    params(("id" = i64, Path)), description = "The sending unit closes an answered order.",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    require_directs(&staff)?;
    let o = state.store.order(id).await?.filter(|o| o.from_unit_id == staff.unit.id).ok_or_else(|| ApiError::not_found("调度令"))?;
    if !state.store.close_order(o.id, Utc::now()).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "order_not_answered", "调度令尚未反馈或已办结"));
    }
    Ok(StatusCode::NO_CONTENT)
}
