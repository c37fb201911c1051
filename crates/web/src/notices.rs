//! Notices that leave the system (issue 11): which messages an act owes,
//! the staff reminders, and the workers that deliver them.
//!
//! An act's messages are jobs written in the act's own transaction (see
//! `acting::perform`), keyed by petition, version and recipient: a message
//! is owed exactly when the act committed, and is queued once. The
//! petitioner's own channel is the tracking page (the notice is part of
//! the record); SMS adds a short pointer to it. Staff hear by e-mail when
//! a petition reaches their unit, and in a daily digest of timers coming
//! due and just breached.

use crate::jobs::{JobError, JobResult};
use crate::state::AppState;
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use xinfang_domain::deadline::TimerKind;
use xinfang_domain::letters::cn_date;
use xinfang_domain::messages::{self, TemplateSpec};
use xinfang_domain::procedure::{Case, actions};
use xinfang_notify::{Mailer, SendError, SmsGateway};
use xinfang_store::{ClaimedJob, NewJob, PetitionRecord, Store};

/// Job kinds of this module.
pub const SMS: &str = "sms";
pub const EMAIL: &str = "email";
pub const DIGEST: &str = "deadline_digest";

/// Renders a letter's fields into a PDF (the `xinfang-letters` crate, kept
/// out of this one: typst is a heavy build).
pub trait LetterRenderer: Send + Sync {
    fn render(&self, kind: &str, data: &Value) -> Result<Vec<u8>, String>;
}

/// The delivery channels and the renderer this node has.
#[derive(Default)]
pub struct Services {
    pub sms: Option<SmsGateway>,
    pub mail: Option<Mailer>,
    pub letters: Option<Arc<dyn LetterRenderer>>,
    /// Why letters cannot be rendered here (no fonts…), when they cannot.
    pub letters_unavailable: Option<String>,
    /// Rung when this node queued work (the worker then runs at once).
    pub wake: Arc<tokio::sync::Notify>,
    /// Days before a due date that the staff digest lists a timer.
    pub digest_days: Vec<u32>,
}

/// A template's text: the admin's version, or the built-in one.
pub async fn template_text(store: &Store, spec: &TemplateSpec) -> Result<(String, String), xinfang_store::StoreError> {
    Ok(store.message_template(spec.name).await?.unwrap_or_else(|| (spec.subject.to_string(), spec.body.to_string())))
}

async fn rendered(store: &Store, name: &str, vars: &[(&str, String)]) -> Result<(String, String), xinfang_store::StoreError> {
    let spec = messages::template(name).ok_or_else(|| xinfang_store::StoreError::Corrupt(format!("no template {name}")))?;
    let (subject, body) = template_text(store, spec).await?;
    Ok((messages::render(&subject, vars), messages::render(&body, vars)))
}

/// The messages an act on `rec` owes, as jobs for the act's transaction.
/// `notice`: the act's notice to the petitioner, if any; `actor_unit` and
/// `on`: the acting unit and the act's day.
pub async fn act_messages(
    state: &AppState,
    rec: &PetitionRecord,
    action: &str,
    notice: Option<&str>,
    after: &Case,
    actor_unit: Option<xinfang_domain::unit::UnitId>,
    on: NaiveDate,
) -> Result<Vec<NewJob>, xinfang_store::StoreError> {
    let svc = &state.services;
    let mut jobs = Vec::new();
    let label = actions::label(action);
    // The petitioner: a pointer to the tracking page, to the phones of the
    // representatives (or the first petitioner who gave one).
    if svc.sms.is_some() && notice.is_some() && actions::petitioner_sees(action) {
        let reps: Vec<_> = rec.petitioners.iter().filter(|p| p.representative && p.phone.is_some()).collect();
        let to: Vec<_> = if reps.is_empty() { rec.petitioners.iter().filter(|p| p.phone.is_some()).take(1).collect() } else { reps };
        if !to.is_empty() {
            let (_, body) =
                rendered(&state.store, "petition_notice", &[("number", rec.number.clone()), ("action", label.to_string())]).await?;
            for (i, p) in to.iter().enumerate() {
                let Some(cipher) = &p.phone else { continue };
                let masked = state.keyring.decrypt(cipher).map(|ph| xinfang_crypto::mask::phone(&ph)).unwrap_or_default();
                jobs.push(
                    NewJob::now(
                        SMS,
                        format!("notice:{}:{}:{action}:sms:{i}", rec.id, rec.version),
                        json!({"to": cipher, "to_masked": masked, "body": body, "number": rec.number, "recipient": "petitioner"}),
                    )
                    .for_petition(rec.id),
                );
            }
        }
    }
    // Staff of a unit the petition has just reached.
    if svc.mail.is_some() && after.current_unit != rec.case.current_unit {
        let (unit, duty) = (unit_name(state, after.current_unit), after.next_duty_deadline());
        let vars = [
            ("number", rec.number.clone()),
            ("action", label.to_string()),
            ("unit", unit),
            ("duty", duty.map(|d| d.kind.label().to_string()).unwrap_or_else(|| "办理".into())),
            ("due_on", duty.map(|d| cn_date(d.due_on)).unwrap_or_else(|| "—".into())),
        ];
        let to: fn(&str) -> bool = |role| actions::RECEIVERS.iter().any(|r| r.as_str() == role);
        jobs.extend(unit_emails(state, rec, after.current_unit, to, "staff_arrival", "arrival", &vars).await?);
    }
    // A 督办 (by a person or the deadline watch): the supervised unit's
    // heads and receivers hear of it at once, not at the next digest.
    if svc.mail.is_some() && action == "supervise" {
        let supervisor = actor_unit.map(|u| unit_name(state, u)).filter(|n| !n.is_empty()).unwrap_or_else(|| "上级机关".into());
        let reply_due = xinfang_domain::supervision::reply_due(on, &state.calendar());
        let vars = [
            ("number", rec.number.clone()),
            ("unit", unit_name(state, after.current_unit)),
            ("supervisor", supervisor),
            ("reply_due_on", cn_date(reply_due)),
        ];
        let to: fn(&str) -> bool = |role| role == "unit_head" || actions::RECEIVERS.iter().any(|r| r.as_str() == role);
        jobs.extend(unit_emails(state, rec, after.current_unit, to, "supervision_notice", "supervision", &vars).await?);
    }
    Ok(jobs)
}

/// The duty officers of a unit for a risk alert: its heads and
/// supervisors (the people who answer for 应急 handling there).
fn duty_officer(role: &str) -> bool {
    role == "unit_head" || role == "supervisor"
}

/// Where a risk alert's e-mails go: the duty officers of each unit the
/// alert is raised for (`domain::alerting::alert_units`), each told as
/// much as that unit may read of the petition.
pub struct AlertRecipient {
    pub unit: xinfang_domain::unit::UnitId,
    /// The petition is a sealed accusation for this unit (Art. 30): its
    /// title, the words quoted from it and a reason that may quote it are
    /// withheld; the kinds of danger are still said.
    pub sealed: bool,
}

/// The recipients of an alert on a petition with `case` found by `unit`:
/// `unit` and, for an urgent one, the area's petition bureau.
pub fn alert_recipients(
    state: &AppState,
    unit: xinfang_domain::unit::UnitId,
    urgent: bool,
    case: &xinfang_domain::procedure::Case,
    confidential: bool,
) -> Vec<AlertRecipient> {
    use xinfang_domain::access::{View, view};
    let tree = state.tree();
    xinfang_domain::alerting::alert_units(&tree, unit, urgent, case, confidential)
        .into_iter()
        .map(|u| AlertRecipient {
            unit: u,
            sealed: view(case, confidential, u, xinfang_domain::role::Role::UnitHead, &tree) == View::Sealed,
        })
        .collect()
}

/// E-mails to the duty officers of `recipients` about an urgent risk that
/// `found_by` found in a petition (at its registration, or by hand with a
/// reason), queued in the same transaction as the alert. No number at
/// registration (it is drawn in that transaction): the title and the
/// signals; the alert itself is listed at `/api/v1/risk-alerts`.
pub async fn risk_alert_mail(
    state: &AppState,
    recipients: &[AlertRecipient],
    found_by: xinfang_domain::unit::UnitId,
    title: &str,
    risk: &crate::triage::Risk,
    raised_by_hand: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<NewJob>, xinfang_store::StoreError> {
    if state.services.mail.is_none() {
        return Ok(Vec::new());
    }
    let labels: Vec<&str> = risk.signals.iter().map(|s| s.label.as_str()).collect();
    let words: Vec<String> = risk.signals.iter().flat_map(|s| s.words.iter().chain(&s.passages).cloned()).collect();
    let subject = match raised_by_hand {
        Some(_) => format!("【风险提示】工作人员标记：{}", labels.join("、")),
        None => format!("【风险提示】新登记信访事项：{}", labels.join("、")),
    };
    // A signal the urgent model raised is said to be one: its words are
    // passages that weighed, not a phrase of the lexicon.
    let seed =
        if risk.signals.iter().any(|s| !s.passages.is_empty()) { "部分信号系参考样本模型判断，请核实。" } else { "" };
    let found = unit_name(state, found_by);
    let mut jobs = Vec::new();
    for r in recipients {
        let (title, quoted, reason) = if r.sealed {
            (crate::views::SEALED_TITLE, String::new(), crate::views::WITHHELD.to_string())
        } else {
            (title, format!("（原文：{}）", words.join("、")), raised_by_hand.unwrap_or_default().to_string())
        };
        let body = match raised_by_hand {
            Some(_) => format!(
                "{found}的工作人员将信访事项“{title}”标记为需要立即研判的风险：{}（理由：{reason}）。请登录工作台查看风险提示并及时处置。",
                labels.join("、"),
            ),
            None => format!(
                "{found}刚登记的信访事项“{title}”含有需要立即研判的风险信号：{}{quoted}。{seed}请登录工作台查看风险提示并及时处置。",
                labels.join("、"),
            ),
        };
        for c in state.store.unit_contacts(&[r.unit]).await?.iter().filter(|c| duty_officer(&c.role)) {
            let Some(cipher) = &c.email else { continue };
            let masked = state.keyring.decrypt(cipher).map(|e| mask_email(&e)).unwrap_or_default();
            jobs.push(NewJob::now(
                EMAIL,
                format!("risk:{}:{}:{}", r.unit, at.timestamp_nanos_opt().unwrap_or_default(), c.user_id),
                json!({"to": cipher, "to_masked": masked, "subject": subject, "body": body, "recipient": format!("user:{}", c.user_id)}),
            ));
        }
    }
    Ok(jobs)
}

fn unit_name(state: &AppState, unit: xinfang_domain::unit::UnitId) -> String {
    state.tree().get(unit).map(|u| u.name.clone()).unwrap_or_default()
}

/// One e-mail from `template` filled with `vars` to each member of `unit`
/// with an address whose role `to` accepts, keyed `key:petition:version:user`
/// (so the act owes it once).
async fn unit_emails(
    state: &AppState,
    rec: &PetitionRecord,
    unit: xinfang_domain::unit::UnitId,
    to: fn(&str) -> bool,
    template: &str,
    key: &str,
    vars: &[(&str, String)],
) -> Result<Vec<NewJob>, xinfang_store::StoreError> {
    let mut jobs = Vec::new();
    let (subject, body) = rendered(&state.store, template, vars).await?;
    for c in state.store.unit_contacts(&[unit]).await?.iter().filter(|c| to(&c.role)) {
        let Some(cipher) = &c.email else { continue };
        let masked = state.keyring.decrypt(cipher).map(|e| mask_email(&e)).unwrap_or_default();
        jobs.push(
            NewJob::now(
                EMAIL,
                format!("{key}:{}:{}:{}", rec.id, rec.version, c.user_id),
                json!({"to": cipher, "to_masked": masked, "subject": subject, "body": body, "number": rec.number, "recipient": format!("user:{}", c.user_id)}),
            )
            .for_petition(rec.id),
        );
    }
    Ok(jobs)
}

/// `li***@example.gov.cn`.
pub fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((user, host)) => format!("{}***@{host}", user.chars().take(2).collect::<String>()),
        None => "***".into(),
    }
}

fn payload_str<'a>(job: &'a ClaimedJob, key: &str) -> Result<&'a str, JobError> {
    job.payload.get(key).and_then(Value::as_str).ok_or_else(|| JobError::Fail(format!("消息缺少字段 {key}")))
}

fn send_error(e: SendError) -> JobError {
    match e {
        SendError::Retry(m) => JobError::Retry(m),
        SendError::Permanent(m) => JobError::Fail(m),
    }
}

/// Deliver one SMS job through the gateway, with the job's key as the
/// idempotency key.
pub async fn deliver_sms(state: AppState, job: ClaimedJob) -> JobResult {
    let Some(gw) = &state.services.sms else { return Err(JobError::Retry("未配置短信网关（sms_gateway_url）".into())) };
    let to = state.keyring.decrypt(payload_str(&job, "to")?).map_err(|e| JobError::Fail(format!("号码无法解密：{e}")))?;
    gw.send(&to, payload_str(&job, "body")?, &job.key).await.map_err(send_error)
}

/// Deliver one e-mail job over SMTP (Message-ID from the job's key).
pub async fn deliver_email(state: AppState, job: ClaimedJob) -> JobResult {
    let Some(mail) = &state.services.mail else { return Err(JobError::Retry("未配置邮件服务器（smtp_url）".into())) };
    let to = state.keyring.decrypt(payload_str(&job, "to")?).map_err(|e| JobError::Fail(format!("地址无法解密：{e}")))?;
    mail.send(&to, payload_str(&job, "subject")?, payload_str(&job, "body")?, &job.key).await.map_err(send_error)
}

/// The daily staff digest for `today`: for each unit holding petitions
/// whose duty timers fall due in one of `digest_days` days, today, or fell
/// due yesterday (just breached), one e-mail to each of its staff with an
/// address. Queued as e-mail jobs keyed by user and day, so a second
/// firing the same day adds nothing.
pub async fn digest(state: &AppState, today: NaiveDate) -> JobResult {
    let mut days: Vec<NaiveDate> =
        state.services.digest_days.iter().filter_map(|d| today.checked_add_days(chrono::Days::new(u64::from(*d)))).collect();
    days.push(today);
    let yesterday = today.pred_opt().unwrap_or(today);
    days.push(yesterday);
    let timers: Vec<_> = state
        .store
        .timers_due_on(&days)
        .await?
        .into_iter()
        .filter(|t| TimerKind::parse(&t.kind).is_some_and(|k| !k.is_petitioner_window()))
        .collect();
    let mut by_unit: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for t in &timers {
        let label = TimerKind::parse(&t.kind).map(|k| k.label()).unwrap_or_default();
        let left = (t.due_on - today).num_days();
        let when = match left {
            d if d < 0 => "已超期".to_string(),
            0 => "今日到期".to_string(),
            d => format!("还有{d}天"),
        };
        by_unit.entry(t.unit_id).or_default().push(format!("{} {label} {}到期（{when}）", t.number, cn_date(t.due_on)));
    }
    if by_unit.is_empty() {
        return Ok("no timers due".into());
    }
    let units: Vec<i64> = by_unit.keys().copied().collect();
    let contacts = state.store.unit_contacts(&units).await?;
    let tree = state.tree();
    let mut jobs = Vec::new();
    for c in contacts.iter().filter(|c| c.email.is_some()) {
        let (Some(cipher), Some(items)) = (&c.email, by_unit.get(&c.unit_id)) else { continue };
        let vars = [
            ("name", c.display_name.clone()),
            ("unit", tree.get(c.unit_id).map(|u| u.name.clone()).unwrap_or_default()),
            ("date", cn_date(today)),
            ("count", items.len().to_string()),
            ("items", items.join("\n")),
        ];
        let (subject, body) = rendered(&state.store, "staff_digest", &vars).await?;
        let masked = state.keyring.decrypt(cipher).map(|e| mask_email(&e)).unwrap_or_default();
        jobs.push(NewJob::now(
            EMAIL,
            format!("digest:{}:{today}", c.user_id),
            json!({"to": cipher, "to_masked": masked, "subject": subject, "body": body, "recipient": format!("user:{}", c.user_id)}),
        ));
    }
    let fresh = state.store.enqueue_all(&jobs).await?;
    if fresh > 0 {
        state.services.wake.notify_one();
    }
    Ok(format!("{} timers in {} units; {fresh} digests queued", timers.len(), by_unit.len()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn email_is_masked() {
        assert_eq!(super::mask_email("liming@example.gov.cn"), "li***@example.gov.cn");
        assert_eq!(super::mask_email("bad"), "***");
    }
}
