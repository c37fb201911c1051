//! `PUT /api/v1/petitions/{number}/repeat` (issue 13, item 2): staff record
//! whether a petition is a 重件 (linked to the first petition of its chain)
//! or a 初件, after looking at the candidates of `similar`. The rule is in
//! `xinfang_domain::repeats`; the link is `repeat_of`, which the metrics
//! count, and the finding is an event of the petition's chain.

use super::petitions::{load_visible, require_full};
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use xinfang_domain::petition::RepeatVerdict;
use xinfang_domain::repeats::{self, Finding};
use xinfang_store::{EventDraft, PetitionRecord};

/// Longest chain of links followed to the first petition.
const MAX_CHAIN: usize = 20;

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RepeatInput {
    /// `repeat` (重件) or `first` (初件).
    pub verdict: String,
    /// With `repeat`: the number of the earlier petition it repeats (the
    /// link goes to the first petition of that one's chain).
    pub first: Option<String>,
    /// Why, optional (at most 500 characters): kept in the history.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct RepeatFinding {
    pub number: String,
    /// `repeat` or `first`.
    pub verdict: String,
    /// 重件 or 初件.
    pub verdict_label: String,
    /// The first petition of the chain, for a 重件.
    pub first: Option<String>,
    /// The first petition was concluded after 复核: the same facts and
    /// reasons are not accepted again (Art. 36). The `decline` action with
    /// ground `concluded_after_final_review` is now open for the clerk to
    /// confirm.
    pub no_longer_accepted: bool,
    /// What to do next, in Chinese.
    pub message: String,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message).at(field)
}

#[utoipa::path(put, path = "/api/v1/petitions/{number}/repeat", tag = "intelligence", request_body = RepeatInput, security(("bearer" = [])),
    params(("number" = String, Path, description = "Petition number")),
    description = "Record the 初件 / 重件 finding: link this petition as a repeat of an earlier one the caller sees in full, or confirm it as a first petition. Staff of the unit holding it (clerk, handling officer, unit head). Registration takes the same finding as its `repeat` field.",
    responses((status = 200, body = RepeatFinding), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<RepeatInput>,
) -> ApiResult<Json<RepeatFinding>> {
    let asked = parse(&input)?;
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    require_full(v)?;
    let asked = check(&state, &staff, asked, Some(&rec)).await?;
    Ok(Json(apply(&state, &staff, rec, asked).await?))
}

/// A finding as asked, its fields checked (`parse`), and then its first
/// petition found (`check`).
pub struct Asked {
    verdict: RepeatVerdict,
    reason: Option<String>,
    first_number: Option<String>,
    first: Option<PetitionRecord>,
    same_petition: bool,
}

/// The finding's own fields: a verdict, a first petition exactly for a
/// repeat, a reason of at most 500 characters. Errors name the field.
pub fn parse(input: &RepeatInput) -> ApiResult<Asked> {
    let verdict =
        RepeatVerdict::parse(input.verdict.trim()).ok_or_else(|| invalid("verdict", "认定须为 repeat（重件）或 first（初件）"))?;
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
    if reason.as_deref().is_some_and(|r| r.chars().count() > 500) {
        return Err(invalid("reason", "理由不能超过500字"));
    }
    let first_number = input.first.as_deref().map(str::trim).filter(|f| !f.is_empty()).map(String::from);
    match (verdict, &first_number) {
        (RepeatVerdict::Repeat, None) => return Err(invalid("first", "认定为重件须填写初件编号")),
        (RepeatVerdict::First, Some(_)) => return Err(invalid("first", "确认为初件时不填初件编号")),
        _ => {}
    }
    Ok(Asked { verdict, reason, first_number, first: None, same_petition: false })
}

/// Who may record, and the first petition of the named one's chain, which
/// the caller must see in full. `this`: the petition judged, or `None`
/// while it is being registered (so it is checked before anything is
/// written, and the registration cannot be half done by a bad finding).
pub async fn check(state: &AppState, staff: &Staff, mut asked: Asked, this: Option<&PetitionRecord>) -> ApiResult<Asked> {
    staff.require_role(repeats::RECORDERS)?;
    if this.is_some_and(|rec| rec.case.current_unit != staff.unit.id) {
        return Err(ApiError::forbidden("只有当前办理该事项的单位可以认定初件或重件"));
    }
    let Some(n) = asked.first_number.clone() else { return Ok(asked) };
    let not_found =
        |e: ApiError| if e.status == StatusCode::NOT_FOUND { invalid("first", format!("找不到信访事项 {n}")) } else { e };
    let (mut f, fv) = load_visible(state, staff, &n).await.map_err(not_found)?;
    require_full(fv)?;
    let this_number = this.map(|r| r.number.as_str());
    asked.same_petition = this.is_some_and(|r| r.id == f.id);
    // The first petition of the chain: follow the earlier one's own link.
    for _ in 0..MAX_CHAIN {
        let Some(up) = f.repeat_of.clone().filter(|u| !asked.same_petition && *u != f.number && Some(u.as_str()) != this_number) else {
            break;
        };
        match load_visible(state, staff, &up).await {
            Ok((g, xinfang_domain::access::View::Full)) => f = g,
            _ => break,
        }
    }
    asked.first = Some(f);
    Ok(asked)
}

/// Record a checked finding on `rec` (the domain rule decides; the event
/// joins the petition's chain) and say what comes next.
pub async fn apply(state: &AppState, staff: &Staff, rec: PetitionRecord, asked: Asked) -> ApiResult<RepeatFinding> {
    let Asked { verdict, reason, first, same_petition, .. } = asked;
    let finding = match &first {
        None => Finding::First,
        Some(f) => Finding::RepeatOf { first: &f.case, first_is_earlier: f.registered_at < rec.registered_at, same_petition },
    };
    let case = repeats::record(&rec.case, finding).map_err(ApiError::from)?;
    let no_longer_accepted = first.as_ref().is_some_and(|f| repeats::no_longer_accepted(&f.case));
    let event = EventDraft {
        action: if verdict == RepeatVerdict::Repeat { repeats::LINKED } else { repeats::CONFIRMED_FIRST }.into(),
        actor: staff.actor_ref(),
        occurred_at: Utc::now(),
        from_state: Some(rec.case.state),
        to_state: rec.case.state,
        payload: json!({"first": first.as_ref().map(|f| f.number.clone()), "previous_link": rec.repeat_of, "no_longer_accepted": no_longer_accepted}),
        reason,
    };
    let link = first.as_ref().map(|f| f.number.as_str());
    state.store.record_repeat_finding(rec.id, rec.version, &case, link, &event).await?;
    let message = match (&first, no_longer_accepted) {
        (Some(f), true) => format!(
            "已认定为重件，初件 {}。该初件已经复核终结，同一事实和理由不再受理（《信访工作条例》第三十六条）：请核实后以“已经复核终结”为由出具不再受理告知书。",
            f.number
        ),
        (Some(f), false) => format!("已认定为重件，初件 {}。", f.number),
        (None, _) => "已确认为初件。".into(),
    };
    Ok(RepeatFinding {
        number: rec.number,
        verdict: verdict.as_str().into(),
        verdict_label: verdict.label().into(),
        first: first.map(|f| f.number),
        no_longer_accepted,
        message,
    })
}

/// A registration's `repeat` field, checked before the petition is
/// written: staff only, the fields and the first petition as for `put`.
pub async fn at_registration(state: &AppState, staff: Option<&Staff>, input: Option<RepeatInput>) -> ApiResult<Option<Asked>> {
    let Some(input) = input else { return Ok(None) };
    let Some(staff) = staff else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "field_not_allowed", "初件/重件认定只能由工作人员填写").at("repeat"));
    };
    let at = |mut e: ApiError| {
        for f in &mut e.fields {
            f.field = format!("repeat.{}", f.field);
        }
        e
    };
    let asked = parse(&input).map_err(at)?;
    Ok(Some(check(state, staff, asked, None).await.map_err(at)?))
}

/// Why a registration's finding was not kept: `moved` (the petition went
/// to another unit at intake, which decides) or `failed` (refused and
/// closed at intake, or changed meanwhile), with the message in Chinese.
pub type NotKept = (&'static str, String);

/// Record a registration's checked finding on the petition just written.
/// The registration stands whatever happens here: a failure is answered
/// beside it, in Chinese, for the clerk to make the finding afterwards.
pub async fn record_registered(state: &AppState, staff: &Staff, number: &str, asked: Asked) -> Result<RepeatFinding, NotKept> {
    let rec = match state.store.petition_by_number(number).await {
        Ok(Some(rec)) => rec,
        _ => return Err(("failed", "已登记，但初件/重件认定未能保存，请在事项页面重新认定".into())),
    };
    if rec.case.current_unit != staff.unit.id {
        return Err(("moved", "已登记并转至其他单位，初件/重件由当前办理单位认定".into()));
    }
    apply(state, staff, rec, asked).await.map_err(|e| ("failed", format!("已登记，但初件/重件认定未保存：{}", e.message)))
}
