//! The province the load builds: its units by area, the staff of each unit,
//! and the plan of every petition (when, where, who, what) in
//! registration order.

use crate::rng::Rng;
use crate::text;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use xinfang::province::code;
use xinfang_domain::calendar::HolidayCalendar;
use xinfang_domain::deadline::CountingPolicy;
use xinfang_domain::petition::{Category, Channel};
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Unit, UnitId, UnitKind, UnitTree};

/// The province code of the generated tree (Guangdong's division data).
pub const PROVINCE: &str = "44";

/// Every bench user's password.
pub const PASSWORD: &str = "Bench@Scale-2026";

/// Username of a unit's staff member in a role: `GD440304-XFJ.clerk`.
pub fn username(unit_code: &str, role: Role) -> String {
    format!("{unit_code}.{}", xinfang::demo_history::short_role(role))
}

/// The roles created at each unit.
pub fn roles_of(kind: UnitKind) -> &'static [Role] {
    match kind {
        UnitKind::PetitionBureau => &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer, Role::Supervisor, Role::Leader],
        _ => &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer],
    }
}

pub struct County {
    pub code: String,
    pub city: String,
    pub townships: Vec<String>,
    pub weight: f64,
}

/// The handling department for a topic (suffix of the unit code).
pub fn department_for(topic: &str) -> &'static str {
    match topic.get(..2).unwrap_or("17") {
        "01" => "ZJ",
        "02" => "RST",
        "03" => "ZR",
        "04" => "NY",
        "05" => "SF",
        "07" => "WJ",
        "08" => "JY",
        "09" => "MZ",
        "10" => "ST",
        "11" => "JT",
        "14" => "CZ",
        _ => "FGW",
    }
}

pub struct World {
    pub seed: u64,
    pub tree: Arc<UnitTree>,
    pub calendar: Arc<HolidayCalendar>,
    pub policy: CountingPolicy,
    pub window_policy: CountingPolicy,
    pub counties: Vec<County>,
    pub county_weights: Vec<f64>,
    pub users: HashMap<(UnitId, Role), i64>,
    /// Second-level topic codes and their weights.
    pub topics: Vec<(String, f64)>,
    pub names: HashMap<String, String>,
    /// When the load runs: nothing happens after it.
    pub now: DateTime<Utc>,
    pub start: DateTime<Utc>,
}

impl World {
    pub fn unit(&self, area: &str, suffix: &str) -> Option<&Unit> {
        self.tree.by_code(&code(area, suffix))
    }

    pub fn user(&self, unit: UnitId, role: Role) -> Option<i64> {
        self.users.get(&(unit, role)).copied()
    }

    pub fn place(&self, division: &str) -> &str {
        self.names.get(division).map(String::as_str).unwrap_or("本地")
    }

    pub fn new(
        seed: u64,
        tree: UnitTree,
        calendar: HolidayCalendar,
        users: HashMap<(UnitId, Role), i64>,
        names: HashMap<String, String>,
        now: DateTime<Utc>,
        days: i64,
    ) -> World {
        let settings = xinfang_web::Settings::default();
        let mut rng = Rng::new(seed ^ 0xC0FFEE);
        let mut counties: Vec<County> = tree
            .all()
            .filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 6)
            .map(|u| County { code: u.jurisdiction.clone(), city: u.jurisdiction[..4].to_string(), townships: Vec::new(), weight: 1.0 })
            .collect();
        counties.sort_by(|a, b| a.code.cmp(&b.code));
        let mut by_code: HashMap<String, usize> = counties.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        let mut towns: Vec<&Unit> = tree.all().filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 9).collect();
        towns.sort_by(|a, b| a.jurisdiction.cmp(&b.jurisdiction));
        for t in towns {
            if let Some(i) = by_code.get(&t.jurisdiction[..6]) {
                counties[*i].townships.push(t.jurisdiction.clone());
            }
        }
        // Counties without township offices (city districts whose streets
        // are missing from the data) still receive petitions at county level.
        for c in counties.iter_mut() {
            // Log-normal-ish weights: a few busy districts, many quiet ones.
            let x = rng.range(-1.0, 1.0) + rng.range(-1.0, 1.0);
            c.weight = (1.1 * x).exp();
        }
        by_code.clear();
        let county_weights = counties.iter().map(|c| c.weight).collect();
        let weights: &[(&str, f64)] = &[
            ("0101", 4.0),
            ("0102", 5.0),
            ("0103", 3.0),
            ("0104", 3.0),
            ("0105", 1.0),
            ("0201", 6.0),
            ("0202", 12.0),
            ("0203", 4.0),
            ("0204", 1.0),
            ("0301", 4.0),
            ("0302", 2.0),
            ("0401", 3.0),
            ("0402", 3.0),
            ("0403", 1.0),
            ("0501", 3.0),
            ("0502", 2.0),
            ("0504", 1.0),
            ("0601", 4.0),
            ("0602", 3.0),
            ("0603", 2.0),
            ("0701", 3.0),
            ("0702", 2.0),
            ("0801", 2.0),
            ("0802", 1.0),
            ("0901", 3.0),
            ("0903", 1.0),
            ("1001", 2.0),
            ("1003", 2.0),
            ("1101", 1.0),
            ("1201", 2.0),
            ("1301", 1.0),
            ("1601", 2.0),
            ("1602", 2.0),
            ("1701", 2.0),
        ];
        World {
            seed,
            tree: Arc::new(tree),
            calendar: Arc::new(calendar),
            policy: settings.policy,
            window_policy: settings.window_policy,
            counties,
            county_weights,
            users,
            topics: weights.iter().map(|(c, w)| (c.to_string(), *w)).collect(),
            names,
            now,
            start: now - Duration::days(days),
        }
    }
}

/// How fast the units act on a petition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Within the statutory limits.
    Normal,
    /// Late: handling runs past its 60 days (overdue while open).
    Slow,
    /// Nobody acts after the first step.
    Stalled,
}

/// Who brings the petition in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Online or through a leader's mailbox (the petitioner submits).
    Citizen,
    /// A letter, visit or call registered by the unit's clerk.
    Staff,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: i64,
    pub number: String,
    pub at: DateTime<Utc>,
    pub receiving: UnitId,
    pub door: Door,
    pub channel: Channel,
    pub jurisdiction: String,
    pub category: Category,
    pub litigation_related: bool,
    pub topic: String,
    pub person: u64,
    /// The text seed: the same matter gives the same text.
    pub matter: u64,
    /// An earlier petition of the same person on the same matter.
    pub repeat_of: Option<usize>,
    pub collective: bool,
    pub anonymous: bool,
    pub confidential: bool,
    pub accused_unit: Option<UnitId>,
    pub pace: Pace,
}

/// Registration instants: `n` of them over the window, fewer on weekends,
/// in office hours mostly (online submissions come at any hour), sorted.
pub fn instants(world: &World, n: usize) -> Vec<DateTime<Utc>> {
    let mut rng = Rng::new(world.seed ^ 0x1D5);
    let days = (world.now - world.start).num_days().max(1);
    let day_weight = |d: i64| {
        let date = (world.start + Duration::days(d)).date_naive();
        if world.calendar.day(date).working { 1.0 } else { 0.35 }
    };
    let weights: Vec<f64> = (0..days).map(day_weight).collect();
    let mut out: Vec<DateTime<Utc>> = (0..n)
        .map(|_| {
            let d = rng.weighted(&weights) as i64;
            let day: NaiveDate = (world.start + Duration::days(d)).date_naive();
            // 08:00–20:00 Beijing time = 00:00–12:00 UTC.
            let secs = rng.range(0.0, 12.0 * 3600.0);
            let at = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()) + Duration::microseconds((secs * 1e6) as i64);
            at.min(world.now - Duration::minutes(1))
        })
        .collect();
    out.sort();
    out
}

/// Draw where and how a petition comes in (before numbering).
pub fn draw(world: &World, i: usize, at: DateTime<Utc>) -> Option<Plan> {
    let mut rng = Rng::for_item(world.seed, 1, i as u64);
    let county = world.counties.get(rng.weighted(&world.county_weights))?;
    let township = rng.pick(&county.townships).cloned();
    let matter_area = match (&township, rng.chance(0.6)) {
        (Some(t), true) => t.clone(),
        _ => county.code.clone(),
    };
    let topic = world.topics[rng.weighted(&world.topics.iter().map(|t| t.1).collect::<Vec<_>>())].0.clone();
    let accusation_topic = topic.starts_with("06") || topic.starts_with("16");
    let category = if accusation_topic && rng.chance(0.8) || rng.chance(0.05) {
        Category::Accusation
    } else if rng.chance(0.14) {
        Category::Suggestion
    } else {
        Category::Claim
    };
    let litigation_related = category == Category::Claim && topic.starts_with("05") && rng.chance(0.5);
    // Where it comes in: township office, county, city, province.
    let level = rng.weighted(&[0.22, 0.40, 0.08, 0.14, 0.03, 0.10, 0.03]);
    let staff_channel = |rng: &mut Rng| {
        [Channel::Letter, Channel::Visit, Channel::Phone, Channel::Hotline, Channel::Email][rng.weighted(&[4.0, 4.0, 2.0, 1.0, 0.5])]
    };
    let (receiving, door, channel, jurisdiction) = match level {
        0 => match &township {
            Some(t) => (world.unit(t, "XFB")?, Door::Staff, staff_channel(&mut rng), t.clone()),
            None => (world.unit(&county.code, "XFJ")?, Door::Staff, staff_channel(&mut rng), matter_area.clone()),
        },
        1 => {
            if rng.chance(0.55) {
                (world.unit(&county.code, "XFJ")?, Door::Citizen, Channel::Online, matter_area.clone())
            } else {
                (world.unit(&county.code, "XFJ")?, Door::Staff, staff_channel(&mut rng), matter_area.clone())
            }
        }
        2 => (world.unit(&county.code, department_for(&topic))?, Door::Staff, staff_channel(&mut rng), matter_area.clone()),
        3 => match rng.weighted(&[0.4, 0.2, 0.4]) {
            0 => (world.unit(&county.city, "XFJ")?, Door::Citizen, Channel::Online, county.city.clone()),
            1 => (world.unit(&county.city, "XFJ")?, Door::Citizen, Channel::Mailbox, matter_area.clone()),
            _ => (world.unit(&county.city, "XFJ")?, Door::Staff, staff_channel(&mut rng), matter_area.clone()),
        },
        4 => (world.unit(&county.city, department_for(&topic))?, Door::Staff, staff_channel(&mut rng), matter_area.clone()),
        5 => match rng.weighted(&[0.35, 0.25, 0.4]) {
            0 => (world.unit(PROVINCE, "XFJ")?, Door::Citizen, Channel::Online, PROVINCE.to_string()),
            1 => (world.unit(PROVINCE, "XFJ")?, Door::Citizen, Channel::Mailbox, matter_area.clone()),
            _ => (world.unit(PROVINCE, "XFJ")?, Door::Staff, staff_channel(&mut rng), matter_area.clone()),
        },
        _ => (world.unit(PROVINCE, department_for(&topic))?, Door::Staff, staff_channel(&mut rng), matter_area.clone()),
    };
    // An accusation names a unit of the area in 60% of cases (then sealed
    // from that unit's line); nobody holds an accusation against itself.
    let accused = (category == Category::Accusation && rng.chance(0.6))
        .then(|| {
            let area = if jurisdiction.len() >= 6 { &jurisdiction[..6] } else { county.code.as_str() };
            let suffix = ["ZJ", "RST", "ZR", "NY", "MZ", "JT", "GA"][rng.below(7)];
            world.unit(area, suffix)
        })
        .flatten();
    let receiving = match accused {
        Some(a) => xinfang_domain::access::accusation_receiver(&world.tree, receiving, a.id),
        None => receiving,
    };
    let pace = [Pace::Normal, Pace::Slow, Pace::Stalled][rng.weighted(&[0.88, 0.09, 0.03])];
    Some(Plan {
        id: 0,
        number: String::new(),
        at,
        receiving: receiving.id,
        door,
        channel,
        jurisdiction,
        category,
        litigation_related,
        topic,
        person: rng.next_u64(),
        matter: rng.next_u64(),
        repeat_of: None,
        collective: category == Category::Claim && rng.chance(0.02),
        anonymous: category == Category::Accusation && rng.chance(0.3),
        confidential: rng.chance(0.05),
        accused_unit: accused.map(|a| a.id),
        pace,
    })
}

impl World {
    /// The petitioners of a plan (a collective one has representatives).
    pub fn petitioners(&self, p: &Plan) -> Vec<xinfang_domain::petition::Petitioner> {
        use xinfang_domain::petition::{Petitioner, PetitionerKind};
        if p.anonymous {
            return Vec::new();
        }
        let count = if p.collective { 2 + (p.person % 4) as usize } else { 1 };
        (0..count)
            .map(|k| {
                // Where a person lives depends on the person only: the same
                // person keeps the same identity number in every petition.
                let person = p.person.wrapping_add(k as u64);
                let region = self.counties.get((person % self.counties.len().max(1) as u64) as usize).map_or("440300", |c| c.code.as_str());
                let who = text::person(self.seed, person, region, self.place(region));
                Petitioner {
                    kind: PetitionerKind::Person,
                    name: who.name,
                    id_number: who.id_number,
                    phone: Some(who.phone),
                    address: Some(who.address),
                    representative: p.collective,
                }
            })
            .collect()
    }
}
