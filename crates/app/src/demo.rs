//! Demo data: one real province (广东省) → one real city (深圳市) → five
//! real districts (罗湖区, 福田区, 南山区, 宝安区, 龙岗区) → their streets, with the 四纵三横 units at each
//! level and a handful of staff accounts. Names and division codes come
//! from the official division data; loading is idempotent.

use crate::seed::{DIVISIONS_STREETS_CSV, DIVISIONS_VILLAGES_CSV, SeedError, parse_divisions};
use serde::Serialize;
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Level, UnitKind};
use xinfang_store::{NewUnit, Store};

/// Every demo account has this password (change it in any real deployment).
pub const DEMO_PASSWORD: &str = "Xinfang@2026";

struct Area {
    code: &'static str,
    name: &'static str,
    level: Level,
    parent: Option<&'static str>,
}

const PROVINCE: Area = Area { code: "44", name: "广东省", level: Level::Province, parent: None };
const CITY: Area = Area { code: "4403", name: "深圳市", level: Level::City, parent: Some("44") };
/// Five of Shenzhen's districts: enough for a monthly ranking whose last
/// three get a red, yellow and blue warning while the others stay clear.
const COUNTIES: [Area; 5] = [
    Area { code: "440303", name: "罗湖区", level: Level::County, parent: Some("4403") },
    Area { code: "440304", name: "福田区", level: Level::County, parent: Some("4403") },
    Area { code: "440305", name: "南山区", level: Level::County, parent: Some("4403") },
    Area { code: "440306", name: "宝安区", level: Level::County, parent: Some("4403") },
    Area { code: "440307", name: "龙岗区", level: Level::County, parent: Some("4403") },
];

/// The fifteen functional departments kept at every level: (suffix,
/// province name, city/county name).
const DEPARTMENTS: [(&str, &str, &str); 15] = [
    ("FGW", "发展和改革委员会", "发展和改革局"),
    ("JYT", "教育厅", "教育局"),
    ("MZT", "民政厅", "民政局"),
    ("SFT", "司法厅", "司法局"),
    ("CZT", "财政厅", "财政局"),
    ("RST", "人力资源和社会保障厅", "人力资源和社会保障局"),
    ("ZRT", "自然资源厅", "规划和自然资源局"),
    ("STT", "生态环境厅", "生态环境局"),
    ("ZJT", "住房和城乡建设厅", "住房和建设局"),
    ("JTT", "交通运输厅", "交通运输局"),
    ("NYT", "农业农村厅", "农业农村局"),
    ("WJW", "卫生健康委员会", "卫生健康局"),
    ("YJT", "应急管理厅", "应急管理局"),
    ("SJJ", "市场监督管理局", "市场监督管理局"),
    ("YBJ", "医疗保障局", "医疗保障局"),
];

/// The vertical systems other than departments: (suffix, kind, province
/// name, city name, county name).
const SYSTEMS: [(&str, UnitKind, &str, &str, &str); 7] = [
    ("XFJ", UnitKind::PetitionBureau, "信访局", "信访局", "信访局"),
    ("JW", UnitKind::DisciplineBody, "纪委监委", "纪委监委", "纪委监委"),
    ("FY", UnitKind::Court, "高级人民法院", "中级人民法院", "人民法院"),
    ("JCY", UnitKind::Procuratorate, "人民检察院", "人民检察院", "人民检察院"),
    ("GA", UnitKind::Police, "公安厅", "公安局", "公安分局"),
    ("LXH", UnitKind::JointConference, "信访工作联席会议", "信访工作联席会议", "信访工作联席会议"),
    ("DZ", UnitKind::PartyGovernment, "委、省政府", "委、市政府", "委、区政府"),
];

pub fn unit_code(area: &str, suffix: &str) -> String {
    format!("{area}-{suffix}")
}

/// Systems whose units answer to the people's government of their area
/// (块块) as well as to their line: the departments, police and the petition
/// bureau. Courts, procuratorates, discipline bodies, joint conferences and
/// the party committee do not.
fn under_government(suffix: &str, kind: UnitKind) -> bool {
    kind == UnitKind::Department || matches!(suffix, "GA" | "XFJ")
}

fn units() -> Vec<NewUnit> {
    let mut out = Vec::new();
    let mut add = |area: &Area, suffix: &str, kind: UnitKind, name: String, gov: bool| {
        out.push(NewUnit {
            code: unit_code(area.code, suffix),
            name,
            kind,
            level: area.level,
            parent_code: area.parent.map(|p| unit_code(p, suffix)),
            gov_code: gov.then(|| unit_code(area.code, "ZF")),
            jurisdiction: area.code.into(),
        });
    };
    for area in std::iter::once(&PROVINCE).chain(std::iter::once(&CITY)).chain(COUNTIES.iter()) {
        // The government first: everything else of the area links to it.
        add(area, "ZF", UnitKind::Government, format!("{}人民政府", area.name), false);
        add(area, "ZFB", UnitKind::GovernmentOffice, format!("{}人民政府办公室", area.name), true);
        let short = area.name.trim_end_matches(['省', '市', '区']);
        for (suffix, kind, p, c, k) in SYSTEMS {
            let tail = match area.level {
                Level::Province => p,
                Level::City => c,
                _ => k,
            };
            let name = if kind == UnitKind::PartyGovernment {
                format!("{}{}", short, tail.replace('委', &format!("{}委", area.name.chars().last().unwrap_or('市'))))
            } else {
                format!("{}{}", area.name, tail)
            };
            add(area, suffix, kind, name, under_government(suffix, kind));
        }
        for (suffix, p, c) in DEPARTMENTS {
            let tail = if area.level == Level::Province { p } else { c };
            add(area, suffix, UnitKind::Department, format!("{}{}", area.name, tail), true);
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: String,
    pub unit_code: String,
    pub unit_name: String,
}

/// (username, display name, role, unit code)
const ACCOUNTS: &[(&str, &str, Role, &str)] = &[
    ("admin", "系统管理员", Role::Admin, "44-XFJ"),
    ("gd_leader", "省信访局领导", Role::Leader, "44-XFJ"),
    ("gd_supervisor", "省信访局督办员", Role::Supervisor, "44-XFJ"),
    ("gd_rst_reviewer", "省人社厅复核员", Role::Reviewer, "44-RST"),
    ("gd_rst_head", "省人社厅负责人", Role::UnitHead, "44-RST"),
    ("sz_clerk", "市信访局登记员", Role::Clerk, "4403-XFJ"),
    ("sz_head", "市信访局负责人", Role::UnitHead, "4403-XFJ"),
    ("sz_supervisor", "市信访局督办员", Role::Supervisor, "4403-XFJ"),
    ("sz_rst_reviewer", "市人社局复查员", Role::Reviewer, "4403-RST"),
    ("sz_rst_head", "市人社局负责人", Role::UnitHead, "4403-RST"),
    ("sz_rst_officer", "市人社局承办人", Role::HandlingOfficer, "4403-RST"),
    ("ft_clerk", "福田区信访局登记员", Role::Clerk, "440304-XFJ"),
    ("ft_head", "福田区信访局负责人", Role::UnitHead, "440304-XFJ"),
    ("ft_supervisor", "福田区信访局督办员", Role::Supervisor, "440304-XFJ"),
    ("ft_rst_officer", "福田区人社局承办人", Role::HandlingOfficer, "440304-RST"),
    ("ft_rst_head", "福田区人社局负责人", Role::UnitHead, "440304-RST"),
    ("ft_zjt_officer", "福田区住建局承办人", Role::HandlingOfficer, "440304-ZJT"),
    ("ft_zjt_head", "福田区住建局负责人", Role::UnitHead, "440304-ZJT"),
    ("ft_jtt_officer", "福田区交通运输局承办人", Role::HandlingOfficer, "440304-JTT"),
    ("ft_jw_officer", "福田区纪委监委承办人", Role::HandlingOfficer, "440304-JW"),
    ("ft_fy_officer", "福田区人民法院承办人", Role::HandlingOfficer, "440304-FY"),
    ("ns_clerk", "南山区信访局登记员", Role::Clerk, "440305-XFJ"),
    ("ft_ny_clerk", "南园街道信访办工作人员", Role::Clerk, "440304001-XFB"),
    ("ft_spt_reporter", "沙埔头社区信访信息员", Role::GridReporter, "440304001019-JWH"),
    ("ft_ny_reporter", "南园社区信访信息员", Role::GridReporter, "440304001020-JWH"),
    ("ns_rst_officer", "南山区人社局承办人", Role::HandlingOfficer, "440305-RST"),
    ("ns_rst_head", "南山区人社局负责人", Role::UnitHead, "440305-RST"),
    ("ft_zfb_head", "福田区政府办负责人", Role::UnitHead, "440304-ZFB"),
    ("sz_zfb_head", "深圳市政府办负责人", Role::UnitHead, "4403-ZFB"),
    ("ft_lxh_clerk", "福田区联席会议登记员", Role::Clerk, "440304-LXH"),
    ("sz_jw_officer", "深圳市纪委监委承办人", Role::HandlingOfficer, "4403-JW"),
];

/// The units below the districts: a petition office (街道信访办) for each
/// street of the demo's districts, under the district bureau, and a
/// residents' committee (社区居委会, issue 14) for each community of
/// Futian and Nanshan, under its street's office; with the streets'
/// divisions.
fn grassroots_units() -> Result<(Vec<xinfang_store::Division>, Vec<NewUnit>), SeedError> {
    let streets = parse_divisions(DIVISIONS_STREETS_CSV, |c| COUNTIES.iter().any(|k| c.starts_with(k.code)))?;
    let villages = parse_divisions(DIVISIONS_VILLAGES_CSV, |c| COUNTIES.iter().any(|k| c.starts_with(k.code)))?;
    let mut out: Vec<NewUnit> = streets
        .iter()
        .map(|s| NewUnit {
            code: unit_code(&s.code, "XFB"),
            name: format!("{}信访办", s.name),
            kind: UnitKind::PetitionBureau,
            level: Level::Township,
            parent_code: Some(unit_code(s.parent_code.as_deref().unwrap_or_default(), "XFJ")),
            gov_code: None,
            jurisdiction: s.code.clone(),
        })
        .collect();
    out.extend(villages.iter().filter(|v| v.parent_code.as_deref().is_some_and(|p| streets.iter().any(|s| s.code == p))).map(|v| {
        NewUnit {
            code: unit_code(&v.code, "JWH"),
            name: v.name.clone(),
            kind: UnitKind::Community,
            level: Level::Village,
            parent_code: Some(unit_code(v.parent_code.as_deref().unwrap_or_default(), "XFB")),
            gov_code: None,
            jurisdiction: v.code.clone(),
        }
    }));
    Ok((streets, out))
}

pub fn accounts() -> Vec<DemoAccount> {
    let mut all = units();
    all.extend(grassroots_units().map(|(_, g)| g).unwrap_or_default());
    ACCOUNTS
        .iter()
        .map(|(u, _, role, unit)| DemoAccount {
            username: (*u).into(),
            password: DEMO_PASSWORD.into(),
            role: role.as_str().into(),
            unit_code: (*unit).into(),
            unit_name: all.iter().find(|x| x.code == *unit).map(|x| x.name.clone()).unwrap_or_default(),
        })
        .collect()
}

/// Load the demo data; does nothing for parts already present. A demo
/// database from before governments existed gets them, and its units get
/// their government links.
pub async fn load(store: &Store, password_hash: impl FnOnce(&str) -> String) -> Result<(), SeedError> {
    let stored = store.load_units().await?;
    let existing: std::collections::HashSet<String> = stored.iter().map(|u| u.code.clone()).collect();
    let without_gov: std::collections::HashSet<&str> = stored.iter().filter(|u| u.gov_id.is_none()).map(|u| u.code.as_str()).collect();
    let mut w = store.begin_write().await?;
    for u in units() {
        if !existing.contains(&u.code) {
            store.insert_unit(&mut w, &u).await?;
        } else if let Some(gov) = u.gov_code.as_deref().filter(|_| without_gov.contains(u.code.as_str())) {
            store.set_unit_government(&mut w, &u.code, gov).await?;
        }
    }
    let (streets, grassroots) = grassroots_units()?;
    for unit in grassroots.iter().filter(|u| !existing.contains(&u.code)) {
        store.insert_unit(&mut w, unit).await?;
    }
    w.commit().await?;
    store.import_divisions(&streets).await?;
    store.import_divisions(&parse_divisions(DIVISIONS_VILLAGES_CSV, |c| COUNTIES.iter().any(|k| c.starts_with(k.code)))?).await?;
    // Reception slots at the district bureaus, so that the portal offers
    // visits by appointment from the start (issue 14); a clerk changes them.
    for code in ["440304-XFJ", "440305-XFJ"] {
        let Some(u) = store.load_units().await?.into_iter().find(|u| u.code == code) else { continue };
        if store.reception_slots(u.id).await?.is_empty() {
            let slot = |starts: &str, ends: &str| xinfang_store::SlotRow { starts: starts.into(), ends: ends.into(), capacity: 6 };
            store
                .set_reception_slots(
                    u.id,
                    &[slot("09:00", "10:30"), slot("10:30", "12:00"), slot("14:00", "15:30"), slot("15:30", "17:30")],
                )
                .await?;
        }
    }
    let hash = password_hash(DEMO_PASSWORD);
    let units = store.load_units().await?;
    for (username, display, role, unit) in ACCOUNTS {
        let Some(u) = units.iter().find(|x| x.code == *unit) else { continue };
        store.upsert_user(username, display, &hash, *role, u.id).await?;
    }
    Ok(())
}

/// The official text of the Regulations (data/regulation, source noted in
/// the file), imported into a demo that has none, so that the article
/// pages show it beside the summaries; a deployment imports it itself
/// (`PUT /api/v1/articles/official-text` or the admin page).
pub async fn load_official_text(store: &Store) -> Result<(), SeedError> {
    if !store.regulation_text().await?.is_empty() {
        return Ok(());
    }
    let lib = xinfang_law::library();
    let text =
        xinfang_law::official::parse(crate::seed::REGULATION_TXT, lib).map_err(|e| SeedError::Csv(format!("regulation text: {e}")))?;
    let rows: Vec<(i64, i64, String)> = text
        .articles
        .iter()
        .map(|a| (i64::from(a.number), lib.chapter_of(a.number).map_or(0, |c| i64::from(c.number)), a.paragraphs.join("\n")))
        .collect();
    store.import_regulation_text(&rows, crate::seed::REGULATION_SOURCE, 0).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_has_the_four_verticals_and_fifteen_departments() {
        let us = units();
        for area in ["44", "4403", "440304", "440305"] {
            let here: Vec<_> = us.iter().filter(|u| u.jurisdiction == area).collect();
            assert_eq!(here.iter().filter(|u| u.kind == UnitKind::Department).count(), 15);
            for kind in [
                UnitKind::PetitionBureau,
                UnitKind::DisciplineBody,
                UnitKind::Court,
                UnitKind::Procuratorate,
                UnitKind::Police,
                UnitKind::JointConference,
            ] {
                assert_eq!(here.iter().filter(|u| u.kind == kind).count(), 1, "{area} {kind:?}");
            }
        }
        let ft = us.iter().find(|u| u.code == "440304-DZ").expect("party government");
        assert_eq!(ft.name, "福田区委、区政府");
        assert_eq!(ft.gov_code, None);
        let zf = us.iter().find(|u| u.code == "440304-ZF").expect("government");
        assert_eq!((zf.name.as_str(), zf.parent_code.as_deref(), zf.kind), ("福田区人民政府", Some("4403-ZF"), UnitKind::Government));
        let zfb = us.iter().find(|u| u.code == "440304-ZFB").expect("office");
        assert_eq!((zfb.parent_code.as_deref(), zfb.gov_code.as_deref()), (Some("4403-ZFB"), Some("440304-ZF")));
        for (code, gov) in [
            ("440304-RST", Some("440304-ZF")),
            ("440304-GA", Some("440304-ZF")),
            ("44-XFJ", Some("44-ZF")),
            ("440304-FY", None),
            ("440304-JW", None),
            ("440304-LXH", None),
        ] {
            assert_eq!(us.iter().find(|u| u.code == code).and_then(|u| u.gov_code.as_deref()), gov, "{code}");
        }
        // Every government precedes the units that link to it.
        for (i, u) in us.iter().enumerate() {
            for link in [&u.parent_code, &u.gov_code].into_iter().flatten() {
                assert!(us[..i].iter().any(|x| &x.code == link), "{} before {}", link, u.code);
            }
        }
        assert!(accounts().iter().all(|a| !a.unit_name.is_empty()));
    }
}
