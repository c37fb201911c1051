//! Carrying out one procedural act, whoever does it: run the pure
//! transition, then write the case, the event, the notice, the visibility
//! index (and an evaluation) in one transaction.

use crate::dto::ActionResponse;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::views::deadline_views;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeSet;
use xinfang_domain::local_date;
use xinfang_domain::procedure::{Actor, Case, Command, Ctx, transition};
use xinfang_domain::unit::{UnitId, UnitTree};
use xinfang_store::{ActorRef, EventDraft, PetitionRecord};

/// Who acts, and when the act took effect.
pub struct Act {
    pub actor: Actor,
    pub actor_ref: ActorRef,
    /// The local day the act took effect (may be back-dated by staff).
    pub on: NaiveDate,
    pub occurred_at: DateTime<Utc>,
}

/// Every unit a case has touched, for the visibility index.
pub fn involved_units(case: &Case, tree: &UnitTree) -> Vec<(UnitId, String)> {
    let ids: BTreeSet<UnitId> =
        [Some(case.registered_unit), Some(case.current_unit), case.routed_by, case.handling_unit, case.review_unit, case.final_review_unit]
            .into_iter()
            .flatten()
            .chain(case.negotiation_units.iter().copied())
            .chain(case.disclosed_to.iter().copied())
            .chain(case.reported_to.iter().copied())
            .collect();
    ids.into_iter().filter_map(|id| tree.get(id).map(|u| (id, u.path.clone()))).collect()
}

pub async fn perform(state: &AppState, rec: PetitionRecord, cmd: Command, act: Act) -> ApiResult<ActionResponse> {
    let now = Utc::now();
    let tree = state.tree();
    // Count with the calendar as it stands, even if another node changed it.
    state.refresh_calendar().await?;
    let calendar = state.calendar();
    let ctx = Ctx {
        on: act.on,
        now,
        calendar: &calendar,
        tree: &tree,
        policy: state.settings.policy,
        window_policy: state.settings.window_policy,
    };
    let reason = cmd.stated_reason().map(String::from);
    let evaluation = match &cmd {
        Command::Evaluate { rating, reason } => {
            let document = rec.case.document.as_ref().map(|d| serde_json::json!(d.kind)).and_then(|v| v.as_str().map(String::from));
            Some((document.unwrap_or_default(), rating.as_str(), reason.clone()))
        }
        _ => None,
    };
    let t = transition(&rec.case, cmd, &act.actor, &ctx)?;
    let rows = crate::api::urgent::report_rows(&t, &act.actor, &tree, now, state.settings.urgent_ack_hours);
    let event = EventDraft {
        action: t.action.into(),
        actor: act.actor_ref,
        occurred_at: act.occurred_at,
        from_state: Some(rec.case.state),
        to_state: t.case.state,
        payload: t.payload,
        reason,
    };
    let involved = involved_units(&t.case, &tree);
    let eval = evaluation.as_ref().map(|(doc, rating, why)| (doc.as_str(), *rating, why.as_str()));
    let accused_path = t.case.accused_unit.and_then(|u| tree.get(u)).map(|u| u.path.clone());
    let seq = state
        .store
        .apply_transition_with(rec.id, rec.version, &t.case, &event, t.notice.as_deref(), &involved, eval, accused_path.as_deref(), &rows)
        .await?;
    Ok(ActionResponse {
        number: rec.number,
        action: t.action.into(),
        state: t.case.state.as_str().into(),
        state_label: t.case.state.label().into(),
        event_seq: seq,
        notice: t.notice,
        deadlines: deadline_views(&t.case.deadlines, local_date(now)),
    })
}
