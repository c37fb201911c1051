//! Art. 30 in the figures: every aggregate a unit reads — the dashboard
//! (each table, and its files), the statistics, the annual report, the hot
//! spots with their 苗头性问题 summary, the deadline watch, the dispatch board —
//! counts no accusation the reading unit may not know of, whatever scope
//! (`unit=`) is asked: none whose accused unit's line (the accused and
//! every unit above it, either hierarchy, an office as its government:
//! `UnitTree::is_accused_or_above`) holds the reader, and none whose
//! accused is not named yet unless the reader may know it exists
//! (`access::hidden_until_accused_named`). The same rules as `access::view`
//! → `Hidden`, so a count never reveals what a list and a detail hide.
//!
//! The precomputed statistics, the recount and the watch count every
//! petition of a scope, the same for every reader; each read takes out the
//! accusations this reader is screened from (`store::screen`: one partial
//! index of accusations by the accused unit's path), which are few — the
//! accusations against the reader and the units below it, and those whose
//! accused is not named yet.

use crate::error::ApiResult;
use crate::state::AppState;
use std::collections::{HashMap, HashSet};
use xinfang_domain::supervision::{WatchClass, classify};
use xinfang_domain::unit::{Unit, UnitKind, UnitTree};
use xinfang_store::{Screen, Screened, WatchCounts};

/// Who reads, for the store: the reader and the paths of every unit it is
/// on the accused line of.
pub fn screen_of(tree: &UnitTree, reader: &Unit) -> Screen {
    // `is_accused_or_above(reader, a)` for every unit `a`, walked down
    // from the reader once.
    let mut accused_paths: Vec<String> =
        tree.self_and_below_any(tree.acting_as(reader.id)).into_iter().filter_map(|a| Some(tree.get(a)?.path.clone())).collect();
    accused_paths.sort_unstable();
    Screen { reader: reader.id, reader_discipline: reader.kind == UnitKind::DisciplineBody, accused_paths }
}

/// The accusations `reader` may not count.
pub async fn screened(state: &AppState, reader: &Unit) -> ApiResult<Vec<Screened>> {
    let screen = screen_of(&state.tree(), reader);
    Ok(state.store.screened_accusations(&screen).await?)
}

/// The ids of those a scope of `units` counts (registered at or handled by
/// one), sorted.
pub fn ids_in(screened: &[Screened], units: &HashSet<i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = screened.iter().filter(|s| s.in_units(units)).map(|s| s.id).collect();
    ids.sort_unstable();
    ids
}

/// Take the open duty timers of screened petitions (`timers`: the unit
/// holding each and its due date) out of the watch's counts, classed as
/// the sweep of `swept_on` classed them.
pub fn unwatch(counts: &mut [WatchCounts], timers: &[(i64, chrono::NaiveDate)], swept_on: chrono::NaiveDate, soon_days: u32) {
    // By unit, not a search per timer: a province has thousands of units.
    let at: HashMap<i64, usize> = counts.iter().enumerate().map(|(i, c)| (c.unit_id, i)).collect();
    for (unit, due) in timers {
        let Some(c) = at.get(unit).map(|&i| &mut counts[i]) else { continue };
        let n = match classify(*due, swept_on, soon_days) {
            WatchClass::OnTrack => &mut c.on_track,
            WatchClass::DueSoon => &mut c.due_soon,
            WatchClass::DueToday => &mut c.due_today,
            WatchClass::Overdue => &mut c.overdue,
        };
        *n = (*n - 1).max(0);
    }
}

/// The watch's counts of the units in `scope`, without the open timers of
/// `screened` (the accusations the reader may not count), with the day of
/// the sweep. The counts of units outside `scope` are left as swept: the
/// callers show none of them.
pub async fn watch_counts_for(
    state: &AppState,
    screened: &[Screened],
    scope: &HashSet<i64>,
) -> ApiResult<(Vec<WatchCounts>, Option<(chrono::NaiveDate, String)>)> {
    let (mut counts, when) = state.store.watch_counts().await?;
    // Only a petition with a unit's duty open has a next due day (the
    // earliest of the timers the watch counts, `Case::next_duty_due`, kept
    // with the timers in one write): a province bureau is screened from
    // some 20,000 accusations, most of them closed long ago.
    let holding: HashMap<i64, i64> = screened
        .iter()
        .filter(|s| s.next_due_on.is_some() && scope.contains(&s.current_unit_id))
        .map(|s| (s.id, s.current_unit_id))
        .collect();
    if let Some((swept_on, _)) = &when
        && !holding.is_empty()
    {
        let mut ids: Vec<i64> = holding.keys().copied().collect();
        ids.sort_unstable();
        let timers: Vec<(i64, chrono::NaiveDate)> = state
            .store
            .open_duty_timers(&ids)
            .await?
            .into_iter()
            .filter_map(|(petition, due)| Some((*holding.get(&petition)?, due)))
            .collect();
        unwatch(&mut counts, &timers, *swept_on, state.settings.watch_due_soon_days);
    }
    Ok((counts, when))
}
