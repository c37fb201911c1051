//! Parsing the official data we import (行政区划 divisions, the holiday
//! calendar). Input comes from files an admin supplies, so every row is
//! checked and errors name the line.

use crate::calendar::{DayKind, SpecialDay};
use crate::petition::valid_division_code;
use crate::unit::{Level, UnitKind, UnitTree};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ImportError {
    pub line: usize,
    pub problem: String,
}

fn err(line: usize, problem: impl Into<String>) -> ImportError {
    ImportError { line, problem: problem.into() }
}

/// `code,name,parent_code` with a header; the parent must be a proper
/// prefix of the code.
pub fn parse_divisions(text: &str) -> Result<Vec<DivisionRow>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let code = rec.get(0).map(str::trim).unwrap_or_default().to_string();
        let name = rec.get(1).map(str::trim).unwrap_or_default().to_string();
        let parent = rec.get(2).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        if !valid_division_code(&code) || name.is_empty() || name.chars().count() > 100 {
            return Err(err(line, "invalid code or name"));
        }
        if let Some(p) = &parent
            && (!code.starts_with(p.as_str()) || p.len() >= code.len())
        {
            return Err(err(line, format!("parent {p} is not a prefix of {code}")));
        }
        out.push(DivisionRow { code, name, parent_code: parent });
    }
    Ok(out)
}

/// `date,kind,name` with a header; returns the years covered and the days.
pub fn parse_calendar(text: &str) -> Result<(Vec<i32>, Vec<SpecialDay>), ImportError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut days = Vec::new();
    let mut years = std::collections::BTreeSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let field = |n: usize| rec.get(n).map(str::trim).unwrap_or_default();
        let date = NaiveDate::parse_from_str(field(0), "%Y-%m-%d").map_err(|_| err(line, "bad date"))?;
        let kind = match field(1) {
            "holiday" => DayKind::Holiday,
            "workday" => DayKind::Workday,
            other => return Err(err(line, format!("kind must be holiday or workday, not {other}"))),
        };
        let name = field(2);
        if name.is_empty() || name.chars().count() > 50 {
            return Err(err(line, "name missing or too long"));
        }
        years.insert(chrono::Datelike::year(&date));
        days.push(SpecialDay { date, kind, name: name.to_string() });
    }
    Ok((years.into_iter().collect(), days))
}

/// One row of a unit import (`code,name,kind,level,parent_code,gov_code,jurisdiction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    /// The line of the file, for errors found later (links, cycles).
    pub line: usize,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    /// The line superior's code (条条).
    pub parent_code: Option<String>,
    /// The territorial government's code (块块).
    pub gov_code: Option<String>,
    pub jurisdiction: String,
}

pub const UNIT_HEADER: [&str; 7] = ["code", "name", "kind", "level", "parent_code", "gov_code", "jurisdiction"];

/// Unit codes are identifiers typed into forms and URLs: keep them plain.
fn valid_unit_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `code,name,kind,level,parent_code,gov_code,jurisdiction` with that
/// header. Kind and level are their codes (`department`, `county`…);
/// parent and government may be empty; the jurisdiction is a 行政区划 code
/// with as many digits as the level has (2, 4, 6, 9). Messages are Chinese:
/// an admin reads them in the API answer.
pub fn parse_units(text: &str) -> Result<Vec<UnitRow>, ImportError> {
    // Spreadsheets save UTF-8 with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut records = rdr.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(err(1, format!("无法读取表头：{e}"))),
        None => return Err(err(1, "文件为空，缺少表头")),
    };
    if header.iter().map(str::trim).collect::<Vec<_>>() != UNIT_HEADER {
        return Err(err(1, format!("表头应为 {}", UNIT_HEADER.join(","))));
    }
    let mut out: Vec<UnitRow> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The reader's positions start a record at the blank lines before it;
    // count from the first character instead, so the number is the one an
    // editor shows.
    let line_at = |p: Option<&csv::Position>, fallback: usize| {
        p.and_then(|p| usize::try_from(p.byte()).ok()).and_then(|b| text.get(..b).zip(text.get(b..))).map_or(fallback, |(before, rest)| {
            let blank = rest.len() - rest.trim_start_matches(['\r', '\n']).len();
            before.matches('\n').count() + rest[..blank].matches('\n').count() + 1
        })
    };
    for (i, rec) in records.enumerate() {
        let fallback = i + 2;
        let rec = rec.map_err(|e| err(line_at(e.position(), fallback), format!("格式错误：{e}")))?;
        let line = line_at(rec.position(), fallback);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != UNIT_HEADER.len() {
            return Err(err(line, format!("应有{}列，实有{}列", UNIT_HEADER.len(), rec.len())));
        }
        let field = |n: usize| rec.get(n).map(str::trim).unwrap_or_default();
        let opt = |n: usize| Some(field(n)).filter(|s| !s.is_empty()).map(String::from);
        let code = field(0).to_string();
        if !valid_unit_code(&code) {
            return Err(err(line, format!("单位代码“{code}”无效（1–64个字母、数字、-、_、.）")));
        }
        let name = field(1).to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(err(line, "单位名称为空或超过100字"));
        }
        let kind = UnitKind::parse(field(2)).ok_or_else(|| err(line, format!("单位类型“{}”不存在", field(2))))?;
        let level = Level::parse(field(3)).ok_or_else(|| err(line, format!("层级“{}”不存在", field(3))))?;
        // A village or community is a residents' committee, and nothing
        // else sits at the village level (it never handles a petition).
        if (kind == UnitKind::Community) != (level == Level::Village) {
            return Err(err(line, "村（居）民委员会（community）只能设在村级（village），村级只能是村（居）民委员会"));
        }
        let (parent_code, gov_code) = (opt(4), opt(5));
        for link in [&parent_code, &gov_code].into_iter().flatten() {
            if !valid_unit_code(link) {
                return Err(err(line, format!("上级单位代码“{link}”无效")));
            }
            if *link == code {
                return Err(err(line, format!("单位“{code}”不能是自己的上级")));
            }
        }
        let jurisdiction = field(6).to_string();
        if !valid_division_code(&jurisdiction) || jurisdiction.len() != level.division_len() {
            return Err(err(line, format!("管辖区域“{jurisdiction}”应为{}位行政区划代码（{}）", level.division_len(), level.label())));
        }
        if let Some(first) = seen.insert(code.clone(), line) {
            return Err(err(line, format!("单位代码“{code}”重复（第{first}行已有）")));
        }
        out.push(UnitRow { line, code, name, kind, level, parent_code, gov_code, jurisdiction });
    }
    Ok(out)
}

/// Check the links of imported rows against the units already stored (the
/// file wins where both have a code): every parent and government exists
/// in the file or already, a government link names a people's government,
/// and following parent and government links never comes back to where it
/// started (a cycle would make "above" meaningless). The error names the
/// row's line and the code.
pub fn check_unit_links(rows: &[UnitRow], existing: &UnitTree) -> Result<(), ImportError> {
    let in_file: HashMap<&str, &UnitRow> = rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let kind_of = |code: &str| in_file.get(code).map(|r| r.kind).or_else(|| existing.by_code(code).map(|u| u.kind));
    for r in rows {
        if let Some(p) = &r.parent_code
            && kind_of(p).is_none()
        {
            return Err(err(r.line, format!("上级单位代码“{p}”不存在")));
        }
        if let Some(g) = &r.gov_code {
            match kind_of(g) {
                None => return Err(err(r.line, format!("本级人民政府代码“{g}”不存在"))),
                Some(UnitKind::Government) => {}
                Some(k) => return Err(err(r.line, format!("“{g}”是{}，不是人民政府", k.label()))),
            }
        }
    }
    // Links after the import, by code.
    let code_of = |id: Option<i64>| id.and_then(|i| existing.get(i)).map(|u| u.code.as_str());
    let links = |code: &str| -> [Option<&str>; 2] {
        match in_file.get(code) {
            Some(r) => [r.parent_code.as_deref(), r.gov_code.as_deref()],
            None => existing.by_code(code).map_or([None, None], |u| [code_of(u.parent_id), code_of(u.gov_id)]),
        }
    };
    // Depth-first search with three colours from every imported row; the
    // graph has at most two edges per node, so this is linear.
    let mut done: HashSet<&str> = HashSet::new();
    for r in rows {
        if done.contains(r.code.as_str()) {
            continue;
        }
        let mut on_path: HashSet<&str> = HashSet::from([r.code.as_str()]);
        let mut stack: Vec<(&str, usize)> = vec![(r.code.as_str(), 0)];
        while let Some((code, next)) = stack.last().copied() {
            let ls = links(code);
            if next >= ls.len() {
                stack.pop();
                on_path.remove(code);
                done.insert(code);
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let Some(up) = ls[next] else { continue };
            if on_path.contains(up) {
                let line = in_file.get(up).or(in_file.get(code)).map_or(r.line, |x| x.line);
                return Err(err(line, format!("单位“{up}”的上级关系形成循环")));
            }
            if !done.contains(up) {
                on_path.insert(up);
                stack.push((up, 0));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_rejected_with_line_numbers() {
        let e = parse_divisions("code,name,parent_code\n4403,深圳市,44\n4403x,坏,44\n").expect_err("bad");
        assert_eq!(e.line, 3);
        assert!(parse_divisions("code,name,parent_code\n440304,福田区,4404\n").is_err());
        assert!(parse_calendar("date,kind,name\n2026-10-01,holiday,国庆节\n2026-13-01,holiday,x\n").is_err());
        let (years, days) = parse_calendar("date,kind,name\n2026-10-10,workday,国庆节\n").expect("ok");
        assert_eq!((years, days.len()), (vec![2026], 1));
    }

    const H: &str = "code,name,kind,level,parent_code,gov_code,jurisdiction\n";

    fn units(body: &str) -> Result<Vec<UnitRow>, ImportError> {
        parse_units(&format!("{H}{body}"))
    }

    #[test]
    fn unit_rows_parse_with_both_parents() {
        let rows = units(
            "FT-RST,福田区人社局,department,county,SZ-RST,FT-ZF,440304\n\nSZ-RST,深圳市人社局,department,city,,,4403\n\"FT-ZF\",\"福田区人民政府\",government,county,,,440304\n",
        )
        .expect("ok");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].parent_code.as_deref(), Some("SZ-RST"));
        assert_eq!(rows[0].gov_code.as_deref(), Some("FT-ZF"));
        assert_eq!((rows[0].kind, rows[0].level, rows[0].line), (UnitKind::Department, Level::County, 2));
        assert_eq!((rows[1].parent_code.clone(), rows[1].line), (None, 4), "blank lines keep the numbering");
        assert_eq!(rows[2].kind, UnitKind::Government);
        // A byte-order mark from a spreadsheet is fine.
        assert!(parse_units(&format!("\u{feff}{H}A,甲,court,province,,,44\n")).is_ok());
    }

    #[test]
    fn villages_are_communities_and_communities_are_villages() {
        assert!(units("V1,沙埔头社区居委会,community,village,U11,,440304001019\n").is_ok());
        assert!(units("V1,某社区,community,county,U11,,440304\n").is_err());
        assert!(units("V1,某信访办,petition_bureau,village,U11,,440304001019\n").is_err());
    }

    #[test]
    fn bad_unit_rows_are_rejected_with_line_numbers() {
        let line = |body: &str| units(body).expect_err("bad").line;
        assert_eq!(parse_units("code,name\nA,甲\n").expect_err("header").line, 1);
        assert_eq!(parse_units("").expect_err("empty").line, 1);
        assert_eq!(line("A,甲,court,province,,,44\nB,乙,ministry,province,,,44\n"), 3, "unknown kind");
        assert_eq!(line("A,甲,court,state,,,44\n"), 2, "unknown level");
        assert_eq!(line("A,甲,court,county,,,4403\n"), 2, "a county serves a 6-digit area");
        assert_eq!(line("A,甲,court,township,,,44030400x\n"), 2, "digits only");
        assert_eq!(line("A,,court,province,,,44\n"), 2, "name required");
        assert_eq!(line("A B,甲,court,province,,,44\n"), 2, "plain codes");
        assert_eq!(line("A,甲,court,province,A,,44\n"), 2, "own parent");
        assert_eq!(line("A,甲,court,province,,,44\nB,乙,court,province\n"), 3, "missing columns");
        let e = units("A,甲,court,province,,,44\nB,乙,court,province,,,44\nA,丙,court,province,,,44\n").expect_err("dup");
        assert_eq!(e.line, 4);
        assert!(e.problem.contains("第2行"), "{}", e.problem);
    }

    fn tree() -> UnitTree {
        crate::unit::tests::sample_tree()
    }

    #[test]
    fn unit_links_must_exist_and_governments_must_be_governments() {
        let ok = units("N1,新单位,department,county,U11,U40,440304\nN2,新单位2,department,township,N1,,440304001\n").expect("rows");
        assert!(check_unit_links(&ok, &tree()).is_ok());
        // Children before parents is fine.
        let ok = units("N2,新单位2,department,township,N1,,440304001\nN1,新单位,department,county,U11,U40,440304\n").expect("rows");
        assert!(check_unit_links(&ok, &tree()).is_ok());
        let e = check_unit_links(
            &units("N1,新单位,department,county,U11,,440304\nN2,x,department,county,NOPE,,440304\n").expect("rows"),
            &tree(),
        )
        .expect_err("unknown parent");
        assert_eq!(e.line, 3);
        assert!(e.problem.contains("NOPE"));
        let e = check_unit_links(&units("N1,新单位,department,county,U11,U12,440304\n").expect("rows"), &tree()).expect_err("not a gov");
        assert!(e.problem.contains("U12") && e.problem.contains("不是人民政府"), "{}", e.problem);
    }

    #[test]
    fn unit_link_cycles_are_rejected_in_the_file_and_against_the_store() {
        let e = check_unit_links(
            &units("A,甲,department,county,B,,440304\nB,乙,department,county,C,,440304\nC,丙,department,county,A,,440304\n").expect("rows"),
            &tree(),
        )
        .expect_err("cycle in file");
        assert!(e.problem.contains("循环"), "{}", e.problem);
        // Moving the city government under its own county government's
        // department closes a loop through stored links (12 → gov 40 → 42).
        let e = check_unit_links(&units("U42,深圳市人民政府,government,city,U12,,4403\n").expect("rows"), &tree()).expect_err("cycle");
        assert_eq!(e.line, 2);
        // Mixed links: a government whose government is below it.
        let e = check_unit_links(
            &units("G,政府,government,county,,,440304\nD,部门,department,county,,G,440304\nG2,政府2,government,county,D,,440304\n")
                .expect("rows"),
            &tree(),
        );
        assert!(e.is_ok(), "no cycle: G2 → D → G");
        let e =
            check_unit_links(&units("G,政府,government,county,D,,440304\nD,部门,department,county,,G,440304\n").expect("rows"), &tree())
                .expect_err("G → D → G");
        assert!(e.problem.contains("循环"));
    }
}
