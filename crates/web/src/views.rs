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
    match action {
        "submit" => "网上提交",
        "register" => "登记",
        "forward" => "转送",
        "assign" => "交办",
        "refer_legal" => "转政法部门",
        "refer_discipline" => "转纪检监察机关",
        "start_negotiation" => "协商受理",
        "settle_negotiation" => "确定受理机关",
        "escalate_dispute" => "提请决定受理机关",
        "decide_competence" => "确定受理机关",
        "report_urgent" => "报告",
        "classify" => "调整分类",
        "accept" => "受理",
        "decline" => "不予受理",
        "object" => "提出异议",
        "approve_objection" => "退回重新转交",
        "reject_objection" => "异议未获同意",
        "investigate" => "调查核实",
        "hold_hearing" => "听证",
        "mediate" => "调解",
        "extend" => "延期",
        "conclude" => "出具处理意见",
        "reply" => "答复",
        "redirect" => "导入法定程序",
        "deliver" => "送达",
        "request_review" => "申请复查",
        "decide_review" => "作出复查意见",
        "request_final_review" => "申请复核",
        "decide_final_review" => "作出复核意见",
        "close" => "办结",
        "supervise" => "督办",
        "evaluate" => "评价",
        "repeat_refused" => "重复提出不予受理",
        "recompute_deadlines" => "按节假日安排重新计算期限",
        "acknowledge_report" => "签收报告",
        _ => "办理",
    }
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
        overdue: r.next_due_on.as_deref().is_some_and(|d| d < today),
        number: r.number,
        title: if v == View::Sealed { "检举控告事项".into() } else { r.title },
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
