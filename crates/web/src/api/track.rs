//! The petitioner's side: tracking by number and query code, evaluation,
//! and requests for 复查 / 复核. No internal notes are shown here.

use crate::acting::{Act, perform};
use crate::dto::*;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::intake::query_code_hash;
use crate::state::AppState;
use crate::views::{action_label, deadline_views};
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;
use xinfang_domain::deadline::TimerKind;
use xinfang_domain::local_date;
use xinfang_domain::number::{looks_like_number, looks_like_query_code};
use xinfang_domain::petition::State as PState;
use xinfang_domain::procedure::{Actor, Command};
use xinfang_store::{ActorRef, PetitionRecord};

#[derive(Deserialize, IntoParams)]
pub struct CodeQuery {
    /// The query code given at submission.
    pub code: Option<String>,
}

/// The number and code must match; any mismatch is the same 404.
pub async fn load(state: &AppState, number: &str, code: Option<&str>) -> ApiResult<PetitionRecord> {
    let nf = || ApiError::not_found("信访事项（或查询码不正确）");
    let code = code.map(str::trim).filter(|c| looks_like_query_code(c)).ok_or_else(nf)?;
    if !looks_like_number(number) {
        return Err(nf());
    }
    let rec = state.store.petition_by_number(number).await?.ok_or_else(nf)?;
    if rec.query_code_hash != query_code_hash(&state.keyring, code) {
        return Err(nf());
    }
    Ok(rec)
}

#[utoipa::path(get, path = "/api/v1/track/{number}", tag = "track", params(("number" = String, Path), CodeQuery),
    responses((status = 200, body = TrackView), (status = 404, body = ErrorBody)))]
pub async fn view(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
) -> ApiResult<Json<TrackView>> {
    let rec = load(&state, &number, q.code.as_deref()).await?;
    let tree = state.tree();
    let (history, notices) = tokio::try_join!(state.store.history(rec.id), state.store.notices(rec.id))?;
    let today = local_date(Utc::now());
    let c = &rec.case;
    let review_window = [(PState::Replied, TimerKind::T7, "review"), (PState::Reviewed, TimerKind::T9, "final_review")]
        .into_iter()
        .find(|(s, _, _)| *s == c.state)
        .and_then(|(_, k, kind)| c.timer(k).map(|t| (t, kind)))
        .filter(|(t, _)| t.is_open() && today <= t.due_on)
        .map(|(t, kind)| {
            let decided_by =
                if kind == "review" { c.handling_unit.unwrap_or(c.current_unit) } else { c.review_unit.unwrap_or(c.current_unit) };
            ReviewWindow {
                kind: kind.into(),
                due_on: t.due_on.to_string(),
                days_left: (t.due_on - today).num_days(),
                units: tree.review_options(decided_by).into_iter().map(crate::views::unit_ref).collect(),
            }
        });
    Ok(Json(TrackView {
        number: rec.number.clone(),
        title: rec.title.clone(),
        state: rec.state.as_str().into(),
        state_label: rec.state.label().into(),
        registered_at: xinfang_store::fmt_instant(rec.registered_at),
        // An accuser is never shown a unit of the accused's chain (Art. 30).
        current_unit: shown_unit(c, c.current_unit, &tree),
        handling_unit: c.handling_unit.and_then(|id| shown_unit(c, id, &tree)),
        progress: history
            .iter()
            // Internal acts stay internal: the action table says which.
            .filter(|e| xinfang_domain::procedure::actions::petitioner_sees(&e.action))
            .map(|e| ProgressStep {
                occurred_at: e.occurred_at.clone(),
                action: e.action.clone(),
                label: action_label(&e.action).into(),
                state: PState::parse(&e.to_state).map(|s| s.label()).unwrap_or_default().into(),
            })
            .collect(),
        notices: notices.into_iter().map(|n| NoticeView { created_at: n.created_at, body: n.body }).collect(),
        deadlines: deadline_views(&c.deadlines.iter().filter(|d| d.is_open()).cloned().collect::<Vec<_>>(), today),
        can_evaluate: c.document.as_ref().is_some_and(|d| d.delivered_on.is_some() && !d.evaluated),
        review_window,
    }))
}

fn petitioner_now() -> Act {
    let now = Utc::now();
    Act {
        actor: Actor::Petitioner,
        actor_ref: ActorRef { kind: "petitioner", user_id: None, unit_id: None },
        on: local_date(now),
        occurred_at: now,
        extra: serde_json::Map::new(),
    }
}

async fn petitioner_act(state: &AppState, rec: PetitionRecord, cmd: Command) -> ApiResult<Json<ActionResponse>> {
    Ok(Json(perform(state, rec, cmd, petitioner_now()).await?))
}

#[utoipa::path(post, path = "/api/v1/track/{number}/evaluation", tag = "track", params(("number" = String, Path), CodeQuery), request_body = EvaluationInput,
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
    ApiJson(input): ApiJson<EvaluationInput>,
) -> ApiResult<Json<ActionResponse>> {
    let rec = load(&state, &number, input.code.as_deref().or(q.code.as_deref())).await?;
    // Through the action table like every act: faults name the field and the article.
    let mut body = serde_json::Map::new();
    if !input.rating.trim().is_empty() {
        body.insert("rating".into(), serde_json::Value::from(input.rating.trim()));
    }
    body.insert("reason".into(), serde_json::Value::from(input.reason));
    let cmd = Command::from_json_all("evaluate", serde_json::Value::Object(body))
        .map_err(|errs| ApiError::from_all(errs).unwrap_or_else(ApiError::internal))?;
    petitioner_act(&state, rec, cmd).await
}

#[utoipa::path(post, path = "/api/v1/track/{number}/review-request", tag = "track", params(("number" = String, Path), CodeQuery), request_body = ReviewRequestInput,
    description = "Requests 复查 after a decision letter, or 复核 after a review opinion, within 30 days of receipt (Art. 35, 36).",
    responses((status = 200, body = ActionResponse), (status = 202, body = crate::dto::ApprovalRequested, description = "Late, with a good reason: filed for the reviewing unit's head"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review_request(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
    ApiJson(input): ApiJson<ReviewRequestInput>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let rec = load(&state, &number, input.code.as_deref().or(q.code.as_deref())).await?;
    let (unit, good_reason) = (input.unit.filter(|u| !u.trim().is_empty()), input.good_reason.filter(|g| !g.trim().is_empty()));
    let cmd = match rec.case.state {
        PState::Reviewed => Command::RequestFinalReview { unit, reason: input.reason, good_reason },
        _ => Command::RequestReview { unit, reason: input.reason, good_reason },
    };
    match crate::acting::perform_or_request(&state, rec, cmd, petitioner_now(), None).await? {
        crate::acting::Done::Acted(r) => Ok(Json(r).into_response()),
        crate::acting::Done::Requested(r) => Ok((axum::http::StatusCode::ACCEPTED, Json(r)).into_response()),
    }
}

/// The name of a unit as the petitioner may see it: withheld when the unit
/// is in the accused's chain of an accusation.
fn shown_unit(
    c: &xinfang_domain::procedure::Case,
    unit: xinfang_domain::unit::UnitId,
    tree: &xinfang_domain::unit::UnitTree,
) -> Option<String> {
    let in_chain =
        c.category == xinfang_domain::petition::Category::Accusation && c.accused_unit.is_some_and(|a| tree.in_accused_chain(unit, a));
    if in_chain { Some("有关机关".into()) } else { tree.get(unit).map(|u| u.name.clone()) }
}
