//! A whole province of units generated from the official division data
//! (`data/divisions`), in the format of `xinfang import-units`: the unit
//! import test and the province-scale benchmark (`xinfang-bench`) use it.
//!
//! For Guangdong (`44`) it gives 6,726 units: at the province, each of the
//! 21 cities and each of the 124 counties a people's government plus 21
//! units (its office, petition bureau, police, discipline body, court,
//! procuratorate, joint conference, party committee and 13 departments),
//! and at each of the 1,757 townships a government and a petition office.
//! Codes are the division code with a `GD` prefix and a suffix
//! (`GD440304-XFJ`), so they never meet the demo's codes. The output is
//! deterministic: the same division data and seed give the same file.

use crate::seed::{DIVISIONS_PCA_CSV, DIVISIONS_STREETS_CSV};
use xinfang_domain::import::{DivisionRow, ImportError, parse_divisions};

/// Code of a generated unit.
pub fn code(area: &str, suffix: &str) -> String {
    format!("GD{area}-{suffix}")
}

/// The level of a division code by its length.
pub fn level(area: &str) -> &'static str {
    match area.len() {
        2 => "province",
        4 => "city",
        6 => "county",
        _ => "township",
    }
}

/// (suffix, kind, name tail, linked to the area's government)
pub const SYSTEMS: [(&str, &str, &str, bool); 21] = [
    ("ZFB", "government_office", "人民政府办公室", true),
    ("XFJ", "petition_bureau", "信访局", true),
    ("GA", "police", "公安局", true),
    ("JW", "discipline_body", "纪委监委", false),
    ("FY", "court", "人民法院", false),
    ("JCY", "procuratorate", "人民检察院", false),
    ("LXH", "joint_conference", "信访工作联席会议", false),
    ("DZ", "party_government", "党委", false),
    ("FGW", "department", "发展和改革局", true),
    ("JY", "department", "教育局", true),
    ("MZ", "department", "民政局", true),
    ("SF", "department", "司法局", true),
    ("CZ", "department", "财政局", true),
    ("RST", "department", "人力资源和社会保障局", true),
    ("ZR", "department", "自然资源局", true),
    ("ST", "department", "生态环境局", true),
    ("ZJ", "department", "住房和建设局", true),
    ("JT", "department", "交通运输局", true),
    ("NY", "department", "农业农村局", true),
    ("WJ", "department", "卫生健康局", true),
    ("YJ", "department", "应急管理局", true),
];

/// The province's divisions (province, cities, counties, townships) from
/// the shipped division files, parents first.
pub fn divisions(province: &str) -> Result<Vec<DivisionRow>, ImportError> {
    Ok(parse_divisions(DIVISIONS_PCA_CSV)?
        .into_iter()
        .chain(parse_divisions(DIVISIONS_STREETS_CSV)?)
        .filter(|d| d.code.starts_with(province))
        .collect())
}

/// Rows `code,name,kind,level,parent_code,gov_code,jurisdiction`, parents
/// first.
pub fn rows(province: &str) -> Result<Vec<[String; 7]>, ImportError> {
    let mut rows = Vec::new();
    let row = |c: String, name: String, kind: &str, area: &str, parent: Option<String>, gov: Option<String>| {
        [c, name, kind.to_string(), level(area).to_string(), parent.unwrap_or_default(), gov.unwrap_or_default(), area.to_string()]
    };
    for d in &divisions(province)? {
        let parent = d.parent_code.as_deref();
        let zf = code(&d.code, "ZF");
        rows.push(row(zf.clone(), format!("{}人民政府", d.name), "government", &d.code, parent.map(|p| code(p, "ZF")), None));
        if d.code.len() == 9 {
            // A township: its government and its petition office, below the
            // county's bureau.
            let county = parent.unwrap_or(&d.code[..6]);
            rows.push(row(
                code(&d.code, "XFB"),
                format!("{}信访办", d.name),
                "petition_bureau",
                &d.code,
                Some(code(county, "XFJ")),
                Some(zf.clone()),
            ));
            continue;
        }
        for (suffix, kind, tail, gov) in SYSTEMS {
            rows.push(row(
                code(&d.code, suffix),
                format!("{}{tail}", d.name),
                kind,
                &d.code,
                parent.map(|p| code(p, suffix)),
                gov.then(|| zf.clone()),
            ));
        }
    }
    Ok(rows)
}

/// A fixed-seed shuffle (xorshift64), so that a file also has children
/// before their parents, as a spreadsheet export may.
pub fn shuffled(mut rows: Vec<[String; 7]>, seed: u64) -> Vec<[String; 7]> {
    let mut x = seed.max(1);
    for i in (1..rows.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rows.swap(i, (x % (i as u64 + 1)) as usize);
    }
    rows
}

/// The rows as an import file (with its header).
pub fn to_csv(rows: &[[String; 7]]) -> String {
    let mut out = xinfang_domain::import::UNIT_HEADER.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guangdong_has_about_6800_units_and_parses_as_an_import_file() {
        let rows = rows("44").expect("division data");
        assert_eq!(rows.len(), 6_726);
        let file = to_csv(&shuffled(rows, 7));
        let parsed = xinfang_domain::import::parse_units(&file).expect("a valid import file");
        assert_eq!(parsed.len(), 6_726);
        assert_eq!(file, to_csv(&shuffled(super::rows("44").expect("again"), 7)), "deterministic");
    }
}
