//! Supervision cases (issue 12): 督办 (Art. 40) and the instruments of
//! Art. 39 — listed supervision (挂牌督办), 约谈 and 通报 records,
//! rectification by a date (限期整改) — with the supervised unit's written
//! reply and the supervising unit's closing; and the deadline watch's
//! counts. A case about a petition is opened by the `supervise` act (its
//! event on the petition's chain, its letter), so the action table stays
//! the one source of what an act is.

use crate::acting::{Act, perform_with};
use crate::api::letters::LetterView;
use crate::auth::Staff;
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::supervision::{SweepReport, case_conflict, sweep};
use crate::views::{unit_ref, withheld};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{View, view};
use xinfang_domain::local_date;
use xinfang_domain::petition::{SupervisionLetter, check_text};
use xinfang_domain::procedure::Command;
use xinfang_domain::role::Role;
use xinfang_domain::supervision::{SupervisionKind, check_close, check_open, check_reply, reply_due};
use xinfang_domain::unit::UnitTree;
use xinfang_store::{EventDraft, NewSupervisionCase, StoreError, SupervisionCaseRow, SupervisionFilter, WatchCounts};

/// History action of a reply on the petition's chain (internal).
pub const REPLY_ACTION: &str = "supervision_reply";
/// History action of a closing on the petition's chain (internal).
pub const CLOSE_ACTION: &str = "supervision_close";

#[derive(Serialize, ToSchema)]
pub struct SupervisionCaseView {
    pub id: i64,
    /// auto_overdue, manual, listed, interview, circular, rectification
    pub kind: String,
    /// 逾期自动督办, 督办, 挂牌督办, 约谈, 通报, 限期整改
    pub kind_label: String,
    /// The article the instrument rests on.
    pub article: String,
    /// The petition concerned (none for a case about a unit's work).
    pub number: Option<String>,
    /// For an automatic case: the breached timer (T1…) and its due date.
    pub timer: Option<String>,
    pub timer_due_on: Option<String>,
    pub supervising_unit: Option<UnitRef>,
    pub supervised_unit: Option<UnitRef>,
    pub reason: String,
    pub suggestions: String,
    /// The written reply is due by then.
    pub reply_due_on: String,
    /// 限期整改: rectify by then.
    pub rectify_by: Option<String>,
    pub opened_at: String,
    /// Username of whoever opened it (none: the deadline watch).
    pub opened_by: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub replied_by: Option<String>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub closing_note: Option<String>,
    /// open, replied, closed
    pub status: String,
    /// Not replied and past `reply_due_on`.
    pub reply_overdue: bool,
    /// What the caller's unit is in this case: supervising or supervised.
    pub my_role: String,
}

#[derive(Serialize, ToSchema)]
pub struct SupervisionHistoryView {
    pub seq: i64,
    /// open, reply, close
    pub action: String,
    pub at: String,
    pub by: Option<String>,
    pub unit: Option<UnitRef>,
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct SupervisionCaseDetail {
    #[serde(flatten)]
    pub case: SupervisionCaseView,
    pub history: Vec<SupervisionHistoryView>,
    /// The letter the case issued (督办函 / 交办函 / 提醒函), when it
    /// concerns a petition.
    pub letters: Vec<LetterView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// `supervising` (cases my unit opened), `supervised` (cases addressed
    /// to my unit), or absent for both.
    pub role: Option<String>,
    /// Only cases not yet closed.
    pub open: Option<bool>,
    /// Cases older than this id (the next page).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCase {
    /// manual (督办), listed (挂牌督办), interview (约谈), circular (通报), rectification (限期整改)
    pub kind: String,
    /// The petition concerned (required for `manual`); the case is then
    /// addressed to the unit now holding it.
    pub petition: Option<String>,
    /// The supervised unit's code, for a case about a unit's work (no petition).
    pub unit: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub suggestions: String,
    /// Which letter a case on a petition issues: supervision (督办函, the
    /// default), assignment (交办函), reminder (提醒函).
    pub letter: Option<String>,
    /// 限期整改: the date to rectify by (required for that kind).
    pub rectify_by: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyCase {
    /// The written reply: what was done, and whether the suggestions were adopted.
    pub reply: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseCase {
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WatchQuery {
    /// A unit code (default: the caller's unit): its own timers and those of
    /// the units its figures cover. Only a unit whose statistics the caller
    /// may read (its own, one below it, a bureau's area; 403 otherwise).
    pub unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WatchClassCounts {
    pub on_track: i64,
    pub due_soon: i64,
    pub due_today: i64,
    pub overdue: i64,
    pub total: i64,
}

impl From<WatchCounts> for WatchClassCounts {
    fn from(c: WatchCounts) -> Self {
        WatchClassCounts { on_track: c.on_track, due_soon: c.due_soon, due_today: c.due_today, overdue: c.overdue, total: c.total() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WatchView {
    pub unit: UnitRef,
    /// The day the last sweep classified for, and when it ran (none before the first).
    pub swept_on: Option<String>,
    pub swept_at: Option<String>,
    /// "Due soon": within this many days.
    pub due_soon_days: u32,
    /// Open duty timers of petitions the unit holds now.
    pub own: WatchClassCounts,
    /// The same over the units the unit's figures cover (as on the
    /// dashboard): a petition bureau's, joint conference's or party
    /// committee's whole area; any other unit's own and those below it.
    pub subtree: WatchClassCounts,
}

fn status(r: &SupervisionCaseRow) -> &'static str {
    if r.closed_at.is_some() {
        "closed"
    } else if r.replied_at.is_some() {
        "replied"
    } else {
        "open"
    }
}

/// The caller's view of the case's petition, read anew (a claim may have
/// become an accusation since the case was opened, and its accused unit
/// been designated): `Hidden` for the accused's chain, `Sealed` for an
/// accusation the unit may only know exists. A case about a unit's work
/// has no petition: `Full`.
fn petition_view(staff: &Staff, tree: &UnitTree, r: &SupervisionCaseRow) -> View {
    match &r.case {
        Some(c) => view(c, r.confidential, staff.unit.id, staff.user.role, tree),
        None => View::Full,
    }
}

/// Whether the caller's unit is the case's supervising or supervised unit
/// (a government's office for its government); None: a stranger to it.
fn my_role(staff: &Staff, tree: &UnitTree, r: &SupervisionCaseRow) -> Option<&'static str> {
    if tree.acts_for(staff.unit.id, r.supervising_unit_id) {
        Some("supervising")
    } else if tree.acts_for(staff.unit.id, r.supervised_unit_id) {
        Some("supervised")
    } else {
        None
    }
}

/// The case as a unit with view `v` of its petition may read it: on a
/// sealed accusation the reason, suggestions, reply and closing note are
/// withheld (they may quote the accusation). `Hidden` is the caller's to
/// drop before.
fn case_view(r: SupervisionCaseRow, tree: &UnitTree, today: NaiveDate, role: &str, v: View) -> SupervisionCaseView {
    let kind = SupervisionKind::parse(&r.kind);
    let st = status(&r);
    let mut out = SupervisionCaseView {
        id: r.id,
        kind_label: kind.map(|k| k.label()).unwrap_or_default().into(),
        article: kind.map(|k| k.citation()).unwrap_or_default().into(),
        kind: r.kind,
        number: r.number,
        timer: r.timer_kind,
        timer_due_on: r.timer_due_on.map(|d| d.to_string()),
        supervising_unit: tree.get(r.supervising_unit_id).map(unit_ref),
        supervised_unit: tree.get(r.supervised_unit_id).map(unit_ref),
        reason: r.reason,
        suggestions: r.suggestions,
        reply_due_on: r.reply_due_on.to_string(),
        rectify_by: r.rectify_by.map(|d| d.to_string()),
        opened_at: r.opened_at,
        opened_by: r.opened_by,
        reply_overdue: st == "open" && today > r.reply_due_on,
        reply: r.reply,
        replied_at: r.replied_at,
        replied_by: r.replied_by,
        closed_at: r.closed_at,
        closed_by: r.closed_by,
        closing_note: r.closing_note,
        status: st.into(),
        my_role: role.into(),
    };
    if v == View::Sealed {
        out.reason = withheld(out.reason);
        out.suggestions = withheld(out.suggestions);
        out.reply = out.reply.map(withheld);
        out.closing_note = out.closing_note.map(withheld);
    }
    out
}

/// The cases of the caller's unit(s), newest first (for the pages too).
pub async fn cases_for(state: &AppState, staff: &Staff, q: &CaseQuery) -> ApiResult<Vec<SupervisionCaseView>> {
    let tree = state.tree();
    if let Some(r) = q.role.as_deref().filter(|r| !matches!(*r, "supervising" | "supervised")) {
        return Err(ApiError::bad_request("invalid_role", format!("role 只能是 supervising 或 supervised，不能是 {r}")).at("role"));
    }
    let filter = SupervisionFilter {
        units: staff.visibility(&tree).unit_ids,
        role: q.role.clone(),
        open_only: q.open.unwrap_or(false),
        before_id: q.before,
        limit: q.limit.unwrap_or(100),
    };
    let today = local_date(Utc::now());
    let rows = state.store.supervision_cases(&filter).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let role = my_role(staff, &tree, &r)?;
            // A case on a petition now hidden from the unit (the accused's
            // chain, Art. 30) must look as if it did not exist.
            let v = petition_view(staff, &tree, &r);
            if v == View::Hidden {
                return None;
            }
            Some(case_view(r, &tree, today, role, v))
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/supervision/cases", tag = "supervision", security(("bearer" = [])), params(CaseQuery),
    description = "Supervision cases of the caller's unit, as supervising unit (opened by it or by the deadline watch in its name) and as supervised unit (addressed to it), newest first. A case on a petition now hidden from the caller's unit (the accused's chain, Art. 30) is left out; on a sealed accusation the reason, suggestions, reply and closing note read \"[依规不予显示]\".",
    responses((status = 200, body = Vec<SupervisionCaseView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<Vec<SupervisionCaseView>>> {
    Ok(Json(cases_for(&state, &staff, &q).await?))
}

/// One case with its history and letter, if the caller's unit is party to it.
pub async fn case_detail(state: &AppState, staff: &Staff, id: i64) -> ApiResult<SupervisionCaseDetail> {
    let nf = || ApiError::not_found("该督办事项");
    let r = state.store.supervision_case(id).await?.ok_or_else(nf)?;
    let tree = state.tree();
    let role = my_role(staff, &tree, &r).ok_or_else(nf)?;
    let v = petition_view(staff, &tree, &r);
    if v == View::Hidden {
        return Err(nf());
    }
    let sealed = v == View::Sealed;
    let history = state.store.supervision_history(id).await?;
    let letters = match (r.petition_id, r.event_seq, r.number.as_deref()) {
        // No material of a sealed accusation (Art. 30).
        _ if sealed => Vec::new(),
        (Some(pid), Some(seq), Some(number)) => state
            .store
            .documents_of(pid)
            .await?
            .iter()
            .filter(|d| d.event_seq == seq)
            .map(|d| LetterView::from_row(d, format!("/api/v1/supervision/cases/{id}/documents/{}", d.id)))
            .map(|mut l| {
                // Staff who see the petition download it there too.
                l.url = format!("/api/v1/petitions/{number}/documents/{}", l.id);
                l
            })
            .collect(),
        _ => Vec::new(),
    };
    let today = local_date(Utc::now());
    Ok(SupervisionCaseDetail {
        case: case_view(r, &tree, today, role, v),
        history: history
            .into_iter()
            .map(|h| SupervisionHistoryView {
                seq: h.seq,
                action: h.action,
                at: h.at,
                by: h.username,
                unit: h.unit_id.and_then(|u| tree.get(u)).map(unit_ref),
                note: if sealed { withheld(h.note) } else { h.note },
            })
            .collect(),
        letters,
    })
}

#[utoipa::path(get, path = "/api/v1/supervision/cases/{id}", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)),
    description = "One supervision case with its history and letter. Only the supervising and the supervised unit see it (404 for anyone else, and for a unit the petition is now hidden from, Art. 30); on a sealed accusation its free texts and history notes are withheld and no letter is listed.",
    responses((status = 200, body = SupervisionCaseDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn detail(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<SupervisionCaseDetail>> {
    Ok(Json(case_detail(&state, &staff, id).await?))
}

/// Open a case as `staff`: on a petition through the `supervise` act, or
/// about a unit's work as a record. Returns the new case's id.
pub async fn open_case(state: &AppState, staff: &Staff, input: OpenCase) -> ApiResult<i64> {
    let kind = SupervisionKind::parse(input.kind.trim()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_kind",
            "督办类型只能是 manual（督办）、listed（挂牌督办）、interview（约谈）、circular（通报）或 rectification（限期整改）",
        )
        .at("kind")
    })?;
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::from(
            xinfang_domain::DomainError::invalid(xinfang_domain::Rule::Art40, "missing_reason", "请填写督办事由").at("reason"),
        ));
    }
    // The limits the `supervise` act keeps (a case about a unit's work has
    // no act to keep them).
    check_text("reason", "督办事由", &reason, true)?;
    check_text("suggestions", "改进建议", input.suggestions.trim(), false)?;
    let now = Utc::now();
    let today = local_date(now);
    let rectify_by = match (kind, input.rectify_by) {
        (SupervisionKind::Rectification, None) => {
            return Err(ApiError::from(
                xinfang_domain::DomainError::invalid(xinfang_domain::Rule::Art40, "missing_rectify_by", "限期整改须写明整改期限")
                    .at("rectify_by"),
            ));
        }
        // Any kind that sets a date (挂牌督办 may too) keeps to the same bounds:
        // the reply falls due on it.
        (_, Some(d)) => Some(xinfang_domain::supervision::check_rectify_by(d, today)?),
        (_, None) => None,
    };
    let letter = match input.letter.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(SupervisionLetter::parse(l).ok_or_else(|| {
            ApiError::bad_request("invalid_letter", "督办文书只能是 supervision（督办函）、assignment（交办函）或 reminder（提醒函）")
                .at("letter")
        })?),
    };
    state.refresh_units().await?;
    let tree = state.tree();
    let reply_due_on = rectify_by.unwrap_or_else(|| reply_due(today, &state.calendar()));
    match input.petition.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(number) => {
            let (rec, _) = crate::api::petitions::load_visible(state, staff, number).await?;
            let supervised = rec.case.current_unit;
            if let Some(code) = input.unit.as_deref().map(str::trim).filter(|c| !c.is_empty())
                && tree.by_code(code).map(|u| u.id) != Some(supervised)
            {
                return Err(ApiError::from(
                    xinfang_domain::DomainError::invalid(
                        xinfang_domain::Rule::Art40,
                        "not_current_unit",
                        "督办信访事项只能针对正在办理该事项的单位",
                    )
                    .at("unit"),
                ));
            }
            let case = petition_case(&tree, staff, &rec, kind, &reason, input.suggestions.trim(), reply_due_on, rectify_by, now)?;
            let mut extra = serde_json::Map::new();
            extra.insert("supervision_kind".into(), kind.as_str().into());
            if let Some(d) = rectify_by {
                extra.insert("rectify_by".into(), d.to_string().into());
            }
            let act = Act { actor: staff.actor(), actor_ref: staff.actor_ref(), on: today, occurred_at: now, extra };
            let petition_id = rec.id;
            let cmd = Command::Supervise { reason, suggestions: input.suggestions.trim().to_string(), letter };
            let done = perform_with(state, rec, cmd, act, vec![case]).await?;
            crate::observe::supervision_opened(kind.as_str());
            let cases = state.store.supervision_cases_of(petition_id).await?;
            cases.into_iter().rev().find(|c| c.event_seq == Some(done.event_seq)).map(|c| c.id).ok_or_else(ApiError::internal)
        }
        None => {
            if kind.needs_petition() {
                return Err(ApiError::from(
                    xinfang_domain::DomainError::invalid(xinfang_domain::Rule::Art40, "petition_required", "督办须针对具体的信访事项")
                        .at("petition"),
                ));
            }
            let code = input.unit.as_deref().map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| {
                ApiError::from(
                    xinfang_domain::DomainError::invalid(xinfang_domain::Rule::Art40, "missing_unit", "请指定被督办单位或信访事项")
                        .at("unit"),
                )
            })?;
            let unit = tree.by_code(code).ok_or_else(|| ApiError::not_found("该单位").at("unit"))?;
            check_open(&tree, staff.unit.id, staff.user.role, kind, unit.id, &unit.jurisdiction)?;
            let case = NewSupervisionCase {
                kind: kind.as_str().into(),
                petition_id: None,
                timer: None,
                supervising_unit_id: tree.acting_as(staff.unit.id),
                supervised_unit_id: unit.id,
                reason,
                suggestions: input.suggestions.trim().to_string(),
                reply_due_on,
                rectify_by,
                opened_at: now,
                opened_by: Some(staff.user.id),
            };
            let id = state.store.open_unit_case(&case).await?;
            crate::observe::supervision_opened(kind.as_str());
            Ok(id)
        }
    }
}

/// The case a `supervise` act on `rec` opens (Art. 40): addressed to the
/// unit now holding the petition, its written reply due on `reply_due_on`.
/// Every way of taking the act opens it — this endpoint, and the act posted
/// on the petition itself (`POST …/actions/supervise`, the workbench's 督办
/// form) — so a 督办 is never a letter nobody is asked to answer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn petition_case(
    tree: &UnitTree,
    staff: &Staff,
    rec: &xinfang_store::PetitionRecord,
    kind: SupervisionKind,
    reason: &str,
    suggestions: &str,
    reply_due_on: NaiveDate,
    rectify_by: Option<NaiveDate>,
    now: chrono::DateTime<Utc>,
) -> ApiResult<NewSupervisionCase> {
    let supervised = rec.case.current_unit;
    check_open(tree, staff.unit.id, staff.user.role, kind, supervised, &rec.case.jurisdiction)?;
    Ok(NewSupervisionCase {
        kind: kind.as_str().into(),
        petition_id: Some(rec.id),
        timer: None,
        supervising_unit_id: tree.acting_as(staff.unit.id),
        supervised_unit_id: supervised,
        reason: reason.to_string(),
        suggestions: suggestions.to_string(),
        reply_due_on,
        rectify_by,
        opened_at: now,
        opened_by: Some(staff.user.id),
    })
}

/// The case of a `supervise` act posted on the petition (a 督办, reply due
/// five working days after `on`).
pub(crate) fn act_case(
    state: &AppState,
    staff: &Staff,
    rec: &xinfang_store::PetitionRecord,
    cmd: &Command,
    on: NaiveDate,
) -> ApiResult<Vec<NewSupervisionCase>> {
    let Command::Supervise { reason, suggestions, .. } = cmd else { return Ok(Vec::new()) };
    let case = petition_case(
        &state.tree(),
        staff,
        rec,
        SupervisionKind::Manual,
        reason.trim(),
        suggestions.trim(),
        reply_due(on, &state.calendar()),
        None,
        Utc::now(),
    )?;
    Ok(vec![case])
}

#[utoipa::path(post, path = "/api/v1/supervision/cases", tag = "supervision", security(("bearer" = [])), request_body = OpenCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "As for acts: a resend with the same key and body opens nothing more and answers the case it opened (header `Idempotent-Replayed: true`); another body with the key is 422 `idempotency_key_reused`.")),
    description = "Open a supervision case (supervisors, leaders and unit heads of a unit above the supervised unit in its line, or of the petition bureau or joint conference of the area over the handling units under its government: its level's departments and the units of the levels below — never its own government, the party committee and government, its joint conference, nor courts, procuratorates, discipline bodies or village committees; 挂牌督办 by the joint conference or the bureau as its office). On a petition it is the `supervise` act (Art. 40): an event on the petition's history and its letter (督办函 / 交办函 / 提醒函), addressed to the unit now holding the petition; the reply is due 5 working days on, or by `rectify_by` (after today, at most a year on) for 限期整改. Texts as for acts (at most 4000 characters); unknown fields are refused. A 约谈 / 通报 / 挂牌督办 / 限期整改 about a unit's work names the unit instead and has no letter.",
    responses((status = 201, body = SupervisionCaseDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    staff: Staff,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<OpenCase>,
) -> ApiResult<Response> {
    // The act's way of submitting once (`crate::once`): a resend with the
    // key opens nothing more — no second case, letter or event.
    let answer = match crate::once::idempotency_key(&headers)? {
        None => crate::once::Answer { status: StatusCode::CREATED, body: opened(open_case(&state, &staff, input).await?), replayed: false },
        Some(key) => {
            let scope = format!("api:supervision:{}", staff.user.id);
            let fingerprint = crate::once::fingerprint(&state, &serde_json::json!(["supervision_case", &input]));
            let run = || async { Ok((StatusCode::CREATED, opened(open_case(&state, &staff, input).await?))) };
            crate::once::once(&state, &scope, &key, &fingerprint, run).await?
        }
    };
    let id = answer.body["id"].as_i64().ok_or_else(ApiError::internal)?;
    // The case as the caller may read it now: a replay after the petition
    // was sealed or hidden (Art. 30) shows no more than a fresh read would.
    let detail = serde_json::to_value(case_detail(&state, &staff, id).await?).map_err(|_| ApiError::internal())?;
    Ok(crate::once::answered(crate::once::Answer { body: detail, ..answer }))
}

/// What is kept of a case's opening for a resend: its id.
fn opened(id: i64) -> serde_json::Value {
    serde_json::json!({ "id": id })
}

fn case_event(action: &str, staff: &Staff, r: &SupervisionCaseRow, state_now: xinfang_domain::petition::State, text: &str) -> EventDraft {
    EventDraft {
        action: action.into(),
        actor: staff.actor_ref(),
        occurred_at: Utc::now(),
        from_state: Some(state_now),
        to_state: state_now,
        payload: serde_json::json!({"supervision_case": r.id, "supervision_kind": r.kind, "case_event_seq": r.event_seq, "unit": staff.unit.code, "unit_name": staff.unit.name}),
        reason: Some(text.to_string()),
    }
}

/// The supervised unit's written reply (Art. 40: whether it adopted the suggestions).
pub async fn reply_case(state: &AppState, staff: &Staff, id: i64, text: &str) -> ApiResult<()> {
    let nf = || ApiError::not_found("该督办事项");
    let r = state.store.supervision_case(id).await?.ok_or_else(nf)?;
    let tree = state.tree();
    my_role(staff, &tree, &r).ok_or_else(nf)?;
    if petition_view(staff, &tree, &r) == View::Hidden {
        return Err(nf());
    }
    check_reply(&tree, staff.unit.id, staff.user.role, r.supervised_unit_id)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::from(
            xinfang_domain::DomainError::invalid(xinfang_domain::Rule::Art40, "missing_reply", "请填写书面回复内容").at("reply"),
        ));
    }
    check_text("reply", "书面回复", text, true)?;
    if r.closed_at.is_some() || r.replied_at.is_some() {
        return Err(case_conflict("该督办事项已回复或已办结"));
    }
    let event = match &r.number {
        Some(n) => state.store.petition_by_number(n).await?.map(|p| case_event(REPLY_ACTION, staff, &r, p.state, text)),
        None => None,
    };
    match state.store.reply_supervision_case(id, text, staff.user.id, staff.unit.id, Utc::now(), event.as_ref()).await {
        Err(StoreError::Conflict) => Err(case_conflict("该督办事项已回复或已办结")),
        other => Ok(other?),
    }
}

#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/reply", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)), request_body = ReplyCase,
    description = "The supervised unit's written reply (Art. 40), once, before the case is closed; recorded on the petition's history as `supervision_reply`.",
    responses((status = 200, body = SupervisionCaseDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReplyCase>,
) -> ApiResult<Json<SupervisionCaseDetail>> {
    reply_case(&state, &staff, id, &input.reply).await?;
    Ok(Json(case_detail(&state, &staff, id).await?))
}

/// The supervising unit closes a case, once it has the written reply.
pub async fn close_case(state: &AppState, staff: &Staff, id: i64, note: &str) -> ApiResult<()> {
    let nf = || ApiError::not_found("该督办事项");
    let r = state.store.supervision_case(id).await?.ok_or_else(nf)?;
    let tree = state.tree();
    my_role(staff, &tree, &r).ok_or_else(nf)?;
    if petition_view(staff, &tree, &r) == View::Hidden {
        return Err(nf());
    }
    check_close(&tree, staff.unit.id, staff.user.role, r.supervising_unit_id)?;
    if r.closed_at.is_some() {
        return Err(case_conflict("该督办事项已办结"));
    }
    if r.replied_at.is_none() {
        return Err(ApiError::from(xinfang_domain::DomainError::conflict(
            xinfang_domain::Rule::Art40,
            "no_reply_yet",
            "被督办单位尚未书面回复，不能办结",
        )));
    }
    let note = note.trim();
    check_text("note", "办结意见", note, false)?;
    let event = match &r.number {
        Some(n) => state.store.petition_by_number(n).await?.map(|p| case_event(CLOSE_ACTION, staff, &r, p.state, note)),
        None => None,
    };
    match state.store.close_supervision_case(id, note, staff.user.id, staff.unit.id, Utc::now(), event.as_ref()).await {
        Err(StoreError::Conflict) => Err(case_conflict("该督办事项已办结")),
        other => Ok(other?),
    }
}

#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/close", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)), request_body = CloseCase,
    description = "The supervising unit closes the case (supervisors, leaders, unit heads), after the supervised unit's written reply; recorded on the petition's history as `supervision_close`.",
    responses((status = 200, body = SupervisionCaseDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CloseCase>,
) -> ApiResult<Json<SupervisionCaseDetail>> {
    close_case(&state, &staff, id, &input.note).await?;
    Ok(Json(case_detail(&state, &staff, id).await?))
}

/// The deadline watch's counts for `unit` (default: the caller's).
pub async fn watch_for(state: &AppState, staff: &Staff, code: Option<&str>) -> ApiResult<WatchView> {
    let tree = state.tree();
    let unit = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => tree.by_code(c).ok_or_else(|| ApiError::not_found("该单位").at("unit"))?,
        None => tree.get(staff.unit.id).ok_or_else(ApiError::internal)?,
    };
    // Whose timers a reader may count, and what a unit's subtree is: the
    // one rule of the statistics and the dashboard (a bureau its area, any
    // other unit itself and the units below it).
    if !crate::api::statistics::may_see(&tree, &staff.unit, unit) {
        return Err(ApiError::forbidden(format!("只能查看本单位及下级单位的期限监控，无权查看{}的期限监控", unit.name)).at("unit"));
    }
    let scope = crate::api::dashboard::scope_units(&tree, unit);
    // Art. 30: no open timer of an accusation the caller may not know of.
    let screened = crate::screen::screened(state, &staff.unit).await?;
    let (counts, when) = crate::screen::watch_counts_for(state, &screened, &scope).await?;
    let add = |a: WatchCounts, c: &WatchCounts| WatchCounts {
        unit_id: a.unit_id,
        on_track: a.on_track + c.on_track,
        due_soon: a.due_soon + c.due_soon,
        due_today: a.due_today + c.due_today,
        overdue: a.overdue + c.overdue,
    };
    let own = counts.iter().filter(|c| c.unit_id == unit.id).fold(WatchCounts::default(), add);
    let subtree = counts.iter().filter(|c| scope.contains(&c.unit_id)).fold(WatchCounts::default(), add);
    Ok(WatchView {
        unit: unit_ref(unit),
        swept_on: when.as_ref().map(|w| w.0.to_string()),
        swept_at: when.map(|w| w.1),
        due_soon_days: state.settings.watch_due_soon_days,
        own: own.into(),
        subtree: subtree.into(),
    })
}

#[utoipa::path(get, path = "/api/v1/supervision/watch", tag = "supervision", security(("bearer" = [])), params(WatchQuery),
    description = "The deadline watch's last sweep for a unit: its open duty timers (not the petitioner's windows) on track, due soon, due today and overdue, for the petitions it holds and over the units below it or in its area.",
    responses((status = 200, body = WatchView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn watch(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<WatchQuery>) -> ApiResult<Json<WatchView>> {
    Ok(Json(watch_for(&state, &staff, q.unit.as_deref()).await?))
}

#[utoipa::path(post, path = "/api/v1/supervision/watch/run", tag = "supervision", security(("bearer" = [])),
    description = "Run the deadline watch now, as of today (administrators). The scheduled job (`watch_schedule`) does the same; a breach gets one case however often and on however many nodes it runs.",
    responses((status = 200, body = SweepReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn run_watch(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<SweepReport>> {
    staff.require_role(&[Role::Admin])?;
    Ok(Json(sweep(&state, local_date(Utc::now())).await?))
}
