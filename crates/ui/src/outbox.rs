//! The admin's outbox (issue 11): messages and other background jobs by
//! state, each failure with its error and a retry button, the attempts of
//! one job, and the message templates. Everything goes through the admin
//! API handlers (`api::letters`), so the same checks apply.

use crate::render;
use crate::workbench::{Me, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_web::AppState;
use xinfang_web::api::letters::{self, JobQuery, TemplateInput};
use xinfang_web::auth::Staff;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/admin/outbox", get(page))
        .route("/staff/admin/outbox/{id}/retry", post(retry))
        .route("/staff/admin/templates", get(templates_page))
        .route("/staff/admin/templates/{name}", post(save_template))
}

/// A job's state in words.
fn state_label(s: &str) -> &'static str {
    match s {
        "pending" => "待发送",
        "running" => "发送中",
        "done" => "已完成",
        "failed" => "失败",
        _ => "—",
    }
}

#[derive(Template)]
#[template(path = "staff_outbox.html")]
struct OutboxPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    /// (kind label, pending, running, done, failed)
    counts: Vec<(String, i64, i64, i64, i64)>,
    state: String,
    kind: String,
    kinds: Vec<(String, String)>,
    rows: Vec<OutboxRow>,
    next_before: Option<i64>,
    /// The job opened with `?job=ID`: its attempts.
    opened: Option<(i64, Vec<AttemptRow>)>,
}

/// One attempt: (number, node, started, result, error).
type AttemptRow = (i64, String, String, String, String);

struct OutboxRow {
    id: i64,
    kind: String,
    to: String,
    number: String,
    text: String,
    /// The idempotency key, shown on hover.
    key: String,
    state: String,
    state_label: &'static str,
    attempts: String,
    when: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct OutboxQuery {
    state: Option<String>,
    kind: Option<String>,
    before: Option<i64>,
    job: Option<i64>,
    done: Option<String>,
}

async fn outbox_admin(state: &AppState, headers: &HeaderMap) -> Result<Staff, Response> {
    let s = staff(state, headers).await?;
    if s.user.role != xinfang_domain::role::Role::Admin || s.unit.parent_id.is_some() {
        return Err(crate::error_page(
            &std::sync::Arc::default(),
            headers,
            StatusCode::FORBIDDEN,
            "无权访问",
            "消息和后台任务仅限最高一级的系统管理员查看。",
        ));
    }
    Ok(s)
}

fn time(t: &str) -> String {
    crate::portal::local_time(t)
}

/// What a job is about, in words: a message's subject or text; for a job
/// with neither (a periodic run, a letter to render), what its key says —
/// the key itself (`statistics_refresh@2026-12-05T13:25:30Z`,
/// `document:113`) is an idempotency key, not something to read.
fn described(subject: Option<&str>, body: Option<&str>, key: &str) -> String {
    if let Some(text) = subject.filter(|s| !s.is_empty()).or(body.filter(|b| !b.is_empty())) {
        return text.to_string();
    }
    if let Some((_, at)) = key.rsplit_once('@') {
        let when = time(at);
        return if when.is_empty() { "定期执行".to_string() } else { format!("定期执行，计划于{when}") };
    }
    if let Some(id) = key.strip_prefix("document:") {
        return format!("生成文书（文书记录第{id}号）");
    }
    "—".to_string()
}

async fn render_outbox(state: &AppState, headers: &HeaderMap, s: &Staff, q: OutboxQuery, alert: Option<String>) -> Response {
    let jq = JobQuery {
        state: q.state.clone().filter(|v| !v.is_empty()),
        kind: q.kind.clone().filter(|v| !v.is_empty()),
        before: q.before,
        limit: Some(50),
    };
    let page = match letters::job_page(state, &jq).await {
        Ok(p) => p,
        Err(e) => return (e.status, crate::workbench::chinese_only(&e.message)).into_response(),
    };
    let mut kinds: Vec<String> = page.counts.iter().map(|c| c.kind.clone()).collect();
    kinds.dedup();
    let count = |k: &str, st: &str| page.counts.iter().find(|c| c.kind == k && c.state == st).map(|c| c.count).unwrap_or(0);
    let counts = kinds
        .iter()
        .map(|k| {
            (xinfang_web::jobs::kind_label(k).to_string(), count(k, "pending"), count(k, "running"), count(k, "done"), count(k, "failed"))
        })
        .collect();
    let rows = page
        .items
        .iter()
        .map(|j| OutboxRow {
            id: j.id,
            kind: xinfang_web::jobs::kind_label(&j.kind).into(),
            to: j.to.clone().unwrap_or_default(),
            number: j.number.clone().unwrap_or_default(),
            text: described(j.subject.as_deref(), j.body.as_deref(), &j.key),
            key: j.key.clone(),
            state: j.state.clone(),
            state_label: state_label(&j.state),
            attempts: format!("{}/{}", j.attempts, j.max_attempts),
            when: time(j.finished_at.as_deref().unwrap_or(&j.run_at)),
            error: j.last_error.clone().unwrap_or_default(),
        })
        .collect();
    let opened = match q.job {
        Some(id) => match state.store.job_attempts(id).await {
            Ok(a) => Some((
                id,
                a.into_iter()
                    .map(|a| {
                        (
                            a.attempt,
                            a.holder,
                            time(&xinfang_store::fmt_instant(a.started_at)),
                            match a.ok {
                                Some(true) => "成功".to_string(),
                                Some(false) => "失败".to_string(),
                                None => "未结束".to_string(),
                            },
                            a.error.unwrap_or_default(),
                        )
                    })
                    .collect(),
            )),
            Err(_) => None,
        },
        None => None,
    };
    let (csrf, set) = crate::portal::csrf(headers);
    let p = OutboxPage {
        me: me(s),
        nav: "admin",
        csrf,
        flash: q.done.map(|d| format!("已{d}")),
        alert,
        counts,
        state: q.state.unwrap_or_default(),
        kind: q.kind.unwrap_or_default(),
        kinds: kinds.iter().map(|k| (k.clone(), xinfang_web::jobs::kind_label(k).to_string())).collect(),
        rows,
        next_before: page.next_before,
        opened,
    };
    crate::portal::with_cookie(render(&p), set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<OutboxQuery>) -> Response {
    match outbox_admin(&state, &headers).await {
        Ok(s) => render_outbox(&state, &headers, &s, q, None).await,
        Err(r) => r,
    }
}

async fn retry(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match outbox_admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return render_outbox(&state, &headers, &s, OutboxQuery::default(), Some("页面已过期，请刷新后重试".into())).await;
    }
    match letters::retry(&state, &s, id).await {
        Ok(()) => Redirect::to("/staff/admin/outbox?state=pending&done=重新排队").into_response(),
        Err(e) => {
            let mut r = render_outbox(
                &state,
                &headers,
                &s,
                OutboxQuery { state: Some("failed".into()), ..OutboxQuery::default() },
                Some(crate::workbench::chinese_only(&e.message)),
            )
            .await;
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "staff_templates.html")]
struct TemplatesPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    templates: Vec<letters::TemplateView>,
    /// The template whose edit was refused: (name, subject, body, field, message).
    failed: Option<(String, String, String, String, String)>,
}

async fn render_templates(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    flash: Option<String>,
    failed: Option<(String, String, String, String, String)>,
) -> Response {
    let mut templates = match letters::template_views(state).await {
        Ok(t) => t,
        Err(e) => return (e.status, crate::workbench::chinese_only(&e.message)).into_response(),
    };
    // The refused edit is shown as typed.
    if let Some((name, subject, body, _, _)) = &failed
        && let Some(t) = templates.iter_mut().find(|t| &t.name == name)
    {
        t.subject = subject.clone();
        t.body = body.clone();
    }
    let (csrf, set) = crate::portal::csrf(headers);
    let alert = failed.as_ref().map(|_| "未保存：请按提示修改".to_string());
    let p = TemplatesPage { me: me(s), nav: "admin", csrf, flash, alert, templates, failed };
    crate::portal::with_cookie(render(&p), set)
}

#[derive(Deserialize, Default)]
struct TemplatesQuery {
    done: Option<String>,
}

async fn templates_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<TemplatesQuery>) -> Response {
    match outbox_admin(&state, &headers).await {
        Ok(s) => render_templates(&state, &headers, &s, q.done.map(|d| format!("已保存：{d}")), None).await,
        Err(r) => r,
    }
}

async fn save_template(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match outbox_admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return render_templates(
            &state,
            &headers,
            &s,
            None,
            Some((name, get("subject"), get("body"), String::new(), "页面已过期，请刷新后重试".into())),
        )
        .await;
    }
    let input = TemplateInput { subject: get("subject"), body: get("body") };
    let reset = f.contains_key("reset");
    let r = letters::save_template(&state, &s, &name, if reset { None } else { Some(&input) }).await;
    match r {
        Ok(()) => {
            Redirect::to(&format!("/staff/admin/templates?done={}", crate::workbench::url_encode(if reset { "恢复默认" } else { "模板" })))
                .into_response()
        }
        Err(e) => {
            let field = e.fields.first().map(|f| f.field.clone()).unwrap_or_else(|| "body".into());
            let msg = crate::workbench::chinese_only(&e.message);
            let mut r = render_templates(&state, &headers, &s, None, Some((name, input.subject, input.body, field, msg))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::described;

    #[test]
    fn a_job_without_text_is_described_by_its_key_in_words() {
        assert_eq!(described(Some("受理告知"), None, "sms:1"), "受理告知");
        assert_eq!(described(Some(""), Some("您的信访事项已受理"), "sms:1"), "您的信访事项已受理");
        assert_eq!(described(None, None, "document:113"), "生成文书（文书记录第113号）");
        let periodic = described(None, None, "statistics_refresh@2026-12-05T13:25:30Z");
        assert!(periodic.starts_with("定期执行，计划于") && !periodic.contains("statistics_refresh"), "{periodic}");
        assert_eq!(described(None, None, "opaque"), "—");
    }
}
