//! After a calendar change, bring every affected timer up to date.
//!
//! The store finds the petitions with an open timer whose span overlaps a
//! changed year (by the `deadlines` index); each is counted again under the
//! new calendar (`domain::recompute`), and where a due date or a
//! provisional flag moved, the new timers are written with a
//! `recompute_deadlines` event through the same path as a procedural act
//! (`Store::apply_transition`): the hash chain, the `deadlines` rows,
//! `next_due_on` and the case stay one consistent record. A concurrent act
//! on the same petition makes the version check fail; the petition is then
//! read again and counted again.

use crate::acting::involved_units;
use chrono::{NaiveDate, Utc};
use serde_json::json;
use xinfang_domain::calendar::HolidayCalendar;
use xinfang_domain::recompute::{TimerChange, recompute_open_timers};
use xinfang_domain::unit::UnitTree;
use xinfang_store::{ActorRef, EventDraft, Store, StoreError};

/// The action name of the history event (internal: not for the tracking page).
pub const ACTION: &str = "recompute_deadlines";

/// How often a petition is read again after losing a version race.
const ATTEMPTS: usize = 5;

/// What a resync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SyncOutcome {
    /// Petitions with an open timer touching a changed year.
    pub petitions_checked: usize,
    /// Petitions whose timers moved (each got one `recompute_deadlines` event).
    pub petitions_changed: usize,
    pub timers_changed: usize,
}

/// Why the timers are counted again, recorded in the event.
#[derive(Debug, Clone, Copy)]
pub enum Cause {
    /// Whole years imported and declared covered.
    Import,
    /// One day set by an admin.
    DaySet(NaiveDate),
    /// One day removed by an admin.
    DayDeleted(NaiveDate),
}

impl Cause {
    fn describe(self) -> serde_json::Value {
        match self {
            Cause::Import => json!({"kind": "import"}),
            Cause::DaySet(d) => json!({"kind": "day_set", "date": d}),
            Cause::DayDeleted(d) => json!({"kind": "day_deleted", "date": d}),
        }
    }
}

/// Count again every open timer touching `years` with `calendar` (the
/// calendar as it now stands), as `actor`.
pub async fn resync(
    store: &Store,
    tree: &UnitTree,
    calendar: &HolidayCalendar,
    years: &[i32],
    cause: Cause,
    actor: ActorRef,
) -> Result<SyncOutcome, StoreError> {
    let mut out = SyncOutcome::default();
    let (Some(first), Some(last)) = (years.iter().min(), years.iter().max()) else { return Ok(out) };
    let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(*first, 1, 1), NaiveDate::from_ymd_opt(*last, 12, 31)) else {
        return Ok(out);
    };
    let numbers = store.petitions_with_open_timers_between(from, to).await?;
    out.petitions_checked = numbers.len();
    for number in numbers {
        let moved = resync_one(store, tree, calendar, years, cause, &actor, &number).await?;
        if moved > 0 {
            out.petitions_changed += 1;
            out.timers_changed += moved;
        }
    }
    if out.petitions_changed > 0 {
        tracing::info!(
            ?years,
            checked = out.petitions_checked,
            changed = out.petitions_changed,
            "deadlines recomputed after a calendar change"
        );
    }
    Ok(out)
}

/// One petition; returns how many timers moved.
async fn resync_one(
    store: &Store,
    tree: &UnitTree,
    calendar: &HolidayCalendar,
    years: &[i32],
    cause: Cause,
    actor: &ActorRef,
    number: &str,
) -> Result<usize, StoreError> {
    for _ in 0..ATTEMPTS {
        let Some(rec) = store.petition_by_number(number).await? else { return Ok(0) };
        let mut case = rec.case.clone();
        let changes = recompute_open_timers(&mut case, calendar, years);
        if changes.is_empty() {
            return Ok(0);
        }
        let event = EventDraft {
            action: ACTION.into(),
            actor: actor.clone(),
            occurred_at: Utc::now(),
            from_state: Some(rec.case.state),
            to_state: case.state,
            payload: payload(&changes, years, cause),
            reason: None,
        };
        let involved = involved_units(&case, tree);
        let accused_path = case.accused_unit.and_then(|u| tree.get(u)).map(|u| u.path.clone());
        match store.apply_transition(rec.id, rec.version, &case, &event, None, &involved, None, accused_path.as_deref()).await {
            Ok(_) => return Ok(changes.len()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    tracing::warn!(number, "deadlines not recomputed: the petition kept changing; repeat the calendar change to retry");
    Ok(0)
}

/// The event payload: per timer, the old and the new due date and flag.
pub fn payload(changes: &[TimerChange], years: &[i32], cause: Cause) -> serde_json::Value {
    json!({
        "years": years,
        "cause": cause.describe(),
        "timers": changes.iter().map(|c| json!({
            "kind": c.kind.as_str(),
            "started_on": c.started_on,
            "old": {"due_on": c.old_due_on, "provisional": c.old_provisional},
            "new": {"due_on": c.new_due_on, "provisional": c.new_provisional},
        })).collect::<Vec<_>>(),
    })
}
