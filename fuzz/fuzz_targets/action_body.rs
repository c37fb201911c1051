//! Action bodies are JSON from API clients: any action name and body must
//! parse or be refused, and the state machine must answer without panicking.
#![no_main]

use chrono::{NaiveDate, Utc};
use libfuzzer_sys::fuzz_target;
use xinfang_domain::calendar::HolidayCalendar;
use xinfang_domain::deadline::CountingPolicy;
use xinfang_domain::petition::{Category, Channel, Registration};
use xinfang_domain::procedure::{Actor, Command, Ctx, StaffActor, actions, register, transition};
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Level, Unit, UnitKind, UnitTree};

fn unit(id: i64, kind: UnitKind, parent: Option<i64>, path: &str) -> Unit {
    Unit { id, code: format!("U{id}"), name: format!("单位{id}"), kind, level: Level::County, parent_id: parent, gov_id: None, jurisdiction: "440304".into(), path: path.into() }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Some(action) = actions::ACTIONS.get(usize::from(pick) % actions::ACTIONS.len()).map(|a| a.name) else { return };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(rest) else { return };
    let Ok(cmd) = Command::from_json(action, body) else { return };
    let tree = UnitTree::new([
        unit(1, UnitKind::PetitionBureau, None, "/1/"),
        unit(2, UnitKind::Department, None, "/2/"),
        unit(3, UnitKind::Department, Some(2), "/2/3/"),
        unit(4, UnitKind::DisciplineBody, None, "/4/"),
    ]);
    let cal = HolidayCalendar::default();
    let on = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
    let ctx = Ctx { on, now: Utc::now(), calendar: &cal, tree: &tree, policy: CountingPolicy::default(), window_policy: CountingPolicy::StartExcludedNoRoll };
    let reg = Registration {
        channel: Channel::Online,
        petitioners: Vec::new(),
        collective: false,
        headcount: 1,
        jurisdiction: "440304".into(),
        title: "t".into(),
        content: String::new(),
        request: "r".into(),
        facts_and_reasons: "f".into(),
        category: Category::Claim,
        litigation_related: false,
        topic: None,
        accused: None,
        anonymous: true,
        confidential: false,
        received_on: on,
    };
    let Some(bureau) = tree.get(1) else { return };
    let case = register(&reg, bureau, &ctx);
    for actor in [Actor::Petitioner, Actor::Staff(StaffActor { user_id: 1, unit_id: 1, role: Role::Clerk })] {
        if let Ok(t) = transition(&case, cmd.clone(), &actor, &ctx) {
            // A permitted act keeps the case consistent.
            assert!(tree.get(t.case.current_unit).is_some());
        }
    }
});
