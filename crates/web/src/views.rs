//! Turning stored records into API views.

use crate::dto::{DeadlineView, PauseView, PetitionListItem, PetitionerView, UnitRef};
use chrono::NaiveDate;
use xinfang_crypto::{Keyring, mask};
use xinfang_domain::access::{View, view};
use xinfang_domain::deadline::Deadline;
use xinfang_domain::petition::State as PState;
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Unit, UnitId, UnitTree};
use xinfang_store::PetitionSummary;
use xinfang_store::StoredPetitioner;
use xinfang_store::fmt_instant;

pub fn unit_ref(u: &Unit) -> UnitRef {
    UnitRef { code: u.code.clone(), name: u.name.clone(), kind: u.kind.as_str().into(), level: u.level.as_str().into() }
}

pub fn unit_ref_id(tree: &UnitTree, id: Option<UnitId>) -> Option<UnitRef> {
    id.and_then(|id| tree.get(id)).map(unit_ref)
}

pub fn deadline_view(d: &Deadline, today: NaiveDate) -> DeadlineView {
    DeadlineView {
        kind: d.kind.as_str().into(),
        label: d.kind.label().into(),
        started_on: d.started_on.to_string(),
        length: d.length,
        day_unit: d.day_unit.as_str().into(),
        policy: d.policy.as_str().into(),
        extension_days: d.extension_days,
        pauses: d
            .pauses
            .iter()
            .map(|p| PauseView { from: p.from.to_string(), to: p.to.to_string(), days: p.days(), reason: "hearing".into() })
            .collect(),
        due_on: d.due_on.to_string(),
        due_at: format!("{}T23:59:59+08:00", d.due_on),
        met_at: d.met_at.map(fmt_instant),
        provisional: d.provisional,
        overdue: !d.kind.is_petitioner_window() && d.is_overdue(today),
    }
}

pub fn deadline_views(ds: &[Deadline], today: NaiveDate) -> Vec<DeadlineView> {
    ds.iter().map(|d| deadline_view(d, today)).collect()
}

/// Chinese label of an action, for the petitioner's progress view.
pub fn action_label(action: &str) -> &'static str {
    xinfang_domain::procedure::actions::label(action)
}

/// A petitioner for display: decrypted, then masked unless `unmasked`
/// (which only the logged unmask action asks for). A field that cannot be
/// decrypted (a lost key) shows as `[无法解密]`, never as ciphertext.
pub fn petitioner_view(keys: &Keyring, p: &StoredPetitioner, unmasked: bool) -> PetitionerView {
    let open = |v: &Option<String>, m: fn(&str) -> String| {
        v.as_deref().map(|c| match keys.decrypt(c) {
            Ok(plain) if unmasked => plain,
            Ok(plain) => m(&plain),
            Err(_) => "[无法解密]".to_string(),
        })
    };
    PetitionerView {
        kind: p.kind.as_str().into(),
        name: p.name.clone(),
        id_number: open(&p.id_number, mask::id_number),
        phone: open(&p.phone, mask::phone),
        address: open(&p.address, mask::address),
        representative: p.representative,
        masked: !unmasked,
    }
}

/// What a sealed accusation is called where a unit may know only that it
/// exists (Art. 30): lists, reports, approvals, risk alerts.
pub const SEALED_TITLE: &str = "检举控告事项";

/// The title `v` may read: a sealed accusation's is `SEALED_TITLE`. Lists,
/// searches and their matching all read this one, so that no word of a
/// withheld title finds, ranks or marks anything.
pub fn shown_title(title: &str, v: View) -> &str {
    if v == View::Sealed { SEALED_TITLE } else { title }
}

/// In place of a text withheld by the access rules (a sealed accusation's
/// material, or free text that may quote it).
pub const WITHHELD: &str = "[依规不予显示]";

/// A free text a unit may not read: withheld, unless there is nothing to
/// withhold (an empty field stays empty, so its absence is not hidden).
pub fn withheld(text: String) -> String {
    if text.is_empty() { text } else { WITHHELD.into() }
}

/// One row of a listing or export as `unit`/`role` may see it: sealed
/// accusations get a neutral title, hidden identities `[保密]`, and every
/// identity number and phone is masked. `None` for a row the viewer must
/// not see at all.
pub fn list_item(
    keys: &Keyring,
    tree: &xinfang_domain::unit::UnitTree,
    unit: xinfang_domain::unit::UnitId,
    role: Role,
    today: &str,
    r: PetitionSummary,
    petitioners: Option<&Vec<StoredPetitioner>>,
) -> Option<PetitionListItem> {
    let v = view(&r.case, r.confidential, unit, role, tree);
    if v == View::Hidden {
        return None;
    }
    let first = petitioners.and_then(|p| p.first()).map(|p| petitioner_view(keys, p, false));
    let (name, id_number, phone) = match (v, first) {
        (View::Full, Some(p)) => (Some(mask::name(&p.name)), p.id_number, p.phone),
        (_, Some(_)) => (Some("[保密]".to_string()), None, None),
        (_, None) => (None, None, None),
    };
    let st = PState::parse(&r.state);
    Some(PetitionListItem {
        // Kept only where the first is seen in full too (`list_items`).
        repeat_of: r.repeat_of.filter(|_| matches!(v, View::Full | View::IdentityHidden)),
        overdue: r.next_due_on.as_deref().is_some_and(|d| d < today),
        number: r.number,
        title: shown_title(&r.title, v).to_string(),
        state_label: st.map(|s| s.label()).unwrap_or_default().into(),
        state: r.state,
        category: r.category,
        channel: r.channel,
        topic: r.topic,
        jurisdiction: r.jurisdiction,
        current_unit: unit_ref_id(tree, Some(r.current_unit_id)),
        registered_at: r.registered_at,
        received_on: r.received_on,
        next_due_on: r.next_due_on,
        next_due_label: r.next_due_kind.as_deref().and_then(xinfang_domain::deadline::TimerKind::parse).map(|k| k.label().to_string()),
        next_due_kind: r.next_due_kind,
        petitioner_name: name,
        petitioner_id_number: id_number,
        petitioner_phone: phone,
    })
}
