//! Letters (PDF) of a petition for staff and for the petitioner, and the
//! admin's view of the job queue and the message templates (issue 11).

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::messages;
use xinfang_store::{DocumentRow, JobFilter, JobRow};

/// A letter issued on a petition.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct LetterView {
    pub id: i64,
    /// `acceptance_notice`, `decision_letter`, … (docs/letters.md).
    pub kind: String,
    pub title: String,
    /// 文号.
    pub doc_number: String,
    pub issued_on: String,
    /// SHA-256 of the PDF; null until it is rendered (a download renders it).
    pub sha256: Option<String>,
    pub size: Option<i64>,
    /// Addressed to the petitioner (also shown on the tracking page).
    pub to_petitioner: bool,
    /// Where to download it.
    pub url: String,
}

impl LetterView {
    pub fn from_row(r: &DocumentRow, url: String) -> LetterView {
        LetterView {
            id: r.id,
            kind: r.kind.clone(),
            title: r.title.clone(),
            doc_number: r.doc_number.clone(),
            issued_on: r.issued_on.to_string(),
            sha256: r.sha256.clone(),
            size: r.size,
            to_petitioner: r.to_petitioner,
            url,
        }
    }
}

/// The letters staff may see on petition `number` (the full view).
pub async fn staff_letters(state: &AppState, staff: &Staff, number: &str) -> ApiResult<(xinfang_store::PetitionRecord, Vec<LetterView>)> {
    let (rec, v) = crate::api::petitions::load_visible(state, staff, number).await?;
    crate::api::petitions::require_full(v)?;
    let rows = state.store.documents_of(rec.id).await?;
    let views = rows.iter().map(|r| LetterView::from_row(r, format!("/api/v1/petitions/{}/documents/{}", rec.number, r.id))).collect();
    Ok((rec, views))
}

#[utoipa::path(get, path = "/api/v1/petitions/{number}/documents", tag = "petitions", security(("bearer" = [])),
    description = "The letters issued on a petition (受理告知书, 转送单, 信访处理意见书, …), oldest first. Staff who see the petition in full.",
    params(("number" = String, Path)),
    responses((status = 200, body = [LetterView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiPath(number): ApiPath<String>) -> ApiResult<Json<Vec<LetterView>>> {
    Ok(Json(staff_letters(&state, &staff, &number).await?.1))
}

#[utoipa::path(get, path = "/api/v1/petitions/{number}/documents/{id}", tag = "petitions", security(("bearer" = [])),
    description = "One letter as PDF (rendered now if the background job has not yet). The bytes never change once rendered; their SHA-256 is in the list.",
    params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf", description = "The PDF"), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn download(State(state): State<AppState>, staff: Staff, ApiPath((number, id)): ApiPath<(String, i64)>) -> ApiResult<Response> {
    let (rec, v) = crate::api::petitions::load_visible(&state, &staff, &number).await?;
    crate::api::petitions::require_full(v)?;
    let row =
        state.store.document(id).await?.map(|d| d.0).filter(|d| d.petition_id == rec.id).ok_or_else(|| ApiError::not_found("文书"))?;
    crate::documents::pdf_response(&state, row).await
}

#[utoipa::path(get, path = "/api/v1/track/{number}/documents/{id}", tag = "track",
    description = "A letter addressed to the petitioner, as PDF, by number and query code.",
    params(("number" = String, Path), ("id" = i64, Path), crate::api::track::CodeQuery),
    responses((status = 200, content_type = "application/pdf", description = "The PDF"), (status = 404, body = ErrorBody)))]
pub async fn track_download(
    State(state): State<AppState>,
    ApiPath((number, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<crate::api::track::CodeQuery>,
) -> ApiResult<Response> {
    let rec = crate::api::track::load(&state, &number, q.code.as_deref()).await?;
    let row = state
        .store
        .document(id)
        .await?
        .map(|d| d.0)
        .filter(|d| d.petition_id == rec.id && d.to_petitioner)
        .ok_or_else(|| ApiError::not_found("文书"))?;
    crate::documents::pdf_response(&state, row).await
}

// ---------------------------------------------------------------------------
// The admin's outbox
// ---------------------------------------------------------------------------

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// pending, running, done or failed.
    pub state: Option<String>,
    /// A job kind (`sms`, `email`, `render_document`, `deadline_digest`, `purge`, …).
    pub kind: Option<String>,
    /// Jobs older than this id (the next page).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// A job as the admin sees it (recipients masked).
#[derive(Serialize, ToSchema, Debug)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    /// The stable idempotency key the receiver sees.
    pub key: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it is (or was) due.
    pub run_at: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub last_error: Option<String>,
    pub result: Option<String>,
    pub holder: Option<String>,
    /// Masked recipient of a message.
    pub to: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub number: Option<String>,
}

impl JobView {
    pub fn from_row(j: &JobRow) -> JobView {
        let s = |k: &str| j.payload.get(k).and_then(serde_json::Value::as_str).map(String::from);
        JobView {
            id: j.id,
            kind: j.kind.clone(),
            key: j.key.clone(),
            state: j.state.clone(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: xinfang_store::fmt_instant(j.run_at),
            created_at: xinfang_store::fmt_instant(j.created_at),
            finished_at: j.finished_at.map(xinfang_store::fmt_instant),
            last_error: j.last_error.clone(),
            result: j.result.clone(),
            holder: j.locked_by.clone(),
            to: s("to_masked"),
            subject: s("subject"),
            body: s("body"),
            number: s("number"),
        }
    }
}

/// One attempt at a job.
#[derive(Serialize, ToSchema, Debug)]
pub struct AttemptView {
    pub attempt: i64,
    pub holder: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub ok: Option<bool>,
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct JobDetail {
    pub job: JobView,
    pub attempts: Vec<AttemptView>,
}

/// Counts by kind and state.
#[derive(Serialize, ToSchema, Debug)]
pub struct JobCount {
    pub kind: String,
    pub state: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct JobPage {
    pub counts: Vec<JobCount>,
    pub items: Vec<JobView>,
    /// `before` for the next page, if there is one.
    pub next_before: Option<i64>,
}

/// The outbox is the whole deployment's: the top-level administrator's.
fn require_outbox_admin(staff: &Staff) -> ApiResult<()> {
    staff.require_top_level_admin().map_err(|_| ApiError::forbidden("消息和后台任务只能由最高一级的系统管理员查看"))
}

/// The jobs page, for the API and the admin page.
pub async fn job_page(state: &AppState, q: &JobQuery) -> ApiResult<JobPage> {
    if let Some(s) = &q.state
        && !xinfang_store::JOB_STATES.contains(&s.as_str())
    {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_state", "状态应为 pending、running、done 或 failed").at("state")
        );
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let filter = JobFilter {
        state: q.state.clone(),
        kinds: q.kind.iter().filter(|k| !k.is_empty()).cloned().collect(),
        before_id: q.before,
        limit: limit + 1,
    };
    let (rows, counts) = tokio::try_join!(state.store.list_jobs(&filter), state.store.job_counts())?;
    let more = rows.len() as i64 > limit;
    let items: Vec<JobView> = rows.iter().take(limit as usize).map(JobView::from_row).collect();
    Ok(JobPage {
        counts: counts.into_iter().map(|(kind, state, count)| JobCount { kind, state, count }).collect(),
        next_before: if more { items.last().map(|j| j.id) } else { None },
        items,
    })
}

#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", security(("bearer" = [])),
    description = "The job queue: messages (sms, email) pending, sent and failed with the error, letters to render, periodic jobs. Top-level admin.",
    params(JobQuery),
    responses((status = 200, body = JobPage), (status = 403, body = ErrorBody)))]
pub async fn jobs(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<JobQuery>) -> ApiResult<Json<JobPage>> {
    require_outbox_admin(&staff)?;
    Ok(Json(job_page(&state, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/jobs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = JobDetail), (status = 404, body = ErrorBody)))]
pub async fn job(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<JobDetail>> {
    require_outbox_admin(&staff)?;
    let j = state.store.job(id).await?.ok_or_else(|| ApiError::not_found("任务"))?;
    let attempts = state.store.job_attempts(id).await?;
    Ok(Json(JobDetail {
        job: JobView::from_row(&j),
        attempts: attempts
            .into_iter()
            .map(|a| AttemptView {
                attempt: a.attempt,
                holder: a.holder,
                started_at: xinfang_store::fmt_instant(a.started_at),
                finished_at: a.finished_at.map(xinfang_store::fmt_instant),
                ok: a.ok,
                error: a.error,
            })
            .collect(),
    }))
}

/// Put a failed job back in the queue (shared by the API and the page).
pub async fn retry(state: &AppState, staff: &Staff, id: i64) -> ApiResult<()> {
    require_outbox_admin(staff)?;
    if !state.store.retry_job(id).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_failed", "只有发送失败的任务可以重试"));
    }
    tracing::info!(job = id, by = %staff.user.username, "failed job queued again");
    state.services.wake.notify_one();
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin", security(("bearer" = [])),
    description = "Queue a failed job again, due now, with its full number of attempts.",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry_job(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    if state.store.job(id).await?.is_none() {
        require_outbox_admin(&staff)?;
        return Err(ApiError::not_found("任务"));
    }
    retry(&state, &staff, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A message template with its current text.
#[derive(Serialize, ToSchema, Debug)]
pub struct TemplateView {
    pub name: String,
    pub label: String,
    /// sms or email.
    pub channel: String,
    pub subject: String,
    pub body: String,
    /// The built-in text is in use.
    pub is_default: bool,
    /// `{name}`: meaning.
    pub placeholders: Vec<(String, String)>,
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateInput {
    #[serde(default)]
    pub subject: String,
    pub body: String,
}

pub async fn template_views(state: &AppState) -> ApiResult<Vec<TemplateView>> {
    let mut out = Vec::new();
    for t in messages::TEMPLATES {
        let custom = state.store.message_template(t.name).await?;
        let (subject, body) = custom.clone().unwrap_or_else(|| (t.subject.into(), t.body.into()));
        out.push(TemplateView {
            name: t.name.into(),
            label: t.label.into(),
            channel: t.channel.as_str().into(),
            subject,
            body,
            is_default: custom.is_none(),
            placeholders: t.placeholders.iter().map(|p| (format!("{{{}}}", p.0), p.1.to_string())).collect(),
        });
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/admin/message-templates", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [TemplateView]), (status = 403, body = ErrorBody)))]
pub async fn templates(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<TemplateView>>> {
    require_outbox_admin(&staff)?;
    Ok(Json(template_views(&state).await?))
}

/// Save an admin's text of template `name` (validated), or with `None`
/// return it to the built-in text.
pub async fn save_template(state: &AppState, staff: &Staff, name: &str, input: Option<&TemplateInput>) -> ApiResult<()> {
    require_outbox_admin(staff)?;
    let spec = messages::template(name).ok_or_else(|| ApiError::not_found("消息模板"))?;
    match input {
        Some(i) => {
            messages::validate(spec, &i.subject, &i.body)?;
            state.store.set_message_template(name, Some((i.subject.trim(), i.body.trim())), staff.user.id).await?;
        }
        None => state.store.set_message_template(name, None, staff.user.id).await?,
    }
    tracing::info!(template = name, by = %staff.user.username, reset = input.is_none(), "message template changed");
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/admin/message-templates/{name}", tag = "admin", security(("bearer" = [])),
    description = "Change a message template. Placeholders must be the template's own; an SMS must fit one 70-character segment with sample values.",
    params(("name" = String, Path)), request_body = TemplateInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_template(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<StatusCode> {
    save_template(&state, &staff, &name, Some(&input)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/admin/message-templates/{name}", tag = "admin", security(("bearer" = [])),
    description = "Return a message template to its built-in text.",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn reset_template(State(state): State<AppState>, staff: Staff, ApiPath(name): ApiPath<String>) -> ApiResult<StatusCode> {
    save_template(&state, &staff, &name, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
