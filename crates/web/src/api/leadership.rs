//! Leaders owning cases (包案), triage tracks (马上办 / 限时办 / 提级办) and
//! escalation to the joint conference (issue 12, item 3). Rules in
//! `domain::leadership`; rows and history events in `store::leadership`.

use crate::api::petitions::load_visible;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::views::withheld;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use xinfang_domain::access::{View, view};
use xinfang_domain::leadership::{self, Track};
use xinfang_domain::role::Role;
use xinfang_store::{PetitionRecord, Visibility};

/// The three roles on a petition, and what management it is under.
#[derive(Serialize, ToSchema, Debug)]
pub struct LeadershipView {
    /// The unit that accepted (registered) the petition: drives the procedure.
    pub accepting_unit: Option<String>,
    /// The owner leader (包案领导): coordinates.
    pub owner_leader: Option<OwnerView>,
    /// The handling unit: solves.
    pub handling_unit: Option<String>,
    pub track: Option<TrackView>,
    pub escalations: Vec<EscalationView>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct OwnerView {
    pub name: String,
    pub unit: String,
    pub assigned_at: String,
    pub note: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct TrackView {
    /// immediate, time_limited or escalated.
    pub track: String,
    pub label: String,
    pub due_on: Option<String>,
    pub note: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct EscalationView {
    pub id: i64,
    pub to_unit: String,
    pub reason: String,
    pub by: String,
    pub at: String,
    pub records: Vec<RecordView>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct RecordView {
    pub at: String,
    pub by: String,
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
pub struct LeadInput {
    /// The leader's username.
    pub leader: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
pub struct TrackInput {
    /// immediate (马上办), time_limited (限时办, needs `due_on`), escalated (提级办).
    pub track: String,
    #[serde(default)]
    pub due_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
pub struct EscalationInput {
    pub reason: String,
    /// The joint conference's unit code; default: the one for the petition's area.
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RecordInput {
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// A case a leader owns.
#[derive(Serialize, ToSchema, Debug)]
pub struct LedCaseView {
    pub number: String,
    pub title: String,
    pub state: String,
    pub state_label: String,
    pub next_due_on: Option<String>,
    pub track: Option<String>,
    pub track_label: Option<String>,
    pub track_due_on: Option<String>,
    pub assigned_at: String,
}

impl LeadershipView {
    /// The block as a unit with view `v` of the petition may read it: on a
    /// sealed accusation the escalation reasons, coordination records and
    /// the owner's and track's notes are withheld (they may quote it).
    pub fn seen(mut self, v: View) -> LeadershipView {
        if v != View::Sealed {
            return self;
        }
        if let Some(o) = &mut self.owner_leader {
            o.note = withheld(std::mem::take(&mut o.note));
        }
        if let Some(t) = &mut self.track {
            t.note = withheld(std::mem::take(&mut t.note));
        }
        for e in &mut self.escalations {
            e.reason = withheld(std::mem::take(&mut e.reason));
            for r in &mut e.records {
                r.text = withheld(std::mem::take(&mut r.text));
            }
        }
        self
    }
}

/// The view of a petition's leadership (shared by the API and the page),
/// unredacted: apply `LeadershipView::seen` with the reader's view.
pub async fn view_of(state: &AppState, rec: &PetitionRecord) -> ApiResult<LeadershipView> {
    let l = state.store.leadership(rec.id).await?;
    let tree = state.tree();
    let unit_name = |id: i64| tree.get(id).map(|u| u.name.clone()).unwrap_or_default();
    Ok(LeadershipView {
        accepting_unit: Some(unit_name(rec.case.registered_unit)),
        owner_leader: l.lead.map(|o| OwnerView {
            name: o.leader_name,
            unit: unit_name(o.leader_unit_id),
            assigned_at: xinfang_store::fmt_instant(o.assigned_at),
            note: o.note,
        }),
        handling_unit: rec.case.handling_unit.map(unit_name),
        track: l.track.map(|t| TrackView {
            label: Track::parse(&t.track).map(|x| x.label()).unwrap_or_default().into(),
            track: t.track,
            due_on: t.due_on.map(|d| d.to_string()),
            note: t.note,
        }),
        escalations: l
            .escalations
            .into_iter()
            .map(|e| EscalationView {
                id: e.id,
                to_unit: unit_name(e.to_unit_id),
                reason: e.reason,
                by: e.escalated_by,
                at: xinfang_store::fmt_instant(e.escalated_at),
                records: e.records.into_iter().map(|(at, by, text)| RecordView { at: xinfang_store::fmt_instant(at), by, text }).collect(),
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/petitions/{number}/leadership", tag = "petitions", security(("bearer" = [])),
    description = "The three roles on a petition (accepting unit, owner leader, handling unit), its triage track and its escalations. On a sealed accusation (Art. 30) the escalation reasons, coordination records and notes read \"[依规不予显示]\".",
    params(("number" = String, Path)),
    responses((status = 200, body = LeadershipView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, staff: Staff, ApiPath(number): ApiPath<String>) -> ApiResult<Json<LeadershipView>> {
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    Ok(Json(view_of(&state, &rec).await?.seen(v)))
}

/// The leader an assignment names, checked: an active account in a role
/// that may own cases, by someone who may assign; with the units whose
/// sight the leader has (their unit, and the government it acts for).
pub async fn leader_of(state: &AppState, staff: &Staff, input: &LeadInput) -> ApiResult<(xinfang_store::User, Visibility)> {
    let leader =
        state.store.user_by_username(input.leader.trim()).await?.filter(|u| u.active).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_leader", "包案领导的账号不存在或已停用").at("leader")
        })?;
    leadership::check_lead(staff.user.role, leader.role, &input.note)?;
    let tree = state.tree();
    let mut unit_ids = vec![leader.unit_id];
    if let Some(g) = tree.territorial_government(leader.unit_id).filter(|g| tree.acts_for(leader.unit_id, g.id)) {
        unit_ids.push(g.id);
    }
    Ok((leader, Visibility { unit_ids }))
}

/// The leader must be able to see the case they own: their unit reaches
/// it, and it is not hidden from their unit (the accused's chain, Art. 30).
/// `sight` is `leader_of`'s, the leader's own unit first.
pub async fn check_leader_sees(state: &AppState, petition_id: i64, sight: &Visibility) -> ApiResult<()> {
    let refused =
        || ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "leader_cannot_see", "该领导所在单位无权查看此信访事项，不能包案").at("leader");
    if !state.store.petition_visible(petition_id, sight).await? {
        return Err(refused());
    }
    let Some(leader_unit) = sight.unit_ids.first().copied() else { return Err(refused()) };
    let Some((case, confidential)) = state.store.petition_access(petition_id).await? else { return Err(refused()) };
    // Only whether it is hidden matters here, and that does not depend on
    // the role (`access::view` decides it before looking at the role).
    if view(&case, confidential, leader_unit, Role::Leader, &state.tree()) == View::Hidden {
        return Err(refused());
    }
    Ok(())
}

/// Assign the owner leader (shared by the API and the page).
/// A unit that may only know a sealed accusation exists does not direct
/// its handling (Art. 30): its leads, tracks, escalations and records
/// would be written blind, and which leaders it may name would hint at
/// who is accused.
fn not_sealed(v: View) -> ApiResult<()> {
    if v == View::Sealed {
        return Err(ApiError::forbidden(
            "检举控告事项由纪检监察机关办理，本单位不能安排包案、处置方式或提级协调（《信访工作条例》第三十条）",
        ));
    }
    Ok(())
}

pub async fn assign(state: &AppState, staff: &Staff, number: &str, input: &LeadInput) -> ApiResult<()> {
    let (rec, v) = load_visible(state, staff, number).await?;
    not_sealed(v)?;
    let (leader, sight) = leader_of(state, staff, input).await?;
    check_leader_sees(state, rec.id, &sight).await?;
    let ev = staff.record_event(&rec, "lead_assigned", json!({"leader": leader.display_name, "note": input.note.trim()}), None);
    state.store.set_lead(rec.id, leader.id, staff.user.id, input.note.trim(), &ev).await?;
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/petitions/{number}/lead", tag = "petitions", security(("bearer" = [])),
    description = "领导包案: make a leader (role leader or unit_head, of a unit that sees the petition) its owner. Leaders, unit heads and supervisors.",
    params(("number" = String, Path)), request_body = LeadInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_lead(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<LeadInput>,
) -> ApiResult<StatusCode> {
    assign(&state, &staff, &number, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the track (shared by the API and the page).
pub async fn set_track(state: &AppState, staff: &Staff, number: &str, input: &TrackInput) -> ApiResult<()> {
    let (rec, v) = load_visible(state, staff, number).await?;
    not_sealed(v)?;
    let track = Track::parse(input.track.trim()).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_track", "处置方式应为马上办、限时办或提级办").at("track")
    })?;
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let due_on = if track == Track::TimeLimited { input.due_on } else { None };
    leadership::check_track(staff.user.role, track, due_on, today, &input.note)?;
    let ev = staff.record_event(
        &rec,
        "track_set",
        json!({"track": track.as_str(), "label": track.label(), "due_on": due_on, "note": input.note.trim()}),
        None,
    );
    state.store.set_track(rec.id, track.as_str(), due_on, staff.user.id, input.note.trim(), &ev).await?;
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/petitions/{number}/track", tag = "petitions", security(("bearer" = [])),
    description = "马上办 / 限时办 / 提级办 for a petition. Leaders, unit heads and supervisors.",
    params(("number" = String, Path)), request_body = TrackInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_track(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<TrackInput>,
) -> ApiResult<StatusCode> {
    set_track(&state, &staff, &number, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Escalate to the joint conference (shared by the API and the page).
pub async fn escalate(state: &AppState, staff: &Staff, number: &str, input: &EscalationInput) -> ApiResult<i64> {
    let (rec, v) = load_visible(state, staff, number).await?;
    not_sealed(v)?;
    leadership::check_escalation(staff.user.role, &input.reason)?;
    let tree = state.tree();
    let unit = match input.unit.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => tree.by_code(code).filter(|u| u.kind == xinfang_domain::unit::UnitKind::JointConference).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_a_joint_conference", format!("“{code}”不是信访工作联席会议")).at("unit")
        })?,
        None => tree.joint_conference_for(&rec.jurisdiction).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_joint_conference", "该地区没有信访工作联席会议，无法提级办理")
        })?,
    }
    .clone();
    // A resent form (a double click, a reload) must not escalate twice.
    if state.store.leadership(rec.id).await?.escalations.iter().any(|e| e.to_unit_id == unit.id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_escalated",
            format!("该信访事项已提级至{}，请在原提级记录中继续协调", unit.name),
        ));
    }
    let ev = staff.record_event(
        &rec,
        "escalated",
        json!({"to_unit": unit.code, "to_unit_name": unit.name}),
        Some(input.reason.trim().to_string()),
    );
    Ok(state.store.escalate(rec.id, (unit.id, &unit.path), staff.user.id, input.reason.trim(), &ev).await?)
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/escalations", tag = "petitions", security(("bearer" = [])),
    description = "提级办: escalate to the joint conference of the petition's area (or the one named). Leaders, unit heads and supervisors.",
    params(("number" = String, Path)), request_body = EscalationInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_escalation(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<EscalationInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = escalate(&state, &staff, &number, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/escalations/{id}/records", tag = "petitions", security(("bearer" = [])),
    description = "A coordination record of an escalation: staff of the joint conference it went to, or the managers who escalated it.",
    params(("number" = String, Path), ("id" = i64, Path)), request_body = RecordInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_record(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((number, id)): ApiPath<(String, i64)>,
    ApiJson(input): ApiJson<RecordInput>,
) -> ApiResult<StatusCode> {
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    not_sealed(v)?;
    leadership::check_record(&input.text)?;
    let l = state.store.leadership(rec.id).await?;
    let esc = l.escalations.iter().find(|e| e.id == id).ok_or_else(|| ApiError::not_found("提级办理记录"))?;
    let at_conference = staff.unit.id == esc.to_unit_id;
    if !at_conference && !leadership::MANAGERS.contains(&staff.user.role) {
        return Err(ApiError::forbidden("协调记录由联席会议或提级的领导填写"));
    }
    let ev = staff.record_event(&rec, "coordination_recorded", json!({"escalation": id}), Some(input.text.trim().to_string()));
    if !state.store.add_escalation_record(rec.id, id, staff.user.id, input.text.trim(), &ev).await? {
        return Err(ApiError::not_found("提级办理记录"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The cases the caller owns (shared by the API and the page).
pub async fn my_cases(state: &AppState, staff: &Staff) -> ApiResult<Vec<LedCaseView>> {
    let rows = state.store.led_by(staff.user.id).await?;
    let tree = state.tree();
    Ok(rows
        .into_iter()
        .filter_map(|c| {
            // Read anew: a case owned as a claim may since have become an
            // accusation sealed from, or hidden from, the leader's unit.
            let v = view(&c.case, c.confidential, staff.unit.id, staff.user.role, &tree);
            let title = match v {
                View::Hidden => return None,
                View::Sealed => crate::views::SEALED_TITLE.into(),
                // A confidential petition's title stays in its own page.
                _ if c.confidential => "（保密事项）".into(),
                _ => c.title,
            };
            Some(LedCaseView {
                state_label: xinfang_domain::petition::State::parse(&c.state).map(|s| s.label()).unwrap_or_default().into(),
                track_label: c.track.as_deref().and_then(Track::parse).map(|t| t.label().to_string()),
                number: c.number,
                title,
                state: c.state,
                next_due_on: c.next_due_on.map(|d| d.to_string()),
                track: c.track,
                track_due_on: c.track_due_on.map(|d| d.to_string()),
                assigned_at: xinfang_store::fmt_instant(c.assigned_at),
            })
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/leader/cases", tag = "petitions", security(("bearer" = [])),
    description = "The cases the caller owns as 包案领导, nearest due first. A case now hidden from the caller's unit (the accused's chain, Art. 30) is left out; a sealed accusation shows 检举控告事项 as its title.",
    responses((status = 200, body = [LedCaseView]), (status = 401, body = ErrorBody)))]
pub async fn cases(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<LedCaseView>>> {
    if !leadership::OWNERS.contains(&staff.user.role) && staff.user.role != Role::Supervisor {
        return Ok(Json(Vec::new()));
    }
    Ok(Json(my_cases(&state, &staff).await?))
}
