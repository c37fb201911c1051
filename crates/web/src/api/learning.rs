//! Learning the Regulations (学法考法, issue 15 items 2–3): the daily
//! self-test with spaced repetition, exams set by an admin (mix, time limit,
//! pass mark, window, who must sit, re-sits) with a randomised paper per
//! person and automatic marking, the monthly contest and its leaderboard,
//! and the participation figures shown in supervision. Marking, drawing and
//! scheduling are `xinfang_law`'s; this module checks who may do what when.

use crate::api::spotcheck::checked_units;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::tables::{Cell, Format, Table, file_response};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::leadership::MANAGERS;
use xinfang_domain::role::Role;
use xinfang_domain::unit::UnitId;
use xinfang_domain::{china_offset, local_date};
use xinfang_law::paper::{self, MixRow};
use xinfang_law::participation::{self, Figures, Person, Weak};
use xinfang_law::practice::{self, Review};
use xinfang_law::questions::{self, Kind, Question};
use xinfang_store::{AttemptRow, ExamRow, MarkedAnswer, NewExam, fmt_instant, parse_instant};

/// Questions on a month's contest paper, and its time.
pub const CONTEST_QUESTIONS: u16 = 20;
pub const CONTEST_MINUTES: i64 = 20;
/// A paper handed in this long after its deadline is still taken (the
/// network, a slow phone); later it is refused.
const GRACE_SECONDS: i64 = 60;

fn invalid(code: &str, msg: impl Into<String>, field: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg).at(field)
}

fn conflict(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, msg)
}

/// A question as put to a person: no key.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct QuestionView {
    pub id: String,
    /// single | multiple | judge | blank
    pub kind: String,
    pub kind_label: String,
    pub stem: String,
    /// Options as "A. …" (choice questions).
    pub options: Vec<String>,
    /// Blanks to fill (blank questions).
    pub blanks: usize,
    pub articles: Vec<u16>,
}

/// A question after answering: the key, the marks, why.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct MarkedView {
    pub id: String,
    pub given: Vec<String>,
    /// Half points earned of 2.
    pub halves: u32,
    pub right: bool,
    pub key: String,
    pub explanation: String,
    pub articles: Vec<u16>,
}

pub fn question_view(q: &Question) -> QuestionView {
    QuestionView {
        id: q.id.clone(),
        kind: q.kind.code().into(),
        kind_label: q.kind.label().into(),
        stem: q.stem.clone(),
        options: q.options.iter().enumerate().map(|(i, o)| format!("{}. {o}", questions::letter(i))).collect(),
        blanks: q.blanks.len(),
        articles: q.articles.clone(),
    }
}

fn marked(q: &Question, given: &[String]) -> MarkedView {
    let halves = q.mark(given);
    MarkedView {
        id: q.id.clone(),
        given: given.to_vec(),
        halves,
        right: halves == questions::FULL,
        key: q.key_text(),
        explanation: q.explanation.clone(),
        articles: q.articles.clone(),
    }
}

/// Answers as typed: at most 10 strings of at most 100 characters.
fn check_given(given: &[String], field: &str) -> ApiResult<()> {
    if given.len() > 10 || given.iter().any(|g| g.chars().count() > 100) {
        return Err(invalid("invalid_answer", "答案过长", field));
    }
    Ok(())
}

fn today() -> NaiveDate {
    local_date(Utc::now())
}

/// The first instant of a local day, in UTC.
fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).and_then(|t| t.and_local_timezone(china_offset()).single()).map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

// ---------------------------------------------------------------- self-test

#[derive(Serialize, ToSchema)]
pub struct SelfTest {
    pub day: String,
    pub questions: Vec<QuestionView>,
    /// Questions answered wrongly that are due again.
    pub due_again: usize,
    /// Practice answers given today.
    pub answered_today: usize,
    /// Every question of today's set answered: the set comes back only
    /// as tomorrow's (answering again would not count).
    pub done: bool,
}

async fn reviews(state: &AppState, user: i64) -> ApiResult<Vec<Review>> {
    Ok(state
        .store
        .learning_reviews(user)
        .await?
        .into_iter()
        .filter_map(|(q, b, due)| Some(Review { question: q, boxed: u8::try_from(b).ok()?, due: xinfang_domain::plain_date(&due)? }))
        .collect())
}

/// The day's five, fixed at the first showing of the day.
async fn daily(state: &AppState, staff: &Staff, day: NaiveDate, rs: &[Review]) -> ApiResult<Vec<String>> {
    let ids: Vec<&str> = questions::bank().iter().map(|q| q.id.as_str()).collect();
    let picked = practice::pick(&ids, rs, day, practice::DAILY, practice::seed(&format!("self-test {} {day}", staff.user.id)));
    let proposed = serde_json::to_string(&picked).map_err(|_| ApiError::internal())?;
    let kept = state.store.daily_questions(staff.user.id, &day.to_string(), &proposed).await?;
    Ok(serde_json::from_str(&kept).unwrap_or(picked))
}

pub async fn self_test_for(state: &AppState, staff: &Staff) -> ApiResult<SelfTest> {
    let day = today();
    let rs = reviews(state, staff.user.id).await?;
    let picked = daily(state, staff, day, &rs).await?;
    let from = fmt_instant(day_start(day));
    let to = fmt_instant(day_start(day + Duration::days(1)));
    let answered_today = state.store.practice_count(staff.user.id, &from, &to).await? as usize;
    let questions: Vec<QuestionView> = picked.iter().filter_map(|id| questions::question(id)).map(question_view).collect();
    Ok(SelfTest {
        day: day.to_string(),
        due_again: rs.iter().filter(|r| r.due <= day && r.boxed == 0).count(),
        done: !questions.is_empty() && answered_today >= questions.len(),
        questions,
        answered_today,
    })
}

#[utoipa::path(get, path = "/api/v1/learning/self-test", tag = "learning", security(("bearer" = [])),
    description = "Today's daily self-test: five questions — those answered wrongly and due again first, then unseen ones, then the rest (the same five all day).",
    responses((status = 200, body = SelfTest), (status = 401, body = ErrorBody)))]
pub async fn self_test(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<SelfTest>> {
    Ok(Json(self_test_for(&state, &staff).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PracticeAnswer {
    pub question: String,
    /// Option letters, 对/错, or one text per blank.
    pub answer: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PracticeResult {
    #[serde(flatten)]
    pub marked: MarkedView,
    /// When the question comes back.
    pub next_due: String,
}

pub async fn answer_practice(state: &AppState, staff: &Staff, input: &PracticeAnswer) -> ApiResult<PracticeResult> {
    let q = questions::question(input.question.trim()).ok_or_else(|| invalid("unknown_question", "没有这道题", "question"))?;
    check_given(&input.answer, "answer")?;
    // Practice shows the key: never while a paper is open, and only for the
    // day's own questions (papers draw from the same bank).
    let grace = fmt_instant(Utc::now() - Duration::seconds(GRACE_SECONDS));
    if state.store.open_attempts(staff.user.id, &grace).await? > 0 {
        return Err(conflict("paper_open", "您有未交的试卷，交卷后才能继续自测"));
    }
    let rs = reviews(state, staff.user.id).await?;
    if !daily(state, staff, today(), &rs).await?.contains(&q.id) {
        return Err(invalid("not_today", "这道题不在今天的自测中", "question"));
    }
    let m = marked(q, &input.answer);
    // A reload or a second click answers again: marked, not counted twice,
    // and the question's schedule is the one the first answer set.
    let day = today();
    let (from, to) = (fmt_instant(day_start(day)), fmt_instant(day_start(day + Duration::days(1))));
    let previous = rs.iter().find(|r| r.question == q.id);
    if state.store.practice_answered(staff.user.id, &q.id, &from, &to).await?
        && let Some(r) = previous
    {
        return Ok(PracticeResult { marked: m, next_due: r.due.to_string() });
    }
    let (boxed, due) = practice::after_answer(previous.map(|r| r.boxed), m.right, day);
    let answer = serde_json::to_string(&input.answer).map_err(|_| ApiError::internal())?;
    state
        .store
        .record_practice(
            staff.user.id,
            &MarkedAnswer { question_id: q.id.clone(), answer, halves: i64::from(m.halves) },
            i64::from(boxed),
            &due.to_string(),
        )
        .await?;
    Ok(PracticeResult { marked: m, next_due: due.to_string() })
}

#[utoipa::path(post, path = "/api/v1/learning/self-test/answers", tag = "learning", security(("bearer" = [])),
    description = "Answer a practice question: marked at once (the key, the explanation, the articles), and scheduled — a wrong answer comes back the next day, right ones after 3, 7, 14, 30 days.",
    request_body = PracticeAnswer,
    responses((status = 200, body = PracticeResult), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn practice_answer(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<PracticeAnswer>,
) -> ApiResult<Json<PracticeResult>> {
    Ok(Json(answer_practice(&state, &staff, &input).await?))
}

// ---------------------------------------------------------- question bank

#[derive(Serialize, ToSchema, Debug)]
pub struct BankQuestion {
    #[serde(flatten)]
    pub question: QuestionView,
    pub chapter: u16,
    pub key: String,
    pub explanation: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct BankView {
    pub total: usize,
    /// (chapter, kind, count): what an exam's mix can draw on.
    pub counts: Vec<(u16, String, usize)>,
    pub questions: Vec<BankQuestion>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct BankQuery {
    pub chapter: Option<u16>,
    /// single | multiple | judge | blank
    pub kind: Option<String>,
    /// Questions citing this article.
    pub article: Option<u16>,
}

#[utoipa::path(get, path = "/api/v1/learning/questions", tag = "learning", security(("bearer" = [])),
    description = "The question bank with keys and explanations, filtered by chapter, kind or article, and the counts an exam's mix draws on (admin: the keys are not shown to those who sit exams).",
    params(BankQuery),
    responses((status = 200, body = BankView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bank(staff: Staff, ApiQuery(q): ApiQuery<BankQuery>) -> ApiResult<Json<BankView>> {
    staff.require_role(&[Role::Admin])?;
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(Kind::parse(k).ok_or_else(|| invalid("invalid_parameter", format!("题型“{k}”不存在"), "kind"))?),
        None => None,
    };
    let all = questions::bank();
    let mut counts: BTreeMap<(u16, Kind), usize> = BTreeMap::new();
    for x in all {
        *counts.entry((x.chapter(), x.kind)).or_default() += 1;
    }
    let questions: Vec<BankQuestion> = all
        .iter()
        .filter(|x| {
            q.chapter.is_none_or(|c| x.chapter() == c)
                && kind.is_none_or(|k| x.kind == k)
                && q.article.is_none_or(|a| x.articles.contains(&a))
        })
        .map(|x| BankQuestion { question: question_view(x), chapter: x.chapter(), key: x.key_text(), explanation: x.explanation.clone() })
        .collect();
    Ok(Json(BankView { total: all.len(), counts: counts.into_iter().map(|((c, k), n)| (c, k.code().to_string(), n)).collect(), questions }))
}

// -------------------------------------------------------------------- exams

#[derive(Deserialize, Serialize, ToSchema, Debug, Clone)]
pub struct MixInput {
    /// Chapter 1–6, or absent for any.
    #[serde(default)]
    pub chapter: Option<u16>,
    /// single | multiple | judge | blank, or absent for any.
    #[serde(default)]
    pub kind: Option<String>,
    pub count: u16,
}

#[derive(Deserialize, ToSchema)]
pub struct ExamInput {
    pub title: String,
    /// Unit codes whose staff (with their subtrees) must sit it.
    pub units: Vec<String>,
    /// Role codes that must sit it; empty: every staff role.
    #[serde(default)]
    pub roles: Vec<String>,
    pub mix: Vec<MixInput>,
    /// 5–240 minutes.
    pub time_limit_minutes: i64,
    /// Percentage needed to pass, 1–100.
    pub pass_mark: i64,
    pub opens_on: String,
    pub closes_on: String,
    /// Sittings allowed (1: no re-sit; at most 5). A re-sit is open only
    /// after a failed paper.
    #[serde(default = "one")]
    pub attempts: i64,
}

fn one() -> i64 {
    1
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct MyExamStatus {
    pub required: bool,
    /// Papers handed in.
    pub sittings: usize,
    /// Papers started, handed in or not (each uses a sitting).
    pub started: usize,
    pub best_percent: Option<i64>,
    pub passed: bool,
    /// A paper started and not handed in (its id).
    pub open_attempt: Option<i64>,
    pub can_start: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ExamView {
    pub id: i64,
    pub title: String,
    pub units: Vec<String>,
    /// How many units must sit it: those named and every unit below them
    /// (a district bureau's exam reaches its street offices and their
    /// communities' grid reporters).
    pub units_covered: usize,
    pub roles: Vec<String>,
    pub mix: Vec<MixInput>,
    pub questions: usize,
    pub time_limit_minutes: i64,
    pub pass_mark: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub attempts: i64,
    pub mine: MyExamStatus,
}

fn parse_mix(rows: &[MixInput]) -> ApiResult<Vec<MixRow>> {
    rows.iter()
        .map(|r| {
            let kind = match r.kind.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(k) => Some(Kind::parse(k).ok_or_else(|| invalid("invalid_mix", format!("题型“{k}”不存在"), "mix"))?),
            };
            Ok(MixRow { chapter: r.chapter, kind, count: r.count })
        })
        .collect()
}

fn exam_units(e: &ExamRow) -> Vec<UnitId> {
    serde_json::from_str(&e.units).unwrap_or_default()
}

fn exam_roles(e: &ExamRow) -> Vec<String> {
    serde_json::from_str(&e.roles).unwrap_or_default()
}

fn exam_mix(e: &ExamRow) -> Vec<MixInput> {
    serde_json::from_str(&e.mix).unwrap_or_default()
}

/// Whether a person must sit the exam.
fn required(state: &AppState, e: &ExamRow, unit: UnitId, role: Role) -> bool {
    let tree = state.tree();
    let roles = exam_roles(e);
    (roles.is_empty() || roles.iter().any(|r| r == role.as_str())) && exam_units(e).iter().any(|u| tree.is_self_or_ancestor(*u, unit))
}

async fn status(state: &AppState, staff: &Staff, e: &ExamRow) -> ApiResult<MyExamStatus> {
    let sittings = state.store.attempts_of(e.id, staff.user.id).await?;
    let is_required = required(state, e, staff.unit.id, staff.user.role);
    let done: Vec<&AttemptRow> = sittings.iter().filter(|a| a.submitted_at.is_some()).collect();
    let passed = done.iter().any(|a| a.passed == Some(true));
    let now = Utc::now();
    let open_attempt = sittings.iter().find(|a| a.submitted_at.is_none() && still_open(a, e, now)).map(|a| a.id);
    let day = today().to_string();
    let reason = if !is_required {
        Some("您不在本场考试的参考范围内".to_string())
    } else if day < e.opens_on {
        Some(format!("考试{}开始", e.opens_on))
    } else if day > e.closes_on {
        Some("考试已结束".to_string())
    } else if passed {
        Some("您已通过本场考试".to_string())
    } else if open_attempt.is_some() {
        None
    } else if sittings.len() as i64 >= e.attempts {
        Some(format!("本场考试最多参加{}次，已用完", e.attempts))
    } else {
        None
    };
    Ok(MyExamStatus {
        required: is_required,
        sittings: done.len(),
        started: sittings.len(),
        best_percent: done.iter().filter_map(|a| a.percent).max(),
        passed,
        open_attempt,
        can_start: reason.is_none(),
        reason,
    })
}

/// The instant a sitting must be handed in by: its own time limit, and
/// never after the exam's last day.
fn still_open(a: &AttemptRow, e: &ExamRow, now: DateTime<Utc>) -> bool {
    let deadline = parse_instant(&a.deadline_at).unwrap_or(now);
    now <= deadline + Duration::seconds(GRACE_SECONDS)
        && xinfang_domain::plain_date(&e.closes_on)
            .is_none_or(|d| now < day_start(d + Duration::days(1)) + Duration::seconds(GRACE_SECONDS))
}

async fn exam_view(state: &AppState, staff: &Staff, e: &ExamRow) -> ApiResult<ExamView> {
    let tree = state.tree();
    let mix = exam_mix(e);
    Ok(ExamView {
        id: e.id,
        title: e.title.clone(),
        units: exam_units(e).iter().filter_map(|u| tree.get(*u)).map(|u| u.name.clone()).collect(),
        units_covered: {
            let named = exam_units(e);
            tree.all().filter(|u| named.iter().any(|n| tree.is_self_or_ancestor(*n, u.id))).count()
        },
        roles: exam_roles(e).iter().filter_map(|r| Role::parse(r)).map(|r| r.label().to_string()).collect(),
        questions: mix.iter().map(|m| usize::from(m.count)).sum(),
        mix,
        time_limit_minutes: e.time_limit_minutes,
        pass_mark: e.pass_mark,
        opens_on: e.opens_on.clone(),
        closes_on: e.closes_on.clone(),
        attempts: e.attempts,
        mine: status(state, staff, e).await?,
    })
}

/// The exams a person is to sit (an admin: all).
pub async fn exams_for(state: &AppState, staff: &Staff) -> ApiResult<Vec<ExamView>> {
    close_expired(state, Some(staff.user.id)).await?;
    let mut out = Vec::new();
    for e in state.store.exams().await? {
        if staff.user.role == Role::Admin || required(state, &e, staff.unit.id, staff.user.role) {
            out.push(exam_view(state, staff, &e).await?);
        }
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/learning/exams", tag = "learning", security(("bearer" = [])),
    description = "The exams the caller must sit (an admin: every exam), each with the caller's standing: sittings, best score, passed, an open paper, whether a paper can be started now and why not.",
    responses((status = 200, body = [ExamView]), (status = 401, body = ErrorBody)))]
pub async fn exams(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<ExamView>>> {
    Ok(Json(exams_for(&state, &staff).await?))
}

pub async fn create_exam_from(state: &AppState, staff: &Staff, input: &ExamInput) -> ApiResult<ExamView> {
    staff.require_role(&[Role::Admin])?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(invalid("invalid_field", "请填写考试名称（不超过100字）", "title"));
    }
    let tree = state.tree();
    let mut units = Vec::new();
    for code in &input.units {
        let u = tree.by_code(code.trim()).ok_or_else(|| invalid("unknown_unit", format!("单位“{code}”不存在"), "units"))?;
        units.push(u.id);
    }
    if units.is_empty() || units.len() > 200 {
        return Err(invalid("invalid_field", "请选择参考单位（1至200个）", "units"));
    }
    let mut roles = Vec::new();
    for r in &input.roles {
        let role = Role::parse(r.trim()).ok_or_else(|| invalid("unknown_role", format!("角色“{r}”不存在"), "roles"))?;
        roles.push(role.as_str().to_string());
    }
    let mix = parse_mix(&input.mix)?;
    let questions = paper::check_mix(questions::bank(), &mix).map_err(|e| invalid("invalid_mix", e, "mix"))?;
    if !(5..=240).contains(&input.time_limit_minutes) {
        return Err(invalid("invalid_field", "考试时长应为5至240分钟", "time_limit_minutes"));
    }
    if !(1..=100).contains(&input.pass_mark) {
        return Err(invalid("invalid_field", "及格分应为1至100", "pass_mark"));
    }
    if !(1..=5).contains(&input.attempts) {
        return Err(invalid("invalid_field", "可参考次数应为1至5次", "attempts"));
    }
    let opens =
        xinfang_domain::plain_date(&input.opens_on).ok_or_else(|| invalid("invalid_day", "开考日期格式应为YYYY-MM-DD", "opens_on"))?;
    let closes =
        xinfang_domain::plain_date(&input.closes_on).ok_or_else(|| invalid("invalid_day", "截止日期格式应为YYYY-MM-DD", "closes_on"))?;
    if closes < opens || (closes - opens).num_days() > 366 {
        return Err(invalid("invalid_window", "截止日期应不早于开考日期，且不超过一年", "closes_on"));
    }
    let mix_json = serde_json::to_string(
        &mix.iter()
            .map(|m| MixInput { chapter: m.chapter, kind: m.kind.map(|k| k.code().to_string()), count: m.count })
            .collect::<Vec<_>>(),
    )
    .map_err(|_| ApiError::internal())?;
    let id = state
        .store
        .create_exam(&NewExam {
            title: title.to_string(),
            units: serde_json::to_string(&units).map_err(|_| ApiError::internal())?,
            roles: serde_json::to_string(&roles).map_err(|_| ApiError::internal())?,
            mix: mix_json,
            time_limit_minutes: input.time_limit_minutes,
            pass_mark: input.pass_mark,
            opens_on: opens.to_string(),
            closes_on: closes.to_string(),
            attempts: input.attempts,
            created_by: staff.user.id,
        })
        .await?;
    let _ = questions;
    let e = state.store.exam(id).await?.ok_or_else(ApiError::internal)?;
    exam_view(state, staff, &e).await
}

#[utoipa::path(post, path = "/api/v1/learning/exams", tag = "learning", security(("bearer" = [])),
    description = "Set an exam (admin): title, the units (with their subtrees) and roles that must sit it, the question mix by chapter and kind, time limit, pass mark, window of days, sittings allowed. Refused when the bank cannot fill the mix.",
    request_body = ExamInput,
    responses((status = 201, body = ExamView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_exam(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<ExamInput>,
) -> ApiResult<(StatusCode, Json<ExamView>)> {
    Ok((StatusCode::CREATED, Json(create_exam_from(&state, &staff, &input).await?)))
}

#[derive(Serialize, ToSchema, Debug)]
pub struct PaperView {
    pub attempt: i64,
    /// The exam's id, or none for the month's contest.
    pub exam: Option<i64>,
    pub contest_month: Option<String>,
    pub title: String,
    pub started_at: String,
    /// Hand in by this instant.
    pub deadline_at: String,
    pub questions: Vec<QuestionView>,
    /// After handing in, once the exam (contest) is over: each question
    /// marked with the key.
    pub marked: Option<Vec<MarkedView>>,
    /// Handed in, keys not yet shown: the day they will be (YYYY-MM-DD).
    pub keys_from: Option<String>,
    /// Not handed in: the answers saved so far.
    pub draft: HashMap<String, Vec<String>>,
    pub percent: Option<i64>,
    pub passed: Option<bool>,
    pub pass_mark: Option<i64>,
}

fn paper_ids(a: &AttemptRow) -> Vec<String> {
    serde_json::from_str(&a.questions).unwrap_or_default()
}

/// When the keys of a sitting may be shown: an exam's after its last day,
/// a contest's after its month (others may still be sitting the same
/// questions). Until then a handed-in paper shows its score only.
/// The first day the keys of a handed-in paper are shown: the day after
/// its exam closes, or the first day after its contest month; `None` for
/// a self-test (shown at once). Every sitter must have handed in first.
fn keys_shown_from(a: &AttemptRow, exam: Option<&ExamRow>) -> Option<NaiveDate> {
    match (exam, &a.contest_month) {
        (Some(e), _) => xinfang_domain::plain_date(&e.closes_on).and_then(|d| d.succ_opt()),
        (None, Some(m)) => {
            NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok().and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        }
        (None, None) => None,
    }
}

fn keys_open(a: &AttemptRow, exam: Option<&ExamRow>) -> bool {
    keys_shown_from(a, exam).is_none_or(|from| today() >= from)
}

pub async fn paper_view(state: &AppState, a: &AttemptRow) -> ApiResult<PaperView> {
    let exam = match a.exam_id {
        Some(id) => state.store.exam(id).await?,
        None => None,
    };
    let ids = paper_ids(a);
    let qs: Vec<&Question> = ids.iter().filter_map(|id| questions::question(id)).collect();
    let open_keys = keys_open(a, exam.as_ref());
    let marked_views = if a.submitted_at.is_some() && open_keys {
        let kept = state.store.attempt_answers(a.id).await?;
        Some(
            qs.iter()
                .map(|q| {
                    let given: Vec<String> = kept.get(&q.id).and_then(|(g, _)| serde_json::from_str(g).ok()).unwrap_or_default();
                    let mut m = marked(q, &given);
                    // The marks the paper was scored with, should the bank change.
                    if let Some((_, h)) = kept.get(&q.id) {
                        m.halves = u32::try_from(*h).unwrap_or(0);
                        m.right = m.halves == questions::FULL;
                    }
                    m
                })
                .collect(),
        )
    } else {
        None
    };
    let handed_in = a.submitted_at.is_some();
    Ok(PaperView {
        attempt: a.id,
        exam: a.exam_id,
        contest_month: a.contest_month.clone(),
        title: exam.as_ref().map_or_else(|| format!("{}月度学法竞赛", a.contest_month.clone().unwrap_or_default()), |e| e.title.clone()),
        started_at: a.started_at.clone(),
        deadline_at: a.deadline_at.clone(),
        // The articles a question tests are a hint: shown after hand-in.
        questions: qs
            .iter()
            .map(|q| {
                let mut v = question_view(q);
                if !handed_in {
                    v.articles.clear();
                }
                v
            })
            .collect(),
        marked: marked_views,
        draft: if handed_in { HashMap::new() } else { a.draft.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default() },
        keys_from: if handed_in && !open_keys { keys_shown_from(a, exam.as_ref()).map(|d| d.to_string()) } else { None },
        percent: a.percent,
        passed: a.passed,
        pass_mark: exam.map(|e| e.pass_mark),
    })
}

pub async fn start_exam(state: &AppState, staff: &Staff, id: i64) -> ApiResult<PaperView> {
    close_expired(state, Some(staff.user.id)).await?;
    let e = state.store.exam(id).await?.ok_or_else(|| ApiError::not_found("考试"))?;
    let st = status(state, staff, &e).await?;
    if let Some(open) = st.open_attempt {
        let a = state.store.attempt(open).await?.ok_or_else(ApiError::internal)?;
        return paper_view(state, &a).await;
    }
    if !st.required {
        return Err(ApiError::forbidden("您不在本场考试的参考范围内"));
    }
    if let Some(reason) = st.reason {
        return Err(conflict("exam_not_open", reason));
    }
    let attempt_no = state.store.attempts_of(e.id, staff.user.id).await?.len() as i64 + 1;
    let mix = parse_mix(&exam_mix(&e))?;
    // Not predictable from the exam and the person: the paper is kept with the sitting.
    let ids = paper::draw_any(
        questions::bank(),
        &mix,
        practice::seed(&format!(
            "exam {} user {} attempt {attempt_no} {}",
            e.id,
            staff.user.id,
            Utc::now().timestamp_nanos_opt().unwrap_or(0)
        )),
    )
    .map_err(|m| conflict("bank_too_small", m))?;
    let now = Utc::now();
    let end_of_window = xinfang_domain::plain_date(&e.closes_on).map_or(now, |d| day_start(d + Duration::days(1)));
    let deadline = (now + Duration::minutes(e.time_limit_minutes)).min(end_of_window);
    let qjson = serde_json::to_string(&ids).map_err(|_| ApiError::internal())?;
    let aid = match state
        .store
        .start_attempt(Some(e.id), None, staff.user.id, attempt_no, &qjson, &fmt_instant(now), &fmt_instant(deadline))
        .await
    {
        Ok(id) => id,
        Err(xinfang_store::StoreError::Conflict) => return Err(conflict("already_started", "试卷已在另一窗口开始，请刷新")),
        Err(e) => return Err(e.into()),
    };
    let a = state.store.attempt(aid).await?.ok_or_else(ApiError::internal)?;
    paper_view(state, &a).await
}

#[utoipa::path(post, path = "/api/v1/learning/exams/{id}/attempts", tag = "learning", security(("bearer" = [])),
    description = "Start (or resume) a paper: drawn for this person and sitting by the exam's mix. Refused outside the exam's window of days, to someone not required to sit it, after a pass, and when the sittings allowed are used up.",
    params(("id" = i64, Path)),
    responses((status = 201, body = PaperView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<(StatusCode, Json<PaperView>)> {
    Ok((StatusCode::CREATED, Json(start_exam(&state, &staff, id).await?)))
}

async fn own_attempt(state: &AppState, staff: &Staff, id: i64) -> ApiResult<AttemptRow> {
    close_expired(state, Some(staff.user.id)).await?;
    match state.store.attempt(id).await? {
        Some(a) if a.user_id == staff.user.id => Ok(a),
        _ => Err(ApiError::not_found("试卷")),
    }
}

#[utoipa::path(get, path = "/api/v1/learning/attempts/{id}", tag = "learning", security(("bearer" = [])),
    description = "One's own paper: its questions, and after handing in, each marked with the key and the explanation.",
    params(("id" = i64, Path)),
    responses((status = 200, body = PaperView), (status = 404, body = ErrorBody)))]
pub async fn attempt(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<PaperView>> {
    let a = own_attempt(&state, &staff, id).await?;
    Ok(Json(paper_view(&state, &a).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SubmitInput {
    /// Question id → the answers given (option letters, 对/错, or one text per blank). Unanswered questions score nothing.
    pub answers: HashMap<String, Vec<String>>,
}

/// Whether a paper may no longer be answered (its deadline, with the grace,
/// or its exam's last day has passed).
fn is_late(a: &AttemptRow, exam: Option<&ExamRow>, now: DateTime<Utc>) -> bool {
    match exam {
        Some(e) => !still_open(a, e, now),
        None => parse_instant(&a.deadline_at).is_ok_and(|d| now > d + Duration::seconds(GRACE_SECONDS)),
    }
}

async fn exam_of(state: &AppState, a: &AttemptRow) -> ApiResult<Option<ExamRow>> {
    match a.exam_id {
        Some(e) => Ok(Some(state.store.exam(e).await?.ok_or_else(ApiError::internal)?)),
        None => Ok(None),
    }
}

/// Answers for a paper: only its own questions, a handful of answers each.
fn check_answers(a: &AttemptRow, answers: &HashMap<String, Vec<String>>) -> ApiResult<Vec<String>> {
    let ids = paper_ids(a);
    if answers.len() > paper::MAX_QUESTIONS || answers.len() > ids.len() || answers.keys().any(|k| !ids.contains(k)) {
        return Err(invalid("unknown_question", "答卷中有不属于本试卷的题目", "answers"));
    }
    for given in answers.values() {
        check_given(given, "answers")?;
    }
    Ok(ids)
}

/// Mark a paper and hand it in, once; false if it was handed in already.
async fn mark_and_submit(
    state: &AppState,
    a: &AttemptRow,
    exam: Option<&ExamRow>,
    answers: &HashMap<String, Vec<String>>,
) -> ApiResult<bool> {
    let ids = paper_ids(a);
    let mut halves = 0u32;
    let mut kept = Vec::new();
    for qid in &ids {
        let Some(q) = questions::question(qid) else { continue };
        let given = answers.get(qid).cloned().unwrap_or_default();
        let h = q.mark(&given);
        halves += h;
        kept.push(MarkedAnswer {
            question_id: qid.clone(),
            answer: serde_json::to_string(&given).map_err(|_| ApiError::internal())?,
            halves: i64::from(h),
        });
    }
    let percent = paper::percent(halves, ids.len());
    let passed = exam.is_some_and(|e| i64::from(percent) >= e.pass_mark);
    Ok(state.store.submit_attempt(a.id, a.user_id, &kept, i64::from(halves), i64::from(percent), passed).await?)
}

/// Papers whose time ran out without being handed in are handed in with
/// the answers saved on them (a closed browser loses nothing saved, and
/// the sitting counts as sat). Done when anyone next looks: one person's
/// (`user`) or everyone's.
pub async fn close_expired(state: &AppState, user: Option<i64>) -> ApiResult<()> {
    let before = fmt_instant(Utc::now() - Duration::seconds(GRACE_SECONDS));
    for a in state.store.expired_attempts(user, &before).await? {
        let exam = exam_of(state, &a).await?;
        let draft: HashMap<String, Vec<String>> = a.draft.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
        mark_and_submit(state, &a, exam.as_ref(), &draft).await?;
    }
    Ok(())
}

pub async fn submit_paper(state: &AppState, staff: &Staff, id: i64, answers: &HashMap<String, Vec<String>>) -> ApiResult<PaperView> {
    let a = own_attempt(state, staff, id).await?;
    if a.submitted_at.is_some() {
        return Err(conflict("already_submitted", "试卷已交，不能重复提交"));
    }
    let exam = exam_of(state, &a).await?;
    if is_late(&a, exam.as_ref(), Utc::now()) {
        return Err(conflict("exam_closed", "已超过交卷时间或考试已结束，答卷不再接收；已保存的答案按时交卷"));
    }
    check_answers(&a, answers)?;
    if !mark_and_submit(state, &a, exam.as_ref(), answers).await? {
        return Err(conflict("already_submitted", "试卷已交，不能重复提交"));
    }
    let a = state.store.attempt(id).await?.ok_or_else(ApiError::internal)?;
    paper_view(state, &a).await
}

pub async fn save_paper(state: &AppState, staff: &Staff, id: i64, answers: &HashMap<String, Vec<String>>) -> ApiResult<()> {
    let a = own_attempt(state, staff, id).await?;
    if a.submitted_at.is_some() {
        return Err(conflict("already_submitted", "试卷已交"));
    }
    if is_late(&a, exam_of(state, &a).await?.as_ref(), Utc::now()) {
        return Err(conflict("exam_closed", "已超过交卷时间，不能再保存"));
    }
    check_answers(&a, answers)?;
    let draft = serde_json::to_string(answers).map_err(|_| ApiError::internal())?;
    if !state.store.save_draft(a.id, staff.user.id, &draft).await? {
        return Err(conflict("already_submitted", "试卷已交"));
    }
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/learning/attempts/{id}/draft", tag = "learning", security(("bearer" = [])),
    description = "Save the answers given so far on one's open paper (replacing the last save). A paper whose time runs out is handed in with what was saved.",
    params(("id" = i64, Path)), request_body = SubmitInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SubmitInput>,
) -> ApiResult<StatusCode> {
    save_paper(&state, &staff, id, &input.answers).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/learning/attempts/{id}/submit", tag = "learning", security(("bearer" = [])),
    description = "Hand in a paper, once: marked at once (single and judge: all or nothing; multiple: half for a correct subset, nothing with any wrong option; blanks: each its share), passed against the exam's mark. Refused after the paper's deadline or the exam's last day.",
    params(("id" = i64, Path)), request_body = SubmitInput,
    responses((status = 200, body = PaperView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SubmitInput>,
) -> ApiResult<Json<PaperView>> {
    Ok(Json(submit_paper(&state, &staff, id, &input.answers).await?))
}

// ------------------------------------------------------------------ contest

#[derive(Serialize, ToSchema, Debug)]
pub struct LeaderRow {
    pub rank: usize,
    pub name: String,
    pub unit: String,
    pub percent: i64,
    /// Seconds from start to hand-in.
    pub seconds: i64,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ContestView {
    /// YYYY-MM
    pub month: String,
    pub questions: u16,
    pub time_limit_minutes: i64,
    /// The caller's paper this month (one per person).
    pub mine: Option<i64>,
    /// It ran out of time without being handed in.
    pub mine_expired: bool,
    pub my_percent: Option<i64>,
    /// Within the caller's area, best score first, then the faster.
    pub leaderboard: Vec<LeaderRow>,
}

fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

pub async fn contest_for(state: &AppState, staff: &Staff) -> ApiResult<ContestView> {
    close_expired(state, None).await?;
    let month = month_of(today());
    let mine = state.store.contest_attempt(&month, staff.user.id).await?;
    let scope: HashSet<UnitId> = scope_units(state, staff).into_iter().collect();
    let users: HashMap<i64, xinfang_store::User> = state.store.users().await?.into_iter().map(|u| (u.id, u)).collect();
    let tree = state.tree();
    let mut rows: Vec<(i64, i64, String, String)> = state
        .store
        .contest_attempts(&month)
        .await?
        .into_iter()
        .filter_map(|a| {
            let u = users.get(&a.user_id)?;
            if !scope.contains(&u.unit_id) {
                return None;
            }
            let secs = match (parse_instant(&a.started_at), a.submitted_at.as_deref().map(parse_instant)) {
                (Ok(s), Some(Ok(e))) => (e - s).num_seconds(),
                _ => 0,
            };
            Some((a.percent.unwrap_or(0), secs, u.display_name.clone(), tree.get(u.unit_id).map(|x| x.name.clone()).unwrap_or_default()))
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    Ok(ContestView {
        month,
        questions: CONTEST_QUESTIONS,
        time_limit_minutes: CONTEST_MINUTES,
        my_percent: mine.as_ref().and_then(|a| a.percent),
        mine_expired: mine.as_ref().is_some_and(|a| {
            a.submitted_at.is_none() && parse_instant(&a.deadline_at).is_ok_and(|d| Utc::now() > d + Duration::seconds(GRACE_SECONDS))
        }),
        mine: mine.map(|a| a.id),
        // Competition ranking: the same score and time share a place (1, 1, 3).
        leaderboard: rows
            .iter()
            .enumerate()
            .map(|(i, (percent, seconds, name, unit))| {
                let rank = rows.iter().position(|r| r.0 == *percent && r.1 == *seconds).unwrap_or(i) + 1;
                LeaderRow { rank, name: name.clone(), unit: unit.clone(), percent: *percent, seconds: *seconds }
            })
            .take(50)
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/learning/contest", tag = "learning", security(("bearer" = [])),
    description = "This month's 学法竞赛: a paper of 20 questions drawn for each person, one sitting per person, keys shown after the month; the leaderboard of the caller's area (best score, then the faster).",
    responses((status = 200, body = ContestView), (status = 401, body = ErrorBody)))]
pub async fn contest(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<ContestView>> {
    Ok(Json(contest_for(&state, &staff).await?))
}

pub async fn start_contest_for(state: &AppState, staff: &Staff) -> ApiResult<PaperView> {
    let month = month_of(today());
    if let Some(a) = state.store.contest_attempt(&month, staff.user.id).await? {
        return paper_view(state, &a).await;
    }
    let mix = [MixRow { chapter: None, kind: None, count: CONTEST_QUESTIONS }];
    // Drawn for the person (keys of the month's papers open after the month).
    let seed = practice::seed(&format!("contest {month} user {} {}", staff.user.id, Utc::now().timestamp_nanos_opt().unwrap_or(0)));
    let ids = paper::draw_any(questions::bank(), &mix, seed).map_err(|m| conflict("bank_too_small", m))?;
    let now = Utc::now();
    let qjson = serde_json::to_string(&ids).map_err(|_| ApiError::internal())?;
    let deadline = now + Duration::minutes(CONTEST_MINUTES);
    let id = match state.store.start_attempt(None, Some(&month), staff.user.id, 1, &qjson, &fmt_instant(now), &fmt_instant(deadline)).await
    {
        Ok(id) => id,
        Err(xinfang_store::StoreError::Conflict) => {
            state.store.contest_attempt(&month, staff.user.id).await?.ok_or_else(ApiError::internal)?.id
        }
        Err(e) => return Err(e.into()),
    };
    let a = state.store.attempt(id).await?.ok_or_else(ApiError::internal)?;
    paper_view(state, &a).await
}

#[utoipa::path(post, path = "/api/v1/learning/contest/attempts", tag = "learning", security(("bearer" = [])),
    description = "Start (or resume) this month's contest paper.",
    responses((status = 201, body = PaperView), (status = 401, body = ErrorBody)))]
pub async fn start_contest(State(state): State<AppState>, staff: Staff) -> ApiResult<(StatusCode, Json<PaperView>)> {
    Ok((StatusCode::CREATED, Json(start_contest_for(&state, &staff).await?)))
}

// ------------------------------------------------------------ participation

/// The units whose people the caller sees in figures and leaderboards: an
/// admin all; others what they supervise (their subtree, a bureau its area).
fn scope_units(state: &AppState, staff: &Staff) -> Vec<UnitId> {
    if staff.user.role == Role::Admin { state.tree().all().map(|u| u.id).collect() } else { checked_units(state, staff) }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ParticipationQuery {
    /// First day (default: the first of this month).
    pub from: Option<String>,
    /// Last day, inclusive (default: today).
    pub to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct UnitFigures {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    #[schema(inline)]
    pub figures: FiguresView,
}

#[derive(Serialize, ToSchema, Debug, Default, Clone)]
pub struct FiguresView {
    pub staff: u32,
    pub practised: u32,
    pub required: u32,
    pub sat: u32,
    pub passed: u32,
    /// 参学率, %
    pub study_rate: Option<f64>,
    /// 参考率, %
    pub exam_rate: Option<f64>,
    /// 通过率, %
    pub pass_rate: Option<f64>,
    pub average_score: Option<f64>,
}

impl From<Figures> for FiguresView {
    fn from(f: Figures) -> Self {
        FiguresView {
            staff: f.staff,
            practised: f.practised,
            required: f.required,
            sat: f.sat,
            passed: f.passed,
            study_rate: f.study_rate,
            exam_rate: f.exam_rate,
            pass_rate: f.pass_rate,
            average_score: f.average_score,
        }
    }
}

#[derive(Serialize, ToSchema, Debug)]
pub struct WeakView {
    pub article: u16,
    pub label: String,
    pub heading: String,
    pub answers: u32,
    pub missed: u32,
    pub miss_rate: f64,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct Participation {
    pub from: String,
    pub to: String,
    pub total: FiguresView,
    pub units: Vec<UnitFigures>,
    /// By level of the unit (county, township…).
    pub levels: Vec<UnitFigures>,
    /// Articles most often missed (at least 3 answers).
    pub weakest: Vec<WeakView>,
}

/// Staff roles counted in participation (every role but the admin's).
fn counted(role: Role) -> bool {
    role != Role::Admin
}

pub async fn participation_for(state: &AppState, staff: &Staff, from: NaiveDate, to: NaiveDate) -> ApiResult<Participation> {
    close_expired(state, None).await?;
    let scope: HashSet<UnitId> = scope_units(state, staff).into_iter().collect();
    let people: Vec<xinfang_store::User> =
        state.store.users().await?.into_iter().filter(|u| u.active && counted(u.role) && scope.contains(&u.unit_id)).collect();
    let (start, end) = (fmt_instant(day_start(from)), fmt_instant(day_start(to + Duration::days(1))));
    let ids: HashSet<i64> = people.iter().map(|u| u.id).collect();
    let practised: HashSet<i64> = state.store.practised_between(&start, &end).await?.into_iter().filter(|u| ids.contains(u)).collect();
    let exams = state.store.exams_between(&from.to_string(), &to.to_string()).await?;
    let sittings = state.store.attempts_of_exams(&exams.iter().map(|e| e.id).collect::<Vec<_>>()).await?;
    let mut by_person: HashMap<(i64, i64), Vec<&AttemptRow>> = HashMap::new();
    for a in sittings.iter().filter(|a| a.submitted_at.is_some()) {
        if let Some(e) = a.exam_id {
            by_person.entry((e, a.user_id)).or_default().push(a);
        }
    }
    let mut facts: BTreeMap<i64, Person> = BTreeMap::new();
    for u in &people {
        let mut p = Person { practised: practised.contains(&u.id), ..Person::default() };
        for e in &exams {
            if !required(state, e, u.unit_id, u.role) {
                continue;
            }
            p.required = true;
            let mine: Vec<&AttemptRow> =
                sittings.iter().filter(|a| a.exam_id == Some(e.id) && a.user_id == u.id && a.submitted_at.is_some()).collect();
            if !mine.is_empty() {
                p.sat = true;
                p.passed |= mine.iter().any(|a| a.passed == Some(true));
                let best = mine.iter().filter_map(|a| a.percent).max().unwrap_or(0) as u32;
                p.best = Some(p.best.map_or(best, |b| b.max(best)));
            }
        }
        facts.insert(u.id, p);
    }
    let tree = state.tree();
    let mut by_unit: BTreeMap<UnitId, Vec<&Person>> = BTreeMap::new();
    // By the level itself, so the province comes first, not by its code.
    let mut by_level: BTreeMap<xinfang_domain::unit::Level, Vec<&Person>> = BTreeMap::new();
    for u in &people {
        let Some(p) = facts.get(&u.id) else { continue };
        by_unit.entry(u.unit_id).or_default().push(p);
        if let Some(unit) = tree.get(u.unit_id) {
            by_level.entry(unit.level).or_default().push(p);
        }
    }
    let units = by_unit
        .into_iter()
        .filter_map(|(id, ps)| {
            let u = tree.get(id)?;
            Some(UnitFigures {
                code: u.code.clone(),
                name: u.name.clone(),
                level: u.level.label().into(),
                figures: participation::figures(ps).into(),
            })
        })
        .collect();
    let levels = by_level
        .into_iter()
        .map(|(level, ps)| {
            let label = level.label().to_string();
            UnitFigures { code: level.as_str().to_string(), name: label.clone(), level: label, figures: participation::figures(ps).into() }
        })
        .collect();
    let tallies: Vec<(String, u32, u32)> = state
        .store
        .answer_tallies(&start, &end)
        .await?
        .into_iter()
        .filter(|t| ids.contains(&t.0))
        .map(|t| (t.1, u32::try_from(t.2).unwrap_or(0), u32::try_from(t.3).unwrap_or(0)))
        .collect();
    let weakest = participation::weakest(&tallies, 3, 10)
        .into_iter()
        .map(|w: Weak| WeakView {
            article: w.article,
            label: xinfang_law::article_label(w.article),
            heading: xinfang_law::library().article(w.article).map(|a| a.heading.clone()).unwrap_or_default(),
            answers: w.answers,
            missed: w.missed,
            miss_rate: w.miss_rate,
        })
        .collect();
    Ok(Participation {
        from: from.to_string(),
        to: to.to_string(),
        total: participation::figures(facts.values()).into(),
        units,
        levels,
        weakest,
    })
}

pub fn period(q: &ParticipationQuery) -> ApiResult<(NaiveDate, NaiveDate)> {
    let t = today();
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => xinfang_domain::plain_date(s).ok_or_else(|| invalid("invalid_day", "日期格式应为YYYY-MM-DD", "from"))?,
        None => t.with_day(1).unwrap_or(t),
    };
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => xinfang_domain::plain_date(s).ok_or_else(|| invalid("invalid_day", "日期格式应为YYYY-MM-DD", "to"))?,
        None => t,
    };
    if to < from || (to - from).num_days() > 731 {
        return Err(invalid("invalid_period", "结束日期应不早于开始日期，且不超过两年", "to"));
    }
    Ok((from, to))
}

pub fn participation_tables(p: &Participation) -> Vec<Table> {
    let header: Vec<String> =
        ["单位", "层级", "人数", "参学人数", "参学率%", "应考人数", "参考人数", "参考率%", "通过人数", "通过率%", "平均分"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let row = |name: &str, level: &str, f: &FiguresView| {
        vec![
            Cell::text(name),
            Cell::text(level),
            Cell::Number(f64::from(f.staff)),
            Cell::Number(f64::from(f.practised)),
            num(f.study_rate),
            Cell::Number(f64::from(f.required)),
            Cell::Number(f64::from(f.sat)),
            num(f.exam_rate),
            Cell::Number(f64::from(f.passed)),
            num(f.pass_rate),
            num(f.average_score),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = p.units.iter().map(|u| row(&u.name, &u.level, &u.figures)).collect();
    rows.push(row("合计", "", &p.total));
    let weak = Table {
        title: "最易错条文".into(),
        header: vec!["条文".into(), "摘要标题".into(), "作答次数".into(), "未答全对".into(), "错误率%".into()],
        rows: p
            .weakest
            .iter()
            .map(|w| {
                vec![
                    Cell::text(&w.label),
                    Cell::text(&w.heading),
                    Cell::Number(f64::from(w.answers)),
                    Cell::Number(f64::from(w.missed)),
                    Cell::Number(w.miss_rate),
                ]
            })
            .collect(),
    };
    vec![Table { title: format!("学法参与{}至{}", p.from, p.to), header, rows }, weak]
}

#[utoipa::path(get, path = "/api/v1/learning/participation", tag = "learning", security(("bearer" = [])),
    description = "参学率 / 参考率 / 通过率 and average score per unit and per level in the caller's area, and the articles most often missed, for a period (default: this month). 参学率 = staff who practised ÷ staff; 参考率 = required who handed in a paper ÷ required (exams whose window overlaps the period); 通过率 = passed ÷ sat. Leaders, unit heads, supervisors and admins; `format=csv|xlsx` exports.",
    params(ParticipationQuery),
    responses((status = 200, body = Participation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn participation(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ParticipationQuery>) -> ApiResult<Response> {
    let mut roles = MANAGERS.to_vec();
    roles.push(Role::Admin);
    staff.require_role(&roles)?;
    let format = Format::parse(q.format.as_deref())?;
    let (from, to) = period(&q)?;
    let p = participation_for(&state, &staff, from, to).await?;
    match format {
        None => Ok(Json(p).into_response()),
        Some(f) => file_response(&participation_tables(&p), f, &format!("学法参与{from}至{to}")),
    }
}
