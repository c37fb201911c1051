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
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// The query code given at submission.
    pub code: Option<String>,
}

/// The number and code must match; any mismatch is the same 404.
pub async fn load(state: &AppState, number: &str, code: Option<&str>) -> ApiResult<PetitionRecord> {
    // One answer for an unknown number and a wrong code: neither is told apart.
    let nf = || ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "信访事项编号或查询码不正确");
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
    let mut reads = state.store.petition_reads().await?;
    let (history, notices, letters) = (reads.history(rec.id).await?, reads.notices(rec.id).await?, reads.documents(rec.id).await?);
    drop(reads);
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
        review_unit: c.review_unit.and_then(|id| shown_unit(c, id, &tree)),
        final_review_unit: c.final_review_unit.and_then(|id| shown_unit(c, id, &tree)),
        evaluations: history.iter().filter_map(evaluation).collect(),
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
        deadlines: deadline_views(
            &c.deadlines.iter().filter(|d| d.is_open() && citizen_label(d.kind).is_some()).cloned().collect::<Vec<_>>(),
            today,
        )
        .into_iter()
        .map(|mut d| {
            if let Some(l) = TimerKind::parse(&d.kind).and_then(citizen_label) {
                d.label = l.into();
            }
            d
        })
        .collect(),
        can_evaluate: c.document.as_ref().is_some_and(|d| d.delivered_on.is_some() && !d.evaluated),
        review_window,
        submitted: SubmittedView {
            category: rec.category.as_str().into(),
            category_label: rec.category.label().into(),
            channel_label: rec.channel.label().into(),
            jurisdiction: rec.jurisdiction.clone(),
            jurisdiction_name: place_name(&state, &rec.jurisdiction).await,
            received_on: c.received_on.to_string(),
            request: rec.request.clone(),
            facts_and_reasons: rec.facts_and_reasons.clone(),
        },
        documents: history.iter().filter_map(track_document).collect(),
        letters: letters
            .iter()
            .filter(|d| d.to_petitioner)
            .map(|d| crate::api::letters::LetterView::from_row(d, format!("/api/v1/track/{}/documents/{}", rec.number, d.id)))
            .collect(),
    }))
}

/// An `evaluate` event as the petitioner's own evaluation.
fn evaluation(e: &xinfang_store::EventRecord) -> Option<EvaluationView> {
    use xinfang_domain::petition::Rating;
    use xinfang_domain::procedure::DocumentKind;
    if e.action != "evaluate" {
        return None;
    }
    let rating = Rating::parse(e.payload.get("rating")?.as_str()?)?;
    let document = e.payload.get("document").and_then(|d| serde_json::from_value::<DocumentKind>(d.clone()).ok());
    Some(EvaluationView {
        evaluated_at: e.occurred_at.clone(),
        document: document.and_then(|d| serde_json::to_value(d).ok()).and_then(|v| v.as_str().map(String::from)),
        document_label: document.map(|d| d.label().to_string()),
        rating: rating.as_str().into(),
        rating_label: rating.label().into(),
        reason: e.payload.get("reason").and_then(|r| r.as_str()).map(str::trim).filter(|r| !r.is_empty()).map(String::from),
    })
}

/// A timer in words a petitioner understands; `None` for the units' own
/// internal periods: the objection window between units, and the date an
/// assignment sets the unit for its report to the bureau (the petitioner's
/// date is the statutory one for the opinion, T6).
pub fn citizen_label(kind: TimerKind) -> Option<&'static str> {
    Some(match kind {
        TimerKind::T1 => "信访部门将您的事项转交有关单位的期限",
        TimerKind::T2 | TimerKind::T3 | TimerKind::D2 => "书面告知您是否受理的期限",
        TimerKind::T4 | TimerKind::T5 => return None,
        TimerKind::T6 | TimerKind::S1 => "出具处理意见的期限",
        TimerKind::T7 => "您申请复查的截止日期",
        TimerKind::T8 => "作出复查意见的期限",
        TimerKind::T9 => "您申请复核的截止日期",
        TimerKind::T10 => "作出复核意见的期限",
        TimerKind::D1 => "纪检监察机关登记或转交的期限",
        TimerKind::D3 => "告知处理结果的期限",
    })
}

/// The place of a division code in words, from the province down.
async fn place_name(state: &AppState, code: &str) -> String {
    let mut name = String::new();
    for len in [2, 4, 6, 9, 12] {
        if code.len() < len {
            break;
        }
        if let Ok(Some(d)) = state.store.division(&code[..len]).await {
            name.push_str(&d.name);
        }
    }
    if name.is_empty() { code.to_string() } else { name }
}

/// The label a petitioner reads for a part of a document, per act.
fn item_label(action: &str, field: &str) -> Option<&'static str> {
    Some(match (action, field) {
        (_, "outcome") => "处理结论",
        (_, "request") => "您的投诉请求",
        (_, "facts_and_reasons") => "事实和理由",
        (_, "decision") => "处理意见",
        (_, "legal_basis") => "法律法规依据",
        (_, "text") => "答复内容",
        (_, "adoption") => "是否采纳",
        ("extend", "days") => "延长期限",
        ("extend", "reason") => "延期理由",
        (_, "reason") => "理由",
        (_, "ground") => "不予受理的情形",
        (_, "opinion") => "意见内容",
        (_, "procedure") => "法定途径",
        (_, "guidance") => "告知内容",
        (_, "agreement") => "协议类型",
        (_, "summary") => "协议内容",
        _ => return None,
    })
}

/// A written document of the history as the petitioner reads it: the
/// parts the petitioner is told, in the order of the action's fields,
/// choices in words.
fn track_document(e: &xinfang_store::EventRecord) -> Option<TrackDocument> {
    use xinfang_domain::procedure::actions::{FieldKind, spec};
    let s = spec(&e.action).filter(|s| s.petitioner_sees)?;
    let name = s.document?;
    let items: Vec<TrackItem> = s
        .fields
        .iter()
        .filter_map(|f| {
            let label = item_label(&e.action, f.name)?;
            let v = e.payload.get(f.name)?;
            let text = match (&f.kind, v) {
                (FieldKind::Choice(c), serde_json::Value::String(code)) => {
                    c.options().into_iter().find(|(k, _)| k == code).map(|(_, l)| l.to_string()).unwrap_or_else(|| code.clone())
                }
                (FieldKind::Days, serde_json::Value::Number(n)) => format!("{n}日"),
                (_, serde_json::Value::String(t)) => t.clone(),
                (_, serde_json::Value::Number(n)) => n.to_string(),
                _ => return None,
            };
            (!text.trim().is_empty()).then(|| TrackItem { label: label.into(), text })
        })
        .collect();
    (!items.is_empty()).then(|| TrackDocument { name: name.into(), action: e.action.clone(), issued_at: e.occurred_at.clone(), items })
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
    Ok(Json(for_petitioner(perform(state, rec, cmd, petitioner_now()).await?)))
}

/// An act's answer as the petitioner may read it: only the dates that are
/// theirs or owed to them (`citizen_label`), as on the tracking page — not
/// the units' internal periods (the objection window, an assignment's
/// report date).
fn for_petitioner(mut r: ActionResponse) -> ActionResponse {
    r.deadlines.retain(|d| TimerKind::parse(&d.kind).and_then(citizen_label).is_some());
    r
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
        crate::acting::Done::Acted(r) => Ok(Json(for_petitioner(r)).into_response()),
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
