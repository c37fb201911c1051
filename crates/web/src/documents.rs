//! Letters on a petition (issue 11): what an act issues, rendering them
//! (by the background job, or on the first download if the job has not
//! run yet), and serving the PDF to staff and to the petitioner.

use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobError, JobResult};
use crate::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use xinfang_domain::letters::{LetterCtx, LetterDraft, PetitionFacts, letters_for};
use xinfang_domain::procedure::{Case, Command};
use xinfang_domain::unit::UnitId;
use xinfang_store::{ClaimedJob, DocumentRow, PetitionRecord};

/// What a letter says about the petition, from its record.
pub fn facts(rec: &PetitionRecord) -> PetitionFacts {
    PetitionFacts {
        number: rec.number.clone(),
        petitioner_names: if rec.anonymous { Vec::new() } else { rec.petitioners.iter().map(|p| p.name.clone()).collect() },
        anonymous: rec.anonymous,
        received_on: Some(rec.case.received_on),
        title: rec.title.clone(),
        content: rec.content.clone(),
        request: rec.request.clone(),
        facts_and_reasons: rec.facts_and_reasons.clone(),
        channel: rec.channel.label().into(),
        category: rec.category.label().into(),
    }
}

/// The letters an act issues.
pub fn act_letters(
    state: &AppState,
    rec: &PetitionRecord,
    cmd: &Command,
    after: &Case,
    actor_unit: UnitId,
    on: chrono::NaiveDate,
) -> Vec<LetterDraft> {
    let tree = state.tree();
    let calendar = state.calendar();
    let lc = LetterCtx { tree: &tree, calendar: &calendar, actor_unit, on };
    letters_for(cmd, &rec.case, after, &facts(rec), &lc)
}

/// Render `template` with `data` on a blocking thread.
pub async fn render_bytes(state: &AppState, template: &str, data: serde_json::Value) -> Result<Vec<u8>, JobError> {
    let Some(renderer) = state.services.letters.clone() else {
        let why = state.services.letters_unavailable.clone().unwrap_or_else(|| "本节点未配置文书生成".into());
        return Err(JobError::Retry(why));
    };
    let kind = template.to_string();
    tokio::task::spawn_blocking(move || renderer.render(&kind, &data))
        .await
        .map_err(|e| JobError::Retry(format!("文书生成中断：{e}")))?
        .map_err(|e| JobError::Fail(format!("文书生成失败：{e}")))
}

/// Render `template` with `data` on a blocking thread and put the PDF in
/// the object store: its SHA-256 and size.
pub async fn render_and_store(state: &AppState, template: &str, data: serde_json::Value) -> Result<(String, i64), JobError> {
    let pdf = render_bytes(state, template, data).await?;
    let stored = state.store.objects()?.put_bytes(&pdf).await.map_err(|e| JobError::Retry(format!("文书保存失败：{e}")))?;
    Ok((stored.sha256, pdf.len() as i64))
}

/// A stored PDF as a download named `filename`.
pub async fn stored_pdf(state: &AppState, sha: &str, size: i64, filename: &str, fallback: &str) -> ApiResult<Response> {
    let content = state.store.objects()?.get(sha).await.map_err(xinfang_store::StoreError::from)?;
    let disposition = format!("inline; filename=\"{fallback}\"; filename*=UTF-8''{}", crate::api::petitions::percent(filename));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::ETAG, format!("\"{sha}\"")),
            (header::CACHE_CONTROL, "private, no-cache".into()),
        ],
        axum::body::Body::from_stream(content),
    )
        .into_response())
}

pub fn not_ready(e: JobError) -> ApiError {
    match e {
        JobError::Retry(m) | JobError::Fail(m) => {
            ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "document_not_ready", format!("文书暂时无法生成：{m}"))
        }
    }
}

/// The PDF of unit letter `id` (rendered on its first download).
pub async fn unit_pdf_response(state: &AppState, id: i64) -> ApiResult<Response> {
    let (mut row, data) = state.store.unit_document(id).await?.ok_or_else(|| ApiError::not_found("文书"))?;
    if row.sha256.is_none() {
        let (sha256, size) = render_and_store(state, &row.template, data).await.map_err(not_ready)?;
        state.store.set_unit_document_pdf(id, &sha256, size).await?;
        row = state.store.unit_document(id).await?.ok_or_else(|| ApiError::not_found("文书"))?.0;
    }
    let sha = row.sha256.clone().unwrap_or_default();
    stored_pdf(state, &sha, row.size.unwrap_or(0), &format!("{}-{}.pdf", row.title, row.doc_number), &format!("unit-document-{id}.pdf"))
        .await
}

/// Render letter `id` if it has no PDF yet, and store the PDF once.
pub async fn ensure_rendered(state: &AppState, id: i64) -> Result<DocumentRow, JobError> {
    let (row, data) = state.store.document(id).await?.ok_or_else(|| JobError::Fail(format!("文书 {id} 不存在")))?;
    if row.sha256.is_some() {
        return Ok(row);
    }
    let (sha256, size) = render_and_store(state, &row.kind, data).await?;
    state.store.set_document_pdf(id, &sha256, size).await?;
    // Whoever won the race, the recorded PDF is the letter.
    let (row, _) = state.store.document(id).await?.ok_or_else(|| JobError::Fail(format!("文书 {id} 不存在")))?;
    Ok(row)
}

/// The `render_document` job.
pub async fn render_job(state: AppState, job: ClaimedJob) -> JobResult {
    let id = job.payload.get("document_id").and_then(serde_json::Value::as_i64).ok_or_else(|| JobError::Fail("缺少 document_id".into()))?;
    let row = ensure_rendered(&state, id).await?;
    Ok(format!("{} {} {} bytes", row.doc_number, row.sha256.unwrap_or_default(), row.size.unwrap_or(0)))
}

/// The PDF of letter `row` as a download.
pub async fn pdf_response(state: &AppState, row: DocumentRow) -> ApiResult<Response> {
    let row = match row.sha256 {
        Some(_) => row,
        None => ensure_rendered(state, row.id).await.map_err(not_ready)?,
    };
    let sha = row.sha256.clone().unwrap_or_default();
    stored_pdf(state, &sha, row.size.unwrap_or(0), &format!("{}-{}.pdf", row.title, row.doc_number), &format!("document-{}.pdf", row.id))
        .await
}
