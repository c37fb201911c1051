//! One body, several names. A county's urban management bureau is
//! 城市管理局 in one county, 城市管理和综合执法局 or 综合行政执法局 in the
//! next, and 城管局 in a petitioner's letter; the health bureau is 卫生健康局
//! at county level and 卫生健康委员会 in a city. The rule table names each
//! kind of unit once (the first name of its row below); this table says
//! which other names mean the same body, so that a comparison with a
//! label written elsewhere, and the search for the concrete unit of an
//! area, do not fail on the name alone.
//!
//! The names are the usual official and colloquial names of county
//! government bodies after the 2018 and 2023 institutional reforms.

/// Each row: the name the rule table uses, then the other names of the
/// same body.
pub const SAME_BODY: &[&[&str]] = &[
    &[
        "城市管理局",
        "城市管理和综合执法局",
        "城市管理综合行政执法局",
        "城市管理综合执法局",
        "城市管理执法局",
        "综合行政执法局",
        "城管局",
        "城管执法局",
    ],
    &["卫生健康局", "卫生健康委员会", "卫生和健康委员会", "卫健委", "卫健局"],
    &["自然资源局", "自然资源和规划局", "自然资源和规划委员会", "国土资源局", "规划和自然资源局"],
    &[
        "政务服务管理局",
        "政务服务和数据管理局",
        "行政审批服务局",
        "政务服务中心",
        "数据和政务服务局",
        "政务服务管理办公室",
        "政务服务和大数据管理局",
        "行政审批服务管理局",
    ],
    &["地方金融监督管理局", "地方金融管理局", "金融工作局", "金融办"],
    &["国有资产监督管理委员会", "国有资产监督管理局", "国资委", "国资局"],
    &["人力资源和社会保障局", "人社局", "劳动和社会保障局", "社保局"],
    &["住房和城乡建设局", "住建局", "住房城乡建设局", "建设局", "住房和城乡建设委员会", "住房和建设委员会", "住建委"],
    &["市场监督管理局", "市场监管局", "工商局"],
    &["生态环境局", "生态环境分局", "环保局", "环境保护局"],
    &["工业和信息化局", "工信局", "经济和信息化局", "科技和工业信息化局"],
    // Fisheries moved into agriculture and rural affairs in the 2018 reform.
    &["农业农村局", "农业农村委员会", "农业局", "海洋与渔业局", "海洋渔业局", "渔业局", "农牧局", "农牧业局"],
    // Grain reserves moved into development and reform in 2018.
    &["发展和改革局", "发改局", "发展和改革委员会", "发改委", "粮食和物资储备局", "粮食局"],
    &["交通运输局", "交通局"],
    &["退役军人事务局", "退役军人局"],
    &["公安局", "公安分局", "派出所"],
    &["纪委监委", "纪律检查委员会", "监察委员会", "纪委", "监委"],
    // The township-level government: a 乡 or 镇 in the country, a 街道 in
    // a city. Triage names the level; the unit tree names the one body.
    &["乡镇人民政府", "乡人民政府", "镇人民政府", "乡镇政府", "街道办事处", "街道办", "街道"],
    &["医疗保障局", "医保局"],
    &["教育局", "教育和体育局", "教育体育局", "教育委员会", "教委"],
    &["司法局", "司法行政局"],
    &["水利局", "水务局", "水利和湖泊局"],
    &["林业和草原局", "林业局", "林草局"],
    &["残疾人联合会", "残联", "县残联"],
    &["文化和旅游局", "文化广电和旅游局", "文化广电旅游局", "文旅局", "文化旅游局"],
];

/// The other names of the body the rule table calls `name` (empty when
/// the table knows none).
pub fn also_called(name: &str) -> &'static [&'static str] {
    SAME_BODY.iter().find(|row| row.first() == Some(&name)).map_or(&[], |row| &row[1..])
}

/// The rule table's name of the body `name` stands for, or `name` itself.
pub fn canonical(name: &str) -> &str {
    let name = name.trim();
    SAME_BODY.iter().find(|row| row.contains(&name)).and_then(|row| row.first().copied()).unwrap_or(name)
}

/// Whether two names mean the same body.
pub fn same_body(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_of_one_body_are_one_body_and_others_are_not() {
        assert!(same_body("城市管理和综合执法局", "城市管理局"));
        assert!(same_body("卫生健康委员会", "卫健局"));
        assert!(same_body("人民法院", "人民法院"));
        assert!(!same_body("城市管理局", "住房和城乡建设局"));
        assert!(!same_body("人民法院", "人民检察院"));
        assert_eq!(canonical(" 自然资源和规划局 "), "自然资源局");
        assert_eq!(also_called("城市管理局")[0], "城市管理和综合执法局");
        assert!(also_called("城市管理和综合执法局").is_empty(), "only the table's own name has a row");
    }

    #[test]
    fn every_name_belongs_to_one_row_only() {
        let mut seen = std::collections::BTreeSet::new();
        for row in SAME_BODY {
            for name in *row {
                assert!(seen.insert(*name), "{name} is in two rows");
            }
        }
    }
}
