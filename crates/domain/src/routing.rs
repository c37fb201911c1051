//! Which units fit a petition: the unit pickers of forward, assign and the
//! referrals put first the units of the petition's area (属地) whose work
//! matches its topic (内容分类), so that the likely choice is near and a
//! unit of another area or line is chosen only on purpose.

use crate::unit::{Unit, UnitKind};

/// Words in a unit's name that mark the line competent for a first-level
/// topic (the two leading digits of a topic code, see the topic list).
pub fn topic_keywords(topic: &str) -> &'static [&'static str] {
    match topic.get(..2).unwrap_or_default() {
        "01" => &["住房", "建设", "城市管理"],
        "02" => &["人力资源", "社会保障"],
        "03" => &["自然资源"],
        "04" => &["农业农村"],
        "05" => &["公安", "法院", "检察", "司法"],
        "06" => &["纪委", "监委"],
        "07" => &["卫生健康", "医疗保障"],
        "08" => &["教育"],
        "09" => &["民政"],
        "10" => &["生态环境"],
        "11" => &["交通运输"],
        "12" => &["市场监督"],
        "13" => &["发展和改革", "国有资产"],
        "14" => &["财政", "发展和改革"],
        "16" => &["人民政府办公室"],
        _ => &[],
    }
}

/// How well a unit fits a petition, higher first: 0 (another area), then
/// by how close the unit's area is to the place (province < city < county
/// < township), with a topic match above any area match of the same depth.
pub fn fit(unit: &Unit, jurisdiction: &str, topic: Option<&str>) -> u32 {
    if unit.jurisdiction.is_empty() || !jurisdiction.starts_with(&unit.jurisdiction) {
        return 0;
    }
    let depth = u32::try_from(unit.jurisdiction.len()).unwrap_or(0);
    let topic_match = topic.is_some_and(|t| {
        let words = topic_keywords(t);
        words.iter().any(|w| unit.name.contains(w))
            || (t.starts_with("05") && unit.kind.is_legal())
            || (t.starts_with("06") && unit.kind == UnitKind::DisciplineBody)
    });
    depth * 2 + u32::from(topic_match) * 100
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::Level;

    fn unit(code: &str, name: &str, kind: UnitKind, jurisdiction: &str) -> Unit {
        Unit {
            id: 1,
            code: code.into(),
            name: name.into(),
            kind,
            level: Level::County,
            parent_id: None,
            gov_id: None,
            jurisdiction: jurisdiction.into(),
            path: "/1/".into(),
        }
    }

    #[test]
    fn the_area_and_topic_fit_first() {
        let rst = unit("440304-RST", "福田区人力资源和社会保障局", UnitKind::Department, "440304");
        let edu = unit("440304-JYT", "福田区教育局", UnitKind::Department, "440304");
        let city_rst = unit("4403-RST", "深圳市人力资源和社会保障局", UnitKind::Department, "4403");
        let other = unit("440305-RST", "南山区人力资源和社会保障局", UnitKind::Department, "440305");
        let place = "440304010";
        let wages = Some("0202");
        assert!(fit(&rst, place, wages) > fit(&city_rst, place, wages));
        assert!(fit(&city_rst, place, wages) > fit(&edu, place, wages), "the topic's line before another line of the area");
        assert_eq!(fit(&other, place, wages), 0, "another district never fits");
        assert!(fit(&edu, place, None) > fit(&city_rst, place, None), "without a topic, the nearest area first");
    }
}
