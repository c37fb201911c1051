//! The deadline watch (issue 12): a scheduled sweep over every open duty
//! timer that keeps the counts by class (on track, due soon, due today,
//! overdue) and opens a supervision case (督办, Art. 40) at every breach,
//! from the petition bureau of the late unit's area to the late unit.
//!
//! The sweep is `sweep(state, today)`: the job calls it with the real date,
//! tests with any. It reads the open timers in two set-based queries (the
//! counts, and the breaches without a case); each new case is then one
//! `supervise` act — event on the petition's chain, 督办函, case row — in
//! one transaction, inserted only if the breach has no case yet (a UNIQUE
//! constraint), so two nodes sweeping at once open it once.

use crate::acting::{Act, perform_with};
use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobError, JobResult};
use crate::state::AppState;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use xinfang_domain::deadline::TimerKind;
use xinfang_domain::letters::cn_date;
use xinfang_domain::procedure::{Actor, Command, StaffActor};
use xinfang_domain::role::Role;
use xinfang_domain::supervision::{SupervisionKind, reply_due, supervising_bureau};
use xinfang_store::{Breach, NewSupervisionCase, WatchCounts};

/// The job kind (and schedule name) of the sweep.
pub const WATCH: &str = "deadline_watch";

/// What one sweep found and did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SweepReport {
    pub today: String,
    /// Open duty timers by class, over every unit.
    pub on_track: i64,
    pub due_soon: i64,
    pub due_today: i64,
    pub overdue: i64,
    /// Breached timers that had no case when the sweep looked.
    pub breaches: usize,
    /// Cases this sweep opened.
    pub opened: usize,
    /// Breaches another sweep (another node) opened first, or whose
    /// petition changed meanwhile: left to the next run.
    pub skipped: usize,
    /// Breaches with nobody above the late unit to supervise it.
    pub unsupervised: usize,
}

/// Sweep every open duty timer as of `today`.
pub async fn sweep(state: &AppState, today: NaiveDate) -> ApiResult<SweepReport> {
    let counts = state.store.watch_counts_now(today, state.settings.watch_due_soon_days).await?;
    state.store.save_watch_counts(&counts, today, Utc::now()).await?;
    let total = counts.iter().fold(WatchCounts::default(), |a, c| WatchCounts {
        unit_id: 0,
        on_track: a.on_track + c.on_track,
        due_soon: a.due_soon + c.due_soon,
        due_today: a.due_today + c.due_today,
        overdue: a.overdue + c.overdue,
    });
    let breaches = state.store.breaches_without_case(today, state.settings.watch_batch.max(1)).await?;
    let mut report = SweepReport {
        today: today.to_string(),
        on_track: total.on_track,
        due_soon: total.due_soon,
        due_today: total.due_today,
        overdue: total.overdue,
        breaches: breaches.len(),
        ..SweepReport::default()
    };
    if !breaches.is_empty() {
        state.refresh_units().await?;
    }
    for b in &breaches {
        match open_auto(state, b, today).await {
            Ok(Some(_)) => report.opened += 1,
            Ok(None) => report.unsupervised += 1,
            Err(e) if e.status == axum::http::StatusCode::CONFLICT => report.skipped += 1,
            Err(e) => {
                tracing::warn!(number = %b.number, timer = %b.kind, error = %e.message, "supervision case not opened");
                report.skipped += 1;
            }
        }
    }
    Ok(report)
}

/// Open the automatic case of one breach: None when nobody supervises the
/// late unit; 409 when the breach has its case already.
async fn open_auto(state: &AppState, b: &Breach, today: NaiveDate) -> ApiResult<Option<i64>> {
    let Some(rec) = state.store.petition_by_number(&b.number).await? else { return Ok(None) };
    let tree = state.tree();
    let late = rec.case.current_unit;
    let Some(bureau) = supervising_bureau(&tree, late, &rec.case.jurisdiction) else { return Ok(None) };
    // Never through a bureau that may not know of the petition (an
    // accusation about it or a unit above it, Art. 30).
    if xinfang_domain::access::view(&rec.case, rec.confidential, bureau, Role::Supervisor, &tree) == xinfang_domain::access::View::Hidden {
        return Ok(None);
    }
    let label = TimerKind::parse(&b.kind).map(|k| k.label()).unwrap_or("法定期限");
    let late_name = tree.get(late).map(|u| u.name.clone()).unwrap_or_default();
    let reason = format!("{late_name}办理的信访事项{}{label}已于{}届满，逾期未办理", rec.number, cn_date(b.due_on));
    let now = Utc::now();
    let reply_due_on = reply_due(today, &state.calendar());
    let case = NewSupervisionCase {
        kind: SupervisionKind::AutoOverdue.as_str().into(),
        petition_id: Some(rec.id),
        timer: Some((b.kind.clone(), b.due_on)),
        supervising_unit_id: bureau,
        supervised_unit_id: late,
        reason: reason.clone(),
        suggestions: String::new(),
        reply_due_on,
        rectify_by: None,
        opened_at: now,
        opened_by: None,
    };
    let mut extra = serde_json::Map::new();
    extra.insert("supervision_kind".into(), SupervisionKind::AutoOverdue.as_str().into());
    extra.insert("automatic".into(), true.into());
    extra.insert("timer".into(), b.kind.clone().into());
    extra.insert("timer_due_on".into(), b.due_on.to_string().into());
    // The bureau acts through the watch: a system actor in the bureau's
    // place, judged by the same Art. 40 rule as its supervisors.
    let act = Act {
        actor: Actor::Staff(StaffActor { user_id: 0, unit_id: bureau, role: Role::Supervisor }),
        actor_ref: xinfang_store::ActorRef { kind: "system", user_id: None, unit_id: Some(bureau) },
        on: today,
        occurred_at: now,
        extra,
    };
    let cmd = Command::Supervise { reason, suggestions: String::new(), letter: None };
    perform_with(state, rec, cmd, act, vec![case]).await?;
    crate::observe::supervision_opened(SupervisionKind::AutoOverdue.as_str());
    Ok(Some(bureau))
}

/// The job: sweep as of today (China time).
pub async fn watch_job(state: AppState) -> JobResult {
    let today = xinfang_domain::local_date(Utc::now());
    let r = sweep(&state, today).await.map_err(|e| match e.status {
        s if s.is_server_error() => JobError::Retry(e.message),
        _ => JobError::Fail(e.message),
    })?;
    Ok(format!(
        "{today}: {} on track, {} due soon, {} due today, {} overdue; {} breaches, {} cases opened, {} skipped, {} without a supervisor",
        r.on_track, r.due_soon, r.due_today, r.overdue, r.breaches, r.opened, r.skipped, r.unsupervised
    ))
}

/// An `ApiError` for a store conflict on a case (answered or closed already).
pub fn case_conflict(what: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::CONFLICT, "supervision_case_done", format!("{what}（依据《信访工作条例》第四十条）"))
}
